"""The embedded default store: one SQLite file, WAL, ``synchronous=FULL`` unless asked.

Every write is one ``BEGIN IMMEDIATE`` transaction (state + events + delivery), so an
acknowledged action is on disk and a crash leaves either all of it or none of it. One delivery
per case is a UNIQUE constraint, not only a check in Python.

Many threads and processes may share one file. A writer waits for the write lock up to the
busy timeout (``busy_timeout_ms``, 5 s by default); a transaction SQLite still refuses as busy
or locked is rolled back and run again after a short, growing pause, ``retries`` times at most,
and then ends in :class:`~onething.stores.base.StoreBusy`. "database is locked" never reaches
a caller as :class:`sqlite3.OperationalError`.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from onething.cases.listing import Listing
from onething.cases.records import Case, Delivery, Event, OutboxItem, case_from_json, case_to_json
from onething.cases.status import StatusEvent
from onething.errors import (
    Conflict,
    DeployRefused,
    StoreCorrupt,
    StoreUnavailable,
    UnknownCase,
)
from onething.stores import _listing_sql as listed
from onething.stores._deferred_rows import DeferredRows
from onething.stores._json_text import json_text
from onething.stores._known_cases import KnownCases
from onething.stores._listed_store import ListedStore
from onething.stores._notified_store import NotifiedStore
from onething.stores._sqlite_tables import (
    check_path,
    insert_delivery,
    insert_events,
    insert_outbox,
    is_busy,
    iso_text,
    now_text,
    outbox_item,
    prepare,
    remember_key,
    update_case,
    utc_moment,
    utc_text,
    wake_text,
    write_counts,
    write_listing,
)
from onething.stores._sqlite_writes import SqliteWrites, reader
from onething.stores._status_sql import write_status
from onething.stores.base import (
    BUSY_RETRIES,
    OUTBOX_COLUMNS,
    SECRET_BYTES,
    Created,
    Store,
    decoded,
    retried,
    retry_busy,
    secret_from_text,
    snapshot_case,
)

_T = TypeVar("_T")
#: the pages the write-ahead log may hold before a commit copies them back into the file, by
#: ``synchronous`` (decision 0034): with NORMAL a page rewritten by many commits is copied,
#: and synced, once per checkpoint, so fewer checkpoints cost less (the log grows to ~40 MB);
#: with FULL (and EXTRA) every commit syncs the log, and a log that keeps growing makes each
#: of those syncs dearer, so SQLite's own 1,000 stays
CHECKPOINT_PAGES = {"NORMAL": 10_000, "FULL": 1_000, "EXTRA": 1_000}


class SqliteStore(SqliteWrites, KnownCases, ListedStore, NotifiedStore, Store):
    """A store in one SQLite file (``":memory:"`` for a private in-memory database).

    ``create=False`` refuses a file that does not exist yet (:class:`StoreUnavailable`)
    instead of making an empty database: what commands that read cases use, so that a
    mistyped path is an error, not an empty answer.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "FULL",
                 busy_timeout_ms: int = 5000, retries: int = BUSY_RETRIES,
                 create: bool = True) -> None:
        if str(synchronous).upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("synchronous must be FULL, NORMAL or EXTRA")
        if busy_timeout_ms < 0 or retries < 0:
            raise ValueError("busy_timeout_ms and retries must not be negative")
        self.path = str(path)
        check_path(self.path, create)
        self.busy_timeout_ms = int(busy_timeout_ms)
        self.retries = int(retries)
        self._lock = threading.RLock()
        self._batching = False
        self._spoiled = False  # a write inside the batch failed after changing something
        self._deferred = DeferredRows()  # case rows the batch writes once (decision 0031)
        # the cases this store last wrote or read (._known_cases): valid while the row still
        # has that version (every write bumps it), so a load is one version lookup; cleared
        # on any rollback
        self._known: dict[str, Case] = {}
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None,
                                       check_same_thread=False,
                                       timeout=self.busy_timeout_ms / 1000,
                                       uri=self.path.startswith("file:"))
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open the SQLite database {self.path}: {exc}") \
                from None
        try:
            self._retrying(lambda: self._open(synchronous.upper()))
        except BaseException:
            self._db.close()
            raise

    def _open(self, synchronous: str) -> None:
        self._db.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES[synchronous]}")
        self._db.execute(f"PRAGMA synchronous = {synchronous}")
        self._db.execute("PRAGMA foreign_keys = ON")
        with self._write() as db:
            prepare(db, self.path)

    def _retrying(self, run: Callable[[], _T]) -> _T:
        try:
            return retry_busy(run, retries=self.retries, is_busy=is_busy, explain=self._explain)
        except (sqlite3.Error, UnicodeDecodeError) as exc:  # a damaged file's text
            raise self._translated(exc) from None

    def _translated(self, error: Exception) -> Exception:
        """The database's own error as one of the store's (a broken or unusable file)."""
        text = str(error)
        if "readonly" in text or "read-only" in text:
            return StoreUnavailable(f"the SQLite database {self.path} is read-only ({text}); "
                                    "give onething a file (and directory) it may write")
        if isinstance(error, sqlite3.OperationalError) and ("unable to open" in text
                                                            or "disk I/O" in text):
            return StoreUnavailable(f"cannot use the SQLite database {self.path}: {text}")
        if "disk is full" in text:
            return StoreUnavailable(f"the disk of the SQLite database {self.path} is full "
                                    f"({text}); nothing was written: free space and try again")
        return StoreCorrupt(f"{self.path} is not a readable onething database ({text}); "
                            "restore it from a backup")

    def _explain(self, error: Exception, attempts: int) -> str:
        return (f"the SQLite database {self.path} stayed locked by another connection through "
                f"{attempts} attempts of up to {self.busy_timeout_ms} ms each ({error}); "
                "nothing was written: try again, or give the store a longer busy_timeout_ms "
                "or more retries")

    # -- definitions ---------------------------------------------------------------------------

    @retried
    def put_definition(self, workflow_id: str, version: int, content_hash: str,
                       text: str) -> None:
        with self._write() as db:
            row = db.execute(
                "SELECT content_hash FROM definitions WHERE workflow_id = ? AND version = ?",
                (workflow_id, version),
            ).fetchone()
            if row is not None:
                if row[0] != content_hash:
                    raise DeployRefused(
                        f"{workflow_id} version {version} is deployed already with different "
                        "content; give the changed workflow a new version number"
                    )
                return
            db.execute("INSERT INTO definitions VALUES (?, ?, ?, ?, ?)",
                       (workflow_id, version, content_hash, text, now_text()))

    @retried
    def get_definition(self, workflow_id: str, version: int) -> tuple[str, str] | None:
        with self._lock:
            row = self._read().execute(
                "SELECT content_hash, text FROM definitions WHERE workflow_id = ? AND version = ?",
                (workflow_id, version),
            ).fetchone()
        return (row[0], row[1]) if row else None

    @retried
    def workflow_ids(self) -> list[str]:
        with self._lock:
            rows = self._read().execute(
                "SELECT DISTINCT workflow_id FROM definitions ORDER BY workflow_id").fetchall()
        return [row[0] for row in rows]

    def latest_version(self, workflow_id: str) -> int | None:
        with self._lock:
            row = self._read().execute(
                "SELECT max(version) FROM definitions WHERE workflow_id = ?", (workflow_id,)
            ).fetchone()
        return row[0] if row else None

    # -- cases ------------------------------------------------------------------------------

    @retried
    def create(self, case: Case, events: list[Event], wake: datetime | None = None,
               idempotency: tuple[str, str] | None = None, *,
               listing: Listing | None = None, status: Sequence[StatusEvent] = ()) -> None:
        with self._write() as db:
            self._insert_case(db, case, events, wake, listing)
            write_status(db.execute, reader(db), status)
            if idempotency is not None:
                remember_key(db, case, idempotency)
            self._remember_case(case)
            if self._batching:
                self._deferred.wrote(case)

    def _insert_case(self, db: sqlite3.Connection, case: Case, events: list[Event],
                     wake: datetime | None, listing: Listing | None) -> None:
        try:
            db.execute(
                "INSERT INTO cases (id, workflow_id, workflow_version, content_hash, version, "
                "state, created_at, updated_at, ended, wake_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                (case.id, case.workflow_id, case.workflow_version, case.content_hash,
                 case.version, json_text(case.state()),
                 iso_text(case.created_at), iso_text(case.updated_at), wake_text(wake)),
            )
        except sqlite3.IntegrityError:
            raise Conflict(f"a case with id {case.id!r} exists already") from None
        insert_events(db, case.id, events)
        write_listing(db, case.id, listing)
        self._remember_case(case)

    @retried
    def load(self, case_id: str) -> Case:
        with self._lock:
            known = self._known.get(case_id)
            if known is not None:
                row = self._read().execute("SELECT version FROM cases WHERE id = ?",
                                       (case_id,)).fetchone()
                if row is not None and row[0] == known.version:
                    return known.snapshot()
            row = self._read().execute(
                "SELECT id, workflow_id, workflow_version, content_hash, version, state, "
                "created_at, updated_at FROM cases WHERE id = ?", (case_id,),
            ).fetchone()
            if row is None:
                raise UnknownCase(case_id)
            case = decoded(row[0], lambda: case_from_json({
                **json.loads(row[5]), "id": row[0], "workflow_id": row[1],
                "workflow_version": row[2], "content_hash": row[3], "version": row[4],
                "created_at": row[6], "updated_at": row[7]}))
            self._remember_case(case)
        return case

    @retried
    def commit(self, case: Case, expected_version: int, events: list[Event],
               delivery: Delivery | None = None, wake: datetime | None = None,
               outbox: list[OutboxItem] | None = None,
               idempotency: tuple[str, str] | None = None, *,
               created: Sequence[Created] | None = None,
               listing: Listing | None = None, status: Sequence[StatusEvent] = ()) -> None:
        # a batch needs no savepoint for a commit whose first write is the versioned update
        # (refused: nothing written) and whose later writes cannot be refused (_write)
        plain = not created and delivery is None and idempotency is None
        with self._lock:  # another thread's batch is not ours to write into
            if self._batching:
                if plain and self._deferred.takes(case.id, expected_version):
                    self._commit_held(case, events, wake, listing, status, outbox or [])
                    return
                self._flush(case.id)  # the case's own held row, before any savepoint
            with self._write(savepoint=not plain, flush=False) as db:
                for new_case, new_events, new_wake, new_listing in created or ():
                    self._insert_case(db, new_case, new_events, new_wake, new_listing)
                update_case(db, case, expected_version, wake_text(wake), listing)
                insert_events(db, case.id, events)
                write_counts(db, listing)
                if delivery is not None:
                    insert_delivery(db, delivery)
                insert_outbox(db, case, outbox or ())
                write_status(db.execute, reader(db), status)
                if idempotency is not None:
                    remember_key(db, case, idempotency)
                self._remember_case(case)
                if self._batching:
                    for new_case, *_ in created or ():
                        self._deferred.wrote(new_case)
                    self._deferred.wrote(case)

    def _commit_held(self, case: Case, events: list[Event], wake: datetime | None,
                     listing: Listing | None, status: Sequence[StatusEvent],
                     outbox: list[OutboxItem]) -> None:
        """A commit inside a batch whose case row waits (:mod:`~onething.stores._deferred_rows`):
        its events, outbox, counts and status events are written now."""
        with self._write(savepoint=False, flush=False) as db:
            insert_events(db, case.id, events)
            write_counts(db, listing)
            insert_outbox(db, case, outbox)
            write_status(db.execute, reader(db), status)
            held = self._remember_case(case)  # the store's copy waits, not the caller's
            self._deferred.defer(held, wake_text(wake), listing)

    @retried
    def erase_personal(self, case_id: str, forget: Sequence[str] = ()) -> int:
        with self._write() as db:
            rows = db.execute("SELECT key, snapshot FROM idempotency WHERE case_id = ?",
                              (case_id,)).fetchall()
            for key, snapshot in rows:
                erased = snapshot_case(snapshot).without_personal_data()
                db.execute("UPDATE idempotency SET snapshot = ? WHERE key = ?",
                           (json_text(case_to_json(erased)), key))
            for text in (t for t in forget if t):
                db.execute("UPDATE events SET actor = replace(actor, ?, 'erased'), "
                           "data = replace(data, ?, 'erased') WHERE case_id = ? AND "
                           "(instr(actor, ?) > 0 OR instr(data, ?) > 0)",
                           (text, text, case_id, text, text))
            self._known.pop(case_id, None)
            return len(rows)

    @retried
    def secret(self, name: str) -> bytes:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)",
                       (f"secret:{name}", secrets.token_hex(SECRET_BYTES)))
            row = db.execute("SELECT value FROM meta WHERE key = ?",
                             (f"secret:{name}",)).fetchone()
        return secret_from_text(name, row[0])

    @retried
    def next_serial(self, scope: str) -> int:
        with self._write() as db:
            return int(db.execute(listed.NEXT_SERIAL, (scope,)).fetchone()[0])

    @retried
    def replan(self, case_id: str, version: int, wake: datetime | None,
               listing: Listing | None = None) -> bool:
        with self._write() as db:
            if db.execute("UPDATE cases SET wake_at = ? WHERE id = ? AND version = ?",
                          (wake_text(wake), case_id, version)).rowcount != 1:
                return False
            write_listing(db, case_id, listing)
            return True

    @retried
    def history(self, case_id: str) -> list[Event]:
        with self._lock:
            rows = self._read().execute(
                "SELECT seq, at, action, actor, step, data FROM events WHERE case_id = ? "
                "ORDER BY seq", (case_id,),
            ).fetchall()
            if not rows and self._read().execute(
                "SELECT 1 FROM cases WHERE id = ?", (case_id,)
            ).fetchone() is None:
                raise UnknownCase(case_id)
        return decoded(case_id, lambda: [
            Event(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], json.loads(r[5]))
            for r in rows])

    @retried
    def delivery(self, case_id: str) -> Delivery | None:
        with self._lock:
            row = self._read().execute(
                "SELECT id, case_id, kind, at, method, items, notice FROM deliveries "
                "WHERE case_id = ?", (case_id,),
            ).fetchone()
        if row is None:
            return None
        return decoded(case_id, lambda: Delivery(
            row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4],
            tuple(json.loads(row[5])), json.loads(row[6])))

    @retried
    def due_cases(self, now: datetime, limit: int = 100) -> list[str]:
        with self._lock:
            rows = self._read().execute(
                "SELECT id FROM cases WHERE wake_at <= ? ORDER BY wake_at, id LIMIT ?",
                (utc_text(now), limit)).fetchall()
        return [r[0] for r in rows]

    def claim_due(self, now: datetime, limit: int = 100,
                  lease_seconds: float | None = None) -> list[str]:
        """Due cases for a worker. SQLite serialises writers, and every firing is a versioned
        transaction, so claiming adds nothing here: this is :meth:`due_cases`."""
        return self.due_cases(now, limit)  # retried there

    @retried
    def wake(self, case_id: str) -> datetime | None:
        with self._lock:
            row = self._read().execute("SELECT wake_at FROM cases WHERE id = ?",
                                   (case_id,)).fetchone()
        if row is None:
            raise UnknownCase(case_id)
        return utc_moment(row[0])

    @retried
    def idempotent(self, key: str) -> tuple[str, Case] | None:
        with self._lock:
            row = self._read().execute(
                "SELECT fingerprint, snapshot FROM idempotency WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return row[0], snapshot_case(row[1])

    @retried
    def claim_outbox(self, now: datetime, limit: int = 100,
                     lease_seconds: float = 60.0) -> list[OutboxItem]:
        until = utc_text(now + timedelta(seconds=lease_seconds))
        with self._write() as db:
            rows = db.execute(
                f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = 'pending' "
                "AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) "
                "ORDER BY next_attempt_at, id LIMIT ?", (utc_text(now), utc_text(now), limit),
            ).fetchall()
            db.executemany("UPDATE outbox SET claimed_until = ? WHERE id = ?",
                           [(until, r[0]) for r in rows])
        return [outbox_item(r) for r in rows]

    @retried
    def finish_outbox(self, item_id: str, *, sent: bool, error: str = "", result: str = "",
                      retry_at: datetime | None = None) -> None:
        with self._write() as db:
            if sent:
                db.execute("UPDATE outbox SET status = 'sent', attempts = attempts + 1, "
                           "claimed_until = NULL, result = ? WHERE id = ?", (result, item_id))
            else:
                status = "pending" if retry_at is not None else "failed"
                db.execute(
                    "UPDATE outbox SET status = ?, attempts = attempts + 1, claimed_until = NULL,"
                    " last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at) "
                    "WHERE id = ?", (status, error, utc_text(retry_at) if retry_at else None,
                                     item_id))

    @retried
    def outbox(self, case_id: str) -> list[OutboxItem]:
        with self._lock:
            rows = self._read().execute(f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE case_id = ? "
                                    "ORDER BY id", (case_id,)).fetchall()
        return [outbox_item(r) for r in rows]

    # -- queues and search (:mod:`onething.stores._listing_sql`) ----------------------------

    def _fetch(self, sql: str, params: list[Any]) -> list[Sequence[Any]]:
        with self._lock:
            return self._read().execute(sql, params).fetchall()

    @retried
    def case_ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._read().execute("SELECT id FROM cases ORDER BY rowid")]

    def close(self) -> None:
        with self._lock:
            self._db.close()
