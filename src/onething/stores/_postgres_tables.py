"""The PostgreSQL store's tables: their schema, the steps that upgrade an older database, and how
rows are written and read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.types.json import Json

from onething.cases.listing import Listing
from onething.cases.records import Case, Event, OutboxItem, case_to_json
from onething.errors import Conflict, StoreCorrupt, StoreUnavailable
from onething.stores import _listing_sql as listed
from onething.stores._counts_sql import ADD as ADD_COUNTS
from onething.stores._counts_sql import TABLES as COUNTS_TABLES
from onething.stores._counts_sql import add_rows
from onething.stores._json_text import json_text, json_text_any
from onething.stores._listing_sql import (
    CASE_COLUMNS,
    INDEXES,
    SERIALS_TABLE,
    WORK_TABLE,
    for_postgres,
)
from onething.stores._status_sql import TABLES as STATUS_TABLES
from onething.stores._upgrades import (
    upgrade_1,
    upgrade_2,
    upgrade_3,
    upgrade_4,
    upgrade_5,
    upgrade_6,
)
from onething.stores.base import OUTBOX_COLUMNS

#: the version of the tables this release writes; older databases are upgraded when opened
SCHEMA_VERSION = 7

#: a case's wake (when its first pending timer is due) and a worker's claim on it
WAKE_COLUMNS = (("wake_at", "TIMESTAMPTZ"), ("wake_claimed_until", "TIMESTAMPTZ"))

#: a commit or re-plan that moves a case's wake (``%(w)s``) ends a worker's claim on it (the
#: claim was for the timers of the wake it replaced)
UNCLAIM = ("wake_claimed_until = CASE WHEN wake_at IS DISTINCT FROM %(w)s THEN NULL "
           "ELSE wake_claimed_until END")

def qualified(table: str, columns: str) -> str:
    """``columns`` (a comma-separated list) each prefixed with ``table``."""
    return ", ".join(f"{table}.{c.strip()}" for c in columns.split(","))


#: the versioned update of a case (parameters: :func:`case_values`); the listing's columns,
#: when written with it, follow the wake
UPDATE_CASE = ("UPDATE cases SET version = %(v)s, state = %(s)s, updated_at = %(u)s, "
               "ended = %(e)s, workflow_version = %(wv)s, content_hash = %(h)s, "
               f"wake_at = %(w)s, {UNCLAIM}")


def case_values(case: Case, expected_version: int, wake: datetime | None) -> dict[str, Any]:
    """The parameters of :data:`UPDATE_CASE` and its ``WHERE id = %(id)s AND version =
    %(x)s``."""
    return {"v": case.version, "s": json_value(case.state()),
            "u": moment_value(case.updated_at), "e": case.ended,
            "wv": case.workflow_version, "h": case.content_hash, "w": wake,
            "id": case.id, "x": expected_version}


#: the due cases no worker holds, earliest first, claimed for a lease (now, until, limit)
CLAIM_DUE = ("WITH due AS (SELECT id FROM cases WHERE wake_at <= %(now)s "
             "AND (wake_claimed_until IS NULL OR wake_claimed_until <= %(now)s) "
             "ORDER BY wake_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) "
             "UPDATE cases SET wake_claimed_until = %(until)s FROM due "
             "WHERE cases.id = due.id RETURNING cases.id, cases.wake_at")
#: the due outbox rows no worker holds, claimed for a lease (now, until, limit)
CLAIM_OUTBOX = ("WITH due AS (SELECT id FROM outbox WHERE status = 'pending' "
                "AND next_attempt_at <= %(now)s "
                "AND (claimed_until IS NULL OR claimed_until <= %(now)s) "
                'ORDER BY next_attempt_at, id COLLATE "C" LIMIT %(limit)s '
                "FOR UPDATE SKIP LOCKED) "
                "UPDATE outbox SET claimed_until = %(until)s FROM due WHERE outbox.id = due.id "
                f"RETURNING {qualified('outbox', OUTBOX_COLUMNS)}")

# pg_advisory_xact_lock key serializing schema creation and upgrades ("onething" in ASCII).
_SCHEMA_LOCK = 0x6F6E657468696E67

SCHEMA = """
CREATE TABLE IF NOT EXISTS definitions (
    workflow_id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL,
    text TEXT NOT NULL, deployed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, version));
CREATE TABLE IF NOT EXISTS cases (
    id TEXT COLLATE "C" PRIMARY KEY, workflow_id TEXT NOT NULL, workflow_version INTEGER NOT NULL,
    content_hash TEXT NOT NULL, version INTEGER NOT NULL, state JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
    ended BOOLEAN NOT NULL DEFAULT false,
    position BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    wake_at TIMESTAMPTZ, wake_claimed_until TIMESTAMPTZ,
    """ + for_postgres(", ".join(f"{name} {kind}" for name, kind in CASE_COLUMNS)) \
    + """);
CREATE TABLE IF NOT EXISTS events (
    case_id TEXT NOT NULL REFERENCES cases(id), seq INTEGER NOT NULL, at TIMESTAMPTZ NOT NULL,
    action TEXT NOT NULL, actor TEXT NOT NULL, step TEXT, data JSON NOT NULL,
    PRIMARY KEY (case_id, seq));
CREATE INDEX IF NOT EXISTS cases_wake ON cases (wake_at) WHERE wake_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, case_id TEXT NOT NULL,
    snapshot JSON NOT NULL, created_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, case_id TEXT NOT NULL UNIQUE REFERENCES cases(id),
    kind TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, method TEXT, items JSON NOT NULL,
    notice JSON NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    case_id TEXT NOT NULL, channel TEXT NOT NULL, payload JSON NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL, claimed_until TIMESTAMPTZ,
    last_error TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
""" + for_postgres(WORK_TABLE) + ";\n" + for_postgres(SERIALS_TABLE) + ";\n" \
    + ";\n".join(INDEXES) + ";\n" + ";\n".join(for_postgres(t) for t in STATUS_TABLES) + ";\n" \
    + ";\n".join(COUNTS_TABLES) + ";\n"


def prepare(cur: psycopg.Cursor[Any], where: str, create: bool) -> None:
    """Create the tables in a database without them (when ``create``), or upgrade an older
    schema, inside the caller's transaction; an advisory lock serialises processes that open
    at once. Refuses another program's tables and a newer schema."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
    cur.execute("SELECT to_regclass('meta') IS NOT NULL, "
                "to_regclass('cases') IS NOT NULL")
    flags = cur.fetchone()
    assert flags is not None  # a SELECT without FROM has its one row
    has_meta, has_cases = flags
    row = None
    if has_meta:
        cur.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        row = cur.fetchone()
    if row is None:
        if has_cases:
            raise StoreCorrupt(
                f"{where} holds another program's tables (a 'cases' table "
                "but no onething schema version); give onething a database or "
                "schema of its own")
        if not create:
            raise StoreUnavailable(
                f"{where} holds no onething tables yet; check the URL, or "
                "create them by deploying a workflow (onething deploy FILE --db URL)")
        cur.execute("CREATE TABLE IF NOT EXISTS meta "
                    "(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        cur.execute(SCHEMA)
        cur.execute("INSERT INTO meta VALUES ('schema_version', %s)",
                    (str(SCHEMA_VERSION),))
        return
    try:
        found = int(row[0])
    except ValueError:
        raise StoreCorrupt(f"{where} has a damaged schema version") from None
    if found > SCHEMA_VERSION:
        raise StoreCorrupt(
            f"{where} was written by a newer onething (schema {found}); "
            f"this release reads schema {SCHEMA_VERSION}: upgrade onething"
        )
    for version in range(found, SCHEMA_VERSION):
        UPGRADES[version](cur)
    if found < SCHEMA_VERSION:
        cur.execute(SCHEMA)
        cur.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'",
                    (str(SCHEMA_VERSION),))


class _Rows:
    """A PostgreSQL cursor as the upgrade steps read and write it."""

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    def all(self, sql: str) -> list[tuple[Any, ...]]:
        self._cur.execute(sql.encode())
        return list(self._cur.fetchall())

    def run(self, sql: str, params: tuple[Any, ...]) -> None:
        self._cur.execute(for_postgres(sql).encode(), params)

    def read_json(self, value: Any) -> Any:
        return value

    def write_json(self, value: Any) -> Any:
        return Json(value, dumps=json_text_any)


#: ``UPGRADES[n]`` upgrades an open transaction from schema ``n`` to ``n + 1``
UPGRADES: dict[int, Callable[[psycopg.Cursor[Any]], Any]] = {
    1: lambda cur: upgrade_1(_Rows(cur)), 2: lambda cur: _upgrade_2(cur),
    3: lambda cur: upgrade_3(_Rows(cur)), 4: lambda cur: upgrade_4(_Rows(cur)),
    5: lambda cur: upgrade_5(_Rows(cur), WAKE_COLUMNS), 6: lambda cur: upgrade_6(_Rows(cur))}


def _upgrade_2(cur: psycopg.Cursor[Any]) -> None:
    """Schema 2 -> 3: the listing columns, and case ids compared byte by byte."""
    upgrade_2(_Rows(cur))
    cur.execute('ALTER TABLE cases ALTER COLUMN id TYPE TEXT COLLATE "C"')


def json_value(value: Any) -> Json:
    return Json(value, dumps=json_text)


def moment_value(value: datetime | None) -> datetime:
    """A time to store (now when missing, as the SQLite store does)."""
    return value if value is not None else datetime.now(UTC)


def insert_outbox(cur: psycopg.Cursor[Any], case: Case, outbox: Sequence[OutboxItem]) -> None:
    """A delivery's outbox rows, due at once."""
    if outbox:
        cur.executemany(
            "INSERT INTO outbox (id, delivery_id, case_id, channel, payload, status, "
            "attempts, next_attempt_at) VALUES (%s, %s, %s, %s, %s, 'pending', 0, %s)",
            [(item.id, item.delivery_id, item.case_id, item.channel, json_value(item.payload),
              moment_value(item.next_attempt_at or case.updated_at)) for item in outbox])


def insert_events(cur: psycopg.Cursor[Any], case_id: str, events: list[Event]) -> None:
    if events:
        cur.executemany(
            "INSERT INTO events (case_id, seq, at, action, actor, step, data) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(case_id, e.seq, moment_value(e.at), e.action, e.actor, e.step,
              Json(e.data, dumps=json_text_any)) for e in events],
        )


_ADD_COUNTS = for_postgres(ADD_COUNTS)


def write_listing(cur: psycopg.Cursor[Any], case_id: str, listing: Listing | None) -> None:
    """Write the case's listing and work items (nothing without a listing)."""
    if listing is None:
        return
    rows = listed.work_rows(listing)
    cur.execute(for_postgres(f"UPDATE cases SET {listed.SET_LISTING} WHERE id = ?"),
                (*listed.listing_values(listing, rows), case_id))
    cur.execute(for_postgres(listed.DELETE_WORK), (case_id,))
    if rows:
        cur.executemany(for_postgres(listed.INSERT_WORK), rows)
    if listing.counts:
        cur.executemany(_ADD_COUNTS, add_rows(listing.counts))


def insert_case(cur: psycopg.Cursor[Any], case: Case, events: list[Event],
                wake: datetime | None, listing: Listing | None) -> None:
    try:
        cur.execute(
            "INSERT INTO cases (id, workflow_id, workflow_version, content_hash, "
            "version, state, created_at, updated_at, ended, wake_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (case.id, case.workflow_id, case.workflow_version, case.content_hash,
             case.version, json_value(case.state()), moment_value(case.created_at),
             moment_value(case.updated_at), case.ended, wake),
        )
    except pg_errors.UniqueViolation:
        raise Conflict(f"a case with id {case.id!r} exists already") from None
    insert_events(cur, case.id, events)
    write_listing(cur, case.id, listing)


def remember(cur: psycopg.Cursor[Any], case: Case, idempotency: tuple[str, str]) -> None:
    key, fingerprint = idempotency
    try:
        cur.execute(
            "INSERT INTO idempotency (key, fingerprint, case_id, snapshot, created_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            (key, fingerprint, case.id, json_value(case_to_json(case)),
             moment_value(case.updated_at)),
        )
    except pg_errors.UniqueViolation:
        raise Conflict("this idempotency key has been used already") from None


def outbox_item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                      row[9])


def fetch_all(conn: psycopg.Connection[Any], sql: str, params: Sequence[Any]) -> list[Any]:
    """The rows of one read: outside a transaction in one round trip (the connection is in
    autocommit: a statement is its own transaction), inside a batch's transaction there."""
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return conn.execute(for_postgres(sql).encode(), params).fetchall()
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(for_postgres(sql).encode(), params)
        return cur.fetchall()


def status_runner(cur: psycopg.Cursor[Any]) -> tuple[Any, Any]:
    """A cursor as :mod:`onething.stores._status_sql` runs statements and reads rows."""
    def run(sql: str, params: Sequence[Any]) -> Any:
        return cur.execute(for_postgres(sql).encode(), params)

    return run, lambda sql, params: run(sql, params).fetchall()
