"""Assignment inside a department (issue 16 item 4): an officer claims a step waiting on their
department, the holder or a supervisor releases it, a supervisor assigns and reassigns it;
while it is held only its holder (or a supervisor of the department) decides it there, and
every change is a line of the history. Before, any officer of the department could decide any
of its steps, and two officers could work the same case without knowing it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import sample_materials
from tests.support.scenarios import (
    ACTORS,
    GREEN,
    accepted,
    claimed,
    fresh,
    held_by_another,
    in_block,
)

from onething.cases import assignment
from onething.cases.records import Actor, applicant, officer, supervisor, window
from onething.engine import _actions
from onething.engine.engine import Engine
from onething.errors import (
    ActionRefused,
    CaseEnded,
    IdempotencyMismatch,
    InvalidArgument,
    NotAuthorized,
)
from onething.language.load import parse
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

START = dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
HOLDING = ("claimed", "released", "assigned", "reassigned")
#: one step of market's, whose outcome ``again`` decides it and comes back to it (a redo)
DESK = parse("""\
onething: 1
id: desk
version: 1
title: 窗口审批
lead: hall
form:
  fields:
    name: {type: string, required: true}
steps:
  - id: review
    department: market
    reads: [name]
    produces: [permit]
    outcomes:
      again: {goto: review, title: 重审}
delivery:
  bundle: [permit]
  methods: [window]
""").unwrap()
#: a step two departments sign, and one an expert panel of market's signs
JOINT = parse("""\
onething: 1
id: joint
version: 1
title: 联合踏勘
lead: hall
form:
  fields:
    site: {type: string, required: true}
steps:
  - id: inspection
    department: market
    reads: [site]
    sign_off: {by: [market, fire], need: 2}
  - id: panel
    department: market
    sign_off: {experts: 2, need: 2}
  - {id: licence, department: hall, produces: [licence]}
delivery:
  bundle: [licence]
  methods: [window]
""").unwrap()
#: a block whose step the consolidating step sends back (退回重审)
DRAWINGS = parse("""\
onething: 1
id: drawings
version: 1
title: 联合审图
lead: hall
form:
  fields:
    drawings: {type: string, required: true}
steps:
  - parallel:
      - {id: structure, department: drawing_centre, reads: [drawings]}
      - {id: fire, department: fire, reads: [drawings], produces: [fire_opinion]}
  - id: consolidation
    department: hall
    send_back: {to: [fire], others: keep}
  - {id: permit, department: hall, produces: [permit]}
delivery:
  bundle: [permit, fire_opinion]
  methods: [window]
""").unwrap()

WANG, LI, ZHAO = officer("market", "wang"), officer("market", "li"), supervisor("market", "zhao")


def opened(engine: Engine, workflow: Any = DESK, form: dict[str, Any] | None = None) -> str:
    engine.deploy(workflow)
    case = engine.submit(workflow.id, form or {"name": "小店"}, {})
    engine.accept(case.id, window(workflow.lead))
    return case.id


def held(engine: Engine, case_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The history's changes of holder: (action, actor, data)."""
    return [(e.action, e.actor, e.data) for e in engine.history(case_id) if e.action in HOLDING]


# -- on every store --------------------------------------------------------------------------


def test_a_claim_holds_on_every_store_and_ends_with_the_decision(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine)
    assert engine.claim(case_id, "review", WANG).assigned == {"review": {"market": "wang"}}
    assert engine.store.load(case_id).assigned == {"review": {"market": "wang"}}
    assert [(i.step, i.assignee) for i in engine.queue("market").items] == [("review", "wang")]
    with pytest.raises(NotAuthorized, match="held at market by department:wang@market"):
        engine.act(case_id, "review", "approve", LI)
    assert engine.history(case_id)[-1].action == "refused_attempt"
    with pytest.raises(ActionRefused, match="held at market by department:wang@market"):
        engine.claim(case_id, "review", LI)
    engine.assign(case_id, "review", "li", ZHAO)
    engine.act(case_id, "review", "again", LI)  # decided, and back to the step: unclaimed
    assert engine.store.load(case_id).assigned == {}
    assert [(i.step, i.assignee) for i in engine.queue("market").items] == [("review", None)]
    engine.act(case_id, "review", "approve", WANG)  # nobody holds it: any officer decides
    assert held(engine, case_id) == [
        ("claimed", "department:wang@market", {"department": "market", "officer": "wang"}),
        ("reassigned", "supervisor:zhao@market",
         {"department": "market", "from": "wang", "to": "li"})]


def test_release_and_assign_on_every_store(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine)
    engine.assign(case_id, "review", "li", ZHAO)
    with pytest.raises(NotAuthorized, match="may not release it"):
        engine.release(case_id, "review", WANG)
    engine.release(case_id, "review", LI)
    assert engine.store.load(case_id).assigned == {}
    engine.claim(case_id, "review", WANG)
    engine.release(case_id, "review", ZHAO)  # a supervisor releases whoever holds it
    assert [a for a, _, _ in held(engine, case_id)] == ["assigned", "released", "claimed",
                                                        "released"]
    assert held(engine, case_id)[-1][2] == {"department": "market", "officer": "wang"}


# -- who decides a held step -----------------------------------------------------------------


def test_the_holder_and_a_supervisor_decide_a_held_step_and_nobody_else() -> None:
    engine = fresh()
    case_id = held_by_another(engine)  # held by m9
    for who in ("step_officer", "other_officer", "lead_officer", "other_supervisor"):
        with pytest.raises(NotAuthorized):
            engine.act(case_id, "permit", "approve", ACTORS[who])
    assert engine.case(case_id).assigned == {"permit": {"market": "m9"}}
    engine.act(case_id, "permit", "approve", officer("market", "m9"))
    assert engine.case(case_id).assigned == {}


def test_a_supervisor_does_not_decide_a_step_nobody_holds() -> None:
    engine = fresh()
    case_id = in_block(engine)
    with pytest.raises(NotAuthorized, match="only market decides"):
        engine.act(case_id, "permit", "approve", ACTORS["step_supervisor"])
    engine.assign(case_id, "permit", "chief", ACTORS["step_supervisor"])  # to themselves
    engine.act(case_id, "permit", "approve", ACTORS["step_supervisor"])
    assert engine.case(case_id).outcomes["permit"]["by"] == "supervisor:chief@market"


def test_a_correction_keeps_the_claim_and_the_step_comes_back_to_its_holder() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine)
    engine.claim(case_id, "review", WANG)
    engine.act(case_id, "review", "request_correction", WANG, "补")
    with pytest.raises(NotAuthorized):  # another officer, even while the applicant answers
        engine.act(case_id, "review", "approve", LI)
    engine.supplement(case_id, applicant(), step="review", fields={"name": "小店（更正）"})
    assert engine.case(case_id).assigned == {"review": {"market": "wang"}}
    engine.start_special_procedure(case_id, "review", WANG, kind="hearing", expected="5 WD")
    assert engine.case(case_id).assigned == {"review": {"market": "wang"}}
    engine.act(case_id, "review", "end_special_procedure", WANG)
    engine.act(case_id, "review", "approve", WANG)
    assert engine.case(case_id).assigned == {}


def test_milestones_of_a_held_step_are_its_holders_or_a_supervisors() -> None:
    form = {"project_name": "一号工程", "project_category": "industry", "investment": "5000",
            "key_project": True, "site_area": "100", "contact_phone": "13800138000"}
    engine = Engine(clock=FixedClock(START))
    engine.deploy(GREEN)
    case = engine.submit(GREEN.id, form, sample_materials(GREEN), actor=ACTORS["owner"])
    engine.accept(case.id, window(GREEN.lead))
    holder, other = officer(GREEN.lead, "a"), officer(GREEN.lead, "b")
    engine.claim(case.id, "eligibility", holder)
    with pytest.raises(NotAuthorized, match="held at"):
        engine.record_milestone(case.id, "eligibility", "arrange", other)
    assert engine.history(case.id)[-1].action == "refused_attempt"
    engine.record_milestone(case.id, "eligibility", "arrange", holder)
    engine.record_milestone(case.id, "eligibility", "feedback",
                            supervisor(GREEN.lead, "boss"))
    with pytest.raises(NotAuthorized):  # a supervisor of another department
        engine.record_milestone(case.id, "eligibility", "arrange", supervisor("tax", "boss"))


# -- when a claim ends ------------------------------------------------------------------------


def test_a_step_sent_back_is_done_again_unclaimed() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, DRAWINGS, {"drawings": "doc://d"})
    firefighter = officer("fire", "f1")
    engine.claim(case_id, "fire", firefighter)
    engine.act(case_id, "fire", "approve", firefighter)
    assert engine.case(case_id).assigned == {}
    engine.act(case_id, "structure", "approve", officer("drawing_centre"))
    engine.claim(case_id, "consolidation", officer("hall", "h1"))
    engine.send_back(case_id, "consolidation", officer("hall", "h1"), to="fire", reason="重审")
    assert engine.case(case_id).assigned == {}
    assert [(i.step, i.assignee) for i in engine.queue("fire").items] == [("fire", None)]
    engine.act(case_id, "fire", "approve", officer("fire", "f2"))  # anyone of fire again


def test_each_signing_department_holds_its_own_part_until_it_signed() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, JOINT, {"site": "幸福路 1 号"})
    engine.claim(case_id, "inspection", WANG)
    engine.assign(case_id, "inspection", "f1", supervisor("fire", "chief"))
    assert engine.case(case_id).assigned == {"inspection": {"market": "wang", "fire": "f1"}}
    with pytest.raises(NotAuthorized, match="held at fire by department:f1@fire"):
        engine.act(case_id, "inspection", "approve", officer("fire", "f2"))
    engine.act(case_id, "inspection", "approve", WANG)  # market signed: its part is done
    assert engine.case(case_id).assigned == {"inspection": {"fire": "f1"}}
    with pytest.raises(ActionRefused, match="market has signed its part"):
        engine.claim(case_id, "inspection", LI)
    engine.act(case_id, "inspection", "approve", supervisor("fire", "chief"))  # decides it
    assert engine.case(case_id).assigned == {}
    with pytest.raises(ActionRefused, match="panel of 2 officers"):
        engine.claim(case_id, "panel", WANG)


def test_the_claims_end_with_the_case() -> None:
    engine = fresh()
    case_id = claimed(engine)
    engine.withdraw(case_id, ACTORS["owner"], "不办了")
    assert engine.case(case_id).assigned == {}
    for attempt in (lambda: engine.claim(case_id, "permit", ACTORS["step_officer"]),
                    lambda: engine.release(case_id, "permit", ACTORS["step_supervisor"]),
                    lambda: engine.assign(case_id, "permit", "m2", ACTORS["step_supervisor"])):
        with pytest.raises(CaseEnded):
            attempt()


def test_only_a_step_waiting_on_the_department_is_claimed() -> None:
    engine = fresh()
    case_id = accepted(engine)  # the check-in comes first: permit waits on nobody yet
    with pytest.raises(ActionRefused, match="not waiting on market now"):
        engine.claim(case_id, "permit", ACTORS["step_officer"])
    with pytest.raises(ActionRefused, match="not waiting on market now"):
        engine.assign(case_id, "permit", "m1", ACTORS["step_supervisor"])
    with pytest.raises(ActionRefused, match="not a step"):
        engine.claim(case_id, "permits", ACTORS["step_officer"])
    assert [e.action for e in engine.history(case_id)][-3:] == ["refused_attempt"] * 3


# -- what changes nothing, keys, ids ----------------------------------------------------------


def test_asking_for_what_already_holds_writes_nothing() -> None:
    engine = fresh()
    case_id = claimed(engine)
    version = engine.case(case_id).version
    assert engine.claim(case_id, "permit", ACTORS["step_officer"]).version == version
    engine.assign(case_id, "permit", "m1", ACTORS["step_supervisor"])
    engine.release(case_id, "permit", ACTORS["step_officer"])
    version = engine.case(case_id).version
    engine.release(case_id, "permit", ACTORS["step_officer"])  # nobody holds it
    engine.release(case_id, "permit", ACTORS["step_supervisor"])
    assert engine.case(case_id).version == version
    assert [a for a, _, _ in held(engine, case_id)] == ["claimed", "released"]


def test_idempotency_keys() -> None:
    engine = fresh()
    case_id = in_block(engine)
    chief = ACTORS["step_supervisor"]
    first = engine.assign(case_id, "permit", "m1", chief, idempotency_key="a-1")
    engine.release(case_id, "permit", chief)
    again = engine.assign(case_id, "permit", "m1", chief, idempotency_key="a-1")
    assert again.version == first.version  # the first answer; nothing assigned again
    assert engine.case(case_id).assigned == {}
    with pytest.raises(IdempotencyMismatch):
        engine.assign(case_id, "permit", "m2", chief, idempotency_key="a-1")
    engine.claim(case_id, "permit", ACTORS["step_officer"], idempotency_key="c-1")
    engine.claim(case_id, "permit", ACTORS["step_officer"], idempotency_key="c-1")
    assert [a for a, _, _ in held(engine, case_id)] == ["assigned", "released", "claimed"]


@pytest.mark.parametrize("bad", ["", "  ", "wang@tax", "a:b", "two words", "x" * 81,
                                 "13800138000", "430381199001011234", 7, None])
def test_assign_takes_a_staff_id(bad: Any) -> None:
    engine = fresh()
    case_id = in_block(engine)
    with pytest.raises(InvalidArgument) as raised:
        engine.assign(case_id, "permit", bad, ACTORS["step_supervisor"])
    assert "13800138000" not in str(raised.value) and "430381199001011234" not in str(
        raised.value)
    assert engine.case(case_id).assigned == {}


def test_an_officer_with_a_personal_number_for_an_id_claims_nothing() -> None:
    engine = fresh()
    case_id = in_block(engine)
    with pytest.raises(InvalidArgument):
        engine.claim(case_id, "permit", officer("market", "13800138000"))
    assert "13800138000" not in str(engine.history(case_id))


def test_the_engine_and_the_claims_agree_on_what_decides_a_step() -> None:
    assert set(_actions.OUTCOMES) == assignment.DECIDING


def test_a_step_outcome_may_not_be_named_like_a_change_of_holder() -> None:
    text = DESK.text.replace("again: {goto: review", "claimed: {goto: review")
    assert "reserved-outcome" in {d.code for d in parse(text).diagnostics}


# -- the property ------------------------------------------------------------------------------

#: who the property's actions are done by: market's officers and supervisor, and outsiders
PEOPLE: dict[str, Actor] = {"wang": WANG, "li": LI, "qian": officer("market", "qian"),
                            "zhao": ZHAO, "fire": officer("fire", "f1"),
                            "fire_chief": supervisor("fire", "chief"),
                            "window": window("hall", "w")}
OFFICERS = ("wang", "li", "qian")
Op = tuple[str, str, str]
OPS = st.lists(st.tuples(st.sampled_from(["claim", "release", "assign", "decide"]),
                         st.sampled_from(sorted(PEOPLE)), st.sampled_from(OFFICERS)),
               max_size=25)
_ENGINE: list[Engine] = []


def _desk_engine() -> Engine:
    if not _ENGINE:
        engine = Engine(clock=FixedClock(START))
        engine.deploy(DESK)
        _ENGINE.append(engine)
    return _ENGINE[0]


def _expected(op: Op, holder: str | None) -> tuple[type[Exception] | None, str | None, str]:
    """What the model says: the error (None: accepted), the holder after, the event (empty
    when nothing changes)."""
    kind, who, target = op
    actor = PEOPLE[who]
    is_officer = who in OFFICERS
    is_supervisor = who == "zhao"
    if kind == "claim":
        if not is_officer:
            return NotAuthorized, holder, ""
        if holder is None:
            return None, actor.id, "claimed"
        return (None, holder, "") if holder == actor.id else (ActionRefused, holder, "")
    if kind == "release":
        if not (is_officer or is_supervisor):
            return NotAuthorized, holder, ""
        if holder is None:
            return None, None, ""
        if is_officer and holder != actor.id:
            return NotAuthorized, holder, ""
        return None, None, "released"
    if kind == "assign":
        if not is_supervisor:
            return NotAuthorized, holder, ""
        if holder == target:
            return None, holder, ""
        return None, target, "assigned" if holder is None else "reassigned"
    allowed = (is_officer and holder in (None, actor.id)) or (is_supervisor
                                                              and holder is not None)
    return (None, None, "again") if allowed else (NotAuthorized, holder, "")


def _do(engine: Engine, case_id: str, op: Op) -> object:
    kind, who, target = op
    actor = PEOPLE[who]
    if kind == "claim":
        return engine.claim(case_id, "review", actor)
    if kind == "release":
        return engine.release(case_id, "review", actor)
    if kind == "assign":
        return engine.assign(case_id, "review", target, actor)
    return engine.act(case_id, "review", "again", actor)


@settings(max_examples=60, deadline=None)
@given(OPS)
def test_a_decision_succeeds_exactly_when_the_claims_allow_it(ops: list[Op]) -> None:
    """Over any sequence of claims, releases, assignments and decisions by market's officers,
    its supervisor and outsiders: a decision succeeds iff the step is unclaimed and the actor
    an officer of market, or the actor holds it, or is market's supervisor and someone holds
    it; the case's holder is the model's after every step; the history has one line per
    accepted change and a refused attempt per refusal."""
    engine = _desk_engine()
    case_id = engine.submit("desk", {"name": "小店"}, {}).id
    engine.accept(case_id, window("hall"))
    start = len(engine.history(case_id))
    holder: str | None = None
    changes, refusals = [], 0
    for op in ops:
        error, after, event = _expected(op, holder)
        if error is None:
            _do(engine, case_id, op)
        else:
            with pytest.raises(error) as raised:
                _do(engine, case_id, op)
            if error is ActionRefused:  # a claim of a step another holds: not authorization
                assert not isinstance(raised.value, NotAuthorized)
            refusals += 1
        holder = after
        if event:
            changes.append(event)
        assert engine.case(case_id).assigned == ({"review": {"market": holder}} if holder
                                                 else {}), op
    history = engine.history(case_id)[start:]
    assert [e.action for e in history if e.action != "refused_attempt"] == changes
    assert sum(e.action == "refused_attempt" for e in history) == min(refusals, 20)
