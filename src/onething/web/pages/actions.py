"""A page's action form, taken by the API's own endpoint function: the posted fields become
the endpoint's body, the page's version its ``If-Match`` and the form's one-time key its
``Idempotency-Key`` (a form posted twice, by a double click or a refresh, acts once)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
from pydantic import BaseModel, ValidationError

from onething.messages.catalog import Message
from onething.web import api_actions, bodies
from onething.web.pages.forms import form_values, material_values, posted_text
from onething.web.problems import HttpProblem, request_errors

if TYPE_CHECKING:
    from onething.cases.records import Actor
    from onething.engine.engine import Engine
    from onething.language.model import Workflow

Posted = Mapping[str, Any]


@attrs.frozen
class PageAction:
    """An endpoint function of the API and how a posted form becomes its body."""

    endpoint: Callable[..., Any]
    body: Callable[[Posted, Workflow], BaseModel] | None = None


def _reason(posted: Posted) -> str:
    return posted_text(posted.get("reason"))


def _items(posted: Posted) -> dict[str, str]:
    chosen = posted.get("item") or []
    names = [chosen] if isinstance(chosen, str) else list(chosen)
    return {name: posted_text(posted.get(f"why.{name}")) or "需补正" for name in names}


def _rating(posted: Posted) -> int:
    text = posted_text(posted.get("rating"))
    return int(text) if text.isdigit() and len(text) < 3 else 0  # 0: refused as out of range


def _supplement(posted: Posted, workflow: Workflow) -> BaseModel:
    return bodies.Supplement(step=posted_text(posted.get("step")) or None,
                             fields=form_values(workflow, posted) or None,
                             materials=material_values(workflow, posted) or None)


def _decision(outcome: str) -> PageAction:
    return PageAction(api_actions.decide, lambda p, w: bodies.Decision(
        outcome=outcome, reason=_reason(p)))


ACTIONS: dict[str, PageAction] = {
    "accept": PageAction(api_actions.accept),
    "refuse_intake": PageAction(api_actions.refuse_intake, lambda p, w: bodies.IntakeRefusal(
        reason=_reason(p), refer_to=posted_text(p.get("refer_to")) or None)),
    "request_intake_correction": PageAction(
        api_actions.intake_correction,
        lambda p, w: bodies.IntakeCorrection(items=_items(p), reason=_reason(p))),
    "send_back": PageAction(api_actions.send_back, lambda p, w: bodies.SendBack(
        to=posted_text(p.get("to")) or None, reason=_reason(p))),
    "start_special_procedure": PageAction(
        api_actions.special_procedure, lambda p, w: bodies.SpecialProcedure(
            kind=posted_text(p.get("kind")), expected=posted_text(p.get("expected")),
            reason=_reason(p))),
    "verify_commitment": PageAction(api_actions.verify_commitment,
                                    lambda p, w: bodies.Verification(
                                        ok=posted_text(p.get("ok")) == "true", reason=_reason(p))),
    "claim": PageAction(api_actions.claim),
    "release": PageAction(api_actions.release),
    "assign": PageAction(api_actions.assign, lambda p, w: bodies.Assignment(
        officer=posted_text(p.get("officer")))),
    "record_milestone": PageAction(api_actions.milestone, lambda p, w: bodies.Milestone(
        milestone=posted_text(p.get("milestone")), note=posted_text(p.get("note")))),
    "extend": PageAction(api_actions.extend, lambda p, w: bodies.Extension(
        amount=posted_text(p.get("amount")), step=posted_text(p.get("step")) or None,
        reason=_reason(p))),
    "supplement": PageAction(api_actions.supplement, _supplement),
    "supplement_intake": PageAction(api_actions.supplement, _supplement),
    "supplement_material": PageAction(api_actions.supplement, _supplement),
    "withdraw": PageAction(api_actions.withdraw, lambda p, w: bodies.Reason(reason=_reason(p))),
    "deliver": PageAction(api_actions.deliver, lambda p, w: bodies.Delivery(
        method=posted_text(p.get("method")) or None)),
    "evaluate": PageAction(api_actions.evaluate, lambda p, w: bodies.Rating(
        rating=_rating(p), comment=posted_text(p.get("comment")))),
    "authorize_agent": PageAction(api_actions.authorize_agent, lambda p, w: bodies.AgentGrant(
        agent=posted_text(p.get("agent")))),
}
#: a department's decisions on its step (any other name: an outcome the step names)
DECISIONS = ("approve", "refuse", "request_correction", "approve_on_commitment",
             "end_special_procedure")


def take(engine: Engine, actor: Actor, case_id: str, action: str, posted: Posted,
         workflow: Workflow) -> Any:
    """Take ``action`` on the case as the posted form says, through the API's endpoint."""
    chosen = ACTIONS.get(action) or _decision(action)
    arguments: dict[str, Any] = {
        "case_id": case_id, "step": posted_text(posted.get("step")), "engine": engine,
        "actor": actor, "idempotency_key": posted_text(posted.get("key")) or None,
        "if_match": f'"{posted_text(posted.get("version"))}"' if posted_text(posted.get("version"))
        else None}
    if chosen.body is not None:
        try:
            arguments["body"] = chosen.body(posted, workflow)
        except ValidationError as exc:
            errors = request_errors(exc.errors())
            raise HttpProblem(422, Message("invalid.case.request", params={
                "detail": "; ".join(".".join(e["loc"]) + ": " + e["msg"] for e in errors)})
                              ) from None
    wanted = inspect.signature(chosen.endpoint).parameters
    return chosen.endpoint(**{k: v for k, v in arguments.items() if k in wanted})
