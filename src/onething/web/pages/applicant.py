"""The applicant's pages, made for a phone: the progress lookup by case number and the lookup
code printed on the acceptance notice (no sign-in: read only), and, signed in through the
host, their own cases — where each acts (supplement, withdraw, rate) on its case page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from onething.cases.records import Role
from onething.cases.rules import actor_param
from onething.cases.timeline import describe
from onething.errors import NotAuthorized, OnethingError
from onething.web.api_hall import LOOKUP_READER, looked_up
from onething.web.pages.forms import posted_text
from onething.web.pages.render import PostedForm, page, refused
from onething.web.plumbing import current_actor
from onething.web.problems import HttpProblem

router = APIRouter(include_in_schema=False)


@router.get("/lookup", response_class=HTMLResponse)
def lookup_form(request: Request) -> Response:
    """The lookup form: the case number and the lookup code."""
    return page(request, "lookup.html", found=None, values={})


@router.post("/lookup", response_class=HTMLResponse)
def lookup(request: Request, posted: PostedForm) -> Response:
    """The case's progress — where it stands, what is missing and by when, the timeline of
    its status, its notices — when the number and the code match (the API's lookup, with its
    attempt limit)."""
    case_id, code = posted_text(posted.get("case")), posted_text(posted.get("code"))
    engine = request.app.state.engine
    try:
        looked_up(engine, request, case_id[:64], code[:32])
    except (OnethingError, HttpProblem) as exc:
        return refused(request, exc, "lookup.html", found=None, values={"case": case_id})
    timeline = [(e, describe(e)) for e in engine.history(case_id)
                if e.action != "refused_attempt"]
    summary = engine.summary(case_id)
    return page(request, "lookup.html", found=True, summary=summary,
                workflow=engine.deployed(summary.workflow_id, summary.version).workflow,
                timeline=timeline, values={"case": case_id}, code=code,
                notices=engine.notices(case_id, LOOKUP_READER))


@router.post("/lookup/notice", response_class=HTMLResponse)
def lookup_notice(request: Request, posted: PostedForm) -> Response:
    """A notice of a looked-up case, printable, personal values masked: the number and code
    are posted again (never in the address, which browsers and logs keep) and checked as a
    lookup, under the same attempt limit."""
    case_id, code = posted_text(posted.get("case")), posted_text(posted.get("code"))
    engine = request.app.state.engine
    try:
        looked_up(engine, request, case_id[:64], code[:32])
        return HTMLResponse(engine.notice(case_id, posted_text(posted.get("number")),
                                          LOOKUP_READER))
    except (OnethingError, HttpProblem) as exc:
        return refused(request, exc, "lookup.html", found=None, values={"case": case_id})


@router.get("/my", response_class=HTMLResponse)
def my_cases(request: Request) -> Response:
    """The signed-in applicant's cases, newest first (an applicant's only: anybody else's id
    is not an applicant's identity)."""
    actor = current_actor(request)
    if actor.role is not Role.APPLICANT:
        raise NotAuthorized(f"only an applicant has a list of their own cases ({actor} has "
                            "none)", code="refused.case.not_searcher",
                            params={"actor": actor_param(actor)})
    found = request.app.state.engine.search(applicant=actor.id)
    return page(request, "my.html", cases=found)
