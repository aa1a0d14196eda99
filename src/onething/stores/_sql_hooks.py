"""What the database halves of a store (notifications, statistics, listings) ask of the store
they are mixed into: a write transaction, a read, and the retry of a transaction that lost a
race. SqliteStore and PostgresStore provide them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from onething.stores._status_sql import Rows, Run

_T = TypeVar("_T")
#: a write transaction as the halves use it: run a statement, fetch rows
Tx = tuple[Run, Rows]


class SqlHooks:
    """The three hooks, declared once."""

    def _status_tx(self) -> AbstractContextManager[Tx]:
        """A write transaction (the status events and counts are written in)."""
        raise NotImplementedError

    def _fetch(self, sql: str, params: list[Any]) -> list[Sequence[Any]]:
        """Rows of a read (no write transaction, no write lock)."""
        raise NotImplementedError

    def _retrying(self, run: Callable[[], _T]) -> _T:
        """``run()``, run again while the database says it lost a race."""
        raise NotImplementedError
