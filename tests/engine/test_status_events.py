"""Status events (issue 17 item 1): every status change of a case is an event with its 办件状态
code, written in the change's transaction, numbered without gaps per case, carrying the case
number, step and department and no personal data — on the three stores."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.engine.test_hall import WORKFLOWS, step_once
from tests.support.factories import START, sample_form, sample_materials, shipped

from onething.cases.records import Case, applicant, officer, supervisor, window
from onething.cases.status import CODES, TYPES, StatusEvent
from onething.engine.engine import Engine
from onething.errors import ActionRefused
from onething.stores.base import Store
from onething.workdays import FixedClock

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation", "w1")
REGISTRAR = officer("market_regulation", "r1")
ZHANG = applicant("430381199001011234")


def told(store: Store, case_id: str) -> list[tuple[Any, ...]]:
    """What a case's status events say: type, code, step, department."""
    return [(e.type, e.code, e.step, e.department) for e in store.status_events(case_id)]


def the_day(engine: Engine, clock: FixedClock) -> str:
    """A case driven through intake correction, acceptance, a correction, a hearing, an
    extension, a refusal in the parallel block and its delivery."""
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                         actor=ZHANG)
    clock.advance(timedelta(hours=1))
    engine.request_intake_correction(case.id, DESK, {"address_proof": "not legible"})
    clock.advance(timedelta(hours=1))
    engine.supplement(case.id, ZHANG, materials={"address_proof": "file://again.pdf"})
    engine.accept(case.id, DESK)
    clock.advance(timedelta(hours=1))
    engine.act(case.id, "registration", "request_correction", REGISTRAR, reason="unsigned")
    engine.supplement(case.id, ZHANG, step="registration")
    engine.start_special_procedure(case.id, "registration", REGISTRAR, kind="hearing",
                                   expected="5 WD", reason="听证")
    clock.advance(timedelta(days=1))
    engine.act(case.id, "registration", "end_special_procedure", REGISTRAR)
    engine.extend(case.id, "registration", "2 WD", supervisor("market_regulation", "boss"),
                  "complex")
    engine.act(case.id, "registration", "approve", REGISTRAR)
    engine.act(case.id, "tax", "refuse", officer("tax", "t1"), reason="arrears")
    return case.id


EXPECTED = [
    ("submitted", 1, None, "market_regulation"),
    ("intake_correction_requested", 6, None, "market_regulation"),
    ("intake_correction_answered", 7, None, "market_regulation"),
    ("accepted", 3, None, "market_regulation"),
    ("correction_requested", 6, "registration", "market_regulation"),
    ("correction_supplemented", 7, "registration", "market_regulation"),
    ("special_procedure_started", 9, "registration", "market_regulation"),
    ("special_procedure_ended", 10, "registration", "market_regulation"),
    ("extended", None, "registration", "market_regulation"),
    ("item_decided", None, "registration", "market_regulation"),
    ("item_decided", None, "tax", "tax"),
    ("delivered", 13, None, "market_regulation"),
]


def test_a_case_says_each_status_change_in_order_with_its_code(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    case_id = the_day(engine, clock)
    assert told(any_store, case_id) == EXPECTED
    events = any_store.status_events(case_id)
    assert [e.seq for e in events] == list(range(1, len(EXPECTED) + 1))
    assert engine.case(case_id).notified == len(EXPECTED)
    assert {e.case_id for e in events} == {case_id}
    assert all(e.workflow_id == STARTUP.id for e in events)
    by_type = {e.type: e for e in events}
    assert by_type["special_procedure_started"].data["kind"] == "hearing"
    assert by_type["special_procedure_started"].data["expected"] == "5 WD"
    assert by_type["extended"].data["by"] == "2 WD"
    assert by_type["delivered"].data["kind"] == "refusal"
    assert [i["item"] for i in by_type["intake_correction_requested"].data["items"]] == \
        ["address_proof"]
    assert by_type["accepted"].data["statutory_due"] is not None


def free_text_of(case: Case) -> list[str]:
    """The case's form values an event must not hold: every text but a choice's value (an
    enum's code, such as the delivery method ``window``, which the delivered event names)."""
    form = STARTUP.form
    return [v for k, v in case.form.items() if isinstance(v, str) and len(v) > 3
            and not ((spec := form.field(k)) is not None and spec.type == "enum")]


def test_status_events_hold_no_personal_data(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    case_id = the_day(engine, clock)
    case = engine.case(case_id)
    text = json.dumps([(e.type, e.step, e.department, e.data)
                       for e in any_store.status_events(case_id)], ensure_ascii=False)
    personal = free_text_of(case)
    personal += [case.applicant, "430381199001011234", "unsigned", "听证", "arrears",
                 "complex", "not legible"]
    assert personal and not [p for p in personal if p in text]


def test_refused_attempts_and_inside_work_are_no_status_change(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                         actor=ZHANG)
    engine.accept(case.id, DESK)
    engine.claim(case.id, "registration", REGISTRAR)
    with contextlib.suppress(ActionRefused):  # not its turn yet: refused, and recorded
        engine.act(case.id, "tax", "approve", officer("tax", "t1"))
    assert len(engine.history(case.id)) > 3
    assert [t for t, *_ in told(any_store, case.id)] == ["submitted", "accepted"]


def test_a_result_accepted_on_promised_materials_is_code_12(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    workflow = shipped("construction_gov_investment.yaml")
    engine.deploy(workflow)
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow, True),
                         actor=ZHANG)
    assert case.promised
    engine.accept(case.id, window(workflow.lead))
    engine.supplement(case.id, ZHANG, materials={m: f"ref:{m}" for m in case.promised})
    for step in workflow.iter_steps():
        if step.id in engine.waiting_on(case.id):
            engine.act(case.id, step.id, "approve", officer(step.department))
    while engine.waiting_on(case.id):
        for step_id in engine.waiting_on(case.id):
            engine.act(case.id, step_id, "approve",
                       officer(workflow.step(step_id).department))
    engine.deliver(case.id, window(workflow.lead))
    said = any_store.status_events(case.id)
    assert said[-1].type == "delivered" and said[-1].code == 12
    assert "promise_kept" in [e.type for e in said]


def test_every_type_has_its_code_documented() -> None:
    assert all(code is None or code in CODES for code in TYPES.values())
    event = StatusEvent("c1", 3, START, "accepted", 3, "w", 1)
    assert event.id == "c1/3" and event.code_name == "窗口受理"


def test_no_workflow_outcome_can_take_the_name_of_a_line_the_engine_writes() -> None:
    """Every history action the status mapping knows (a status change or inside work) is a
    name a step's own outcome may not take, so that a history line means one thing."""
    from onething.cases.status import _INSIDE, _RULES
    from onething.language.step_keys import RESERVED_OUTCOMES

    assert (set(_RULES) | _INSIDE) - RESERVED_OUTCOMES == set()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 30)), min_size=3,
                max_size=30))
def test_every_case_of_any_hall_history_tells_its_changes_in_order(
        moves: list[tuple[int, int]]) -> None:
    """Whatever happens in a hall (submissions, any enabled action, time passing with its
    warnings, overdue signals, escalations and the law's timers), each case's status events
    are numbered 1..n without a gap, start with its submission, hold one delivery exactly when
    the case has one, carry the code their type has, come from a history line of the same
    moment, and hold no form value or pseudonym."""
    from onething.cases.status import TYPES, delivered_code
    from onething.stores.memory import MemoryStore

    engine = Engine(MemoryStore(), clock=FixedClock(START))
    for workflow in WORKFLOWS:
        engine.deploy(workflow)
    for pick, hours in moves:
        step_once(engine, pick, hours)
    for case_id in engine.store.case_ids():
        case = engine.case(case_id)
        said = engine.status_events(case_id)
        history = {e.seq: e for e in engine.history(case_id)}
        assert [e.seq for e in said] == list(range(1, len(said) + 1)) and \
            case.notified == len(said)
        assert said[0].type == "submitted" and said[0].code == 1
        delivered = [e for e in said if e.type == "delivered"]
        assert len(delivered) == int(case.ended)
        if delivered:
            assert delivered[0].data["kind"] == case.delivery_kind
            assert delivered[0].code == delivered_code(case.delivery_kind or "",
                                                       delivered[0].data["accepted_on_promise"],
                                                       case.accepted_at is not None)
            after = said[delivered[0].seq:]
            assert {e.type for e in after} <= {"evaluated", "follow_up_opened",
                                               "commitment_verified", "commitment_revoked"}
        for event in said:
            assert event.type in TYPES
            if event.type != "delivered":
                assert event.code == TYPES[event.type]
            line = history[event.source] if event.source is not None else None
            assert line is not None and line.at == event.at
        text = json.dumps([e.data for e in said], ensure_ascii=False)
        personal = free_text_of(case)
        assert not [p for p in [*personal, case.applicant] if p and p in text]


def test_a_refusal_at_intake_is_not_also_a_refusal_after_review(any_store: Store) -> None:
    """Review finding: an intake refusal delivered as 13 办结（不通过） told the platforms a
    case never accepted was reviewed and refused."""
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                         actor=ZHANG)
    engine.refuse_intake(case.id, DESK, "not ours")
    assert told(any_store, case.id) == [
        ("submitted", 1, None, "market_regulation"),
        ("intake_refused", 5, None, "market_regulation"),
        ("delivered", None, None, "market_regulation")]


def test_a_promise_released_by_a_correction_is_said_kept() -> None:
    """Review finding: when a correction releases the last promise (the corrected form no
    longer needs the material, or the correction brought it), the case no longer waits — and
    the applicant is told, as when they bring it."""
    from onething.stores.memory import MemoryStore

    workflow = shipped("construction_gov_investment.yaml")
    engine = Engine(MemoryStore(), clock=FixedClock(START))
    engine.deploy(workflow)
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow, True),
                         actor=ZHANG)
    engine.accept(case.id, window(workflow.lead))
    [step] = [s for s in engine.waiting_on(case.id)][:1]
    engine.act(case.id, step, "request_correction", officer(workflow.step(step).department))
    engine.supplement(case.id, ZHANG, step=step,
                      materials={m: f"ref:{m}" for m in case.promised})
    assert not engine.case(case.id).promised
    assert [e.type for e in engine.status_events(case.id)][-2:] == \
        ["correction_supplemented", "promise_kept"]
