"""The PostgreSQL store's common commit as one statement: one round trip, its own transaction.

An action that creates no case and carries no idempotency key (every action of a case but
the submission, unless its caller gives a key) writes the case's new state and listing, its
events, its work items, its statistics' counts, its status events with their notifications,
and - the one delivery - the delivery with its outbox. Sent one statement at
a time, that was about ten round trips to the server (BEGIN, each write, the subscriptions
read, COMMIT); here it is one statement of data-modifying ``WITH`` parts, each reading the
versioned ``UPDATE`` of the case, so that a version conflict writes nothing at all, run
outside any transaction (the connection is in autocommit: the statement is its transaction).
Each kind of row travels as one JSON array of arrays (``json_array_elements``), so the text
is the same for every action and the server keeps its plan, and the client encodes one text
per kind of row instead of psycopg adapting one list per column (and with fewer than psycopg's
50 parameters, the statement's placeholders are converted once, not on every call). Inside a
batch's transaction the commit is written one statement at a time as before (its savepoint
keeps a refused action from spoiling the batch).

The rows are exactly those :func:`~onething.stores._postgres_tables.insert_events`,
:func:`~onething.stores._postgres_tables.write_listing` (with the counts) and
:func:`~onething.stores._status_sql.write_status` write; a notification goes to every
subscription whose lists are empty or hold the event's type, workflow and department, as
:meth:`onething.cases.notifications.Subscription.wants` decides (tests/stores/
test_postgres_commit.py: both ways write the same rows after every action; random
subscriptions get exactly what ``wants`` gives them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn

import psycopg
from psycopg import errors as pg_errors

from onething.cases.listing import Listing
from onething.cases.records import Case, Delivery, Event, OutboxItem
from onething.cases.status import StatusEvent
from onething.errors import AlreadyDelivered, Conflict, UnknownCase
from onething.stores import _listing_sql as listed
from onething.stores._counts_sql import add_rows
from onething.stores._json_text import json_text, json_text_any, json_text_with
from onething.stores._postgres_tables import (
    UPDATE_CASE,
    case_values,
    moment_value,
)
from onething.stores._status_sql import STATUS_COLUMNS, status_row

_LISTING = list(listed.LISTING_NAMES)
_WORK = [c.strip() for c in listed.WORK_COLUMNS.split(",")][1:]  # after case_id
_WORK_TYPES = ["text", "text", "text", "text", "int", "text", "text", "text", "int", "int"]
_STATUS = [c.strip() for c in STATUS_COLUMNS.split(",")][1:]  # after case_id
#: the statistics' counts a change appends (:data:`onething.stores._counts_sql.ADD`)
_COUNTS = ["measure", "workflow", "department", "step", "day", "week", "kind", "days", "flags",
           "n"]
_COUNT_TYPES = ["text"] * 7 + ["int", "int", "bigint"]
_DELIVERY_TYPES = ["text", "text", "timestamptz", "text", "json", "json"]
_OUTBOX_TYPES = ["text", "text", "text", "text", "json", "timestamptz"]
_STATUS_TYPES = ["int", "text", "text", "int", "text", "int", "text", "text", "text", "int"]


def _rows(prefix: str, types: list[str]) -> str:
    """The values of the rows of parameter ``prefix`` (a JSON array of arrays, one per row),
    each element cast to its column's type, and the rows they come from (``r``)."""
    values = ", ".join(f"r->>{i}" if kind == "text" else f"(r->>{i})::{kind}"
                       for i, kind in enumerate(types))
    return f"{values} FROM c, json_array_elements(%({prefix})s::json) r"


#: rows as one JSON text for :func:`_rows` (times as ISO 8601 text with their offset)
_ROWS = json_text_with(datetime.isoformat)


def _wanted(column: str, value: str) -> str:
    """A subscription's list is empty (any value) or holds ``value``."""
    return f"(b.{column}::jsonb = '[]'::jsonb OR b.{column}::jsonb ? {value})"


COMMIT_ONE = (
    f"WITH c AS ({UPDATE_CASE}, "
    + ", ".join(f"{name} = %(l{i})s" for i, name in enumerate(_LISTING))
    + ", listed = 1 WHERE id = %(id)s AND version = %(x)s RETURNING id), "
    "ev AS (INSERT INTO events (case_id, seq, at, action, actor, step, data) SELECT c.id, "
    + _rows("ev", ["int", "timestamptz", "text", "text", "text", "json"]) + "), "
    # the work items the case no longer has go; those it has are written over
    "gone AS (DELETE FROM work_items w USING c WHERE w.case_id = c.id AND (w.step, "
    "w.department) NOT IN (SELECT r->>0, r->>1 FROM json_array_elements(%(wk)s::json) r)), "
    f"wk AS (INSERT INTO work_items ({listed.WORK_COLUMNS}) SELECT c.id, "
    + _rows("wk", _WORK_TYPES)
    + " ON CONFLICT (case_id, step, department) DO UPDATE SET "
    + ", ".join(f"{name} = EXCLUDED.{name}" for name in _WORK[2:]) + "), "
    f"st AS (INSERT INTO status_events ({STATUS_COLUMNS}) SELECT c.id, "
    + _rows("st", _STATUS_TYPES) + "), "
    "nt AS (INSERT INTO notifications (id, subscription, case_id, seq, status, "
    "next_attempt_at) SELECT c.id || '/' || (r->>0) || '@' || b.name, b.name, c.id, "
    "(r->>0)::int, 'pending', r->>1 FROM c, json_array_elements(%(st)s::json) r "
    "JOIN subscriptions b ON " + " AND ".join(
        _wanted(column, f"(r->>{at})") for column, at in (
            ("types", _STATUS.index("type")), ("workflows", _STATUS.index("workflow_id")),
            ("departments", _STATUS.index("department")))) + "), "
    # a delivery and its outbox (none for most actions): a second delivery of the case
    # breaks the deliveries' unique case and nothing of the statement is written
    "dl AS (INSERT INTO deliveries (case_id, id, kind, at, method, items, notice) SELECT c.id, "
    + _rows("dl", _DELIVERY_TYPES) + "), "
    "ob AS (INSERT INTO outbox (status, attempts, id, delivery_id, case_id, channel, payload, "
    "next_attempt_at) SELECT 'pending', 0, " + _rows("ob", _OUTBOX_TYPES) + "), "
    "ct AS (INSERT INTO stats_counts (merged, " + ", ".join(_COUNTS) + ") SELECT 0, "
    + _rows("ct", _COUNT_TYPES) + ") "
    "SELECT count(*) FROM c"
)


def fits(**rest: Any) -> bool:
    """Whether a commit can be written by :data:`COMMIT_ONE`: it carries nothing of ``rest``
    (its new cases and idempotency key)."""
    return not any(rest.values())


def commit_one(conn: psycopg.Connection[Any], case: Case, expected_version: int,
               events: list[Event], wake: datetime | None, listing: Listing,
               status: Sequence[StatusEvent], delivery: Delivery | None = None,
               outbox: Sequence[OutboxItem] = ()) -> bool:
    """Write a commit that :func:`fits` with :data:`COMMIT_ONE` (True), unless ``conn`` is
    inside a transaction (a batch's: False, nothing written; the caller writes it one
    statement at a time, as a savepoint of that transaction). Raises
    :class:`~onething.errors.UnknownCase`, :class:`~onething.errors.Conflict` or
    :class:`~onething.errors.AlreadyDelivered` as the sequential commit does; nothing is
    written then."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    given = params(case, expected_version, events, wake, listing, status, delivery, outbox)
    try:
        written = conn.execute(COMMIT_ONE, given).fetchone()
    except pg_errors.UniqueViolation as exc:
        if exc.diag.table_name != "deliveries":
            raise
        raise AlreadyDelivered(f"case {case.id} already has a delivery") from None
    if written is not None and written[0] == 1:
        return True
    with conn.cursor() as cur:
        refuse(cur, case.id, expected_version)


def refuse(cur: psycopg.Cursor[Any], case_id: str, expected_version: int) -> NoReturn:
    """Why a versioned update of the case matched no row: there is no such case, or it
    changed since ``expected_version``."""
    if cur.execute("SELECT 1 FROM cases WHERE id = %s", (case_id,)).fetchone() is None:
        raise UnknownCase(case_id)
    raise Conflict(f"case {case_id} changed since version {expected_version}")


def params(case: Case, expected_version: int, events: list[Event], wake: datetime | None,
           listing: Listing, status: Sequence[StatusEvent], delivery: Delivery | None = None,
           outbox: Sequence[OutboxItem] = ()) -> dict[str, Any]:
    """The parameters of :data:`COMMIT_ONE` for one commit."""
    out = case_values(case, expected_version, wake)
    rows = listed.work_rows(listing)
    out.update((f"l{i}", value) for i, value in enumerate(listed.listing_values(listing, rows)))
    out["ev"] = _ROWS([[e.seq, moment_value(e.at), e.action, e.actor, e.step,
                        json_text_any(e.data)] for e in events])
    out["wk"] = _ROWS([row[1:] for row in rows])
    out["ct"] = _ROWS(add_rows(listing.counts))
    out["st"] = _ROWS([status_row(event)[1:] for event in status])
    out["dl"] = _ROWS([] if delivery is None else [[
        delivery.id, delivery.kind, delivery.at, delivery.method, json_text(list(delivery.items)),
        json_text(delivery.notice)]])
    out["ob"] = _ROWS([[item.id, item.delivery_id, item.case_id, item.channel,
                        json_text(item.payload),
                        moment_value(item.next_attempt_at or case.updated_at)] for item in outbox])
    return out
