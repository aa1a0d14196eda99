"""Who may see the hall's lists (docs/roles.md, "The hall's lists"): a department's queue of
work, its intake queue, its alerts, and the search over every case. A list shows no form
value, but it shows which cases wait where: it is staff's, department by department."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from onething.cases.records import Actor, Role
from onething.cases.rules import actor_param, who
from onething.errors import NotAuthorized

if TYPE_CHECKING:
    from onething.language.model import Workflow


def _refuse(actor: Actor, department: str) -> NotAuthorized:
    return NotAuthorized(f"{who(actor)} may not see the queues and alerts of {department}",
                         code="refused.case.not_hall_staff", subject=department,
                         params={"actor": actor_param(actor), "department": department})


def may_see_queue(actor: Actor, department: str) -> None:
    """The work waiting on ``department``: its officers and supervisors."""
    if actor.role in (Role.DEPARTMENT, Role.SUPERVISOR) and actor.department == department:
        return
    raise _refuse(actor, department)


def may_see_intake(actor: Actor, department: str) -> None:
    """The cases awaiting intake at ``department``'s window: its window clerks and
    supervisors."""
    if actor.role in (Role.WINDOW, Role.SUPERVISOR) and actor.department == department:
        return
    raise _refuse(actor, department)


def may_see_alerts(actor: Actor, department: str) -> None:
    """The warning and overdue work of ``department`` (电子监察): its supervisors."""
    if actor.role is Role.SUPERVISOR and actor.department == department:
        return
    raise _refuse(actor, department)


def may_search(actor: Actor) -> None:
    """The search over every case (by number, applicant, workflow, ...): window clerks and
    supervisors."""
    if actor.role in (Role.WINDOW, Role.SUPERVISOR):
        return
    raise NotAuthorized(f"{who(actor)} may not search cases", code="refused.case.not_searcher",
                        params={"actor": actor_param(actor)})


def may_see_statistics(actor: Actor) -> None:
    """The statistics (counts and times, nothing of any one case): supervisors and the heads
    of the people's government, who answer for the hall's figures."""
    if actor.role in (Role.SUPERVISOR, Role.GOVERNMENT_HEAD):
        return
    raise NotAuthorized(f"{who(actor)} may not read the statistics",
                        code="refused.case.not_overseer", params={"actor": actor_param(actor)})


def _heads(actor: Actor, workflow: Workflow) -> bool:
    handling = workflow.handling
    return handling.joint and actor.role is Role.GOVERNMENT_HEAD \
        and actor.department == handling.government


def may_see_joint(actor: Actor, workflow: Workflow) -> None:
    """The cases of a jointly handled workflow (联合办理), whose case limit the head of the
    government it names extends (行政许可法 art. 42(2)): that government's head."""
    if not _heads(actor, workflow):
        raise _refuse(actor, workflow.handling.government or workflow.lead)


def joint_of(actor: Actor, workflows: Iterable[Workflow]) -> list[Workflow]:
    """The jointly handled workflows among ``workflows`` whose cases ``actor`` may see
    (:func:`may_see_joint`); refused when there is none."""
    found = [w for w in workflows if _heads(actor, w)]
    if not found:
        raise _refuse(actor, actor.department or "-")
    return found
