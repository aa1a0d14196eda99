"""A case summary (:meth:`onething.Engine.summary`): where a case stands, gathered from where
each fact lives — the case's marking and outcomes, its clocks, the path timers (the answer-by
dates of corrections and the notice at intake, the law's own dates), the history (what a
correction asked) — and named in Chinese from the workflow (titles, department names).

The actions listed are those possible now, one per action and step, without the engine's
timers, each with everyone who may take it, as :mod:`onething.cases.rules` decides it: the
case net's enabled actions (less what the law refuses at this moment: a refusal or a notice
at intake once the window's time has passed) and the actions around the net — verifying a
commitment, extending a limit, recording a green-channel milestone, rating.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from onething.cases import children, foreach, intake, timers
from onething.cases import clocks as clk
from onething.cases import joint_corrections as joint
from onething.cases import sign_off as sign
from onething.cases import special_procedures as special
from onething.cases import titles as zh
from onething.cases.records import Case, Event
from onething.cases.summary import (
    CaseSummary,
    ChildCase,
    ClockSummary,
    CommitmentSummary,
    Decision,
    DeliverySummary,
    NoticeItem,
    PendingCorrection,
    PossibleAction,
    PromisedMaterial,
    Round,
    SentBack,
    StepDepartment,
    Taker,
    WaitingStep,
)
from onething.language.model import Step, Workflow
from onething.net.model import Performer, PlaceRole
from onething.net.semantics import form_guard

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed

#: the performers whose transitions nobody takes by hand: the engine's timers, the deliveries
#: of child cases, the net's own moves
NOT_TAKEN = frozenset({Performer.TIMER, Performer.CHILDREN, Performer.ENGINE})
#: actions at intake the law refuses once the window's time to answer has passed (art. 32)
LAPSED_AT_INTAKE = frozenset({"refuse_intake", "request_intake_correction"})


def summary(engine: EngineContext, case_id: str, now: datetime) -> CaseSummary:
    """Where case ``case_id`` stands at ``now``: no form value, every name in Chinese."""
    case = engine.store.load(case_id)
    deployed = engine.deployed(case.workflow_id, case.workflow_version)
    workflow = deployed.workflow
    positions = {} if case.ended else deployed.positions(case.marking)
    delivery = engine.store.delivery(case_id) if case.ended else None
    return CaseSummary(
        case_id=case.id, workflow_id=workflow.id, version=workflow.version,
        case_version=case.revision,
        title=workflow.title, lead=workflow.lead,
        lead_title=workflow.department_title(workflow.lead),
        status=_status(case), status_title=zh.title(zh.STATUSES, _status(case)),
        green_channel=bool(case.priority), submitted_at=case.created_at,
        accepted_at=case.accepted_at,
        waiting=_waiting(workflow, case, positions),
        decided=_decided(workflow, case, positions),
        promised=_promised(engine, deployed, case),
        corrections=_corrections(engine, deployed, case, positions, now),
        commitments=_commitments(workflow, case),
        clocks=_clocks(engine, deployed, case, now),
        actions=_actions(engine, deployed, case, positions, now),
        sent_back=tuple(
            SentBack(sid, workflow.step_title(sid), o.get("to"),
                     workflow.step_title(o["to"]) if o.get("to") else None)
            for sid, o in case.outcomes.items()
            if o.get("outcome") == "send_back" and sid not in positions and not case.ended),
        children=tuple(
            ChildCase(child, sid, workflow.step_title(sid), (o.get("ended") or {}).get(child),
                      zh.DELIVERIES.get((o.get("ended") or {}).get(child) or ""))
            for sid, o in case.outcomes.items() for child in o.get("children", ())),
        delivery=None if delivery is None else DeliverySummary(
            delivery.kind, zh.title(zh.DELIVERIES, delivery.kind), delivery.at,
            delivery.method, zh.title(zh.METHODS, delivery.method) if delivery.method else None,
            tuple(delivery.items)),
        origin=case.origin, parent_step=case.parent_step, follow_ups=tuple(case.follow_ups))


def _status(case: Case) -> str:
    """``ended``; before acceptance ``submitted``, or ``under_intake`` once the window sent
    its one notice; else ``in_progress``."""
    if case.ended:
        return "ended"
    if case.accepted_at is None:
        return "under_intake" if case.intake else "submitted"
    return "in_progress"


def _steps_at(workflow: Workflow, positions: Mapping[str, PlaceRole]) -> list[Step]:
    """The steps the case is at, in document order."""
    return [s for s in workflow.iter_steps() if s.id in positions]


# -- the steps the case is at -------------------------------------------------------------------


def _waiting(workflow: Workflow, case: Case,
             positions: Mapping[str, PlaceRole]) -> tuple[WaitingStep, ...]:
    out = []
    for step in _steps_at(workflow, positions):
        role = positions[step.id]
        position = "correction" if role is PlaceRole.CORRECTION else \
            "special_procedure" if role is PlaceRole.SPECIAL else \
            "children" if step.opens is not None else "deciding"
        record = case.outcomes.get(step.id) or {}
        signed = sign.signed(record)
        votes = {s["signer"]: s["vote"] for s in signed} \
            if step.sign_off is not None and step.sign_off.by else {}
        assigned = case.assigned.get(step.id) or {}
        rule = foreach.round_rule(workflow, step.id, case.form)  # counts items, shows none
        tally = sign.tally(signed, rule) if rule is not None else None
        done = {s["signer"] for s in signed}
        kind = "items" if step.foreach else "experts" if rule and rule.experts else "signers"
        out.append(WaitingStep(
            step.id, step.title or step.id, position, zh.title(zh.POSITIONS, position),
            tuple(StepDepartment(d, workflow.department_title(d), assigned.get(d), votes.get(d))
                  for d in step.signers),
            None if tally is None or rule is None else Round(
                kind, zh.ROUNDS[kind], **tally, open=tuple(s for s in rule.by if s not in done))))
    return tuple(out)


def _decided(workflow: Workflow, case: Case,
             positions: Mapping[str, PlaceRole]) -> tuple[Decision, ...]:
    """The steps decided so far (not those the case is at again), in document order."""
    out = []
    for step in workflow.iter_steps():
        record = case.outcomes.get(step.id) or {}
        outcome = record.get("outcome")
        if not outcome or outcome in (sign.SIGNING, children.WAITING) or step.id in positions:
            continue
        deemed = bool(record.get("deemed"))
        named = step.outcome(outcome)
        title = zh.OUTCOMES["deemed"] if deemed else named.title or outcome \
            if named is not None else zh.title(zh.OUTCOMES, outcome)
        out.append(Decision(step.id, step.title or step.id, step.department,
                            workflow.department_title(step.department), outcome, title, deemed))
    return tuple(out)


def _promised(engine: EngineContext, deployed: Deployed,
              case: Case) -> tuple[PromisedMaterial, ...]:
    """Each promised material, due its promise's limit after the acceptance (as the
    ``promise_expired`` timer counts it: the law's date, on a year without data too)."""
    if case.ended:
        return ()
    workflow = deployed.workflow
    # one date for every promise: the engine takes the promised materials together and
    # ends the case at the shortest promise (cases.timers.promise_due, promise_expired)
    accepted = case.accepted_at
    found = timers.promise_due(case.promised, workflow, accepted, engine.calendar.lenient(),
                        deployed.policy.count_from) if accepted is not None else None
    limits = [m.deferrable for m in workflow.form.materials
              if m.name in case.promised and m.deferrable is not None]
    within = found[0] if found is not None else (limits[0] if limits else None)
    due = found[1] if found is not None else None
    out = []
    for name in case.promised:
        material = workflow.form.material(name)
        out.append(PromisedMaterial(
            name, (material.label if material is not None else "") or name,
            str(within) if within is not None else "", due.deadline if due else None,
            bool(due is not None and due.provisional)))
    return tuple(out)


# -- corrections and commitments -----------------------------------------------------------------


def _corrections(engine: EngineContext, deployed: Deployed, case: Case,
                 positions: Mapping[str, PlaceRole],
                 now: datetime) -> tuple[PendingCorrection, ...]:
    """The window's notice at intake while it is out, and each step's correction awaiting
    the applicant, with what was asked and when the answer is due."""
    workflow, policy = deployed.workflow, deployed.policy
    asking = [s for s in _steps_at(workflow, positions)
              if positions[s.id] is PlaceRole.CORRECTION]
    notice_out = intake.ASKED in case.marking and not case.ended
    if not asking and not notice_out:
        return ()
    events = engine.store.history(case.id)  # what was asked is in the history only
    out = []
    if notice_out:
        due = intake.answer_by(case, policy, engine.calendar.lenient())
        asked = _last(events, "request_intake_correction", None)
        notice = (asked.data.get("notice") or {}) if asked is not None else {}
        at = case.intake.get("notice_at")
        out.append(PendingCorrection(
            None, zh.INTAKE_NOTICE, workflow.lead, workflow.department_title(workflow.lead),
            str(notice.get("reason") or ""),
            tuple(NoticeItem(i["item"], i.get("label") or i["item"], i.get("reason") or "")
                  for i in case.intake.get("items", ())),
            datetime.fromisoformat(at) if at else None, True,
            due.deadline if due else None, bool(due is not None and due.provisional)))
    expiring = _correction_timers(deployed, case, engine, now) if asking else {}
    for step in asking:
        group = workflow.correction_groups.get(step.id)
        sent = joint.notice_out(group, positions) if group else True
        asked = _last(events, "request_correction", step.id)
        answer_by, provisional = expiring.get(step.id, (None, False)) if sent else (None, False)
        out.append(PendingCorrection(
            step.id, step.title or step.id, step.department,
            workflow.department_title(step.department),
            str(asked.data.get("reason") or "") if asked is not None else "", (),
            asked.at if asked is not None else None, sent, answer_by, provisional))
    return tuple(out)


def _correction_timers(deployed: Deployed, case: Case, engine: EngineContext,
                       now: datetime) -> dict[str, tuple[datetime, bool]]:
    """When each step's correction must be answered, and whether that date is provisional:
    the ``correction_expired`` timers the case has pending (the engine's own dates, so the
    summary never says another)."""
    return {timer.step: (timer.due_at, bool(timer.data.get("provisional")))
            for timer in timers.plan(case, deployed.workflow, deployed.policy, engine.calendar,
                                     now)
            if timer.name == "correction_expired" and timer.step is not None}


def _last(events: list[Event], action: str, step: str | None) -> Event | None:
    return next((e for e in reversed(events) if e.action == action and e.step == step), None)


def _commitments(workflow: Workflow, case: Case) -> tuple[CommitmentSummary, ...]:
    out = []
    for step in workflow.iter_steps():
        record = case.outcomes.get(step.id) or {}
        state = record.get("commitment")
        if not state:
            continue
        by = record.get("verify_by")
        out.append(CommitmentSummary(
            step.id, step.title or step.id, step.department,
            workflow.department_title(step.department), state,
            zh.title(zh.COMMITMENTS, state), datetime.fromisoformat(by) if by else None))
    return tuple(out)


# -- clocks ---------------------------------------------------------------------------------------


def _clocks(engine: EngineContext, deployed: Deployed, case: Case,
            now: datetime) -> tuple[ClockSummary, ...]:
    workflow, policy = deployed.workflow, deployed.policy
    out = []
    for key, clock in case.clocks.items():
        view = clk.view(engine.calendar, key, clock, now, policy)
        state = "stopped" if clock.finished is not None else \
            "paused" if clock.paused_since is not None else "running"
        status = view.status.value
        if view.status is clk.Status.PAUSED:  # where it stands all the same
            due = view.committed_due or view.statutory_due
            status = "normal" if due is None else "overdue" if now > due.deadline else \
                "warning" if engine.calendar.add(now, policy.warn_before).deadline \
                >= due.deadline else "normal"
        step = special.step_of(key)
        if key in zh.CLOCKS:
            title = zh.CLOCKS[key]
        elif key != step and step is not None:
            kind = str(clock.get("kind") or "")
            title = f"{workflow.step_title(step)}（特别程序：" \
                    f"{special.KINDS.get(kind, kind)}）"
        else:
            title = workflow.step_title(key)
        reason = view.paused_reason
        out.append(ClockSummary(
            key, title, step, state, zh.title(zh.CLOCK_STATES, state), status,
            zh.title(zh.CLOCK_STATUSES, status), view.started,
            view.committed_due.deadline if view.committed_due else None,
            view.statutory_due.deadline if view.statutory_due else None,
            zh.title(zh.PAUSES, reason) if reason else None, view.extension, view.provisional))
    return tuple(out)


# -- what can be done now, and by whom ----------------------------------------------------------


def _actions(engine: EngineContext, deployed: Deployed, case: Case,
             positions: Mapping[str, PlaceRole], now: datetime) -> tuple[PossibleAction, ...]:
    workflow = deployed.workflow
    found: dict[tuple[str, str | None], tuple[tuple[Taker, ...], list[str]]] = {}
    if not case.ended:
        for transition in _enabled(engine, deployed, case, positions, now):
            action, step = transition.action or "", transition.step
            _, targets = found.setdefault(
                (action, step), (_takers(workflow, case, transition.actor, action, step), []))
            if transition.to is not None and transition.to not in targets:
                targets.append(transition.to)
    for step in workflow.iter_steps():  # a commitment is verified after the delivery too
        if (case.outcomes.get(step.id) or {}).get("commitment") == "pending" and (
                not case.ended or case.delivery_kind == "result"):
            found[("verify_commitment", step.id)] = (
                (_staff(workflow, "department", step.department),), [])
    if not case.ended:
        for step_id in _extensible(engine, deployed, case, now):
            found[("extend", step_id)] = (_extenders(workflow, step_id), [])
        for step in workflow.iter_steps():
            clock = case.clocks.get(step.id)
            marks = clock.get("milestones") if clock is not None else None
            if marks and clock is not None and clock.finished is None \
                    and any(at is None for at in marks.values()):
                found[("record_milestone", step.id)] = (
                    _holders(workflow, case, step.id, (step.department,)), [])
    elif case.rating is None and case.applicant:  # erased: nobody is recognised to rate
        found[("evaluate", None)] = (_applicant(case), [])
    return tuple(
        PossibleAction(action, _action_title(workflow, action, step), step,
                       workflow.step_title(step) if step else None, who, tuple(targets))
        for (action, step), (who, targets) in found.items())


def _enabled(engine: EngineContext, deployed: Deployed, case: Case,
             positions: Mapping[str, PlaceRole], now: datetime) -> list[Any]:
    """The case net's transitions a person may take now (what ``Engine.possible`` lists,
    less the timers' and what the law refuses at this moment)."""
    workflow, compiled = deployed.workflow, deployed.compiled
    held = {step for group in joint.groups(workflow.correction_groups)
            if not joint.notice_out(group, positions) for step in group}
    lapsed = intake.lapsed(case, deployed.policy, engine.calendar, now)
    out = []
    for t in compiled.enabled(compiled.marking_of(case.marking), form_guard(case.facts())):
        if t.action is None or t.actor in NOT_TAKEN or t.action == "revoke_commitment" \
                or (t.action == "supplement" and t.step in held) \
                or (lapsed and t.action in LAPSED_AT_INTAKE):
            continue  # a failed verification revokes: listed as verify_commitment
        out.append(t)
    return out


def _extensible(engine: EngineContext, deployed: Deployed, case: Case,
                now: datetime) -> list[str | None]:
    """The limits an extension may still move (行政许可法 art. 42): the case's (None) and each
    step's, while its clock runs or is paused, once, before it expires, in working days."""
    policy, steps = deployed.policy, {s.id for s in deployed.workflow.iter_steps()}
    out: list[str | None] = []
    for key, clock in case.clocks.items():
        if key != clk.CASE and key not in steps:
            continue  # a special procedure's clock, the delivery's: not extended
        if clock.finished is not None or clock.get("extension"):
            continue
        bound = policy.case_extension_max if key == clk.CASE else policy.extension_max
        base = clk.limit(clock, "statutory") or clk.limit(clock, "committed")
        if base is None or base.unit is not bound.unit:
            continue
        due = clk.due(engine.calendar, clock, "statutory", now, policy) \
            or clk.due(engine.calendar, clock, "committed", now, policy)
        if due is not None and now > due.deadline:
            continue
        out.append(None if key == clk.CASE else key)
    return out


def _action_title(workflow: Workflow, action: str, step: str | None) -> str:
    if step is not None and action not in zh.ACTIONS:
        try:
            named = workflow.step(step).outcome(action)
        except KeyError:
            named = None
        if named is not None and named.title:
            return named.title
    return zh.title(zh.ACTIONS, action)


def _takers(workflow: Workflow, case: Case, performer: Performer, action: str,
            step: str | None) -> tuple[Taker, ...]:
    """Who may fire a transition of ``performer`` (:func:`onething.cases.rules.
    authorize_transition`): the lead window, the applicant and their agents, or the step's
    departments — for approve and refuse in a round several sign, those yet to sign."""
    if performer is Performer.WINDOW:
        return (_staff(workflow, "window", workflow.lead),)
    if performer is Performer.APPLICANT:
        return _applicant(case)
    assert step is not None  # a department acts on one of its steps
    spec = workflow.step(step)
    signed = {s["signer"] for s in sign.signed(case.outcomes.get(step))} \
        if action in ("approve", "refuse") and spec.sign_off is not None \
        and spec.sign_off.by else set()
    return _holders(workflow, case, step, [d for d in spec.signers if d not in signed])


def _holders(workflow: Workflow, case: Case, step: str,
             departments: Sequence[str]) -> tuple[Taker, ...]:
    """The officers of ``departments`` who may act on ``step``: whoever holds it there and
    a supervisor in the holder's place, or any officer while nobody holds it."""
    assigned = case.assigned.get(step) or {}
    takers: list[Taker] = []
    for department in departments:
        takers.append(_staff(workflow, "department", department, assigned.get(department)))
        if assigned.get(department):  # held: a supervisor acts in the holder's place too
            takers.append(_staff(workflow, "supervisor", department))
    return tuple(takers)


def _extenders(workflow: Workflow, step: str | None) -> tuple[Taker, ...]:
    """Who approves an extension (:func:`onething.cases.rules.authorize_extension`)."""
    if step is None and workflow.handling.joint:
        return (_staff(workflow, "government_head", workflow.handling.government),)
    return (_staff(workflow, "supervisor",
                   workflow.step(step).department if step else workflow.lead),)


def _applicant(case: Case) -> tuple[Taker, ...]:
    """The applicant, and the agents they authorized when there are any."""
    return (Taker("applicant", zh.ROLES["applicant"]),
            *((Taker("agent", zh.ROLES["agent"]),) if case.agents else ()))


def _staff(workflow: Workflow, role: str, department: str, officer: str | None = None) -> Taker:
    return Taker(role, zh.title(zh.ROLES, role), department,
                 workflow.department_title(department), officer)


__all__ = ["summary"]
