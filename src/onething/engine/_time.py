"""Time: firing due timers (escalations, green-channel milestones, the path timers), extensions
of a limit, milestones shown by departments, and adopting newer calendar data."""

from __future__ import annotations

import contextlib
import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from onething.cases import clocks as clk
from onething.cases import rules
from onething.cases.listing import Listing
from onething.cases.records import SYSTEM, Actor, Case
from onething.cases.timers import Timer, next_due, plan
from onething.cases.typed_json import moment_json
from onething.engine import _unit
from onething.engine._actions import TIMER_REASONS, Wanted, fire
from onething.engine._listing import listing
from onething.engine._refusals import ended, not_a_step
from onething.engine._unit import Change, advance, log, request_key
from onething.errors import ActionRefused, InvalidArgument
from onething.privacy.masking import clip, mask_text
from onething.workdays import Duration, WorkCalendar
from onething.workdays.clock import SHANGHAI, local_text

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed


@attrs.frozen
class Firing:
    """A timer a tick handled: it fired (``error`` empty), or it failed on its own with
    ``error`` (the other timers of the tick fired regardless)."""

    timer: Timer
    case_id: str
    error: str = ""

    @property
    def fired(self) -> bool:
        """Whether the timer fired."""
        return not self.error

    @property
    def provisional(self) -> bool:
        """Whether the due date it fired at rests on a provisional calendar year."""
        return bool(self.timer.data.get("provisional"))

    def to_json(self) -> dict[str, Any]:
        """The firing as typed JSON (``tick --format json``); ``error`` null when it fired."""
        return {"case": self.case_id, "timer": self.timer.name, "step": self.timer.step,
                "kind": self.timer.kind, "due": moment_json(self.timer.due_at),
                "fired": self.fired, "provisional": self.provisional,
                "error": self.error or None}


def aware(now: datetime | None, what: str = "now") -> datetime | None:
    """``now`` if it is None or a time with its zone; refuses a naive time."""
    if now is None:
        return None
    if not isinstance(now, datetime):
        raise InvalidArgument(f"{what} is a datetime, not {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidArgument(f"{what} has no time zone",
                              "give an aware time, e.g. datetime(2026, 10, 8, 9, "
                              "tzinfo=SHANGHAI) or 2026-10-08T09:00+08:00")
    return now


def tick(engine: EngineContext, now: datetime | None, page: int) -> list[Firing]:
    """Fire every timer due at ``now``, page after page (of ``page`` due cases), until none is
    due; each in its own transaction, each failing on its own (reported, the others still
    fire). A page's cases are planned in full and their due timers fired earliest first. Then
    merge the statistics' counts appended since the last tick (at most 10,000 rows)."""
    moment = (aware(now) or engine.clock.now()).astimezone(SHANGHAI)
    if page < 1:
        raise InvalidArgument("a page holds at least one timer")
    handled: list[Firing] = []
    seen: set[str] = set()  # the timers handled by this tick
    spent: set[str] = set()  # due cases with nothing left to fire by this tick
    while True:
        claimed = [c for c in engine.store.claim_due(moment, page + len(spent))
                   if c not in spent]
        if not claimed:
            engine.store.merge_counts()  # the statistics' counts, a bounded share at a time
            return handled
        fresh: list[Timer] = []
        for case_id in claimed:
            found = _due(engine, case_id, moment)
            if isinstance(found, Firing):  # its timers could not even be planned
                handled.append(found)
                found = []
            found = [t for t in found if t.id not in seen]
            if not found:
                spent.add(case_id)
            fresh += found
        for timer in sorted(fresh, key=lambda t: (t.due_at, t.id)):
            seen.add(timer.id)
            firing = _fire_one(engine, timer, moment)
            if firing is not None:
                handled.append(firing)


def _due(engine: EngineContext, case_id: str, now: datetime) -> list[Timer] | Firing:
    """The timers of a case the store says is due that are due at ``now``; when it has none
    (a calendar moved them), its wake is set again from its plan. A case that cannot be
    planned (its record does not decode, its calendar refuses) is a failed firing of its wake."""
    try:
        case = engine.store.load(case_id)
        deployed = engine.deployed(case.workflow_id, case.workflow_version)
        # on the lenient calendar: a strict one refuses each timer on its own when it fires
        pending = plan(case, deployed.workflow, deployed.policy, engine.calendar.lenient(), now)
        due = [t for t in pending if t.due_at <= now]
        if not due:
            engine.store.replan(case_id, case.version,
                                min((t.due_at for t in pending), default=None),
                                listing(case, deployed, engine.calendar))
    except Exception as exc:  # one case's failure is reported and never stops the others
        error = mask_text(f"{type(exc).__name__}: {exc}")[:500]
        log.error("the timers of case %s could not be planned: %s", case_id, error)
        wake = now
        with contextlib.suppress(Exception):  # the store may be what failed
            wake = engine.store.wake(case_id) or now
        at = wake.astimezone(SHANGHAI)
        return Firing(Timer(f"{case_id}/wake/{at.isoformat()}", case_id, at, "wake",
                            "wake"), case_id, error)
    return due


def pending(engine: EngineContext, case_id: str) -> list[Timer]:
    """Every timer the case has pending now, earliest first (derived from its record: what
    the engine would fire, and when)."""
    case = engine.store.load(case_id)
    deployed = engine.deployed(case.workflow_id, case.workflow_version)
    moment = engine.clock.now().astimezone(SHANGHAI)
    return sorted(plan(case, deployed.workflow, deployed.policy, engine.calendar, moment),
                  key=lambda t: (t.due_at, t.id))


def _fire_one(engine: EngineContext, timer: Timer, now: datetime) -> Firing | None:
    stale: list[tuple[int, datetime | None, Listing]] = []
    if timer.kind == "path" and engine.calendar.strict:
        # the law acts by itself (deemed acceptance or approval, an expiry that ends the case):
        # a strict calendar does not stop it; what follows is planned provisionally
        engine = copy.copy(engine)
        engine.calendar = engine.calendar.lenient()

    def change(case: Case, deployed: Deployed, at: datetime) -> Change | None:
        pending = plan(case, deployed.workflow, deployed.policy, engine.calendar, at)
        if timer.id not in {t.id for t in pending} or timer.due_at > at:
            stale.append((case.version, min((t.due_at for t in pending), default=None),
                          listing(case, deployed, engine.calendar)))
            return None
        return _fired(engine, case, deployed, timer, at)

    try:
        case = _unit.run(engine, timer.case_id, change, now=now, action=f"timer.{timer.kind}")
        if case is None:
            if stale:  # an earlier arming, or a plan the calendar moved: store today's plan
                engine.store.replan(timer.case_id, *stale[-1])
            return None
    except ActionRefused:
        return None  # the case moved on meanwhile: the timer is no longer pending
    except Exception as exc:  # one timer's failure is reported and never stops the others
        error = mask_text(f"{type(exc).__name__}: {exc}")[:500]
        log.error("timer %s of case %s failed: %s", timer.name, timer.case_id, error)
        return Firing(timer, timer.case_id, error)
    return Firing(timer, case.id)


def _fired(engine: EngineContext, case: Case, deployed: Deployed, timer: Timer,
           now: datetime) -> Change:
    system = str(SYSTEM)
    if timer.kind == "milestone":
        clocks = dict(case.clocks)
        clock = clk.own(clocks, timer.step or "")
        clock["milestones"][timer.name] = "missed"
        return advance(case, now, ("escalated", system, timer.step,
                                   {"action": "milestone_missed", "milestone": timer.name,
                                    "to": "supervisor", "timer": timer.id,
                                    "within": timer.data["within"]}), clocks=clocks)
    if timer.kind == "signal":  # warning, overdue, a promise due soon: said, nothing else
        clocks = dict(case.clocks)
        clock = clk.own(clocks, timer.data["clock"])
        clock["signalled"] = [*clock["signalled"], timer.name]
        return advance(case, now, (timer.name, system, timer.step,
                                   {**timer.data, "timer": timer.id}), clocks=clocks)
    if timer.kind == "escalation":
        clocks = dict(case.clocks)
        clock = clk.own(clocks, timer.data["clock"])
        clock["escalated"] = [*clock["escalated"], timer.data["rung"]]
        to = timer.data["to"]
        if to == "department":
            to = deployed.workflow.step(timer.step).department if timer.step \
                else deployed.workflow.lead
        elif to == "lead":
            to = deployed.workflow.lead
        data: dict[str, Any] = {"action": timer.name, "to": to, "due": timer.data["due"],
                                "after": timer.data["after"], "timer": timer.id,
                                "clock": timer.data["clock"], "rung": timer.data["rung"]}
        if timer.data.get("provisional"):
            data["provisional"] = True
        return advance(case, now, ("escalated", system, timer.step, data), clocks=clocks)
    change = fire(engine, case, deployed, Wanted(timer.name, timer.step), SYSTEM,
                  {"reason": TIMER_REASONS.get(timer.name, timer.name)}, now)
    change.events[0].data["timer"] = timer.id
    if timer.data.get("provisional"):
        change.events[0].data["provisional"] = True
        change.events[0].data["provisional_reasons"] = timer.data.get("reasons", [])
    return change


def extend(engine: EngineContext, case_id: str, step: str | None, amount: str | Duration,
           actor: Actor, reason: str, idempotency_key: str | None,
           now: datetime | None) -> Case:
    """Approve an extension of a limit (行政许可法 art. 42)."""
    extra = amount if isinstance(amount, Duration) else Duration.parse(amount)
    if not isinstance(reason, str) or not reason.strip():
        raise ActionRefused("an extension needs a reason", "the applicant is told why",
                            code="refused.case.extension_reason", subject=case_id)
    reason = mask_text(reason[:2_000])
    who = engine.people.text(actor)
    key = request_key(idempotency_key, "extend", case_id, step, str(extra), who, reason)

    def change(case: Case, deployed: Deployed, at: datetime) -> Change:
        workflow = deployed.workflow
        if step is not None and step not in {s.id for s in workflow.iter_steps()}:
            raise not_a_step(workflow, step)
        rules.authorize_extension(workflow, step, actor)
        clock_key = step or clk.CASE
        if case.ended:
            raise ended(case)
        clock = case.clocks.get(clock_key)
        if clock is None or clock.finished is not None or (
                clk.limit(clock, "statutory") is None and clk.limit(clock, "committed") is None):
            raise ActionRefused(f"'{clock_key}' has no running clock to extend",  # nor a limit
                                code=_code(step, "no_clock"), subject=step or case.id)
        if clock.get("extension"):
            raise ActionRefused(f"'{clock_key}' has been extended already",
                                "the law allows one extension",
                                code=_code(step, "extended_already"), subject=step or case.id)
        bound = deployed.policy.case_extension_max if step is None \
            else deployed.policy.extension_max
        if extra.unit != bound.unit or extra.amount > bound.amount:
            raise ActionRefused(f"an extension of {extra} exceeds the bound of {bound}",
                                "行政许可法 art. 42: +10 WD, joint handling +15 WD",
                                code=_code(step, "extension_too_long"), subject=step or case.id,
                                params={"extension": str(extra), "bound": str(bound)})
        policy = deployed.policy
        base = clk.limit(clock, "statutory") or clk.limit(clock, "committed")
        if base is not None and base.unit is not extra.unit:
            raise ActionRefused(f"the limit of '{clock_key}' is {base}: an extension of {extra} "
                                "would not move it", "行政许可法 art. 42 extends limits "
                                "counted in working days", code=_code(step, "extension_unit"),
                                subject=step or case.id,
                                params={"limit": str(base), "extension": str(extra)})
        due = clk.due(engine.calendar, clock, "statutory", at, policy) \
            or clk.due(engine.calendar, clock, "committed", at, policy)
        if due is not None and at > due.deadline:
            raise ActionRefused(f"the limit of '{clock_key}' expired on "
                                f"{local_text(due.deadline)}: an extension is approved before "
                                "the limit expires (行政许可法 art. 42)",
                                "the case is late: escalation follows the ladder",
                                code=_code(step, "extension_late"), subject=step or case.id,
                                params={"expired": local_text(due.deadline)})
        clocks = dict(case.clocks)
        clk.own(clocks, clock_key)["extension"] = str(extra)
        data: dict[str, Any] = {"by": str(extra), "reason": reason}
        longer = clk.due(engine.calendar, clocks[clock_key], "statutory", at, policy) \
            or clk.due(engine.calendar, clocks[clock_key], "committed", at, policy)
        if longer is not None and clock.paused_since is None:
            # what the applicant's notice says: the new date, and why (while the clock is
            # paused the date moves with the pause, so none is promised)
            data["due"] = longer.deadline.isoformat()
        return advance(case, at, ("extended", who, step, data), clocks=clocks)

    result = _unit.run(engine, case_id, change, key=key, now=now,
                              attempt=("extend", step, who))
    assert result is not None
    return result


def record_milestone(engine: EngineContext, case_id: str, step: str, milestone: str, actor: Actor,
                     note: str, idempotency_key: str | None, now: datetime | None) -> Case:
    """A department shows a milestone on its step (green channel: arrange/feedback/...)."""
    note = mask_text(str(note)[:2_000])
    who = engine.people.text(actor)
    key = request_key(idempotency_key, "milestone", case_id, step, milestone, who, note)

    def change(case: Case, deployed: Deployed, at: datetime) -> Change:
        workflow = deployed.workflow
        if step not in {s.id for s in workflow.iter_steps()}:
            raise not_a_step(workflow, step)
        rules.authorize_step_department(workflow, step, actor, "records milestones", case)
        if case.ended:
            raise ended(case)
        clock = case.clocks.get(step)
        marks = clock.get("milestones") if clock is not None else None
        if clock is None or clock.finished is not None or marks is None:
            raise ActionRefused(f"step '{step}' has no open milestones",
                                "milestones apply to green-channel cases' running steps",
                                code="refused.step.no_milestones", subject=step)
        if milestone not in marks:
            raise ActionRefused(f"'{clip(milestone, 40)}' is not a milestone",
                                "milestones: " + ", ".join(marks),
                                code="refused.step.unknown_milestone", subject=step,
                                params={"milestone": clip(milestone, 40),
                                        "milestones": ", ".join(marks)})
        if marks[milestone] is not None:  # its time is the record: never written over
            raise ActionRefused(f"'{milestone}' of '{step}' was recorded already",
                                "a milestone is recorded once",
                                code="refused.step.milestone_recorded", subject=step,
                                params={"milestone": milestone})
        clocks = dict(case.clocks)
        clk.own(clocks, step)["milestones"][milestone] = at.isoformat()
        return advance(case, at, ("milestone", who, step,
                                  {"milestone": milestone, **({"note": note} if note else {})}),
                       clocks=clocks)

    result = _unit.run(engine, case_id, change, key=key, now=now,
                              attempt=("record_milestone", step, who))
    assert result is not None
    return result


def refresh_calendar(engine: EngineContext, calendar: WorkCalendar) -> list[str]:
    """Adopt newer calendar data; recompute open cases' due dates and record the change;
    count the statistics again."""
    old, engine.calendar = engine.calendar, calendar
    changed = []
    for case_id in engine.store.case_ids():
        case = engine.store.load(case_id)
        if case.ended:
            continue
        if not case.clocks:  # awaiting intake: its art. 32 date and timer move, not a clock
            deployed = engine.deployed(case.workflow_id, case.workflow_version)
            engine.store.replan(case_id, case.version,
                                next_due(case, deployed.workflow, deployed.policy,
                                         engine.calendar,
                                         engine.clock.now().astimezone(SHANGHAI)),
                                listing(case, deployed, engine.calendar))
            continue
        if _unit.run(engine, case_id, lambda c, d, at: _recompute(engine, c, d, old, at),
                     action="refresh_calendar") \
                is not None:
            changed.append(case_id)
    engine.recount()  # the working days of ended clocks may have moved with the data
    return changed


def _recompute(engine: EngineContext, case: Case, deployed: Deployed, old: WorkCalendar,
               now: datetime) -> Change | None:
    if case.ended:
        return None
    moves = {}
    for key, clock in case.clocks.items():
        for which in ("committed", "statutory"):
            before = clk.due(old, clock, which, now, deployed.policy)
            after = clk.due(engine.calendar, clock, which, now, deployed.policy)
            if before is not None and after is not None and (
                    before.deadline != after.deadline or before.provisional
                    != after.provisional):
                moves[f"{key} {which}"] = {
                    "from": before.date.isoformat(), "to": after.date.isoformat(),
                    "provisional": after.provisional}
    if not moves and case.calendar_version == engine.calendar.data_version:
        return None
    return advance(case, now, ("calendar_refreshed", str(SYSTEM), None,
                               {"calendar": engine.calendar.data_version, "due_dates": moves}),
                   calendar_version=engine.calendar.data_version)


#: the codes of a refused extension, of a step's limit and of the case's own
_EXTENSION_CODES = {
    "no_clock": ("refused.step.no_clock", "refused.case.no_clock"),
    "extended_already": ("refused.step.extended_already", "refused.case.extended_already"),
    "extension_too_long": ("refused.step.extension_too_long",
                           "refused.case.extension_too_long"),
    "extension_unit": ("refused.step.extension_unit", "refused.case.extension_unit"),
    "extension_late": ("refused.step.extension_late", "refused.case.extension_late"),
}


def _code(step: str | None, name: str) -> str:
    """The code of refusal ``name`` of an extension of ``step``'s limit, or of the case's."""
    return _EXTENSION_CODES[name][0 if step else 1]
