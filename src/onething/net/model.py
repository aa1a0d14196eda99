"""The case net: the one semantics that the checker explores and the runtime executes.

A workflow compiles to a 1-safe Petri net. Places are positions a case can be in (a step
awaiting its department, a correction awaiting the applicant, a parallel block running, ...).
Transitions are the events: department outcomes, applicant and window actions, timers, and
silent (``tau``) moves - forks, joins, choice arms - which the engine takes on its own right
after every action. A transition may *cancel* (remove every other token: the case ends) and
may *deliver* (one of ``result``, ``refusal``, ``withdrawal``, ``termination``).
A step's positions record whether its one correction (一次告知) has been used in the current
visit, so a step holds exactly one token and no flags outlive it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

import attrs

from onething.language.conditions.nodes import Truth
from onething.language.location import UNKNOWN, Location
from onething.language.model import Condition, Field


class PlaceRole(StrEnum):
    """What a place stands for; decides how the checker and renderers treat it."""

    INTAKE = "intake"
    #: the window's one notice of every missing item at intake (一次性告知) awaits the answer
    INTAKE_CORRECTION = "intake_correction"
    #: the notice is answered: the window accepts or refuses, and may not ask again
    INTAKE_CORRECTED = "intake_corrected"
    STEP = "step"
    CORRECTED = "corrected"
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
BOOKKEEPING = frozenset({PlaceRole.FLAG, PlaceRole.CLOSED})
#: places where a step awaits its department (fresh, or after its one correction)
PENDING = frozenset({PlaceRole.STEP, PlaceRole.CORRECTED})
#: every place that belongs to one step
STEP_ROLES = frozenset({PlaceRole.STEP, PlaceRole.CORRECTED, PlaceRole.CORRECTION,
                        PlaceRole.SPECIAL})


class Performer(StrEnum):
    """Who performs a transition."""

    WINDOW = "window"
    DEPARTMENT = "department"
    APPLICANT = "applicant"
    TIMER = "timer"
    ENGINE = "engine"
    #: the deliveries of the child cases a step opened (子流程) decide it
    CHILDREN = "children"


class DeliveryKind(StrEnum):
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
    role: PlaceRole
    step: str | None = None
    location: Location = UNKNOWN


#: a fact of every case beside its form: materials were promised at submission (容缺). The
#: window's acceptance and the timer's deemed acceptance read it, so both take the same
#: variant; the proof treats it as one more bool of the form (no form field can be named so)
PROMISED = "materials.promised"


#: the condition the acceptance variants are guarded by
PROMISE = Condition("materials promised (容缺)", Truth(PROMISED))


#: how the proof sees the fact: a bool that is always given
PROMISED_FIELD = Field(PROMISED, "bool", required=True)


def case_facts(form: Mapping[str, object], promised: bool) -> dict[str, object]:
    """What a case's guards read: its clean form and :data:`PROMISED`."""
    return {**form, PROMISED: promised}


@attrs.frozen
class GuardLiteral:
    """One conjunct of a guard: ``condition`` must evaluate to ``value``."""

    condition: Condition
    value: bool


@attrs.frozen
class Transition:
    """An event of the net (visible when ``action`` is set, silent otherwise)."""

    index: int
    name: str
    action: str | None
    actor: Performer
    consume: tuple[int, ...]
    produce: tuple[int, ...]
    step: str | None = None
    cancel: bool = False
    delivers: DeliveryKind | None = None
    guard: tuple[GuardLiteral, ...] = ()
    rewrites: frozenset[str] = frozenset()
    escape: bool = False
    location: Location = UNKNOWN
    #: a send-back (退回重审): the step of the block before it that is done again
    to: str | None = None
    # ``escape``: ends the case without the applicant's cooperation (a withdrawal, a refusal,
    # a timer); the proof of "never stuck" must not lean on these.

    @property
    def silent(self) -> bool:
        """Whether nobody fires it: the net moves on by itself (a join, a skip)."""
        return self.action is None

    @property
    def label(self) -> str:
        """The event as a person reads it: ``approve registration``, ``withdraw``."""
        if self.action is None:
            return f"({self.name})"
        if self.to is not None:
            return f"{self.action} {self.step} to {self.to}"
        return f"{self.action} {self.step}" if self.step else self.action


@attrs.frozen
class ParallelBlock:
    """Where a parallel block sits in the net: its fork, join and branch ends.

    The checker does not take this on trust: it verifies that the branches really are
    isolated before it checks them one by one (see :mod:`onething.soundness.regions`).
    """

    name: str
    entry: int
    running: int
    fork: int
    join: int
    starts: tuple[int, ...]
    dones: tuple[int, ...]
    location: Location = UNKNOWN


@attrs.frozen
class Net:
    """Places, transitions and the initial marking of one workflow version."""

    name: str
    places: tuple[Place, ...]
    transitions: tuple[Transition, ...]
    initial: frozenset[int]
    source: str = ""
    blocks: tuple[ParallelBlock, ...] = ()

    def place(self, name: str) -> Place:
        """The place called ``name`` (``KeyError`` if there is none)."""
        for place in self.places:
            if place.name == name:
                return place
        raise KeyError(name)

    def transition(self, name: str) -> Transition:
        """The transition called ``name`` (``KeyError`` if there is none)."""
        for transition in self.transitions:
            if transition.name == name:
                return transition
        raise KeyError(name)

    def names(self, places: Iterable[int]) -> list[str]:
        """The names of the places with these indices, in index order."""
        return [self.places[i].name for i in sorted(places)]

