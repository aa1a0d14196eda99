"""What exploring one scope of a case net finds: moves, states, the findings with their paths,
and the shared state budget (:mod:`onething.soundness.explore` does the exploring)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, TypeAlias

import attrs

from onething.net.model import DeliveryKind, Transition
from onething.soundness.report import Rule

Guard = Callable[[Transition], bool]
#: a move inside a scope: ("t", transition index) | ("done", region) | ("end", region, key);
#: a block a send-back started again carries where each branch started: ("done", region,
#: starts) | ("end", region, key, starts)
Move: TypeAlias = (tuple[Literal["t"], int] | tuple[Literal["done"], str]
                   | tuple[Literal["done"], str, tuple[int, ...]]
                   | tuple[Literal["end"], str, tuple[str, bool]]
                   | tuple[Literal["end"], str, tuple[str, bool], tuple[int, ...]])
#: a block entered in a scope: its name, and where a send-back started its branches (None:
#: forked, each branch from its start)
Started: TypeAlias = tuple[str, tuple[int, ...] | None]
#: what a move does: (transition or None, escape, delivery kind or None, unsafe, silent
#: transitions fired, blocks forked or started again)
MoveInfo: TypeAlias = tuple[int | None, bool, DeliveryKind | None, bool, set[int],
                            list[Started]]
#: a configuration of a scope: the places that hold a token (a frozenset hashes once and stays
#: as small as the case's few tokens, however many places the net has)
State: TypeAlias = frozenset[int]
#: a move from a state: (move, next state, its cost, what it does)
Successor: TypeAlias = tuple[Move, State, int, MoveInfo]


class BudgetExceeded(Exception):
    """The exploration would visit more states than the configured budget."""


@attrs.define
class Budget:
    """A shared state counter across all scopes of one check."""

    limit: int
    used: int = 0

    def spend(self, n: int = 1) -> None:
        """Count ``states`` more visited states; raise when the budget is exceeded."""
        self.used += n
        if self.used > self.limit:
            raise BudgetExceeded(f"state budget exceeded: more than {self.limit:,} states")


@attrs.frozen
class Ender:
    """A way a branch can end the whole case: the delivery it makes and how to get there."""

    kind: DeliveryKind
    escape: bool
    cost: int
    path: tuple[Move, ...]


@attrs.frozen
class Found:
    """A violation inside a scope, with the scope-local path to it."""

    rule: Rule
    message: str
    transition: int | None
    path: tuple[Move, ...]
    marking: State
    cost: int
    deliveries: int = 0
    place: int | None = None
    moved: bool = False  # the path ends with the violating move; ``marking`` is before it
    #: the form values chosen on the way (:class:`~onething.soundness.choices.LazyChoices`)
    chosen: frozenset[int] = frozenset()


@attrs.define
class ScopeResult:
    """What one scope's exploration established."""

    states: int = 0
    configurations: int = 0
    goal_cost: int | None = None
    goal_path: tuple[Move, ...] = ()
    enders: dict[tuple[str, bool], Ender] = attrs.field(factory=dict)
    found: list[tuple[Found, tuple[Move, ...], int]] = attrs.field(factory=list)
    marked: set[int] = attrs.field(factory=set)
    fired: set[int] = attrs.field(factory=set)
    outcomes: dict[str, int] = attrs.field(factory=dict)
    #: a branch's configurations (states before the case ends), to tell whether a block
    #: started again stands for configurations its first run already stood for
    reached: set[State] = attrs.field(factory=set)


@attrs.define
class BranchMemo:
    """Branch explorations shared by every form that agrees on what the branch reads: a
    branch's guards read only its own fields, so forms that differ elsewhere explore it alike
    (the form space is decomposed by which blocks read which fields)."""

    reads: dict[tuple[str, int], tuple[str, ...]]
    results: dict[tuple[object, ...], ScopeResult] = attrs.field(factory=dict)

    def key(self, name: str, index: int, form: Mapping[str, object]) -> tuple[object, ...]:
        """What identifies the branch's exploration under ``form``."""
        return (name, index, *(repr(form.get(f)) for f in self.reads[(name, index)]))
