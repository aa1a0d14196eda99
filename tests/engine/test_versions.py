"""Workflow versions: running cases stay on theirs; migration moves only where it is safe."""

from __future__ import annotations

from tests.support.factories import START, reopened, sample_form, sample_materials, shipped
from tests.support.racing import RacingStore

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.language.load import parse
from onething.stores.base import Store
from onething.workdays import FixedClock

STARTUP = shipped("enterprise_startup.yaml")
#: the shipped version, and the next one the tests deploy beside it
OLD, NEW = STARTUP.version, STARTUP.version + 1
DESK = window("market_regulation")
PARALLEL_WITHOUT_HOUSING = [("seal", "public_security"), ("tax", "tax"),
                            ("social_insurance", "human_resources"),
                            ("medical_insurance", "medical_security"), ("bank_appointment", "bank")]


def v2(text: str) -> object:
    return parse(text.replace(f"version: {OLD}", f"version: {NEW}"), "v2.yaml").unwrap()


def _without_housing_fund() -> object:
    """The next version without the housing fund's branch (nor its department's name)."""
    text = STARTUP.text.replace("  housing_fund_centre: 公积金中心\n", "")
    start = text.index("      - id: housing_fund")
    end = text.index("      - id: bank_appointment")
    return v2(text[:start] + text[end:])


def case_at(engine: Engine, approvals: int) -> str:
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, DESK)
    if approvals:
        engine.act(case.id, "registration", "approve", officer("market_regulation"))
    return case.id


def test_deploying_version_2_leaves_running_cases_on_version_1(engine: Engine) -> None:
    engine.deploy(STARTUP)
    old = case_at(engine, 1)
    engine.deploy(v2(STARTUP.text))
    new = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    assert engine.case(old).workflow_version == OLD
    assert engine.case(new.id).workflow_version == NEW
    engine.act(old, "seal", "approve", officer("public_security"))
    assert engine.case(old).workflow_version == OLD


def test_migrate_moves_cases_whose_position_exists_and_refuses_the_rest(
        engine: Engine) -> None:
    engine.deploy(STARTUP)
    early = case_at(engine, 0)
    inside = case_at(engine, 1)
    # the new version drops the housing fund branch: a case inside the parallel block holds
    # a position the new version does not have; a case still at registration can move
    engine.deploy(_without_housing_fund())
    dry = engine.migrate(STARTUP.id, NEW, dry_run=True)
    assert dry.moved == (early,)
    assert [c for c, _ in dry.refused] == [inside]
    assert "no position" in dry.refused[0][1]
    assert engine.case(early).workflow_version == OLD
    done = engine.migrate(STARTUP.id, NEW)
    assert done.moved == (early,)
    assert engine.case(early).workflow_version == NEW
    assert engine.history(early)[-1].action == "migrated"
    engine.act(early, "registration", "approve", officer("market_regulation"))
    assert "housing_fund" not in engine.waiting_on(early)


# -- migration persists, and is check-and-move in one transaction (issue 12 item 1) ----------


def test_a_migrated_case_is_on_the_new_version_in_the_database(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    engine.deploy(STARTUP)
    early = case_at(engine, 0)
    engine.deploy(_without_housing_fund())
    assert engine.migrate(STARTUP.id, NEW).moved == (early,)
    again = reopened(any_store)
    fresh = Engine(again, clock=FixedClock(START))
    stored = again.load(early)
    assert (stored.workflow_version, stored.content_hash) == (
        NEW, fresh.deployed(STARTUP.id, NEW).workflow.content_hash)
    assert fresh.migrate(STARTUP.id, NEW).moved == ()  # nothing moves twice
    assert [e.action for e in fresh.history(early)].count("migrated") == 1
    fresh.act(early, "registration", "approve", officer("market_regulation"))
    for step, department in PARALLEL_WITHOUT_HOUSING:
        fresh.act(early, step, "approve", officer(department))
    fresh.deliver(early, DESK)
    assert fresh.delivery(early).kind == "result"
    assert fresh.possible(early) == [] and fresh.clocks(early)
    if again is not any_store:
        again.close()


def test_an_action_between_the_check_and_the_move_makes_the_check_run_again(
        any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    engine.deploy(STARTUP)
    case_id = case_at(engine, 0)
    engine.deploy(_without_housing_fund())
    other = Engine(any_store, clock=FixedClock(START))

    def approve_registration() -> None:  # moves the case into the block the new version lacks
        other.act(case_id, "registration", "approve", officer("market_regulation"))

    racing = Engine(RacingStore(any_store, approve_registration), clock=FixedClock(START))
    result = racing.migrate(STARTUP.id, NEW)
    assert result.moved == () and [c for c, _ in result.refused] == [case_id]
    case = any_store.load(case_id)
    assert case.workflow_version == OLD and "step:housing_fund" in case.marking
    assert "migrated" not in [e.action for e in engine.history(case_id)]
    engine.act(case_id, "housing_fund", "approve", officer("housing_fund_centre"))


def test_a_case_delivered_between_the_check_and_the_move_stays_delivered(
        any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    engine.deploy(STARTUP)
    case_id = case_at(engine, 0)
    engine.deploy(v2(STARTUP.text))

    def withdraw() -> None:
        engine.withdraw(case_id, applicant(), "changed my mind")

    racing = Engine(RacingStore(any_store, withdraw), clock=FixedClock(START))
    assert racing.migrate(STARTUP.id, NEW).moved == ()
    history = [e.action for e in engine.history(case_id)]
    assert history[-1] == "delivered" and "migrated" not in history
    assert any_store.load(case_id).workflow_version == OLD
