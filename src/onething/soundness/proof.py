"""``check``: decide whether a workflow is sound, exactly, or say why not.

Sound means, for every form the applicant could submit (one representative per class of
forms that the conditions cannot tell apart, see :mod:`onething.language.form_space`):

* no reachable configuration delivers twice, and no position is ever marked twice;
* from every reachable configuration the case can still be completed by cooperation alone -
  without a withdrawal, a refusal that ends the case, or a timer (each of those is always
  possible and would otherwise hide every deadlock and every loop without exit);
* every configuration where nothing more can happen holds exactly one delivery and no
  pending work, and nothing can happen after the delivery;
* no step asks for a second correction in one visit;
* every step is reached and every ``when`` branch is taken for some form.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import time
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from onething.language import conditions as exprs
from onething.language.checks import step_scopes
from onething.language.form_space import CellGroup, Space, cell_groups, cells
from onething.language.location import UNKNOWN, Location
from onething.language.model import Choice, Form, Step, StepSequence, Workflow
from onething.net.build import build_net, route_fields
from onething.net.model import PROMISED, PROMISED_FIELD, Net, PlaceRole, Transition
from onething.net.semantics import Semantics, bits
from onething.soundness.choices import LazyChoices
from onething.soundness.explore import Explorer
from onething.soundness.limits import DEFAULT_BUDGET
from onething.soundness.regions import isolated_regions
from onething.soundness.report import Report, Rule, TraceEvent, Violation
from onething.soundness.scope import BranchMemo, Budget, BudgetExceeded, Found, Move

MAX_FORMS = 4096


def check(workflow: Workflow, *, budget: int = DEFAULT_BUDGET,
          compositional: bool = True, merge_forms: bool = True) -> Report:
    """Prove ``workflow`` sound, or find the shortest path that breaks each rule.

    ``compositional=False`` explores parallel blocks as the product of their branches;
    ``merge_forms=False`` explores each kind of form from the start on its own instead of
    choosing form values where they are first read (:mod:`onething.soundness.choices`). Both
    give the same verdict and findings; they exist to cross-check the proof, and the report's
    ``configurations`` then counts every form's configurations apart."""
    with collector_paused():
        net = build_net(workflow)
        report = check_net(net, workflow, budget=budget, compositional=compositional,
                           merge_forms=merge_forms)
        warnings = list(_condition_warnings(workflow))
    if warnings:
        report = attrs.evolve(report, violations=report.violations + tuple(warnings))
    return report


def check_net(net: Net, workflow: Workflow | None = None, *, budget: int = DEFAULT_BUDGET,
              compositional: bool = True, merge_forms: bool = True) -> Report:
    """Check a case net (from a workflow, or edited by hand) under every class of forms."""
    began = time.perf_counter()
    regions = isolated_regions(net) if compositional else {}
    try:
        groups = _groups(net, workflow)
    except exprs.TooManyCells as exc:
        return _undecided(net, began, f"conditions that read the same fields need "
                          f"{exc.count:,} combinations of values tried (more than "
                          f"{exc.limit:,}); simplify them")
    lazy, eager = _split(net, groups, regions) if merge_forms else (None, groups)
    kinds = math.prod(len(group.cells) for group in groups)
    count = math.prod(len(group.cells) for group in eager)
    if count > MAX_FORMS:
        return _undecided(net, began, f"the conditions distinguish {kinds:,} kinds of form, "
                          f"{count:,} of them to be explored one by one (more than "
                          f"{MAX_FORMS:,} are not); simplify them or split the workflow",
                          forms=kinds)
    forms = [{k: v for part in combination for k, v in part.items()}
             for combination in itertools.product(*(group.cells for group in eager))]
    counter = Budget(budget)
    try:
        with collector_paused():
            while True:
                found = _explore_all(net, forms, regions, counter, lazy)
                # a branch that can finish with work still pending in it is not isolated
                # after all (its leftovers outlive the block): explore it as a product
                if not found.impure:
                    break
                regions = {k: v for k, v in regions.items() if k not in found.impure}
    except BudgetExceeded as exc:
        return _undecided(net, began, str(exc), counter.used, kinds)
    if lazy is not None and Rule.STUCK in found.best and kinds <= MAX_FORMS:
        # where the case gets stuck first can depend on form values read only later: the
        # shortest way there is found form by form (the verdict is the same either way)
        return check_net(net, workflow, budget=budget, compositional=compositional,
                         merge_forms=False)
    violations = [v for _, v in sorted(found.best.values(),
                                       key=lambda cv: (cv[1].rule.value, cv[0]))]
    violations += _dead(net, found.marked, found.fired, workflow)
    return Report(
        name=net.name, decided=True, violations=tuple(violations), states=found.states,
        configurations=found.configurations, forms=kinds, outcomes=found.outcomes,
        reduced_blocks=len(regions), elapsed_ms=(time.perf_counter() - began) * 1e3,
    )


def forms(workflow: Workflow) -> list[dict[str, Any]]:
    """The forms the proof explores for ``workflow``: one form the engine accepts per class
    of forms its guards cannot tell apart, over the fields the guards read (and
    ``materials.promised``, whether materials were promised at submission). Raises
    :class:`~onething.errors.TooManyCells` when there are too many to enumerate."""
    return net_forms(build_net(workflow), workflow)


def net_forms(net: Net, workflow: Workflow | None) -> list[dict[str, Any]]:
    """:func:`forms` for a case net (built from ``workflow``, or edited by hand)."""
    space: Space = workflow.form if workflow is not None else {}
    guarded = [lit.condition.expr for t in net.transitions for lit in t.guard]
    if not guarded:
        return [{}]
    return cells(guarded, space, extra=_extra(workflow), limit=MAX_FORMS)


def _extra(workflow: Workflow | None) -> dict[str, Any]:
    """Facts beside the applicant's form: whether materials were promised, and the fields
    steps set (chosen by their departments: any value goes with any form)."""
    extra: dict[str, Any] = {PROMISED: PROMISED_FIELD}
    if workflow is not None:
        extra.update((name, field) for name, (field, _) in workflow.set_fields.items())
    return extra


def _groups(net: Net, workflow: Workflow | None) -> list[CellGroup]:
    space: Space = workflow.form if workflow is not None else {}
    guarded = [lit.condition.expr for t in net.transitions for lit in t.guard]
    return cell_groups(guarded, space, extra=_extra(workflow)) if guarded else []


def _split(net: Net, groups: list[CellGroup], regions: dict[str, Any]
           ) -> tuple[LazyChoices | None, list[CellGroup]]:
    """The groups chosen where they are read (read only outside isolated blocks, see
    :mod:`onething.soundness.choices`), and those fixed for the whole case."""
    inside = {i for region in regions.values() for owned in region.transitions for i in owned}
    read_inside = {name for t in net.transitions if t.index in inside
                   for lit in t.guard for name in exprs.fields(lit.condition.expr)}
    lazy = [g for g in groups if read_inside.isdisjoint(g.fields)]
    eager = [g for g in groups if not read_inside.isdisjoint(g.fields)]
    if not lazy:
        return None, eager
    unworked = frozenset(p.index for p in net.places
                         if p.role in (PlaceRole.FLAG, PlaceRole.CLOSED, PlaceRole.OPEN))
    return LazyChoices(net, lazy, unworked), eager


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for an exploration: it builds no reference
    cycles (its states are frozensets, its maps plain dicts), and the collector's passes over
    the growing heap alone made proof time grow faster than the workflow."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@attrs.define
class _Found:
    best: dict[Rule, tuple[int, Violation]] = attrs.field(factory=dict)
    marked: set[int] = attrs.field(factory=set)
    fired: set[int] = attrs.field(factory=set)
    states: int = 0
    configurations: int = 0
    outcomes: dict[str, int] = attrs.field(factory=dict)
    impure: set[str] = attrs.field(factory=set)


def _explore_all(net: Net, forms: list[dict[str, Any]], regions: dict[str, Any],
                 counter: Budget, lazy: LazyChoices | None) -> _Found:
    out = _Found()
    memo = _memo(net, regions) if len(forms) > 1 else None
    for form in forms:
        explorer = Explorer(net, regions, _guard(form), counter, lazy, form, memo)
        result = explorer.explore(None, frozenset(net.initial), None)
        out.impure |= explorer.impure
        out.states += result.states
        out.configurations += result.configurations
        out.marked |= result.marked
        out.fired |= result.fired
        for kind, n in result.outcomes.items():
            out.outcomes[str(kind)] = out.outcomes.get(str(kind), 0) + n
        for found, prefix, prefix_cost in result.found:
            cost = prefix_cost + found.cost
            if found.rule not in out.best or cost < out.best[found.rule][0]:
                whole = {**form, **lazy.form(found.chosen)} if lazy is not None else form
                out.best[found.rule] = (cost, _violation(net, explorer, found, prefix, whole))
    return out


def _memo(net: Net, regions: dict[str, Any]) -> BranchMemo:
    """What each branch's guards read (its nested blocks' included)."""
    reads = {}
    for name, region in regions.items():
        for index, owned in enumerate(region.transitions):
            fields = {f for i in owned for lit in net.transitions[i].guard
                      for f in exprs.fields(lit.condition.expr)}
            reads[(name, index)] = tuple(sorted(fields))
    return BranchMemo(reads)


def _guard(form: dict[str, Any]) -> Any:
    cache: dict[int, bool] = {}

    def holds(t: Transition) -> bool:
        if t.index not in cache:
            cache[t.index] = all(exprs.evaluate(lit.condition.expr, form) is lit.value
                                 for lit in t.guard)
        return cache[t.index]

    return holds


def _undecided(net: Net, began: float, note: str, states: int = 0, forms: int = 0) -> Report:
    return Report(name=net.name, decided=False, violations=(), states=states,
                  configurations=0, forms=forms, outcomes={}, reduced_blocks=0,
                  elapsed_ms=(time.perf_counter() - began) * 1e3, note=note)


# -- counterexamples ----------------------------------------------------------------------------


def expand(explorer: Explorer, moves: Iterable[Move]) -> list[int]:
    """A scope path with summary moves replaced by the concrete events they stand for."""
    out: list[int] = []
    for move in moves:
        if move[0] == "t":
            if move[1] >= 0:
                out.append(move[1])
        elif move[0] == "done":
            starts = move[2] if len(move) == 3 else None
            for branch in explorer.branches(move[1], starts):
                out += expand(explorer, branch.goal_path)
        else:
            name, key = move[1], move[2]
            starts = move[3] if len(move) == 4 else None
            enders = [b.enders.get(key) for b in explorer.branches(name, starts)]
            ender = min((e for e in enders if e is not None), key=lambda e: e.cost)
            out += expand(explorer, ender.path)
    return out


def _violation(net: Net, explorer: Explorer, found: Found, prefix: tuple[Move, ...],
               form: dict[str, Any]) -> Violation:
    events = expand(explorer, prefix + found.path)
    upto = expand(explorer, prefix + found.path[:-1]) if found.moved else events
    marking = _configuration(net, upto, form)
    trace = tuple(TraceEvent(net.transitions[i].label, net.transitions[i].name,
                             net.transitions[i].location) for i in events)
    location = _where(net, found, events)
    shown = {k: v for k, v in form.items()}
    return Violation(found.rule, found.message, location, trace, shown,
                     tuple(net.names(bits(marking))), found.deliveries)


def _configuration(net: Net, events: list[int], form: dict[str, Any]) -> int:
    """The whole configuration a trace leads to (a branch's findings know only the branch)."""
    semantics = Semantics(net)
    guard = _guard(form)
    marking, _ = semantics.settle(semantics.initial, guard)
    for index in events:
        marking, _ = semantics.fire(marking, net.transitions[index])
        marking, _ = semantics.settle(marking, guard)
    return marking


def _where(net: Net, found: Found, events: list[int]) -> Location:
    if found.transition is not None:
        return net.transitions[found.transition].location
    if found.place is not None:
        return net.places[found.place].location
    for i in reversed(events):
        if net.transitions[i].location is not UNKNOWN:
            return net.transitions[i].location
    pending = [net.places[i] for i in sorted(found.marking) if i < len(net.places)
               and net.places[i].role not in (PlaceRole.OPEN, PlaceRole.CLOSED)]
    return pending[0].location if pending else UNKNOWN


# -- dead steps and branches --------------------------------------------------------------------


def _dead(net: Net, marked: set[int], fired: set[int],
          workflow: Workflow | None) -> list[Violation]:
    out = []
    steps: dict[str, list[int]] = {}
    for place in net.places:
        if place.step and place.role is PlaceRole.STEP:
            steps.setdefault(place.step, []).append(place.index)
    reached = {step for step, places in steps.items() if any(p in marked for p in places)}
    for step, places in steps.items():
        if step not in reached:
            location = net.places[places[0]].location
            why = _why_dead(workflow, step, reached) if workflow is not None else ""
            out.append(Violation(Rule.DEAD_STEP, f"step '{step}' is never reached{why}",
                                 location))
    for t in net.transitions:
        if not t.silent or not t.guard or t.index in fired:
            continue
        evaluated = any(o.index in fired for o in net.transitions
                        if o.silent and o.guard and o.consume == t.consume)
        if evaluated and (t.name.startswith("choice") or t.name.startswith("enter:")):
            what = f"step '{t.step}'" if t.step else f"this arm of {t.name.split(':')[0]}"
            out.append(Violation(Rule.DEAD_BRANCH, f"{what} is never taken: its condition "
                                 "never holds when it is evaluated", t.location))
    return out


def _why_dead(workflow: Workflow, dead: str, reached: set[str]) -> str:
    """The jump that makes a step dead, as a clause: a reached step whose ``goto`` leaps over
    it, or whose ``approve`` goes back so that the case never gets past it."""
    order = {s.id: i for i, s in enumerate(workflow.iter_steps())}
    scopes = dict(step_scopes(workflow.steps))
    for step in workflow.iter_steps():
        if step.id not in reached or order[step.id] > order[dead] \
                or scopes[dead][: len(scopes[step.id])] != scopes[step.id]:
            continue
        for outcome, target in step.jumps:
            where = step.jump_location(outcome)
            if order[step.id] < order[dead] < order[target]:
                return (f": every path that gets there jumps over it ('{step.id}' goes to "
                        f"'{target}' on {outcome}, line {where.line})")
            if outcome == "approve" and order[target] <= order[step.id] < order[dead]:
                return (f": the case never gets past '{step.id}', whose approval goes back "
                        f"to '{target}' (line {where.line})")
    return ""


def _condition_warnings(workflow: Workflow) -> Iterable[Violation]:
    """Conditions that always hold, and choice arms that overlap (warnings)."""
    fields = workflow.form
    extra = _extra(workflow)
    for step in workflow.iter_steps():
        if step.when is not None and _always(step.when.expr, fields, extra):
            yield Violation(Rule.ALWAYS_TRUE, f"the 'when' of step '{step.id}' holds for "
                            "every form", step.when.location)
    for choice in _choices(workflow.steps):
        arms = [(a, a.when) for a in choice.branches if a.when is not None]
        for i, (_, first) in enumerate(arms):
            for arm, second in arms[i + 1:]:
                both = exprs.And((first.expr, second.expr))
                if _satisfiable(both, fields, extra):
                    yield Violation(
                        Rule.OVERLAPPING_ARMS,
                        f"'{first.text}' and '{second.text}' both hold for some "
                        "forms; the first is taken", arm.location)


def _always(expr: Any, fields: Form, extra: dict[str, Any]) -> bool:
    return all(exprs.evaluate(expr, cell) for cell in cells([expr], fields, extra=extra))


def _satisfiable(expr: Any, fields: Form, extra: dict[str, Any]) -> bool:
    return any(exprs.evaluate(expr, cell) for cell in cells([expr], fields, extra=extra))


def _choices(block: object) -> Iterable[Choice]:
    if isinstance(block, StepSequence):
        for item in block.items:
            yield from _choices(item)
    elif isinstance(block, Choice):
        yield block
        for arm in block.branches:
            yield from _choices(arm.body)
    elif isinstance(block, Step):
        return
    else:
        for branch in getattr(block, "branches", ()):
            yield from _choices(branch)


__all__ = ["DEFAULT_BUDGET", "check", "check_net", "expand", "forms", "net_forms", "route_fields"]
