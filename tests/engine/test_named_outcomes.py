"""A step's own outcomes and the fields a step sets (issue 14 item 5): a department decides
more than approve or refuse (``site_visit``), its decision chooses the route, and the values
it sets with the decision (``risk_level``) are what later conditions read. Before, a route
could only follow the applicant's form, and a department had two answers."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.workflow_gen import CHILD, KINDS, P, Wf, workflows
from tests.support.workflow_gen import render as render_yaml

from onething.cases.records import applicant, officer, window
from onething.cli import cli
from onething.diagram import render
from onething.engine.engine import Engine
from onething.errors import ActionRefused, NotAuthorized, SubmissionRejected
from onething.language.load import parse
from onething.language.model import Workflow
from onething.net.build import build_net
from onething.net.model import PROMISED, Performer
from onething.net.semantics import Semantics, bits, form_guard
from onething.soundness.proof import check
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

TEXT = """\
onething: 1
id: clinic
version: 1
title: 诊所开办
lead: health
form:
  fields:
    clinic_name: {type: string, required: true}
    beds: {type: int, required: true, min: 0, max: 100}
steps:
  - id: review
    title: 预审
    department: health
    reads: [clinic_name, beds]
    sets:
      risk_level: {type: enum, values: [low, high]}
      fee_rate: {type: decimal, min: 0, max: 1}
    outcomes:
      site_visit: {goto: inspection, title: 需现场核查}
  - id: desk_approval
    department: health
    when: "risk_level == 'low'"
    produces: [licence]
    goto: {approve: filing}
  - id: inspection
    title: 现场核查
    department: health
    reads: [risk_level]
    produces: [licence]
  - id: filing
    department: health
    when: "risk_level == 'high' or beds > 20 or fee_rate > 0.5"
delivery:
  bundle: [licence]
  methods: [window]
"""
WORKFLOW = parse(TEXT).unwrap()
START = dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
HEALTH = officer("health")


def opened(engine: Engine, beds: int = 10) -> str:
    engine.deploy(WORKFLOW)
    case = engine.submit("clinic", {"clinic_name": "安康诊所", "beds": beds}, {})
    engine.accept(case.id, window("health"))
    return case.id


def entered(engine: Engine, case_id: str) -> list[str]:
    """The steps the case was put to, in order (decisions made on them)."""
    return [e.step for e in engine.history(case_id)
            if e.actor.startswith("department") and e.step and e.action != "refused_attempt"]


def test_the_decision_and_what_it_set_choose_the_route(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine)
    case = engine.act(case_id, "review", "site_visit", HEALTH, "需核实消毒设施",
                      fields={"risk_level": "low", "fee_rate": "0.75"})
    assert case.outcomes["review"]["outcome"] == "site_visit"
    assert case.outcomes["review"]["set"] == {"risk_level": "low",
                                              "fee_rate": {"$decimal": "0.75"}}
    assert engine.waiting_on(case_id) == ["inspection"]
    assert case.produced == ()  # a step's own outcome produces nothing
    # the value is read back from the store by a later action: filing runs for 0.75 > 0.5
    engine.act(case_id, "inspection", "approve", HEALTH)
    assert engine.waiting_on(case_id) == ["filing"]
    assert engine.case(case_id).facts()["fee_rate"] == Decimal("0.75")
    engine.act(case_id, "filing", "approve", HEALTH)
    engine.deliver(case_id, window("health"))
    delivery = engine.delivery(case_id)
    assert delivery is not None and delivery.items == ("licence",)
    event = next(e for e in engine.history(case_id) if e.action == "site_visit")
    assert event.data["set"]["risk_level"] == "low"


@pytest.mark.parametrize(("decision", "risk", "beds", "fee", "path"), [
    ("approve", "low", 10, "0.1", ["review", "desk_approval"]),
    ("approve", "low", 30, "0.1", ["review", "desk_approval", "filing"]),
    ("approve", "high", 10, "0.1", ["review", "inspection", "filing"]),
    ("site_visit", "low", 10, "0.1", ["review", "inspection"]),
    ("site_visit", "high", 10, "0.1", ["review", "inspection", "filing"]),
])
def test_each_route(decision: str, risk: str, beds: int, fee: str, path: list[str]) -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, beds)
    engine.act(case_id, "review", decision, HEALTH,
               fields={"risk_level": risk, "fee_rate": fee})
    while engine.waiting_on(case_id):
        engine.act(case_id, engine.waiting_on(case_id)[0], "approve", HEALTH)
    assert entered(engine, case_id) == path


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["approve", "site_visit"]), st.sampled_from(["low", "high"]),
       st.integers(0, 100), st.decimals(0, 1, places=2))
def test_the_route_is_the_conditions_on_what_was_set(decision: str, risk: str, beds: int,
                                                      fee: Decimal) -> None:
    """The engine takes exactly the steps the workflow's conditions select from the form and
    the values the department set, whatever they are."""
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, beds)
    engine.act(case_id, "review", decision, HEALTH, fields={"risk_level": risk,
                                                           "fee_rate": str(fee)})
    while engine.waiting_on(case_id):
        engine.act(case_id, engine.waiting_on(case_id)[0], "approve", HEALTH)
    path = entered(engine, case_id)
    desk = decision == "approve" and risk == "low"
    assert ("desk_approval" in path) == desk
    assert ("inspection" in path) == (not desk)
    assert ("filing" in path) == (risk == "high" or beds > 20 or fee > Decimal("0.5"))
    engine.deliver(case_id, window("health"))
    assert sum(e.action == "delivered" for e in engine.history(case_id)) == 1


def test_what_a_setting_decision_needs_is_checked_after_who_asks() -> None:
    engine = Engine(clock=FixedClock(START))
    with pytest.raises(SubmissionRejected, match="risk_level"):  # never the applicant's
        engine.deploy(WORKFLOW)
        engine.submit("clinic", {"clinic_name": "x", "beds": 1, "risk_level": "low"}, {})
    case_id = opened(engine)
    with pytest.raises(NotAuthorized):
        engine.act(case_id, "review", "approve", officer("tax"), fields={"nonsense": 1})
    with pytest.raises(ActionRefused, match="sets risk_level, fee_rate: give them"):
        engine.act(case_id, "review", "approve", HEALTH)
    with pytest.raises(ActionRefused, match="'risk' is not a field 'review' sets") as unknown:
        engine.act(case_id, "review", "approve", HEALTH, fields={"risk": "low"})
    assert "risk_level" in unknown.value.hint
    with pytest.raises(ActionRefused, match="'risk_level' set by 'review'"):
        engine.act(case_id, "review", "approve", HEALTH,
                   fields={"risk_level": "medium", "fee_rate": "0.1"})
    with pytest.raises(ActionRefused, match="fee_rate"):
        engine.act(case_id, "review", "approve", HEALTH,
                   fields={"risk_level": "low", "fee_rate": "2"})  # above its max
    with pytest.raises(ActionRefused, match="a mapping"):
        engine.act(case_id, "review", "approve", HEALTH, fields=["low"])  # type: ignore[arg-type]
    with pytest.raises(ActionRefused, match="only a decision that goes on"):
        engine.act(case_id, "review", "request_correction", HEALTH, "r",
                   fields={"risk_level": "low", "fee_rate": "0.1"})
    with pytest.raises(ActionRefused, match="not an action"):
        engine.act(case_id, "review", "site_vist", HEALTH)
    assert engine.waiting_on(case_id) == ["review"]  # nothing moved
    assert "site_visit review" in engine.possible(case_id)
    engine.act(case_id, "review", "approve", HEALTH, fields={"risk_level": "high",
                                                            "fee_rate": "0"})
    with pytest.raises(ActionRefused, match="'inspection' sets no fields"):
        engine.act(case_id, "inspection", "approve", HEALTH, fields={"risk_level": "low"})


def test_a_correction_cannot_change_what_a_step_set() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine)
    engine.act(case_id, "review", "site_visit", HEALTH, fields={"risk_level": "low",
                                                               "fee_rate": "0"})
    engine.act(case_id, "inspection", "request_correction", HEALTH, "补充材料")
    with pytest.raises((ActionRefused, SubmissionRejected)):
        engine.supplement(case_id, applicant(), step="inspection",
                          fields={"risk_level": "high"})
    assert engine.case(case_id).facts()["risk_level"] == "low"


def test_the_proof_explores_every_value_a_department_may_set() -> None:
    report = check(WORKFLOW)
    assert report.sound, [v.render() for v in report.violations]
    # a route no value reaches: dead; a value no route takes: stuck, with the value named
    dead = parse(TEXT.replace("when: \"risk_level == 'low'\"",
                              "when: \"risk_level == 'low' and risk_level == 'high'\"")).unwrap()
    assert "dead-step" in {v.rule.value for v in check(dead).violations}
    stuck_text = TEXT.replace("""  - id: desk_approval
    department: health
    when: "risk_level == 'low'"
    produces: [licence]
    goto: {approve: filing}
""", """  - choice:
      - when: "risk_level == 'low'"
        then: [{id: desk_approval, department: health, produces: [licence],
                goto: {approve: filing}}]
""")
    stuck = check(parse(stuck_text).unwrap())
    [violation] = [v for v in stuck.violations if v.rule.value == "stuck"]
    assert violation.form["risk_level"] == "high"


def test_the_diagram_draws_the_outcomes_and_what_is_set() -> None:
    for fmt in ("mermaid", "dot"):
        text = render(WORKFLOW, fmt)
        assert "需现场核查 →" in text and "sets: risk_level, fee_rate" in text


def test_the_command_line_decides_sets_and_shows(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(TEXT, encoding="utf-8")
    db = str(tmp_path / "cases.sqlite3")
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", str(path), "--db", db]).exit_code == 0
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"clinic_name": "安康诊所", "beds": 5}), encoding="utf-8")
    case_id = json.loads(runner.invoke(cli, ["submit", "clinic", "--form", str(form),
                                             "--db", db, "--format", "json"]).output)["case"]
    runner.invoke(cli, ["act", case_id, "accept", "--as", "window:w@health", "--db", db])
    missing = runner.invoke(cli, ["act", case_id, "site_visit", "review", "--as",
                                  "department:o@health", "--db", db])
    assert missing.exit_code == 2 and "error[refused.step.sets_missing]" in missing.output
    done = runner.invoke(cli, ["act", case_id, "site_visit", "review", "--as",
                               "department:o@health", "--set", "risk_level=high",
                               "--set", "fee_rate=0.25", "--db", db])
    assert done.exit_code == 0, done.output
    shown = runner.invoke(cli, ["status", case_id, "--db", db])
    assert "已办结步骤：预审（review），health：需现场核查" in shown.output  # the outcome's title
    data = json.loads(runner.invoke(cli, ["status", case_id, "--db", db,
                                          "--format", "json"]).output)
    assert [(d["step"], d["outcome"]) for d in data["decided"]] == [("review", "site_visit")]
    assert [w["step"] for w in data["waiting"]] == ["inspection"]
    seen = json.loads(runner.invoke(cli, ["view", case_id, "--as", "department:o@health",
                                          "--db", db, "--format", "json"]).output)
    assert seen["fields"]["risk_level"] == "high"  # what its steps read of what was set
    history = runner.invoke(cli, ["history", case_id, "--db", db])
    assert "set: risk_level=high, fee_rate=0.25" in history.output


# -- found by review: each of these failed before its fix ------------------------------------

SMALL = """\
onething: 1
id: wf
version: {version}
title: wf
lead: health
form:
  fields:
    beds: {{type: int, required: true}}
steps:
{steps}
delivery:
  bundle: [licence]
  methods: [window]
"""
CHOOSE = """\
  - choice:
      - when: "risk == 'low'"
        then: [{id: desk, department: health, produces: [licence]}]
      - when: "risk == 'high'"
        then: [{id: inspection, department: health, produces: [licence]}]
"""


def small(steps: str, version: int = 1) -> str:
    return SMALL.format(version=version, steps=steps.rstrip("\n"))


def test_a_setting_step_with_a_when_is_refused() -> None:
    """Skipped by its 'when', the step would go past without setting: the choice after it
    found the field unset and the case stuck, while the proof said sound."""
    text = small("""\
  - id: review
    department: health
    when: "beds > 10"
    sets: {risk: {type: enum, values: [low, high]}}
""" + CHOOSE)
    [error] = [d for d in parse(text).errors if d.code == "set-field-placement"]
    assert "'when'" in error.message


def test_outcome_names_never_clash_with_the_nets_own_moves() -> None:
    """An outcome named 'fork' on a step called 'par1' replaced the parallel block's fork
    (every case stopped at the block); 'skip' and 'enter' on a step with a 'when' could
    never be taken."""
    for name in ("fork", "join", "skip", "enter", "escalated"):
        text = small(f"""\
  - id: par1
    department: health
    outcomes:
      {name}: {{title: split}}
  - parallel:
      - {{id: a, department: health}}
      - {{id: b, department: tax, produces: [licence]}}
""")
        assert [d.code for d in parse(text).errors] == ["reserved-outcome"], name
    text = small("""\
  - id: par1
    department: health
    outcomes:
      split: {}
  - parallel:
      - {id: a, department: health}
      - {id: b, department: tax, produces: [licence]}
""")
    from onething.net.build import build_net
    workflow = parse(text).unwrap()
    names = [t.name for t in build_net(workflow).transitions]
    assert len(names) == len(set(names))
    engine = Engine(clock=FixedClock(START))
    engine.deploy(workflow)
    case = engine.submit("wf", {"beds": 5}, {})
    engine.accept(case.id, window("health"))
    engine.act(case.id, "par1", "split", HEALTH)
    assert sorted(engine.waiting_on(case.id)) == ["a", "b"]


def test_a_commitment_when_reads_what_a_step_set() -> None:
    """possible() offered approve_on_commitment (the net reads set fields) but the engine
    checked the commitment's 'when' against the form alone and refused it."""
    text = small("""\
  - id: review
    department: health
    sets: {risk: {type: enum, values: [low, high]}}
  - id: issue
    department: health
    produces: [licence]
    commitment: {when: "risk == 'low'"}
""")
    engine = Engine(clock=FixedClock(START))
    engine.deploy(parse(text).unwrap())
    case = engine.submit("wf", {"beds": 5}, {})
    engine.accept(case.id, window("health"))
    engine.act(case.id, "review", "approve", HEALTH, fields={"risk": "low"})
    assert "approve_on_commitment issue" in engine.possible(case.id)
    engine.act(case.id, "issue", "approve_on_commitment", HEALTH)
    assert engine.case(case.id).outcomes["issue"]["outcome"] == "approve"


def test_conditions_read_at_submission_may_not_read_what_a_step_sets() -> None:
    """A required_if or the green channel's when on a set field was accepted silently and
    could never hold (it is read at submission, before any step decides)."""
    base = small("""\
  - id: review
    department: health
    sets: {risk: {type: bool}}
  - {id: issue, department: health, produces: [licence]}
""")
    required_if = base.replace("    beds: {type: int, required: true}",
                               "    beds: {type: int, required: true}\n"
                               "    plan: {type: string, required_if: risk}")
    green = base.replace("delivery:", "green_channel: {when: risk}\ndelivery:")
    for text in (required_if, green):
        assert "set-field-read-early" in [d.code for d in parse(text).errors]


def test_one_field_is_set_by_one_step() -> None:
    text = small("""\
  - id: review
    department: health
    sets: {risk: {type: bool}}
  - id: review2
    department: health
    sets: {risk: {type: enum, values: [low, high]}}
  - {id: issue, department: health, produces: [licence]}
""")
    [error] = [d for d in parse(text).errors if d.code == "duplicate-name"]
    assert "'review' sets already" in error.message


def test_a_case_does_not_migrate_to_a_version_that_sets_fields_differently() -> None:
    """Version 2 added a setting step before the step a version-1 case waited on: the case
    moved, the field was never set, and version 2's choice left it stuck."""
    v1 = parse(small("""\
  - {id: a, department: health}
  - {id: b, department: health}
  - {id: desk, department: health, produces: [licence]}
""")).unwrap()
    v2 = parse(small("""\
  - id: review
    department: health
    sets: {risk: {type: enum, values: [low, high]}}
  - {id: a, department: health}
  - {id: b, department: health}
""" + CHOOSE, version=2)).unwrap()
    engine = Engine(clock=FixedClock(START))
    engine.deploy(v1)
    case = engine.submit("wf", {"beds": 5}, {})
    engine.accept(case.id, window("health"))
    engine.act(case.id, "a", "approve", HEALTH)
    engine.deploy(v2)
    migration = engine.migrate("wf", 2)
    assert migration.moved == () and "sets fields differently" in migration.refused[0][1]


def test_a_department_that_reads_a_set_field_sees_it() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine)
    engine.act(case_id, "review", "site_visit", HEALTH, fields={"risk_level": "high",
                                                               "fee_rate": "0"})
    assert engine.view(case_id, HEALTH)["fields"]["risk_level"] == "high"


def test_set_on_an_action_that_sets_nothing_is_a_usage_error(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["act", "C-1", "withdraw", "--as", "applicant:a",
                               "--set", "risk_level=low", "--db", str(tmp_path / "x.db")])
    assert done.exit_code == 2 and "--set goes with a decision" in done.output


@settings(max_examples=80, deadline=None)
@given(workflows().map(lambda w: replace(
           w, setter=True,
           steps=[replace(b, together=False) if isinstance(b, P) else b for b in w.steps])),
       st.sampled_from(KINDS), st.integers(-1, 10), st.randoms(use_true_random=False))
def test_a_value_set_on_the_way_is_the_value_the_proof_fixed_from_the_start(
        wf: Wf, kind: str, x: int, rnd: Any) -> None:
    """The proof fixes a set field's value before the case starts; the engine learns it when
    the setting step decides. On generated workflows whose ``kind`` a first step sets, every
    action the engine takes lands exactly where the case net lands under the form that had
    that ``kind`` from the start (decision 0014: set once, before anything reads it)."""
    workflow = parse(render_yaml(wf)).unwrap()
    net = build_net(workflow)
    semantics = Semantics(net)
    guard = form_guard({"x": x, "kind": kind, PROMISED: False})
    marking, _ = semantics.settle(semantics.initial, guard)
    engine = Engine(clock=FixedClock(START))
    engine.deploy(parse(CHILD).unwrap())  # what a step that opens child cases opens
    engine.deploy(workflow)
    case = engine.submit(workflow.id, {"x": x}, {})
    by_people = {t.label for t in net.transitions
                 if t.actor in (Performer.DEPARTMENT, Performer.WINDOW, Performer.APPLICANT)}
    for _ in range(40):
        labels = [label for label in engine.possible(case.id) if label in by_people
                  and not label.startswith(("withdraw", "revoke_commitment"))]
        if not labels:
            break
        onward = [la for la in labels if not la.startswith(("refuse", "request_correction",
                                                              "start_special_procedure"))]
        # mostly the ways on (a refusal ends the case before later conditions are read)
        label = rnd.choice(onward if onward and rnd.random() < 0.85 else labels)
        try:
            fired = _perform(engine, workflow, case.id, label, kind, rnd)
        except ActionRefused as refused:  # a signer who signed this round already
            assert "already signed" in str(refused)
            fired = False
        if fired:
            [transition] = [t for t in semantics.enabled(marking, guard)
                            if t.label == label][:1]
            marking, _ = semantics.fire(marking, transition)
            marking, _ = semantics.settle(marking, guard)
        assert set(engine.case(case.id).marking) == set(net.names(bits(marking))), label


def _perform(engine: Engine, workflow: Workflow, case_id: str, label: str, kind: str,
             rnd: Any) -> bool:
    """Do what ``label`` says; whether it moved the case (a sign-off may only count)."""
    before = engine.case(case_id).version
    words = label.split()
    action, step = words[0], words[1] if len(words) > 1 else None
    if action == "accept":
        engine.accept(case_id, window("hall"))
    elif action == "deliver":
        engine.deliver(case_id, window("hall"))
    elif action == "refuse_intake":
        engine.refuse_intake(case_id, window("hall"), "r")
    elif action == "request_intake_correction":
        engine.request_intake_correction(case_id, window("hall"), {"x": "r"})
    elif action == "supplement_intake":  # the same value: the proof fixed the form
        engine.supplement(case_id, applicant(), fields={"x": engine.case(case_id).form["x"]})
    elif action == "supplement":
        engine.supplement(case_id, applicant(), step=step, fields={})
    elif action == "start_special_procedure":
        engine.start_special_procedure(case_id, step or "", _officer(workflow, step, rnd),
                                       kind="hearing", expected="5 WD")
    elif action == "send_back":
        engine.send_back(case_id, step or "", _officer(workflow, step, rnd), to=words[3],
                         reason="r")
    else:
        sets = {"kind": kind} if step == "s0" and action not in (
            "refuse", "request_correction", "end_special_procedure") else None
        engine.act(case_id, step or "", action, _officer(workflow, step, rnd), reason="r",
                   fields=sets)
    case = engine.case(case_id)
    return case.version > before and engine.history(case_id)[-1].action != "signed_off"


def _officer(workflow: Workflow, step: str | None, rnd: Any) -> Any:
    return officer(rnd.choice(workflow.step(step or "").signers))
