"""A step's own outcomes and the fields a step sets (issue 14 item 5): a department decides
more than approve or refuse (``site_visit``), its decision chooses the route, and the values
it sets with the decision (``risk_level``) are what later conditions read. Before, a route
could only follow the applicant's form, and a department had two answers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.cases.records import applicant, officer, window
from onething.cli import cli
from onething.diagram import render
from onething.engine.engine import Engine
from onething.errors import ActionRefused, NotAuthorized, SubmissionRejected
from onething.language.load import parse
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
    assert missing.exit_code == 2 and "give them" in missing.output
    done = runner.invoke(cli, ["act", case_id, "site_visit", "review", "--as",
                               "department:o@health", "--set", "risk_level=high",
                               "--set", "fee_rate=0.25", "--db", db])
    assert done.exit_code == 0, done.output
    shown = runner.invoke(cli, ["status", case_id, "--db", db])
    assert "review set: risk_level=high, fee_rate=0.25" in shown.output
    data = json.loads(runner.invoke(cli, ["status", case_id, "--db", db,
                                          "--format", "json"]).output)
    assert data["set"] == {"review": {"risk_level": "high", "fee_rate": "0.25"}}
    assert data["waiting_on"] == ["inspection"]
    history = runner.invoke(cli, ["history", case_id, "--db", db])
    assert "set: risk_level=high, fee_rate=0.25" in history.output
