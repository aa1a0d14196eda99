"""One correction notice for a parallel block (issue 14 item 5: 联合审图, 多评合一): with
``corrections: together`` the corrections the block's departments ask go out as one notice once
no step of the block is still deciding, and the applicant's one answer resumes every step that
asked. Before, each department's request was its own notice and its own answer."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.cases.records import applicant, officer, window
from onething.diagram import render
from onething.engine.engine import Engine
from onething.errors import ActionRefused, CaseEnded, NotAuthorized
from onething.language.load import parse
from onething.soundness.proof import check
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
    shelter_plan: {{type: string, required: true}}
    exits: {{type: int, required: true, min: 0}}
steps:
  - parallel:
      - {{id: structure, department: drawing_centre, reads: [drawings]}}
      - {{id: fire, department: fire, reads: [drawings, exits]}}
      - {{id: shelter, department: civil_defence, reads: [shelter_plan]}}
    corrections: {mode}
  - {{id: permit, department: hall, produces: [permit]}}
delivery:
  bundle: [permit]
  methods: [window]
"""
WORKFLOW = parse(TEXT.format(mode="together")).unwrap()
START = dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
FORM = {"drawings": "doc://v1", "shelter_plan": "doc://s1", "exits": 2}


def opened(engine: Engine, wf: object = WORKFLOW) -> str:
    engine.deploy(wf)
    case = engine.submit("drawings", FORM, {})
    engine.accept(case.id, window("hall"))
    return case.id


def notices(engine: Engine, case_id: str) -> list[dict[str, object]]:
    return [e.data for e in engine.history(case_id) if e.action == "correction_notice"]


def test_one_notice_once_every_department_has_spoken(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine)
    engine.act(case_id, "fire", "request_correction", officer("fire"), reason="疏散宽度不足")
    with pytest.raises(ActionRefused, match="not out yet") as early:
        engine.supplement(case_id, applicant(), step="fire", fields={"exits": 3})
    assert "structure" in early.value.hint and "shelter" in early.value.hint
    engine.act(case_id, "shelter", "request_correction", officer("civil_defence"),
               reason="人防平面缺图")
    assert notices(engine, case_id) == []
    engine.act(case_id, "structure", "approve", officer("drawing_centre"))
    [notice] = notices(engine, case_id)
    assert notice["steps"] == ["fire", "shelter"]
    from onething.cases.timeline import timeline
    assert any("one notice for: fire, shelter" in line
               for line in timeline(engine.history(case_id)))
    engine.supplement(case_id, applicant(), step="fire",
                      fields={"exits": 3, "shelter_plan": "doc://s2"})
    case = engine.case(case_id)
    assert {"step:fire:corrected", "step:shelter:corrected"} <= set(case.marking)
    assert case.form["exits"] == 3 and case.form["shelter_plan"] == "doc://s2"
    answered = [e.step for e in engine.history(case_id) if e.action == "supplement"]
    assert answered == ["fire", "shelter"]
    engine.act(case_id, "fire", "approve", officer("fire"))
    engine.act(case_id, "shelter", "approve", officer("civil_defence"))
    engine.act(case_id, "permit", "approve", officer("hall"))
    engine.deliver(case_id, window("hall"))
    assert engine.case(case_id).delivery_kind == "result"
    assert len(notices(engine, case_id)) == 1


def test_an_answer_outside_what_the_askers_read_is_refused(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine)
    engine.act(case_id, "shelter", "request_correction", officer("civil_defence"), reason="x")
    engine.act(case_id, "structure", "approve", officer("drawing_centre"))
    engine.act(case_id, "fire", "approve", officer("fire"))
    with pytest.raises(ActionRefused, match="read by none"):
        engine.supplement(case_id, applicant(), step="shelter", fields={"exits": 9})
    with pytest.raises(ActionRefused, match="asked for no correction"):
        engine.supplement(case_id, applicant(), step="fire", fields={})
    assert "step:shelter:correction" in engine.case(case_id).marking


def test_the_answer_is_due_from_the_notice_not_the_request() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine)
    engine.act(case_id, "fire", "request_correction", officer("fire"), reason="x")
    # the others take their time: no answer is due while the notice is not out
    fired = engine.tick(START + dt.timedelta(days=200))
    assert "correction_expired" not in [f.timer.name for f in fired]
    later = START + dt.timedelta(days=200)
    engine.act(case_id, "structure", "approve", officer("drawing_centre"), now=later)
    engine.act(case_id, "shelter", "approve", officer("civil_defence"), now=later)
    assert len(notices(engine, case_id)) == 1
    fired = engine.tick(later + dt.timedelta(days=120))
    assert [f.timer.name for f in fired if f.timer.kind == "path"] == ["correction_expired"]
    assert engine.case(case_id).delivery_kind == "termination"


def test_each_asks_on_its_own_by_default() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, parse(TEXT.format(mode="each")).unwrap())
    engine.act(case_id, "fire", "request_correction", officer("fire"), reason="x")
    engine.supplement(case_id, applicant(), step="fire", fields={"exits": 3})
    assert "step:fire:corrected" in engine.case(case_id).marking
    assert notices(engine, case_id) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["structure", "fire", "shelter"]),
                          st.sampled_from(["approve", "request_correction", "answer"])),
                max_size=12))
def test_one_notice_per_round_and_one_delivery(moves: list[tuple[str, str]]) -> None:
    """Whatever the departments and the applicant do in whatever order, a notice goes out
    only when nobody in the block is deciding, lists exactly the steps waiting then, every
    answer resumes all of them at once, and the case ends with one delivery."""
    departments = {"structure": "drawing_centre", "fire": "fire", "shelter": "civil_defence"}
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine)
    for step, move in moves:
        with contextlib.suppress(ActionRefused):
            if move == "answer":
                engine.supplement(case_id, applicant(), step=step, fields={})
            else:
                engine.act(case_id, step, move, officer(departments[step]), reason="r")
        marking = set(engine.case(case_id).marking)
        waiting = [s for s in departments if f"step:{s}:correction" in marking]
        deciding = [s for s in departments if f"step:{s}" in marking
                    or f"step:{s}:corrected" in marking]
        sent = notices(engine, case_id)
        if waiting and not deciding:
            assert sent and sent[-1]["steps"] == waiting
    for _ in range(3):  # everyone finishes: a notice may go out only once all have spoken
        for step in departments:
            with contextlib.suppress(ActionRefused):
                engine.supplement(case_id, applicant(), step=step, fields={})
            with contextlib.suppress(ActionRefused):
                engine.act(case_id, step, "approve", officer(departments[step]))
    engine.act(case_id, "permit", "approve", officer("hall"))
    engine.deliver(case_id, window("hall"))
    history = engine.history(case_id)
    assert sum(1 for e in history if e.action == "delivered") == 1
    asks = sum(1 for e in history if e.action == "request_correction")
    assert len(notices(engine, case_id)) <= asks


def test_the_proof_the_diagram_and_the_language() -> None:
    assert check(WORKFLOW).sound
    for fmt in ("mermaid", "dot"):
        assert "一次告知" in render(WORKFLOW, fmt)
    bad = parse(TEXT.format(mode="joint"))
    [error] = [d for d in bad.errors if d.code == "bad-value"]
    assert "each or together" in error.message and error.location.line == 16


REQUIRED_IF = """\
onething: 1
id: shelter
version: 1
title: 人防
lead: hall
form:
  fields:
    has_shelter: {type: bool, required: true}
    shelter_plan: {type: string, required_if: has_shelter}
steps:
  - parallel:
      - {id: a, department: da, reads: [has_shelter]}
      - {id: b, department: db, reads: [shelter_plan]}
    corrections: together
  - {id: z, department: hall, produces: [p]}
delivery:
  bundle: [p]
  methods: [window]
"""


@pytest.mark.parametrize("named", ["a", "b"])
def test_one_answer_is_checked_as_a_whole(named: str) -> None:
    """An answer whose fields depend on each other across the steps that asked (a
    ``required_if``) is accepted whichever step it names: it is applied and checked at once,
    not step by step (which refused it when it named 'a')."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(parse(REQUIRED_IF).unwrap())
    case = engine.submit("shelter", {"has_shelter": False}, {})
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "a", "request_correction", officer("da"), reason="r")
    engine.act(case.id, "b", "request_correction", officer("db"), reason="r")
    engine.supplement(case.id, applicant(), step=named,
                      fields={"has_shelter": True, "shelter_plan": "doc://s1"})
    after = engine.case(case.id)
    assert after.form["has_shelter"] is True and after.form["shelter_plan"] == "doc://s1"
    assert {"step:a:corrected", "step:b:corrected"} <= set(after.marking)


def test_who_answers_is_checked_before_anything_is_said_about_the_case() -> None:
    """Someone else's answer is NotAuthorized (and learns nothing about the block); an answer
    on an ended case is CaseEnded; an answer when nothing waits says so."""
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine)
    engine.act(case_id, "fire", "request_correction", officer("fire"), reason="x")
    for stranger in (applicant("someone-else"), officer("fire")):
        with pytest.raises(NotAuthorized) as refused:
            engine.supplement(case_id, stranger, step="fire", fields={})
        assert "structure" not in str(refused.value) and "deciding" not in str(refused.value)
    engine.act(case_id, "structure", "approve", officer("drawing_centre"))
    engine.act(case_id, "shelter", "approve", officer("civil_defence"))
    engine.supplement(case_id, applicant(), step="fire", fields={})
    with pytest.raises(ActionRefused, match="no correction of this block waits"):
        engine.supplement(case_id, applicant(), step="fire", fields={})
    engine.withdraw(case_id, applicant(), "不办了")
    with pytest.raises(CaseEnded):
        engine.supplement(case_id, applicant(), step="fire", fields={})


def test_possible_offers_the_answer_only_once_the_notice_is_out() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine)
    engine.act(case_id, "fire", "request_correction", officer("fire"), reason="x")
    assert "supplement fire" not in engine.possible(case_id)
    engine.act(case_id, "structure", "approve", officer("drawing_centre"))
    engine.act(case_id, "shelter", "approve", officer("civil_defence"))
    assert "supplement fire" in engine.possible(case_id)


@pytest.mark.parametrize(("old", "new"), [("each", "together"), ("together", "each")])
def test_a_waiting_correction_does_not_migrate_across_modes(old: str, new: str) -> None:
    """each -> together would leave the waiting request without an answer-by timer (the case
    open for ever); together -> each would expire a request nobody was told about. The case
    stays until the answer, with the reason."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(parse(TEXT.format(mode=old)).unwrap())
    engine.deploy(parse(TEXT.format(mode=new).replace("version: 1", "version: 2")).unwrap())
    case = engine.submit("drawings", FORM, {}, version=1)
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "fire", "request_correction", officer("fire"), reason="x")
    moved = engine.migrate("drawings", 2)
    assert moved.moved == () and "corrections: each / together" in moved.refused[0][1]
