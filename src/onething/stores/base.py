"""The Store port: what the engine needs from persistence, whatever the database."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from onething.engine.records import Case, Delivery, Event
from onething.engine.timers import Timer


class Store(Protocol):
    """Persistence for definitions, cases, history and the one delivery per case.

    ``commit`` is atomic: the case's new state, its new events and (at the end) its delivery
    are written together or not at all. It raises :class:`~onething.engine.errors.Conflict`
    when the stored case is no longer at ``expected_version``, and
    :class:`~onething.engine.errors.AlreadyDelivered` when the case already has a delivery.
    """

    def put_definition(self, workflow_id: str, version: int, content_hash: str,
                       text: str) -> None:
        """Record a deployed definition; refuse a different content under the same version."""

    def get_definition(self, workflow_id: str, version: int) -> tuple[str, str] | None:
        """``(content_hash, text)`` of a deployed definition, or None."""

    def latest_version(self, workflow_id: str) -> int | None:
        """The highest deployed version of a workflow, or None."""

    def create(self, case: Case, events: list[Event],
               timers: list[Timer] | None = None) -> None:
        """Store a new case with its first events and pending timers."""

    def load(self, case_id: str) -> Case:
        """The case; :class:`~onething.engine.errors.UnknownCase` if there is none."""

    def commit(self, case: Case, expected_version: int, events: list[Event],
               delivery: Delivery | None = None, timers: list[Timer] | None = None) -> None:
        """Write the case's new state, events, delivery and (re-planned) timers at once."""

    def history(self, case_id: str) -> list[Event]:
        """Every event of the case, in order."""

    def delivery(self, case_id: str) -> Delivery | None:
        """The case's delivery, if it has one."""

    def due_timers(self, now: datetime, limit: int = 100) -> list[Timer]:
        """Pending timers due at ``now`` or before, earliest first."""

    def timers(self, case_id: str) -> list[Timer]:
        """The case's pending timers."""

    def case_ids(self) -> list[str]:
        """Every case id, oldest first."""

    def close(self) -> None:
        """Release connections."""
