"""How the SQLite store writes: one ``BEGIN IMMEDIATE`` transaction a write, batches (group
commit) with a savepoint a write that takes one, and the case rows a batch writes once
(:mod:`onething.stores._deferred_rows`)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from onething.cases.records import Case
from onething.errors import StoreBusy, StoreUnavailable
from onething.stores._deferred_rows import DeferredRows
from onething.stores._sqlite_tables import is_busy

_T = TypeVar("_T")


def reader(db: sqlite3.Connection) -> Callable[[str, Any], list[Any]]:
    """A statement runner that returns the rows it read (what the status and counts SQL ask)."""
    return lambda sql, params: db.execute(sql, params).fetchall()


class SqliteWrites:
    """The write transactions of :class:`~onething.stores.sqlite.SqliteStore` (a mixin: the
    store opens ``_db`` and sets the rest in its ``__init__``)."""

    path: str
    _db: sqlite3.Connection
    _lock: threading.RLock
    _batching: bool
    _spoiled: bool  # a write inside the batch failed after changing something
    _deferred: DeferredRows
    _known: dict[str, Case]

    def _retrying(self, run: Callable[[], _T]) -> _T:  # pragma: no cover - the store's
        raise NotImplementedError

    def _translated(self, error: Exception) -> Exception:  # pragma: no cover - the store's
        raise NotImplementedError

    def _explain(self, error: Exception, attempts: int) -> str:  # pragma: no cover - the store's
        raise NotImplementedError

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group commit: every write inside is one transaction, committed when the block
        ends (rolled back, all of it, if the block raises). Each write inside is a savepoint,
        so a write that fails (a conflict, a second delivery) leaves the others in place.
        Other threads using this store wait until the batch ends."""
        with self._lock:
            if self._batching:
                yield
                return
            self._retrying(lambda: self._db.execute("BEGIN IMMEDIATE"))
            self._batching, self._spoiled = True, False
            try:
                with self._transaction():
                    yield
                    self._flush()
                    if self._spoiled:
                        raise StoreUnavailable(
                            f"a write to the SQLite database {self.path} failed half-way "
                            "inside a batch: nothing of the batch was written")
            except sqlite3.Error as exc:  # its COMMIT, or a write the block did not catch
                if is_busy(exc):
                    raise StoreBusy(self._explain(exc, 1)) from None
                raise self._translated(exc) from None
            finally:
                self._batching = False
                self._deferred.clear()

    def _flush(self, only: str | None = None) -> None:
        """Write the case rows the batch holds (or only that of case ``only``); should that
        fail, the batch is spoiled (what it held is gone) and the database's error is the
        store's (:meth:`_translated`), whichever read or write asked."""
        if self._deferred.pending:
            try:
                self._deferred.flush(self._db, only)
            except BaseException as exc:
                self._spoiled = True
                if isinstance(exc, sqlite3.Error):
                    raise self._translated(exc) from None
                raise

    def _read(self) -> sqlite3.Connection:
        """The connection, to read: inside a batch, the case rows it holds written first."""
        self._flush()
        return self._db

    @contextmanager
    def _write(self, savepoint: bool = True, flush: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction: ``BEGIN IMMEDIATE`` takes the write lock first (waiting up
        to the busy timeout), so a transaction never fails half-way for want of it.
        Inside a batch the case rows it holds are written first, unless not ``flush``.

        Inside a batch, a savepoint of the batch's transaction; without ``savepoint`` (a
        write refused, if at all, before it changes anything) none: should it fail after a
        change all the same (the disk full, an interrupt), the batch is spoiled and rolled
        back, all of it, when it ends (:class:`~onething.errors.StoreUnavailable`)."""
        with self._lock:
            if flush:
                self._flush()
            if self._batching and savepoint:
                with self._savepoint():
                    yield self._db
                return
            if self._batching:
                before = self._db.total_changes
                try:
                    yield self._db
                except BaseException:
                    if self._db.total_changes != before:
                        self._spoiled = True
                    raise
                return
            self._db.execute("BEGIN IMMEDIATE")
            with self._transaction():
                yield self._db

    @contextmanager
    def _status_tx(self) -> Iterator[tuple[Any, Any]]:
        with self._write() as db:
            yield db.execute, reader(db)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Commit the transaction begun, or roll it back (forgetting what the store
        remembers) if the block raises."""
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            self._known.clear()
            self._deferred.clear()
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._db.execute("SAVEPOINT write")
        try:
            yield
        except BaseException:
            self._known.clear()
            self._db.execute("ROLLBACK TO write")
            self._db.execute("RELEASE write")
            raise
        self._db.execute("RELEASE write")
