"""Adversarial review of issue 16 items 5 (the clerk's case summary) and 6 (message catalogs) as
merged on main: each test shows a defect and fails on main as reviewed (140a5a7). See the
review report for the analysis of each."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support.factories import ROOT, START, sample_form, sample_materials, shipped
from tests.support.restaurant import FORM, OWNER, RESTAURANT, restaurant

from onething.cases.records import SYSTEM, officer, supervisor, window
from onething.cli import cli
from onething.engine.engine import Engine
from onething.errors import ActionRefused, NotAuthorized
from onething.language.load import parse
from onething.workdays import SHANGHAI, FixedClock

GREEN = shipped("major_project_green_channel.yaml")
STARTUP = shipped("enterprise_startup.yaml")
ID = "430381199001011234"
#: a run of 15 or more digits: an identity number, or all of it but its check character
DIGITS = re.compile(r"\d{15,}")


# -- 1. a held step's milestone: the summary names any officer, and not the supervisor ---------


def test_a_held_step_s_milestone_is_offered_to_its_holder_and_a_supervisor() -> None:
    """While an officer holds a green-channel step, only they or a supervisor record its
    milestones (rules.authorize_step_department with the case); the summary still offers
    record_milestone to every officer of the department and never to the supervisor."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(GREEN)
    form = sample_form(GREEN) | {"investment": "5000", "key_project": True}
    case_id = engine.submit(GREEN.id, form, sample_materials(GREEN), actor=OWNER).id
    engine.accept(case_id, window("administrative_approval"))
    engine.claim(case_id, "eligibility", officer("administrative_approval", "sun"))
    with pytest.raises(NotAuthorized):  # another officer of the department is refused
        engine.record_milestone(case_id, "eligibility", "arrange",
                                officer("administrative_approval", "li"))
    [milestone] = [a for a in engine.summary(case_id).actions
                   if (a.action, a.step) == ("record_milestone", "eligibility")]
    assert [(t.role, t.officer) for t in milestone.who] == [
        ("department", "sun"), ("supervisor", None)]  # as for approve on the same step


# -- 2. promised materials: each shown due on its own limit, the case ends at the shortest --------

TWO_PROMISES = """\
onething: 1
id: two-promises
version: 1
title: 两项容缺
lead: hall
departments: {hall: 政务服务中心}
form:
  fields:
    name: {type: string, required: true, label: 名称}
  materials:
    plan: {label: 平面图, deferrable: 3 WD}
    lease: {label: 租赁合同, deferrable: 10 WD}
steps:
  - {id: review, title: 审查, department: hall, reads: [name, plan, lease], produces: [licence]}
delivery:
  bundle: [licence]
  methods: [window]
"""


def test_no_promised_material_is_shown_due_after_the_case_ends_for_it() -> None:
    """Promised materials come together (supplement_material refuses fewer than all of them)
    and the one promise_expired timer fires at the *shortest* promise, ending the case by
    termination. The summary shows the lease due 10 WD after acceptance: on that date the
    case has been terminated for a week, for the lease it said was not yet due."""
    workflow = parse(TWO_PROMISES).unwrap()
    clock = FixedClock(dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI))
    engine = Engine(clock=clock)
    engine.deploy(workflow)
    case_id = engine.submit(workflow.id, {"name": "小店"}, {}, actor=OWNER).id
    engine.accept(case_id, window("hall"))
    due = {p.material: p.due for p in engine.summary(case_id).promised}
    with pytest.raises(ActionRefused):  # the plan alone is not taken: all come together
        engine.supplement(case_id, OWNER, materials={"plan": "ref:plan"})
    assert due["lease"] is not None and due["plan"] is not None
    clock.set(due["plan"] + dt.timedelta(minutes=1))
    engine.tick()
    delivery = engine.delivery(case_id)
    assert delivery is not None and delivery.kind == "termination"  # the lease never came
    assert due["lease"] <= delivery.at, (
        f"the summary said the lease was due {due['lease']:%Y-%m-%d}; the case was "
        f"terminated for it on {delivery.at:%Y-%m-%d}")


# -- 3. an erased case offers a rating nobody may give -----------------------------------------


def test_an_erased_case_offers_no_rating_that_everyone_is_refused() -> None:
    """Erasure forgets the applicant and their agents (PIPL art. 47), so nobody passes
    authorize_rating any more; the summary still lists evaluate for 申请人."""
    engine, clock, case_id = restaurant()
    engine.supplement(case_id, OWNER, materials={"fire_safety_commitment": "ref:letter"})
    engine.supplement(case_id, OWNER, step="fire_safety_check")
    engine.act(case_id, "fire_safety_check", "approve", officer("fire_rescue"))
    engine.act(case_id, "outdoor_signboard", "approve", officer("urban_management"))
    engine.deliver(case_id, window("market_regulation"), "mail")
    clock.set(clock.now() + dt.timedelta(days=366 * 11))
    engine.erase(case_id, SYSTEM)
    with pytest.raises(NotAuthorized):
        engine.evaluate(case_id, 5, OWNER)  # the applicant is not recognised any more
    assert "evaluate" not in {a.action for a in engine.summary(case_id).actions}


# -- 4. a parameter cut before it is masked keeps 17 digits of an identity number -------------


def test_an_answer_s_unknown_name_never_shows_most_of_an_id_number() -> None:
    """intake.answer cuts each name to 40 characters (str(n)[:40]) and only then is it masked
    (Message._param, the error's message): an identity number the cut leaves 17 digits of is
    not recognised, and those 17 digits (the 18th is their check character) reach params, both
    texts and str(). The applicant's own answer to the notice at intake is enough."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(RESTAURANT)
    case_id = engine.submit(RESTAURANT.id, FORM, sample_materials(RESTAURANT), actor=OWNER).id
    engine.request_intake_correction(case_id, window("market_regulation"),
                                     {"premises_layout": "缺少平面图"})
    name = "请核对申请人的身份证号码是否正确，申请人号码为"[:23] + ID
    with pytest.raises(ActionRefused) as refused:
        engine.supplement(case_id, OWNER, fields={name: "x"})
    shown = json.dumps({"str": str(refused.value), **refused.value.ui.to_json()},
                       ensure_ascii=False)
    assert DIGITS.findall(shown) == []


def test_a_special_procedure_s_unreadable_duration_never_shows_most_of_an_id_number() -> None:
    """The same cut, in a parameter item 6 added: ``given`` (str(expected)[:40])."""
    engine, _, case_id = restaurant()
    with pytest.raises(ActionRefused) as refused:
        engine.start_special_procedure(case_id, "outdoor_signboard",
                                       officer("urban_management"), kind="hearing",
                                       expected="x" * 23 + ID, reason="听证")
    assert refused.value.code == "refused.step.special_procedure_unreadable"
    shown = json.dumps(refused.value.ui.to_json(), ensure_ascii=False)
    assert DIGITS.findall(shown) == []


def test_a_long_parameter_is_masked_before_it_is_cut() -> None:
    """Message._param cuts a parameter at PARAM_MAX (500) characters and masks what is left:
    an identity number across the cut keeps 17 digits."""
    from onething.messages import Message

    # "x", not "a": a run of hexadecimal letters and digits reads as a hash by design
    # (privacy.masking rule 7), whatever its length
    message = Message("submission.field.unknown", "name", {"names": "x" * 483 + ID})
    assert DIGITS.findall(json.dumps(message.to_json(), ensure_ascii=False)) == []


# -- 5. a refusal the catalogs cannot render becomes a traceback on the command line ----------


def test_a_refusal_prints_one_line_when_the_catalogs_cannot_be_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Babel is imported, and the catalog read, only when a message is first rendered — inside
    cli.common.fail(), itself inside the command group's error handler. Without Babel (or with
    a catalog that does not read) every refusal escapes as a traceback with exit 1 instead of
    its one line and exit 2 (docs/cli.md)."""
    db = tmp_path / "cases.sqlite3"
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", str(ROOT / "workflows" / "enterprise_startup.yaml"),
                               "--db", str(db)]).exit_code == 0
    form = json.dumps(sample_form(STARTUP), ensure_ascii=False)
    (tmp_path / "m.json").write_text(json.dumps(sample_materials(STARTUP)), "utf-8")
    made = runner.invoke(cli, ["submit", STARTUP.id, "--form", "-", "--materials",
                               str(tmp_path / "m.json"), "--format", "json", "--db", str(db)],
                         input=form)
    case_id = json.loads(made.stdout)["case"]

    def unreadable(lang: str) -> None:
        raise ModuleNotFoundError("No module named 'babel'")

    from onething.messages import catalog

    monkeypatch.setattr(catalog, "_catalog", unreadable)
    result = runner.invoke(cli, ["act", case_id, "approve", "registration", "--as",
                                 "department:li@tax", "--db", str(db)])
    assert not isinstance(result.exception, ModuleNotFoundError), "a traceback"
    assert result.exit_code == 2
    assert "refused.step.not_department" in result.stderr


# -- 6. Chinese refusals an applicant reads: material ids, and the engine's timers as "possible" --

TIMERS = ("promise_expired", "correction_expired", "deemed_acceptance",
          "intake_correction_expired", "deemed_approval")


def test_a_chinese_refusal_names_a_promised_material_by_its_label() -> None:
    """docs/messages.md: Chinese texts name a field or material by its label on the form. The
    applicant bringing the wrong promised material reads
    '承诺补交的材料尚未交齐，仍缺：fire_safety_commitment' — the id, not 消防安全承诺书."""
    engine, _, case_id = restaurant()
    with pytest.raises(ActionRefused) as refused:
        engine.supplement(case_id, OWNER, materials={"premises_layout": "ref:x"})
    assert refused.value.code == "refused.case.promised_missing"
    material = RESTAURANT.form.material("fire_safety_commitment")
    assert material is not None and material.label
    assert material.label in refused.value.text("zh")


def test_a_refusal_never_offers_the_engine_s_timers_as_what_is_possible_now() -> None:
    """refused.case.not_now fills {possible} with the net's enabled transitions, timers
    included: the applicant who supplements the wrong step reads that they may now do
    'promise_expired' and 'correction_expired fire_safety_check' (and revoke_commitment, which
    nobody takes by that name). The summary lists the actions possible now without timers;
    the refusal should say the same."""
    engine, _, case_id = restaurant()
    with pytest.raises(ActionRefused) as refused:
        engine.supplement(case_id, OWNER, step="outdoor_signboard")
    assert refused.value.code == "refused.case.not_now"
    possible = str(refused.value.params["possible"])
    assert [t for t in TIMERS if t in possible] == []


# -- 7. refusals of what people type that carry no code and no Chinese ---------------------------


def test_a_comment_too_long_is_refused_with_a_code_and_in_chinese() -> None:
    """free_text raises InvalidArgument — no code, English only, and under --format json a
    plain line — for a rating's comment (the applicant's), an action's reason and a notice
    item's text (a clerk's) longer than 2,000 characters: refusals of what a person typed,
    not a wrong type passed by a program (decision 0021 exempts only those)."""
    engine, _, case_id = restaurant()
    engine.withdraw(case_id, OWNER, "不再开办")
    with pytest.raises(Exception) as refused:
        engine.evaluate(case_id, 5, OWNER, "很" * 2_001)
    assert isinstance(refused.value, ActionRefused), type(refused.value).__name__
    assert re.search(r"[\u4e00-\u9fff]", refused.value.text("zh"))


# -- incidental (outside items 5 and 6, found comparing the summary with the engine) -----------


def test_a_limit_that_does_not_exist_is_not_extended() -> None:
    """A step without a time limit (enterprise start-up's bank_appointment) has a clock with no
    limit: the summary rightly offers no extension, but Engine.extend approves one, records an
    'extended' event and uses up the one extension art. 42 allows."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(STARTUP)
    case_id = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                            actor=OWNER).id
    engine.accept(case_id, window("market_regulation"))
    engine.act(case_id, "registration", "approve", officer("market_regulation"))
    assert "bank_appointment" in engine.waiting_on(case_id)
    assert ("extend", "bank_appointment") not in {
        (a.action, a.step) for a in engine.summary(case_id).actions}
    with pytest.raises(ActionRefused):
        engine.extend(case_id, "bank_appointment", "3 WD", supervisor("bank"), "需要核查")


def test_a_milestone_is_recorded_once() -> None:
    """A green-channel milestone recorded once is recorded again, its time overwritten: the
    summary (rightly) stops offering it, the engine does not refuse it."""
    clock = FixedClock(START)
    engine = Engine(clock=clock)
    engine.deploy(GREEN)
    form = sample_form(GREEN) | {"investment": "5000", "key_project": True}
    case_id = engine.submit(GREEN.id, form, sample_materials(GREEN), actor=OWNER).id
    engine.accept(case_id, window("administrative_approval"))
    engine.record_milestone(case_id, "eligibility", "arrange",
                            officer("administrative_approval"))
    first = engine.case(case_id).clocks["eligibility"]["milestones"]["arrange"]
    clock.advance(dt.timedelta(days=3))
    with pytest.raises(ActionRefused):
        engine.record_milestone(case_id, "eligibility", "arrange",
                                officer("administrative_approval"))
    assert engine.case(case_id).clocks["eligibility"]["milestones"]["arrange"] == first
