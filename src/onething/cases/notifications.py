"""Who is told what: subscriptions to status events, and the hand-over of each event to each
subscription that wants it (a notification), with its attempts.

A subscription names the channel the dispatcher hands its events to (a webhook, SMS, the log)
and filters them by event type, workflow and department (an empty filter takes all). When a
change commits, every subscription whose filters match one of its status events gets a
notification row in the same transaction, so nothing a commit said is lost. The row holds no
payload: the event is read when it is sent, and a recipient (the applicant's phone) is looked
up then, so nothing personal sits in the outbox and nothing is sent for an erased case.

Order, not liveness, per case and subscription: a notification is handed over only once every
earlier one of the same case to the same subscription has been sent (or skipped by an
operator). A dead-lettered one therefore holds back that case's later events for that
subscription — and only those — until it is retried or skipped: a provincial platform that got
办结 before 补正结束, or an applicant who got "accepted" after "granted", would be told
something false, while a held-back case is visible (``onething outbox``) and one command away
from moving again.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from onething.cases.status import StatusEvent

#: a notification's states: waiting to be handed over (maybe held back behind an earlier one),
#: handed over, given up after its attempts (dead letter), skipped by an operator, or dropped
#: without sending (its case was erased)
STATES = ("pending", "sent", "dead", "skipped", "dropped")


@attrs.frozen
class Subscription:
    """Who gets which status events: ``name`` is the channel the dispatcher uses for them;
    ``types``, ``workflows`` and ``departments`` filter (empty: every one)."""

    name: str
    types: tuple[str, ...] = ()
    workflows: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    def wants(self, event: StatusEvent) -> bool:
        """Whether this subscription takes ``event``."""
        return ((not self.types or event.type in self.types)
                and (not self.workflows or event.workflow_id in self.workflows)
                and (not self.departments or event.department in self.departments))


@attrs.frozen
class Notification:
    """One status event to hand to one subscription: its id is the event's id and the
    subscription's name; ``held_by`` names the dead letter it waits behind, if any."""

    id: str
    subscription: str
    case_id: str
    seq: int
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    result: str = ""
    event: StatusEvent | None = None
    held_by: str | None = None
    #: until when the claim that returned it holds (what its finish names: a claim that ran
    #: out and was taken by another worker cannot overwrite that worker's result)
    claimed_until: datetime | None = None


def notification_id(event: StatusEvent, subscription: str) -> str:
    """The id of ``event``'s notification to ``subscription``."""
    return f"{event.id}@{subscription}"
