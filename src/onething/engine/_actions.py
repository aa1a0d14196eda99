"""The actions the case net defines (accept, approve, refuse, request_correction, supplement,
withdraw, deliver, the path timers ...): one pure change per action, firing one transition of
the compiled machine and following the case's clocks."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from onething.cases import children, foreach, intake, rework, rules, step_fields
from onething.cases import clocks as clk
from onething.cases import sign_off as sign
from onething.cases import special_procedures as special
from onething.cases.clock_record import keep
from onething.cases.forms import check_correction, clean_material
from onething.cases.records import (
    SYSTEM,
    Actor,
    Case,
    Event,
    StoredMaterial,
    from_jsonable,
)
from onething.engine import _delivering, _promises
from onething.engine import _joint_corrections as _joint
from onething.engine._children import open_children
from onething.engine._refusals import ended, hint_steps
from onething.engine._unit import Change, advance
from onething.errors import ActionRefused, Problem, SubmissionRejected, ValueProblem
from onething.language import conditions as exprs
from onething.language.model import Step, Workflow
from onething.language.step_keys import SignOff
from onething.machine.compile import Fired, NotEnabled
from onething.net.model import Performer, Transition
from onething.net.semantics import form_guard, lazy_form_guard
from onething.privacy.masking import clip

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed

#: department outcomes recorded per step, as the outcome they stand for
OUTCOMES = {"approve": "approve", "approve_on_commitment": "approve", "refuse": "refuse",
            "revoke_commitment": "refuse", "deemed_approval": "approve",
            "send_back": "send_back"}
COMMITMENT_ACTIONS = frozenset({"approve_on_commitment", "revoke_commitment"})
#: decisions that must state their reasons (行政许可法 art. 38): refusing an item, refusing at
#: intake, revoking an approval given on commitment
REASONED = frozenset({"refuse", "refuse_intake", "revoke_commitment"})


TIMER_REASONS = {
    "correction_expired": "the correction was not answered within its limit",
    "promise_expired": "the promised materials did not arrive within the promise (容缺)",
    "deemed_acceptance": "no notice within the intake limit (行政许可法 art. 32): accepted",
    "intake_correction_expired": "the notice at intake (一次性告知) was not answered within its "
                                 "limit: the application is deemed abandoned (视为放弃申请)",
    "deemed_approval": "no decision within the step's limit: deemed approved (逾期未反馈视为同意)",
}


@attrs.frozen
class Wanted:
    """An action as asked for: its name, its step, and (rarely) the exact variant."""

    action: str
    step: str | None = None
    name: str | None = None
    to: str | None = None  # a send-back's step to do again

    @property
    def label(self) -> str:
        """``approve tax``, ``accept``, ``send_back review to fire``."""
        label = f"{self.action} {self.step}" if self.step else self.action
        return f"{label} to {self.to}" if self.to else label


Pick = Callable[[Case], Wanted]


def fixed(action: str, step: str | None = None, to: str | None = None) -> Pick:
    """A pick that always wants ``action`` on ``step`` (a send-back: ``to`` that step)."""
    wanted = Wanted(action, step, to=to)
    return lambda case: wanted


def net_change(engine: EngineContext, pick: Pick, actor: Actor,
               payload: Mapping[str, Any]) -> Callable[[Case, Deployed, datetime], Change]:
    """The change an action makes: pick its transition, authorize, fire it, follow clocks."""
    def change(case: Case, deployed: Deployed, now: datetime) -> Change:
        wanted = pick(case)
        if wanted.action == "supplement" and wanted.step in deployed.workflow.correction_groups:
            if case.ended:
                raise ended(case, "nothing about a delivered case may change")
            supplement = next(t for t in deployed.compiled.net.transitions
                              if t.action == "supplement" and t.step == wanted.step)
            rules.authorize_transition(engine.people, deployed.workflow, supplement, actor, case)
            return _joint.answer(case, deployed, wanted.step, payload,
                                 lambda c, step, p: fire(engine, c, deployed,
                                                         attrs.evolve(wanted, step=step),
                                                         actor, p, now))
        return fire(engine, case, deployed, wanted, actor, payload, now)
    return change


def fire(engine: EngineContext, case: Case, deployed: Deployed, wanted: Wanted, actor: Actor,
         payload: Mapping[str, Any], now: datetime) -> Change:
    """Fire the transition ``wanted`` means on ``case``; refuse what is not possible now."""
    workflow, compiled = deployed.workflow, deployed.compiled
    if case.ended:
        raise ended(case, "nothing about a delivered case may change")
    marking = compiled.marking_of(case.marking)
    transition = _resolve(deployed, wanted, marking, case)
    if transition is None:
        raise ActionRefused(f"'{wanted.label}' is not an action of {workflow.id}",
                            hint_steps(workflow, wanted.step), code="refused.case.no_action",
                            subject=case.id, params={"action": wanted.label[:80]})
    people = engine.people
    rules.authorize_transition(people, workflow, transition, actor, case)
    intake.check(workflow, case, transition.action, payload,
                 lambda: intake_lapsed(engine, deployed, case, now))
    if transition.action in REASONED and transition.actor in (Performer.DEPARTMENT,
                                                              Performer.WINDOW) \
            and not str(payload.get("reason") or "").strip():
        raise ActionRefused(f"'{transition.label}' needs its reasons: a refusal states why "
                            "(行政许可法 art. 38), and the notice gives them with the remedies",
                            "give the reason, e.g. reason='...' or --reason '...'",
                            code="refused.case.reason_missing", subject=case.id,
                            params={"action": transition.label})
    if transition.action == "send_back":
        transition = rework.resolve(workflow, transition, wanted.to, payload.get("reason"),
                                    lambda to: _resolve(deployed, attrs.evolve(wanted, to=to),
                                                        marking, case))
    if transition.action in COMMITMENT_ACTIONS:
        _check_commitment(workflow, transition, case)
    if transition.action == "start_special_procedure":
        kind, expected = special.terms(payload.get("kind"), payload.get("expected"))
    who = people.text(actor)
    # form and materials are replaced, never changed, by the actions that change them
    new = case.replace(outcomes=dict(case.outcomes), updated_at=now,
                       version=case.version + 1)
    data: dict[str, Any] = {}
    sets = _step_sets(workflow, transition, payload)
    if sets:
        data["set"] = sets
    if transition.action == "supplement":
        _apply_fields(workflow, transition, new, payload, data)
    if transition.action == "supplement_material":
        _apply_materials(workflow, new, payload, data)
    elif transition.action == "supplement_intake":
        intake.answer(workflow, case, new, payload, now, data)
    try:
        guard = lazy_form_guard(lambda: {**new.facts(),
                                         **{k: from_jsonable(v) for k, v in sets.items()}})
        fired = _promises.release(deployed, case, new, compiled.fire(marking, transition, guard),
                                  guard)
    except NotEnabled:
        now_ = ", ".join(t.label for t in compiled.enabled(marking, form_guard(case.facts()))
                         if t.actor in _PEOPLE  # not the law's timers nor the engine's moves
                         and t.action != "revoke_commitment")  # done by verify_commitment
        raise ActionRefused(f"'{transition.label}' is not possible now", "possible now: "
                            + (now_ or "nothing"), code="refused.case.not_now", subject=case.id,
                            params={"action": transition.label, "possible": now_}) from None
    votes: list[dict[str, Any]] | None = None
    if payload.get("item") is not None and not (
            transition.action in ("approve", "refuse") and transition.step
            and workflow.step(transition.step).foreach):
        raise ActionRefused(f"'{transition.label}' is not a decision on one item",
                            "an item number goes with approve or refuse of a step that "
                            "declares foreach", code="refused.step.not_by_item",
                            subject=transition.step or "", params={"action": transition.label})
    rule = foreach.round_rule(workflow, transition.step, case.form)
    if rule is not None:
        step = workflow.step(transition.step or "")
        if transition.action in ("approve", "refuse"):
            signer = foreach.signer(step, rule, actor.department or "", who, payload.get("item"),
                                    case.outcomes.get(step.id))
            votes = sign.sign(case.outcomes.get(step.id), rule, step.id, signer,
                              transition.action, who, payload.get("reason") or "")
            if sign.decision((v["vote"] for v in votes), rule) is None:
                return _signed(case, step, rule, votes, who, payload.get("reason") or "", now)
        elif transition.action == "request_correction":
            new.outcomes.pop(step.id, None)  # after the supplement every signer signs again
    if transition.action == "deliver":
        data["method"] = _delivering.delivery_method(workflow, case, payload.get("method"))
    reason = payload.get("reason") or ""
    if reason:
        data["reason"] = reason
    decided = transition.step if transition.step and decides(workflow, transition) else None
    if decided:
        _record_outcome(engine, workflow, transition, new, who, reason, now, data)
    if transition.action == "send_back" and transition.step and transition.to:
        data.update(rework.send_back(workflow, new, transition.step, transition.to))
    if votes is not None:
        assert rule is not None and transition.step is not None
        new.outcomes[transition.step] = {**new.outcomes[transition.step], "sign_offs": votes}
        data.update(sign.tally(votes, rule))
        data["signer"] = votes[-1]["signer"]  # the sign-off, or the item, that decided it
        data["cancelled"] = sign.outstanding(votes, rule)
    moved = [t.name for t in fired.transitions[1:]]
    if moved:
        data["then"] = moved
    new.marking = compiled.names_of(fired.marking)
    kinds = [t.delivers for t in fired.transitions if t.delivers is not None]
    follow_clocks(engine, deployed, case, new, fired, now, data, delivering=bool(kinds))
    intake.certify(workflow, case, new, transition.action, payload, deployed.policy,
                   engine.calendar, now, data)
    if transition.step and transition.action == "start_special_procedure":
        data["special_procedure"] = special.start(new.clocks, transition.step, kind, expected,
                                                  now, engine.calendar, deployed.policy)
    elif transition.step and transition.action == "end_special_procedure":
        data["special_procedure"] = special.end(new.clocks, transition.step, now,
                                                engine.calendar, deployed.policy)
    if transition.action == "supplement" and "notice_at" in new.clocks.get(transition.step or "",
                                                                            {}):
        clk.own(new.clocks, transition.step or "").pop("notice_at")  # answered
    seq = case.events
    events = [Event(seq + 1, now, transition.action or transition.name, who,
                    transition.step, data)]
    if workflow.correction_groups:
        events += [Event(seq + 1 + i, now, *entry)
                   for i, entry in enumerate(_joint.notices(deployed, case, new, now), start=1)]
    created, opened = open_children(engine, deployed, case, new, now, decided)
    events += [Event(seq + len(events) + i, now, *entry)
               for i, entry in enumerate(opened, start=1)]
    delivery = None
    if kinds:
        delivery = _delivering.delivery(deployed, case, new, kinds[0].value, transition,
                                        data.get("method"), reason, now)
        new.delivery_kind = delivery.kind
        events.append(Event(seq + len(events) + 1, now, "delivered", str(SYSTEM), None,
                            {"kind": delivery.kind, "delivery": delivery.id,
                             "items": list(delivery.items), "method": delivery.method}))
    new.events = seq + len(events)
    return Change(new, events, delivery, tuple(created))


def intake_lapsed(engine: EngineContext, deployed: Deployed, case: Case, now: datetime) -> bool:
    """Whether the window's time to answer the application (``intake_notice_within``) has
    passed: the application then counts as accepted from its receipt (行政许可法 art. 32)."""
    return intake.lapsed(case, deployed.policy, engine.calendar, now)



def decides(workflow: Workflow, transition: Transition) -> bool:
    """Whether ``transition`` decides its step (approve, refuse, a named outcome, ...)."""
    if transition.action in OUTCOMES:
        return True
    return bool(transition.step and transition.action
                and workflow.step(transition.step).outcome(transition.action))


def _step_sets(workflow: Workflow, transition: Transition,
               payload: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the step sets with this decision (only a decision that goes on sets)."""
    given = payload.get("sets")
    if transition.step is None or transition.actor is not Performer.DEPARTMENT:
        return {}
    goes_on = transition.action in ("approve", "approve_on_commitment") or \
        workflow.step(transition.step).outcome(transition.action or "") is not None
    if not goes_on:
        if given:
            raise ActionRefused(f"only a decision that goes on past '{transition.step}' sets "
                                "its fields", "give fields with approve or a named outcome",
                                code="refused.step.sets_ending", subject=transition.step)
        return {}
    return step_fields.clean_sets(workflow.step(transition.step), transition.action or "",
                                  given)


def _signed(case: Case, step: Step, rule: SignOff, votes: list[dict[str, Any]], who: str,
            reason: str, now: datetime) -> Change:
    """A sign-off (or one item's decision) that does not decide the step yet: recorded,
    nothing else moves."""
    outcomes = dict(case.outcomes)
    outcomes[step.id] = {"outcome": sign.SIGNING, "sign_offs": votes}
    data: dict[str, Any] = {"vote": votes[-1]["vote"], "signer": votes[-1]["signer"],
                            **sign.tally(votes, rule)}
    if reason:
        data["reason"] = reason
    return advance(case, now, ("signed_off", who, step.id, data), outcomes=outcomes)


def _record_outcome(engine: EngineContext, workflow: Workflow, transition: Transition, new: Case,
                    who: str, reason: str, now: datetime, data: dict[str, Any]) -> None:
    step_id = transition.step
    assert step_id is not None
    outcome = OUTCOMES.get(transition.action or "", transition.action or "")
    record: dict[str, Any] = {"outcome": outcome, "reason": reason, "by": sys.intern(who)}
    if transition.action in ("approve", "refuse") and not reason and "set" not in data:
        record = _shared(record)  # records are replaced, never changed: equal ones are one
    if "set" in data:
        record["set"] = data["set"]
    before = new.outcomes.get(step_id) or {}
    signed_before = sign.signed(before)
    if "set" not in record and before.get("set"):
        record = {**record, "set": before["set"]}  # a revocation keeps what was set
    new.outcomes[step_id] = record
    if transition.action == "approve_on_commitment":
        record.update(commitment_terms(engine, workflow.step(step_id), now))
        if "verify_by" in record:
            data["verify_by"] = record["verify_by"]
    if transition.action == "revoke_commitment":
        record["commitment"] = "revoked"
    if transition.action == "send_back":
        record["to"] = transition.to
    if transition.action == "deemed_approval":
        record["deemed"] = True
        if signed_before:  # the round half signed when the limit passed stays on record
            record["sign_offs"] = signed_before
    if outcome == "approve":
        new.produced = _one_tuple(tuple(dict.fromkeys([*new.produced,
                                                       *workflow.step(step_id).produces])))


def _one_tuple(items: tuple[str, ...]) -> tuple[str, ...]:
    """``items``, as one tuple for every case that produced the same (a workflow's cases
    produce a few sequences of items, not one each)."""
    found = _PRODUCED.get(items)
    return found if found is not None else keep(_PRODUCED, items, items)


_PRODUCED: dict[tuple[str, ...], tuple[str, ...]] = {}


def follow_clocks(engine: EngineContext, deployed: Deployed, case: Case, new: Case, fired: Fired,
                  now: datetime, data: dict[str, Any], *, delivering: bool) -> None:
    """Start, pause, resume and stop clocks as the action moved the case (``delivering``:
    one of the fired transitions delivers it)."""
    new.clocks = dict(case.clocks)  # copy on write: clk.follow copies what it changes
    before = deployed.positions(case.marking)
    after = deployed.positions(new.marking)
    taken = {t.action for t in fired.transitions}
    deemed = "deemed_acceptance" in taken
    accepting = deemed or "accept" in taken
    # 行政许可法 art. 32: an application the window did not answer in time counts as accepted
    # from the day its materials were received: the organ's limit (the case clock) counts from
    # then, whoever accepts it after that; a department's own clock starts when it has the case
    start = intake.received(case) if accepting and case.created_at is not None \
        and (deemed or intake_lapsed(engine, deployed, case, now)) else now
    changes = clk.follow(new.clocks, before, after, now, deployed.limits, deployed.policy)
    decided = fired.transitions[0]
    if decides(deployed.workflow, decided) and decided.step in after and decided.step in before:
        # a decision that jumps back to its own step is a new visit: a new clock (its
        # limits, escalations and any deemed approval count from now)
        new.clocks[decided.step] = clk.new_clock(now, *deployed.limits[decided.step])
        changes.append((decided.step, "started"))
    green = deployed.workflow.green_channel
    if new.priority and green is not None:
        for key, what in changes:
            if what in ("started", "restarted") and key != clk.CASE:
                new.clocks[key]["milestones"] = {name: None for name, _ in green.milestones}
    if accepting:
        new.accepted_at = now  # when it was accepted in fact: a promise counts from then
        new.calendar_version = engine.calendar.data_version
        limit = deployed.workflow.time_limit
        new.clocks[clk.CASE] = clk.new_clock(
            start, limit.committed if limit else None, limit.statutory if limit else None)
        changes.append((clk.CASE, "started"))
        _promises.note_acceptance(new)
        if start != now:
            data["accepted_as_of"] = start.isoformat()
    if "ready" in new.marking and "ready" not in case.marking:
        changes += clk.decided(new.clocks, now, deployed.policy.deliver_within)
    waiting = "materials:promised" in new.marking  # 容缺: no result before the material
    own = new.clocks.get(clk.DELIVERY)
    if own is not None and own.finished is None and waiting != (own.paused_since
                                                                   is not None):
        if waiting:
            clk.pause(clk.own(new.clocks, clk.DELIVERY), now, "waiting on promised materials")
        else:
            clk.resume(clk.own(new.clocks, clk.DELIVERY), now, restart=False)
        changes.append((clk.DELIVERY, "paused for promised materials" if waiting
                        else "resumed"))
    if delivering:
        for key, clock in new.clocks.items():
            if clock.finished is None:
                clk.finish(clk.own(new.clocks, key), now)
    else:
        clk.follow_case(new.clocks, after, now)
    if changes:
        data["clocks"] = [f"{key} {what}" for key, what in changes]


def _resolve(deployed: Deployed, wanted: Wanted, marking: int, case: Case) -> Transition | None:
    """The transition meant by an action: the enabled one if any, else any match."""
    matching = [t for t in deployed.actions.get((wanted.action, wanted.step), ())
                if wanted.name is None or t.name == wanted.name]
    if wanted.to is not None:  # a send-back to a step it does not name is refused later
        matching = [t for t in matching if t.to == wanted.to] or matching
    if len(matching) <= 1:
        return matching[0] if matching else None
    return deployed.compiled.semantics.first_enabled(marking, lazy_form_guard(case.facts),
                                                     matching) or matching[0]


def _apply_fields(workflow: Workflow, transition: Transition, case: Case,
                  payload: Mapping[str, Any], data: dict[str, Any]) -> None:
    fields = payload.get("fields") or {}
    # one answer to a block's notice may change what any of the steps that asked read
    outside = sorted(str(n) for n in set(fields) - set(transition.rewrites)
                     - set(payload.get("answers_for") or ()))
    if outside:
        raise ActionRefused(
            f"a correction of '{transition.step}' may change only what the step reads",
            f"'{', '.join(clip(n, 40) for n in outside)}' is not read by '{transition.step}'",
            code="refused.step.correction_unread", subject=transition.step or "",
            params={"names": ", ".join(clip(n, 40) for n in outside)})
    merged = {**case.form, **fields}
    brought = {k: v for k, v in (payload.get("materials") or {}).items() if v}
    clean, problems = check_correction(workflow.form, merged, {**case.materials, **brought},
                                       tuple(case.promised))
    if clean is None:
        raise SubmissionRejected(problems)
    _promises.keep(case, clean.promised, data)
    restarted = foreach.after_supplement(workflow, case.form, clean.form, case.outcomes)
    if restarted:
        data["rounds_restarted"] = restarted
    materials = {**case.materials, **clean_materials(payload.get("materials") or {})}
    if workflow.opening_steps:
        children.check_unchanged(workflow, case.outcomes, {**case.materials, **case.form},
                                 {**materials, **clean.form})
    case.form = clean.form
    case.materials = materials
    data["fields"] = sorted(fields)
    data["materials"] = sorted(payload.get("materials") or {})


#: who does a transition a person may be told to do
_PEOPLE = (Performer.WINDOW, Performer.DEPARTMENT, Performer.APPLICANT)


def _apply_materials(workflow: Workflow, case: Case, payload: Mapping[str, Any],
                     data: dict[str, Any]) -> None:
    given = clean_materials({k: v for k, v in (payload.get("materials") or {}).items() if v})
    missing = [m for m in case.promised if m not in given]
    if missing:  # named as the form names them (their labels), the ids in the English hint
        labels = [(spec.label if (spec := workflow.form.material(m)) else "") or m
                  for m in missing]
        raise ActionRefused("the promised materials are not all here",
                            "still missing: " + ", ".join(missing), subject=case.id,
                            code="refused.case.promised_missing",
                            params={"missing": "、".join(labels)})
    case.materials = {**case.materials, **given}
    data["materials"] = sorted(given)
    case.promised = ()


def clean_materials(given: Mapping[str, Any]) -> dict[str, StoredMaterial]:
    """Brought materials as the case stores them (reference and hash), every problem at once."""
    out, problems = {}, []
    for name, raw in given.items():
        try:
            out[name] = clean_material(raw)
        except ValueProblem as problem:
            problems.append(Problem.of_value(clip(name, 80), problem))
    if problems:
        raise SubmissionRejected(problems)
    return out


def _check_commitment(workflow: Workflow, transition: Transition, case: Case) -> None:
    assert transition.step is not None  # a commitment is a step's
    step = workflow.step(transition.step)
    if transition.action == "revoke_commitment":
        if not pending_commitment(case, step.id):
            raise ActionRefused(f"step '{step.id}' has no commitment awaiting "
                                "verification", "only an approval on commitment can be "
                                "revoked, and only once", code="refused.step.no_commitment",
                                subject=step.id)
        return
    terms = step.commitment
    if terms is not None and terms.when is not None \
            and not exprs.evaluate(terms.when.expr, case.facts()):
        raise ActionRefused(f"this applicant may not commit for '{step.id}': "
                            f"{terms.when.text} does not hold",
                            "decide with approve (or refuse) after the full review",
                            code="refused.step.commitment_refused", subject=step.id,
                            params={"condition": terms.when.text})


def commitment_terms(engine: EngineContext, step: Step, now: datetime) -> dict[str, Any]:
    """What an approval on commitment records: pending, and the verify-by date."""
    terms: dict[str, Any] = {"commitment": "pending"}
    within = step.commitment.verify_within if step.commitment else None
    if within is not None:
        terms["verify_by"] = engine.calendar.add(now, within).deadline.isoformat()
    return terms


def pending_commitment(case: Case, step: str | None) -> bool:
    """True while ``step`` was approved on commitment and not yet verified."""
    return bool(step) and case.outcomes.get(step or "", {}).get("commitment") == "pending"


_SHARED: dict[tuple[str, str], dict[str, Any]] = {}


def _shared(record: dict[str, Any]) -> dict[str, Any]:
    """One object for each (outcome, actor) without a reason: most steps' records."""
    key = (record["outcome"], record["by"])
    if len(_SHARED) >= 4096 and key not in _SHARED:
        return record
    return _SHARED.setdefault(key, record)
