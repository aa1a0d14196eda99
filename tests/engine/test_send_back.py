"""Rework inside a parallel block (issue 14 item 5: 退回重审): the step right after a parallel
block sends one of the block's steps back; that step's branch runs again from it, the other
branches keep their results (``others: keep``) or start over (``others: redo``), and the case
comes back to the step that sent it. Before, a department's work inside a block could not be
sent back at all: the only ways out of the step after it were approve and refuse."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.cases.records import Case, applicant, officer, window
from onething.cli import cli
from onething.diagram import render
from onething.engine.engine import Engine
from onething.errors import ActionRefused, InvalidArgument, NotAuthorized
from onething.language.load import parse
from onething.language.model import Workflow
from onething.net.build import build_net
from onething.soundness.proof import check
from onething.stores import open_store
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

TEXT = """\
onething: 1
id: drawings
version: 1
title: 联合审图
lead: hall
form:
  fields:
    drawings: {{type: string, required: true}}
steps:
  - parallel:
      - {{id: structure, department: drawing_centre, reads: [drawings]}}
      - {{id: fire, department: fire, reads: [drawings], produces: [fire_opinion]}}
      - - {{id: shelter, department: civil_defence, produces: [shelter_opinion]}}
        - {{id: shelter_filing, department: civil_defence}}
  - id: consolidation
    title: 汇总审查
    department: hall
    send_back: {{to: [fire, shelter], others: {others}}}
  - {{id: permit, department: hall, produces: [permit]}}
delivery:
  bundle: [permit, fire_opinion, shelter_opinion]
  methods: [window]
"""
KEEP = parse(TEXT.format(others="keep")).unwrap()
#: the consolidating step names one step only: a send-back needs no 'to'
ONE_TARGET = parse(TEXT.format(others="keep").replace("to: [fire, shelter]", "to: [fire]")
                   ).unwrap()
REDO = parse(TEXT.format(others="redo")).unwrap()
START = dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
DEPARTMENTS = {"structure": "drawing_centre", "fire": "fire", "shelter": "civil_defence",
               "shelter_filing": "civil_defence", "consolidation": "hall", "permit": "hall"}
BLOCK = ("structure", "fire", "shelter", "shelter_filing")


def opened(engine: Engine, workflow: Workflow = KEEP) -> str:
    engine.deploy(workflow)
    case = engine.submit("drawings", {"drawings": "doc://v1"}, {})
    engine.accept(case.id, window("hall"))
    return case.id


def approve(engine: Engine, case_id: str, *steps: str) -> Case:
    case = engine.case(case_id)
    for step in steps:
        case = engine.act(case_id, step, "approve", officer(DEPARTMENTS[step]))
    return case


def pending(case: Case) -> set[str]:
    return {p.split(":")[1] for p in case.marking if p.startswith("step:")}


def test_one_department_sent_back_the_others_keep_their_results(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine)
    approve(engine, case_id, *BLOCK)
    assert pending(engine.case(case_id)) == {"consolidation"}
    case = engine.send_back(case_id, "consolidation", officer("hall"), to="shelter",
                            reason="人防面积与结构图不一致")
    assert pending(case) == {"shelter"}
    assert {"par1:1:done", "par1:2:done", "par1:running"} <= set(case.marking)
    # what the rework decides replaces what it decided before: the history keeps both
    assert "shelter" not in case.outcomes and "shelter_filing" not in case.outcomes
    assert case.outcomes["fire"]["outcome"] == "approve"
    assert case.outcomes["consolidation"]["outcome"] == "send_back"
    assert case.produced == ("fire_opinion",)
    event = engine.history(case_id)[-1]
    assert event.action == "send_back" and event.step == "consolidation"
    assert event.data["again"] == ["shelter", "shelter_filing"]
    assert event.data["voided"] == ["shelter_opinion"] and event.data["others"] == "keep"
    assert event.data["reason"] == "人防面积与结构图不一致"
    assert "shelter started" in event.data["clocks"]
    assert engine.queue("drawing_centre").items == ()  # the kept branches are not asked again
    assert [i.step for i in engine.queue("civil_defence").items] == ["shelter"]
    approve(engine, case_id, "shelter", "shelter_filing")
    assert pending(engine.case(case_id)) == {"consolidation"}  # the block joined again
    approve(engine, case_id, "consolidation", "permit")
    engine.deliver(case_id, window("hall"))
    delivery = engine.delivery(case_id)
    assert delivery is not None and delivery.kind == "result"
    assert set(delivery.items) == {"permit", "fire_opinion", "shelter_opinion"}
    history = engine.history(case_id)
    assert sum(1 for e in history if e.action == "delivered") == 1
    assert [e.step for e in history if e.action == "approve"].count("shelter") == 2


def test_others_redo_restarts_the_whole_block(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine, REDO)
    approve(engine, case_id, *BLOCK)
    case = engine.send_back(case_id, "consolidation", officer("hall"), to="fire",
                            reason="方案调整，全部重审")
    assert pending(case) == {"structure", "fire", "shelter"}
    assert not set(case.outcomes) & set(BLOCK)
    assert case.produced == ()
    assert engine.history(case_id)[-1].data["others"] == "redo"
    approve(engine, case_id, *BLOCK, "consolidation", "permit")
    engine.deliver(case_id, window("hall"))
    assert engine.case(case_id).delivery_kind == "result"


def test_what_a_send_back_needs_is_said_and_checked_after_who_asks() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine)
    with pytest.raises(ActionRefused, match="not possible now"):  # the block is still running
        engine.send_back(case_id, "consolidation", officer("hall"), to="fire", reason="r")
    approve(engine, case_id, *BLOCK)
    # who may act is checked before anything about the request is said
    with pytest.raises(NotAuthorized, match="only hall decides"):
        engine.send_back(case_id, "consolidation", officer("fire"), to="nowhere", reason="")
    with pytest.raises(ActionRefused, match="say which step") as which:
        engine.act(case_id, "consolidation", "send_back", officer("hall"), reason="r")
    assert "fire, shelter" in which.value.hint
    with pytest.raises(ActionRefused, match="cannot send back to 'structure'") as where:
        engine.send_back(case_id, "consolidation", officer("hall"), to="structure", reason="r")
    assert "fire, shelter" in where.value.hint
    with pytest.raises(ActionRefused, match="says what must be done again"):
        engine.send_back(case_id, "consolidation", officer("hall"), to="fire", reason=" ")
    with pytest.raises(InvalidArgument, match="names a step"):
        engine.send_back(case_id, "consolidation", officer("hall"), to=["fire"],  # type: ignore[arg-type]
                         reason="r")
    with pytest.raises(ActionRefused, match="not an action"):
        engine.send_back(case_id, "permit", officer("hall"), to="fire", reason="r")
    assert pending(engine.case(case_id)) == {"consolidation"}  # nothing moved
    assert "send_back consolidation to fire" in engine.possible(case_id)


def test_one_target_needs_no_to_and_a_retry_changes_nothing() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, ONE_TARGET)
    approve(engine, case_id, *BLOCK)
    first = engine.act(case_id, "consolidation", "send_back", officer("hall"), reason="r",
                       idempotency_key="k1")
    again = engine.act(case_id, "consolidation", "send_back", officer("hall"), reason="r",
                       idempotency_key="k1")
    assert first.version == again.version and pending(again) == {"fire"}


def _produced_by_approved(workflow: Workflow, case: Case) -> set[str]:
    return {item for step in workflow.iter_steps()
            if (case.outcomes.get(step.id) or {}).get("outcome") == "approve"
            for item in step.produces}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([KEEP, REDO]),
       st.lists(st.tuples(st.sampled_from(sorted(DEPARTMENTS)),
                          st.sampled_from(["approve", "request_correction", "answer",
                                           "send_back fire", "send_back shelter"])),
                max_size=25))
def test_any_order_of_work_and_rework_ends_in_one_delivery(workflow: Workflow,
                                                           moves: list[tuple[str, str]]) -> None:
    """Whatever the departments do in whatever order, with send-backs between: a step
    waiting for its department has no outcome on record, the items held are exactly those of
    the approved steps, the engine's marking is one the case net reaches, and the case ends
    with one delivery once everyone approves."""
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, workflow)
    net = build_net(workflow)
    for step, move in moves:
        with contextlib.suppress(ActionRefused):
            if move == "answer":
                engine.supplement(case_id, applicant(), step=step, fields={})
            elif move.startswith("send_back"):
                engine.send_back(case_id, step, officer(DEPARTMENTS[step]),
                                 to=move.split()[1], reason="r")
            else:
                engine.act(case_id, step, move, officer(DEPARTMENTS[step]), reason="r")
        case = engine.case(case_id)
        assert not {s for s in pending(case) if s in case.outcomes} - {"consolidation"}
        assert set(case.produced) == _produced_by_approved(workflow, case)
        assert set(case.marking) <= {p.name for p in net.places}
    for _ in range(4):
        for step in DEPARTMENTS:
            with contextlib.suppress(ActionRefused):
                engine.supplement(case_id, applicant(), step=step, fields={})
            with contextlib.suppress(ActionRefused):
                engine.act(case_id, step, "approve", officer(DEPARTMENTS[step]))
    engine.deliver(case_id, window("hall"))
    history = engine.history(case_id)
    assert sum(1 for e in history if e.action == "delivered") == 1
    delivery = engine.delivery(case_id)
    assert delivery is not None and set(delivery.items) == {"permit", "fire_opinion",
                                                            "shelter_opinion"}


def test_the_proof_takes_the_block_branch_by_branch() -> None:
    for workflow in (KEEP, REDO):
        whole = check(workflow, compositional=False)
        report = check(workflow)
        assert report.sound and whole.sound
        assert report.reduced_blocks == 1  # not the product of its branches
        assert report.configurations == whole.configurations
        assert report.states < whole.states


def test_the_diagram_draws_each_send_back() -> None:
    for fmt in ("mermaid", "dot"):
        text = render(KEEP, fmt)
        assert text.count("退回重审 →") == 2
        assert "the others keep their results" in text
    assert "the others start over" in render(REDO, "mermaid")


def test_the_command_line_sends_back_and_shows_it(tmp_path: Path) -> None:
    path = tmp_path / "drawings.yaml"
    path.write_text(TEXT.format(others="keep"), encoding="utf-8")
    db = str(tmp_path / "cases.sqlite3")
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", str(path), "--db", db]).exit_code == 0
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"drawings": "doc://v1"}), encoding="utf-8")
    submitted = runner.invoke(cli, ["submit", "drawings", "--form", str(form), "--db", db,
                                    "--format", "json"])
    case_id = json.loads(submitted.output)["case"]
    runner.invoke(cli, ["act", case_id, "accept", "--as", "window:w@hall", "--db", db])
    for step in BLOCK:
        done = runner.invoke(cli, ["act", case_id, "approve", step, "--as",
                                   f"department:o@{DEPARTMENTS[step]}", "--db", db])
        assert done.exit_code == 0, done.output
    missing = runner.invoke(cli, ["act", case_id, "send_back", "consolidation", "--as",
                                  "department:o@hall", "--reason", "r", "--db", db])
    assert missing.exit_code == 2 and "error[refused.step.send_back_unnamed]" in missing.output
    sent = runner.invoke(cli, ["act", case_id, "send_back", "consolidation", "--to", "fire",
                               "--as", "department:o@hall", "--reason", "消防意见需复核",
                               "--db", db])
    assert sent.exit_code == 0, sent.output
    shown = runner.invoke(cli, ["status", case_id, "--db", db])
    assert "退回重审：汇总审查（consolidation） 退回 fire，等待重新办理" in shown.output
    data = json.loads(runner.invoke(cli, ["status", case_id, "--db", db,
                                          "--format", "json"]).output)
    assert [(s["step"], s["to"]) for s in data["sent_back"]] == [("consolidation", "fire")]
    assert [w["step"] for w in data["waiting"]] == ["fire"]
    history = runner.invoke(cli, ["history", case_id, "--db", db])
    assert "to fire, again: fire" in history.output


def test_an_ended_case_is_not_said_to_wait_for_its_rework(tmp_path: Path) -> None:
    """Found by review: after a send-back the case ended (the step sent back refused), yet
    `onething status` still said the consolidating step waited for its rework, and the
    applicant's refusal notice quoted the departments' internal reason for it."""
    db = str(tmp_path / "cases.sqlite3")
    runner = CliRunner()
    store = open_store(db)
    engine = Engine(store, clock=FixedClock(START))
    case_id = opened(engine)
    approve(engine, case_id, *BLOCK)
    engine.send_back(case_id, "consolidation", officer("hall"), to="fire",
                     reason="内部：消防意见与结构意见冲突")
    engine.act(case_id, "fire", "refuse", officer("fire"), reason="疏散不满足规范")
    delivery = engine.delivery(case_id)
    store.close()
    assert delivery is not None and delivery.kind == "refusal"
    listed = {s["step"]: s for s in delivery.notice["items"]}
    assert listed["consolidation"]["outcome"] == "cancelled"
    assert "内部" not in json.dumps(delivery.notice, ensure_ascii=False)
    shown = runner.invoke(cli, ["status", case_id, "--db", db])
    assert "出件：不予许可" in shown.output and "等待重新办理" not in shown.output
    data = json.loads(runner.invoke(cli, ["status", case_id, "--db", db,
                                          "--format", "json"]).output)
    assert data["sent_back"] == []


def test_one_named_step_needs_no_to_from_send_back_either() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, ONE_TARGET)
    approve(engine, case_id, *BLOCK)
    assert pending(engine.send_back(case_id, "consolidation", officer("hall"),
                                    reason="r")) == {"fire"}


def test_a_send_back_may_not_send_back_to_another_sender() -> None:
    """Found by review: a step that sends back, named as the target of an outer send-back,
    was entered without its own block's join."""
    text = """\
onething: 1
id: nested
version: 1
title: nested
lead: hall
form: {}
steps:
  - parallel:
      - - parallel:
            - {id: a, department: d1}
            - {id: b, department: d2}
        - {id: inner, department: d3, send_back: {to: [a]}}
      - {id: c, department: d4}
  - {id: outer, department: hall, send_back: {to: [inner]}}
delivery:
  bundle: []
"""
    [error] = [d for d in parse(text).errors if d.code == "send-back-target"]
    assert "'inner'" in error.message and "itself sends back" in error.message
    assert parse(text.replace("to: [inner]", "to: [c]")).ok
