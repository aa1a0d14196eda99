"""The action endpoints: one per thing a person does to a case, each the library's own action
behind the library's own rule of who may take it (docs/roles.md). Every action takes an
``Idempotency-Key`` (a retry gets the first answer and changes nothing) and an optional
``If-Match`` with the case's ETag (on any other version: 412, nothing written; a retry with a
known key is answered first)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from onething.web import bodies
from onething.web.plumbing import ActorDep, EngineDep, IdempotencyKey, IfMatch, acted
from onething.web.schemas import ok

router = APIRouter(prefix="/api/v1/cases/{case_id}", tags=["actions"])
ANSWER = ok("action")


@router.post("/accept", responses=ANSWER)
def accept(case_id: str, engine: EngineDep, actor: ActorDep,
           idempotency_key: IdempotencyKey = None, if_match: IfMatch = None) -> JSONResponse:
    """受理: the lead department's window accepts the case; its clocks start."""
    return acted(engine, case_id, if_match,
                 lambda: engine.accept(case_id, actor, idempotency_key=idempotency_key))


@router.post("/refuse-intake", responses=ANSWER)
def refuse_intake(case_id: str, body: bodies.IntakeRefusal, engine: EngineDep, actor: ActorDep,
                  idempotency_key: IdempotencyKey = None,
                  if_match: IfMatch = None) -> JSONResponse:
    """不予受理: the window refuses the case at intake, with the reason (and where to apply)."""
    return acted(engine, case_id, if_match, lambda: engine.refuse_intake(
        case_id, actor, body.reason, refer_to=body.refer_to, idempotency_key=idempotency_key))


@router.post("/intake-correction", responses=ANSWER)
def intake_correction(case_id: str, body: bodies.IntakeCorrection, engine: EngineDep,
                      actor: ActorDep, idempotency_key: IdempotencyKey = None,
                      if_match: IfMatch = None) -> JSONResponse:
    """一次性告知: the window's one notice of everything missing or wrong at intake."""
    return acted(engine, case_id, if_match, lambda: engine.request_intake_correction(
        case_id, actor, body.items, reason=body.reason, idempotency_key=idempotency_key))


@router.post("/steps/{step}/decide", responses=ANSWER)
def decide(case_id: str, step: str, body: bodies.Decision, engine: EngineDep, actor: ActorDep,
           idempotency_key: IdempotencyKey = None, if_match: IfMatch = None) -> JSONResponse:
    """A department decides its step: approve, refuse (with reasons), request_correction,
    approve_on_commitment, end_special_procedure, or an outcome the step names."""
    return acted(engine, case_id, if_match, lambda: engine.act(
        case_id, step, body.outcome, actor, body.reason, fields=body.fields, item=body.item,
        idempotency_key=idempotency_key))


@router.post("/steps/{step}/send-back", responses=ANSWER)
def send_back(case_id: str, step: str, body: bodies.SendBack, engine: EngineDep,
              actor: ActorDep, idempotency_key: IdempotencyKey = None,
              if_match: IfMatch = None) -> JSONResponse:
    """退回重审: a step after a parallel block sends one of the block's steps back."""
    return acted(engine, case_id, if_match, lambda: engine.send_back(
        case_id, step, actor, to=body.to, reason=body.reason, idempotency_key=idempotency_key))


@router.post("/steps/{step}/special-procedure", responses=ANSWER)
def special_procedure(case_id: str, step: str, body: bodies.SpecialProcedure,
                      engine: EngineDep, actor: ActorDep,
                      idempotency_key: IdempotencyKey = None,
                      if_match: IfMatch = None) -> JSONResponse:
    """特别程序: start a hearing, expert review, ... on the step; its clock pauses."""
    return acted(engine, case_id, if_match, lambda: engine.start_special_procedure(
        case_id, step, actor, kind=body.kind, expected=body.expected, reason=body.reason,
        idempotency_key=idempotency_key))


@router.post("/steps/{step}/verify-commitment", responses=ANSWER)
def verify_commitment(case_id: str, step: str, body: bodies.Verification, engine: EngineDep,
                      actor: ActorDep, idempotency_key: IdempotencyKey = None,
                      if_match: IfMatch = None) -> JSONResponse:
    """告知承诺: confirm the commitment the step was approved on, or find it false (before the
    delivery the case ends with the item's refusal; after it a revocation case opens)."""
    return acted(engine, case_id, if_match, lambda: engine.verify_commitment(
        case_id, step, body.ok, actor, body.reason, idempotency_key=idempotency_key))


@router.post("/steps/{step}/claim", responses=ANSWER)
def claim(case_id: str, step: str, engine: EngineDep, actor: ActorDep,
          idempotency_key: IdempotencyKey = None, if_match: IfMatch = None) -> JSONResponse:
    """An officer takes the step: until released, only they (or a supervisor) decide it."""
    return acted(engine, case_id, if_match, lambda: engine.claim(
        case_id, step, actor, idempotency_key=idempotency_key))


@router.post("/steps/{step}/release", responses=ANSWER)
def release(case_id: str, step: str, engine: EngineDep, actor: ActorDep,
            idempotency_key: IdempotencyKey = None, if_match: IfMatch = None) -> JSONResponse:
    """Let the step go: its holder, or a supervisor of the department."""
    return acted(engine, case_id, if_match, lambda: engine.release(
        case_id, step, actor, idempotency_key=idempotency_key))


@router.post("/steps/{step}/assign", responses=ANSWER)
def assign(case_id: str, step: str, body: bodies.Assignment, engine: EngineDep,
           actor: ActorDep, idempotency_key: IdempotencyKey = None,
           if_match: IfMatch = None) -> JSONResponse:
    """A supervisor gives the step to an officer of the department (or reassigns it)."""
    return acted(engine, case_id, if_match, lambda: engine.assign(
        case_id, step, body.officer, actor, idempotency_key=idempotency_key))


@router.post("/steps/{step}/milestones", responses=ANSWER)
def milestone(case_id: str, step: str, body: bodies.Milestone, engine: EngineDep,
              actor: ActorDep, idempotency_key: IdempotencyKey = None,
              if_match: IfMatch = None) -> JSONResponse:
    """Record a green-channel milestone of the step."""
    return acted(engine, case_id, if_match, lambda: engine.record_milestone(
        case_id, step, body.milestone, actor, body.note, idempotency_key=idempotency_key))


@router.post("/extend", responses=ANSWER)
def extend(case_id: str, body: bodies.Extension, engine: EngineDep, actor: ActorDep,
           idempotency_key: IdempotencyKey = None, if_match: IfMatch = None) -> JSONResponse:
    """延长期限 (行政许可法 art. 42): a supervisor (or, for a jointly handled case, the
    government head) extends the case's limit or a step's."""
    return acted(engine, case_id, if_match, lambda: engine.extend(
        case_id, body.step, body.amount, actor, body.reason, idempotency_key=idempotency_key))


@router.post("/supplement", responses=ANSWER)
def supplement(case_id: str, body: bodies.Supplement, engine: EngineDep, actor: ActorDep,
               idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
               ) -> JSONResponse:
    """补正: the applicant answers a step's correction or the notice at intake, or brings
    promised materials (容缺)."""
    return acted(engine, case_id, if_match, lambda: engine.supplement(
        case_id, actor, step=body.step, fields=body.fields, materials=body.materials,
        idempotency_key=idempotency_key))


@router.post("/withdraw", responses=ANSWER)
def withdraw(case_id: str, engine: EngineDep, actor: ActorDep,
             body: bodies.Reason | None = None, idempotency_key: IdempotencyKey = None,
             if_match: IfMatch = None) -> JSONResponse:
    """撤回: the applicant withdraws the case; it ends with a withdrawal (the body, with a
    reason, is optional)."""
    reason = body.reason if body is not None else ""
    return acted(engine, case_id, if_match, lambda: engine.withdraw(
        case_id, actor, reason, idempotency_key=idempotency_key))


@router.post("/deliver", responses=ANSWER)
def deliver(case_id: str, engine: EngineDep, actor: ActorDep,
            body: bodies.Delivery | None = None, idempotency_key: IdempotencyKey = None,
            if_match: IfMatch = None) -> JSONResponse:
    """统一出件: the lead window makes the case's one delivery (the body, with a method, is
    optional: by default as the form chose)."""
    method = body.method if body is not None else None
    return acted(engine, case_id, if_match, lambda: engine.deliver(
        case_id, actor, method, idempotency_key=idempotency_key))


@router.post("/evaluate", responses=ANSWER)
def evaluate(case_id: str, body: bodies.Rating, engine: EngineDep, actor: ActorDep,
             idempotency_key: IdempotencyKey = None, if_match: IfMatch = None) -> JSONResponse:
    """好差评: the applicant rates the delivered case, once; 1 or 2 opens a rectification."""
    return acted(engine, case_id, if_match, lambda: engine.evaluate(
        case_id, body.rating, actor, body.comment, idempotency_key=idempotency_key))


@router.post("/agents", responses=ANSWER)
def authorize_agent(case_id: str, body: bodies.AgentGrant, engine: EngineDep, actor: ActorDep,
                    idempotency_key: IdempotencyKey = None,
                    if_match: IfMatch = None) -> JSONResponse:
    """帮办代办: the applicant (or the lead window) lets an agent act for the applicant."""
    return acted(engine, case_id, if_match, lambda: engine.authorize_agent(
        case_id, body.agent, actor, idempotency_key=idempotency_key))


@router.post("/erase", responses=ANSWER)
def erase(case_id: str, engine: EngineDep, actor: ActorDep,
          idempotency_key: IdempotencyKey = None, if_match: IfMatch = None) -> JSONResponse:
    """Erase the delivered case's personal data after its retention period (the lead
    department's supervisor)."""
    return acted(engine, case_id, if_match, lambda: engine.erase(
        case_id, actor, idempotency_key=idempotency_key))
