"""The staff's pages: the home page (and the development sign-in), the window (its intake
queue and the one form), the department's queue, the supervisor's board, and the search."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onething.cases.hall_access import (
    joint_of,
    may_search,
    may_see_alerts,
    may_see_intake,
    may_see_queue,
)
from onething.cases.records import Actor, Role
from onething.errors import OnethingError, SubmissionRejected
from onething.messages.catalog import Message
from onething.web import api_cases, bodies
from onething.web.identity import DEV_COOKIE
from onething.web.pages.forms import (
    form_values,
    kept_for_correction,
    material_values,
    problems_by_name,
)
from onething.web.pages.render import PostedForm, back_to, page, refused
from onething.web.plumbing import current_actor
from onething.web.problems import HttpProblem
from onething.workdays import SHANGHAI

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """Who is signed in and where they work; in development, the people to sign in as."""
    users = getattr(request.app.state.authenticator, "users", {})
    return page(request, "home.html", users=users)


@router.post("/signin")
def signin(request: Request, form: PostedForm) -> Response:
    """Development only: sign in as one of the demo people (a cookie naming them)."""
    users = getattr(request.app.state.authenticator, "users", None)
    name = str(form.get("user", ""))
    if users is None or name not in users:
        raise HttpProblem(403, Message("refused.case.not_authenticated"))
    response = RedirectResponse(_landing(users[name]), status_code=303)
    response.set_cookie(DEV_COOKIE, name, httponly=True, samesite="lax", path="/")
    return response


@router.post("/signout")
def signout(request: Request, _: PostedForm) -> Response:
    """Development only: forget who is signed in."""
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(DEV_COOKIE, path="/")
    return response


def _landing(actor: Actor) -> str:
    return {Role.WINDOW: "/window", Role.DEPARTMENT: "/department",
            Role.SUPERVISOR: "/supervisor", Role.APPLICANT: "/my",
            Role.AGENT: "/my", Role.GOVERNMENT_HEAD: "/government"}.get(actor.role, "/")


@router.get("/window", response_class=HTMLResponse)
def window(request: Request) -> Response:
    """The window: the cases awaiting intake at its department, and the forms to start."""
    actor = current_actor(request)
    engine = request.app.state.engine
    department = actor.department or ""
    may_see_intake(actor, department)
    queue = engine.intake_queue(department, after=request.query_params.get("after"))
    workflows = [engine.deployed(w).workflow for w in engine.store.workflow_ids()]
    return page(request, "window.html", queue=queue, department=department,
                workflows=[w for w in workflows if w.lead == department])


@router.get("/window/new/{workflow_id}", response_class=HTMLResponse)
def new_application(request: Request, workflow_id: str) -> Response:
    """The one form (一表申请) of the workflow, from its form spec."""
    current_actor(request)
    workflow = request.app.state.engine.deployed(workflow_id).workflow
    return page(request, "apply.html", workflow=workflow, values={}, wrong={},
                key=uuid.uuid4().hex)


@router.post("/window/new/{workflow_id}", response_class=HTMLResponse)
def submit_application(request: Request, workflow_id: str, posted: PostedForm) -> Response:
    """Submit the form: every problem shown at once beside its field (一次告知), or the new
    case's page."""
    actor = current_actor(request)
    engine = request.app.state.engine
    workflow = engine.deployed(workflow_id).workflow
    body = bodies.Submission(workflow=workflow_id, form=form_values(workflow, posted),
                             materials=material_values(workflow, posted),
                             applicant=str(posted.get("applicant") or "") or None)
    try:
        answer = api_cases.submit(body, engine, actor, str(posted.get("key") or "") or None)
    except SubmissionRejected as rejected:
        return page(request, "apply.html", status=422, workflow=workflow,
                    values=kept_for_correction(workflow, posted),
                    wrong=problems_by_name(rejected), key=uuid.uuid4().hex,
                    problem=rejected.ui.text("zh"),
                    problems=[p.text("zh") for p in rejected.problems])
    case_id = answer.headers["Location"].rsplit("/", 1)[-1]
    return back_to(f"/cases/{case_id}", "submitted")


@router.get("/department", response_class=HTMLResponse)
def department(request: Request) -> Response:
    """The department's queue: the steps waiting on it, mine first when asked."""
    actor = current_actor(request)
    name = actor.department or ""
    may_see_queue(actor, name)
    mine = request.query_params.get("mine") == "1"
    queue = request.app.state.engine.queue(name, assignee=actor.id if mine else None,
                                           after=request.query_params.get("after"))
    return page(request, "queue.html", queue=queue, department=name, mine=mine)


@router.get("/supervisor", response_class=HTMLResponse)
def supervisor(request: Request) -> Response:
    """The supervisor's board (电子监察): the department's work in warning (yellow) and
    overdue (red), and its whole queue to assign from."""
    actor = current_actor(request)
    name = actor.department or ""
    may_see_alerts(actor, name)
    engine = request.app.state.engine
    since = engine.clock.now().astimezone(SHANGHAI).date() - timedelta(weeks=12)
    return page(request, "supervisor.html", department=name,
                alerts=engine.alerts(name, after=request.query_params.get("after")),
                queue=engine.queue(name), since=since.isoformat(),
                stats=engine.statistics(department=name, since=since, period="week"))


@router.get("/government", response_class=HTMLResponse)
def government(request: Request) -> Response:
    """The head of a government: the cases in progress of the workflows handled jointly under
    it, whose case limit they extend (行政许可法 art. 42(2))."""
    actor = current_actor(request)
    engine = request.app.state.engine
    joint = joint_of(actor, (engine.deployed(i).workflow for i in engine.store.workflow_ids()))
    return page(request, "government.html", lists=[
        (w, engine.search(workflow=w.id, status="in_progress")) for w in joint])


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> Response:
    """The search form (its filters are posted: an ID number never travels in an address)."""
    may_search(current_actor(request))
    return page(request, "search.html", results=None, values={})


@router.post("/search", response_class=HTMLResponse)
def search(request: Request, posted: PostedForm) -> Response:
    """The cases matching the posted filters."""
    actor = current_actor(request)
    filters: dict[str, Any] = {k: str(posted.get(k) or "").strip() or None
                               for k in ("number", "applicant", "workflow", "status")}
    try:
        may_search(actor)
        results = request.app.state.engine.search(**filters)
    except OnethingError as exc:
        return refused(request, exc, "search.html", results=None, values=posted)
    return page(request, "search.html", results=results, values=posted)
