"""Sub-workflows (issue 14 item 5, decision 0016): a step that opens linked child cases of
another workflow — one, or one per item of a list — each with its own single delivery; the
parent's step is decided by the children's deliveries, durably (in the child's commit's wake
and again through the outbox), exactly once, on every store."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from onething.cases.records import SYSTEM, applicant, officer, window
from onething.cli import cli
from onething.diagram import render
from onething.engine.engine import Engine
from onething.errors import ActionRefused, DeployRefused, NotAuthorized, WorkflowInvalid
from onething.language.load import parse
from onething.language.model import Workflow
from onething.net.build import build_net
from onething.net.model import Performer
from onething.soundness.proof import check
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

PARENT = """\
onething: 1
id: staged-build
version: 1
title: 分阶段施工许可一件事
lead: housing
form:
  fields:
    project_name: {type: string, required: true}
    stages:
      type: list
      required: true
      max_items: 5
      item:
        name: {type: string, required: true}
        area: {type: decimal, min: 0, max: 100000}
  materials:
    plan: {required: true}
steps:
  - {id: planning, department: planning, reads: [project_name], produces: [planning_permit]}
  - id: stage_permits
    title: 分阶段施工许可
    department: housing
    foreach: stages
    opens:
      workflow: stage-permit
      form: {project: project_name, stage: item.name, area: item.area, drawings: plan}
      waits_for: %(waits_for)s
    produces: [stage_permits]
  - {id: filing, department: housing, produces: [filing_record]}
delivery:
  bundle: [planning_permit, stage_permits, filing_record]
  methods: [window]
"""
CHILD = """\
onething: 1
id: stage-permit
version: 1
title: 阶段施工许可
lead: permits
form:
  fields:
    project: {type: string, required: true}
    stage: {type: string, required: true}
    area: {type: decimal, min: 0, max: 1000000}
  materials:
    drawings: {required: true}
steps:
  - {id: review, department: permits, reads: [project, stage, area, drawings],
     produces: [stage_permit]}
delivery:
  bundle: [stage_permit]
  methods: [window]
"""
START = dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
STAGES = [{"name": "基础", "area": "1200"}, {"name": "主体"}, {"name": "装修"}]


def parent(waits_for: str = "result") -> Workflow:
    return parse(PARENT % {"waits_for": waits_for}).unwrap()


def deployed(store: Store | None = None, waits_for: str = "result") -> Engine:
    engine = Engine(store, clock=FixedClock(START)) if store else Engine(clock=FixedClock(START))
    engine.deploy(parse(CHILD).unwrap())
    engine.deploy(parent(waits_for))
    return engine


def at_children(engine: Engine, stages: list[dict[str, str]] = STAGES) -> tuple[str, list[str]]:
    case = engine.submit("staged-build", {"project_name": "幸福里", "stages": stages},
                         {"plan": "doc://plan"}, actor=applicant("a"))
    engine.accept(case.id, window("housing"))
    moved = engine.act(case.id, "planning", "approve", officer("planning"))
    return case.id, list(moved.outcomes["stage_permits"]["children"])


def finish(engine: Engine, child: str, outcome: str = "approve") -> None:
    """The child's own window and department take it to its one delivery."""
    engine.accept(child, window("permits"))
    engine.act(child, "review", outcome, officer("permits"), "不符合" if outcome == "refuse"
               else "")
    if outcome == "approve":
        engine.deliver(child, window("permits"))


def test_reaching_the_step_opens_one_child_per_item_on_every_store(any_store: Store) -> None:
    engine = deployed(any_store)
    case_id, children = at_children(engine)
    assert len(children) == 3
    first = engine.case(children[0])
    assert (first.origin, first.parent_step) == (case_id, "stage_permits")
    assert first.form == {"project": "幸福里", "stage": "基础", "area": 1200}
    assert first.materials == {"drawings": {"ref": "doc://plan", "sha256": None}}
    assert first.marking == ("intake", "open")  # its own window accepts it
    assert first.applicant == engine.case(case_id).applicant
    assert engine.history(children[0])[0].data["parent"] == {"case": case_id,
                                                               "step": "stage_permits"}
    opened = next(e for e in engine.history(case_id) if e.action == "opened")
    assert opened.data == {"children": children, "workflow": "stage-permit@1"}


def test_every_result_approves_the_step_once(any_store: Store) -> None:
    engine = deployed(any_store)
    case_id, children = at_children(engine)
    for number, child in enumerate(children, start=1):
        finish(engine, child)
        record = engine.case(case_id).outcomes["stage_permits"]
        assert record["outcome"] == ("approve" if number == len(children) else "waiting")
        assert len(record["ended"]) == number
    case = engine.case(case_id)
    assert "step:filing" in case.marking and "stage_permits" in case.produced
    decided = [e for e in engine.history(case_id) if e.step == "stage_permits"
               and e.action == "approve"]
    assert len(decided) == 1 and decided[0].actor == str(SYSTEM)
    assert decided[0].data["children"] == dict.fromkeys(children, "result")


def test_a_child_without_a_result_refuses_the_step_and_the_others_go_on(any_store: Store
                                                                          ) -> None:
    engine = deployed(any_store)
    case_id, children = at_children(engine)
    finish(engine, children[0])
    finish(engine, children[1], "refuse")
    assert engine.delivery(case_id).kind == "refusal"
    notice = engine.delivery(case_id).notice
    assert children[1] in json.dumps(notice, ensure_ascii=False)
    finish(engine, children[2])  # a child is an application of its own: it goes on
    assert engine.delivery(children[2]).kind == "result"
    assert engine.case(case_id).outcomes["stage_permits"]["outcome"] == "refuse"


def test_waiting_for_deliveries_approves_whatever_they_are() -> None:
    engine = deployed(waits_for="delivery")
    case_id, children = at_children(engine, STAGES[:2])
    engine.withdraw(children[0], applicant("a"), "不需要了")
    assert engine.case(case_id).outcomes["stage_permits"]["outcome"] == "waiting"
    finish(engine, children[1], "refuse")
    assert engine.case(case_id).outcomes["stage_permits"]["outcome"] == "approve"
    assert "refuse:stage_permits" not in {t.name for t in build_net(parent("delivery")).transitions}


def test_no_one_decides_the_step_by_hand() -> None:
    engine = deployed()
    case_id, _ = at_children(engine)
    for who in (officer("housing"), window("housing")):
        with pytest.raises(NotAuthorized, match="decided by the deliveries of the child"):
            engine.act(case_id, "stage_permits", "approve", who)
    with pytest.raises(ActionRefused):
        engine.act(case_id, "stage_permits", "request_correction", officer("housing"), "x")
    assert not [p for p in engine.possible(case_id) if "stage_permits" in p]


def test_a_lost_settlement_is_made_by_the_outbox(any_store: Store,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing acknowledged is lost: when settling the parent fails after the child's
    delivery committed (a crash, a lost connection), dispatching the outbox settles it."""
    engine = deployed(any_store)
    case_id, children = at_children(engine, STAGES[:1])
    monkeypatch.setattr(engine, "child_delivered", lambda child, now: None)
    finish(engine, children[0])
    assert engine.case(case_id).outcomes["stage_permits"]["outcome"] == "waiting"
    handed = engine.dispatch()
    assert any(item.channel == "parent" for item in handed)
    assert engine.case(case_id).outcomes["stage_permits"]["outcome"] == "approve"
    assert engine.dispatch() == []  # settled once; the row is done
    approvals = [e for e in engine.history(case_id) if e.action == "approve"
                 and e.step == "stage_permits"]
    assert len(approvals) == 1


def test_settling_again_changes_nothing(any_store: Store) -> None:
    from onething.engine._settle import settle
    engine = deployed(any_store)
    case_id, children = at_children(engine, STAGES[:1])
    finish(engine, children[0])
    version = engine.case(case_id).version
    assert settle(engine, case_id, "stage_permits") is None
    assert engine.case(case_id).version == version


def test_children_delivering_at_once_decide_the_step_once(any_store: Store) -> None:
    if type(any_store).__name__ == "MemoryStore":
        pytest.skip("one process, one thread: the memory store has no concurrent writers")
    engine = deployed(any_store)
    case_id, children = at_children(engine, STAGES)
    for child in children:
        engine.accept(child, window("permits"))
        engine.act(child, "review", "approve", officer("permits"))
    errors: list[BaseException] = []

    def deliver(child: str) -> None:
        try:
            engine.deliver(child, window("permits"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=deliver, args=(c,)) for c in children]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    engine.dispatch()
    record = engine.case(case_id).outcomes["stage_permits"]
    assert record["outcome"] == "approve" and len(record["ended"]) == 3
    assert len([e for e in engine.history(case_id) if e.action == "approve"
                and e.step == "stage_permits"]) == 1


def test_a_parent_that_ended_is_not_changed_by_its_children() -> None:
    engine = deployed()
    case_id, children = at_children(engine, STAGES[:1])
    engine.withdraw(case_id, applicant("a"), "项目取消")
    version = engine.case(case_id).version
    finish(engine, children[0])
    assert engine.case(case_id).version == version
    assert engine.delivery(children[0]).kind == "result"


# -- deployment: the child is known, fits and can deliver a result ----------------------------


def test_the_child_workflow_is_deployed_first() -> None:
    engine = Engine(clock=FixedClock(START))
    with pytest.raises(DeployRefused, match="deploy 'stage-permit' first"):
        engine.deploy(parent())


@pytest.mark.parametrize(("child", "text", "words"), [
    (CHILD.replace("max: 1000000", "max: 10"), PARENT,
     "fills 'stage-permit's 'area' from 'item.area', but 'area' accepts nothing above 10"),
    (CHILD, PARENT.replace("stage: item.name, ", ""),
     "'stage-permit' requires 'stage', which step 'stage_permits' is not filled"),
    (CHILD.replace("drawings", "drawing"), PARENT,
     "'stage-permit' has no field or material 'drawings'"),
    (CHILD, PARENT.replace("project: project_name", "project: item.area"),
     "it is decimal and 'project' is string"),
])
def test_a_child_that_does_not_fit_is_refused_at_deployment(child: str, text: str,
                                                            words: str) -> None:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(parse(child).unwrap())
    with pytest.raises(WorkflowInvalid) as refused:
        engine.deploy(parse(text % {"waits_for": "result"}).unwrap())
    assert words in str(refused.value)
    assert refused.value.diagnostics[0].location.line == 25  # the step's 'opens'


def test_waiting_for_a_result_the_child_never_gives_is_refused() -> None:
    """The composition needs the child to deliver a result on some path; a child deployed
    unproven that never does is refused as the workflow a parent waits for results of."""
    shared = Engine(clock=FixedClock(START), prove=False)
    shared.deploy(parse(CHILD.replace("produces: [stage_permit]}",
                                      "produces: [stage_permit], goto: {approve: review}}"))
                  .unwrap())
    proving = Engine(shared.store, clock=FixedClock(START))
    with pytest.raises(DeployRefused, match="never delivers one"):
        proving.deploy(parent())
    assert proving.deploy(parent("delivery"))


# -- the proof, the diagram, the command line --------------------------------------------------


def test_the_net_has_the_childrens_decisions_and_the_proof_composes() -> None:
    net = build_net(parent())
    moves = {t.name: t for t in net.transitions if t.step == "stage_permits"}
    assert set(moves) == {"approve:stage_permits", "refuse:stage_permits"}
    assert {t.actor for t in moves.values()} == {Performer.CHILDREN}
    report = check(parent())
    assert report.sound, report.violations
    assert report.outcomes.get("result") and report.outcomes.get("refusal")


def test_the_diagram_says_what_the_step_opens() -> None:
    text = render(parent(), "mermaid")
    assert "子流程: opens stage-permit, one per item of stages; waits for every result" in text


def test_the_command_line_shows_parent_and_children(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.sqlite3")
    runner = CliRunner()
    for name, text in (("child.yaml", CHILD), ("parent.yaml", PARENT % {"waits_for": "result"})):
        (tmp_path / name).write_text(text, encoding="utf-8")
        done = runner.invoke(cli, ["deploy", str(tmp_path / name), "--db", db])
        assert done.exit_code == 0, done.output
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"project_name": "幸福里", "stages": STAGES[:1]},
                               ensure_ascii=False), encoding="utf-8")
    materials = tmp_path / "materials.json"
    materials.write_text(json.dumps({"plan": "doc://plan"}), encoding="utf-8")
    case_id = json.loads(runner.invoke(cli, [
        "submit", "staged-build", "--form", str(form), "--materials", str(materials),
        "--db", db, "--format", "json"]).output)["case"]
    runner.invoke(cli, ["act", case_id, "accept", "--as", "window:w@housing", "--db", db])
    runner.invoke(cli, ["act", case_id, "approve", "planning", "--as",
                        "department:p@planning", "--db", db])
    data = json.loads(runner.invoke(cli, ["status", case_id, "--db", db, "--format",
                                          "json"]).output)
    [child] = data["children"]["stage_permits"]
    assert data["children"] == {"stage_permits": {child: None}}
    shown = runner.invoke(cli, ["status", child, "--db", db]).output
    assert f"child case (子流程) of {case_id}, step stage_permits" in shown
    by_hand = runner.invoke(cli, ["act", case_id, "approve", "stage_permits", "--as",
                                  "department:h@housing", "--db", db])
    assert by_hand.exit_code == 2 and "Traceback" not in by_hand.output
    for args in (["accept", "--as", "window:w@permits"],
                 ["approve", "review", "--as", "department:r@permits"],
                 ["deliver", "--as", "window:w@permits"]):
        done = runner.invoke(cli, ["act", child, *args, "--db", db])
        assert done.exit_code == 0, done.output
    parent_now = json.loads(runner.invoke(cli, ["status", case_id, "--db", db, "--format",
                                                "json"]).output)
    assert parent_now["children"] == {"stage_permits": {child: "result"}}
    drained = runner.invoke(cli, ["dispatch", "--db", db, "--format", "json"])
    assert drained.exit_code == 0, drained.output
    assert {row["channel"] for row in json.loads(drained.output)} == {"parent", "window"}
