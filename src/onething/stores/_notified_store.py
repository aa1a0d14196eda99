"""Status events, subscriptions and notifications as the two databases keep them: one
implementation over the SQL of :mod:`onething.stores._status_sql`, for any store that can run
a write transaction (``_status_tx``, giving a statement runner and a row reader) and retry
it (``_retrying``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from onething.cases.listing import moment_of, utc_key
from onething.cases.notifications import Notification, Subscription
from onething.cases.status import StatusEvent
from onething.stores import _status_sql as sql
from onething.stores._sql_hooks import SqlHooks
from onething.stores.base import retried


class NotifiedStore(SqlHooks):
    """The notification half of a database store (see the module docstring)."""

    #: what a claim adds so that concurrent workers skip rows another has claimed
    #: (PostgreSQL: ``FOR UPDATE OF n SKIP LOCKED``; SQLite has one writer at a time)
    _claim_lock = ""

    @retried
    def status_events(self, case_id: str) -> list[StatusEvent]:
        return sql.events_of(self._fetch, case_id)

    @retried
    def subscribe(self, subscription: Subscription) -> None:
        with self._status_tx() as (run, _):
            run("DELETE FROM subscriptions WHERE name = ?", (subscription.name,))
            run("INSERT INTO subscriptions (name, types, workflows, departments) "
                "VALUES (?, ?, ?, ?)", sql.subscription_row(subscription))

    @retried
    def unsubscribe(self, name: str) -> bool:
        with self._status_tx() as (run, rows):
            found = rows("SELECT 1 FROM subscriptions WHERE name = ?", (name,))
            run("DELETE FROM subscriptions WHERE name = ?", (name,))
            return bool(found)

    @retried
    def subscriptions(self) -> list[Subscription]:
        return [sql.subscription_of(r) for r in self._fetch(
            "SELECT name, types, workflows, departments FROM subscriptions ORDER BY name", [])]

    @retried
    def claim_notifications(self, now: datetime, limit: int = 100,
                            lease_seconds: float = 60.0,
                            subscriptions: Sequence[str] | None = None) -> list[Notification]:
        until = utc_key(now + timedelta(seconds=lease_seconds))
        query, params = sql.claimable(now, subscriptions, limit)
        with self._status_tx() as (run, rows):
            found = [sql.notification(r) for r in rows(query + self._claim_lock, params)]
            for item in found:  # an attempt counts when it begins: a worker killed in a
                run("UPDATE notifications SET claimed_until = ?, attempts = attempts + 1 "
                    "WHERE id = ?", (until, item.id))  # hand-over has made one
        held = moment_of(until)
        return [attrs.evolve(item, claimed_until=held, attempts=item.attempts + 1)
                for item in found]

    @retried
    def finish_notification(self, item_id: str, *, sent: bool, error: str = "",
                            result: str = "", retry_at: datetime | None = None,
                            dropped: bool = False,
                            claimed_until: datetime | None = None) -> None:
        status, retry = sql.finish(sent, dropped, retry_at)
        statement = sql.FINISH + (sql.FINISH_CLAIMED if claimed_until is not None else "")
        with self._status_tx() as (run, _):
            run(statement, sql.finish_params(item_id, status, retry, error, result,
                                             claimed_until=claimed_until))

    @retried
    def notifications(self, *, subscription: str | None = None, status: str | None = None,
                      case_id: str | None = None, limit: int = 100) -> list[Notification]:
        query, params = sql.listed(subscription, status, case_id, limit)
        return [sql.notification(r) for r in self._fetch(query, params)]

    @retried
    def retry_notification(self, item_id: str, now: datetime) -> bool:
        with self._status_tx() as (run, rows):
            if not rows("SELECT 1 FROM notifications WHERE id = ? AND status IN "
                        "('dead', 'pending')", (item_id,)):
                return False
            run(sql.RETRY, (utc_key(now), item_id))
            return True

    @retried
    def skip_notification(self, item_id: str) -> bool:
        with self._status_tx() as (run, rows):
            if not rows("SELECT 1 FROM notifications WHERE id = ? AND status IN "
                        "('dead', 'pending')", (item_id,)):
                return False
            run(sql.SKIP, (item_id,))
            return True

    @retried
    def replay(self, subscription: Subscription, now: datetime,
               case_id: str | None = None) -> int:
        with self._status_tx() as (run, rows):
            return sql.replay(run, rows, subscription, now, case_id)

