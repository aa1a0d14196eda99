"""The hall's endpoints: the deployed workflows and their forms, the queues (a department's
work, the intake queue, the alerts), the case search, and the applicant's progress lookup by
case number and lookup code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from onething.cases.hall_access import (
    may_search,
    may_see_alerts,
    may_see_intake,
    may_see_joint,
    may_see_queue,
    may_see_statistics,
)
from onething.cases.records import Actor, Role
from onething.errors import InvalidArgument, UnknownCase
from onething.messages.catalog import Message
from onething.privacy.masking import SENSITIVE_TYPES
from onething.web import bodies
from onething.web.attempts import PER_CASE, PER_CLIENT, Attempts
from onething.web.plumbing import ActorDep, EngineDep, answer
from onething.web.problems import HttpProblem
from onething.web.schemas import ok

if TYPE_CHECKING:
    from onething.engine.engine import Engine

router = APIRouter(prefix="/api/v1", tags=["hall"])

After = Query(None, description="the previous page's next cursor", max_length=500)
Limit = Query(50, ge=1, le=200)


@router.get("/workflows", responses={**ok("workflows")})
def workflows(engine: EngineDep, actor: ActorDep) -> JSONResponse:
    """The deployed workflows (their latest versions): id, version, title, lead department."""
    found = []
    for workflow_id in engine.store.workflow_ids():
        workflow = engine.deployed(workflow_id).workflow
        found.append({"id": workflow.id, "version": workflow.version, "title": workflow.title,
                      "lead": workflow.lead})
    return answer(found)


@router.get("/workflows/{workflow_id}", responses={**ok("workflow")})
def workflow_form(workflow_id: str, engine: EngineDep, actor: ActorDep,
                  version: int | None = Query(None, ge=1)) -> JSONResponse:
    """A deployed workflow's one form, to build a submission from: each field (name, label,
    type, required, the values of a choice, default, bounds, whether personal) and each
    material (required, or deferrable: 容缺, with its promise's limit)."""
    workflow = engine.deployed(workflow_id, version).workflow
    fields = [{"name": f.name, "label": f.label or f.name, "type": f.type,
               "required": f.required, "values": list(f.values) if f.values else None,
               "default": f.default, "minimum": f.minimum, "maximum": f.maximum,
               "personal": f.personal or f.type in SENSITIVE_TYPES}
              for f in workflow.form.fields]
    materials = [{"name": m.name, "label": m.label or m.name, "required": m.required,
                  "deferrable": str(m.deferrable) if m.deferrable is not None else None}
                 for m in workflow.form.materials]
    return answer({"id": workflow.id, "version": workflow.version, "title": workflow.title,
                   "lead": workflow.lead, "fields": fields, "materials": materials})


@router.get("/queues/intake/{department}", responses={**ok("queue")})
def intake_queue(department: str, engine: EngineDep, actor: ActorDep, after: str | None = After,
                 limit: int = Limit) -> JSONResponse:
    """The cases awaiting intake (受理) at the department's window: green channel first, then
    by the deemed-acceptance day (art. 32). The window's clerks and supervisors."""
    may_see_intake(actor, department)
    return answer(engine.intake_queue(department, after=after, limit=limit).to_json())


@router.get("/queues/work/{department}", responses={**ok("queue")})
def work_queue(department: str, engine: EngineDep, actor: ActorDep,
               assignee: str | None = Query(None, max_length=80,
                                            description="only what this officer holds"),
               after: str | None = After, limit: int = Limit) -> JSONResponse:
    """The steps waiting on the department: green channel first, then by due date; each
    item's status (normal, warning, overdue, paused). Its officers and supervisors."""
    may_see_queue(actor, department)
    return answer(engine.queue(department, assignee=assignee, after=after,
                               limit=limit).to_json())


@router.get("/queues/alerts/{department}", responses={**ok("queue")})
def alerts(department: str, engine: EngineDep, actor: ActorDep, after: str | None = After,
           limit: int = Limit) -> JSONResponse:
    """The department's work in warning (yellow) or overdue (red), earliest first — the
    supervisor's 电子监察 board."""
    may_see_alerts(actor, department)
    return answer(engine.alerts(department, after=after, limit=limit).to_json())


@router.get("/queues/joint/{workflow_id}", responses={**ok("cases")})
def joint_cases(workflow_id: str, engine: EngineDep, actor: ActorDep, after: str | None = After,
                limit: int = Limit) -> JSONResponse:
    """The cases in progress of a jointly handled workflow, newest first: what the head of
    the government it names may be asked to extend (行政许可法 art. 42(2))."""
    may_see_joint(actor, engine.deployed(workflow_id).workflow)
    return answer(engine.search(workflow=workflow_id, status="in_progress", after=after,
                                limit=limit).to_json())


@router.get("/statistics", responses={**ok("report")})
def statistics(engine: EngineDep, actor: ActorDep,
               workflow: str | None = Query(None, max_length=200),
               department: str | None = Query(None, max_length=200),
               since: str | None = Query(None, alias="from", max_length=10,
                                         description="the first day counted, YYYY-MM-DD"),
               until: str | None = Query(None, alias="to", max_length=10,
                                         description="the last day counted, YYYY-MM-DD"),
               period: str = Query("week", pattern="^(day|week|month|year|all)$")
               ) -> JSONResponse:
    """The statistics of the cases (docs/statistics.md): received, accepted, delivered by
    kind; 按时办结率, 超期率, 提前办结率, 一次办结率, 即办件; lead and step times (mean, median,
    p90, p99); corrections per step; 好差评 and rectifications — per workflow, department,
    step and period. Supervisors and the government's head; nothing of any one case."""
    may_see_statistics(actor)
    return answer(engine.statistics(workflow=workflow, department=department, since=since,
                                    until=until, period=period).to_json())


@router.post("/search", responses={**ok("cases")})
def search(body: bodies.Search, engine: EngineDep, actor: ActorDep) -> JSONResponse:
    """The cases matching every filter given, newest first (window clerks and supervisors).
    A POST: an applicant's ID number must not travel in an address."""
    may_search(actor)
    return answer(engine.search(
        number=body.number, applicant=body.applicant, workflow=body.workflow,
        status=body.status, department=body.department, step=body.step,
        submitted_from=body.submitted_from, submitted_to=body.submitted_to, after=body.after,
        limit=body.limit).to_json())


@router.post("/lookup", responses={**ok("lookup")})
def lookup(body: bodies.Lookup, request: Request, engine: EngineDep) -> JSONResponse:
    """The applicant's progress lookup, no sign-in needed: the case number and the lookup code
    printed on the acceptance notice (受理通知书). Read only: where the case stands, its
    timeline and its notices. A wrong number or code is one answer (403), and after 5
    failures for a case number, or 20 from one address, in 15 minutes: 429."""
    looked_up(engine, request, body.case, body.code)
    summary = engine.summary(body.case)
    return answer({"case": body.case, "summary": summary.to_json(),
                   "events": [e.to_json() for e in engine.status_events(body.case)],
                   "notices": [d.to_json() for d in engine.notices(body.case, LOOKUP_READER)]})


def looked_up(engine: Engine, request: Request, case_id: str, code: str) -> None:
    """Refused (429, 403) unless the attempt limit lets the request try and ``code`` is the
    case's lookup code; a failure is counted."""
    attempts: Attempts = request.app.state.attempts
    client = request.client.host if request.client else "-"
    keys = {f"case:{case_id}": PER_CASE, f"client:{client}": PER_CLIENT}
    wait = attempts.wait(keys)
    if wait:
        raise HttpProblem(429, Message("refused.case.too_many_attempts",
                                       params={"minutes": max(1, (wait + 59) // 60)}),
                          {"Retry-After": str(wait)})
    try:
        matches = engine.lookup_matches(case_id, code)
    except (UnknownCase, InvalidArgument):  # the same answer as a wrong code: case numbers
        matches = False  # are not enumerable (a number the database cannot hold names none)
    if not matches:
        attempts.failed(*keys)
        raise HttpProblem(403, Message("refused.case.lookup_failed"))


#: who reads a case's notices for a lookup: nobody's own copy (personal values masked)
LOOKUP_READER = Actor(Role.SYSTEM, "lookup")
