"""The statistics' counts as the two databases answer them: one implementation over the SQL of
:mod:`onething.stores._counts_sql`, for any store that can run a read (``_fetch``) and a write
transaction (``_status_tx``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from onething.cases.tallies import Tally
from onething.stores import _counts_sql as sql
from onething.stores._status_sql import Rows, Run
from onething.stores.base import retried

_T = TypeVar("_T")


class CountedStore:
    """The statistics half of a database store (see the module docstring)."""

    def _status_tx(self) -> AbstractContextManager[tuple[Run, Rows]]:
        raise NotImplementedError

    def _fetch(self, sql: str, params: list[Any]) -> list[Sequence[Any]]:
        raise NotImplementedError

    def _retrying(self, run: Callable[[], _T]) -> _T:
        raise NotImplementedError

    @retried
    def counted(self, period: str, *, since: str | None = None, until: str | None = None,
                workflow: str | None = None, department: str | None = None) -> list[sql.Row]:
        statement, params = sql.summed(period, since, until, workflow, department)
        return sql.rows_of(self._fetch(statement, params))

    @retried
    def counts_stale(self) -> bool:
        return bool(self._fetch("SELECT 1 FROM meta WHERE key = ? AND value = ?",
                                [sql.STALE_KEY, sql.STALE]))

    @retried
    def merge_counts(self) -> int:
        with self._status_tx() as (run, rows):
            merged = sql.summed_rows(rows(sql.UNMERGED, ()))
            for row in merged:
                run(sql.MERGE, row)
            return len(merged)

    @retried
    def recount(self, counts: Iterable[Tally]) -> None:
        merged = sql.add_rows(counts)
        with self._status_tx() as (run, _):
            run("DELETE FROM stats_counts", ())
            for row in merged:
                run(sql.MERGE, row)
            run("DELETE FROM meta WHERE key = ?", (sql.STALE_KEY,))
