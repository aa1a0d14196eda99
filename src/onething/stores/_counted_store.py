"""The statistics' counts as the two databases answer them: one implementation over the SQL of
:mod:`onething.stores._counts_sql`, for any store that can run a read (``_fetch``) and a write
transaction (``_status_tx``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from onething.cases.tallies import Tally
from onething.stores import _counts_sql as sql
from onething.stores._sql_hooks import SqlHooks
from onething.stores.base import retried

#: what a recount is given: the tallies of one case, read through the store (inside the
#: recount's transaction); None for a case to leave out
Made = Callable[[str], "Iterable[Tally] | None"]


class CountedStore(SqlHooks):
    """The statistics half of a database store (see the module docstring)."""

    #: the statement that keeps every other writer of counts waiting while a recount reads
    #: (PostgreSQL: a table lock; SQLite's write transaction is the only writer already)
    _lock_counts = ""
    #: how a row is named for a bounded delete (SQLite ``rowid``, PostgreSQL ``ctid``)
    _row_name = "rowid"

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
    def merge_counts(self, limit: int = 10_000) -> int:
        if not self._fetch("SELECT 1 FROM stats_counts WHERE merged = 0 LIMIT 1", []):
            return 0  # nothing to merge: no write transaction
        with self._status_tx() as (run, rows):
            merged = sql.summed_rows(rows(sql.unmerged(self._row_name), (limit,)))
            for row in merged:
                run(sql.MERGE, row)
            return len(merged)

    @retried
    def recount(self, made: Made, *, if_stale: bool = False) -> int | None:
        with self._status_tx() as (run, rows):
            if self._lock_counts:
                run(self._lock_counts, ())
            if if_stale and not rows("SELECT 1 FROM meta WHERE key = ? AND value = ?",
                                     (sql.STALE_KEY, sql.STALE)):
                return None
            counts: list[Tally] = []
            counted = 0
            for (case_id,) in rows("SELECT id FROM cases ORDER BY id", ()):
                found = made(str(case_id))
                if found is not None:
                    counts.extend(found)
                    counted += 1
            run("DELETE FROM stats_counts", ())
            for row in sql.add_rows(counts):
                run(sql.MERGE, row)
            run("DELETE FROM meta WHERE key = ?", (sql.STALE_KEY,))
            return counted
