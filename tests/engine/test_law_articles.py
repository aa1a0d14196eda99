"""The engine measured against 行政许可法 (issue 15), one article at a time, on dates: what a
case does, not only the arithmetic of due dates.

* art. 32: an application the window does not answer within the intake limit counts as
  accepted *from the day its materials were received*, so its limits count from then;
* art. 38: refusing an item, and refusing at intake, states its reasons (the notice gives them
  with the applicant's remedies).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from tests.support.factories import START, sample_form, sample_materials, shipped

from onething.cases.records import applicant, government_head, officer, supervisor, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused, NotAuthorized
from onething.language.load import parse
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

RESTAURANT = "restaurant_opening.yaml"


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


# -- art. 32: deemed acceptance dates from the receipt ------------------------------------------


def test_deemed_acceptance_counts_the_limits_from_the_day_of_receipt(any_store: Store) -> None:
    """Before, the acceptance was stamped when the timer fired, and every limit ran five
    working days late."""
    workflow = shipped(RESTAURANT)
    engine = Engine(any_store, clock=FixedClock(START))
    engine.deploy(workflow)
    answered = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
    silent = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
    engine.accept(answered.id, window(workflow.lead))  # the window answers at once
    fired = engine.tick(at("2026-12-31", 17))
    names = [f.timer.name for f in fired if f.case_id == silent.id]
    assert names[0] == "deemed_acceptance"  # then the escalations its limits have passed
    deemed, prompt = engine.case(silent.id), engine.case(answered.id)
    assert deemed.created_at == START < deemed.accepted_at  # told now: promises count from now
    event = next(e for e in engine.history(silent.id) if e.action == "deemed_acceptance")
    assert event.at > START and event.data["accepted_as_of"] == START.isoformat()
    due = {v.key: v.statutory_due for v in engine.clocks(silent.id)}
    expected = {v.key: v.statutory_due for v in engine.clocks(answered.id)}
    assert due["case"] == expected["case"] and due["case"] is not None
    # a department's own clock starts when it has the case, not before (review finding)
    started = [s for s in deemed.clocks if s != "case"]
    assert started and all(deemed.clocks[s]["started"] == event.at.isoformat()
                           for s in started)
    assert prompt.clocks["case"]["started"] == START.isoformat()


def test_a_late_answer_of_the_window_is_dated_from_the_receipt_too() -> None:
    """Regression (review): a window that accepted after the intake limit, before any tick,
    started the case's limit from its own late answer, and could still refuse at intake."""
    workflow = shipped(RESTAURANT)
    engine = Engine(clock=FixedClock(START))
    engine.deploy(workflow)
    late = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
    other = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
    engine.clock.set(at("2026-12-31"))  # long past the 5 WD the window had
    with pytest.raises(ActionRefused, match="counts as accepted from its receipt"):
        engine.refuse_intake(other.id, window(workflow.lead), "材料不全")
    engine.accept(late.id, window(workflow.lead))
    case = engine.case(late.id)
    assert case.clocks["case"]["started"] == START.isoformat()
    assert engine.history(late.id)[-1].data["accepted_as_of"] == START.isoformat()


SILENT = """\
onething: 1
id: silent
version: 1
title: 逾期视为同意
lead: hall
form:
  fields:
    name: {type: string, required: true}
steps:
  - {id: review, department: a, reads: [name], time_limit: {statutory: 3 WD},
     silence: approve}
delivery:
  bundle: []
  methods: [window]
"""


def test_a_deemed_acceptance_does_not_deem_a_step_approved_on_arrival() -> None:
    """Regression (review): back-dating the step's own clock with the case's made its 3 WD
    pass before the department ever had the case, approving it by silence at once."""
    engine = Engine(clock=FixedClock(at("2026-09-01")))
    engine.deploy(parse(SILENT).unwrap())
    case = engine.submit("silent", {"name": "张三"}, {}, actor=applicant("a"))
    fired = engine.tick(at("2026-09-08", 17))
    assert "deemed_acceptance" in [f.timer.name for f in fired]
    assert "deemed_approval" not in [f.timer.name for f in fired]
    assert "step:review" in engine.case(case.id).marking


# -- corrections after acceptance: the limit resumes ---------------------------------------------


CORRECTED = """\
onething: 1
id: corrected
version: 1
title: 补正
lead: hall
form:
  fields:
    name: {type: string, required: true}
%(clock)s
steps:
  - {id: review, department: a, reads: [name], time_limit: {statutory: 20 WD}}
delivery:
  bundle: []
  methods: [window]
"""


@pytest.mark.parametrize(("clock", "answered"), [("", "resumed"),
                                                ("clock: {correction: restart}", "restarted")])
def test_an_answered_correction_resumes_the_limit_unless_a_local_rule_restarts_it(
        clock: str, answered: str) -> None:
    """The law has no rule that starts a limit again after a correction: by default the
    step's clock resumes where it paused (its start stands); a local rule may restart it."""
    engine = Engine(clock=FixedClock(at("2026-09-01")))
    engine.deploy(parse(CORRECTED % {"clock": clock}).unwrap())
    case = engine.submit("corrected", {"name": "张三"}, {}, actor=applicant("a"))
    engine.accept(case.id, window("hall"))
    started = engine.case(case.id).clocks["review"]["started"]
    engine.act(case.id, "review", "request_correction", officer("a"), "名称不全",
               now=at("2026-09-03"))
    engine.supplement(case.id, applicant("a"), step="review", fields={"name": "张三丰"},
                      now=at("2026-09-10"))
    after = engine.case(case.id).clocks["review"]
    assert engine.history(case.id)[-1].data["clocks"][0] == f"review {answered}"
    assert (after["started"] == started) is (answered == "resumed")


# -- art. 38: a refusal states its reasons ------------------------------------------------------


def test_a_refusal_at_intake_needs_its_reasons() -> None:
    workflow = shipped(RESTAURANT)
    engine = Engine(clock=FixedClock(START))
    engine.deploy(workflow)
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
    for reason in ("", "   "):
        with pytest.raises(ActionRefused, match=r"art\. 38"):
            engine.refuse_intake(case.id, window(workflow.lead), reason)
    engine.refuse_intake(case.id, window(workflow.lead), "不属于本机关职权范围")
    notice = engine.delivery(case.id).notice
    assert "不属于本机关职权范围" in str(notice) and notice.get("remedies")


SIGNED = """\
onething: 1
id: reasons
version: 1
title: 理由
lead: hall
form:
  fields:
    vehicles: {type: list, max_items: 3, item: {type: string}}
steps:
  - {id: plain, department: a}
  - {id: joint, department: a, sign_off: {by: [a, b], need: all}}
  - {id: each, department: a, foreach: vehicles}
delivery:
  bundle: []
  methods: [window]
"""


@pytest.mark.parametrize("step", ["plain", "joint", "each"])
def test_a_refusal_of_an_item_needs_its_reasons(step: str) -> None:
    """A department's refusal — alone, as a signer's vote, or of one item of a list — is
    refused without a reason, and recorded with one."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(parse(SIGNED).unwrap())
    case = engine.submit("reasons", {"vehicles": ["湘A1"]}, {}, actor=applicant("a"))
    engine.accept(case.id, window("hall"))
    for earlier in ("plain", "joint", "each")[:("plain", "joint", "each").index(step)]:
        for signer in (["a", "b"] if earlier == "joint" else ["a"]):
            engine.act(case.id, earlier, "approve", officer(signer),
                       item=1 if earlier == "each" else None)
    item = 1 if step == "each" else None
    with pytest.raises(ActionRefused, match="needs its reasons"):
        engine.act(case.id, step, "refuse", officer("a"), " ", item=item)
    engine.act(case.id, step, "refuse", officer("a"), "材料不实", item=item)
    refusal = next(e for e in reversed(engine.history(case.id))
                   if e.action in ("refuse", "signed_off"))
    assert refusal.data["reason"] == "材料不实"


# -- 民法典 art. 203: a natural-day period ends on a working day ---------------------------------


def test_a_natural_day_limit_ending_in_a_holiday_break_ends_after_it() -> None:
    """A step's 10 ND limit from an acceptance on 2026-09-24 would end on 10-04, inside the
    National Day break; the case's clock says 10-08."""
    text = CORRECTED.replace("time_limit: {statutory: 20 WD}", "time_limit: {statutory: 10 ND}")
    engine = Engine(clock=FixedClock(at("2026-09-24")))
    engine.deploy(parse(text % {"clock": ""}).unwrap())
    case = engine.submit("corrected", {"name": "张三"}, {}, actor=applicant("a"))
    engine.accept(case.id, window("hall"))
    [review] = [v for v in engine.clocks(case.id) if v.key == "review"]
    assert review.statutory_due is not None
    assert review.statutory_due.deadline == at("2026-10-08", 17)


# -- art. 44: the result is issued and served within ten working days of the decision ----------


def test_the_delivery_has_its_own_clock_from_the_last_decision(any_store: Store) -> None:
    """Before, nothing timed the window once every department had decided: a result could
    wait for ever. Now a delivery clock of 10 WD starts at the last decision, escalates like
    any other clock, and stops at the delivery."""
    text = CORRECTED.replace("%(clock)s\n", "escalation:\n  - {action: reminder, to: lead}\n")
    engine = Engine(any_store, clock=FixedClock(at("2026-09-01")))
    engine.deploy(parse(text).unwrap())
    case = engine.submit("corrected", {"name": "张三"}, {}, actor=applicant("a"))
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "review", "approve", officer("a"), now=at("2026-09-02"))
    [delivery] = [v for v in engine.clocks(case.id) if v.key == "delivery"]
    assert delivery.statutory_due is not None
    assert delivery.statutory_due.deadline == at("2026-09-16", 17)  # 10 WD after 09-02
    fired = engine.tick(at("2026-09-16", 18))
    reminder = [f for f in fired if f.case_id == case.id and f.timer.name == "reminder"]
    assert reminder and reminder[0].timer.data["clock"] == "delivery"
    escalated = next(e for e in engine.history(case.id) if e.action == "escalated")
    assert escalated.data["to"] == "hall"  # the lead window issues and serves the result
    engine.deliver(case.id, window("hall"), now=at("2026-09-17"))
    [stopped] = [v for v in engine.clocks(case.id) if v.key == "delivery"]
    assert stopped.status.value == "late"


# -- art. 45: a special procedure's time is not counted, in the case's limit either ------------

PARALLEL = """\
onething: 1
id: joint
version: 1
title: 并联
lead: hall
form:
  fields:
    name: {type: string, required: true}
time_limit: {statutory: 45 WD}
steps:
  - parallel:
      - {id: hearing_step, department: a, reads: [name]}
      - {id: other, department: b, reads: [name]}
delivery:
  bundle: []
  methods: [window]
"""


def test_a_special_procedure_pauses_the_case_clock_while_others_work(any_store: Store) -> None:
    """Before, the 45-day case clock kept counting during a hearing while another department
    worked; now it pauses from the start of the procedure to its end, and the case's due
    date moves by the procedure's working days."""
    engine = Engine(any_store, clock=FixedClock(at("2026-09-01")))
    engine.deploy(parse(PARALLEL).unwrap())
    case = engine.submit("joint", {"name": "张三"}, {}, actor=applicant("a"))
    engine.accept(case.id, window("hall"))

    def case_due() -> datetime:
        [view] = [v for v in engine.clocks(case.id) if v.key == "case"]
        assert view.statutory_due is not None
        return view.statutory_due.deadline
    before = case_due()
    engine.start_special_procedure(case.id, "hearing_step", officer("a"), kind="hearing",
                                   expected="10 WD", now=at("2026-09-07"))
    assert engine.case(case.id).clocks["case"]["paused_reason"].startswith("special procedure")
    engine.act(case.id, "other", "approve", officer("b"), now=at("2026-09-08"))
    engine.act(case.id, "hearing_step", "end_special_procedure", officer("a"),
               now=at("2026-09-14"))
    record = engine.case(case.id).clocks["case"]
    assert record["paused_since"] is None
    # one pause, from the procedure's start (not from when the other department finished)
    assert [p[:2] for p in record["pauses"]] == [["2026-09-07", "2026-09-14"]]
    assert case_due() > before


# -- art. 42: an extension is approved before the limit expires, and says the new date ----------


def test_an_extension_is_approved_before_the_limit_expires_and_gives_the_new_date(
        any_store: Store) -> None:
    """Before, an extension could be approved after the limit had passed; now it is refused
    then, and an approved one records the new due date the applicant's notice gives."""
    engine = Engine(any_store, clock=FixedClock(at("2026-09-01")))
    engine.deploy(parse(CORRECTED % {"clock": ""}).unwrap())
    early = engine.submit("corrected", {"name": "张三"}, {}, actor=applicant("a"))
    late = engine.submit("corrected", {"name": "李四"}, {}, actor=applicant("b"))
    for case in (early, late):
        engine.accept(case.id, window("hall"))
    [before] = [v for v in engine.clocks(early.id) if v.key == "review"]
    assert before.statutory_due is not None  # 20 WD from 09-01: 09-29
    head = supervisor("a")
    engine.extend(early.id, "review", "10 WD", head, "需要现场核查", now=at("2026-09-25"))
    extended = engine.history(early.id)[-1]
    assert extended.action == "extended" and extended.data["reason"] == "需要现场核查"
    assert datetime.fromisoformat(extended.data["due"]) > before.statutory_due.deadline
    with pytest.raises(ActionRefused, match="expired on"):
        engine.extend(late.id, "review", "10 WD", head, "来不及了", now=at("2026-10-20"))
    natural = Engine(clock=FixedClock(at("2026-09-01")))  # review: an ND limit did not move
    natural.deploy(parse((CORRECTED % {"clock": ""}).replace("20 WD", "20 ND")).unwrap())
    nd_case = natural.submit("corrected", {"name": "张三"}, {}, actor=applicant("a"))
    natural.accept(nd_case.id, window("hall"))
    with pytest.raises(ActionRefused, match="would not move it"):
        natural.extend(nd_case.id, "review", "10 WD", head, "需要现场核查")


def test_the_delivery_clock_waits_for_a_promised_material_and_no_step_takes_its_name() -> None:
    """Regression (review): the delivery clock ran and escalated while no result could be
    delivered (a 容缺 material outstanding); a step called 'delivery' or 'case' shared a
    clock with the case."""
    workflow = shipped(RESTAURANT)
    engine = Engine(clock=FixedClock(START))
    engine.deploy(workflow)
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow, True))
    assert case.promised
    engine.accept(case.id, window(workflow.lead))
    from tests.support.factories import perform
    for _ in range(40):
        current = engine.case(case.id)
        if "ready" in current.marking:
            break
        moves = [t for t in engine.deployed(workflow.id).compiled.net.transitions
                 if t.label in engine.possible(case.id) and t.action == "approve"]
        perform(engine, case.id, workflow, moves[0])
    clock = engine.case(case.id).clocks["delivery"]
    assert clock["paused_since"] is not None and "promised" in clock["paused_reason"]
    for name in ("delivery", "case"):
        text = CORRECTED.replace("id: review", f"id: {name}") % {"clock": ""}
        assert any("is the name of the" in d.message for d in parse(text).diagnostics)


# -- art. 42(2): joint handling, 45 WD, +15 by the head of the government -----------------------

JOINT = CORRECTED.replace("lead: hall\n", "lead: hall\n%(handling)s")


def test_a_jointly_handled_case_has_45_wd_and_only_the_government_head_extends_it_by_15(
        any_store: Store) -> None:
    """Before, any supervisor could extend any case by 15 WD, a single department's too; now
    joint handling (art. 42(2)) is declared, gives the case 45 WD, and its one extension of at
    most 15 WD is the government head's; a single department's case gets at most 10."""
    engine = Engine(any_store, clock=FixedClock(at("2026-09-01")))
    handling = ('handling: {mode: joint, government: xiangxiang, source: "statute: 行政许可法 '
                'art. 42(2)"}\n')
    engine.deploy(parse((JOINT % {"handling": handling, "clock": ""}).replace(
        "id: corrected", "id: joint")).unwrap())
    engine.deploy(parse(JOINT % {"handling": "", "clock": ""}).unwrap())
    joint = engine.submit("joint", {"name": "张三"}, {}, actor=applicant("a"))
    single = engine.submit("corrected", {"name": "李四"}, {}, actor=applicant("b"))
    for case in (joint, single):
        engine.accept(case.id, window("hall"))
    [case_clock] = [v for v in engine.clocks(joint.id) if v.key == "case"]
    # 45 WD from 09-02 (the day after acceptance), counting the make-up days 09-20 and 10-10
    # and not the National Day break 10-01..07: 11-09
    assert case_clock.statutory_due.deadline.date().isoformat() == "2026-11-09"
    [single_clock] = [v for v in engine.clocks(single.id) if v.key == "case"]
    assert single_clock.statutory_due is None  # one department: no case limit unless declared
    with pytest.raises(NotAuthorized, match="head of the government xiangxiang"):
        engine.extend(joint.id, None, "15 WD", supervisor("hall"), "复杂")
    with pytest.raises(NotAuthorized):
        engine.extend(joint.id, None, "15 WD", government_head("other_county"), "复杂")
    with pytest.raises(ActionRefused, match="exceeds the bound of 15 WD"):
        engine.extend(joint.id, None, "20 WD", government_head("xiangxiang"), "复杂")
    engine.extend(joint.id, None, "15 WD", government_head("xiangxiang"), "涉及多个部门联合踏勘",
                  now=at("2026-10-20"))
    extended = engine.history(joint.id)[-1]
    assert extended.action == "extended" and extended.data["by"] == "15 WD"
    assert extended.data["due"].startswith("2026-11-30")  # 15 WD after 11-09
    # a step of a joint case is still extended by its department's supervisor, by 10 at most
    with pytest.raises(ActionRefused, match="exceeds the bound of 10 WD"):
        engine.extend(joint.id, "review", "15 WD", supervisor("a"), "复杂")
    engine.extend(joint.id, "review", "10 WD", supervisor("a"), "复杂")


def test_a_single_department_case_limit_cannot_get_15_wd() -> None:
    engine = Engine(clock=FixedClock(at("2026-09-01")))
    limited = (JOINT % {"handling": "time_limit: {statutory: 30 WD, source: \"statute: x\"}\n",
                        "clock": ""})
    engine.deploy(parse(limited).unwrap())
    case = engine.submit("corrected", {"name": "李四"}, {}, actor=applicant("b"))
    engine.accept(case.id, window("hall"))
    with pytest.raises(ActionRefused, match="exceeds the bound of 10 WD"):
        engine.extend(case.id, None, "15 WD", supervisor("hall"), "复杂")
    with pytest.raises(NotAuthorized):
        engine.extend(case.id, None, "10 WD", government_head("government"), "复杂")
    engine.extend(case.id, None, "10 WD", supervisor("hall"), "复杂")
    # and a workflow cannot declare more (loader: extension-limit); one deployed before this
    # rule still reads, and the engine holds it to the law's bound
    declared = JOINT % {"handling": "", "clock": "clock: {case_extension: 15 WD}"}
    assert not parse(declared).ok
    from onething.cases.policy import policy_of
    old = parse(declared, deployed=True)
    assert old.ok and "extension-limit" in [d.code for d in old.diagnostics]
    assert str(policy_of(old.unwrap()).case_extension_max) == "10 WD"


def test_a_local_rule_may_deliver_sooner_than_the_law(any_store: Store) -> None:
    text = CORRECTED.replace("%(clock)s\n", "clock: {deliver_within: 3 WD, source: \"local: "
                             "a hall rule\"}\n")
    engine = Engine(any_store, clock=FixedClock(at("2026-09-01")))
    engine.deploy(parse(text).unwrap())
    case = engine.submit("corrected", {"name": "张三"}, {}, actor=applicant("a"))
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "review", "approve", officer("a"), now=at("2026-09-02"))
    [delivery] = [v for v in engine.clocks(case.id) if v.key == "delivery"]
    assert delivery.statutory_due.deadline == at("2026-09-07", 17)  # 3 WD after 09-02


def test_the_case_limit_stops_at_the_last_decision_and_the_delivery_period_is_its_own(
        any_store: Store) -> None:
    """Before, the case's statutory limit (art. 42) kept counting through art. 44's ten days
    to issue and serve the result, so a case decided in time turned late while it waited for
    the window."""
    text = CORRECTED.replace("%(clock)s\n", "time_limit: {statutory: 20 WD}\n")
    engine = Engine(any_store, clock=FixedClock(at("2026-09-01")))
    engine.deploy(parse(text).unwrap())
    case = engine.submit("corrected", {"name": "张三"}, {}, actor=applicant("a"))
    engine.accept(case.id, window("hall"))
    # day 19 of 20 (09-20, a Sunday, is a make-up working day); due 09-28
    engine.act(case.id, "review", "approve", officer("a"), now=at("2026-09-25"))
    decided = engine.history(case.id)[-1]
    assert "case stopped (decided)" in decided.data["clocks"]
    engine.deliver(case.id, window("hall"), now=at("2026-10-12"))  # after the case's due date
    status = {v.key: v.status.value for v in engine.clocks(case.id)}
    assert status["case"] == "met" and status["delivery"] == "met"
