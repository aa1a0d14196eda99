"""The engine end to end: submission, actions, refusal, withdrawal, one delivery."""

from __future__ import annotations

import pytest
from tests.support.factories import ROOT, sample_form, sample_materials, shipped

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import (
    ActionRefused,
    CaseEnded,
    DeployRefused,
    NotAuthorized,
    SubmissionRejected,
)
from onething.language.load import parse
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation")
PARALLEL = {"seal": "public_security", "tax": "tax", "social_insurance": "human_resources",
            "medical_insurance": "medical_security", "housing_fund": "housing_fund_centre",
            "bank_appointment": "bank"}


def started(engine: Engine, **form: object) -> str:
    engine.deploy(STARTUP)
    case = engine.submit("enterprise-startup", {**sample_form(STARTUP), **form},
                         sample_materials(STARTUP))
    engine.accept(case.id, DESK)
    return case.id


def test_a_case_goes_from_form_to_one_result_delivery(engine: Engine) -> None:
    case_id = started(engine)
    engine.act(case_id, "registration", "approve", officer("market_regulation"))
    assert set(engine.waiting_on(case_id)) == set(PARALLEL)
    for step, department in PARALLEL.items():
        engine.act(case_id, step, "approve", officer(department))
    assert set(engine.possible(case_id)) == {"deliver", "withdraw"}
    engine.deliver(case_id, DESK, "window")
    delivery = engine.delivery(case_id)
    assert delivery.kind == "result" and delivery.method == "window"
    assert delivery.items == ("business_licence", "seal_set", "tax_ukey", "invoices",
                              "bank_appointment_slip")
    assert [e.action for e in engine.history(case_id)][-2:] == ["deliver", "delivered"]
    assert engine.case(case_id).ended


def test_submission_reports_every_problem_at_once_and_creates_no_case(engine: Engine) -> None:
    engine.deploy(STARTUP)
    bad = {**sample_form(STARTUP), "legal_person_id": "430381199001011235",
           "legal_person_phone": "12345", "employees": "many", "compny_name": "x"}
    del bad["company_name"]
    with pytest.raises(SubmissionRejected) as caught:
        engine.submit("enterprise-startup", bad, {})
    names = {p.name for p in caught.value.problems}
    assert names == {"legal_person_id", "legal_person_phone", "employees", "compny_name",
                     "company_name", "articles_of_association", "address_proof"}
    assert "did you mean 'company_name'" in str(caught.value)
    assert "430381199001011235" not in str(caught.value)
    assert engine.store.case_ids() == []


def test_required_if_is_checked_on_the_submitted_form(engine: Engine) -> None:
    engine.deploy(STARTUP)
    form = {**sample_form(STARTUP), "delivery_method": "mail", "mail_address": ""}
    with pytest.raises(SubmissionRejected) as caught:
        engine.submit("enterprise-startup", form, sample_materials(STARTUP))
    assert [p.name for p in caught.value.problems] == ["mail_address"]
    form["delivery_method"] = "window"
    assert engine.submit("enterprise-startup", form, sample_materials(STARTUP)).id


def test_a_false_when_skips_the_step_and_its_items(engine: Engine) -> None:
    case_id = started(engine, needs_invoice=False)
    engine.act(case_id, "registration", "approve", officer("market_regulation"))
    assert "tax" not in engine.waiting_on(case_id)
    for step, department in PARALLEL.items():
        if step != "tax":
            engine.act(case_id, step, "approve", officer(department))
    engine.deliver(case_id, DESK)
    assert "tax_ukey" not in engine.delivery(case_id).items


def test_a_refusal_in_a_parallel_block_cancels_siblings_with_one_notice(engine: Engine) -> None:
    case_id = started(engine)
    engine.act(case_id, "registration", "approve", officer("market_regulation"))
    engine.act(case_id, "seal", "approve", officer("public_security"))
    engine.act(case_id, "tax", "refuse", officer("tax"), reason="abnormal tax status")
    delivery = engine.delivery(case_id)
    assert delivery.kind == "refusal"
    outcomes = {i["step"]: i["outcome"] for i in delivery.notice["items"]}
    assert outcomes["tax"] == "refuse" and outcomes["seal"] == "approve"
    assert outcomes["social_insurance"] == "cancelled"
    assert "行政复议" in delivery.notice["remedies"]
    assert delivery.notice["voided"] == ["business_licence", "seal_set"]
    with pytest.raises(CaseEnded, match="ended by refusal at step tax"):
        engine.act(case_id, "social_insurance", "approve", officer("human_resources"))


def test_an_optional_refusal_is_recorded_and_the_case_goes_on(engine: Engine) -> None:
    case_id = started(engine)
    engine.act(case_id, "registration", "approve", officer("market_regulation"))
    for step, department in PARALLEL.items():
        outcome = "refuse" if step == "bank_appointment" else "approve"
        engine.act(case_id, step, outcome, officer(department), reason="no slot")
    engine.deliver(case_id, DESK)
    delivery = engine.delivery(case_id)
    assert delivery.kind == "result" and "bank_appointment_slip" not in delivery.items
    bank = next(i for i in delivery.notice["items"] if i["step"] == "bank_appointment")
    assert bank == {"step": "bank_appointment", "title": "银行预约开户", "department": "bank",
                    "outcome": "refuse", "reason": "no slot"}


def test_correction_once_per_step_then_supplement(engine: Engine) -> None:
    case_id = started(engine)
    registrar = officer("market_regulation")
    engine.act(case_id, "registration", "request_correction", registrar, reason="unsigned")
    with pytest.raises(ActionRefused, match="not possible now"):
        engine.act(case_id, "registration", "approve", registrar)
    with pytest.raises(ActionRefused, match="may change only what the step reads"):
        engine.supplement(case_id, applicant(), step="registration",
                          fields={"employees": 9})
    engine.supplement(case_id, applicant(), step="registration",
                      fields={"company_name": "新名称有限公司"})
    assert engine.case(case_id).form["company_name"] == "新名称有限公司"
    with pytest.raises(ActionRefused, match="request_correction registration"):
        engine.act(case_id, "registration", "request_correction", registrar)


def test_withdrawal_until_delivery_never_after(engine: Engine) -> None:
    case_id = started(engine)
    engine.withdraw(case_id, applicant(), "no longer needed")
    assert engine.delivery(case_id).kind == "withdrawal"
    with pytest.raises(CaseEnded):
        engine.withdraw(case_id, applicant())
    with pytest.raises(CaseEnded):
        engine.deliver(case_id, DESK)


def test_unanswered_correction_ends_by_termination(engine: Engine) -> None:
    case_id = started(engine)
    engine.act(case_id, "registration", "request_correction", officer("market_regulation"))
    engine.expire(case_id, "correction_expired", "registration")
    assert engine.delivery(case_id).kind == "termination"


def test_intake_refusal_is_the_one_delivery(engine: Engine) -> None:
    engine.deploy(STARTUP)
    case = engine.submit("enterprise-startup", sample_form(STARTUP), sample_materials(STARTUP))
    engine.refuse_intake(case.id, DESK, "not within our remit")
    assert engine.delivery(case.id).kind == "refusal"


def test_only_the_owning_department_and_the_lead_window_may_act(engine: Engine) -> None:
    case_id = started(engine)
    with pytest.raises(NotAuthorized, match="only market_regulation decides"):
        engine.act(case_id, "registration", "approve", officer("tax"))
    with pytest.raises(NotAuthorized):
        engine.withdraw(case_id, officer("tax"))
    with pytest.raises(NotAuthorized):
        engine.deliver(case_id, window("tax"))


def test_unknown_step_gets_a_did_you_mean(engine: Engine) -> None:
    case_id = started(engine)
    with pytest.raises(ActionRefused, match="did you mean step 'registration'"):
        engine.act(case_id, "registraton", "approve", officer("market_regulation"))


def test_deploying_changed_content_under_the_same_version_is_refused(engine: Engine) -> None:
    engine.deploy(STARTUP)
    changed = parse(STARTUP.text.replace("企业开办一件事 (enterprise", "企业开办 (enterprise"),
                    "changed.yaml").unwrap()
    with pytest.raises(DeployRefused, match="new version"):
        engine.deploy(changed)
    bumped = parse(STARTUP.text.replace(f"version: {STARTUP.version}",
                                        f"version: {STARTUP.version + 1}"), "v2.yaml").unwrap()
    assert engine.deploy(bumped).key == ("enterprise-startup", STARTUP.version + 1)


def test_a_case_pins_its_workflow_version_and_hash(engine: Engine) -> None:
    case_id = started(engine)
    bumped = parse(STARTUP.text.replace(f"version: {STARTUP.version}",
                                        f"version: {STARTUP.version + 1}"), "v2.yaml").unwrap()
    engine.deploy(bumped)
    case = engine.case(case_id)
    assert (case.workflow_version, case.content_hash) == (STARTUP.version, STARTUP.content_hash)


@pytest.mark.parametrize("make", [MemoryStore, lambda: SqliteStore(":memory:")])
def test_every_store_survives_the_same_case(make: object, clock: object) -> None:
    engine = Engine(make(), clock=clock)
    case_id = started(engine)
    engine.act(case_id, "registration", "refuse", officer("market_regulation"), reason="name")
    assert engine.delivery(case_id).kind == "refusal"
    assert [e.seq for e in engine.history(case_id)] == [1, 2, 3, 4]


def test_sqlite_case_and_history_survive_reopening(tmp_path: object, clock: object) -> None:
    path = tmp_path / "cases.sqlite3"
    store = SqliteStore(path)
    case_id = started(Engine(store, clock=clock))
    store.close()
    again = Engine(SqliteStore(path), clock=clock)
    again.act(case_id, "registration", "approve", officer("market_regulation"))
    assert set(again.waiting_on(case_id)) == set(PARALLEL)
    assert len(again.history(case_id)) == 3


def test_shipped_workflow_files_are_the_ones_the_demo_uses() -> None:
    from onething.cli.demo import shipped_workflow

    assert shipped_workflow("enterprise_startup.yaml").read_bytes() == \
        (ROOT / "workflows" / "enterprise_startup.yaml").read_bytes()
