"""好差评: a delivered case is rated once; a bad rating opens a linked follow-up case."""

from __future__ import annotations

import pytest
from tests.support.factories import sample_form, sample_materials, shipped

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused, NotAuthorized

STARTUP = shipped("enterprise_startup.yaml")


def delivered(engine: Engine) -> str:
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, window(STARTUP.lead))
    engine.withdraw(case.id, applicant())
    return case.id


def test_a_good_rating_is_recorded_and_delivers_nothing(engine: Engine) -> None:
    case_id = delivered(engine)
    engine.evaluate(case_id, 5, applicant(), "快")
    last = engine.history(case_id)[-1]
    assert (last.action, last.data) == ("evaluated", {"rating": 5, "comment": "快"})
    assert sum(e.action == "delivered" for e in engine.history(case_id)) == 1
    with pytest.raises(ActionRefused, match="rated already"):
        engine.evaluate(case_id, 4, applicant())


def test_a_bad_rating_opens_a_linked_rectification_case(engine: Engine) -> None:
    case_id = delivered(engine)
    follow_up = engine.evaluate(case_id, 1, applicant(), "窗口态度差")
    assert follow_up.workflow_id == "rectification" and follow_up.id != case_id
    assert follow_up.form["original_case"] == case_id
    assert engine.history(case_id)[-1].data["follow_up"] == follow_up.id
    office = "service_supervision"
    engine.accept(follow_up.id, window(office))
    engine.act(follow_up.id, "verification", "approve", officer(office))
    engine.act(follow_up.id, "rectification", "approve", officer(office))
    engine.deliver(follow_up.id, window(office))
    assert engine.delivery(follow_up.id).items == ("rectification_reply",)
    assert sum(e.action == "delivered" for e in engine.history(case_id)) == 1


def test_only_the_applicant_rates_and_only_after_delivery(engine: Engine) -> None:
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    with pytest.raises(ActionRefused, match="after its delivery"):
        engine.evaluate(case.id, 5, applicant())
    case_id = delivered(engine)
    with pytest.raises(NotAuthorized):
        engine.evaluate(case_id, 5, officer("tax"))
    with pytest.raises(ActionRefused, match="1 to 5"):
        engine.evaluate(case_id, 6, applicant())
