"""Agents: the people an applicant (or the lead window, for a 帮办代办 handler) lets act for
them, recorded as pseudonyms."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from onething.cases import rules
from onething.cases.records import Actor, Case
from onething.engine import _unit
from onething.engine._refusals import ended
from onething.engine._unit import Change, advance, request_key

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed


def authorize_agent(engine: EngineContext, case_id: str, agent_id: str, actor: Actor,
                    idempotency_key: str | None, now: datetime | None) -> Case:
    """Record ``agent_id`` as an agent of the case's applicant."""
    people = engine.people
    agent = people.pseudonym(agent_id)
    who = people.text(actor)
    key = request_key(idempotency_key, "authorize_agent", case_id, agent, who)

    def change(case: Case, deployed: Deployed, at: datetime) -> Change:
        rules.authorize_agent_grant(people, deployed.workflow, actor, case)
        if case.ended:
            raise ended(case)
        return advance(case, at, ("agent_authorized", who, None, {"agent": agent}),
                       agents=tuple(dict.fromkeys([*case.agents, agent])))

    result = _unit.run(engine, case_id, change, key=key, now=now,
                              attempt=("authorize_agent", None, who))
    assert result is not None
    return result
