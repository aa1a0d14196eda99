"""Random workflows that are sound by construction, and the mistakes the tests put into them.

:func:`workflows` is a hypothesis strategy for small workflows (nested sequences, parallel
blocks of 2-4 branches, choices, ``when`` steps, optional steps and ``goto`` jumps) built so
that every one of them is sound:

* conditions range over an int field ``x`` and an enum field ``kind``; the generator tracks
  which forms can reach each point (a finite set of representative ``(x, kind)`` pairs), so
  every ``when`` holds for some form that gets there, every choice arm is taken by some form,
  and every choice has a live ``otherwise`` (its arms are exhaustive);
* a jump stays inside its own parallel branch scope; an ``approve`` jump goes forward only,
  and only from an optional step (whose refusal keeps the skipped steps reachable); a
  ``refuse`` jump may go anywhere in its scope (a loop, but the case can still be approved
  the next time round). Backward ``approve`` jumps make loops without exit: never generated.

Workflows are plain data (:class:`Wf`), rendered to YAML by :func:`render`, so that the tests
can also rename departments, permute parallel branches and inject mistakes at the YAML level
(:data:`YAML_MUTATIONS`). :data:`NET_MUTATIONS` inject the mistakes the language cannot express
into the case net built from a workflow; the catalogue tests use the same operators.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import attrs
import yaml
from hypothesis import strategies as st

from onething.language import conditions as exprs
from onething.language.model import Condition
from onething.net.model import (
    DeliveryKind,
    GuardLiteral,
    Net,
    ParallelBlock,
    Performer,
    Place,
    PlaceRole,
    Transition,
)

KINDS = ("a", "b", "c")
POINTS = frozenset((x, k) for x in range(-1, 11) for k in KINDS)
DEPARTMENTS = ("d0", "d1", "d2", "d3")

# -- conditions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cond:
    """A condition's text and the representative forms ``(x, kind)`` where it holds."""

    text: str
    sat: frozenset

    def __and__(self, other: Cond) -> Cond:
        return Cond(f"({self.text}) and ({other.text})", self.sat & other.sat)

    def __or__(self, other: Cond) -> Cond:
        return Cond(f"({self.text}) or ({other.text})", self.sat | other.sat)


_OPS: dict[str, Callable[[int, int], bool]] = {
    ">": lambda a, b: a > b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


def _atoms() -> list[Cond]:
    out = []
    for c in range(0, 10, 2):
        for op, f in _OPS.items():
            out.append(Cond(f"x {op} {c}", frozenset(p for p in POINTS if f(p[0], c))))
    for k in KINDS:
        out.append(Cond(f"kind == '{k}'", frozenset(p for p in POINTS if p[1] == k)))
        out.append(Cond(f"kind != '{k}'", frozenset(p for p in POINTS if p[1] != k)))
    for pair in itertools.combinations(KINDS, 2):
        inside = ", ".join(f"'{k}'" for k in pair)
        out.append(Cond(f"kind in [{inside}]", frozenset(p for p in POINTS if p[1] in pair)))
    return out


ATOMS = _atoms()
NEVER = Cond("x > 5 and x < 3", frozenset())

# -- the workflow as data ---------------------------------------------------------------------


@dataclass
class S:
    """A step."""

    id: str
    department: str
    optional: bool = False
    when: Cond | None = None
    goto: dict[str, str] = field(default_factory=dict)
    commitment: bool = False
    silence: bool = False
    sign_off: bool = False  # signed by its department and another (need: any)
    #: 退回重审 into the block right before it: (steps it may send back to, keep | redo)
    send_back: tuple[list[str], str] | None = None
    #: decisions of its own (``outcomes:``): name -> the step it goes to (None: what follows)
    outcomes: dict[str, str | None] = field(default_factory=dict)
    #: decided item by item over the optional list ``items`` (skipped when it is empty)
    foreach: bool = False
    #: opens child cases of the workflow ``child`` (子流程), waiting for this: result or
    #: delivery (see :data:`CHILD`)
    opens: str | None = None


@dataclass
class P:
    """A parallel block: every branch is a list of blocks."""

    branches: list[list[Any]]
    together: bool = False  # corrections: together (one notice for the block)


@dataclass
class C:
    """A choice: ``(condition, body)`` arms, then ``otherwise`` (None: no such arm)."""

    arms: list[tuple[Cond, list[Any]]]
    otherwise: list[Any] | None


@dataclass
class Wf:
    steps: list[Any]
    name: str = "gen"
    #: ``kind`` is not the applicant's but set by a first step (``sets:``) before anything
    setter: bool = False


def iter_blocks(seq: list[Any]) -> Iterator[Any]:
    for block in seq:
        yield block
        if isinstance(block, P):
            for branch in block.branches:
                yield from iter_blocks(branch)
        elif isinstance(block, C):
            for _, body in block.arms:
                yield from iter_blocks(body)
            if block.otherwise is not None:
                yield from iter_blocks(block.otherwise)


def steps_of(seq: list[Any]) -> list[S]:
    return [b for b in iter_blocks(seq) if isinstance(b, S)]


def scopes(seq: list[Any], scope: tuple = ()) -> Iterator[tuple[S, tuple]]:
    """Each step with its parallel scope (the path of (block, branch) that encloses it)."""
    for block in seq:
        if isinstance(block, S):
            yield block, scope
        elif isinstance(block, P):
            for i, branch in enumerate(block.branches):
                yield from scopes(branch, (*scope, (id(block), i)))
        else:
            for _, body in block.arms:
                yield from scopes(body, scope)
            if block.otherwise is not None:
                yield from scopes(block.otherwise, scope)


def estimate(seq: list[Any]) -> int:
    """A bound on the stable markings of one form's product state space."""
    total = 0
    for block in seq:
        if isinstance(block, S):
            total += 5
        elif isinstance(block, P):
            product = 1
            for branch in block.branches:
                product *= estimate(branch) + 1
            total += product
        else:
            total += sum(estimate(body) for _, body in block.arms)
            total += estimate(block.otherwise or [])
    return total


# -- rendering ----------------------------------------------------------------------------------


def _plain(seq: list[Any]) -> list[Any]:
    out: list[Any] = []
    for block in seq:
        if isinstance(block, S):
            step: dict[str, Any] = {"id": block.id, "department": block.department}
            if block.optional:
                step["optional"] = True
            if block.when is not None:
                step["when"] = block.when.text
            if block.goto:
                step["goto"] = dict(block.goto)
            if block.commitment:
                step["commitment"] = True
            if block.sign_off and not block.commitment:
                other = "d_other" if block.department != "d_other" else "d_more"
                step["sign_off"] = {"by": [block.department, other], "need": "any"}
            if block.foreach and not (block.sign_off or block.commitment or block.outcomes):
                step["foreach"] = "items"
            if block.opens and not (block.sign_off or block.commitment or block.outcomes
                                    or block.silence or block.send_back):
                step["opens"] = {"workflow": "child", "waits_for": block.opens}
            if block.silence:
                step["silence"] = "approve"
                step["time_limit"] = {"committed": "3 WD"}
            if block.send_back is not None:
                step["send_back"] = {"to": block.send_back[0], "others": block.send_back[1]}
            if block.outcomes:
                step["outcomes"] = {name: {"goto": target} if target else None
                                    for name, target in block.outcomes.items()}
            out.append(step)
        elif isinstance(block, P):
            parallel: dict[str, Any] = {"parallel": [_plain(b) for b in block.branches]}
            if block.together:
                parallel["corrections"] = "together"
            out.append(parallel)
        else:
            arms: list[Any] = [{"when": c.text, "then": _plain(body)} for c, body in block.arms]
            if block.otherwise is not None:
                arms.append({"otherwise": _plain(block.otherwise)})
            out.append({"choice": arms})
    return out


#: the workflow a generated step that opens child cases opens: any form will do
CHILD = """\
onething: 1
id: child
version: 1
title: child
lead: d0
form: {}
steps:
  - {id: c1, department: d0, produces: [c]}
delivery:
  bundle: [c]
  methods: [window]
"""


def render(wf: Wf) -> str:
    """The workflow as YAML text."""
    kind = {"type": "enum", "values": list(KINDS)}
    fields: dict[str, Any] = {"x": {"type": "int", "required": True},
                              "items": {"type": "list", "max_items": 3,
                                        "item": {"name": {"type": "string", "required": True}}}}
    steps = _plain(wf.steps)
    if wf.setter:
        steps.insert(0, {"id": "s0", "department": "d0", "sets": {"kind": kind}})
    else:
        fields["kind"] = {**kind, "required": True}
    doc = {
        "onething": 1, "id": wf.name, "version": 1, "title": wf.name, "lead": "hall",
        "form": {"fields": fields},
        "steps": steps,
        "delivery": {"bundle": [], "methods": ["window"], "reads": ["x", "kind", "items"]},
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)


# -- the strategy -------------------------------------------------------------------------------


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"s{self.n}"


def _live_conditions(ctx: frozenset, taken: frozenset) -> list[Cond]:
    """Atoms that some form of ``ctx`` not taken by earlier arms satisfies, leaving a
    remainder for ``otherwise``."""
    rest = ctx - taken
    return [c for c in ATOMS if rest & c.sat and rest - c.sat]


@st.composite
def _condition(draw: st.DrawFn, ctx: frozenset, taken: frozenset = frozenset(),
               leave_rest: bool = True) -> Cond | None:
    rest = ctx - taken
    pool = _live_conditions(ctx, taken) if leave_rest else [c for c in ATOMS if rest & c.sat]
    if not pool:
        return None
    cond = draw(st.sampled_from(pool))
    if draw(st.integers(0, 3)) == 0:
        other = draw(st.sampled_from(ATOMS))
        combined = cond & other if draw(st.booleans()) else cond | other
        ok = rest & combined.sat and (not leave_rest or rest - combined.sat)
        if ok:
            cond = combined
    return cond


@st.composite
def _sequence(draw: st.DrawFn, ids: _Ids, ctx: frozenset, budget: int,
              depth: int) -> list[Any]:
    """A sequence of at most ``budget`` steps (at least one block) for the forms ``ctx``."""
    items: list[Any] = []
    for _ in range(draw(st.integers(1, 3))):
        if budget <= 0:
            break
        kinds = ["step"]
        if depth < 2 and budget >= 2:
            kinds += ["parallel", "choice"]
        kind = draw(st.sampled_from(kinds))
        if kind == "step":
            budget -= 1
            step = S(ids(), draw(st.sampled_from(DEPARTMENTS)))
            step.optional = draw(st.integers(0, 3)) == 0
            step.commitment = draw(st.integers(0, 3)) == 0
            step.silence = draw(st.integers(0, 3)) == 0
            step.sign_off = draw(st.integers(0, 5)) == 0
            step.foreach = draw(st.integers(0, 4)) == 0
            step.opens = draw(st.sampled_from([None] * 6 + ["result", "delivery"]))
            if draw(st.integers(0, 3)) == 0:
                step.when = draw(_condition(ctx, leave_rest=False))
            items.append(step)
        elif kind == "parallel":
            width = draw(st.integers(2, min(4, budget)))
            branches = []
            for left in range(width, 0, -1):
                share = max(1, budget // left)
                branch = draw(_sequence(ids, ctx, share, depth + 1))
                budget -= len(steps_of(branch))
                branches.append(branch)
            items.append(P(branches, draw(st.integers(0, 2)) == 0))
            # steps standing directly in a branch (not ones that send back themselves)
            tops = [b.id for branch in branches for b in branch
                    if isinstance(b, S) and b.send_back is None]
            if tops and budget >= 1 and draw(st.integers(0, 2)) == 0:
                budget -= 1
                sender = S(ids(), draw(st.sampled_from(DEPARTMENTS)))
                to = draw(st.lists(st.sampled_from(tops), min_size=1, max_size=2, unique=True))
                sender.send_back = (to, draw(st.sampled_from(["keep", "redo"])))
                sender.optional = draw(st.integers(0, 3)) == 0
                items.append(sender)
        else:
            arms: list[tuple[Cond, list[Any]]] = []
            taken: frozenset = frozenset()
            for _ in range(draw(st.integers(1, 3))):
                cond = draw(_condition(ctx, taken))
                if cond is None:
                    break
                body: list[Any] = []
                if budget > 0 and draw(st.integers(0, 3)):
                    body = draw(_sequence(ids, (ctx - taken) & cond.sat, budget, depth + 1))
                    budget -= len(steps_of(body))
                arms.append((cond, body))
                taken |= cond.sat
            if not arms:
                continue
            otherwise: list[Any] = []
            if budget > 0 and draw(st.booleans()):
                otherwise = draw(_sequence(ids, ctx - taken, budget, depth + 1))
                budget -= len(steps_of(otherwise))
            items.append(C(arms, otherwise))
    if not items:
        items.append(S(ids(), draw(st.sampled_from(DEPARTMENTS))))
    return items


def _add_jumps(draw: st.DrawFn, wf: Wf) -> None:
    placed = list(scopes(wf.steps))
    order = {s.id: i for i, (s, _) in enumerate(placed)}
    for step, scope in placed:
        # a step that sends back is reached only through its block
        same = [s for s, sc in placed if sc == scope and s.send_back is None]
        # an optional step's refusal goes on past what its approval skips; a step that waits
        # for its child cases' deliveries is never refused, so its jump would skip for good
        if step.optional:
            later = [s for s in same if order[s.id] > order[step.id]]
            if later and step.opens != "delivery" and draw(st.integers(0, 2)) == 0:
                step.goto["approve"] = draw(st.sampled_from(later)).id
        elif same and draw(st.integers(0, 3)) == 0:
            # anywhere in the scope: back (a loop the next approval leaves) or forward (a skip
            # that the approval path does not take)
            step.goto["refuse"] = draw(st.sampled_from(same)).id
        if not step.sign_off and draw(st.integers(0, 4)) == 0:
            # a decision of its own, anywhere in the scope or on to what follows: the
            # approval still goes on, so neither a loop nor a skip can trap the case
            step.outcomes["alt"] = draw(st.sampled_from([None, *(s.id for s in same)]))


@st.composite
def workflows(draw: st.DrawFn, max_steps: int = 8, max_states: int = 1500) -> Wf:
    """A small workflow (at most ``max_steps`` steps) that is sound by construction."""
    ids = _Ids()
    steps = draw(_sequence(ids, POINTS, draw(st.integers(1, max_steps)), 0))
    while estimate(steps) > max_states:
        # too big for the brute-force reference: drop the costliest block
        costs = [estimate([b]) for b in steps]
        steps = [b for i, b in enumerate(steps) if i != costs.index(max(costs))] or \
            [S(ids(), "d0")]
        for before, block in zip([None, *steps], steps, strict=False):
            if isinstance(block, S) and not isinstance(before, P):
                block.send_back = None  # its block was dropped
    wf = Wf(steps, setter=draw(st.integers(0, 3)) == 0)
    _add_jumps(draw, wf)
    return wf


# -- metamorphic transformations --------------------------------------------------------------


def rename_departments(wf: Wf, mapping: dict[str, str]) -> Wf:
    new = _copy(wf.steps)
    for step in steps_of(new):
        step.department = mapping.get(step.department, step.department)
    return Wf(new, wf.name, wf.setter)


def permute_branches(wf: Wf, key: Callable[[int, int], int]) -> Wf:
    """Every parallel block's branches reordered (``key(block_number, branch) -> rank``)."""
    new = _copy(wf.steps)
    for n, block in enumerate(b for b in iter_blocks(new) if isinstance(b, P)):
        order = sorted(range(len(block.branches)), key=lambda i, n=n: key(n, i))
        block.branches = [block.branches[i] for i in order]
    return Wf(new, wf.name, wf.setter)


def _copy(seq: list[Any]) -> list[Any]:
    out: list[Any] = []
    for block in seq:
        if isinstance(block, S):
            out.append(replace(block, goto=dict(block.goto), outcomes=dict(block.outcomes)))
        elif isinstance(block, P):
            out.append(P([_copy(b) for b in block.branches]))
        else:
            out.append(C([(c, _copy(b)) for c, b in block.arms],
                         None if block.otherwise is None else _copy(block.otherwise)))
    return out


# -- mistakes at the YAML level ---------------------------------------------------------------
# Each takes a sound workflow and returns (mutated copy, the rule that must fire) or None when
# the workflow has no place for that mistake.

Mutation = Callable[[Wf, int], "tuple[Wf, str] | None"]


def loop_no_exit(wf: Wf, pick: int) -> tuple[Wf, str] | None:
    """A step's approval jumps back to itself or to the step just before it: once there, only
    a refusal, a withdrawal or a timer can end the case -> ``stuck``."""
    new = _copy(wf.steps)
    candidates: list[tuple[S, S]] = []
    for seq in _sequences(new):
        for i, block in enumerate(seq):
            if isinstance(block, S) and block.send_back is None:  # no jump leads to a sender
                candidates.append((block, block))
                if i and isinstance(seq[i - 1], S) and seq[i - 1].send_back is None:
                    candidates.append((block, seq[i - 1]))
    if not candidates:
        return None
    step, target = candidates[pick % len(candidates)]
    for s in {id(step): step, id(target): target}.values():
        s.optional = False
        s.outcomes.clear()  # a decision of its own would lead out of the loop
        s.goto.pop("refuse", None)
        if s is not step and "approve" in s.goto:
            s.goto.pop("approve")
    step.goto["approve"] = target.id
    return Wf(new, wf.name, wf.setter), "stuck"


def dead_step(wf: Wf, pick: int) -> tuple[Wf, str] | None:
    """A step's ``when`` can never hold -> ``dead-step``."""
    new = _copy(wf.steps)
    steps = steps_of(new)
    if not steps:
        return None
    steps[pick % len(steps)].when = NEVER
    return Wf(new, wf.name, wf.setter), "dead-step"


def drop_otherwise(wf: Wf, pick: int) -> tuple[Wf, str] | None:
    """A choice loses its (live) ``otherwise``: the forms it took stop at the choice ->
    ``stuck``."""
    new = _copy(wf.steps)
    targets = {t for s in steps_of(new) for t in [*s.goto.values(), *s.outcomes.values()] if t}
    choices = [b for b in iter_blocks(new) if isinstance(b, C) and b.otherwise is not None
               and not {s.id for s in steps_of(b.otherwise)} & targets]
    if not choices:
        return None
    choices[pick % len(choices)].otherwise = None
    return Wf(new, wf.name, wf.setter), "stuck"


def shadowed_arm(wf: Wf, pick: int) -> tuple[Wf, str] | None:
    """A new arm repeats an earlier arm's condition: it can never be taken ->
    ``dead-branch`` (and its step is a ``dead-step``)."""
    new = _copy(wf.steps)
    choices = [b for b in iter_blocks(new) if isinstance(b, C)]
    if not choices:
        return None
    choice = choices[pick % len(choices)]
    cond = choice.arms[pick % len(choice.arms)][0]
    used = {s.id for s in steps_of(new)}
    sid = next(f"shadow{n}" for n in itertools.count() if f"shadow{n}" not in used)
    choice.arms.append((cond, [S(sid, "d0")]))
    return Wf(new, wf.name, wf.setter), "dead-branch"


def _sequences(seq: list[Any]) -> Iterator[list[Any]]:
    yield seq
    for block in seq:
        if isinstance(block, P):
            for branch in block.branches:
                yield from _sequences(branch)
        elif isinstance(block, C):
            for _, body in block.arms:
                yield from _sequences(body)
            if block.otherwise is not None:
                yield from _sequences(block.otherwise)


YAML_MUTATIONS: dict[str, Mutation] = {
    "loop_no_exit": loop_no_exit,
    "dead_step": dead_step,
    "drop_otherwise": drop_otherwise,
    "shadowed_arm": shadowed_arm,
}

# -- mistakes injected into the net -----------------------------------------------------------
# The language cannot express these; each operator edits the net built from a sound workflow.
# Transitions are edited in place or appended, so that the parallel blocks' fork and join
# indices stay right. Each returns the new net, or None when the net has no place for it.


def _replace(net: Net, index: int, **changes: Any) -> list[Transition]:
    out = list(net.transitions)
    out[index] = attrs.evolve(out[index], **changes)
    return out


def _place(net: Net, name: str) -> int:
    return net.place(name).index


def step_names(net: Net) -> list[str]:
    return [p.step for p in net.places if p.role is PlaceRole.STEP]


def branch_steps(net: Net, block: ParallelBlock, branch: int) -> list[str]:
    """The steps inside one branch of a parallel block (nested blocks included)."""
    stop = {block.dones[branch], _place(net, "closed")}
    seen = {block.starts[branch]}
    todo = [block.starts[branch]]
    while todo:
        p = todo.pop()
        for t in net.transitions:
            if p in t.consume and t.index != block.join:
                for q in t.produce:
                    if q not in seen and q not in stop:
                        seen.add(q)
                        todo.append(q)
    return [net.places[p].step for p in sorted(seen) if net.places[p].role is PlaceRole.STEP]


def approve_of(net: Net, step: str) -> Transition:
    return net.transition(f"approve:{step}")


def jump_out_of_branch(net: Net, block: ParallelBlock, step: str) -> Net:
    """``approve`` of a step inside a branch goes on after the block, skipping its join: the
    sibling branches' tokens (and the block's ``running``) are left behind. Once the case is
    delivered they are still there: ``improper-completion`` (the case finished with work
    pending) - and while a sibling is still undecided, ``activity-after-delivery``."""
    after = net.transitions[block.join].produce[0]
    return with_transitions(net, _replace(net, approve_of(net, step).index, produce=(after,)))


def jump_back_out_of_branch(net: Net, block: ParallelBlock, step: str, target: str) -> Net:
    """``approve`` of a step inside a branch jumps back to a step before the block: the fork
    runs again while the first run's tokens are still there -> ``duplicated-work``."""
    to = _place(net, f"step:{target}")
    return with_transitions(net, _replace(net, approve_of(net, step).index, produce=(to,)))


def jump_into_branch(net: Net, block: ParallelBlock, branch: int) -> Net:
    """Whatever leads into the block goes straight to the start of one branch, skipping the
    fork: that branch finishes, but the join waits for a ``running`` token that never came
    and for the other branches -> ``stuck``."""
    out = list(net.transitions)
    for t in net.transitions:
        if block.entry in t.produce and t.index != block.fork:
            produce = tuple(block.starts[branch] if p == block.entry else p for p in t.produce)
            out[t.index] = attrs.evolve(t, produce=produce)
    return with_transitions(net, out)


def exclusive_fork(net: Net, block: ParallelBlock, condition: str) -> Net:
    """The fork becomes a choice (the form decides whether the first or the second branch
    runs) but the join still waits for every branch: once the chosen branch is done nothing
    can move -> ``stuck``."""
    cond = Condition(condition, exprs.parse(condition))
    fork = net.transitions[block.fork]
    out = _replace(net, block.fork, produce=(block.running, block.starts[0]),
                   guard=(GuardLiteral(cond, True),))
    out.append(attrs.evolve(fork, name=f"{fork.name}:else", produce=(block.running,
                                                                       block.starts[1]),
                            guard=(GuardLiteral(cond, False),)))
    return with_transitions(net, out)


def approve_delivers(net: Net, step: str) -> Net:
    """A second delivery point: approving ``step`` also hands out a result (and the case
    goes on to the real delivery at the end) -> ``two-deliveries``."""
    t = approve_of(net, step)
    closed = _place(net, "closed")
    return with_transitions(net, _replace(net, t.index, produce=(*t.produce, closed),
                                         delivers=DeliveryKind.RESULT))


def refusals_without_cancel(net: Net, steps: list[str]) -> Net:
    """Refusals inside a parallel block each send their own notice and cancel nothing (nor
    end the case): a second refusal, or a withdrawal, delivers again -> ``two-deliveries``."""
    closed = _place(net, "closed")
    out = list(net.transitions)
    for t in net.transitions:
        if t.action == "refuse" and t.step in steps and t.cancel:
            here = tuple(p for p in t.consume if net.places[p].role is not PlaceRole.OPEN)
            out[t.index] = attrs.evolve(t, consume=here, produce=(closed,), cancel=False)
    return with_transitions(net, out)


def deliver_keeps_open(net: Net) -> Net:
    """Withdrawal races the delivery: the delivery leaves the case open, so the applicant can
    still withdraw afterwards -> ``two-deliveries`` (a result, then a withdrawal)."""
    t = net.transition("deliver")
    consume = tuple(p for p in t.consume if net.places[p].role is not PlaceRole.OPEN)
    return with_transitions(net, _replace(net, t.index, consume=consume))


def withdraw_without_cancel(net: Net) -> Net:
    """A withdrawal that does not stop the departments: after the acknowledgement they can
    still decide -> ``activity-after-delivery``."""
    return with_transitions(net, _replace(net, net.transition("withdraw").index, cancel=False))


def expiry_keeps_correction(net: Net, step: str) -> Net:
    """The correction timer races the applicant: it ends the case (termination) but leaves
    the pending correction (and the rest of the case) in place, so the supplement can still
    come in afterwards -> ``activity-after-delivery``."""
    t = net.transition(f"correction_expired:{step}")
    waiting = _place(net, f"step:{step}:correction")
    return with_transitions(net, _replace(net, t.index, produce=(*t.produce, waiting),
                                         cancel=False))


def escalation_races_decision(net: Net, step: str) -> Net:
    """An escalation timer (armed once per case) moves the case on past ``step`` while the
    department can still decide it: the step's approval then puts a second token on the same
    position -> ``duplicated-work``."""
    here = _place(net, f"step:{step}")
    after = approve_of(net, step).produce[0]
    armed = Place(len(net.places), f"escalation:{step}:armed", PlaceRole.FLAG)
    escalate = Transition(0, f"escalate:{step}", "escalate", Performer.TIMER, (here, armed.index),
                          (here, after), step=step, escape=True)
    net = attrs.evolve(net, places=(*net.places, armed), initial=net.initial | {armed.index})
    return with_transitions(net, [*net.transitions, escalate])


def k_of_n_join(net: Net, block: ParallelBlock, k: int) -> Net:
    """The join fires as soon as any ``k`` branches are done and cancels nothing: the
    stragglers go on (or sit at their ends) after the block -> ``improper-completion``."""
    join = net.transitions[block.join]
    subsets = list(itertools.combinations(block.dones, k))
    out = _replace(net, block.join, consume=(block.running, *subsets[0]))
    for n, subset in enumerate(subsets[1:], start=1):
        out.append(attrs.evolve(join, name=f"{join.name}:{n}", consume=(block.running, *subset)))
    return with_transitions(net, out)


def second_correction(net: Net, step: str) -> Net:
    """After its one correction a step can ask again (breaks 一次告知) ->
    ``second-correction``."""
    first = net.transition(f"request_correction:{step}")
    again = attrs.evolve(first, name=f"request_correction:{step}:again",
                         consume=(_place(net, f"step:{step}:corrected"),))
    return with_transitions(net, [*net.transitions, again])


def _sole_block(net: Net, pick: int) -> ParallelBlock | None:
    return net.blocks[pick % len(net.blocks)] if net.blocks else None


def _mutate_jump_out(net: Net, pick: int) -> Net | None:
    block = _sole_block(net, pick)
    if block is None:
        return None
    steps = branch_steps(net, block, pick % len(block.starts))
    return jump_out_of_branch(net, block, steps[pick % len(steps)]) if steps else None


def _mutate_k_of_n(net: Net, pick: int) -> Net | None:
    block = _sole_block(net, pick)
    return k_of_n_join(net, block, 1 + pick % (len(block.dones) - 1)) if block else None


def _mutate_into(net: Net, pick: int) -> Net | None:
    block = _sole_block(net, pick)
    return jump_into_branch(net, block, pick % len(block.starts)) if block else None


def _mutate_exclusive(net: Net, pick: int) -> Net | None:
    block = _sole_block(net, pick)
    return exclusive_fork(net, block, f"x > {pick % 10}") if block else None


def _on_step(operator: Callable[[Net, str], Net]) -> Callable[[Net, int], Net]:
    def mutate(net: Net, pick: int) -> Net | None:
        steps = step_names(net)
        return operator(net, steps[pick % len(steps)]) if steps else None
    return mutate


def _on_correctable_step(operator: Callable[[Net, str], Net]) -> Callable[[Net, int], Net]:
    """Like :func:`_on_step`, among the steps that ask for corrections (a step that opens
    child cases has none: its children decide it)."""
    def mutate(net: Net, pick: int) -> Net | None:
        names = {t.name for t in net.transitions}
        steps = [s for s in step_names(net) if f"correction_expired:{s}" in names]
        return operator(net, steps[pick % len(steps)]) if steps else None
    return mutate


def _parallel_refusals(net: Net, pick: int) -> Net | None:
    block = _sole_block(net, pick)
    if block is None:
        return None
    inside = {s for i in range(len(block.starts)) for s in branch_steps(net, block, i)}
    ending = [t.step for t in net.transitions
              if t.action == "refuse" and t.cancel and t.step in inside]
    return refusals_without_cancel(net, ending) if ending else None


#: name -> (operator(net, pick) -> net or None, the rule that must fire)
NET_MUTATIONS: dict[str, tuple[Callable[[Net, int], Net | None], str]] = {
    "jump_out_of_branch": (_mutate_jump_out, "improper-completion"),
    "jump_into_branch": (_mutate_into, "stuck"),
    "exclusive_fork": (_mutate_exclusive, "stuck"),
    "approve_delivers": (_on_step(approve_delivers), "two-deliveries"),
    "refusals_without_cancel": (_parallel_refusals, "two-deliveries"),
    "deliver_keeps_open": (lambda net, pick: deliver_keeps_open(net), "two-deliveries"),
    "withdraw_without_cancel": (lambda net, pick: withdraw_without_cancel(net),
                                "activity-after-delivery"),
    "expiry_keeps_correction": (_on_correctable_step(expiry_keeps_correction),
                                "activity-after-delivery"),
    "escalation_races_decision": (_on_step(escalation_races_decision), "duplicated-work"),
    "k_of_n_join": (_mutate_k_of_n, "improper-completion"),
    "second_correction": (_on_correctable_step(second_correction), "second-correction"),
}


def with_transitions(net: Net, transitions: Iterable[Transition]) -> Net:
    """A copy of ``net`` with its transitions replaced (renumbered in order): how the tests
    inject mistakes no workflow file can express."""
    renumbered = tuple(attrs.evolve(t, index=i) for i, t in enumerate(transitions))
    return attrs.evolve(net, transitions=renumbered)
