"""告知承诺制: approval on the applicant's written commitment, confirmed or revoked later.

Before the delivery a revocation is the item's refusal (the case's one delivery); after it, a
revocation case linked to the delivered one is opened and the delivered case never changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.scenarios import MARKET, WORKFLOW

from onething.cases.records import applicant, officer, window
from onething.cli import cli
from onething.engine.engine import Engine
from onething.errors import ActionRefused, CaseEnded, NotAuthorized
from onething.language.load import parse
from onething.language.model import Workflow
from onething.soundness.proof import check


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    return parse(WORKFLOW, "permit.yaml").unwrap()


def approved_on_commitment(engine: Engine, workflow: Workflow) -> str:
    engine.deploy(workflow)
    case = engine.submit("permit", {"name": "小店"})
    engine.accept(case.id, window("window_office"))
    engine.act(case.id, "check_in", "approve", officer("window_office"))
    engine.act(case.id, "permit", "approve_on_commitment", MARKET)
    return case.id


def deliveries(engine: Engine, case_id: str) -> int:
    return sum(e.action == "delivered" for e in engine.history(case_id))


def test_the_language_reads_commitment_true_and_its_terms(workflow: Workflow) -> None:
    terms = workflow.step("permit").commitment
    assert terms.when.text == "not false_record" and str(terms.verify_within) == "20 WD"
    short = parse(WORKFLOW.replace(
        "commitment:\n          when: not false_record\n          verify_within: 20 WD\n"
        "          source: test", "commitment: true")).unwrap()
    assert short.step("permit").commitment is not None
    assert short.step("sign").commitment is None


@pytest.mark.parametrize(("text", "code", "line"), [
    ("commitment: 3", "bad-type", 21),
    ("commitment: {verify_by: 20 WD}", "unknown-key", 21),
    ("commitment: {when: not no_such_field}", "unknown-field", 21),
    ("commitment: {verify_within: soon}", "bad-duration", 21),
])
def test_bad_commitment_terms_are_located(text: str, code: str, line: int) -> None:
    source = WORKFLOW.replace(
        "commitment:\n          when: not false_record\n          verify_within: 20 WD\n"
        "          source: test", text)
    problems = parse(source, "permit.yaml").diagnostics
    assert problems, text
    assert problems[0].code == code and problems[0].location.line == line, problems


def test_a_workflow_with_commitments_is_proven_sound(workflow: Workflow) -> None:
    report = check(workflow)
    assert report.sound, report
    assert report.outcomes.get("refusal", 0) > 0


def test_confirmation_keeps_the_approval_and_the_one_delivery(
        engine: Engine, workflow: Workflow) -> None:
    case_id = approved_on_commitment(engine, workflow)
    outcome = engine.case(case_id).outcomes["permit"]
    # 20 WD after 2026-09-30, over the National Day holiday (docs/time.md)
    assert outcome == {"outcome": "approve", "reason": "", "by": str(MARKET),
                       "commitment": "pending", "verify_by": "2026-11-03T17:00:00+08:00"}
    assert "revoke_commitment permit" in engine.possible(case_id)
    engine.verify_commitment(case_id, "permit", True, MARKET, "matches")
    assert engine.case(case_id).outcomes["permit"]["commitment"] == "confirmed"
    assert "revoke_commitment permit" not in engine.possible(case_id)
    with pytest.raises(ActionRefused, match="no commitment awaiting"):
        engine.verify_commitment(case_id, "permit", False, MARKET, "second look")
    engine.act(case_id, "sign", "approve", officer("city"))
    engine.deliver(case_id, window("window_office"))
    assert engine.delivery(case_id).items == ("permit", "sign")
    assert deliveries(engine, case_id) == 1


def test_a_failed_check_before_delivery_is_the_items_refusal(
        engine: Engine, workflow: Workflow) -> None:
    case_id = approved_on_commitment(engine, workflow)
    engine.verify_commitment(case_id, "permit", False, MARKET, "premises differ")
    delivery = engine.delivery(case_id)
    assert delivery.kind == "refusal" and "premises differ" in json.dumps(
        delivery.notice, ensure_ascii=False)
    case = engine.case(case_id)
    assert case.ended and case.outcomes["permit"] == {
        "outcome": "refuse", "reason": "premises differ", "by": str(MARKET),
        "commitment": "revoked"}
    assert deliveries(engine, case_id) == 1
    with pytest.raises(CaseEnded):
        engine.act(case_id, "sign", "approve", officer("city"))


def test_a_failed_check_after_delivery_opens_a_linked_revocation_case(
        engine: Engine, workflow: Workflow) -> None:
    case_id = approved_on_commitment(engine, workflow)
    engine.act(case_id, "sign", "approve", officer("city"))
    engine.deliver(case_id, window("window_office"))
    delivered = engine.case(case_id)
    follow_up = engine.verify_commitment(case_id, "permit", False, MARKET, "false statement")
    assert follow_up.workflow_id == "revocation" and follow_up.id != case_id
    assert follow_up.form["original_case"] == case_id and follow_up.form["step"] == "permit"
    last = engine.history(case_id)[-1]
    assert (last.action, last.data["follow_up"]) == ("commitment_revoked", follow_up.id)
    after = engine.case(case_id)
    assert after.delivery_kind == delivered.delivery_kind == "result"
    assert engine.delivery(case_id).items == ("permit", "sign")
    assert deliveries(engine, case_id) == 1
    office = "approval_supervision"
    engine.accept(follow_up.id, window(office))
    engine.act(follow_up.id, "hearing", "approve", officer(office))
    engine.act(follow_up.id, "revocation_decision", "approve", officer(office))
    engine.deliver(follow_up.id, window(office))
    assert engine.delivery(follow_up.id).items == ("revocation_decision", "credit_record")


def test_who_may_commit_and_who_verifies(
        engine: Engine, workflow: Workflow) -> None:
    engine.deploy(workflow)
    case = engine.submit("permit", {"name": "小店", "false_record": True})
    engine.accept(case.id, window("window_office"))
    engine.act(case.id, "check_in", "approve", officer("window_office"))
    with pytest.raises(ActionRefused, match="may not commit"):
        engine.act(case.id, "permit", "approve_on_commitment", MARKET)
    with pytest.raises(ActionRefused, match="no commitment awaiting"):
        engine.act(case.id, "permit", "revoke_commitment", MARKET, "no")
    with pytest.raises(ActionRefused, match="no commitment awaiting"):
        engine.verify_commitment(case.id, "permit", False, MARKET, "no")
    other = approved_on_commitment(engine, workflow)
    with pytest.raises(NotAuthorized):
        engine.verify_commitment(other, "permit", False, officer("city"), "not mine")
    with pytest.raises(NotAuthorized):
        engine.verify_commitment(other, "permit", True, applicant())
    assert engine.history(other)[-1].action == "refused_attempt"
    with pytest.raises(ActionRefused, match="reason"):
        engine.verify_commitment(other, "permit", False, MARKET)
    assert engine.case(other).outcomes["permit"]["commitment"] == "pending"


def test_what_is_possible_offers_a_commitment_only_to_who_may_commit(
        engine: Engine, workflow: Workflow) -> None:
    """Regression (found by tests/machine/test_properties.py): possible() offered
    approve_on_commitment to an applicant the commitment's ``when`` excludes, and the proof
    explored that approval too."""
    engine.deploy(workflow)
    for false_record, offered in ((True, False), (False, True)):
        case = engine.submit("permit", {"name": "小店", "false_record": false_record})
        engine.accept(case.id, window("window_office"))
        engine.act(case.id, "check_in", "approve", officer("window_office"))
        assert ("approve_on_commitment permit" in engine.possible(case.id)) is offered
    net_guards = {t.name: [lit.condition.text for lit in t.guard]
                  for t in engine.deployed("permit").compiled.net.transitions
                  if t.action == "approve_on_commitment"}
    assert net_guards and all(g == ["not false_record"] for g in net_guards.values())


def test_a_withdrawn_case_has_no_approval_to_verify(
        engine: Engine, workflow: Workflow) -> None:
    case_id = approved_on_commitment(engine, workflow)
    engine.withdraw(case_id, applicant())
    for ok in (True, False):
        with pytest.raises(CaseEnded, match="no approval to verify"):
            engine.verify_commitment(case_id, "permit", ok, MARKET, "late")
    assert deliveries(engine, case_id) == 1


def test_a_retried_verification_with_its_key_changes_nothing(
        engine: Engine, workflow: Workflow) -> None:
    case_id = approved_on_commitment(engine, workflow)
    engine.act(case_id, "sign", "approve", officer("city"))
    engine.deliver(case_id, window("window_office"))
    first = engine.verify_commitment(case_id, "permit", False, MARKET, "false",
                                     idempotency_key="v-1")
    again = engine.verify_commitment(case_id, "permit", False, MARKET, "false",
                                     idempotency_key="v-1")
    assert again.id == first.id and first.workflow_id == "revocation"
    assert sum(e.action == "commitment_revoked" for e in engine.history(case_id)) == 1
    assert len([c for c in engine.store.case_ids() if c != case_id]) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["confirm", "revoke", "sign", "deliver", "withdraw"]),
                max_size=6))
def test_any_order_of_verification_and_work_ends_in_one_delivery(workflow: Workflow,
                                                            script: list[str]) -> None:
    engine = Engine()
    case_id = approved_on_commitment(engine, workflow)
    for move in script:
        try:
            if move == "confirm":
                engine.verify_commitment(case_id, "permit", True, MARKET)
            elif move == "revoke":
                engine.verify_commitment(case_id, "permit", False, MARKET, "false")
            elif move == "sign":
                engine.act(case_id, "sign", "approve", officer("city"))
            elif move == "deliver":
                engine.deliver(case_id, window("window_office"))
            else:
                engine.withdraw(case_id, applicant())
        except (ActionRefused, CaseEnded):
            pass
        assert deliveries(engine, case_id) <= 1
    history = engine.history(case_id)
    verdicts = [e for e in history if e.action.startswith("commitment_")
                or e.action == "revoke_commitment"]
    assert len(verdicts) <= 1
    case = engine.case(case_id)
    if case.ended:
        assert deliveries(engine, case_id) == 1


def test_verify_from_the_command_line(tmp_path: Path, workflow: Workflow) -> None:
    db = tmp_path / "cases.sqlite3"
    source = tmp_path / "permit.yaml"
    source.write_text(WORKFLOW, encoding="utf-8")
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"name": "小店"}, ensure_ascii=False), encoding="utf-8")

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, [*args, "--db", str(db)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("deploy", str(source))
    case_id = json.loads(run("submit", "permit", "--form", str(form), "--format",
                             "json"))["case"]
    run("act", case_id, "accept", "--as", "window:clerk@window_office")
    run("act", case_id, "approve", "check_in", "--as", "department:li@window_office")
    run("act", case_id, "approve_on_commitment", "permit", "--as", "department:li@market")
    status = json.loads(run("status", case_id, "--format", "json"))
    assert [(c["step"], c["state"]) for c in status["commitments"]] == [("permit", "pending")]
    assert "：待核查，核查期限 " in run("status", case_id)
    out = json.loads(run("verify", case_id, "permit", "--failed", "--reason", "false",
                         "--as", "department:li@market", "--format", "json"))
    assert out == {"case": case_id, "confirmed": False, "follow_up": None,
                   "delivery": "refusal"}


def test_a_revocation_by_hand_states_its_reasons(engine: Engine, workflow: Workflow) -> None:
    """Regression (review, 行政许可法 art. 38): act(..., 'revoke_commitment') without a
    reason ended the case with a refusal notice that gave none."""
    case_id = approved_on_commitment(engine, workflow)
    with pytest.raises(ActionRefused, match="needs its reasons"):
        engine.act(case_id, "permit", "revoke_commitment", MARKET, " ")
    assert engine.delivery(case_id) is None
