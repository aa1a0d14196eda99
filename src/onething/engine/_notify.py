"""Telling the outside world (issue 17): subscriptions, the status events of a case, and
handing each notification to its subscription's channel at least once — the event id as the
idempotency key, jittered back-off between attempts, a dead letter after
:data:`MAX_ATTEMPTS`, and per case and subscription strictly in order
(:mod:`onething.cases.notifications` says why). A recipient is looked up when the event is
sent; nothing is sent for an erased case (the notification is ``dropped``)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from onething.cases.notifications import Notification, Subscription
from onething.cases.records import Case
from onething.cases.status import TYPES, StatusEvent
from onething.engine._time import aware
from onething.errors import InvalidArgument
from onething.language.model import Workflow
from onething.notify.channels import EventChannel, LogChannel
from onething.privacy.masking import clip, mask_text, personal_logger
from onething.workdays import Clock

if TYPE_CHECKING:
    from onething.engine._deployments import Deployed
    from onething.stores.base import Store

log = personal_logger("onething.notify")

#: the first wait after a failed hand-over; it doubles with each attempt, up to the cap
BACKOFF = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
#: hand-overs tried before a notification is given up (a dead letter)
MAX_ATTEMPTS = 8
#: notifications claimed at a time, and how long a claim holds: ten hand-overs of a webhook
#: that answers within its 10 s timeout end well before the claim does
BATCH = 10
LEASE = timedelta(minutes=5)


def backoff(attempts: int, rng: random.Random, max_attempts: int = MAX_ATTEMPTS
            ) -> timedelta | None:
    """How long to wait after the ``attempts``-th failed hand-over (counted from 0), with
    jitter (between half and one and a half of the doubled wait, so that receivers coming back
    are not hit by every sender at once); None once ``max_attempts`` have failed."""
    if attempts + 1 >= max_attempts:
        return None
    wait: timedelta = min(BACKOFF * 2 ** attempts, BACKOFF_CAP)
    return wait * rng.uniform(0.5, 1.5)


def phone_of(case: Case, workflow: Workflow) -> str | None:
    """The applicant's phone: the first phone field the delivery reads, else the first phone
    field of the form, that has a value (None once the case is erased)."""
    if case.erased:
        return None
    phones = [f.name for f in workflow.form.fields if f.type == "phone"]
    reads = set(workflow.delivery.reads) if workflow.delivery is not None else set()
    for name in sorted(phones, key=lambda n: n not in reads):
        value = case.form.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def subscription(name: str, types: Iterable[str] = (), workflows: Iterable[str] = (),
                 departments: Iterable[str] = ()) -> Subscription:
    """A checked subscription: a name, and status event types that exist."""
    if not isinstance(name, str) or not name.strip() or len(name) > 64 or "@" in name:
        raise InvalidArgument(f"a subscription name is 1 to 64 characters without '@', not "
                              f"{clip(name, 20)!r}", "name it after its receiver: province")
    unknown = sorted(set(types) - set(TYPES))
    if unknown:
        raise InvalidArgument(f"no status event is called {', '.join(unknown)}",
                              f"one of: {', '.join(TYPES)}")
    return Subscription(name, *(tuple(sorted(set(values)))  # as kept: sorted, no repeats
                                 for values in (types, workflows, departments)))


def dispatch_events(store: Store, channels: Mapping[str, EventChannel],
                    workflow_of: Any, clock: Callable[[], datetime], limit: int = 100,
                    rng: random.Random | None = None,
                    max_attempts: int = MAX_ATTEMPTS) -> list[Notification]:
    """Hand due notifications to their subscriptions' channels (only subscriptions with a
    channel here are claimed), :data:`BATCH` at a time, each batch claimed for
    :data:`LEASE` from the moment it is claimed (``clock`` is read again for each), so the
    lease holds however slow the receivers; each failure is recorded (masked) and tried
    again later, counted from when it failed."""
    rng = rng or random.Random()
    handled: list[Notification] = []
    while len(handled) < limit:  # a case's next event is claimable once its last one is out
        claimed = store.claim_notifications(clock(), min(BATCH, limit - len(handled)),
                                            lease_seconds=LEASE.total_seconds(),
                                            subscriptions=sorted(channels))
        if not claimed:
            break
        for item in claimed:
            _hand_over(store, channels[item.subscription], item, workflow_of, clock, rng,
                       max_attempts)
        handled += claimed
    return handled


def _hand_over(store: Store, channel: EventChannel, item: Notification, workflow_of: Any,
               clock: Callable[[], datetime], rng: random.Random, max_attempts: int) -> None:
    event = item.event
    assert event is not None  # a claimed notification comes with its event
    if item.attempts > max_attempts:  # every earlier hand-over stopped its worker midway
        store.finish_notification(item.id, sent=False, claimed_until=item.claimed_until,
                                  error=f"{item.attempts - 1} hand-overs never finished "
                                        "(the worker stopped during each)")
        return
    try:
        case = store.load(item.case_id)
        if case.erased:
            store.finish_notification(item.id, sent=False, dropped=True,
                                      result="the case was erased: nothing sent",
                                      claimed_until=item.claimed_until)
            return
        recipient = phone_of(case, workflow_of(case)) \
            if getattr(channel, "needs_recipient", False) else None
        receipt = channel.send(event, recipient)
    except Exception as exc:  # a channel's failure is recorded and retried, never lost
        delay = backoff(item.attempts - 1, rng, max_attempts)
        error = mask_text(f"{type(exc).__name__}: {exc}")[:1000]
        if delay is None:
            log.warning("status event %s to %s failed %d times: a dead letter (%s)",
                        event.id, item.subscription, item.attempts, error)
        store.finish_notification(item.id, sent=False, error=error,
                                  retry_at=clock() + delay if delay is not None else None,
                                  claimed_until=item.claimed_until)
    else:
        store.finish_notification(item.id, sent=True, result=mask_text(str(receipt))[:1000],
                                  claimed_until=item.claimed_until)


class Notifying:
    """The engine's face for telling the outside world (mixed into
    :class:`~onething.engine.engine.Engine`)."""

    store: Store
    clock: Clock

    @property
    def event_channels(self) -> dict[str, EventChannel]:
        """The channels :meth:`dispatch_events` hands each subscription's events to, by
        subscription name (``log`` by default); set them as the host configures them."""
        found = self.__dict__.get("_event_channels")
        if found is None:
            found = self.__dict__["_event_channels"] = {"log": LogChannel()}
        return found

    def subscribe(self, name: str, *, types: Iterable[str] = (), workflows: Iterable[str] = (),
                  departments: Iterable[str] = ()) -> Subscription:
        """Subscribe ``name`` to the status events committed from now on that match every
        filter given (none: all); replaces a subscription of that name."""
        made = subscription(name, types, workflows, departments)
        self.store.subscribe(made)
        return made

    def unsubscribe(self, name: str) -> bool:
        """End a subscription (what it has not yet been handed stays listed)."""
        return self.store.unsubscribe(name)

    def subscriptions(self) -> list[Subscription]:
        """Every subscription."""
        return self.store.subscriptions()

    def status_events(self, case_id: str) -> list[StatusEvent]:
        """The case's status events, in order (nothing personal in them)."""
        self.store.load(case_id)  # an unknown case is UnknownCase, not an empty list
        return self.store.status_events(case_id)

    def dispatch_events(self, channels: Mapping[str, EventChannel] | None = None, *,
                        now: datetime | None = None, limit: int = 100,
                        rng: random.Random | None = None) -> list[Notification]:
        """Hand due notifications to their channels (:attr:`event_channels` unless given)."""
        fixed = aware(now)
        clock = (lambda: fixed) if fixed is not None else self.clock.now
        return dispatch_events(self.store, self.event_channels if channels is None
                               else channels, self._workflow_of, clock, limit, rng)

    def notifications(self, *, subscription: str | None = None, status: str | None = None,
                      case_id: str | None = None, limit: int = 100) -> list[Notification]:
        """Notifications matching every filter, earliest due first, each with its event and
        what holds it back."""
        return self.store.notifications(subscription=subscription, status=status,
                                        case_id=case_id, limit=limit)

    def retry_notification(self, item_id: str, *, now: datetime | None = None) -> bool:
        """Try a dead (or waiting) notification again now, its attempts counted afresh."""
        return self.store.retry_notification(item_id, self._now(now))

    def skip_notification(self, item_id: str) -> bool:
        """Give a notification up unsent, releasing the later ones of its case it held."""
        return self.store.skip_notification(item_id)

    def replay(self, name: str, *, case_id: str | None = None,
               now: datetime | None = None) -> int:
        """Hand subscription ``name`` every status event it wants again, from the first (of
        one case, or of all); how many."""
        found = {s.name: s for s in self.store.subscriptions()}.get(name)
        if found is None:
            raise InvalidArgument(f"there is no subscription {clip(name, 40)!r}",
                                  "list them: onething subscriptions")
        return self.store.replay(found, self._now(now), case_id)

    def _now(self, now: datetime | None = None) -> datetime:
        return aware(now) or self.clock.now()

    def _workflow_of(self, case: Case) -> Workflow:
        return self.deployed(case.workflow_id, case.workflow_version).workflow

    def deployed(self, workflow_id: str, version: int | None = None) -> Deployed:
        raise NotImplementedError
