"""What may still happen after a delivery and open a linked case: the 好差评 rating (a bad one
opens a rectification) and the later verification of a 告知承诺 commitment (a false one opens a
revocation, or — before the delivery — ends the case with the item's refusal).

A follow-up case is built inside the change and committed in the same transaction as the event
that opens it (:mod:`onething.engine._unit`): two concurrent ratings or verifications, or a
retry after a crash, never open two.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from onething.cases import rules
from onething.cases.records import SYSTEM, Actor, Case
from onething.engine import _unit
from onething.engine._actions import Wanted, fire, pending_commitment
from onething.engine._deployments import Deployed, shipped_data
from onething.engine._refusals import ended_message, not_a_step
from onething.engine._submission import build
from onething.engine._unit import Change, NewCase, advance, request_key
from onething.errors import ActionRefused, CaseEnded, InvalidArgument
from onething.privacy.masking import clip, mask_text

if TYPE_CHECKING:
    from onething.engine._context import EngineContext

#: the longest comment or reason accepted (a rating's comment, a revocation's reason)
MAX_TEXT = 2_000

RATINGS = "5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意"


def free_text(text: object, what: str) -> str:
    """Text people type (a comment, a reason), masked; refused when it is not text or too
    long."""
    if not isinstance(text, str):
        raise InvalidArgument(f"{what} is text, not {type(text).__name__}")
    if len(text) > MAX_TEXT:  # what a person typed: a refusal they read, in their language
        raise ActionRefused(f"{what} of {len(text):,} characters is too long",
                            f"at most {MAX_TEXT:,}", code="refused.case.text_too_long",
                            params={"length": len(text), "most": MAX_TEXT})
    return mask_text(text.encode("utf-8", "replace").decode("utf-8")
                     if any("\ud800" <= ch <= "\udfff" for ch in text) else text)


def _follow_up_deployed(engine: EngineContext, workflow_id: str, file: str) -> Deployed:
    if engine.store.latest_version(workflow_id) is None:
        engine.deploy(shipped_data(file))
    return engine.deployed(workflow_id)


def evaluate(engine: EngineContext, case_id: str, rating: int, actor: Actor, comment: str,
             idempotency_key: str | None, now: datetime | None) -> Case:
    """好差评: rate a delivered case once; a rating of 1 or 2 opens a rectification case."""
    if isinstance(rating, bool) or not isinstance(rating, int):
        raise InvalidArgument(f"a rating is a whole number 1 to 5, not "
                              f"{type(rating).__name__}", RATINGS)
    if not 1 <= rating <= 5:
        raise ActionRefused(f"a rating is 1 to 5, got {rating}", RATINGS,
                            code="refused.case.rating_range", subject=case_id,
                            params={"rating": rating})
    comment = free_text(comment, "a comment")
    who = engine.people.text(actor)
    key = request_key(idempotency_key, "evaluate", case_id, rating, comment, who)
    rectification = _follow_up_deployed(engine, "rectification", "rectification.yaml") \
        if rating <= 2 else None

    def change(case: Case, deployed: Deployed, at: datetime) -> Change:
        if not case.ended:
            raise ActionRefused("a case is rated after its delivery",
                                code="refused.case.rating_early", subject=case.id)
        rules.authorize_rating(engine.people, actor, case)
        if case.rating is not None:
            raise ActionRefused("this case has been rated already (一事一评)",
                                code="refused.case.rated_already", subject=case.id)
        data: dict[str, Any] = {"rating": rating}
        if comment:
            data["comment"] = comment
        opened: tuple[NewCase, ...] = ()
        if rectification is not None:
            follow_up = build(engine, rectification, {
                "original_case": case.id, "department": deployed.workflow.lead,
                "rating": rating, "comment": comment}, None, who=str(SYSTEM),
                applicant=case.applicant, now=at, origin=case.id)
            data["follow_up"] = follow_up.case.id
            opened = (follow_up,)
        step = advance(case, at, ("evaluated", who, None, data), rating=rating,
                       follow_ups=case.follow_ups + tuple(c.case.id for c in opened))
        return Change(step.case, step.events, None, opened)

    rated = _unit.run(engine, case_id, change, key=key, now=now,
                             attempt=("evaluate", None, who))
    assert rated is not None
    return engine.store.load(rated.follow_ups[-1]) if rating <= 2 and rated.follow_ups \
        else rated


def verify_commitment(engine: EngineContext, case_id: str, step: str, ok: bool, actor: Actor,
                      reason: str, idempotency_key: str | None,
                      now: datetime | None) -> Case:
    """告知承诺制: confirm a commitment, or revoke it — before the delivery as the item's
    refusal (the case's one delivery), after a delivered result by a linked revocation case
    (returned)."""
    if not isinstance(ok, bool):
        raise InvalidArgument("ok is True (confirmed) or False (the commitment was false)")
    reason = free_text(reason, "a reason")
    if not ok and not reason.strip():
        raise ActionRefused("a revocation needs the reason (what did not match the "
                            "commitment)", "pass reason=...",
                            code="refused.step.revocation_reason", subject=clip(step, 40))
    who = engine.people.text(actor)
    key = request_key(idempotency_key, "verify", case_id, who, step, ok, reason)
    revocation = None if ok else _follow_up_deployed(engine, "revocation", "revocation.yaml")

    def change(case: Case, deployed: Deployed, at: datetime) -> Change:
        workflow = deployed.workflow
        if step not in {s.id for s in workflow.iter_steps()}:
            raise not_a_step(workflow, step)
        rules.authorize_step_department(workflow, step, actor, "verifies the commitment")
        if not ok and not case.ended:
            return fire(engine, case, deployed, Wanted("revoke_commitment", step), actor,
                        {"reason": reason}, at)
        if not pending_commitment(case, step):
            raise ActionRefused(f"step '{step}' has no commitment awaiting verification",
                                "a commitment is verified once, after approve_on_commitment",
                                code="refused.step.no_commitment", subject=step)
        if case.ended and case.delivery_kind != "result":
            raise CaseEnded(ended_message(case) + "; there is no approval to verify",
                            code="refused.case.nothing_to_verify", subject=case.id,
                            params={"ended_by": case.delivery_kind or ""})
        outcomes = dict(case.outcomes)
        outcomes[step] = {**outcomes[step], "commitment": "confirmed" if ok else "revoked"}
        data: dict[str, Any] = {"ok": ok}
        if reason:
            data["reason"] = reason
        opened: tuple[NewCase, ...] = ()
        if not ok:
            assert revocation is not None
            follow_up = build(engine, revocation, {
                "original_case": case.id, "step": step,
                "department": workflow.step(step).department, "reason": reason,
                "found_by": who}, None, who=str(SYSTEM), applicant=case.applicant, now=at,
                origin=case.id)
            data["follow_up"] = follow_up.case.id
            opened = (follow_up,)
        action = "commitment_confirmed" if ok else "commitment_revoked"
        moved = advance(case, at, (action, who, step, data), outcomes=outcomes,
                        follow_ups=case.follow_ups + tuple(c.case.id for c in opened))
        return Change(moved.case, moved.events, None, opened)

    verified = _unit.run(engine, case_id, change, key=key, now=now,
                                attempt=("verify_commitment", step, who))
    assert verified is not None
    if not ok and verified.ended and verified.follow_ups and \
            verified.delivery_kind == "result":
        return engine.store.load(verified.follow_ups[-1])
    return verified


def notice_items(items: object) -> dict[str, str]:
    """A notice's items as names and what is wrong with each (masked free text)."""
    if isinstance(items, str) or not isinstance(items, Mapping | Iterable):
        raise InvalidArgument("items name materials and fields: a mapping of names to what "
                              "is wrong, or a list of names", "e.g. {'premises_layout': "
                              "'缺少平面图'}")
    pairs = items.items() if isinstance(items, Mapping) else ((n, "") for n in items)
    out = {}
    for name, what in pairs:
        if not isinstance(name, str):
            raise InvalidArgument(f"an item is named by its name, not a {type(name).__name__}")
        if name in out:  # one entry per item: a second would silently replace the first
            raise InvalidArgument(f"the notice names {clip(name, 40)!r} twice",
                                  "say everything wrong with an item in its one entry")
        out[name] = free_text(what or "", f"what is wrong with {clip(name, 40)!r}")
    return out
