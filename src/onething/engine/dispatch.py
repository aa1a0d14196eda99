"""Handing deliveries to the outside world: channels and the outbox they drain.

The delivery row and its outbox rows commit with the case's final state; a dispatcher later
hands each outbox row to its channel (post, SMS, electronic licence, ...) at least once, with
the delivery's id as the idempotency key, and records the outcome. A failed hand-over is
retried with growing delays, then given up and left visible as ``failed``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from onething.engine.records import Delivery, OutboxItem

log = logging.getLogger("onething.dispatch")

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
    return [OutboxItem(f"{delivery.id}:{channel}", delivery.id, delivery.case_id, channel,
                       payload, next_attempt_at=delivery.at)]


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after ``attempts`` failed hand-overs (None: give up)."""
    return BACKOFF[attempts] if attempts < len(BACKOFF) else None
