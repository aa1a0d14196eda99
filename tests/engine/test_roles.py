"""Who may do what, for every action (docs/roles.md; issue 12 item 3).

Each action is tried by every kind of actor on a fresh case where the action is possible: the
actors the role model allows succeed; every other is refused with ``NotAuthorized`` and the
refusal is in the case's history. Applicants are bound to their own cases by pseudonym.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.support.factories import START
from tests.support.scenarios import (
    ACTORS,
    GREEN,
    OWNER_ID,
    accepted,
    claimed,
    correcting,
    delivered,
    fresh,
    held_by_another,
    in_block,
    jointly_in_block,
    notified,
    on_commitment,
    ready,
    submitted,
)

from onething.cases.records import Actor, applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import NotAuthorized
from onething.workdays import FixedClock

Setup = Callable[[Engine], str]
Do = Callable[[Engine, str, Actor], Any]

#: action -> (the case it needs, how it is done, who may do it)
MATRIX: dict[str, tuple[Setup, Do, set[str]]] = {
    "accept": (submitted, lambda e, c, a: e.accept(c, a), {"lead_window"}),
    "refuse_intake": (submitted, lambda e, c, a: e.refuse_intake(c, a, "不全"), {"lead_window"}),
    "request_intake_correction": (submitted, lambda e, c, a: e.request_intake_correction(
        c, a, {"name": "与执照不符"}), {"lead_window"}),
    "supplement_intake": (notified, lambda e, c, a: e.supplement(c, a, fields={
        "name": "小店（更正）"}), {"owner", "helper"}),
    "approve": (in_block, lambda e, c, a: e.act(c, "permit", "approve", a), {"step_officer"}),
    "refuse": (in_block, lambda e, c, a: e.act(c, "permit", "refuse", a, "不符"),
               {"step_officer"}),
    "approve_on_commitment": (in_block, lambda e, c, a: e.act(
        c, "permit", "approve_on_commitment", a), {"step_officer"}),
    "request_correction": (in_block, lambda e, c, a: e.act(
        c, "permit", "request_correction", a, "补"), {"step_officer"}),
    "start_special_procedure": (in_block, lambda e, c, a: e.start_special_procedure(
        c, "permit", a, kind="hearing", expected="10 WD", reason="听证"), {"step_officer"}),
    "supplement": (correcting, lambda e, c, a: e.supplement(c, a, step="permit"),
                   {"owner", "helper"}),
    "withdraw": (accepted, lambda e, c, a: e.withdraw(c, a, "不办了"), {"owner", "helper"}),
    "deliver": (ready, lambda e, c, a: e.deliver(c, a), {"lead_window"}),
    "evaluate": (delivered, lambda e, c, a: e.evaluate(c, 5, a), {"owner", "helper"}),
    "verify_commitment": (on_commitment, lambda e, c, a: e.verify_commitment(
        c, "permit", True, a), {"step_officer"}),
    "authorize_agent": (accepted, lambda e, c, a: e.authorize_agent(c, "new-agent", a),
                        {"owner", "lead_window", "lead_supervisor"}),
    "view": (accepted, lambda e, c, a: e.view(c, a),
             {"owner", "helper", "lead_window", "lead_supervisor", "lead_officer",
              "step_officer", "other_officer"}),
    "extend_step": (in_block, lambda e, c, a: e.extend(c, "permit", "5 WD", a, "复杂"),
                    {"step_supervisor"}),
    "extend_case": (in_block, lambda e, c, a: e.extend(c, None, "5 WD", a, "复杂"),
                    {"lead_supervisor"}),
    # joint handling: the head of the government at that level (行政许可法 art. 42(2))
    "extend_joint_case": (jointly_in_block, lambda e, c, a: e.extend(c, None, "15 WD", a, "复杂"),
                          {"government_head"}),
    "extend_joint_step": (jointly_in_block, lambda e, c, a: e.extend(c, "permit", "5 WD", a,
                                                                     "复杂"),
                          {"step_supervisor"}),
    "erase": (delivered, lambda e, c, a: e.erase(c, a, retention="0 days"),
              {"system", "lead_supervisor"}),
    # who holds a step inside its department (issue 16 item 4; docs/roles.md)
    "claim": (in_block, lambda e, c, a: e.claim(c, "permit", a), {"step_officer"}),
    "release": (claimed, lambda e, c, a: e.release(c, "permit", a),
                {"step_officer", "step_supervisor"}),
    "assign": (in_block, lambda e, c, a: e.assign(c, "permit", "m7", a), {"step_supervisor"}),
    "reassign": (claimed, lambda e, c, a: e.assign(c, "permit", "m7", a), {"step_supervisor"}),
    "approve_held": (claimed, lambda e, c, a: e.act(c, "permit", "approve", a),
                     {"step_officer", "step_supervisor"}),
    "approve_held_by_another": (held_by_another, lambda e, c, a: e.act(
        c, "permit", "approve", a), {"step_supervisor"}),
    "request_correction_held_by_another": (held_by_another, lambda e, c, a: e.act(
        c, "permit", "request_correction", a, "补"), {"step_supervisor"}),
    "start_special_procedure_held_by_another": (
        held_by_another, lambda e, c, a: e.start_special_procedure(
            c, "permit", a, kind="hearing", expected="10 WD", reason="听证"),
        {"step_supervisor"}),
}


@pytest.mark.parametrize("action", sorted(MATRIX))
@pytest.mark.parametrize("who", sorted(ACTORS))
def test_every_action_is_allowed_to_exactly_its_roles(action: str, who: str) -> None:
    setup, do, allowed = MATRIX[action]
    engine = fresh()
    case_id = setup(engine)
    before = engine.case(case_id)
    actor = ACTORS[who]
    if who in allowed:
        do(engine, case_id, actor)
        return
    with pytest.raises(NotAuthorized):
        do(engine, case_id, actor)
    last = engine.history(case_id)[-1]
    assert last.action == "refused_attempt", (action, who, last)
    after = engine.case(case_id)
    assert (after.marking, after.outcomes, after.form, after.agents, after.clocks,
            after.assigned) == (before.marking, before.outcomes, before.form, before.agents,
                                before.clocks, before.assigned)


@pytest.mark.parametrize("who", sorted(ACTORS))
def test_who_may_submit(who: str) -> None:
    engine = fresh()
    actor = ACTORS[who]
    allowed = {"owner", "stranger", "helper", "outsider_agent", "lead_window", "system"}
    identity = None if actor.role.value == "applicant" else OWNER_ID
    if who in allowed:
        case = engine.submit("permit", {"name": "小店"}, actor=actor, applicant=identity)
        assert case.applicant == engine.people.pseudonym(
            actor.id if identity is None else identity)
        return
    with pytest.raises(NotAuthorized):
        engine.submit("permit", {"name": "小店"}, actor=actor, applicant=identity)


def test_record_milestone_is_the_steps_department_only() -> None:
    form = {"project_name": "一号工程", "project_category": "industry", "investment": "5000",
            "key_project": True, "site_area": "100", "contact_phone": "13800138000"}
    materials = {m.name: f"doc://{m.name}" for m in GREEN.form.materials}
    for who, actor in ACTORS.items():
        engine = Engine(clock=FixedClock(START))
        engine.deploy(GREEN)
        case = engine.submit(GREEN.id, form, materials, actor=ACTORS["owner"])
        engine.accept(case.id, window(GREEN.lead))
        if who == "lead_officer":
            actor = officer(GREEN.lead)  # the eligibility step's own department
            engine.record_milestone(case.id, "eligibility", "arrange", actor)
            continue
        with pytest.raises(NotAuthorized):
            engine.record_milestone(case.id, "eligibility", "arrange", actor)
        assert engine.history(case.id)[-1].action == "refused_attempt"


def test_an_applicant_acts_only_on_their_own_case() -> None:
    engine = fresh()
    mine = accepted(engine)
    theirs = engine.submit("permit", {"name": "别家"}, actor=ACTORS["stranger"]).id
    engine.accept(theirs, ACTORS["lead_window"])
    with pytest.raises(NotAuthorized, match="only the case's applicant"):
        engine.withdraw(theirs, ACTORS["owner"])
    with pytest.raises(NotAuthorized):
        engine.authorize_agent(theirs, "my-friend", ACTORS["owner"])
    with pytest.raises(NotAuthorized):
        engine.view(theirs, ACTORS["owner"])
    engine.withdraw(mine, applicant(f" {OWNER_ID.lower()} "))  # the same person, spelled loosely
    assert engine.delivery(mine).kind == "withdrawal"
    assert engine.delivery(theirs) is None


def test_histories_name_people_by_pseudonym_never_by_number() -> None:
    engine = fresh()
    case_id = delivered(engine)
    engine.evaluate(case_id, 5, ACTORS["owner"])
    texts = [e.actor + repr(e.data) for e in engine.history(case_id)]
    assert not any(OWNER_ID in t or "helper-7" in t for t in texts)
    assert f"applicant:{engine.people.pseudonym(OWNER_ID)}" in texts[0]
