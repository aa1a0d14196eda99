"""The catalogue of classic mistakes: each is caught by the right rule, and its counterexample
replays on the compiled transitions machine and is the shortest there is.

Mistakes the language can express are real workflow files under ``tests/soundness/catalogue/``; each
file's header says what it holds (``# Expect:`` the exact set of rules :func:`check` reports,
``sound`` for the near misses and the bases). Mistakes the language cannot express are either
refused by the loader with a located diagnostic (``# Loader:`` files) or injected into the net
of a sound workflow by the operators of :mod:`workflow_gen` (whose docstrings say why each
rule is the right one), in several variants each.

For every unsound entry, in both modes of the checker:

* the rules equal those of the brute-force reference (:mod:`reference_checker`);
* every counterexample replays through :func:`support.replay.replay` and shows the
  violation on the machine: two deliveries counted, a position marked twice, the violation's
  marking reached, a marking from which cooperation cannot finish;
* every counterexample is as short as the reference's shortest for that rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path

import attrs
import pytest
from tests.support.factories import ROOT, START
from tests.support.reference_checker import (
    FormResult,
    Result,
    can_finish,
    markings_along,
    names,
    reference_check,
)
from tests.support.replay import replay
from tests.support.workflow_gen import (
    approve_delivers,
    branch_steps,
    deliver_keeps_open,
    escalation_races_decision,
    exclusive_fork,
    expiry_keeps_correction,
    jump_back_out_of_branch,
    jump_into_branch,
    jump_out_of_branch,
    k_of_n_join,
    refusals_without_cancel,
    second_correction,
    with_transitions,
    withdraw_without_cancel,
)

from onething.cases.records import Delivery, applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import AlreadyDelivered, CaseEnded
from onething.language.load import load, parse, read
from onething.language.model import Workflow
from onething.machine.compile import compile_net
from onething.net.build import build_net
from onething.net.model import Net, ParallelBlock, Performer, PlaceRole, Transition
from onething.net.semantics import Semantics, form_guard
from onething.soundness.proof import check, check_net
from onething.soundness.report import Report, Violation
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock

CATALOGUE = Path(__file__).resolve().parent / "catalogue"
FILES = sorted(CATALOGUE.glob("*.yaml"))
MODES = [pytest.param(True, id="compositional"), pytest.param(False, id="monolithic")]


def header(path: Path) -> dict[str, str]:
    """The ``# Key: value`` lines at the top of a catalogue file."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"# (Mistake|Expect|Loader): (.*)", line)
        if match:
            out[match.group(1)] = match.group(2)
    return out


def expected_rules(path: Path) -> set[str]:
    text = header(path)["Expect"]
    return set() if text == "sound" else {r.strip() for r in text.split(",")}


WRITTEN = [p for p in FILES if "Expect" in header(p)]
REFUSED = [p for p in FILES if "Loader" in header(p)]
UNSOUND_FILES = [p for p in WRITTEN if expected_rules(p) - {"overlapping-arms"}]


def test_every_catalogue_file_says_what_it_holds() -> None:
    assert len(FILES) >= 25
    for path in FILES:
        head = header(path)
        assert "Mistake" in head or head.get("Expect") == "sound", path.name
        assert ("Expect" in head) != ("Loader" in head), path.name
    prefixes = {"loop_no_exit", "dead_step", "choice_not_exhaustive", "choice_shadowed",
                "overlapping_arms"}
    for prefix in prefixes:
        assert len([p for p in WRITTEN if p.name.startswith(prefix)]) >= 3, prefix


# -- helpers ------------------------------------------------------------------------------------


def rules_of(report: Report, errors_only: bool = True) -> set[str]:
    chosen = report.errors if errors_only else report.violations
    return {v.rule.value for v in chosen}


def per_form(ref: Result, form: dict) -> FormResult:
    return next(r for r in ref.per_form if r.form == form)


def assert_reproduces(net: Net, violation: Violation, ref: Result) -> None:
    """Replay ``violation`` on the machine compiled from ``net`` and see the violation there:
    the replay reaches the violation's marking (the whole configuration, also for a violation
    found inside a parallel branch) and shows what the rule is about."""
    rule = violation.rule.value
    if not violation.trace:
        assert rule in ("dead-step", "dead-branch"), violation.render()
        return
    compiled = compile_net(net)
    events = [e.transition for e in violation.trace]
    full = replay(compiled, violation)
    assert full.refused_at is None, (violation.render(), full)
    before = replay(compiled, attrs.evolve(violation, trace=violation.trace[:-1]))
    assert before.refused_at is None
    shown = set(violation.marking)

    def same(marking: tuple[str, ...]) -> bool:
        return set(marking) == shown

    last = net.transition(events[-1])
    if rule == "two-deliveries":
        assert full.deliveries == 2 and before.deliveries == 1
        assert last.delivers is not None and same(before.marking)
    elif rule == "duplicated-work":
        assert full.unsafe and not before.unsafe and same(before.marking)
    elif rule == "second-correction":
        assert last.action == "request_correction" and same(before.marking)
        corrected = {p.name for p in net.places if p.role is PlaceRole.CORRECTED}
        assert set(before.marking) & corrected & {net.places[i].name for i in last.consume}
    elif rule == "activity-after-delivery":
        assert before.deliveries >= 1 and "closed" in before.marking and same(before.marking)
        assert last.name in before.enabled
    elif rule == "improper-completion":
        work = {p.name for p in net.places if p.role not in (PlaceRole.CLOSED, PlaceRole.FLAG)}
        assert same(full.marking) and set(full.marking) & work
        assert "closed" in full.marking and full.enabled == ()
    elif rule == "no-delivery":
        assert same(full.marking) and full.deliveries == 0 and full.enabled == ()
    elif rule == "stuck":
        walk = markings_along(net, violation.form, events)
        assert [names(net, m) for m in walk][-1] == set(full.marking)
        if same(full.marking):   # it comes to a halt
            assert full.deliveries == 0
        else:                    # it goes round a loop: the last event returns to a marking
            assert same(before.marking) and walk[-1] in walk[:-1]
            assert not can_finish(net, violation.form, walk[-2])
        assert not can_finish(net, violation.form, walk[-1])
    else:  # pragma: no cover
        raise AssertionError(f"unexpected rule {rule}")
    assert_shortest(net, violation, ref)


def assert_shortest(net: Net, violation: Violation, ref: Result) -> None:
    """No shorter event sequence breaks the same rule (the reference's BFS depth)."""
    rule = violation.rule.value
    if rule != "stuck":
        assert len(violation.trace) == ref.rules[rule], violation.render()
        return
    # the trace goes on to show the halt or the loop: its first stuck marking must be one of
    # the nearest stuck markings of that form
    mine = per_form(ref, violation.form)
    walk = markings_along(net, violation.form, [e.transition for e in violation.trace])
    first = next(i for i, m in enumerate(walk) if m in mine.stuck)
    assert first == mine.shortest["stuck"], violation.render()


def assert_catches(net: Net, workflow: Workflow, rule: str) -> None:
    """Both modes of the checker and the reference find ``rule``; every counterexample
    replays on the machine and is the shortest for its rule."""
    ref = reference_check(net, workflow)
    assert rule in ref.errors, ref.rules
    for compositional in (True, False):
        report = check_net(net, workflow, compositional=compositional)
        assert report.decided and not report.sound
        assert rule in rules_of(report), (compositional, [v.render() for v in report.errors])
        for violation in report.errors:
            assert_reproduces(net, violation, ref)


def assert_agree(net: Net, workflow: Workflow) -> None:
    """Both modes of the checker report exactly the rules the reference finds."""
    ref = reference_check(net, workflow)
    for compositional in (True, False):
        report = check_net(net, workflow, compositional=compositional)
        assert rules_of(report) == ref.errors, (compositional, rules_of(report), ref.rules)


# -- mistakes written as workflow files ---------------------------------------------------------


@pytest.mark.parametrize("compositional", MODES)
@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_written_mistake_is_reported_with_the_right_rules(path: Path, compositional: bool) -> None:
    workflow = load(path)
    report = check(workflow, compositional=compositional)
    assert report.decided
    expected = expected_rules(path)
    assert rules_of(report, errors_only=False) == expected, [v.render() for v in
                                                              report.violations]
    assert report.sound == (not expected - {"overlapping-arms"})


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.stem)
def test_written_mistake_agrees_with_the_reference(path: Path) -> None:
    workflow = load(path)
    ref = reference_check(build_net(workflow), workflow)
    assert ref.errors == expected_rules(path) - {"overlapping-arms"}
    report = check(workflow, merge_forms=False)
    if report.sound:
        assert report.configurations == ref.configurations


@pytest.mark.parametrize("compositional", MODES)
@pytest.mark.parametrize("path", UNSOUND_FILES, ids=lambda p: p.stem)
def test_written_mistake_replays_on_the_machine_and_is_shortest(path: Path,
                                                               compositional: bool) -> None:
    workflow = load(path)
    net = build_net(workflow)
    ref = reference_check(net, workflow)
    report = check_net(net, workflow, compositional=compositional)
    for violation in report.errors:
        assert_reproduces(net, violation, ref)


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def test_violations_are_located_in_the_file() -> None:
    path = CATALOGUE / "dead_step_unsatisfiable.yaml"
    dead = {v.rule.value: v.location for v in check(load(path)).errors}
    assert dead["dead-step"].line == dead["dead-branch"].line == _line_of(path, "labour_filing")
    assert dead["dead-step"].file == str(path)
    path = CATALOGUE / "dead_step_jumped_over.yaml"
    [dead_step] = check(load(path)).errors
    assert dead_step.location.line == _line_of(path, "id: address_check")
    path = CATALOGUE / "loop_no_exit_before_steps.yaml"
    stuck = next(v for v in check(load(path)).errors if v.rule.value == "stuck")
    assert stuck.location.line == _line_of(path, "goto: {approve: name_check}")
    assert stuck.trace[-1].transition == "approve:pre_check"


# -- mistakes the loader refuses ----------------------------------------------------------------


@pytest.mark.parametrize("path", REFUSED, ids=lambda p: p.stem)
def test_loader_refuses_the_mistake_with_a_located_diagnostic(path: Path) -> None:
    code = header(path)["Loader"].split()[0]
    result = read(path)
    assert result.workflow is None
    lines = path.read_text(encoding="utf-8").splitlines()
    marked = [n for n, line in enumerate(lines, start=1) if line.rstrip().endswith("# <-")]
    assert marked
    found = [(d.location.line, d.location.col) for d in result.errors if d.code == code]
    assert [line for line, _ in found] == marked, [d.render() for d in result.errors]
    for line, col in found:
        text = lines[line - 1]
        token = re.split(r"[\s,}:]", text[col - 1:], maxsplit=1)[0]
        # the diagnostic points at the jump's target (or at the repeated key)
        assert token and (token == "delivery" or f": {token}" in text), (text, col)
    assert all(str(d.location).startswith(f"{path}:") for d in result.errors)


# -- mistakes injected into the nets of sound workflows -----------------------------------------


@cache
def base(name: str) -> tuple[Workflow, Net]:
    path = ROOT / "workflows" / name if name == "enterprise_startup.yaml" else CATALOGUE / name
    workflow = load(path)
    return workflow, build_net(workflow)


def block_of(net: Net, step: str) -> tuple[ParallelBlock, int]:
    """The innermost parallel block around ``step`` and the branch it is in."""
    found = [(len(branch_steps(net, b, i)), b, i) for b in net.blocks
             for i in range(len(b.starts)) if step in branch_steps(net, b, i)]
    _, block, branch = min(found, key=lambda f: f[0])
    return block, branch


def outer_block(net: Net) -> ParallelBlock:
    return max(net.blocks, key=lambda b: sum(len(branch_steps(net, b, i))
                                             for i in range(len(b.starts))))


def all_steps(net: Net, block: ParallelBlock) -> list[str]:
    return [s for i in range(len(block.starts)) for s in branch_steps(net, block, i)]


Make = Callable[[Net], Net]

INJECTIONS: list[tuple[str, str, str, Make, str]] = [
    # (mistake, variant, base workflow, operator, the rule that must fire)
    ("jump out of a parallel branch", "single-step branch of 2", "sound_parallel2.yaml",
     lambda n: jump_out_of_branch(n, block_of(n, "seal")[0], "seal"), "improper-completion"),
    ("jump out of a parallel branch", "second step of a branch", "sound_parallel2.yaml",
     lambda n: jump_out_of_branch(n, block_of(n, "invoice")[0], "invoice"),
     "improper-completion"),
    ("jump out of a parallel branch", "branch 3 of 4", "sound_parallel4.yaml",
     lambda n: jump_out_of_branch(n, block_of(n, "housing_fund")[0], "housing_fund"),
     "improper-completion"),
    ("jump out of a parallel branch", "out of a nested block", "sound_nested.yaml",
     lambda n: jump_out_of_branch(n, block_of(n, "customs")[0], "customs"),
     "improper-completion"),
    ("jump out of a parallel branch", "backwards, before the block", "sound_parallel2.yaml",
     lambda n: jump_back_out_of_branch(n, block_of(n, "tax")[0], "tax", "registration"),
     "duplicated-work"),
    ("jump out of a parallel branch", "backwards from a nested block", "sound_nested.yaml",
     lambda n: jump_back_out_of_branch(n, block_of(n, "forex")[0], "forex", "registration"),
     "duplicated-work"),
    ("jump into a parallel branch", "branch 1 of 2", "sound_parallel2.yaml",
     lambda n: jump_into_branch(n, n.blocks[0], 0), "stuck"),
    ("jump into a parallel branch", "branch 2 of 2 (two steps)", "sound_parallel2.yaml",
     lambda n: jump_into_branch(n, n.blocks[0], 1), "stuck"),
    ("jump into a parallel branch", "branch 3 of 4", "sound_parallel4.yaml",
     lambda n: jump_into_branch(n, n.blocks[0], 2), "stuck"),
    ("jump into a parallel branch", "into a nested block", "sound_nested.yaml",
     lambda n: jump_into_branch(n, block_of(n, "forex")[0], 1), "stuck"),
    ("choice followed by a join waiting for all", "2 branches", "sound_parallel2.yaml",
     lambda n: exclusive_fork(n, n.blocks[0], "employees > 5"), "stuck"),
    ("choice followed by a join waiting for all", "4 branches", "sound_parallel4.yaml",
     lambda n: exclusive_fork(n, n.blocks[0], "needs_invoice"), "stuck"),
    ("choice followed by a join waiting for all", "nested block", "sound_nested.yaml",
     lambda n: exclusive_fork(n, block_of(n, "customs")[0], "investor == 'foreign'"), "stuck"),
    ("choice followed by a join waiting for all", "outer block", "sound_nested.yaml",
     lambda n: exclusive_fork(n, outer_block(n), "investor != 'hk_macao'"), "stuck"),
    ("two delivery points", "first step of a sequence", "sound_sequence.yaml",
     lambda n: approve_delivers(n, "name_check"), "two-deliveries"),
    ("two delivery points", "inside a branch", "sound_parallel2.yaml",
     lambda n: approve_delivers(n, "seal"), "two-deliveries"),
    ("two delivery points", "conditional step in a branch", "sound_parallel4.yaml",
     lambda n: approve_delivers(n, "tax"), "two-deliveries"),
    ("two delivery points", "deep in a nested block", "sound_nested.yaml",
     lambda n: approve_delivers(n, "customs"), "two-deliveries"),
    ("two parallel refusals, two notices", "2 branches", "sound_parallel2.yaml",
     lambda n: refusals_without_cancel(n, all_steps(n, n.blocks[0])), "two-deliveries"),
    ("two parallel refusals, two notices", "4 branches", "sound_parallel4.yaml",
     lambda n: refusals_without_cancel(n, all_steps(n, n.blocks[0])), "two-deliveries"),
    ("two parallel refusals, two notices", "nested block", "sound_nested.yaml",
     lambda n: refusals_without_cancel(n, ["customs", "forex"]), "two-deliveries"),
    ("withdrawal racing the delivery", "sequence, promised material", "sound_sequence.yaml",
     deliver_keeps_open, "two-deliveries"),
    ("withdrawal racing the delivery", "after a parallel block", "sound_parallel2.yaml",
     deliver_keeps_open, "two-deliveries"),
    ("withdrawal racing the delivery", "withdrawal cancels nothing, sequence",
     "sound_sequence.yaml", withdraw_without_cancel, "activity-after-delivery"),
    ("withdrawal racing the delivery", "withdrawal cancels nothing, 4 branches",
     "sound_parallel4.yaml", withdraw_without_cancel, "activity-after-delivery"),
    ("timer racing a decision", "correction timer, sequence", "sound_sequence.yaml",
     lambda n: expiry_keeps_correction(n, "registration"), "activity-after-delivery"),
    ("timer racing a decision", "correction timer in a branch", "sound_parallel2.yaml",
     lambda n: expiry_keeps_correction(n, "tax"), "activity-after-delivery"),
    ("timer racing a decision", "correction timer, nested block", "sound_nested.yaml",
     lambda n: expiry_keeps_correction(n, "forex"), "activity-after-delivery"),
    ("timer racing a decision", "escalation, first step", "sound_sequence.yaml",
     lambda n: escalation_races_decision(n, "name_check"), "duplicated-work"),
    ("timer racing a decision", "escalation in a branch", "sound_parallel2.yaml",
     lambda n: escalation_races_decision(n, "seal"), "duplicated-work"),
    ("timer racing a decision", "escalation, conditional step", "sound_sequence.yaml",
     lambda n: escalation_races_decision(n, "labour_filing"), "duplicated-work"),
    ("timer racing a decision", "escalation, nested block", "sound_nested.yaml",
     lambda n: escalation_races_decision(n, "customs"), "duplicated-work"),
    ("k-of-n join, stragglers not cancelled", "1 of 2", "sound_parallel2.yaml",
     lambda n: k_of_n_join(n, n.blocks[0], 1), "improper-completion"),
    ("k-of-n join, stragglers not cancelled", "2 of 4", "sound_parallel4.yaml",
     lambda n: k_of_n_join(n, n.blocks[0], 2), "improper-completion"),
    ("k-of-n join, stragglers not cancelled", "3 of 4", "sound_parallel4.yaml",
     lambda n: k_of_n_join(n, n.blocks[0], 3), "improper-completion"),
    ("k-of-n join, stragglers not cancelled", "1 of 2, nested block", "sound_nested.yaml",
     lambda n: k_of_n_join(n, block_of(n, "customs")[0], 1), "improper-completion"),
    ("second correction request on one step", "sequence", "sound_sequence.yaml",
     lambda n: second_correction(n, "registration"), "second-correction"),
    ("second correction request on one step", "second step of a branch",
     "sound_parallel2.yaml", lambda n: second_correction(n, "invoice"), "second-correction"),
    ("second correction request on one step", "optional step in a branch",
     "sound_parallel4.yaml", lambda n: second_correction(n, "bank"), "second-correction"),
    ("second correction request on one step", "in a choice arm", "sound_nested.yaml",
     lambda n: second_correction(n, "foreign_filing"), "second-correction"),
]


def test_every_injected_mistake_has_several_variants() -> None:
    count: dict[str, int] = {}
    for mistake, *_ in INJECTIONS:
        count[mistake] = count.get(mistake, 0) + 1
    assert len(count) == 9 and min(count.values()) >= 3, count


def test_the_bases_are_sound() -> None:
    for name in ("sound_sequence.yaml", "sound_parallel2.yaml", "sound_parallel4.yaml",
                 "sound_nested.yaml"):
        workflow, net = base(name)
        for compositional in (True, False):
            assert check_net(net, workflow, compositional=compositional).sound


INJECTION_IDS = [f"{m}: {v}" for m, v, *_ in INJECTIONS]
@pytest.mark.parametrize(("mistake", "variant", "name", "make", "rule"), INJECTIONS,
                         ids=INJECTION_IDS)
def test_injected_mistake_is_caught_replayed_and_shortest(mistake: str, variant: str,
                                                          name: str, make: Make,
                                                          rule: str) -> None:
    workflow, net = base(name)
    assert_catches(make(net), workflow, rule)


@pytest.mark.parametrize(("mistake", "variant", "name", "make", "rule"), INJECTIONS,
                         ids=INJECTION_IDS)
def test_injected_mistake_rules_agree_across_modes_and_reference(mistake: str, variant: str,
                                                                 name: str, make: Make,
                                                                 rule: str) -> None:
    workflow, net = base(name)
    assert_agree(make(net), workflow)


@pytest.mark.slow
@pytest.mark.parametrize(("make", "rule"), [
    (lambda n: refusals_without_cancel(n, all_steps(n, n.blocks[0])), "two-deliveries"),
    (lambda n: k_of_n_join(n, n.blocks[0], 5), "improper-completion"),
    (lambda n: jump_out_of_branch(n, n.blocks[0], "bank_appointment"), "improper-completion"),
], ids=["refusals", "5-of-6", "jump-out"])
def test_injected_mistakes_in_the_shipped_workflow(make: Make, rule: str) -> None:
    workflow, net = base("enterprise_startup.yaml")
    assert_catches(make(net), workflow, rule)


# -- checker bugs this catalogue found (kept as regression tests) --------------------------------


def _early_done() -> tuple[Workflow, Net]:
    """A branch that reports itself done before its last step: approving ``a`` marks the
    branch done *and* hands on to ``b``, which then outlives the block."""
    workflow, net = base("sound_parallel2.yaml")
    block, _ = block_of(net, "invoice")
    t = net.transition("approve:tax")
    out = list(net.transitions)
    out[t.index] = attrs.evolve(t, produce=(*t.produce, block.dones[1]))
    return workflow, with_transitions(net, out)


def test_early_done_branch_is_unsound_in_both_modes() -> None:
    workflow, net = _early_done()
    for compositional in (True, False):
        report = check_net(net, workflow, compositional=compositional)
        assert not report.sound and "improper-completion" in rules_of(report)


def test_compositional_and_monolithic_report_the_same_rules_for_leftover_branch_work() -> None:
    """Work left behind in a branch that has finished outlives the block: in the product it
    acts after the delivery, which the compositional check must not miss (it once reported
    only the branch's improper-completion)."""
    workflow, net = _early_done()
    ref = reference_check(net, workflow)
    assert rules_of(check_net(net, workflow, compositional=False)) == ref.errors
    assert rules_of(check_net(net, workflow, compositional=True)) == ref.errors


def test_a_branch_violation_shows_the_whole_configuration() -> None:
    """A violation found inside an isolated branch carries the whole configuration its trace
    leads to (it once carried the branch's places only)."""
    workflow = load(CATALOGUE / "choice_not_exhaustive_branch.yaml")
    net = build_net(workflow)
    [stuck] = check_net(net, workflow, compositional=True).errors
    assert stuck.message.startswith("this branch comes to a halt")
    reached = replay(compile_net(net), stuck)
    assert set(stuck.marking) == set(reached.marking)


def _stuck_violations() -> list[tuple[str, bool, Violation]]:
    out = []
    for path in UNSOUND_FILES:
        for compositional in (True, False):
            for v in check(load(path), compositional=compositional).errors:
                if v.rule.value == "stuck":
                    out.append((path.stem, compositional, v))
    return out


def test_a_stuck_counterexample_shows_the_loop_or_halt_that_causes_it() -> None:
    """A special-procedure round trip is possible on every waiting step and never the cause
    of a stuck case: a counterexample must not present it as the loop without exit."""
    misleading = [(name, compositional, str(v.location))
                  for name, compositional, v in _stuck_violations()
                  if v.trace and v.trace[-1].transition.startswith("end_special_procedure")]
    assert misleading == []


def test_checker_and_machine_take_the_same_silent_move() -> None:
    """With two silent moves enabled at once the engine takes the one the checker takes
    (lowest index first; the machine once took the lowest marked input place first)."""
    workflow = parse(
        "onething: 1\nid: race\nversion: 1\ntitle: race\nlead: hall\n"
        "form: {fields: {x: {type: int, required: true}}}\n"
        "steps:\n  - choice:\n    - when: 'x > 5'\n      then: [{id: a, department: d1}]\n"
        "    - otherwise: [{id: b, department: d1}]\n"
        "delivery: {bundle: [], methods: [window], reads: [x]}\n").unwrap()
    net = build_net(workflow)
    hijack = Transition(0, "hijack", None, Performer.ENGINE,
                        (net.place("open").index, net.place("choice1").index),
                        (net.place("open").index, net.place("step:b").index))
    net = with_transitions(net, [*net.transitions, hijack])
    guard = form_guard({"x": 9})
    accept = net.transition("accept")
    semantics = Semantics(net)
    by_checker, _ = semantics.settle(semantics.fire(semantics.initial, accept)[0], guard)
    by_machine = compile_net(net).fire(semantics.initial, accept, guard).marking
    assert by_checker == by_machine


# -- the store refuses a second delivery ----------------------------------------------------------

DESK = window("market_regulation")


def _delivered_case(store: object) -> tuple[Engine, str]:
    engine = Engine(store, clock=FixedClock(START))
    workflow, _ = base("sound_parallel2.yaml")
    engine.deploy(workflow)
    case = engine.submit(workflow.id, {"company_name": "示例", "employees": 3}, {})
    engine.accept(case.id, DESK)
    for step, department in (("registration", "market_regulation"),
                             ("seal", "public_security"), ("tax", "tax"), ("invoice", "tax"),
                             ("review", "market_regulation")):
        engine.act(case.id, step, "approve", officer(department))
    return engine, case.id


def _rival(case_id: str, ident: str = "rival") -> Delivery:
    return Delivery(ident, case_id, "result", datetime(2026, 10, 9, 10, 0), "window", (), {})


@pytest.mark.parametrize("make", [lambda: SqliteStore(":memory:"), MemoryStore],
                         ids=["sqlite", "memory"])
def test_the_store_refuses_a_second_delivery_row(make: Callable[[], object]) -> None:
    engine, case_id = _delivered_case(make())
    engine.deliver(case_id, DESK, "window")
    store = engine.store
    first = store.delivery(case_id)
    case = store.load(case_id)
    again = attrs.evolve(case, version=case.version + 1)
    with pytest.raises(AlreadyDelivered):
        store.commit(again, case.version, [], _rival(case_id))
    assert store.delivery(case_id) == first
    assert store.load(case_id).version == case.version  # the whole write was rolled back


@pytest.mark.parametrize("make", [lambda: SqliteStore(":memory:"), MemoryStore],
                         ids=["sqlite", "memory"])
def test_the_engine_turns_a_refused_second_delivery_into_case_ended(
        make: Callable[[], object]) -> None:
    engine, case_id = _delivered_case(make())
    store = engine.store
    case = store.load(case_id)
    assert not case.ended and "deliver" in engine.possible(case_id)
    # a rival delivery slipped in (same case version: the engine's own check cannot see it)
    store.commit(case, case.version, [], _rival(case_id))
    with pytest.raises(CaseEnded, match="delivered already"):
        engine.deliver(case_id, DESK, "window")
    assert store.delivery(case_id).id == "rival"
    assert [e.action for e in engine.history(case_id)].count("delivered") == 0
    with pytest.raises(CaseEnded):
        engine.withdraw(case_id, applicant(), "too late")
