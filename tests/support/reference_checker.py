"""A deliberately simple brute-force soundness explorer, written only for the tests.

It shares nothing with :mod:`onething.soundness` (nor with :mod:`onething.net.semantics`): it reads
the plain data of a :class:`~onething.net.model.Net` and plays the token game itself, slowly
and obviously, so that the real checker's verdicts, counterexample lengths and configuration
counts can be compared with an independent computation.

* A marking is a ``frozenset`` of place indices.
* Firing removes the consumed places; a cancelling transition then removes every token except
  those on bookkeeping places (roles ``closed`` and ``flag``); then the produced places are
  added. Producing into a place that still holds a token is *unsafe* (the same work twice).
* After every visible event the silent transitions are taken eagerly, the enabled one with the
  lowest index first, until none is enabled (a *stable* marking, or configuration).
* The state space is explored by plain breadth-first search over stable markings, once per
  representative form (:func:`onething.language.conditions.form_space` over every guard of the net),
  so the BFS depth of a state is the length of the shortest event sequence that reaches it.
* An event that delivers a second time, or that puts a second token on a place, is reported
  and not followed: the case is over, or its marking is no longer a set of positions.

The rules, for one form (the names are the checker's rule names):

``two-deliveries``      a delivering event is enabled where a delivery has happened
``duplicated-work``     an event (with the silent moves after it) produces into a marked place
``no-delivery``         nothing is enabled and nothing was delivered
``improper-completion`` nothing is enabled, something was delivered, work tokens remain
``activity-after-delivery`` something was delivered and some event is still enabled
``second-correction``   an enabled ``request_correction`` consumes a ``corrected`` place
``stuck``               a reachable undelivered marking from which no delivered marking can be
                        reached by events with ``escape=False`` (cooperation alone)
``dead-step``           no reachable marking (under any form) marks the ``step`` place of a step
``dead-branch``         a choice arm or a step's ``enter`` move is never taken (under any form)
                        although a sibling move on the same input was taken
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from onething.language import conditions as exprs
from onething.language.form_space import Space, cells
from onething.language.model import Workflow
from onething.net.model import PROMISED, PROMISED_FIELD, Net, PlaceRole, Transition

KEEP_ROLES = (PlaceRole.CLOSED, PlaceRole.FLAG)
ERROR_RULES = ("two-deliveries", "duplicated-work", "stuck", "no-delivery",
               "improper-completion", "activity-after-delivery", "second-correction",
               "dead-step", "dead-branch")
SETTLE_LIMIT = 10_000


class TooBig(Exception):
    """More stable markings than the caller allowed."""

Marking = frozenset


def forms_for(net: Net, workflow: Workflow | None) -> list[dict[str, Any]]:
    """One form per class of forms that the net's guards cannot tell apart."""
    guarded = [lit.condition.expr for t in net.transitions for lit in t.guard]
    if not guarded:
        return [{}]
    space: Space = workflow.form if workflow is not None else {}
    extra = {PROMISED: PROMISED_FIELD}
    if workflow is not None:  # fields steps set: their departments may choose any value
        for step in workflow.iter_steps():
            extra.update((f.name, f) for f in step.sets)
    return cells(guarded, space, extra=extra, limit=1_000_000)


class Game:
    """The token game of one net under one form."""

    def __init__(self, net: Net, form: Mapping[str, Any]) -> None:
        self.net = net
        self.form = dict(form)
        self.keep = frozenset(p.index for p in net.places if p.role in KEEP_ROLES)
        self.closed = frozenset(p.index for p in net.places if p.role is PlaceRole.CLOSED)
        self.corrected = frozenset(p.index for p in net.places if p.role is PlaceRole.CORRECTED)
        self.silent = [t for t in net.transitions if t.action is None]
        self.visible = [t for t in net.transitions if t.action is not None]

    def guard_holds(self, t: Transition) -> bool:
        return all(exprs.evaluate(lit.condition.expr, self.form) is lit.value for lit in t.guard)

    def enabled(self, marking: Marking, t: Transition) -> bool:
        return set(t.consume) <= marking and self.guard_holds(t)

    def fire_one(self, marking: Marking, t: Transition) -> tuple[Marking, bool]:
        rest = marking - set(t.consume)
        if t.cancel:
            rest = rest & self.keep
        unsafe = bool(rest & set(t.produce))
        return frozenset(rest | set(t.produce)), unsafe

    def settle(self, marking: Marking) -> tuple[Marking, bool, list[int]]:
        """Take silent moves, lowest index first, until none is enabled."""
        unsafe = False
        fired: list[int] = []
        for _ in range(SETTLE_LIMIT):
            ready = [t for t in self.silent if self.enabled(marking, t)]
            if not ready:
                return marking, unsafe, fired
            t = min(ready, key=lambda s: s.index)
            marking, clash = self.fire_one(marking, t)
            unsafe = unsafe or clash
            fired.append(t.index)
        raise RuntimeError("silent transitions do not settle")

    def start(self) -> tuple[Marking, bool, list[int]]:
        return self.settle(frozenset(self.net.initial))

    def step(self, marking: Marking, t: Transition) -> tuple[Marking, bool, list[int]]:
        """Fire a visible event, then settle; (marking, unsafe anywhere, silent fired)."""
        after, unsafe = self.fire_one(marking, t)
        settled, clash, fired = self.settle(after)
        return settled, unsafe or clash, fired

    def moves(self, marking: Marking) -> list[Transition]:
        return [t for t in self.visible if self.enabled(marking, t)]

    def delivered(self, marking: Marking) -> bool:
        return bool(marking & self.closed)

    def work(self, marking: Marking) -> frozenset[int]:
        return marking - self.keep


@dataclass
class FormResult:
    """The exploration of one form."""

    form: dict[str, Any]
    dist: dict[Marking, int] = field(default_factory=dict)
    parent: dict[Marking, tuple[Marking, int] | None] = field(default_factory=dict)
    shortest: dict[str, int] = field(default_factory=dict)
    stuck: set[Marking] = field(default_factory=set)
    fired: set[int] = field(default_factory=set)

    def found(self, rule: str, length: int) -> None:
        if rule not in self.shortest or length < self.shortest[rule]:
            self.shortest[rule] = length


@dataclass
class Result:
    """What the reference established over every form."""

    rules: dict[str, int]          # error rule -> length of its shortest counterexample
    configurations: int            # stable markings reached, summed over the forms
    per_form: list[FormResult]

    @property
    def errors(self) -> set[str]:
        return set(self.rules)

    @property
    def sound(self) -> bool:
        return not self.rules


def explore(net: Net, form: Mapping[str, Any], limit: int | None = None) -> FormResult:
    """Breadth-first search of every stable marking under one form (at most ``limit``)."""
    game = Game(net, form)
    out = FormResult(dict(form))
    start, clash, fired = game.start()
    out.fired |= set(fired)
    if clash:
        out.found("duplicated-work", 0)
    out.dist[start] = 0
    out.parent[start] = None
    cooperative_into: dict[Marking, set[Marking]] = {}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        d = out.dist[state]
        delivered = game.delivered(state)
        moves = game.moves(state)
        if delivered and moves:
            out.found("activity-after-delivery", d + 1)
        if not moves:
            if not delivered:
                out.found("no-delivery", d)
            elif game.work(state):
                out.found("improper-completion", d)
        for t in moves:
            nxt, unsafe, fired = game.step(state, t)
            out.fired.add(t.index)
            out.fired |= set(fired)
            if t.delivers is not None and delivered:
                out.found("two-deliveries", d + 1)
                continue
            if t.action == "request_correction" and set(t.consume) & game.corrected:
                out.found("second-correction", d + 1)
            if unsafe:
                out.found("duplicated-work", d + 1)
                continue
            if not t.escape:
                cooperative_into.setdefault(nxt, set()).add(state)
            if nxt not in out.dist:
                if limit is not None and len(out.dist) >= limit:
                    raise TooBig(f"more than {limit} stable markings")
                out.dist[nxt] = d + 1
                out.parent[nxt] = (state, t.index)
                queue.append(nxt)
    alive = {s for s in out.dist if game.delivered(s)}
    todo = list(alive)
    while todo:
        state = todo.pop()
        for before in cooperative_into.get(state, ()):
            if before not in alive:
                alive.add(before)
                todo.append(before)
    out.stuck = {s for s in out.dist if s not in alive and not game.delivered(s)}
    if out.stuck:
        out.found("stuck", min(out.dist[s] for s in out.stuck))
    return out


def _arm_like(net: Net, t: Transition) -> bool:
    """A choice arm, or the move that enters a step under its ``when`` (not the skip, whose
    never being taken is only the warning ``condition-always-true``, and not a fork)."""
    if t.action is not None or not t.guard:
        return False
    if any(net.places[p].role is PlaceRole.RUNNING for p in t.produce):
        return False
    if t.step is None:
        return all(net.places[p].role is PlaceRole.ENTRY for p in t.consume)
    return any(net.places[p].role is PlaceRole.STEP and net.places[p].step == t.step
               for p in t.produce)


def reference_check(net: Net, workflow: Workflow | None = None,
                    forms: Iterable[Mapping[str, Any]] | None = None,
                    limit: int | None = None) -> Result:
    """Every error rule the net breaks, with the length of its shortest counterexample."""
    chosen = forms if forms is not None else forms_for(net, workflow)
    results = [explore(net, f, limit) for f in chosen]
    rules: dict[str, int] = {}
    for r in results:
        for rule, length in r.shortest.items():
            rules[rule] = min(length, rules.get(rule, length))
    marked: set[int] = set()
    fired: set[int] = set()
    for r in results:
        fired |= r.fired
        for state in r.dist:
            marked |= state
    steps = {p.step for p in net.places if p.role is PlaceRole.STEP}
    for step in steps:
        if not any(p.index in marked for p in net.places
                   if p.role is PlaceRole.STEP and p.step == step):
            rules["dead-step"] = 0
    for t in net.transitions:
        if t.index in fired or not _arm_like(net, t):
            continue
        siblings = [o for o in net.transitions if o.action is None and o.guard
                    and o.index != t.index and set(o.consume) == set(t.consume)]
        if any(o.index in fired for o in siblings):
            rules["dead-branch"] = 0
    configurations = sum(len(r.dist) for r in results)
    return Result(rules, configurations, results)


def can_finish(net: Net, form: Mapping[str, Any], marking: Iterable[int]) -> bool:
    """Whether a delivery can be reached from ``marking`` by cooperative events alone."""
    game = Game(net, form)
    start = frozenset(marking)
    seen = {start}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        if game.delivered(state):
            return True
        for t in game.moves(state):
            if t.escape:
                continue
            nxt, unsafe, _ = game.step(state, t)
            if unsafe or nxt in seen:
                continue
            seen.add(nxt)
            queue.append(nxt)
    return False


def markings_along(net: Net, form: Mapping[str, Any],
                   transitions: Iterable[str]) -> list[Marking]:
    """The stable markings a sequence of visible events passes through (start included)."""
    game = Game(net, form)
    by_name = {t.name: t for t in net.transitions}
    marking, _, _ = game.start()
    out = [marking]
    for name in transitions:
        t = by_name[name]
        if not game.enabled(marking, t):
            raise ValueError(f"{name} is not enabled in {sorted(marking)}")
        marking, _, _ = game.step(marking, t)
        out.append(marking)
    return out


def names(net: Net, marking: Iterable[int]) -> frozenset[str]:
    return frozenset(net.places[i].name for i in marking)
