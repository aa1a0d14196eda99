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
from onething.errors import ActionRefused, NotAuthorized, WorkflowInvalid
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


def accepted_case(text: str) -> tuple[Engine, str]:
    """An engine with the child and the parent ``text`` deployed, and a case of one stage
    the window has accepted."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(parse(CHILD).unwrap())
    engine.deploy(parse(text).unwrap())
    case = engine.submit("staged-build", {"project_name": "幸福里", "stages": STAGES[:1]},
                         {"plan": "doc://plan"}, actor=applicant("a"))
    engine.accept(case.id, window("housing"))
    return engine, case.id


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
    with pytest.raises(WorkflowInvalid, match="deploy 'stage-permit' first"):
        engine.deploy(parent())


@pytest.mark.parametrize(("child", "text", "words"), [
    (CHILD.replace("max: 1000000", "max: 10"), PARENT,
     "fills 'stage-permit's 'area' from 'item.area', but 'area' accepts nothing above 10"),
    (CHILD, PARENT.replace("stage: item.name, ", ""),
     "'stage-permit' requires 'stage', which step 'stage_permits' does not fill"),
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


def test_a_child_deployed_unproven_and_unsound_is_refused_as_a_child() -> None:
    """The composition needs every child proven: one deployed by an engine that does not
    prove, and stuck (it never reaches its result), is refused as a workflow to open."""
    shared = Engine(clock=FixedClock(START), prove=False)
    shared.deploy(parse(CHILD.replace("produces: [stage_permit]}",
                                      "produces: [stage_permit], goto: {approve: review}}"))
                  .unwrap())
    proving = Engine(shared.store, clock=FixedClock(START))
    for waits_for in ("result", "delivery"):
        with pytest.raises(WorkflowInvalid, match="not proven sound"):
            proving.deploy(parent(waits_for))


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
    [child] = [c["case_id"] for c in data["children"]]
    assert [(c["step"], c["delivery"]) for c in data["children"]] == [("stage_permits", None)]
    assert data["waiting"][0]["position"] == "children"
    shown = runner.invoke(cli, ["status", child, "--db", db]).output
    assert f"子流程：由办件 {case_id} 的步骤 stage_permits 开启" in shown
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
    assert [(c["case_id"], c["delivery"]) for c in parent_now["children"]] == [
        (child, "result")]
    drained = runner.invoke(cli, ["dispatch", "--db", db, "--format", "json"])
    assert drained.exit_code == 0, drained.output
    assert {row["channel"] for row in json.loads(drained.output)} == {"parent", "window"}


# -- review findings ---------------------------------------------------------------------------


def test_a_refusal_that_jumps_back_to_the_step_opens_new_children() -> None:
    """Regression: a jump from the step to itself did not count as reaching it again, and
    the parent waited for ever with no children."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(parse(CHILD).unwrap())
    engine.deploy(parse((PARENT % {"waits_for": "result"}).replace(
        "    produces: [stage_permits]\n",
        "    produces: [stage_permits]\n    goto: {refuse: stage_permits}\n")).unwrap())
    case_id, first = at_children(engine, STAGES[:1])
    finish(engine, first[0], "refuse")
    record = engine.case(case_id).outcomes["stage_permits"]
    assert record["outcome"] == "waiting" and record["children"] != first
    finish(engine, record["children"][0])
    assert "step:filing" in engine.case(case_id).marking


def test_a_case_does_not_migrate_onto_a_step_that_would_open_children() -> None:
    """Regression: a case moved to a version whose step opens children stood there with none,
    and nobody could decide the step."""
    plain = (PARENT % {"waits_for": "result"}).replace(
        "    opens:\n      workflow: stage-permit\n      form: {project: project_name, stage: "
        "item.name, area: item.area, drawings: plan}\n      waits_for: result\n", "")
    engine, case_id = accepted_case(plain)
    engine.act(case_id, "planning", "approve", officer("planning"))
    engine.deploy(parse((PARENT % {"waits_for": "result"}).replace("version: 1", "version: 2"))
                  .unwrap())
    migration = engine.migrate("staged-build", 2)
    assert case_id not in migration.moved
    [(refused, why)] = migration.refused
    assert refused == case_id and "opens child cases in version 2" in why
    assert engine.case(case_id).workflow_version == 1


def test_a_child_version_that_no_longer_fits_an_unpinned_parent_is_refused() -> None:
    """Regression: deploying a child version with a new required field was accepted, and
    every parent then failed to open children (deemed acceptance stopped silently)."""
    engine = deployed()
    grown = CHILD.replace("version: 1", "version: 2").replace(
        "    area: {type: decimal, min: 0, max: 1000000}\n",
        "    area: {type: decimal, min: 0, max: 1000000}\n    owner: {type: string, "
        "required: true}\n").replace("reads: [project,", "reads: [owner, project,")
    with pytest.raises(WorkflowInvalid, match="staged-build@1 opens the latest 'stage-permit'"):
        engine.deploy(parse(grown).unwrap())
    pinned = Engine(clock=FixedClock(START))
    pinned.deploy(parse(CHILD).unwrap())
    pinned.deploy(parse((PARENT % {"waits_for": "result"}).replace(
        "workflow: stage-permit\n", "workflow: stage-permit\n      version: 1\n")).unwrap())
    assert pinned.deploy(parse(grown).unwrap())  # a pinned parent keeps opening version 1
    _, children = at_children(pinned, STAGES[:1])
    assert pinned.case(children[0]).workflow_version == 1


@pytest.mark.parametrize(("child", "text", "words"), [
    (CHILD, PARENT.replace("project_name: {type: string, required: true}",
                           "project_name: {type: string, required: true, personal: true}"),
     "personal data and 'project' is not marked personal"),
    (CHILD.replace("drawings: {required: true}", "drawings: {required: true, deferrable: "
                   "5 WD}"),
     PARENT.replace("plan: {required: true}", "plan: {required: true, deferrable: 5 WD}"),
     "may be promised (容缺)"),
])
def test_personal_values_and_promised_materials_are_not_passed_on(child: str, text: str,
                                                                   words: str) -> None:
    """Regression: a personal value showed unmasked in the child; a material brought to the
    parent later never reached the child, which was then terminated."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(parse(child).unwrap())
    with pytest.raises(WorkflowInvalid, match=words.replace("(", r"\(").replace(")", r"\)")):
        engine.deploy(parse(text % {"waits_for": "result"}).unwrap())


def test_a_correction_may_not_change_what_running_children_were_opened_with() -> None:
    """Regression: a correction elsewhere changed the list and the project name, and the step
    was approved on children opened with the old ones."""
    text = (PARENT % {"waits_for": "result"}).replace(
        "  - {id: planning, department: planning, reads: [project_name], "
        "produces: [planning_permit]}\n  - id: stage_permits",
        "  - parallel:\n    - {id: planning, department: planning, reads: [project_name, "
        "stages], produces: [planning_permit]}\n    - id: stage_permits").replace(
        "\n    title: 分阶段施工许可\n    department: housing\n    foreach: stages\n    opens:\n"
        "      workflow: stage-permit\n      form: {project: project_name, stage: item.name, "
        "area: item.area, drawings: plan}\n      waits_for: result\n    produces: "
        "[stage_permits]\n",
        "\n      department: housing\n      foreach: stages\n      opens:\n        workflow: "
        "stage-permit\n        form: {project: project_name, stage: item.name, area: "
        "item.area, drawings: plan}\n      produces: [stage_permits]\n")
    engine, case_id = accepted_case(text)
    assert engine.case(case_id).outcomes["stage_permits"]["outcome"] == "waiting"
    engine.act(case_id, "planning", "request_correction", officer("planning"), "名称有误")
    with pytest.raises(ActionRefused, match="passed on to the child cases"):
        engine.supplement(case_id, applicant("a"), step="planning",
                          fields={"project_name": "幸福里二期"})


def test_workflows_that_open_each_other_are_refused() -> None:
    """Regression: wa opening wb opening wa grew cases without end."""
    def flow(wid: str, version: int, opens: str | None) -> Workflow:
        step = f"opens: {{workflow: {opens}}}" if opens else "produces: [x]"
        return parse(f"onething: 1\nid: {wid}\nversion: {version}\ntitle: {wid}\nlead: d\n"
                     f"form: {{}}\nsteps:\n  - {{id: s, department: d, {step}}}\n"
                     "delivery:\n  bundle: []\n  methods: [window]\n").unwrap()
    engine = Engine(clock=FixedClock(START))
    engine.deploy(flow("wa", 1, None))
    engine.deploy(flow("wb", 1, "wa"))
    with pytest.raises(WorkflowInvalid, match="wa → wb → wa"):
        engine.deploy(flow("wa", 2, "wb"))


def test_the_step_is_nobodys_queue_and_a_green_channel_carries_on() -> None:
    """Regression: the opening step showed in its department's queue, though nobody there
    may act on it; a green-channel parent's children queued as ordinary cases."""
    engine = deployed()
    case_id, children = at_children(engine, STAGES[:1])
    assert not [i for i in engine.queue("housing").items if i.case_id == case_id]
    green = Engine(clock=FixedClock(START))
    green.deploy(parse(CHILD).unwrap())
    green.deploy(parse((PARENT % {"waits_for": "result"}).replace(
        "steps:\n", "green_channel: {when: \"project_name == '重点'\"}\nsteps:\n")).unwrap())
    case = green.submit("staged-build", {"project_name": "重点", "stages": STAGES[:1]},
                        {"plan": "doc://plan"}, actor=applicant("a"))
    green.accept(case.id, window("housing"))
    moved = green.act(case.id, "planning", "approve", officer("planning"))
    [child] = moved.outcomes["stage_permits"]["children"]
    assert moved.priority and green.case(child).priority
    assert not engine.case(children[0]).priority


def test_the_command_line_deploys_children_first_and_says_what_is_missing(
        tmp_path: Path) -> None:
    """Regression: a missing child printed a Python tuple; files were deployed in the order
    given, so a parent before its child failed."""
    (tmp_path / "parent.yaml").write_text(PARENT % {"waits_for": "result"}, encoding="utf-8")
    (tmp_path / "child.yaml").write_text(CHILD, encoding="utf-8")
    runner = CliRunner()
    alone = runner.invoke(cli, ["deploy", str(tmp_path / "parent.yaml"), "--db",
                                str(tmp_path / "a.sqlite3")])
    assert alone.exit_code == 2 and "error[opens-workflow]" in alone.output
    assert "('" not in alone.output and ":25:" in alone.output
    both = runner.invoke(cli, ["deploy", str(tmp_path / "parent.yaml"),
                               str(tmp_path / "child.yaml"), "--db", str(tmp_path / "b.sqlite3")])
    assert both.exit_code == 0, both.output
    assert both.output.index("stage-permit") < both.output.index("staged-build")
