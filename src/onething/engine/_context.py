"""What the engine's private modules need from the engine (a protocol, so that they do not
import the facade that imports them)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from onething.cases.records import Case
    from onething.cases.rules import People
    from onething.engine._deployments import Deployed
    from onething.engine._outbox import Channel
    from onething.language.model import Workflow
    from onething.stores.base import Store
    from onething.workdays.calendar import WorkCalendar
    from onething.workdays.clock import Clock


class EngineContext(Protocol):
    """The engine as its private modules see it: its store, clock, calendar, the people
    behind actions and its deployed versions."""

    store: Store
    clock: Clock
    calendar: WorkCalendar
    channels: dict[str, Channel]
    new_id: Callable[..., str]

    @property
    def people(self) -> People:
        """How the engine writes down and recognises the people behind actions."""
        ...

    def deploy(self, workflow: Workflow | str | Path) -> Deployed:
        """Prove, compile and record a workflow version."""
        ...

    def deployed(self, workflow_id: str, version: int | None = None) -> Deployed:
        """A deployed version (the latest when ``version`` is None)."""
        ...

    def batch(self) -> AbstractContextManager[Any]:
        """Group commit: the writes inside are one transaction."""
        ...

    def recount(self) -> int:
        """Make the statistics' counts again from every case."""
        ...

    def child_delivered(self, child: Case, now: datetime) -> None:
        """A child case (子流程) has delivered: settle its parent's step."""
        ...


