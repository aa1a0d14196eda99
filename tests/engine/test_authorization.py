"""Who may do what: owning departments, the lead window, the applicant and their agents;
refused attempts are in the history; each department sees only what its steps read."""

from __future__ import annotations

import pytest
from tests.support.factories import sample_form, sample_materials, shipped

from onething.cases.records import Actor, Role, applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import NotAuthorized

STARTUP = shipped("enterprise_startup.yaml")
AGENT = Actor(Role.AGENT, "helper-7")


def started(engine: Engine) -> str:
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, window(STARTUP.lead))
    return case.id


def test_a_refused_attempt_is_recorded_and_changes_nothing_else(engine: Engine) -> None:
    case_id = started(engine)
    marking = engine.case(case_id).marking
    with pytest.raises(NotAuthorized):
        engine.act(case_id, "registration", "approve", officer("tax", "intruder"))
    last = engine.history(case_id)[-1]
    assert (last.action, last.actor, last.step) == ("refused_attempt",
                                                    "department:intruder@tax", "registration")
    assert "only market_regulation decides" in last.data["why"]
    assert engine.case(case_id).marking == marking


def test_only_an_authorized_agent_may_act_for_the_applicant(engine: Engine) -> None:
    case_id = started(engine)
    engine.act(case_id, "registration", "request_correction", officer("market_regulation"))
    with pytest.raises(NotAuthorized, match="an agent they authorized"):
        engine.supplement(case_id, AGENT, step="registration")
    with pytest.raises(NotAuthorized):
        engine.authorize_agent(case_id, AGENT.id, officer("tax"))
    engine.authorize_agent(case_id, AGENT.id, applicant())
    engine.supplement(case_id, AGENT, step="registration")
    assert "registration" in engine.waiting_on(case_id)
    assert engine.history(case_id)[-1].actor == "agent:" + engine.people.pseudonym("helper-7")


def test_a_department_sees_only_what_its_steps_read(engine: Engine) -> None:
    case_id = started(engine)
    tax = engine.view(case_id, officer("tax"))
    assert set(tax["fields"]) == {"company_name", "legal_person_phone", "needs_invoice"}
    assert tax["materials"] == {}
    registrar = engine.view(case_id, officer("market_regulation"))
    assert "legal_person_id" in registrar["fields"]
    assert "articles_of_association" in registrar["materials"]
    everything = engine.view(case_id, applicant())
    assert set(everything["fields"]) == {f.name for f in STARTUP.form.fields}
    with pytest.raises(NotAuthorized):
        engine.view(case_id, AGENT)
