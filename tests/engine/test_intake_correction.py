"""行政许可法 art. 32 at intake, on dates and on every store: the window's one notice of every
missing item (一次性告知) stops the five days after which the application counts as accepted;
the applicant's one answer resumes intake, where the window may only accept or refuse; an
unanswered notice ends the case with one termination; and each intake decision records what
its written certificate says (art. 32 last paragraph) — decision 0018.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import START, sample_form, sample_materials, shipped

from onething.cases.notices import REMEDY_TERMS
from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused, NotAuthorized
from onething.stores.base import Store
from onething.workdays import Duration, FixedClock

WORKFLOW = shipped("restaurant_opening.yaml")
LEAD = window(WORKFLOW.lead)
OWNER = applicant("owner")
ITEMS = {"premises_layout": "缺少经营场所平面图", "premises_address": "门牌号与产权证明不一致"}


def opened(store: Store | None = None) -> tuple[Engine, str]:
    engine = Engine(store, clock=FixedClock(START))
    engine.deploy(WORKFLOW)
    case = engine.submit(WORKFLOW.id, sample_form(WORKFLOW), sample_materials(WORKFLOW),
                         actor=OWNER)
    return engine, case.id


def workdays(engine: Engine, since: datetime, amount: str) -> datetime:
    """The deadline ``amount`` after ``since`` on the engine's calendar (the law's count)."""
    return engine.calendar.add(since, Duration.parse(amount)).deadline


def fired_names(engine: Engine, case_id: str, now: datetime) -> list[str]:
    return [f.timer.name for f in engine.tick(now) if f.case_id == case_id]


def test_a_notice_within_the_five_days_stops_deemed_acceptance(any_store: Store) -> None:
    engine, case_id = opened(any_store)
    notice_at = START + timedelta(days=1)
    engine.request_intake_correction(case_id, LEAD, ITEMS, now=notice_at)
    five_days = workdays(engine, START, "5 WD")
    answer_by = datetime.fromisoformat(engine.history(case_id)[-1].data["notice"]["answer_by"])
    assert five_days < answer_by
    assert fired_names(engine, case_id, five_days + timedelta(days=2)) == []
    case = engine.case(case_id)
    assert "intake:correction" in case.marking and case.accepted_at is None
    assert "deemed_acceptance" not in engine.possible(case_id)
    with pytest.raises(ActionRefused, match="not possible now"):
        engine.accept(case_id, LEAD)  # the applicant's turn: the window waits for the answer


def test_one_notice_only_and_after_the_answer_accept_or_refuse(any_store: Store) -> None:
    engine, case_id = opened(any_store)
    engine.request_intake_correction(case_id, LEAD, ITEMS)
    with pytest.raises(ActionRefused, match="issued already") as second:
        engine.request_intake_correction(case_id, LEAD, {"business_name": "另有问题"})
    assert "accept the case, or refuse it" in (second.value.hint or "")
    with pytest.raises(ActionRefused, match="brings what it named"):
        engine.supplement(case_id, OWNER, fields={"business_name": "别的店"})
    engine.supplement(case_id, OWNER, materials={"premises_layout": "ref:layout-v2"},
                      fields={"premises_address": "中山路1号"})
    case = engine.case(case_id)
    assert case.form["premises_address"] == "中山路1号"
    assert case.materials["premises_layout"]["ref"] == "ref:layout-v2"
    possible = engine.possible(case_id)
    assert {"accept", "refuse_intake"} <= set(possible)
    assert "request_intake_correction" not in possible
    with pytest.raises(ActionRefused, match="issued already"):
        engine.request_intake_correction(case_id, LEAD, {"business_name": "另有问题"})
    engine.accept(case_id, LEAD)
    assert "step:licence_check" in engine.case(case_id).marking
    assert [e.action for e in engine.history(case_id)].count("request_intake_correction") == 1


def test_after_the_answer_the_window_has_its_five_days_again(any_store: Store) -> None:
    engine, case_id = opened(any_store)
    engine.request_intake_correction(case_id, LEAD, ITEMS, now=START + timedelta(days=1))
    answered = workdays(engine, START, "10 WD")  # well past the first five days
    engine.supplement(case_id, OWNER, materials={"premises_layout": "ref:v2"}, now=answered)
    assert fired_names(engine, case_id, workdays(engine, answered, "4 WD")) == []
    fired = fired_names(engine, case_id, workdays(engine, answered, "5 WD"))
    assert fired[0] == "deemed_acceptance"
    event = next(e for e in engine.history(case_id) if e.action == "deemed_acceptance")
    assert event.data["accepted_as_of"] == answered.isoformat()  # from the answer's receipt
    receipt = event.data["receipt"]
    assert receipt["deemed"] is True and receipt["corrected_on"] == answered.isoformat()
    assert engine.case(case_id).clocks["case"]["started"] == answered.isoformat()


def test_an_unanswered_notice_ends_the_case_with_one_termination(any_store: Store) -> None:
    engine, case_id = opened(any_store)
    engine.request_intake_correction(case_id, LEAD, ITEMS)
    answer_by = datetime.fromisoformat(engine.history(case_id)[-1].data["notice"]["answer_by"])
    assert answer_by == workdays(engine, START, "15 WD")  # the declared default
    assert fired_names(engine, case_id, answer_by - timedelta(minutes=1)) == []
    assert fired_names(engine, case_id, answer_by) == ["intake_correction_expired"]
    history = engine.history(case_id)
    assert [e.action for e in history].count("delivered") == 1
    delivery = engine.delivery(case_id)
    assert delivery is not None and delivery.kind == "termination"
    assert "视为放弃申请" in delivery.notice["reason"]
    assert delivery.notice["remedies"]
    assert delivery.notice["intake_notice"]["items"] == ["premises_layout", "premises_address"]
    assert engine.case(case_id).ended
    with pytest.raises(Exception, match="ended by termination"):
        engine.supplement(case_id, OWNER, materials={"premises_layout": "ref:late"})


def test_the_answer_by_limit_is_declared_in_the_clock() -> None:
    text = WORKFLOW.text.replace("escalation:", "clock:\n  answer_intake_correction_within: "
                                 "3 WD\n  source: 本地一次性告知制度\nescalation:", 1)
    from onething.language.load import parse

    declared = parse(text).unwrap()
    assert str(declared.clock.answer_intake_correction_within) == "3 WD"
    engine = Engine(clock=FixedClock(START))
    engine.deploy(declared)
    case = engine.submit(declared.id, sample_form(declared), sample_materials(declared))
    engine.request_intake_correction(case.id, LEAD, ["premises_layout"])
    notice = engine.history(case.id)[-1].data["notice"]
    assert notice["answer_within"] == "3 WD"
    assert notice["answer_by"] == workdays(engine, START, "3 WD").isoformat()


def test_the_certificates_of_intake_are_recorded_as_data(any_store: Store) -> None:
    engine, notified = opened(any_store)
    engine.request_intake_correction(notified, LEAD, ITEMS, reason="联系人 13800138000")
    notice = engine.history(notified)[-1].data["notice"]
    assert notice["organ"] == WORKFLOW.lead and notice["received_on"] == START.isoformat()
    assert [(i["item"], i["kind"]) for i in notice["items"]] == [
        ("premises_layout", "material"), ("premises_address", "field")]
    assert notice["items"][0]["label"] == "经营场所布局图"
    assert "13800138000" not in str(notice)  # free text is masked
    _, accepted_id = engine, engine.submit(WORKFLOW.id, sample_form(WORKFLOW),
                                           sample_materials(WORKFLOW), actor=OWNER).id
    engine.accept(accepted_id, LEAD)
    receipt = engine.history(accepted_id)[-1].data["receipt"]
    due = {v.key: v for v in engine.clocks(accepted_id)}["case"]
    assert receipt["document"] == "受理通知书" and receipt["deemed"] is False
    assert receipt["received_on"] == receipt["accepted_on"] == START.isoformat()
    assert due.statutory_due is not None and due.committed_due is not None
    assert receipt["limits"] == {
        "committed": "10 WD", "committed_due": due.committed_due.deadline.isoformat(),
        "statutory": "45 WD", "statutory_due": due.statutory_due.deadline.isoformat()}
    refused = engine.submit(WORKFLOW.id, sample_form(WORKFLOW), sample_materials(WORKFLOW),
                            actor=OWNER).id
    engine.refuse_intake(refused, LEAD, "不属于本机关职权范围", refer_to="区烟草专卖局")
    receipt = engine.history(refused)[-2].data["receipt"]
    assert receipt["document"] == "不予受理决定书"
    assert receipt["reasons"] == "不属于本机关职权范围" and receipt["apply_to"] == "区烟草专卖局"
    assert receipt["remedies"] == REMEDY_TERMS == {
        "administrative_reconsideration": "60 days", "administrative_litigation": "6 months"}
    assert receipt["decided_on"] == START.isoformat()


def test_a_notice_must_come_within_the_windows_time_and_name_real_items() -> None:
    engine, case_id = opened()
    with pytest.raises(ActionRefused, match="lists every missing or deficient item"):
        engine.request_intake_correction(case_id, LEAD, {})
    with pytest.raises(ActionRefused, match="is not a field or material") as unknown:
        engine.request_intake_correction(case_id, LEAD, ["premises_plan"])
    assert "premises_layout" in (unknown.value.hint or "")
    late = workdays(engine, START, "5 WD")
    with pytest.raises(ActionRefused, match="counts as accepted from its receipt"):
        engine.request_intake_correction(case_id, LEAD, ITEMS, now=late)
    assert "intake" in engine.case(case_id).marking


def test_only_the_lead_window_issues_the_notice() -> None:
    engine, case_id = opened()
    for who in (officer(WORKFLOW.lead), window("tax"), officer("fire_rescue"), OWNER):
        with pytest.raises(NotAuthorized):
            engine.request_intake_correction(case_id, who, ITEMS)
    engine.request_intake_correction(case_id, LEAD, ITEMS)
    with pytest.raises(NotAuthorized):
        engine.supplement(case_id, applicant("someone-else"),
                          materials={"premises_layout": "ref:x"})


MOVES = st.lists(st.sampled_from(["notice", "answer", "accept", "refuse", "wait"]),
                 max_size=8)


@settings(max_examples=40, deadline=None)
@given(MOVES, st.lists(st.integers(0, 12), min_size=8, max_size=8))
def test_at_most_one_notice_and_no_deemed_acceptance_while_it_is_out(
        moves: list[str], days: list[int]) -> None:
    """Any sequence of intake actions and waits: one notice at most, and the art. 32 timer
    never deems the case accepted while the notice waits for its answer."""
    engine, case_id = opened()
    now = START
    for move, step in zip(moves, days, strict=False):
        now += timedelta(days=step)
        try:
            if move == "notice":
                engine.request_intake_correction(case_id, LEAD, ITEMS, now=now)
            elif move == "answer":
                engine.supplement(case_id, OWNER, materials={"premises_layout": "ref:v2"},
                                  now=now)
            elif move == "accept":
                engine.accept(case_id, LEAD, now=now)
            elif move == "refuse":
                engine.refuse_intake(case_id, LEAD, "材料不符", now=now)
            else:
                engine.tick(now)
        except ActionRefused:
            pass
    engine.tick(now + timedelta(days=60))
    history = engine.history(case_id)
    actions = [e.action for e in history]
    assert actions.count("request_intake_correction") <= 1
    assert actions.count("delivered") <= 1
    if "request_intake_correction" in actions:
        start = actions.index("request_intake_correction")
        end = actions.index("supplement_intake") if "supplement_intake" in actions \
            else len(actions)
        assert "deemed_acceptance" not in actions[start:end]


# -- review findings ------------------------------------------------------------------------


def at(day: str, hour: int = 10) -> datetime:
    from onething.workdays import SHANGHAI

    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def test_a_strict_window_accepts_and_notifies_when_the_limits_reach_a_projected_year(
        tmp_path) -> None:
    """Regression (review): the certificates' dates were computed on the strict calendar, so a
    strict window could not accept a restaurant from late October (its 45 WD reach 2027), nor
    send a notice in December, while the deemed-acceptance timer accepted anyway."""
    from onething.stores.sqlite import SqliteStore
    from onething.workdays import WorkCalendar

    clock = FixedClock(at("2026-11-02"))
    engine = Engine(SqliteStore(tmp_path / "c.sqlite3"), clock=clock,
                    calendar=WorkCalendar(strict=True))
    engine.deploy(WORKFLOW)
    case = engine.submit(WORKFLOW.id, sample_form(WORKFLOW), sample_materials(WORKFLOW),
                         actor=OWNER)
    engine.accept(case.id, LEAD)
    receipt = engine.history(case.id)[-1].data["receipt"]
    assert receipt["limits"]["statutory_due"].startswith("2027-")
    assert receipt["limits"]["provisional"] and receipt["limits"]["reasons"]
    clock.set(at("2026-12-21"))
    late = engine.submit(WORKFLOW.id, sample_form(WORKFLOW), sample_materials(WORKFLOW),
                         actor=OWNER)
    engine.request_intake_correction(late.id, LEAD, ITEMS)
    notice = engine.history(late.id)[-1].data["notice"]
    assert notice["answer_by"].startswith("2027-") and notice["provisional"]


def test_the_answer_decides_the_green_channel_again() -> None:
    """Regression (review): priority was decided on the submitted form only; an answer that
    corrected the investment kept (or never gave) the green channel."""
    green = shipped("major_project_green_channel.yaml")
    engine = Engine(clock=FixedClock(START))
    engine.deploy(green)
    form = {**sample_form(green), "investment": "5000", "key_project": True}
    case = engine.submit(green.id, form, sample_materials(green), actor=OWNER)
    assert engine.case(case.id).priority
    lead = window(green.lead)
    engine.request_intake_correction(case.id, lead, {"investment": "与可研批复不符"})
    engine.supplement(case.id, OWNER, fields={"investment": "100"})
    assert not engine.case(case.id).priority
    assert engine.history(case.id)[-1].data["green_channel"] is False


def test_the_window_may_refuse_while_its_notice_is_out(any_store: Store) -> None:
    """Regression (review): art. 32 (一)(二) — the matter needs no permit, or is not this
    organ's — is refused at once, with where to apply; the notice did not allow it."""
    engine, case_id = opened(any_store)
    engine.request_intake_correction(case_id, LEAD, ITEMS)
    engine.refuse_intake(case_id, LEAD, "不属于本机关职权范围", refer_to="区烟草专卖局")
    delivery = engine.delivery(case_id)
    assert delivery is not None and delivery.kind == "refusal"
    receipt = next(e for e in engine.history(case_id) if e.action == "refuse_intake")
    assert receipt.data["receipt"]["apply_to"] == "区烟草专卖局"


def test_a_notice_names_each_item_once_and_its_refusals_stay_short() -> None:
    engine, case_id = opened()
    from onething.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="twice"):
        engine.request_intake_correction(case_id, LEAD, ["premises_layout", "premises_layout"])
    with pytest.raises(ActionRefused) as caught:
        engine.request_intake_correction(case_id, LEAD, [f"item_{n}" for n in range(100_000)])
    assert len(str(caught.value)) < 2_000
    refused = engine.history(case_id)[-1]
    assert refused.action == "refused_attempt" and len(str(refused.data)) < 2_000


def test_only_a_case_that_ends_at_intake_carries_the_notice_in_its_delivery() -> None:
    engine, case_id = opened()
    engine.request_intake_correction(case_id, LEAD, ITEMS)
    engine.supplement(case_id, OWNER, fields={"premises_address": "湘乡市一号"},
                      materials={"premises_layout": "doc://layout"})
    engine.accept(case_id, LEAD)
    engine.withdraw(case_id, OWNER, "不开了")
    notice = engine.delivery(case_id).notice
    assert "intake_notice" not in notice
