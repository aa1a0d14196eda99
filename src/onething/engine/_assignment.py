"""Assignment inside a department (issue 16 item 4): an officer claims a step waiting on their
department, the holder or a supervisor releases it, a supervisor assigns or reassigns it. Each
is one pure change through the unit of work, recorded in the history (``claimed``,
``released``, ``assigned``, ``reassigned``); what holding means for deciding the step is in
:mod:`onething.cases.assignment`.

Asking for what already holds changes nothing and writes nothing: claiming a step one holds,
releasing a step nobody holds, assigning a step to its holder.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from onething.cases import assignment as held
from onething.cases import sign_off as sign
from onething.cases.records import Actor, Case, Role, officer
from onething.cases.rules import actor_param, who
from onething.engine import _unit
from onething.engine._refusals import ended, not_a_step
from onething.engine._unit import Change, advance, request_key
from onething.errors import ActionRefused, InvalidArgument, NotAuthorized
from onething.language.model import Step
from onething.privacy.masking import clip

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed

#: the longest officer id ``assign`` takes
MAX_OFFICER = 80


def claim(engine: EngineContext, case_id: str, step: str, actor: Actor,
          idempotency_key: str | None, now: datetime | None) -> Case:
    """An officer of a department ``step`` waits on takes it (see :meth:`Engine.claim`)."""
    who_ = engine.people.text(actor)
    key = request_key(idempotency_key, "claim", case_id, step, who_)

    def change(case: Case, deployed: Deployed, at: datetime) -> Change | None:
        spec = _step(case, deployed, step)
        if actor.role is not Role.DEPARTMENT or actor.department not in spec.signers:
            raise NotAuthorized(
                f"only an officer of {', '.join(spec.signers)} claims '{spec.id}' "
                f"({who(actor)} may not)",
                f"act as department:<officer>@{spec.signers[0]}; a supervisor gives a step "
                "to an officer with assign", code="refused.step.not_claimer",
                subject=spec.id, params={"departments": ", ".join(spec.signers),
                                         "actor": actor_param(actor)})
        department = actor.department
        _waiting(case, deployed, spec, department)
        holder = held.holder(case, spec.id, department)
        if holder == actor.id:
            return None  # claimed already: nothing changes
        if holder is not None:
            raise ActionRefused(
                f"'{spec.id}' is held at {department} by "
                f"{held.officer_text(department, holder)}",
                f"the holder releases it, or a supervisor of {department} reassigns it",
                code="refused.step.held", subject=spec.id,
                params={"department": department, "holder": holder})
        return _hold(case, at, spec.id, department, actor.id,
                     (held.CLAIMED, who_, spec.id, {"department": department,
                                                    "officer": actor.id}))

    return _done(engine, case_id, change, key, now, ("claim", step, who_))


def release(engine: EngineContext, case_id: str, step: str, actor: Actor,
            idempotency_key: str | None, now: datetime | None) -> Case:
    """The holder, or a supervisor of its department, lets ``step`` go (see
    :meth:`Engine.release`)."""
    who_ = engine.people.text(actor)
    key = request_key(idempotency_key, "release", case_id, step, who_)

    def change(case: Case, deployed: Deployed, at: datetime) -> Change | None:
        spec = _step(case, deployed, step)
        if actor.role not in (Role.DEPARTMENT, Role.SUPERVISOR) \
                or actor.department not in spec.signers:
            raise NotAuthorized(
                f"only the officer holding '{spec.id}' or a supervisor of "
                f"{', '.join(spec.signers)} releases it ({who(actor)} may not)",
                f"act as the holder, or as supervisor:<name>@{spec.signers[0]}",
                code="refused.step.not_releaser", subject=spec.id,
                params={"departments": ", ".join(spec.signers), "actor": actor_param(actor)})
        department = actor.department
        holder = held.holder(case, spec.id, department)
        if holder is None:
            return None  # nobody holds it: nothing to release
        if actor.role is Role.DEPARTMENT and holder != actor.id:
            raise NotAuthorized(
                f"'{spec.id}' is held at {department} by "
                f"{held.officer_text(department, holder)} ({who(actor)} may not release it)",
                f"the holder releases it, or a supervisor of {department}",
                code="refused.step.held_by_other", subject=spec.id,
                params={"department": department, "holder": holder,
                        "actor": actor_param(actor)})
        return _hold(case, at, spec.id, department, None,
                     (held.RELEASED, who_, spec.id, {"department": department,
                                                     "officer": holder}))

    return _done(engine, case_id, change, key, now, ("release", step, who_))


def assign(engine: EngineContext, case_id: str, step: str, officer_id: str, actor: Actor,
           idempotency_key: str | None, now: datetime | None) -> Case:
    """A supervisor gives ``step`` to an officer of their department (see
    :meth:`Engine.assign`)."""
    who_ = engine.people.text(actor)
    officer_id = _officer_id(engine, officer_id, actor)
    key = request_key(idempotency_key, "assign", case_id, step, officer_id, who_)

    def change(case: Case, deployed: Deployed, at: datetime) -> Change | None:
        spec = _step(case, deployed, step)
        if actor.role is not Role.SUPERVISOR or actor.department not in spec.signers:
            raise NotAuthorized(
                f"only a supervisor of {', '.join(spec.signers)} assigns '{spec.id}' "
                f"({who(actor)} may not)", f"act as supervisor:<name>@{spec.signers[0]}",
                code="refused.step.not_assigner", subject=spec.id,
                params={"departments": ", ".join(spec.signers), "actor": actor_param(actor)})
        department = actor.department
        _waiting(case, deployed, spec, department)
        holder = held.holder(case, spec.id, department)
        if holder == officer_id:
            return None  # theirs already: nothing changes
        data: dict[str, Any] = {"department": department, "officer": officer_id} \
            if holder is None else {"department": department, "from": holder, "to": officer_id}
        return _hold(case, at, spec.id, department, officer_id,
                     (held.ASSIGNED if holder is None else held.REASSIGNED, who_, spec.id, data))

    return _done(engine, case_id, change, key, now, ("assign", step, who_))


def _step(case: Case, deployed: Deployed, step: str) -> Step:
    """The step named ``step`` of a case that has not ended."""
    workflow = deployed.workflow
    if not isinstance(step, str) or step not in {s.id for s in workflow.iter_steps()}:
        raise not_a_step(workflow, str(step))
    if case.ended:
        raise ended(case, "nothing about a delivered case may change")
    return workflow.step(step)


def _waiting(case: Case, deployed: Deployed, spec: Step, department: str | None) -> None:
    """Refuse a step that does not wait on ``department`` now: not in the case's position, its
    part signed already, decided by child cases, or signed by a panel of officers."""
    if spec.opens is not None:
        raise ActionRefused(f"'{spec.id}' is decided by the child cases it opens",
                            "nobody in a department holds it",
                            code="refused.step.held_by_children", subject=spec.id)
    if spec.sign_off is not None and spec.sign_off.experts:
        raise ActionRefused(f"'{spec.id}' is signed by a panel of {spec.sign_off.experts} "
                            "officers: no one officer holds it",
                            "each expert signs it once, as the workflow says",
                            code="refused.step.panel", subject=spec.id,
                            params={"experts": spec.sign_off.experts})
    if spec.id not in deployed.positions(case.marking):
        raise ActionRefused(f"'{spec.id}' is not waiting on {department} now",
                            "a step is held while it waits on its department (see queue)",
                            code="refused.step.not_waiting", subject=spec.id,
                            params={"department": department or ""})
    if department is not None and sign.has_signed(case.outcomes.get(spec.id), department):
        raise ActionRefused(f"{department} has signed its part of '{spec.id}' already",
                            "a step is held while it waits on its department",
                            code="refused.step.signed_already", subject=spec.id,
                            params={"signer": department or ""})


def _hold(case: Case, at: datetime, step: str, department: str, officer_id: str | None,
          entry: _unit.Entry) -> Change:
    """The case with ``officer_id`` holding ``step`` at ``department`` (None: nobody)."""
    assigned = dict(case.assigned)  # copy on write: the inner record is replaced, not changed
    inner = {d: o for d, o in assigned.get(step, {}).items() if d != department}
    if officer_id is not None:
        inner[department] = officer_id
    if inner:
        assigned[step] = inner
    else:
        assigned.pop(step, None)
    return advance(case, at, entry, assigned=assigned)


def _officer_id(engine: EngineContext, officer_id: object, actor: Actor) -> str:
    """The id of the officer a step is assigned to, checked as staff ids are: text without
    ``:``, ``@`` or spaces, and never a personal number."""
    if not isinstance(officer_id, str) or not officer_id.strip():
        raise InvalidArgument("an officer is named by their staff id, non-empty text",
                              "e.g. assign(case, 'tax', 'wang', supervisor('tax', 'zhao'))")
    text = officer_id.strip()
    if len(text) > MAX_OFFICER or any(c in text for c in ":@") or any(c.isspace() for c in text):
        raise InvalidArgument(f"{clip(text, 40)!r} is not a staff id",
                              f"a staff id of at most {MAX_OFFICER} characters without ':', "
                              "'@' or spaces, e.g. wang")
    engine.people.text(officer(actor.department or "", text))  # refuses a personal number
    return text


def _done(engine: EngineContext, case_id: str, change: _unit.ChangeFn,
          key: tuple[str, str] | None, now: datetime | None,
          attempt: tuple[str, str | None, str]) -> Case:
    """Run ``change``; the case as it stands when it changed nothing."""
    result = _unit.run(engine, case_id, change, key=key, now=now, attempt=attempt)
    return result if result is not None else engine.store.load(case_id)
