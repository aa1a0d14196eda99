"""The case net: the one semantics that the checker explores and the runtime executes.

A workflow compiles to a 1-safe Petri net. Places are positions a case can be in (a step
awaiting its department, a correction awaiting the applicant, a parallel block running, ...).
Transitions are the events: department outcomes, applicant and window actions, timers, and
silent (``tau``) moves - forks, joins, choice arms - which the engine takes on its own right
after every action. A transition may *cancel* (remove every other token: the case ends) and
may *deliver* (one of ``result``, ``refusal``, ``withdrawal``, ``termination``).
Flag places (one-shot correction, material promises) are bookkeeping, not work.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

import attrs

from onething.spec.location import UNKNOWN, Location
from onething.spec.model import Condition


class Role(str, Enum):
    """What a place stands for; decides how the checker and renderers treat it."""

    INTAKE = "intake"
    STEP = "step"
    CORRECTION = "correction"
    SPECIAL = "special"
    ENTRY = "entry"
    RUNNING = "running"
    BRANCH_DONE = "branch_done"
    READY = "ready"
    OPEN = "open"
    CLOSED = "closed"
    FLAG = "flag"
    MATERIALS = "materials"


#: places whose tokens are bookkeeping: they remain when a case ends, and cancelling keeps them
BOOKKEEPING = frozenset({Role.FLAG, Role.CLOSED})


class Actor(str, Enum):
    """Who performs a transition."""

    WINDOW = "window"
    DEPARTMENT = "department"
    APPLICANT = "applicant"
    TIMER = "timer"
    ENGINE = "engine"


class DeliveryKind(str, Enum):
    """The four kinds of the one delivery that ends every case."""

    RESULT = "result"
    REFUSAL = "refusal"
    WITHDRAWAL = "withdrawal"
    TERMINATION = "termination"


@attrs.frozen
class Place:
    """A position; ``step`` names the step it belongs to, if any."""

    index: int
    name: str
    role: Role
    step: str | None = None
    location: Location = UNKNOWN


@attrs.frozen
class Literal:
    """One conjunct of a guard: ``condition`` must evaluate to ``value``."""

    condition: Condition
    value: bool


@attrs.frozen
class Transition:
    """An event of the net (visible when ``action`` is set, silent otherwise)."""

    index: int
    name: str
    action: str | None
    actor: Actor
    consume: tuple[int, ...]
    produce: tuple[int, ...]
    step: str | None = None
    cancel: bool = False
    delivers: DeliveryKind | None = None
    guard: tuple[Literal, ...] = ()
    rewrites: frozenset[str] = frozenset()
    escape: bool = False
    location: Location = UNKNOWN

    @property
    def silent(self) -> bool:
        return self.action is None

    @property
    def label(self) -> str:
        """The event as a person reads it: ``approve registration``, ``withdraw``."""
        if self.action is None:
            return f"({self.name})"
        return f"{self.action} {self.step}" if self.step else self.action


@attrs.frozen
class Net:
    """Places, transitions and the initial marking of one workflow version."""

    name: str
    places: tuple[Place, ...]
    transitions: tuple[Transition, ...]
    initial: frozenset[int]
    source: str = ""

    def place(self, name: str) -> Place:
        for place in self.places:
            if place.name == name:
                return place
        raise KeyError(name)

    def transition(self, name: str) -> Transition:
        for transition in self.transitions:
            if transition.name == name:
                return transition
        raise KeyError(name)

    def names(self, places: Iterable[int]) -> list[str]:
        return [self.places[i].name for i in sorted(places)]

    @property
    def work_mask(self) -> int:
        """Bitmask of places whose tokens are work (not bookkeeping)."""
        mask = 0
        for place in self.places:
            if place.role not in BOOKKEEPING:
                mask |= 1 << place.index
        return mask

    def with_transitions(self, transitions: Iterable[Transition]) -> Net:
        """A copy with its transitions replaced (renumbered in order)."""
        renumbered = tuple(attrs.evolve(t, index=i) for i, t in enumerate(transitions))
        return attrs.evolve(self, transitions=renumbered)
