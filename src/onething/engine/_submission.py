"""Opening a case: the one form checked at once (一次告知), the applicant recorded as a
pseudonym, the case created with its first event and timers — or, for a follow-up, built to be
committed with the change that opens it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from onething.cases import rules
from onething.cases.forms import check_submission
from onething.cases.records import Actor, Case, Event, GivenMaterial, Role
from onething.cases.rules import actor_param
from onething.cases.status import status_events
from onething.cases.tallies import corrections_in
from onething.cases.timers import next_due
from onething.engine import _telemetry, _unit
from onething.engine._listing import listing
from onething.engine._numbers import BoundNumbers
from onething.engine._unit import NewCase, request_key
from onething.errors import Conflict, InvalidArgument, NotAuthorized, SubmissionRejected
from onething.language import conditions as exprs
from onething.workdays.clock import SHANGHAI

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed


@_telemetry.traced_submission
def submit(engine: EngineContext, workflow_id: str, form: Mapping[str, Any],
           materials: Mapping[str, GivenMaterial] | None, actor: Actor, applicant: str | None,
           version: int | None, idempotency_key: str | None, now: datetime | None) -> Case:
    """Validate the whole form at once and open a case awaiting the window's intake."""
    if not isinstance(form, Mapping):
        raise InvalidArgument(f"a form is a mapping of field names to values, not a "
                              f"{type(form).__name__}")
    if materials is not None and not isinstance(materials, Mapping):
        raise InvalidArgument(f"materials are a mapping of names to references, not a "
                              f"{type(materials).__name__}")
    people = engine.people
    who = people.text(actor)
    if applicant is not None and actor.role is Role.APPLICANT \
            and people.pseudonym(applicant) != people.pseudonym(actor.id):
        raise NotAuthorized("an applicant submits in their own name only (an agent or the "
                            "lead window submits for someone else)",
                            code="refused.case.not_for_others", subject=workflow_id,
                            params={"actor": actor_param(actor)})
    if applicant is not None:
        pseudonym = people.pseudonym(applicant)
    elif actor.role is Role.APPLICANT:
        pseudonym = people.pseudonym(actor.id)
    else:
        raise InvalidArgument(f"a case submitted by the {actor.role.value} needs the "
                              "applicant's identity",
                              "pass applicant=<the ID number or 统一社会信用代码 the host "
                              "authenticated>")
    agents = (people.pseudonym(actor.id),) if actor.role is Role.AGENT else ()
    key = request_key(idempotency_key, "submit", workflow_id, version, form,
                      materials or {}, who, pseudonym)
    if key is not None:
        first = _unit.replayed(engine, key)
        if first is not None:
            return first
    deployed = engine.deployed(workflow_id, version)
    _telemetry.loaded(deployed)
    rules.authorize_submission(deployed.workflow, actor)
    moment = (now if now is not None else engine.clock.now()).astimezone(SHANGHAI)
    opened = build(engine, deployed, form, materials, who=who, applicant=pseudonym,
                   agents=agents, now=moment)
    status = status_events(opened.case, 0, opened.events, deployed.workflow)
    case = opened.case.replace(notified=len(status), corrections=corrections_in(status))
    try:
        engine.store.create(case, opened.events,
                            next_due(case, deployed.workflow, deployed.policy,
                                     engine.calendar, moment), key,
                            listing=listing(case, deployed, engine.calendar, status),
                            status=status)
    except Conflict:
        first = _unit.replayed(engine, key) if key is not None else None
        if first is None:
            raise
        return first
    return case


def build(engine: EngineContext, deployed: Deployed, form: Mapping[str, Any],
          materials: Mapping[str, GivenMaterial] | None, *, who: str, applicant: str,
          agents: tuple[str, ...] = (), now: datetime, origin: str | None = None) -> NewCase:
    """A new case of ``deployed`` with its first event (not yet stored)."""
    workflow = deployed.workflow
    clean, problems = check_submission(workflow.form, form, materials)
    if clean is None:
        raise SubmissionRejected(problems)
    compiled = deployed.compiled
    case = Case(
        id=new_case_id(engine, now), workflow_id=workflow.id, workflow_version=workflow.version,
        content_hash=workflow.content_hash,
        marking=compiled.names_of(compiled.semantics.initial),
        form=clean.form, materials=clean.materials, promised=clean.promised,
        created_at=now, updated_at=now, events=1,
        priority=int(workflow.green_channel is not None
                     and exprs.evaluate(workflow.green_channel.when.expr, clean.form)),
        applicant=applicant, agents=agents, origin=origin,
    )
    data: dict[str, Any] = {
        "fields": sorted(k for k, v in clean.form.items() if v is not None),
        "materials": sorted(clean.materials), "promised": list(clean.promised),
        "workflow": f"{workflow.id}@{workflow.version}",
        "content_hash": workflow.content_hash,
        "green_channel": bool(case.priority),
    }
    if origin is not None:
        data["origin"] = origin
    return NewCase(case, [Event(1, now, "submit", who, None, data)], deployed)


def new_case_id(engine: EngineContext, now: datetime) -> str:
    """The new case's id: a case number of the submission's day (:class:`BoundNumbers`), or
    what the host's id hook gives."""
    hook = engine.new_id
    return hook(now) if isinstance(hook, BoundNumbers) else hook()
