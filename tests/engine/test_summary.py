"""A clerk's status and a case summary (issue 16 item 5): ``Engine.summary`` shows where a case
stands with Chinese names — promised materials, the pending correction, commitments, every
clock, the assigned officer — each date where the law puts it (computed here on the calendar,
not by the summary's code), and the actions possible now, once each, without the engine's
timers, with who may take them: checked by attempting each action as every kind of actor
(those listed succeed, every other gets NotAuthorized). No form value appears in it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from tests.support.factories import START, WORKFLOWS, sample_form, sample_materials
from tests.support.restaurant import (
    FORM,
    HELPER,
    NOW,
    OWNER,
    REASON,
    RESTAURANT,
    T1,
    T2,
    added,
    restaurant,
)

from onething.cases.records import Actor, Case, agent, applicant, officer, supervisor, window
from onething.cases.summary import CaseSummary, PossibleAction, Taker
from onething.engine.engine import Engine
from onething.errors import ActionRefused, NotAuthorized
from onething.language.load import load, parse
from onething.language.model import Workflow
from onething.privacy.masking import mask_text
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

TIMER_ACTIONS = {"deemed_acceptance", "correction_expired", "promise_expired",
                 "intake_correction_expired", "deemed_approval"}


def test_every_date_stands_where_the_law_puts_it(any_store: Store) -> None:
    engine, _, case_id = restaurant(any_store)
    summary = engine.summary(case_id)
    assert (summary.status, summary.status_title) == ("in_progress", "办理中")
    assert (summary.title, summary.lead_title) == (RESTAURANT.title, "市场监管局")
    assert summary.accepted_at == T1 and summary.version == RESTAURANT.version
    [promise] = summary.promised
    assert (promise.material, promise.title, promise.within) == (
        "fire_safety_commitment", "消防安全承诺书（容缺后补）", "3 WD")
    assert promise.due == added(engine, T1, "3 WD")  # counted from acceptance
    [correction] = summary.corrections
    assert (correction.step, correction.title, correction.department_title) == (
        "fire_safety_check", "公众聚集场所投入使用、营业前消防安全检查", "消防救援大队")
    assert correction.text == mask_text(REASON) and "13912345678" not in correction.text
    assert correction.asked_at == T2 and correction.notice_out
    assert correction.answer_by == added(engine, T2, "15 WD")  # answer_correction_within
    [commitment] = summary.commitments
    assert (commitment.step, commitment.department_title, commitment.state,
            commitment.state_title) == ("food_business_permit", "市场监管局", "pending", "待核查")
    assert commitment.verify_by == added(engine, T1, "20 WD")  # verify_within from approval
    clocks = {c.clock: c for c in summary.clocks}
    assert set(clocks) == {"case", "licence_check", "food_business_permit",
                           "fire_safety_check", "outdoor_signboard"}
    sign = clocks["outdoor_signboard"]
    assert (sign.title, sign.state, sign.extension) == ("户外招牌设施设置", "running", "3 WD")
    assert sign.committed_due == added(engine, T1, "6 WD")  # 3 WD and the extension's 3
    fire = clocks["fire_safety_check"]
    assert (fire.state, fire.state_title, fire.paused_reason) == ("paused", "暂停计时", "补正期间")
    paused = ((T2.date(), NOW.date()),)  # the pause runs to today: the dates move with it
    assert fire.committed_due == added(engine, T1, "5 WD", paused)
    assert fire.statutory_due == added(engine, T1, "10 WD", paused)
    assert fire.status == "normal"
    case_clock = clocks["case"]
    assert (case_clock.title, case_clock.state, case_clock.status) == (
        "整体办理时限", "running", "normal")
    assert case_clock.committed_due == added(engine, T1, "10 WD")
    assert case_clock.statutory_due == added(engine, T1, "45 WD")
    for done in ("licence_check", "food_business_permit"):
        assert (clocks[done].state, clocks[done].status) == ("stopped", "met")
    assert [(w.step, w.position, [d.title for d in w.departments]) for w in summary.waiting] == [
        ("fire_safety_check", "correction", ["消防救援大队"]),
        ("outdoor_signboard", "deciding", ["城管局"])]
    assert [(d.step, d.outcome, d.outcome_title, d.department_title) for d in summary.decided] \
        == [("licence_check", "approve", "通过", "市场监管局"),
            ("food_business_permit", "approve", "通过", "市场监管局")]
    late = engine.summary(case_id, now=dt.datetime(2026, 12, 1, 9, tzinfo=SHANGHAI))
    overdue = {c.clock: c for c in late.clocks}["outdoor_signboard"]
    assert (overdue.status, overdue.status_title) == ("overdue", "已超期")
    assert ("extend", None) in {(a.action, a.step) for a in late.actions}
    assert ("extend", "fire_safety_check") in {(a.action, a.step) for a in late.actions}


def test_the_summary_is_the_same_from_a_second_connection(any_store: Store) -> None:
    """What a summary shows is read from the store: a second engine on the same database
    (another process) sees the same summary."""
    engine, clock, case_id = restaurant(any_store)
    other = Engine(any_store, clock=clock)
    assert other.summary(case_id) == engine.summary(case_id)


# -- the actions possible now, and who may take them ---------------------------------------------


class Undo(Exception):
    """Raised inside a batch to undo what an allowed attempt did."""


def attempt(engine: Engine, case_id: str, action: PossibleAction, actor: Actor) -> None:
    """Take ``action`` as ``actor`` through the engine's public calls."""
    name, step = action.action, action.step
    case = engine.case(case_id)
    if name == "accept":
        engine.accept(case_id, actor)
    elif name == "refuse_intake":
        engine.refuse_intake(case_id, actor, "不属于本机关职权范围")
    elif name == "request_intake_correction":
        engine.request_intake_correction(case_id, actor, {"premises_layout": "缺少平面图"})
    elif name == "supplement_intake":
        named = [i["item"] for i in case.intake["items"]]
        engine.supplement(case_id, actor, materials={n: f"ref:{n}-2" for n in named})
    elif name == "supplement_material":
        engine.supplement(case_id, actor, materials={m: f"ref:{m}" for m in case.promised})
    elif name == "supplement":
        engine.supplement(case_id, actor, step=step)
    elif name == "withdraw":
        engine.withdraw(case_id, actor, "不再开办")
    elif name == "deliver":
        engine.deliver(case_id, actor)
    elif name == "start_special_procedure":
        assert step is not None
        engine.start_special_procedure(case_id, step, actor, kind="inspection",
                                       expected="5 WD", reason="现场检验")
    elif name == "send_back":
        assert step is not None
        engine.send_back(case_id, step, actor, to=action.to[0], reason="需重新审查")
    elif name == "verify_commitment":
        assert step is not None
        engine.verify_commitment(case_id, step, True, actor)
    elif name == "extend":
        engine.extend(case_id, step, "1 WD", actor, "需要补充核查")
    elif name == "record_milestone":
        assert step is not None
        marks = case.clocks[step]["milestones"]
        engine.record_milestone(case_id, step, next(m for m, at in marks.items() if at is None),
                                actor)
    elif name == "evaluate":
        engine.evaluate(case_id, 5, actor)
    else:  # a department's decision: approve, refuse, request_correction, an outcome
        assert step is not None
        engine.act(case_id, step, name, actor, "审查意见")


def actor_of(taker: Taker) -> Actor:
    """An actor of the kind ``taker`` names (the officer who claimed the step, if one did)."""
    if taker.role == "applicant":
        return OWNER
    if taker.role == "agent":
        return HELPER
    assert taker.department is not None
    return Actor(taker.role, taker.officer or "staff-1", taker.department)


def everyone(workflow: Workflow) -> list[Actor]:
    """Every kind of actor around a case of ``workflow``: its applicant and authorized agent,
    a stranger and an unauthorized agent, and each staff role of every department."""
    staff = [Actor(role, "staff-1", department) for department in workflow.all_departments
             for role in ("window", "department", "supervisor", "government_head")]
    return [OWNER, HELPER, applicant("11010519491231002X"), agent("someone-else"), *staff]


def allowed(action: PossibleAction, actor: Actor) -> bool:
    return any(actor_of(taker).role is actor.role and (
        taker.department is None or taker.department == actor.department)
        for taker in action.who)


def voted(case: Case, action: PossibleAction) -> set[str]:
    """The departments that signed the step's current round (an approval or refusal is
    theirs once a round: the engine refuses a second, and the summary does not offer it)."""
    record = case.outcomes.get(action.step or "") or {}
    if action.action not in ("approve", "refuse") or record.get("outcome") != "signing":
        return set()
    return {s["signer"] for s in record.get("sign_offs", ())}


def check_who_may(engine: Engine, case_id: str, workflow: Workflow) -> int:
    """Attempt every action listed now as every kind of actor: each one listed succeeds (in a
    batch then undone), every other is refused as not authorized (a department that signed
    the round already: as having signed). Returns how many actions were listed."""
    summary = engine.summary(case_id)
    for action in summary.actions:
        assert action.who, action
        for taker in action.who:
            with pytest.raises(Undo), engine.batch():
                attempt(engine, case_id, action, actor_of(taker))
                raise Undo
            now = engine.summary(case_id)  # undone: nothing changed (but the version, which
            # the refused attempts of the loop below moved: each is a line of the history)
            assert attrs.evolve(now, case_version=summary.case_version) == summary
        for actor in everyone(workflow):
            if allowed(action, actor):
                continue
            if actor.role == "department" and \
                    actor.department in voted(engine.case(case_id), action):
                with pytest.raises(ActionRefused, match="already signed"):  # once a round
                    attempt(engine, case_id, action, actor)
                continue
            with pytest.raises(NotAuthorized):
                attempt(engine, case_id, action, actor)
    return len(summary.actions)


def test_each_action_is_listed_once_without_timers_with_who_may_take_it(
        any_store: Store) -> None:
    engine, _, case_id = restaurant(any_store)
    summary = engine.summary(case_id)
    keys = [(a.action, a.step) for a in summary.actions]
    assert len(keys) == len(set(keys))  # one entry per action and step
    assert not TIMER_ACTIONS & {a.action for a in summary.actions}
    assert set(keys) == {
        ("withdraw", None), ("supplement_material", None),
        ("supplement", "fire_safety_check"),
        ("approve", "outdoor_signboard"), ("refuse", "outdoor_signboard"),
        ("request_correction", "outdoor_signboard"),
        ("start_special_procedure", "outdoor_signboard"),
        ("verify_commitment", "food_business_permit"),
        ("extend", None), ("extend", "fire_safety_check")}  # the signboard's was extended
    by = {(a.action, a.step): a for a in summary.actions}
    assert [(t.role, t.title) for t in by[("withdraw", None)].who] == [
        ("applicant", "申请人"), ("agent", "申请人授权的代理人")]
    assert [(t.role, t.department_title) for t in by[("extend", None)].who] == [
        ("government_head", "本级人民政府")]  # joint handling: art. 42(2)
    assert [(t.role, t.department_title) for t in by[("approve", "outdoor_signboard")].who] \
        == [("department", "城管局")]
    assert by[("approve", "outdoor_signboard")].title == "审批通过"
    assert by[("approve", "outdoor_signboard")].step_title == "户外招牌设施设置"
    labels = {f"{a} {s}" if s else a for a, s in keys}
    possible = set(engine.possible(case_id))
    timers = {label for label in possible if label.split()[0] in TIMER_ACTIONS}
    assert timers == {"promise_expired", "correction_expired fire_safety_check"}
    # the net's own list, less its timers and the revocation (listed as verify_commitment)
    assert labels - {"verify_commitment food_business_permit", "extend",
                     "extend fire_safety_check"} == possible - timers - {
        "revoke_commitment food_business_permit"}
    assert check_who_may(engine, case_id, RESTAURANT) == len(keys)


def test_the_summary_holds_no_form_value_and_no_personal_number(any_store: Store) -> None:
    engine, _, case_id = restaurant(any_store)
    text = json.dumps(engine.summary(case_id).to_json(), ensure_ascii=False)
    assert mask_text(text) == text  # no identity or phone number, not even in a reason
    for name, value in FORM.items():
        if isinstance(value, str) and len(value) > 3:
            assert value not in text, name
    assert "ref:" not in text  # nor a material's reference


# -- intake ------------------------------------------------------------------------------------


def test_the_notice_at_intake_with_its_items_and_answer_by_date() -> None:
    clock = FixedClock(START)
    engine = Engine(clock=clock)
    engine.deploy(RESTAURANT)
    case_id = engine.submit(RESTAURANT.id, FORM, sample_materials(RESTAURANT),
                            actor=OWNER).id
    fresh = engine.summary(case_id)
    assert (fresh.status, fresh.waiting, fresh.clocks) == ("submitted", (), ())
    assert {a.action for a in fresh.actions} == {"accept", "refuse_intake",
                                                 "request_intake_correction", "withdraw"}
    notice_at = START + dt.timedelta(hours=3)
    clock.set(notice_at)
    engine.request_intake_correction(case_id, window("market_regulation", "li"),
                                     {"premises_layout": "缺少经营场所平面图"},
                                     reason="请一次补齐")
    summary = engine.summary(case_id)
    assert (summary.status, summary.status_title) == ("under_intake", "受理审查中（一次性告知）")
    [notice] = summary.corrections
    assert (notice.step, notice.title, notice.department_title, notice.text) == (
        None, "一次性告知补正", "市场监管局", "请一次补齐")
    assert [(i.item, i.title, i.reason) for i in notice.items] == [
        ("premises_layout", "经营场所布局图", "缺少经营场所平面图")]
    assert notice.asked_at == notice_at
    assert notice.answer_by == added(engine, notice_at, "15 WD")
    assert {a.action for a in summary.actions} == {"supplement_intake", "withdraw",
                                                   "refuse_intake"}  # not accept: it waits
    assert check_who_may(engine, case_id, RESTAURANT) == 3


def test_after_the_window_s_time_a_refusal_at_intake_is_not_offered() -> None:
    """行政许可法 art. 32: five working days without an answer and the application counts as
    accepted; the net still has the refusal, the law does not (the engine refuses it)."""
    clock = FixedClock(START)
    engine = Engine(clock=clock)
    engine.deploy(RESTAURANT)
    case_id = engine.submit(RESTAURANT.id, FORM, sample_materials(RESTAURANT),
                            actor=OWNER).id
    clock.set(added(engine, START, "5 WD") + dt.timedelta(hours=1))
    assert "refuse_intake" in engine.possible(case_id)
    actions = {a.action for a in engine.summary(case_id).actions}
    assert actions == {"accept", "withdraw"}
    with pytest.raises(ActionRefused, match="has passed"):
        engine.refuse_intake(case_id, window("market_regulation"), "材料不全")


def test_an_applicant_who_may_not_commit_is_not_offered_approval_on_commitment() -> None:
    clock = FixedClock(START)
    engine = Engine(clock=clock)
    engine.deploy(RESTAURANT)
    case_id = engine.submit(RESTAURANT.id, FORM | {"false_commitment_record": True},
                            sample_materials(RESTAURANT), actor=OWNER).id
    engine.accept(case_id, window("market_regulation"))
    engine.act(case_id, "licence_check", "approve", officer("market_regulation"))
    keys = {(a.action, a.step) for a in engine.summary(case_id).actions}
    assert ("approve", "food_business_permit") in keys
    assert ("approve_on_commitment", "food_business_permit") not in keys
    assert "approve_on_commitment food_business_permit" not in engine.possible(case_id)
    with pytest.raises(ActionRefused, match="may not commit"):
        engine.act(case_id, "food_business_permit", "approve_on_commitment",
                   officer("market_regulation"))


# -- rounds, blocks that ask together, the claiming officer ------------------------------------

SIGNED = """\
onething: 1
id: joint-inspection
version: 1
title: 联合踏勘一件事
lead: hall
departments: {hall: 政务服务中心, market: 市场监管局, fire: 消防救援大队, planning: 自然资源局}
form:
  fields:
    site: {type: string, required: true}
    drawings: {type: string, required: true}
steps:
  - id: inspection
    title: 联合踏勘
    department: market
    reads: [site]
    sign_off: {by: [market, fire, planning], need: 3}
  - parallel:
      - {id: structure, title: 结构审查, department: planning, reads: [drawings]}
      - {id: fire_review, title: 消防审查, department: fire, reads: [drawings]}
    corrections: together
  - {id: licence, title: 核发许可, department: hall, produces: [licence]}
delivery:
  bundle: [licence]
  methods: [window]
"""


def test_a_round_shows_its_votes_and_only_those_yet_to_sign_may_approve(
        any_store: Store) -> None:
    workflow = parse(SIGNED).unwrap()
    engine = Engine(any_store, clock=FixedClock(START))
    engine.deploy(workflow)
    case_id = engine.submit(workflow.id, {"site": "东山街道", "drawings": "doc://d1"}, {},
                            actor=OWNER).id
    engine.accept(case_id, window("hall"))
    engine.act(case_id, "inspection", "approve", officer("market", "wang"))
    summary = engine.summary(case_id)
    [step] = summary.waiting
    assert [(d.department, d.title, d.vote) for d in step.departments] == [
        ("market", "市场监管局", "approve"), ("fire", "消防救援大队", None),
        ("planning", "自然资源局", None)]
    assert step.round is not None and (step.round.kind_title, step.round.approvals,
                                       step.round.need, step.round.open) == (
        "联合签署", 1, 3, ("fire", "planning"))
    by = {(a.action, a.step): a for a in summary.actions}
    assert [t.department for t in by[("approve", "inspection")].who] == ["fire", "planning"]
    assert [t.department for t in by[("request_correction", "inspection")].who] == [
        "market", "fire", "planning"]
    check_who_may(engine, case_id, workflow)


def test_a_block_that_asks_together_holds_its_notice_until_every_step_has_spoken() -> None:
    workflow = parse(SIGNED).unwrap()
    engine = Engine(clock=FixedClock(START))
    engine.deploy(workflow)
    case_id = engine.submit(workflow.id, {"site": "东山街道", "drawings": "doc://d1"}, {},
                            actor=OWNER).id
    engine.accept(case_id, window("hall"))
    for department in ("market", "fire", "planning"):
        engine.act(case_id, "inspection", "approve", officer(department))
    engine.act(case_id, "fire_review", "request_correction", officer("fire"), "疏散宽度不足")
    [held] = engine.summary(case_id).corrections
    assert (held.step, held.text, held.notice_out, held.answer_by) == (
        "fire_review", "疏散宽度不足", False, None)
    assert ("supplement", "fire_review") not in {
        (a.action, a.step) for a in engine.summary(case_id).actions}
    sent = START + dt.timedelta(days=1)
    engine.act(case_id, "structure", "approve", officer("planning"), now=sent)
    [out] = engine.summary(case_id, now=sent).corrections
    assert out.notice_out and out.answer_by == added(engine, sent, "15 WD")


def test_the_officer_who_claimed_a_step_is_shown_with_the_step_and_its_actions() -> None:
    engine, _, case_id = restaurant()
    engine.claim(case_id, "outdoor_signboard", officer("urban_management", "sun"))
    summary = engine.summary(case_id)
    signboard = next(w for w in summary.waiting if w.step == "outdoor_signboard")
    assert [(d.title, d.officer) for d in signboard.departments] == [("城管局", "sun")]
    approve = next(a for a in summary.actions if (a.action, a.step) == (
        "approve", "outdoor_signboard"))
    assert [(t.role, t.department_title, t.officer) for t in approve.who] == [
        ("department", "城管局", "sun"), ("supervisor", "城管局", None)]
    with pytest.raises(NotAuthorized):  # held by sun: another officer may not decide it
        engine.act(case_id, "outdoor_signboard", "approve", officer("urban_management", "li"))
    with engine.batch():  # each listed taker may: the supervisor in the holder's place...
        engine.act(case_id, "outdoor_signboard", "approve", supervisor("urban_management"))
    assert "outdoor_signboard" not in engine.waiting_on(case_id)


# -- after the delivery --------------------------------------------------------------------------


def test_a_delivered_case_offers_its_verification_and_its_rating(any_store: Store) -> None:
    engine, _, case_id = restaurant(any_store)
    engine.supplement(case_id, OWNER, materials={"fire_safety_commitment": "ref:letter"})
    engine.supplement(case_id, OWNER, step="fire_safety_check")
    engine.act(case_id, "fire_safety_check", "approve", officer("fire_rescue"))
    engine.act(case_id, "outdoor_signboard", "approve", officer("urban_management"))
    engine.deliver(case_id, window("market_regulation"), "mail")
    summary = engine.summary(case_id)
    assert (summary.status, summary.status_title) == ("ended", "已办结")
    assert summary.delivery is not None
    assert (summary.delivery.kind, summary.delivery.title, summary.delivery.method_title) == (
        "result", "办结出件", "邮政寄递")
    assert (summary.waiting, summary.promised, summary.corrections) == ((), (), ())
    assert {c.state for c in summary.clocks} == {"stopped"}
    assert [(a.action, a.step) for a in summary.actions] == [
        ("verify_commitment", "food_business_permit"), ("evaluate", None)]
    check_who_may(engine, case_id, RESTAURANT)


# -- every shipped workflow, in Chinese ----------------------------------------------------------


def walk(engine: Engine, case_id: str) -> Iterator[CaseSummary]:
    """The case's summaries from submission to delivery, taking the first of accept, a
    promised material, approve, a milestone and deliver each time, as the first who may."""
    for _ in range(80):
        summary = engine.summary(case_id)
        yield summary
        if summary.delivery is not None:
            return
        for wanted in ("accept", "supplement_material", "record_milestone", "approve",
                       "deliver"):
            action = next((a for a in summary.actions if a.action == wanted), None)
            if action is not None:
                attempt(engine, case_id, action, actor_of(action.who[0]))
                break
        else:
            raise AssertionError(f"stuck: {[(a.action, a.step) for a in summary.actions]}")
    raise AssertionError("no delivery after 80 actions")


def _chinese(text: str | None) -> bool:
    return text is not None and any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_step_department_and_material_of_a_shipped_workflow_reads_in_chinese(
        path: Any) -> None:
    workflow = load(path)
    engine = Engine(clock=FixedClock(START))
    engine.deploy(workflow)
    form = sample_form(workflow)
    if workflow.green_channel is not None:
        form |= {"investment": "5000", "key_project": True}  # milestones to record
    case_id = engine.submit(workflow.id, form, sample_materials(workflow, promise=True),
                            actor=OWNER).id
    seen = set()
    for summary in walk(engine, case_id):
        names = [summary.lead_title, summary.status_title,
                 *(t for w in summary.waiting
                   for t in (w.title, w.position_title, *(d.title for d in w.departments))),
                 *(p.title for p in summary.promised),
                 *(t for d in summary.decided for t in (d.title, d.outcome_title,
                                                        d.department_title)),
                 *(c.title for c in summary.clocks),
                 *(t for a in summary.actions
                   for t in (a.title, a.step_title or "步骤", *(w.title for w in a.who),
                             *(w.department_title or "部门" for w in a.who)))]
        assert [n for n in names if not _chinese(n)] == []
        seen |= {w.step for w in summary.waiting}
    assert summary.delivery is not None and _chinese(summary.delivery.title)
    assert seen  # the walk went through the steps
