"""Workflow versions: running cases stay on theirs; migration moves only where it is safe."""

from __future__ import annotations

from conftest import sample_form, sample_materials, shipped
from onething.engine.engine import Engine
from onething.engine.records import officer, window
from onething.spec.load import parse

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation")


def v2(text: str) -> object:
    return parse(text.replace("version: 1", "version: 2"), "v2.yaml").unwrap()


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
    assert engine.case(old).workflow_version == 1
    assert engine.case(new.id).workflow_version == 2
    engine.act(old, "seal", "approve", officer("public_security"))
    assert engine.case(old).workflow_version == 1


def test_migrate_moves_cases_whose_position_exists_and_refuses_the_rest(
        engine: Engine) -> None:
    engine.deploy(STARTUP)
    early = case_at(engine, 0)
    inside = case_at(engine, 1)
    # version 2 drops the housing fund branch: a case inside the parallel block holds a
    # position version 2 does not have; a case still at registration can move
    text = STARTUP.text
    start = text.index("      - id: housing_fund")
    end = text.index("      - id: bank_appointment")
    engine.deploy(v2(text[:start] + text[end:]))
    dry = engine.migrate(STARTUP.id, 2, dry_run=True)
    assert dry.moved == (early,)
    assert [c for c, _ in dry.refused] == [inside]
    assert "no position" in dry.refused[0][1]
    assert engine.case(early).workflow_version == 1
    done = engine.migrate(STARTUP.id, 2)
    assert done.moved == (early,)
    assert engine.case(early).workflow_version == 2
    assert engine.history(early)[-1].action == "migrated"
    engine.act(early, "registration", "approve", officer("market_regulation"))
    assert "housing_fund" not in engine.waiting_on(early)
