"""A case's listing (:mod:`onething.cases.listing`), made from the case and its deployed
workflow each time the engine commits it: what the stores index for queues and search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from onething.cases import clocks as clk
from onething.cases import intake
from onething.cases import sign_off as sign
from onething.cases.listing import IN_PROGRESS, INTAKE, Listing, WorkItem
from onething.cases.records import Case
from onething.cases.status import StatusEvent
from onething.cases.tallies import tallies
from onething.language.model import Step
from onething.workdays import WorkCalendar

#: the moment a running clock's due date is asked at (it is read only for a pause still open)
_NEVER = datetime.max.replace(tzinfo=UTC)

if TYPE_CHECKING:
    from onething.engine._deployments import Deployed


def status_of(case: Case) -> str:
    """``intake`` before acceptance, ``in_progress`` after it, the delivery's kind once the
    case has its delivery."""
    if case.delivery_kind is not None:
        return case.delivery_kind
    return INTAKE if case.accepted_at is None else IN_PROGRESS


def listing(case: Case, deployed: Deployed, calendar: WorkCalendar,
            said: Sequence[StatusEvent] = ()) -> Listing:
    """The case as queues and search see it, with what the status events ``said`` by the
    change being committed add to the statistics. Due dates are read on the lenient calendar
    (a commit never fails for a year without official data; such dates are marked
    ``provisional``)."""
    lenient = calendar.lenient()
    policy = deployed.policy
    status = status_of(case)
    intake_due = intake_warn = None
    if status == INTAKE:
        due = intake.deemed_at(case, policy, lenient)
        if due is not None:
            intake_due = due.deadline
            intake_warn = clk.warn_from(lenient, due.deadline, policy.warn_before)
    assert case.created_at is not None  # every case is made with its submission time
    return Listing(case.id, case.workflow_id, status, deployed.workflow.lead, case.applicant,
                   case.priority, case.created_at, intake_due, intake.ASKED in case.marking,
                   () if case.ended else tuple(_work(case, deployed, lenient)),
                   intake_warn=intake_warn,
                   counts=tuple(tallies(said, case, deployed.workflow, policy, lenient))
                   if said else ())


def _work(case: Case, deployed: Deployed, calendar: WorkCalendar) -> list[WorkItem]:
    out = []
    workflow = deployed.workflow
    policy = deployed.policy
    for step, role in deployed.positions(case.marking).items():
        spec = workflow.step(step)
        if spec.opens is not None:  # its child cases decide it, not anyone here
            continue
        clock = case.clocks.get(step)
        due = warn = None
        provisional = paused = False
        if clock is not None and clock.paused_since is not None:
            paused = True
        elif clock is not None:  # running: ``now`` is read only for a pause still open
            found = clk.deadline(calendar, clock, None, _NEVER, policy)
            if found is not None:
                due, provisional = found.deadline, found.provisional
                warn = clk.warn_from(calendar, due, policy.warn_before)
        held = case.assigned.get(step, {})
        for department in spec.signers:
            if _signed_by(case, spec, department):
                continue
            out.append(WorkItem(case.id, step, department, role.value, case.priority, due,
                                warn, held.get(department), provisional, paused))
    return out


def _signed_by(case: Case, step: Step, department: str) -> bool:
    """Whether ``department`` has signed the step's current round (it waits on the others)."""
    if step.sign_off is None or not step.sign_off.by:
        return False
    return sign.has_signed(case.outcomes.get(step.id), department)
