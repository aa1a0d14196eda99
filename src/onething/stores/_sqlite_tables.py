"""The SQLite store's tables: their schema, the steps that upgrade an older database, the checks
made before a file is opened or created, and how values are written in their rows."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from onething.cases.listing import Listing, utc_key
from onething.cases.records import Case, Delivery, Event, OutboxItem, case_to_json
from onething.errors import AlreadyDelivered, Conflict, StoreCorrupt, StoreUnavailable, UnknownCase
from onething.privacy.masking import mask_text
from onething.stores import _listing_changes as changes
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

#: the version of the tables this release writes; older databases are upgraded when opened

SCHEMA_VERSION = 7

#: a case's wake: when its first pending timer is due (UTC text), None when it has none
WAKE_COLUMNS = (("wake_at", "TEXT"),)


#: SQLite keeps the work items in their primary key's order (schema 7): one b-tree a write
#: touches, not a table and the index of its key
SQLITE_WORK_TABLE = WORK_TABLE + " WITHOUT ROWID"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS definitions (
    workflow_id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL,
    text TEXT NOT NULL, deployed_at TEXT NOT NULL, PRIMARY KEY (workflow_id, version));
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, workflow_version INTEGER NOT NULL,
    content_hash TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, ended INTEGER NOT NULL DEFAULT 0,
    wake_at TEXT, """ + ", ".join(f"{name} {kind}" for name, kind in CASE_COLUMNS) + """);
CREATE TABLE IF NOT EXISTS events (
    case_id TEXT NOT NULL REFERENCES cases(id), seq INTEGER NOT NULL, at TEXT NOT NULL,
    action TEXT NOT NULL, actor TEXT NOT NULL, step TEXT, data TEXT NOT NULL,
    PRIMARY KEY (case_id, seq));
CREATE INDEX IF NOT EXISTS cases_wake ON cases (wake_at) WHERE wake_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, case_id TEXT NOT NULL,
    snapshot TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    case_id TEXT NOT NULL, channel TEXT NOT NULL, payload TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
    claimed_until TEXT, last_error TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, case_id TEXT NOT NULL UNIQUE REFERENCES cases(id),
    kind TEXT NOT NULL, at TEXT NOT NULL, method TEXT, items TEXT NOT NULL,
    notice TEXT NOT NULL);
""" + SQLITE_WORK_TABLE + ";\n" + SERIALS_TABLE + ";\n" + ";\n".join(INDEXES) + ";\n" \
    + ";\n".join(STATUS_TABLES) + ";\n" + ";\n".join(COUNTS_TABLES) + ";\n"


def prepare(db: sqlite3.Connection, path: str) -> None:
    """Create the tables in an empty database, or upgrade an older one (inside the caller's
    write transaction); refuse another program's file or a newer schema."""
    tables = {r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    found = None
    if "meta" in tables:
        row = db.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        found = schema_number(row[0], path) if row else None
    if found is None and tables:
        raise StoreCorrupt(
            f"{path} is an SQLite database of another program (it has tables "
            "but no onething schema version); give onething a file of its own")
    if found is not None and found > SCHEMA_VERSION:
        raise StoreCorrupt(
            f"{path} was written by a newer onething (schema {found}); "
            f"this release reads schema {SCHEMA_VERSION}: upgrade onething")
    for version in range(found or SCHEMA_VERSION, SCHEMA_VERSION):
        UPGRADES[version](db)
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    if found is None:
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
    elif found < SCHEMA_VERSION:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                   (str(SCHEMA_VERSION),))


def check_path(path: str, create: bool) -> None:
    """Refuse, with the reason, a path SQLite could not open or should not create."""
    if path == ":memory:" or path.startswith("file:"):
        return
    if not path:
        raise StoreUnavailable("no database named: give an SQLite file or a "
                               "postgresql:// URL (--db or $ONETHING_DB)")
    target = Path(path)
    if target.is_dir():
        raise StoreUnavailable(f"{path} is a directory, not an SQLite database file")
    if not target.exists():
        if not create:
            raise StoreUnavailable(
                f"there is no database at {path}; check the path (--db or $ONETHING_DB), "
                "or create it by deploying a workflow: onething deploy FILE --db " + path)
        parent = target.parent
        if not parent.is_dir():
            raise StoreUnavailable(f"cannot create {path}: the directory {parent} does not "
                                   "exist")
        if not os.access(parent, os.W_OK):
            raise StoreUnavailable(f"cannot create {path}: the directory {parent} is not "
                                   "writable")
    elif not os.access(target, os.R_OK):
        raise StoreUnavailable(f"{path} is not readable (permissions)")


def schema_number(value: object, path: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise StoreCorrupt(f"{path} has a damaged schema version ({mask_text(str(value))[:20]!r})"
                           "; restore it from a backup") from None


class _Rows:
    """An SQLite connection as the upgrade steps read and write it."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def all(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self._db.execute(sql).fetchall())

    def run(self, sql: str, params: tuple[Any, ...]) -> None:
        self._db.execute(sql, params)

    def read_json(self, value: Any) -> Any:
        return json.loads(value)

    def write_json(self, value: Any) -> Any:
        return json_text_any(value)


#: ``UPGRADES[n]`` upgrades an open write transaction from schema ``n`` to ``n + 1``
UPGRADES: dict[int, Callable[[sqlite3.Connection], Any]] = {
    1: lambda db: upgrade_1(_Rows(db)), 2: lambda db: upgrade_2(_Rows(db)),
    3: lambda db: upgrade_3(_Rows(db)), 4: lambda db: upgrade_4(_Rows(db)),
    5: lambda db: upgrade_5(_Rows(db), WAKE_COLUMNS), 6: lambda db: _upgrade_6(db)}


def _upgrade_6(db: sqlite3.Connection) -> None:
    """Schema 6 -> 7: the partial indexes (:func:`~onething.stores._upgrades.upgrade_6`) and
    ``work_items`` copied into a table ``WITHOUT ROWID`` (its indexes go with the old one;
    the schema makes them again)."""
    upgrade_6(_Rows(db))
    db.execute(SQLITE_WORK_TABLE.replace("work_items", "work_items_new", 1))
    db.execute("INSERT INTO work_items_new SELECT * FROM work_items")
    db.execute("DROP TABLE work_items")
    db.execute("ALTER TABLE work_items_new RENAME TO work_items")


def is_busy(error: Exception) -> bool:
    """Whether SQLite refused for a lock held elsewhere (SQLITE_BUSY or SQLITE_LOCKED, with
    any extended code), i.e. "database is locked" or "database table is locked"."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)  # pragma: no cover (Python < 3.11)


SQLITE_BUSY, SQLITE_LOCKED = 5, 6


def outbox_item(row: tuple[Any, ...]) -> OutboxItem:
    """An outbox item from its row."""
    due = datetime.fromisoformat(row[7])
    return OutboxItem(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], due,
                      row[8], row[9])


def wake_text(moment: datetime | None) -> str | None:
    """A case's wake as its column holds it (None stays None)."""
    return None if moment is None else utc_text(moment)


def utc_moment(text: str | None) -> datetime | None:
    """A moment from its fixed-width UTC text (None stays None)."""
    return None if text is None else datetime.fromisoformat(text)  # reads the Z as UTC


def utc_text(moment: datetime) -> str:
    """A fixed-width UTC text, so that comparing texts compares instants (the listing's
    :func:`~onething.cases.listing.utc_key`)."""
    return utc_key(moment)


def iso_text(value: datetime | None) -> str:
    """A time as ISO text (now when missing)."""
    global _last_iso
    if value is None:
        return datetime.now().astimezone().isoformat()
    last = _last_iso  # read once: another thread may replace it
    if last[0] is not value:  # one action writes its one moment several times
        last = _last_iso = (value, value.isoformat())
    return last[1]


_last_iso: tuple[datetime | None, str] = (None, "")


def now_text() -> str:
    """Now, as ISO text with the local zone."""
    return datetime.now().astimezone().isoformat()


def insert_outbox(db: sqlite3.Connection, case: Case, outbox: Iterable[OutboxItem]) -> None:
    """A delivery's outbox rows, due at once (now when the case has no time, as iso_text
    does)."""
    for item in outbox:
        db.execute(
            "INSERT INTO outbox (id, delivery_id, case_id, channel, payload, status, "
            "attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)",
            (item.id, item.delivery_id, item.case_id, item.channel,
             json.dumps(item.payload, ensure_ascii=False),
             utc_text(item.next_attempt_at or case.updated_at or datetime.now().astimezone())))


def insert_delivery(db: sqlite3.Connection, delivery: Delivery) -> None:
    """The case's one delivery, or :class:`~onething.errors.AlreadyDelivered` (the
    deliveries' unique case) with nothing written."""
    try:
        db.execute("INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (delivery.id, delivery.case_id, delivery.kind, iso_text(delivery.at),
                    delivery.method, json.dumps(list(delivery.items)),
                    json.dumps(delivery.notice, ensure_ascii=False)))
    except sqlite3.IntegrityError:
        raise AlreadyDelivered(f"case {delivery.case_id} already has a delivery") from None


def insert_events(db: sqlite3.Connection, case_id: str, events: list[Event]) -> None:
    rows = [(case_id, e.seq, iso_text(e.at), e.action, e.actor, e.step, json_text_any(e.data))
            for e in events]
    if len(rows) == 1:  # most actions write one event; execute is cheaper than executemany
        db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", rows[0])
    else:
        db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def remember_key(db: sqlite3.Connection, case: Case, idempotency: tuple[str, str]) -> None:
    key, fingerprint = idempotency
    try:
        db.execute("INSERT INTO idempotency VALUES (?, ?, ?, ?, ?)",
                   (key, fingerprint, case.id,
                    json.dumps(case_to_json(case), ensure_ascii=False), iso_text(case.updated_at)))
    except sqlite3.IntegrityError:
        raise Conflict("this idempotency key has been used already") from None


def write_listing(db: sqlite3.Connection, case_id: str, listing: Listing | None) -> None:
    """Write the case's listing and work items (nothing without a listing)."""
    if listing is None:
        return
    rows = listed.work_rows(listing)
    db.execute(f"UPDATE cases SET {listed.SET_LISTING} WHERE id = ?",
               (*listed.listing_values(listing, rows), case_id))
    _write_work(db, case_id, True, [], rows)
    write_counts(db, listing)


_UPDATE_CASE = ("UPDATE cases SET version = ?, state = ?, updated_at = ?, ended = ?, "
                "workflow_version = ?, content_hash = ?, wake_at = ?")


def update_case(db: sqlite3.Connection, case: Case, expected_version: int, wake: str | None,
                listing: Listing | None) -> None:
    """The versioned update of the case's state and wake, with the listing columns that
    changed in the same statement (the row written once), then the work items that changed
    (:mod:`~onething.stores._listing_changes`); or :class:`~onething.errors.UnknownCase` /
    :class:`~onething.errors.Conflict` with nothing written."""
    state = (case.version, json_text(case.state()), iso_text(case.updated_at),
             int(case.ended), case.workflow_version, case.content_hash, wake)
    if listing is None:
        _versioned(db, case, expected_version, "", state)
        return
    old = db.execute(changes.READ, (case.id,)).fetchone()
    if old is None:
        raise UnknownCase(case.id)
    if old[0] != expected_version:
        raise Conflict(f"case {case.id} changed since version {expected_version}")
    rows = listed.work_rows(listing)
    values = listed.listing_values(listing, rows)
    sets, params = changes.changed_columns(old[1:], values)
    _versioned(db, case, expected_version, sets, (*state, *params))
    _write_work(db, case.id, *changes.work_changes(old[1:], values, rows))


def _write_work(db: sqlite3.Connection, case_id: str, everything: bool,
                gone: list[tuple[Any, ...]], added: list[tuple[Any, ...]]) -> None:
    """Delete the case's work items (all of them, or the keys ``gone``), then insert
    ``added``."""
    if everything:
        db.execute(listed.DELETE_WORK, (case_id,))
    elif gone:
        db.executemany(changes.DELETE_ONE, gone)
    if added:
        db.executemany(listed.INSERT_WORK, added)


def _versioned(db: sqlite3.Connection, case: Case, expected_version: int, sets: str,
               params: tuple[Any, ...]) -> None:
    """``UPDATE cases`` of the state (and the ``sets`` after it) where the case has
    ``expected_version``; :class:`~onething.errors.UnknownCase` or
    :class:`~onething.errors.Conflict` when no row has."""
    cursor = db.execute(f"{_UPDATE_CASE}{sets} WHERE id = ? AND version = ?",
                        (*params, case.id, expected_version))
    if cursor.rowcount != 1:
        if db.execute("SELECT 1 FROM cases WHERE id = ?", (case.id,)).fetchone() is None:
            raise UnknownCase(case.id)
        raise Conflict(f"case {case.id} changed since version {expected_version}")


def write_counts(db: sqlite3.Connection, listing: Listing | None) -> None:
    """Append the statistics' counts of a change (none without a listing)."""
    if listing is not None and listing.counts:
        db.executemany(ADD_COUNTS, add_rows(listing.counts))
