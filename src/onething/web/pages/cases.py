"""The case page — where the case stands, the workflow's diagram with the case's position on
it, what the reader may see of the form, the timeline, the notices and the actions the reader
may take now — and the forms that take them."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from onething.cases.records import Actor, Role
from onething.cases.timeline import describe
from onething.errors import NotAuthorized, OnethingError
from onething.web.pages.actions import DECISIONS, take
from onething.web.pages.render import PostedForm, back_to, page, refused
from onething.web.plumbing import current_actor
from onething.web.problems import HttpProblem

router = APIRouter(include_in_schema=False)


def mine(actor: Actor, taker: Any) -> bool:
    """Whether ``actor`` is among those a summary's taker names."""
    if taker.role != actor.role.value:
        return False
    if taker.department is not None and taker.department != actor.department:
        return False
    return taker.officer is None or taker.officer == actor.id


def case_context(request: Request, actor: Actor, case_id: str) -> dict[str, Any]:
    """Everything the case page shows to ``actor`` (refused when they may not read it)."""
    engine = request.app.state.engine
    engine.readable(case_id, actor)
    summary = engine.summary(case_id)
    workflow = engine.deployed(summary.workflow_id, summary.version).workflow
    try:
        seen = engine.view(case_id, actor)
    except NotAuthorized:
        seen = {"fields": {}, "materials": {}}
    from onething.cases.forms import masked_form

    fields = masked_form(workflow.form, seen["fields"])
    labels = {f.name: f.label or f.name for f in workflow.form.fields}
    actions = [a for a in summary.actions if any(mine(actor, t) for t in a.who)]
    holds = []  # the steps waiting on the actor's department: claim, release, assign
    if actor.role in (Role.DEPARTMENT, Role.SUPERVISOR):
        for waiting in summary.waiting:
            for part in waiting.departments:
                if part.department == actor.department and waiting.position == "deciding":
                    holds.append((waiting, part))
    history = [(e, describe(e)) for e in engine.history(case_id)]
    return {"summary": summary, "workflow": workflow, "fields": fields,
            "labels": labels, "actions": actions, "holds": holds, "history": history,
            "notices": engine.notices(case_id, actor), "decisions": DECISIONS,
            "diagram": _diagram(workflow, summary), "key": uuid.uuid4().hex,
            "lookup_code": _lookup_code(engine, case_id, actor)}


def _lookup_code(engine: Any, case_id: str, actor: Actor) -> str | None:
    try:
        return str(engine.lookup_code_for(case_id, actor))
    except NotAuthorized:
        return None


def _diagram(workflow: Any, summary: Any) -> str:
    from onething.diagram.svg import render_svg

    return render_svg(workflow, current=[w.step for w in summary.waiting],
                      done=[d.step for d in summary.decided])


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str) -> Response:
    """The case as the signed-in person may see it, with what they may do now."""
    actor = current_actor(request)
    return page(request, "case.html", **case_context(request, actor, case_id))


@router.post("/cases/{case_id}/do/{action}", response_class=HTMLResponse)
def act(request: Request, case_id: str, action: str, posted: PostedForm) -> Response:
    """Take ``action`` through the API's endpoint; the case page again, with what happened
    (or why it was refused, and the case as it stands now)."""
    actor = current_actor(request)
    engine = request.app.state.engine
    case = engine.case(case_id)
    workflow = engine.deployed(case.workflow_id, case.workflow_version).workflow
    try:
        answer = take(engine, actor, case_id, action, posted, workflow)
    except (OnethingError, HttpProblem) as exc:
        return refused(request, exc, "case.html", **case_context(request, actor, case_id))
    follow_up = answer.headers.get("ETag") is None
    done = "已开启后续案件" if follow_up else "已办理"
    return back_to(f"/cases/{case_id}", done)


@router.get("/cases/{case_id}/notices/{number}", response_class=HTMLResponse)
def notice(request: Request, case_id: str, number: str) -> Response:
    """A written notice (文书) as a printable page."""
    actor = current_actor(request)
    return HTMLResponse(request.app.state.engine.notice(case_id, number, actor))
