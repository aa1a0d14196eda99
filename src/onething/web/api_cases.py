"""The case endpoints: submit one form, and read a case — where it stands, what the reader may
see of its form, its history, its status events and its written notices. Every read is the
library's, behind the library's rule of who may read (docs/roles.md)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse

from onething.web.bodies import Submission
from onething.web.plumbing import ActorDep, EngineDep, IdempotencyKey, answer, etag
from onething.web.schemas import ok

router = APIRouter(prefix="/api/v1", tags=["cases"])


@router.post("/cases", status_code=201, responses={**ok("submitted", 201)})
def submit(body: Submission, engine: EngineDep, actor: ActorDep,
           idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Submit one form (一表申请). Every problem of the form is answered at once (一次告知):
    422 with ``problems``. The applicant submits their own; a window clerk of the lead
    department or an agent submits for ``applicant``."""
    case = engine.submit(body.workflow, body.form, body.materials, actor=actor,
                         applicant=body.applicant, version=body.version,
                         idempotency_key=idempotency_key)
    return answer({"accepted": True, "case": case.id},
                  status=201, headers={"Location": f"/api/v1/cases/{case.id}",
                                       "ETag": etag(case.revision)})


@router.get("/cases/{case_id}", responses={**ok("status")})
def case_summary(case_id: str, engine: EngineDep, actor: ActorDep) -> JSONResponse:
    """Where the case stands (``Engine.summary``): status, the steps it waits on with their
    departments and holders, corrections, promises, commitments, clocks, and every action
    possible now with who may take it. No form value. Its ETag is the case's version."""
    engine.readable(case_id, actor)
    summary = engine.summary(case_id)
    return answer(summary.to_json(), headers={"ETag": etag(summary.case_version)})


@router.get("/cases/{case_id}/form", responses={**ok("view")})
def case_form(case_id: str, engine: EngineDep, actor: ActorDep) -> JSONResponse:
    """What the reader may see of the case's form and materials (``Engine.view``): a
    department sees what its steps read; personal values masked."""
    from onething.cases.forms import view_json

    seen = engine.view(case_id, actor)
    case = engine.case(case_id)
    workflow = engine.deployed(case.workflow_id, case.workflow_version).workflow
    return answer(view_json(case_id, workflow, seen))


@router.get("/cases/{case_id}/history", responses={**ok("history")})
def case_history(case_id: str, engine: EngineDep, actor: ActorDep) -> JSONResponse:
    """Every event of the case, in order (who did what, when; masked)."""
    engine.readable(case_id, actor)
    return answer([e.to_json() for e in engine.history(case_id)])


@router.get("/cases/{case_id}/events", responses={**ok("events")})
def case_events(case_id: str, engine: EngineDep, actor: ActorDep,
                after: int = Query(0, ge=0, description="only events after this seq")
                ) -> JSONResponse:
    """The case's status events (办件状态, GB/T 39554-style codes) after ``after``: the feed
    a portal polls; nothing personal in them."""
    engine.readable(case_id, actor)
    return answer([e.to_json() for e in engine.status_events(case_id) if e.seq > after])


@router.get("/cases/{case_id}/notices", responses={**ok("notices")})
def case_notices(case_id: str, engine: EngineDep, actor: ActorDep) -> JSONResponse:
    """The case's written notices (文书: 受理通知书, 一次性补正告知书, ...) the reader may read."""
    return answer([d.to_json() for d in engine.notices(case_id, actor)])


@router.get("/cases/{case_id}/notices/{number}", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}}, "description": "the notice"}})
def case_notice(case_id: str, number: str, engine: EngineDep, actor: ActorDep,
                lang: str = Query("zh", pattern="^(zh|en)$")) -> HTMLResponse:
    """Notice ``number`` as one HTML page with an A4 print stylesheet."""
    return HTMLResponse(engine.notice(case_id, number, actor, lang=lang))


@router.get("/cases/{case_id}/lookup-code", responses={**ok("lookup_code")})
def case_lookup_code(case_id: str, engine: EngineDep, actor: ActorDep) -> JSONResponse:
    """The lookup code (查询码) printed on the acceptance notice, for the lead window to hand
    over and the applicant to keep (``Engine.lookup_code_for``)."""
    return answer({"case": case_id, "lookup_code": engine.lookup_code_for(case_id, actor)})


@router.get("/cases/{case_id}/supervision", responses={**ok("supervision")})
def case_supervision(case_id: str, engine: EngineDep, actor: ActorDep) -> JSONResponse:
    """The case's 电子监察 records: per clock, its limits, due dates, working days used and
    its state (normal, warning, overdue, paused, met, late)."""
    engine.readable(case_id, actor)
    return answer([r.to_json() for r in engine.supervision(case_id)])
