"""What the schema upgrades do to records, whatever the database (shared by the SQLite and
PostgreSQL stores, which each run it inside the upgrade's one transaction).

Schema 1 -> 2 (issue 12, "nothing leaked"):

* idempotency keys are kept as their SHA-256 digest (``sha256:<hex>``), never as given;
* actor texts of applicants and agents become pseudonyms. The upgrade cannot know the host's
  pseudonym key, so it records an unkeyed one (``legacy.<hash of the id>``); the engine
  recognises an applicant against it (:func:`onething.privacy.pseudonyms.legacy_pseudonym`);
* every case records its applicant (the actor that submitted it, when that was an applicant)
  and its agents the same way;
* identity and phone numbers in any other actor text or event data are masked.

Schema 2 -> 3 (issue 16, "the people at the window"): the columns and the ``work_items`` table
queues and search read (:mod:`onething.stores._listing_sql`). The upgrade cannot list the
cases (a listing needs each case's workflow and the calendar): it leaves them unlisted, and
the engine lists them before it first answers a queue or search
(:meth:`onething.Engine.reindex`).

Schema 3 -> 4 (issue 16, a page of cases read from its rows alone): ``cases.waiting``, the
case's work items as a case list shows them, filled from ``work_items`` for every listed case
(a case still unlisted is given it when the engine lists it).

Schema 4 -> 5 (issue 19, statistics): the ``stats_counts`` table
(:mod:`onething.stores._counts_sql`), created empty with the schema and marked stale: the
counts cannot be made in SQL (they need each case's workflow and the calendar), so the engine
makes them from the cases and their status events before it first answers a report
(:meth:`onething.Engine.recount`).

Schema 5 -> 6 (issue 20, timers derived): a case keeps only its *wake*, when its first pending
timer is due (``cases.wake_at``, indexed; PostgreSQL adds the claim a worker holds on it),
instead of a row per pending timer; the timers are planned from the case when it is due
(docs/decisions/0026-timers-derived.md). The wake is the earliest of the case's timer rows,
and the ``timers`` table is dropped.

Schema 6 -> 7 (issue 20, fewer pages a commit: docs/decisions/0034): the indexes of the
officers' own queues and of the alerts hold only the work items they list (an item someone
holds; an item with a limit), so they are dropped here and made again, partial, by the
schema; SQLite keeps ``work_items`` ``WITHOUT ROWID`` (its rows in its primary key), a table
the SQLite store copies its rows into.
"""


from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol

from onething.privacy.masking import mask_text
from onething.privacy.pseudonyms import legacy_pseudonym
from onething.stores._counts_sql import STALE, STALE_KEY
from onething.stores._listing_sql import (
    CASE_LISTING_COLUMNS,
    WAITING_COLUMN,
    WORK_COLUMNS,
    WORK_TABLE,
    waiting_text,
)

_PEOPLE = ("applicant:", "agent:")


def key_digest(key: str) -> str:
    """How schema 2 stores an idempotency key."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def actor_text(text: str) -> str:
    """A schema-1 actor text as schema 2 writes it."""
    for prefix in _PEOPLE:
        if text.startswith(prefix):
            return prefix + legacy_pseudonym(text[len(prefix):])
    return mask_text(text)


def event_data(action: str, data: Any) -> Any:
    """A schema-1 event's data as schema 2 writes it."""
    if action == "agent_authorized" and isinstance(data, dict) and "agent" in data:
        data = {**data, "agent": legacy_pseudonym(str(data["agent"]))}
        return {k: (v if k == "agent" else _masked(v)) for k, v in data.items()}
    return _masked(data)


def case_state(state: dict[str, Any], submitted_by: str | None) -> dict[str, Any]:
    """A schema-1 case state as schema 2 writes it: its applicant and agents as pseudonyms."""
    out = dict(state)
    applicant = ""
    if submitted_by and submitted_by.startswith("applicant:"):
        applicant = legacy_pseudonym(submitted_by[len("applicant:"):])
    out["applicant"] = applicant
    out["agents"] = [legacy_pseudonym(str(a)) for a in state.get("agents", [])]
    return out


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


class Rows(Protocol):
    """The few things an upgrade step needs from a database, inside its transaction (SQL with
    ``?`` placeholders; JSON columns read and written the database's way)."""

    def all(self, sql: str) -> list[tuple[Any, ...]]:
        """Every row ``sql`` selects."""
        ...

    def run(self, sql: str, params: tuple[Any, ...]) -> None:
        """Execute ``sql`` with ``params``."""
        ...

    def read_json(self, value: Any) -> Any:
        """A JSON column's value as Python data."""
        ...

    def write_json(self, value: Any) -> Any:
        """Python data as a JSON column's value."""
        ...


def upgrade_1(rows: Rows) -> None:
    """Schema 1 -> 2 (see the module docstring)."""
    submitted = dict(rows.all("SELECT case_id, actor FROM events "
                              "WHERE seq = 1 AND action = 'submit'"))
    for case_id, state in rows.all("SELECT id, state FROM cases"):
        new = case_state(rows.read_json(state), submitted.get(case_id))
        rows.run("UPDATE cases SET state = ? WHERE id = ?", (rows.write_json(new), case_id))
    for key, case_id, snapshot in rows.all("SELECT key, case_id, snapshot FROM idempotency"):
        data = rows.read_json(snapshot)
        data.update(case_state(data, submitted.get(case_id)))
        rows.run("UPDATE idempotency SET key = ?, snapshot = ? WHERE key = ?",
                 (key_digest(key), rows.write_json(data), key))
    for case_id, seq, action, actor, data in rows.all(
            "SELECT case_id, seq, action, actor, data FROM events"):
        rows.run("UPDATE events SET actor = ?, data = ? WHERE case_id = ? AND seq = ?",
                 (actor_text(actor), rows.write_json(event_data(action, rows.read_json(data))),
                  case_id, seq))
    for item_id, error in rows.all("SELECT id, last_error FROM outbox"):
        rows.run("UPDATE outbox SET last_error = ? WHERE id = ?", (mask_text(error), item_id))


def upgrade_2(rows: Rows) -> None:
    """Schema 2 -> 3 (see the module docstring): every case unlisted until the engine lists
    it; the table and indexes come with the schema."""
    for name, kind in CASE_LISTING_COLUMNS:
        rows.run(f"ALTER TABLE cases ADD COLUMN {name} {kind}", ())


def upgrade_3(rows: Rows) -> None:
    """Schema 3 -> 4 (see the module docstring)."""
    rows.run(f"ALTER TABLE cases ADD COLUMN {WAITING_COLUMN[0]} {WAITING_COLUMN[1]}", ())
    rows.run(WORK_TABLE, ())  # not there yet when the upgrade began at schema 1 or 2
    work: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows.all(f"SELECT {WORK_COLUMNS} FROM work_items"):
        work.setdefault(row[0], []).append(row)
    for case_id, items in work.items():
        rows.run("UPDATE cases SET waiting = ? WHERE id = ?", (waiting_text(items), case_id))
    rows.run("UPDATE cases SET waiting = '[]' WHERE listed = 1 AND waiting IS NULL", ())


def upgrade_4(rows: Rows) -> None:
    """Schema 4 -> 5 (see the module docstring): the counts marked stale; the table comes with
    the schema."""
    rows.run("INSERT INTO meta (key, value) VALUES (?, ?)", (STALE_KEY, STALE))


def upgrade_5(rows: Rows, columns: Sequence[tuple[str, str]]) -> None:
    """Schema 5 -> 6 (see the module docstring): ``columns`` are the store's wake columns,
    the first the wake itself."""
    for name, kind in columns:
        rows.run(f"ALTER TABLE cases ADD COLUMN {name} {kind}", ())
    rows.run(f"UPDATE cases SET {columns[0][0]} = (SELECT MIN(timers.due_at) FROM timers "
             "WHERE timers.case_id = cases.id)", ())
    rows.run("DROP TABLE timers", ())


#: the indexes schema 7 makes partial (dropped by :func:`upgrade_6`, made again by the schema)
PARTIAL_INDEXES = ("work_assignee", "work_alerts", "work_alerts_all")


def upgrade_6(rows: Rows) -> None:
    """Schema 6 -> 7 (see the module docstring): drop the indexes the schema makes again
    partial."""
    for name in PARTIAL_INDEXES:
        rows.run(f"DROP INDEX IF EXISTS {name}", ())
