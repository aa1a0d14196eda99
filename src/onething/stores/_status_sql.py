"""The SQL both databases run for status events (:mod:`onething.cases.status`), subscriptions
and notifications (:mod:`onething.cases.notifications`): the tables, writing a change's status
events with a notification for each subscription that wants one (in the change's own
transaction), and claiming, finishing, listing, retrying and replaying notifications.
Placeholders are ``?``; the PostgreSQL store turns them into ``%s``. Moments are stored as
:func:`~onething.cases.listing.utc_key` texts, so both databases order them alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from onething.cases.listing import moment_of, utc_key
from onething.cases.notifications import Notification, Subscription, notification_id
from onething.cases.status import StatusEvent
from onething.stores._json_text import json_text
from onething.workdays.clock import SHANGHAI

TABLES = (
    """CREATE TABLE IF NOT EXISTS status_events (
    case_id TEXT NOT NULL REFERENCES cases(id), seq INTEGER NOT NULL, at TEXT NOT NULL,
    type TEXT NOT NULL, code INTEGER, workflow_id TEXT NOT NULL,
    workflow_version INTEGER NOT NULL, step TEXT, department TEXT, data TEXT NOT NULL,
    source_seq INTEGER, PRIMARY KEY (case_id, seq))""",
    """CREATE TABLE IF NOT EXISTS subscriptions (
    name TEXT PRIMARY KEY, types TEXT NOT NULL, workflows TEXT NOT NULL,
    departments TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS notifications (
    id TEXT PRIMARY KEY, subscription TEXT NOT NULL, case_id TEXT NOT NULL,
    seq INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL, claimed_until TEXT, last_error TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '', FOREIGN KEY (case_id, seq) REFERENCES
    status_events (case_id, seq))""",
    "CREATE INDEX IF NOT EXISTS notifications_due ON notifications (status, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS notifications_order ON notifications "
    "(subscription, case_id, seq)",
    "CREATE INDEX IF NOT EXISTS notifications_case ON notifications (case_id, seq)",
)

STATUS_COLUMNS = ("case_id, seq, at, type, code, workflow_id, workflow_version, step, "
                  "department, data, source_seq")
NOTIFICATION_COLUMNS = ("n.id, n.subscription, n.case_id, n.seq, n.status, n.attempts, "
                        "n.next_attempt_at, n.last_error, n.result")
_EVENT = ", ".join(f"e.{c.strip()}" for c in STATUS_COLUMNS.split(","))

Run = Callable[[str, Sequence[Any]], Any]
Rows = Callable[[str, Sequence[Any]], list[Sequence[Any]]]


def status_row(event: StatusEvent) -> tuple[Any, ...]:
    """The ``status_events`` row of ``event``."""
    return (event.case_id, event.seq, utc_key(event.at), event.type, event.code,
            event.workflow_id, event.workflow_version, event.step, event.department,
            json_text(event.data), event.source)


def status_event(row: Sequence[Any]) -> StatusEvent:
    """A status event from a row of :data:`STATUS_COLUMNS`."""
    at = moment_of(row[2])
    assert at is not None
    return StatusEvent(row[0], row[1], at.astimezone(SHANGHAI), row[3], row[4], row[5], row[6],
                       row[7], row[8], json.loads(row[9]), row[10])


def subscription_of(row: Sequence[Any]) -> Subscription:
    """A subscription from its row (name, types, workflows, departments)."""
    return Subscription(row[0], *(tuple(json.loads(v)) for v in row[1:4]))


def subscription_row(subscription: Subscription) -> tuple[Any, ...]:
    """The row of ``subscription``."""
    return (subscription.name, json_text(list(subscription.types)),
            json_text(list(subscription.workflows)), json_text(list(subscription.departments)))


def write_status(run: Run, rows: Rows, events: Sequence[StatusEvent]) -> None:
    """Write a change's status events, and a notification of each to every subscription that
    wants it (inside the change's transaction)."""
    if not events:
        return
    for event in events:
        run(f"INSERT INTO status_events ({STATUS_COLUMNS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", status_row(event))
    subscriptions = [subscription_of(r) for r in rows(
        "SELECT name, types, workflows, departments FROM subscriptions", ())]
    for event in events:
        for subscription in subscriptions:
            if subscription.wants(event):
                run("INSERT INTO notifications (id, subscription, case_id, seq, status, "
                    "next_attempt_at) VALUES (?, ?, ?, ?, 'pending', ?)",
                    (notification_id(event, subscription.name), subscription.name,
                     event.case_id, event.seq, utc_key(event.at)))


#: an earlier notification of the same case to the same subscription not yet out of the way
_EARLIER = ("SELECT min(x.id) FROM notifications x WHERE x.subscription = n.subscription "
            "AND x.case_id = n.case_id AND x.seq < n.seq AND x.status IN ('pending', 'dead')")


#: the dead letter that holds a notification back (the earliest, if several)
_DEAD_BEFORE = _EARLIER.replace("IN ('pending', 'dead')", "= 'dead'")


def claimable(now: datetime, subscriptions: Sequence[str] | None,
              limit: int) -> tuple[str, list[Any]]:
    """The pending notifications due at ``now`` (of the ``subscriptions`` named, when given)
    that no earlier one of their case holds back, earliest first."""
    key = utc_key(now)
    only, names_given = "", list(subscriptions or ())
    if subscriptions is not None:
        only = f"AND n.subscription IN ({', '.join('?' * len(names_given)) or 'NULL'}) "
    return (f"SELECT {NOTIFICATION_COLUMNS}, {_EVENT} FROM notifications n "
            "JOIN status_events e ON e.case_id = n.case_id AND e.seq = n.seq "
            "WHERE n.status = 'pending' AND n.next_attempt_at <= ? "
            f"AND (n.claimed_until IS NULL OR n.claimed_until <= ?) {only}"
            f"AND NOT EXISTS ({_EARLIER.replace('min(x.id)', '1')}) "
            "ORDER BY n.next_attempt_at, n.case_id, n.seq, n.id LIMIT ?",
            [key, key, *names_given, limit])


def listed(subscription: str | None, status: str | None, case_id: str | None,
           limit: int) -> tuple[str, list[Any]]:
    """Notifications matching every filter given, each with its event and the dead letter
    that holds it back (if any), oldest first."""
    where, params = [], []
    for column, value in (("n.subscription", subscription), ("n.status", status),
                          ("n.case_id", case_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    return (f"SELECT {NOTIFICATION_COLUMNS}, {_EVENT}, "
            f"CASE WHEN n.status = 'pending' THEN ({_DEAD_BEFORE}) END FROM notifications n "
            "JOIN status_events e ON e.case_id = n.case_id AND e.seq = n.seq "
            f"{condition}ORDER BY n.next_attempt_at, n.case_id, n.seq, n.id LIMIT ?",
            [*params, limit])


def notification(row: Sequence[Any]) -> Notification:
    """A notification from a row of :data:`NOTIFICATION_COLUMNS`, its event's columns and,
    optionally, what holds it back."""
    event = status_event(row[9:20])
    due = moment_of(row[6])
    return Notification(row[0], row[1], row[2], row[3], row[4], row[5],
                        due.astimezone(SHANGHAI) if due is not None else None, row[7], row[8],
                        event, row[20] if len(row) > 20 else None)


def finish(sent: bool, dropped: bool, retry_at: datetime | None) -> tuple[str, str | None]:
    """The new status of a hand-over's notification, and when it is tried again."""
    if sent:
        return "sent", None
    if dropped:
        return "dropped", None
    if retry_at is None:
        return "dead", None
    return "pending", utc_key(retry_at)


FINISH = ("UPDATE notifications SET status = ?, claimed_until = NULL, "
          "last_error = CASE WHEN ? = '' THEN last_error ELSE ? END, result = ?, "
          "next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ? AND status = 'pending'")
#: what :data:`FINISH` adds for a hand-over made under a claim: the claim must still be its
FINISH_CLAIMED = " AND claimed_until = ?"


def finish_params(item_id: str, status: str, retry: str | None, error: str, result: str,
                  claimed_until: datetime | None = None) -> tuple[Any, ...]:
    """The parameters of :data:`FINISH` (and of :data:`FINISH_CLAIMED` with a claim)."""
    claim = (utc_key(claimed_until),) if claimed_until is not None else ()
    return (status, error, error, result, retry, item_id, *claim)


RETRY = ("UPDATE notifications SET status = 'pending', next_attempt_at = ?, attempts = 0, "
         "claimed_until = NULL WHERE id = ? AND status IN ('dead', 'pending')")
SKIP = ("UPDATE notifications SET status = 'skipped', claimed_until = NULL "
        "WHERE id = ? AND status IN ('dead', 'pending')")


def replay(run: Run, rows: Rows, subscription: Subscription, now: datetime,
           case_id: str | None) -> int:
    """Hand ``subscription`` every status event it wants again (of one case, or of all),
    from the first: rows it has are made pending again, rows it lacks (a subscription made
    after the events) are made. Returns how many."""
    where, params = ("WHERE case_id = ? ", [case_id]) if case_id is not None else ("", [])
    count = 0
    key = utc_key(now)
    for row in rows(f"SELECT {STATUS_COLUMNS} FROM status_events {where}"
                    "ORDER BY case_id, seq", params):
        event = status_event(row)
        if not subscription.wants(event):
            continue
        ident = notification_id(event, subscription.name)
        run("DELETE FROM notifications WHERE id = ?", (ident,))
        run("INSERT INTO notifications (id, subscription, case_id, seq, status, "
            "next_attempt_at) VALUES (?, ?, ?, ?, 'pending', ?)",
            (ident, subscription.name, event.case_id, event.seq, key))
        count += 1
    return count


def events_of(rows: Callable[[str, list[Any]], list[Sequence[Any]]],
              case_id: str) -> list[StatusEvent]:
    """Every status event of a case, in order."""
    return [status_event(r) for r in rows(
        f"SELECT {STATUS_COLUMNS} FROM status_events WHERE case_id = ? ORDER BY seq",
        [case_id])]
