"""A promise (容缺) holds on every path into acceptance (issue 14, item 2).

The window's accept and the timer's deemed acceptance (行政许可法 art. 32) read the same fact —
whether materials were promised at submission — from the case net, so a case accepted by
either way is on the promise: no result is delivered until the promised material arrives, and
a missed promise ends the case. Before, deemed acceptance marked the materials complete.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import (
    START,
    perform,
    sample_form,
    sample_materials,
    shipped,
)

from onething.cases.records import applicant, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused, CaseEnded
from onething.net.semantics import form_guard
from onething.workdays import SHANGHAI, FixedClock

DEFERRING = ["restaurant_opening.yaml", "construction_gov_investment.yaml",
             "major_project_green_channel.yaml"]


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def deemed(engine: Engine, case_id: str) -> None:
    """Let the intake limit pass without a notice: the tick accepts the case."""
    fired = engine.tick(at("2026-12-31", 17))
    assert "deemed_acceptance" in [f.timer.name for f in fired if f.case_id == case_id]


def test_deemed_acceptance_keeps_the_promise() -> None:
    workflow = shipped("restaurant_opening.yaml")
    engine = Engine(clock=FixedClock(START))
    engine.deploy(workflow)
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow, True))
    assert case.promised
    engine.clock.set(at("2026-10-20"))
    deemed(engine, case.id)
    after = engine.case(case.id)
    assert "materials:promised" in after.marking and "materials:complete" not in after.marking
    assert [t.name for t in engine.timers(case.id) if t.name == "promise_expired"]


def test_a_missed_promise_after_deemed_acceptance_ends_the_case() -> None:
    workflow = shipped("restaurant_opening.yaml")
    engine = Engine(clock=FixedClock(START))
    engine.deploy(workflow)
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow, True))
    engine.clock.set(at("2026-10-20"))
    deemed(engine, case.id)
    engine.tick(at("2027-03-01", 17))
    delivery = engine.delivery(case.id)
    assert delivery is not None and delivery.kind == "termination"


def test_without_a_promise_deemed_acceptance_has_every_material() -> None:
    workflow = shipped("restaurant_opening.yaml")
    engine = Engine(clock=FixedClock(START))
    engine.deploy(workflow)
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
    engine.clock.set(at("2026-10-20"))
    deemed(engine, case.id)
    assert "materials:complete" in engine.case(case.id).marking


@st.composite
def journeys(draw: st.DrawFn) -> tuple[str, bool, bool, list[int]]:
    return (draw(st.sampled_from(DEFERRING)), draw(st.booleans()), draw(st.booleans()),
            draw(st.lists(st.integers(0, 10_000), max_size=60)))


@settings(max_examples=60, deadline=None)
@given(journeys())
def test_no_result_is_delivered_on_an_unkept_promise(
        journey: tuple[str, bool, bool, list[int]]) -> None:
    """Every way into acceptance (the window or the timer), promised or not, then any events:
    the case is on the promise exactly while a promised material is missing, and a result is
    delivered only with every material in."""
    name, promise, by_timer, picks = journey
    workflow = shipped(name)
    engine = Engine(clock=FixedClock(START))
    compiled = engine.deploy(workflow).compiled
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow, promise))
    if by_timer:
        engine.clock.set(at("2026-10-20"))
        deemed(engine, case.id)
    else:
        engine.accept(case.id, window(workflow.lead))
    for pick in picks:
        current = engine.case(case.id)
        if current.ended:
            break
        assert ("materials:promised" in current.marking) == bool(current.promised)
        if current.promised and pick % 5 == 0:
            engine.supplement(case.id, applicant(),
                              materials={m: f"ref:{m}" for m in current.promised})
            continue
        possible = set(engine.possible(case.id))
        enabled = [t for t in compiled.enabled(compiled.marking_of(current.marking),
                                               form_guard(current.facts()))
                   if t.label in possible and t.action != "withdraw"]
        if not enabled:
            break
        t = enabled[pick % len(enabled)]
        with contextlib.suppress(ActionRefused, CaseEnded):
            perform(engine, case.id, workflow, t)
    delivery = engine.delivery(case.id)
    if delivery is not None and delivery.kind == "result":
        assert not engine.case(case.id).promised
        assert "materials:promised" not in engine.case(case.id).marking
