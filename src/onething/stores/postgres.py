"""The PostgreSQL store (psycopg 3): the same tables and contract as the SQLite store.

Every write is one transaction (state + events + delivery + outbox + wake + idempotency
key), a common action's one statement (:mod:`._postgres_commit`); one delivery per case is a
UNIQUE constraint; a stale ``expected_version`` is a :class:`~onething.errors.Conflict` decided
by the database (``UPDATE ... WHERE id = %s AND version = %s``), so any number of engine
processes on any number of machines may share one database.

Workers: :meth:`PostgresStore.claim_outbox` and :meth:`PostgresStore.claim_due` claim their
rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` and a lease (``claimed_until``,
``wake_claimed_until``), so two workers never get the same row while the lease runs (for a
case's timers the engine's versioned commit would make a second firing a no-op anyway); a
commit that moves a case's wake ends the claim on it. :meth:`PostgresStore.due_cases` only
looks. One store holds one connection behind a lock: threads may share a store, but each
worker *process* opens its own.
A lost connection is opened again on the next call (the call that met the loss fails).

Transactions run at the server's default isolation (READ COMMITTED unless the database or the
connection string says otherwise). A transaction the server refuses as a serialization failure
or a deadlock, or that waited longer than ``lock_timeout_ms`` (2 s by default) for a row lock,
is rolled back and run again after a short, growing pause, ``retries`` times at most (10 by
default), then ends in :class:`~onething.stores.base.StoreBusy`: psycopg's errors for these
never reach a caller. Text the server cannot take (a NUL character) is ``InvalidArgument``.

The tables have plain names (``cases``, ``events``, ``meta``, ...): give onething a database
of its own, or a schema of its own through the connection string
(``postgresql://host/db?options=-csearch_path%3Donething``).

Statements are planned once (psycopg prepares one on its fifth run; the connection asks for
its generic plan) and without parallel workers: on ``plan_cache_mode = auto`` the server
re-planned each list call past ~10k cases, and its workers took longer to start than a page of
50 takes to read; every statement here has one shape made for an index (decision 0022).

JSON columns are ``json``, not ``jsonb``: it keeps the text as written, so the key order of a
case's form, clocks and outcomes comes back as it went in (as with SQLite). Times are
``timestamptz``, read back in Asia/Shanghai (a naive time is taken as Shanghai time).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict

from onething.cases.listing import Listing
from onething.cases.records import Case, Delivery, Event, OutboxItem, case_from_json, case_to_json
from onething.cases.status import StatusEvent
from onething.errors import (
    AlreadyDelivered,
    DeployRefused,
    InvalidArgument,
    StoreBusy,
    StoreUnavailable,
    UnknownCase,
)
from onething.stores import _postgres_commit as one
from onething.stores._known_cases import KnownCases
from onething.stores._listed_store import ListedStore
from onething.stores._listing_sql import NEXT_SERIAL, for_postgres
from onething.stores._notified_store import NotifiedStore
from onething.stores._postgres_tables import (
    CLAIM_DUE,
    CLAIM_OUTBOX,
    UNCLAIM,
    UPDATE_CASE,
    case_values,
    fetch_all,
    insert_case,
    insert_events,
    insert_outbox,
    json_value,
    moment_value,
    outbox_item,
    prepare,
    remember,
    status_runner,
    write_listing,
)
from onething.stores._status_sql import write_status
from onething.stores.base import (
    OUTBOX_COLUMNS,
    SECRET_BYTES,
    Created,
    Store,
    decoded,
    redacted,
    retried,
    retry_busy,
    secret_from_text,
    snapshot_case,
)

_T = TypeVar("_T")

#: How many times a refused transaction is run again by default: more than SQLite's, because
#: under SERIALIZABLE a busy server refuses many transactions that succeed when run again.
PG_RETRIES = 10

#: The server's refusals that mean "run the transaction again": serialization failures,
#: deadlocks, and a lock not obtained within ``lock_timeout``.
_BUSY = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected,
         pg_errors.LockNotAvailable)

#: The zone times are read back in (the official calendar's).
TIME_ZONE = "Asia/Shanghai"

#: How long a case returned by :meth:`PostgresStore.claim_due` stays claimed by default.
TIMER_LEASE_SECONDS = 30.0


class PostgresStore(KnownCases, ListedStore, NotifiedStore, Store):
    """A store in one PostgreSQL database, named by a libpq ``conninfo``
    (``postgresql://user@host:5432/db`` or ``"host=... dbname=..."``). The tables are created
    on first use; a newer onething's database is refused, not misread.
    """

    _claim_lock = " FOR UPDATE OF n SKIP LOCKED"  # concurrent workers claim different rows
    _lock_counts, _row_name = "LOCK TABLE stats_counts IN EXCLUSIVE MODE", "ctid"

    def __init__(self, conninfo: str, *, timer_lease_seconds: float = TIMER_LEASE_SECONDS,
                 connect_timeout: int = 10, lock_timeout_ms: int = 2000,
                 retries: int = PG_RETRIES, create: bool = True) -> None:
        if lock_timeout_ms < 0 or retries < 0:
            raise ValueError("lock_timeout_ms and retries must not be negative")
        self.conninfo = conninfo
        self.timer_lease_seconds = timer_lease_seconds
        self.lock_timeout_ms = int(lock_timeout_ms)
        self.retries = int(retries)
        self._connect_timeout = connect_timeout
        self._lock = threading.RLock()
        self._closed = False
        # case numbers are drawn on a connection of their own: a batch holding this store's
        # transaction open never holds a serial's row (and every other window) with it
        self._serials: psycopg.Connection[Any] | None = None
        self._serials_lock = threading.Lock()
        self._create = create
        self._known: dict[str, Case] = {}  # forgotten on a rollback (._known_cases)
        self._conn = self._connect()
        try:
            self._retrying(self._prepare)
        except BaseException:
            self._conn.close()
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            given = conninfo_to_dict(self.conninfo)
        except psycopg.ProgrammingError as exc:
            raise StoreUnavailable(f"{redacted(self.conninfo)} is not a PostgreSQL "
                                   f"connection string ({exc})") from None
        # the connection string's own connect_timeout wins (psycopg skips a None parameter)
        timeout = None if "connect_timeout" in given else self._connect_timeout
        try:
            conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=timeout)
        except psycopg.OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
            raise StoreUnavailable(f"cannot reach the PostgreSQL database "
                                   f"{redacted(self.conninfo)}: {first}") from None
        with conn.transaction():
            conn.execute(f"SET TIME ZONE '{TIME_ZONE}'")
            conn.execute(f"SET lock_timeout = {self.lock_timeout_ms}")
            # every statement here has one shape, made for an index: planning it again for
            # each call's values only costs time (see the module docstring)
            conn.execute("SET plan_cache_mode = force_generic_plan")
            conn.execute("SET max_parallel_workers_per_gather = 0")
        return conn

    def _retrying(self, run: Callable[[], _T]) -> _T:
        try:
            return retry_busy(run, retries=self.retries,
                              is_busy=lambda e: isinstance(e, _BUSY), explain=self._explain)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"the PostgreSQL database stopped answering: "
                                   f"{str(exc).strip()[:200]}") from None
        except psycopg.DataError as exc:  # text with a NUL character: nothing has it
            raise InvalidArgument(f"a value PostgreSQL cannot take: {str(exc)[:120]}") from None

    def _explain(self, error: Exception, attempts: int) -> str:
        what = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return (f"the PostgreSQL database kept refusing the transaction through {attempts} "
                f"attempts ({type(error).__name__}: {what}); nothing was written: try again, "
                "or give the store a longer lock_timeout_ms or more retries")

    def _where(self) -> str:
        info = self._conn.info
        return f"PostgreSQL database {info.dbname!r} on {info.host}:{info.port}"

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group commit: every write inside is one transaction, committed when the block
        ends (rolled back, all of it, if the block raises). Each write inside is a savepoint,
        so a write that fails (a conflict, a second delivery) leaves the others in place.
        The server may still refuse the whole batch at its commit (under SERIALIZABLE): that
        ends in :class:`StoreBusy` with nothing written, and the batch may be run again."""
        with self._lock:
            try:
                with self._live().transaction():
                    yield
            except BaseException as exc:
                self._known.clear()
                if not isinstance(exc, _BUSY):
                    raise
                raise StoreBusy(self._explain(exc, 1)) from exc

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction on this store's connection (reconnecting if it was lost)."""
        with self._lock:
            conn = self._live()
            with conn.transaction(), conn.cursor() as cur:
                yield cur

    @contextmanager
    def _status_tx(self) -> Iterator[tuple[Any, Any]]:
        with self._tx() as cur:
            yield status_runner(cur)

    def _live(self) -> psycopg.Connection[Any]:
        """This store's connection, opened again if it was lost (call holding the lock)."""
        if self._closed:
            raise psycopg.InterfaceError("the store is closed")
        if self._conn.broken or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _prepare(self) -> None:
        with self._tx() as cur:
            prepare(cur, self._where(), self._create)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._conn.close()
            if self._serials is not None:
                self._serials.close()

    # -- definitions ---------------------------------------------------------------------------

    @retried
    def put_definition(self, workflow_id: str, version: int, content_hash: str,
                       text: str) -> None:
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO definitions (workflow_id, version, content_hash, text) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (workflow_id, version) DO NOTHING",
                (workflow_id, version, content_hash, text),
            )
            if cur.rowcount == 1:
                return
            cur.execute("SELECT content_hash FROM definitions "
                        "WHERE workflow_id = %s AND version = %s", (workflow_id, version))
            row = cur.fetchone()
            if row is not None and row[0] != content_hash:
                raise DeployRefused(
                    f"{workflow_id} version {version} is deployed already with different "
                    "content; give the changed workflow a new version number"
                )

    @retried
    def get_definition(self, workflow_id: str, version: int) -> tuple[str, str] | None:
        with self._tx() as cur:
            cur.execute("SELECT content_hash, text FROM definitions "
                        "WHERE workflow_id = %s AND version = %s", (workflow_id, version))
            row = cur.fetchone()
        return (row[0], row[1]) if row else None

    @retried
    def workflow_ids(self) -> list[str]:
        with self._tx() as cur:
            cur.execute("SELECT DISTINCT workflow_id FROM definitions ORDER BY workflow_id")
            return [row[0] for row in cur.fetchall()]

    def latest_version(self, workflow_id: str) -> int | None:
        with self._tx() as cur:
            cur.execute("SELECT max(version) FROM definitions WHERE workflow_id = %s",
                        (workflow_id,))
            row = cur.fetchone()
        return row[0] if row else None

    # -- cases ---------------------------------------------------------------------------------

    @retried
    def create(self, case: Case, events: list[Event], wake: datetime | None = None,
               idempotency: tuple[str, str] | None = None, *,
               listing: Listing | None = None, status: Sequence[StatusEvent] = ()) -> None:
        with self._tx() as cur:
            insert_case(cur, case, events, wake, listing)
            write_status(*status_runner(cur), status)
            if idempotency is not None:
                remember(cur, case, idempotency)
        self._remember_case(case)

    @retried
    def load(self, case_id: str) -> Case:
        found = self._fetch(  # one statement, one round trip
            "SELECT id, workflow_id, workflow_version, content_hash, version, state, "
            "created_at, updated_at FROM cases WHERE id = ?", [case_id])
        if not found:
            raise UnknownCase(case_id)
        row = found[0]
        case = decoded(case_id, lambda: case_from_json({
            **row[5], "id": row[0], "workflow_id": row[1], "workflow_version": row[2],
            "content_hash": row[3], "version": row[4], "created_at": row[6].isoformat(),
            "updated_at": row[7].isoformat()}))
        self._remember_case(case)
        return case

    @retried
    def commit(self, case: Case, expected_version: int, events: list[Event],
               delivery: Delivery | None = None, wake: datetime | None = None,
               outbox: list[OutboxItem] | None = None,
               idempotency: tuple[str, str] | None = None, *,
               created: Sequence[Created] | None = None,
               listing: Listing | None = None, status: Sequence[StatusEvent] = ()) -> None:
        self._forget_case(case.id)  # remembered again once written
        if listing is not None and one.fits(created=created, idempotency=idempotency):
            with self._lock:  # one statement, unless inside a batch's transaction
                if one.commit_one(self._live(), case, expected_version, events, wake,
                                  listing, status, delivery, outbox or ()):
                    self._remember_case(case)
                    return
        with self._tx() as cur:
            for new_case, new_events, new_wake, new_listing in created or ():
                insert_case(cur, new_case, new_events, new_wake, new_listing)
            cur.execute(f"{UPDATE_CASE} WHERE id = %(id)s AND version = %(x)s",
                        case_values(case, expected_version, wake))
            if cur.rowcount != 1:
                one.refuse(cur, case.id, expected_version)
            insert_events(cur, case.id, events)
            write_listing(cur, case.id, listing)
            if delivery is not None:
                try:
                    cur.execute(
                        "INSERT INTO deliveries (id, case_id, kind, at, method, items, notice) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (delivery.id, delivery.case_id, delivery.kind, delivery.at,
                         delivery.method, json_value(list(delivery.items)),
                         json_value(delivery.notice)),
                    )
                except pg_errors.UniqueViolation:
                    raise AlreadyDelivered(f"case {case.id} already has a delivery") from None
            insert_outbox(cur, case, outbox or ())
            write_status(*status_runner(cur), status)
            if idempotency is not None:
                remember(cur, case, idempotency)
        self._remember_case(case)

    @retried
    def idempotent(self, key: str) -> tuple[str, Case] | None:
        with self._tx() as cur:
            cur.execute("SELECT fingerprint, snapshot FROM idempotency WHERE key = %s", (key,))
            row = cur.fetchone()
        if row is None:
            return None
        return row[0], snapshot_case(row[1])

    @retried
    def erase_personal(self, case_id: str, forget: Sequence[str] = ()) -> int:
        with self._tx() as cur:
            cur.execute("SELECT key, snapshot FROM idempotency WHERE case_id = %s FOR UPDATE",
                        (case_id,))
            rows = cur.fetchall()
            for key, snapshot in rows:
                erased = snapshot_case(snapshot).without_personal_data()
                cur.execute("UPDATE idempotency SET snapshot = %s WHERE key = %s",
                            (json_value(case_to_json(erased)), key))
            for text in (t for t in forget if t):
                cur.execute("UPDATE events SET actor = replace(actor, %(t)s, 'erased'), "
                            "data = replace(data::text, %(t)s, 'erased')::json "
                            "WHERE case_id = %(c)s AND (strpos(actor, %(t)s) > 0 "
                            "OR strpos(data::text, %(t)s) > 0)", {"t": text, "c": case_id})
            return len(rows)

    @retried
    def secret(self, name: str) -> bytes:
        with self._tx() as cur:
            cur.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                        (f"secret:{name}", secrets.token_hex(SECRET_BYTES)))
            cur.execute("SELECT value FROM meta WHERE key = %s", (f"secret:{name}",))
            row = cur.fetchone()
        assert row is not None  # inserted just above unless it was there
        return secret_from_text(name, row[0])

    @retried
    def next_serial(self, scope: str) -> int:
        with self._serials_lock:
            if self._closed:
                raise psycopg.InterfaceError("the store is closed")
            if self._serials is None or self._serials.broken or self._serials.closed:
                self._serials = self._connect()
            with self._serials.transaction():
                row = self._serials.execute(for_postgres(NEXT_SERIAL).encode(),
                                            (scope,)).fetchone()
        assert row is not None  # an upsert with RETURNING returns its row
        return int(row[0])

    @retried
    def replan(self, case_id: str, version: int, wake: datetime | None,
               listing: Listing | None = None) -> bool:
        with self._tx() as cur:
            cur.execute(f"UPDATE cases SET wake_at = %(w)s, {UNCLAIM} "
                        "WHERE id = %(id)s AND version = %(x)s",
                        {"w": wake, "id": case_id, "x": version})
            if cur.rowcount != 1:
                return False
            write_listing(cur, case_id, listing)
            return True

    def _fetch(self, sql: str, params: list[Any]) -> list[Sequence[Any]]:
        with self._lock:
            return fetch_all(self._live(), sql, params)

    @retried
    def history(self, case_id: str) -> list[Event]:
        with self._tx() as cur:
            cur.execute("SELECT seq, at, action, actor, step, data FROM events "
                        "WHERE case_id = %s ORDER BY seq", (case_id,))
            rows = cur.fetchall()
            if not rows:
                cur.execute("SELECT 1 FROM cases WHERE id = %s", (case_id,))
                if cur.fetchone() is None:
                    raise UnknownCase(case_id)
        return [Event(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    @retried
    def delivery(self, case_id: str) -> Delivery | None:
        with self._tx() as cur:
            cur.execute("SELECT id, case_id, kind, at, method, items, notice FROM deliveries "
                        "WHERE case_id = %s", (case_id,))
            row = cur.fetchone()
        if row is None:
            return None
        return decoded(case_id, lambda: Delivery(row[0], row[1], row[2], row[3], row[4],
                                                  tuple(row[5]), row[6]))

    @retried
    def case_ids(self) -> list[str]:
        with self._tx() as cur:
            cur.execute("SELECT id FROM cases ORDER BY position")
            return [r[0] for r in cur.fetchall()]

    # -- wakes ---------------------------------------------------------------------------------

    @retried
    def due_cases(self, now: datetime, limit: int = 100) -> list[str]:
        return [r[0] for r in self._fetch(
            "SELECT id FROM cases WHERE wake_at <= ? ORDER BY wake_at, id LIMIT ?", [now, limit])]

    @retried
    def claim_due(self, now: datetime, limit: int = 100,
                  lease_seconds: float | None = None) -> list[str]:
        """Cases whose wake is ``now`` or before, earliest first, each claimed for a lease
        after ``now``: another worker skips them until the lease ends or a commit moves the
        case's wake."""
        lease = self.timer_lease_seconds if lease_seconds is None else lease_seconds
        with self._tx() as cur:
            cur.execute(CLAIM_DUE, {"now": now, "until": now + timedelta(seconds=lease),
                                    "limit": limit})
            rows = cur.fetchall()
        return [r[0] for r in sorted(rows, key=lambda r: (r[1], r[0]))]

    @retried
    def wake(self, case_id: str) -> datetime | None:
        found = self._fetch("SELECT wake_at FROM cases WHERE id = ?", [case_id])
        if not found:
            raise UnknownCase(case_id)
        wake: datetime | None = found[0][0]
        return wake

    # -- outbox --------------------------------------------------------------------------------

    @retried
    def claim_outbox(self, now: datetime, limit: int = 100,
                     lease_seconds: float = 60.0) -> list[OutboxItem]:
        until = now + timedelta(seconds=lease_seconds)
        with self._tx() as cur:
            cur.execute(CLAIM_OUTBOX, {"now": now, "until": until, "limit": limit})
            rows = cur.fetchall()
        return sorted((outbox_item(r) for r in rows), key=lambda i: (i.next_attempt_at, i.id))

    @retried
    def finish_outbox(self, item_id: str, *, sent: bool, error: str = "", result: str = "",
                      retry_at: datetime | None = None) -> None:
        with self._tx() as cur:
            if sent:
                cur.execute("UPDATE outbox SET status = 'sent', attempts = attempts + 1, "
                            "claimed_until = NULL, result = %s WHERE id = %s", (result, item_id))
            else:
                cur.execute(
                    "UPDATE outbox SET status = %s, attempts = attempts + 1, "
                    "claimed_until = NULL, last_error = %s, "
                    "next_attempt_at = COALESCE(%s, next_attempt_at) WHERE id = %s",
                    ("pending" if retry_at is not None else "failed", error,
                     moment_value(retry_at) if retry_at is not None else None, item_id),
                )

    @retried
    def outbox(self, case_id: str) -> list[OutboxItem]:
        with self._tx() as cur:
            cur.execute(f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE case_id = %s "
                        'ORDER BY id COLLATE "C"', (case_id,))
            return [outbox_item(r) for r in cur.fetchall()]


