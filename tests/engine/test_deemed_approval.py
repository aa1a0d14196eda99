"""Deemed approval on silence (逾期未反馈视为同意, issue 14 item 5): a step that declares
``silence: approve`` is approved by the timer when its own limit passes with no decision — its
items produced, the case going on as after ``approve`` — and never while it waits for a
correction or a special procedure, never after a decision, never for a step without it."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.cases.records import applicant, officer, window
from onething.diagram import render
from onething.engine.engine import Engine
from onething.errors import ActionRefused, InvalidArgument
from onething.language.load import parse
from onething.net.build import build_net
from onething.soundness.proof import check
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

TEXT = """\
onething: 1
id: joint-review
version: 1
title: 联合审查
lead: hall
form:
  fields:
    name: {{type: string, required: true}}
steps:
  - {{id: intake_check, department: hall}}
  - parallel:
      - id: fire
        department: fire
        produces: [fire_opinion]
        time_limit: {{committed: 5 WD}}
        silence: {silence}
      - {{id: planning, department: planning, produces: [plan_opinion]}}
  - {{id: decision, department: hall, produces: [permit]}}
delivery:
  bundle: [permit]
  methods: [window]
"""
WORKFLOW = parse(TEXT.format(silence="{outcome: approve, source: 住建部令第51号}")).unwrap()
FIRE = officer("fire")


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def started(engine: Engine) -> str:
    engine.deploy(WORKFLOW)
    case = engine.submit(WORKFLOW.id, {"name": "某商场"}, {})
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "intake_check", "approve", officer("hall"))
    return case.id


def test_silence_past_the_limit_is_approval(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(at("2026-09-01")))
    case_id = started(engine)
    # 5 WD counted from the next working day: the limit ends on 2026-09-08 at the close
    before = engine.tick(at("2026-09-08", 12))
    assert [f.timer.name for f in before] == ["warning"]  # said, nothing decided
    fired = engine.tick(at("2026-09-09", 9))
    assert [f.timer.name for f in fired if f.timer.kind != "signal"] == ["deemed_approval"]
    case = engine.case(case_id)
    assert "fire_opinion" in case.produced
    assert case.outcomes["fire"]["outcome"] == "approve" and case.outcomes["fire"]["deemed"]
    event = next(e for e in engine.history(case_id) if e.action == "deemed_approval")
    assert event.step == "fire" and "逾期未反馈视为同意" in event.data["reason"]
    engine.act(case_id, "planning", "approve", officer("planning"))
    engine.act(case_id, "decision", "approve", officer("hall"))
    engine.deliver(case_id, window("hall"))
    assert engine.case(case_id).delivery_kind == "result"


def test_a_decision_in_time_leaves_nothing_to_deem(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(at("2026-09-01")))
    case_id = started(engine)
    engine.act(case_id, "fire", "refuse", FIRE, reason="疏散通道不足")
    assert not engine.tick(at("2026-12-31"))
    assert engine.case(case_id).delivery_kind == "refusal"  # the refusal, once


def test_no_deemed_approval_while_waiting_for_a_correction(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(at("2026-09-01")))
    case_id = started(engine)
    engine.act(case_id, "fire", "request_correction", FIRE, reason="补平面图")
    names = [f.timer.name for f in engine.tick(at("2026-09-09"))]
    assert "deemed_approval" not in names
    assert "fire" not in engine.case(case_id).outcomes


def test_nobody_can_invoke_it() -> None:
    engine = Engine(clock=FixedClock(at("2026-09-01")))
    case_id = started(engine)
    for actor in (FIRE, window("hall"), officer("hall")):
        with pytest.raises(ActionRefused):
            engine.act(case_id, "fire", "deemed_approval", actor)
    assert "fire" not in engine.case(case_id).outcomes


def test_a_step_without_silence_is_never_deemed() -> None:
    plain = parse(TEXT.format(silence="approve").replace("        silence: approve\n", "")
                  ).unwrap()
    assert plain.silent_steps == ()
    assert not [t for t in build_net(plain).transitions if t.action == "deemed_approval"]
    engine = Engine(clock=FixedClock(at("2026-09-01")))
    engine.deploy(plain)
    case = engine.submit(plain.id, {"name": "某商场"}, {})
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "intake_check", "approve", officer("hall"))
    names = [f.timer.name for f in engine.tick(at("2027-03-01"))]
    assert "deemed_approval" not in names and "fire" not in engine.case(case.id).outcomes


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["tick", "fire", "planning", "correct"]), max_size=6))
def test_exactly_one_delivery_whatever_the_order(moves: list[str]) -> None:
    """Any interleaving of the timer, the fire department and the planning department ends
    the case with one delivery once the last decision is made, and the fire step has exactly
    one outcome."""
    engine = Engine(clock=FixedClock(at("2026-09-01")))
    case_id = started(engine)
    day = at("2026-09-01")
    for move in moves:
        try:
            if move == "tick":
                day += dt.timedelta(days=4)
                engine.tick(day)
            elif move == "correct":
                engine.act(case_id, "fire", "request_correction", FIRE, reason="补图")
            else:
                engine.act(case_id, move, "approve", officer(move))
        except ActionRefused:
            pass
    engine.tick(day + dt.timedelta(days=60))
    case = engine.case(case_id)
    if "step:fire:correction" in case.marking:
        engine.supplement(case_id, applicant(), step="fire")
        engine.tick(day + dt.timedelta(days=120))
    for step in ("planning", "decision"):
        with contextlib.suppress(ActionRefused):
            engine.act(case_id, step, "approve", officer("hall" if step == "decision" else step))
    if not engine.case(case_id).ended:
        engine.deliver(case_id, window("hall"))
    case = engine.case(case_id)
    assert case.ended and case.delivery_kind is not None
    assert sum(1 for e in engine.history(case_id) if e.action == "delivered") == 1


def test_the_proof_and_the_diagram_see_it() -> None:
    report = check(WORKFLOW)
    assert report.decided and report.sound
    for fmt in ("mermaid", "dot"):
        assert "逾期未反馈视为同意" in render(WORKFLOW, fmt)


@pytest.mark.parametrize(("silence", "code"), [("refuse", "bad-value"),
                                               ("{source: x}", "missing-key")])
def test_a_silence_the_law_does_not_allow_is_a_located_error(silence: str, code: str) -> None:
    result = parse(TEXT.format(silence=silence))
    assert not result.ok
    [error] = [d for d in result.diagnostics if d.code == code]
    assert error.location.line == 16  # the step's 'silence:'


def test_silence_needs_a_limit_of_its_own() -> None:
    result = parse(TEXT.format(silence="approve").replace(
        "        time_limit: {committed: 5 WD}\n", ""))
    assert [d.code for d in result.errors] == ["silence-without-limit"]
    assert "time_limit" in result.errors[0].hint


LOOP = """\
onething: 1
id: loop
version: 1
title: loop
lead: hall
form:
  fields:
    x: {type: string, required: true}
steps:
  - id: a
    department: da
    reads: [x]
    time_limit: {committed: 5 WD}
    silence: approve
    goto: {refuse: a}
  - {id: z, department: hall, produces: [p]}
delivery:
  bundle: [p]
  methods: [window]
"""


def test_a_refusal_that_sends_the_step_back_starts_its_limit_again() -> None:
    """A refusal that jumps to its own step is a new visit: the step's limit (and so any
    deemed approval) counts from the refusal — before, the first visit's clock ran on and the
    step was deemed approved a minute after a late refusal."""
    engine = Engine(clock=FixedClock(at("2026-09-01")))
    engine.deploy(parse(LOOP).unwrap())
    case = engine.submit("loop", {"x": "1"}, {})
    engine.accept(case.id, window("hall"))
    late = at("2026-09-21")
    engine.act(case.id, "a", "refuse", officer("da"), reason="不同意", now=late)
    assert engine.case(case.id).clocks["a"]["started"] == late.isoformat()
    assert not engine.tick(late + dt.timedelta(minutes=1))
    fired = engine.tick(at("2026-10-30"))
    assert [f.timer.name for f in fired if f.timer.kind != "signal"] == ["deemed_approval"]


def test_deemed_approval_is_never_fired_by_hand() -> None:
    engine = Engine(clock=FixedClock(at("2026-09-01")))
    case_id = started(engine)
    with pytest.raises(InvalidArgument, match="case-ending"):
        engine.expire(case_id, "deemed_approval", "fire")
    assert "fire" not in engine.case(case_id).outcomes


def test_a_half_signed_round_stays_on_record_when_the_step_is_deemed_approved() -> None:
    text = TEXT.format(silence="approve").replace(
        "        silence: approve\n",
        "        silence: approve\n        sign_off: {by: [fire, police], need: all}\n")
    wf = parse(text).unwrap()
    engine = Engine(clock=FixedClock(at("2026-09-01")))
    engine.deploy(wf)
    case = engine.submit(wf.id, {"name": "某商场"}, {})
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "intake_check", "approve", officer("hall"))
    engine.act(case.id, "fire", "approve", FIRE)
    engine.tick(at("2026-09-09"))
    record = engine.case(case.id).outcomes["fire"]
    assert record["deemed"] and [s["signer"] for s in record["sign_offs"]] == ["fire"]
