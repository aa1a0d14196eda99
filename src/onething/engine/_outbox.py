"""Handing deliveries to the outside world: channels and the outbox they drain.

The delivery row and its outbox rows commit with the case's final state; a dispatcher later
hands each outbox row to its channel (post, SMS, electronic licence, ...) at least once, with
the delivery's id as the idempotency key, and records the outcome. A failed hand-over is
retried with growing delays, then given up and left visible as ``failed``.

An outbox payload holds the delivery's id, kind, method, items and title: never a form value.
A channel that needs the applicant's address or phone reads it from the case record when it
sends. The ``onething.dispatch`` log masks identity and phone numbers
(:class:`~onething.language.values.MaskingFilter`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from onething.cases.records import Case, Delivery, OutboxItem
from onething.privacy.masking import mask_text, personal_logger

if TYPE_CHECKING:
    from onething.stores.base import Store

log = personal_logger("onething.dispatch")

#: which channel carries a delivery made by each method
CHANNEL_OF_METHOD = {"mail": "post", "window": "window", "electronic": "electronic"}
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=12))


class Channel(Protocol):
    """Something that carries a delivery out; ``send`` must drop a repeated delivery id."""

    def send(self, item: OutboxItem) -> str:
        """Hand ``item`` over; return a receipt. Raise to have it retried later."""


class LoggingChannel:
    """The default channel: writes the hand-over to the log (no personal data)."""

    def send(self, item: OutboxItem) -> str:
        log.info("delivery %s of case %s via %s: %s", item.delivery_id, item.case_id,
                 item.channel, item.payload.get("kind"))
        return f"logged:{item.delivery_id}"


def outbox_for(delivery: Delivery) -> list[OutboxItem]:
    """The outbox rows of a delivery (one per channel it needs)."""
    channel = CHANNEL_OF_METHOD.get(delivery.method or "window", "window")
    payload = {"delivery": delivery.id, "kind": delivery.kind, "method": delivery.method,
               "items": list(delivery.items), "title": delivery.notice.get("title", "")}
    log.debug("delivery %s of case %s (%s) queued for the %s channel", delivery.id,
              delivery.case_id, delivery.kind, channel)
    return [OutboxItem(f"{delivery.id}:{channel}", delivery.id, delivery.case_id, channel,
                       payload, next_attempt_at=delivery.at)]


#: the outbox channel that carries a child case's delivery to its parent (子流程)
PARENT_CHANNEL = "parent"


def parent_outbox(case: Case, delivery: Delivery) -> list[OutboxItem]:
    """The outbox row that carries a child case's delivery to its parent, which the
    ``parent`` channel settles (none for a case that is nobody's child)."""
    if case.origin is None or case.parent_step is None:
        return []
    return [OutboxItem(f"{delivery.id}:{PARENT_CHANNEL}", delivery.id, case.id, PARENT_CHANNEL,
                       {"parent": case.origin, "step": case.parent_step, "kind": delivery.kind},
                       next_attempt_at=delivery.at)]


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after ``attempts`` failed hand-overs (None: give up)."""
    delay = BACKOFF[attempts] if attempts < len(BACKOFF) else None
    if delay is None:
        log.warning("a delivery failed %d hand-overs: given up, left as failed", attempts + 1)
    else:
        log.info("a delivery hand-over failed (attempt %d): retried in %s", attempts + 1, delay)
    return delay


def dispatch(store: Store, channels: Mapping[str, Channel], now: datetime,
             limit: int = 100) -> list[OutboxItem]:
    """Hand due deliveries to their channels (at least once, keyed by the delivery id); a
    channel's failure is recorded (masked) and retried later, never lost."""
    handled = []
    for item in store.claim_outbox(now, limit):
        channel = channels.get(item.channel) or channels.get("*") or LoggingChannel()
        try:
            receipt = channel.send(item)
        except Exception as exc:  # a channel's failure is recorded and retried, never lost
            delay = retry_delay(item.attempts)
            store.finish_outbox(item.id, sent=False,
                                error=mask_text(f"{type(exc).__name__}: {exc}")[:1000],
                                retry_at=now + delay if delay else None)
        else:
            store.finish_outbox(item.id, sent=True, result=mask_text(str(receipt))[:1000])
        handled.append(item)
    return handled
