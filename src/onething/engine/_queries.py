"""Reading cases: a department's queue, what an actor may see of a case, what can happen now,
and the clocks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from onething.cases import clocks as clk
from onething.cases import joint_corrections as joint
from onething.cases import rules
from onething.cases import sign_off as sign
from onething.cases.records import Actor, Case, StoredMaterial
from onething.cases.typed_json import record_json
from onething.engine import _unit
from onething.engine._actions import pending_commitment
from onething.errors import NotAuthorized
from onething.language.model import Step
from onething.net.model import STEP_ROLES, Performer
from onething.net.semantics import form_guard

if TYPE_CHECKING:
    from onething.engine._context import EngineContext


class CaseView(TypedDict):
    """What an actor may see of a case: form values and stored materials, by name."""

    fields: dict[str, Any]
    materials: dict[str, StoredMaterial]


@attrs.frozen
class QueueItem:
    """One step waiting in a department's queue; ``provisional`` when its due date rests on a
    calendar year without official data; ``assigned`` the officer holding it there, if any."""

    case_id: str
    step: str
    priority: int
    position: str
    due: datetime | None
    status: str
    provisional: bool = False
    assigned: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The item as typed JSON (``queue --format json``)."""
        return record_json(self)


def queue(engine: EngineContext, department: str, now: datetime) -> list[QueueItem]:
    """A department's work: green-channel cases first, then by due date (oldest first)."""
    items = []
    for case_id in engine.store.case_ids():
        case = engine.store.load(case_id)
        if case.ended:
            continue
        deployed = engine.deployed(case.workflow_id, case.workflow_version)
        for step, role in deployed.positions(case.marking).items():
            spec = deployed.workflow.step(step)
            if department not in spec.signers or _signed_by(case, spec, department) \
                    or spec.opens is not None:  # its child cases decide it, not anyone here
                continue
            clock = case.clocks.get(step)
            view = clk.view(engine.calendar, step, clock, now, deployed.policy) \
                if clock else None
            due = (view.committed_due or view.statutory_due) if view else None
            items.append(QueueItem(case.id, step, case.priority, role.value,
                                   due.deadline if due else None,
                                   view.status.value if view else "normal",
                                   bool(due is not None and due.provisional),
                                   case.assigned.get(step, {}).get(department)))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda i: (-i.priority, i.due or far, i.case_id))


def _signed_by(case: Case, step: Step, department: str) -> bool:
    """Whether ``department`` has signed the step's current round (it waits on the others)."""
    if step.sign_off is None or not step.sign_off.by:
        return False
    return any(s["signer"] == department
               for s in sign.signed(case.outcomes.get(step.id)))


def view(engine: EngineContext, case_id: str, actor: Actor) -> CaseView:
    """What ``actor`` may see of the case's form and materials; a refusal is recorded."""
    case = engine.store.load(case_id)
    workflow = engine.deployed(case.workflow_id, case.workflow_version).workflow
    try:
        names = rules.visible_names(engine.people, workflow, actor, case)
    except NotAuthorized as refused:
        _unit.record_refusal(engine, case_id, "view", None, engine.people.text(actor), refused)
        raise
    fields = {k: v for k, v in case.form.items() if k in names}
    fields.update((k, v) for k, v in case.facts().items()  # what steps set, read alike
                  if k in names and k in workflow.set_fields)
    return {"fields": fields,
            "materials": {k: v for k, v in case.materials.items() if k in names}}


def possible(engine: EngineContext, case_id: str) -> list[str]:
    """What can happen to the case now, as event labels (``approve seal``, ...)."""
    case = engine.store.load(case_id)
    if case.ended:
        return []
    deployed = engine.deployed(case.workflow_id, case.workflow_version)
    compiled = deployed.compiled
    marking = compiled.marking_of(case.marking)
    positions = deployed.positions(case.marking)
    held = {step for group in joint.groups(deployed.workflow.correction_groups)
            if not joint.notice_out(group, positions) for step in group}
    return [t.label for t in compiled.enabled(marking, form_guard(case.facts()))
            if t.actor is not Performer.CHILDREN  # the children's deliveries decide it
            and (t.action != "revoke_commitment" or pending_commitment(case, t.step))
            and not (t.action == "supplement" and t.step in held)]


def waiting_on(engine: EngineContext, case_id: str) -> list[str]:
    """The steps currently awaiting a department (or the applicant's correction)."""
    case = engine.store.load(case_id)
    compiled = engine.deployed(case.workflow_id, case.workflow_version).compiled
    return [p.step for p in compiled.net.places
            if p.name in case.marking and p.step and p.role in STEP_ROLES]


def clocks(engine: EngineContext, case_id: str, now: datetime) -> list[clk.ClockView]:
    """Every clock of the case with its due dates and status (normal/warning/overdue)."""
    case = engine.store.load(case_id)
    policy = engine.deployed(case.workflow_id, case.workflow_version).policy
    return [clk.view(engine.calendar, key, clock, now, policy)
            for key, clock in case.clocks.items()]
