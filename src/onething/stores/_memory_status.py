"""Status events, subscriptions and notifications in memory
(:class:`onething.stores.memory.MemoryStore`): the same contract as the databases'
(:mod:`onething.stores._status_sql`), kept in dictionaries; every change goes through the
store's batch journal (``_touch``), so a rolled-back batch leaves none of it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from onething.cases.notifications import Notification, Subscription, notification_id
from onething.cases.status import StatusEvent

_OPEN = ("pending", "dead")


class MemoryNotified:
    """The notification half of the memory store."""

    _lock: threading.RLock

    _journal: list[Any] | None

    def _touch(self, table: dict[Any, Any], key: Any) -> None:
        raise NotImplementedError

    def _init_status(self) -> None:
        self._status: dict[str, list[StatusEvent]] = {}
        self._subscriptions: dict[str, Subscription] = {}
        self._notifications: dict[str, Notification] = {}
        self._note_claims: dict[str, datetime] = {}

    def _write_status(self, events: Sequence[StatusEvent]) -> None:
        for event in events:
            if self._journal is not None:  # in a batch: it keeps a copy of the list
                self._touch(self._status, event.case_id)
            held = self._status.get(event.case_id)
            if held is None:
                self._status[event.case_id] = [event]
            else:
                held.append(event)
            for subscription in self._subscriptions.values():
                if subscription.wants(event):
                    self._put(Notification(notification_id(event, subscription.name),
                                           subscription.name, event.case_id, event.seq,
                                           next_attempt_at=event.at))

    def _put(self, item: Notification) -> None:
        self._touch(self._notifications, item.id)
        self._notifications[item.id] = item

    def status_events(self, case_id: str) -> list[StatusEvent]:
        with self._lock:
            return list(self._status.get(case_id, ()))

    def subscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._touch(self._subscriptions, subscription.name)
            self._subscriptions[subscription.name] = subscription

    def unsubscribe(self, name: str) -> bool:
        with self._lock:
            self._touch(self._subscriptions, name)
            return self._subscriptions.pop(name, None) is not None

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return [self._subscriptions[k] for k in sorted(self._subscriptions)]

    def _event(self, item: Notification) -> StatusEvent:
        return self._status[item.case_id][item.seq - 1]

    def _held_by(self, item: Notification, blocking: tuple[str, ...] = _OPEN) -> str | None:
        earlier = [n for n in self._notifications.values()
                   if n.subscription == item.subscription and n.case_id == item.case_id
                   and n.seq < item.seq and n.status in blocking]
        return min((n.id for n in earlier), default=None)

    def _order(self, item: Notification) -> tuple[Any, ...]:
        return (item.next_attempt_at, item.case_id, item.seq, item.id)

    def claim_notifications(self, now: datetime, limit: int = 100,
                            lease_seconds: float = 60.0,
                            subscriptions: Sequence[str] | None = None) -> list[Notification]:
        with self._lock:
            found = sorted((n for n in self._notifications.values()
                            if n.status == "pending" and n.next_attempt_at is not None
                            and (subscriptions is None or n.subscription in subscriptions)
                            and n.next_attempt_at <= now
                            and self._note_claims.get(n.id, now) <= now
                            and self._held_by(n) is None), key=self._order)[:limit]
            until = now + timedelta(seconds=lease_seconds)
            for item in found:  # an attempt counts when it begins
                self._note_claims[item.id] = until
                self._put(attrs.evolve(item, attempts=item.attempts + 1))
            return [attrs.evolve(self._notifications[n.id], event=self._event(n),
                                 claimed_until=until) for n in found]

    def finish_notification(self, item_id: str, *, sent: bool, error: str = "",
                            result: str = "", retry_at: datetime | None = None,
                            dropped: bool = False,
                            claimed_until: datetime | None = None) -> None:
        with self._lock:
            item = self._notifications[item_id]
            if item.status != "pending" or (claimed_until is not None and
                                            self._note_claims.get(item_id) != claimed_until):
                return  # finished already, or claimed again by another worker
            self._note_claims.pop(item_id, None)
            status = "sent" if sent else "dropped" if dropped else \
                "pending" if retry_at is not None else "dead"
            self._put(attrs.evolve(
                item, status=status, last_error=error or item.last_error, result=result,
                next_attempt_at=retry_at if status == "pending" else item.next_attempt_at))

    def notifications(self, *, subscription: str | None = None, status: str | None = None,
                      case_id: str | None = None, limit: int = 100) -> list[Notification]:
        with self._lock:
            found = sorted((n for n in self._notifications.values()
                            if (subscription is None or n.subscription == subscription)
                            and (status is None or n.status == status)
                            and (case_id is None or n.case_id == case_id)),
                           key=self._order)[:limit]
            return [attrs.evolve(n, event=self._event(n),
                                 held_by=self._held_by(n, ("dead",))
                                 if n.status == "pending" else None)
                    for n in found]

    def retry_notification(self, item_id: str, now: datetime) -> bool:
        with self._lock:
            item = self._notifications.get(item_id)
            if item is None or item.status not in _OPEN:
                return False
            self._note_claims.pop(item_id, None)
            self._put(attrs.evolve(item, status="pending", attempts=0, next_attempt_at=now))
            return True

    def skip_notification(self, item_id: str) -> bool:
        with self._lock:
            item = self._notifications.get(item_id)
            if item is None or item.status not in _OPEN:
                return False
            self._note_claims.pop(item_id, None)
            self._put(attrs.evolve(item, status="skipped"))
            return True

    def replay(self, subscription: Subscription, now: datetime,
               case_id: str | None = None) -> int:
        with self._lock:
            count = 0
            for case in sorted(self._status) if case_id is None else [case_id]:
                for event in self._status.get(case, ()):
                    if subscription.wants(event):
                        ident = notification_id(event, subscription.name)
                        self._note_claims.pop(ident, None)
                        self._put(Notification(ident, subscription.name, event.case_id,
                                               event.seq, next_attempt_at=now))
                        count += 1
            return count
