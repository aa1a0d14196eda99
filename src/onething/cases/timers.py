"""Which timers a case has pending: escalations, and the few that change its path.

Timers are derived from the case record alone. After every action the case's *wake* — when
its first timer is due (:func:`next_due`) — is stored with the case in the same transaction, so
it survives a restart and a timer cannot be forgotten; a tick plans a due case in full
(:func:`plan`) and fires what is due (docs/decisions/0026-timers-derived.md).

Escalations (reminder, supervision, public notice) only add to the history; the
path-changing timers are exactly five: deemed acceptance when the window does not answer in
time (行政许可法 art. 32), an unanswered notice at intake (一次性告知), an unanswered
correction, a missed 容缺 promise, and deemed approval of a step that declares
``silence: approve`` when its own limit passes (逾期未反馈视为同意).

The path timers are the law acting by itself, so a strict calendar never refuses them: they are
planned on its lenient twin and carry ``provisional`` and ``reasons`` when their due date rests
on a year without a State Council notice (docs/time.md, "Strict mode and the law's timers").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import attrs

from onething.cases import clocks as clk
from onething.cases import intake
from onething.cases import special_procedures as special
from onething.cases.clock_record import ClockRecord
from onething.cases.records import Case
from onething.language.model import Workflow
from onething.workdays import CountFrom, Due, Duration, WorkCalendar


@attrs.frozen
class Timer:
    """A pending firing: ``kind`` is ``escalation``, ``milestone``, ``signal`` (a status
    event for the people outside: warning, overdue, a promise due soon) or ``path``.

    Its id names the case, what fires, the moment it fires and the arming it belongs to (the
    start of the clock it watches, or the moment its wait began), so a clock that restarts
    arms new timers and a timer of an earlier arming can never fire for the new one.
    """

    id: str
    case_id: str
    due_at: dt.datetime
    kind: str
    name: str
    step: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict, eq=False)


def plan(case: Case, workflow: Workflow, policy: clk.ClockPolicy, calendar: WorkCalendar,
         now: dt.datetime) -> list[Timer]:
    """Every timer the case has pending now (none once it is delivered)."""
    if case.ended:
        return []
    out: list[Timer] = []
    for key, clock in case.clocks.items():
        if clock.finished is not None:
            continue  # most of a case's clocks, once it is under way
        if clock.paused_since is None:  # a running clock: its ladder and its signals
            due = clk.deadline(calendar, clock, None, now, policy)
            if due is not None:
                out += _escalations(case, key, clock, due, policy, calendar)
                out += _signals(case, key, clock, due, policy, calendar)
        out += _milestones(case, key, clock, workflow, calendar, policy)
    out += _path_timers(case, workflow, policy, calendar.lenient(), now)
    return out


def next_due(case: Case, workflow: Workflow, policy: clk.ClockPolicy, calendar: WorkCalendar,
             now: dt.datetime) -> dt.datetime | None:
    """When the first of the case's pending timers is due (None when it has none): the
    earliest ``due_at`` of :func:`plan`, without building the timers. What the stores keep
    per case (its wake) and what a tick looks for; the tick plans a due case in full.

    A running clock's signals come no later than its deadline and every rung of its ladder
    no earlier, so its ladder is looked at only once both signals have been given. A strict
    calendar plans in full: it refuses the action if any timer's date would be a guess."""
    if case.ended:
        return None
    if calendar.strict:
        return min((t.due_at for t in plan(case, workflow, policy, calendar, now)),
                   default=None)
    soonest: dt.datetime | None = None
    for key, clock in case.clocks.items():
        if clock.finished is not None:
            continue
        more = clock.more  # the rare keys: None for most clocks
        if clock.paused_since is None:
            due = clk.deadline(calendar, clock, None, now, policy)
            if due is not None:
                said = more.get("signalled", ()) if more else ()
                at: dt.datetime | None
                if "warning" not in said:
                    at = clk.warn_from(calendar, due.deadline, policy.warn_before)
                elif "overdue" not in said:
                    at = due.deadline
                else:
                    at = min((t.due_at for t in _escalations(case, key, clock, due, policy,
                                                              calendar)), default=None)
                if at is not None and (soonest is None or at < soonest):
                    soonest = at
        if more and more.get("milestones"):
            for timer in _milestones(case, key, clock, workflow, calendar, policy):
                if soonest is None or timer.due_at < soonest:
                    soonest = timer.due_at
    for timer in _path_timers(case, workflow, policy, calendar.lenient(), now):
        if soonest is None or timer.due_at < soonest:
            soonest = timer.due_at
    return soonest


def _law(due: Due | clk.Deadline, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A path timer's data, marked provisional (with the reasons) when its due date is."""
    out = dict(data or {})
    if due.provisional:
        out["provisional"] = True
        out["reasons"] = list(due.reasons)
    return out


def _path_timers(case: Case, workflow: Workflow, policy: clk.ClockPolicy, calendar: WorkCalendar,
                 now: dt.datetime) -> list[Timer]:
    """The five timers by which the law acts, on a calendar that never refuses."""
    out: list[Timer] = []
    marking = set(case.marking)
    deemed = intake.deemed_at(case, policy, calendar)  # none while the notice is out
    if deemed is not None:
        out.append(_timer(case, deemed.deadline, "path", "deemed_acceptance", data=_law(deemed),
                          armed=intake.received(case)))
    answer_by = intake.answer_by(case, policy, calendar) \
        if intake.ASKED in marking else None
    if answer_by is not None:
        out.append(_timer(case, answer_by.deadline, "path", "intake_correction_expired",
                          data=_law(answer_by, {"limit": str(policy.answer_intake_within)}),
                          armed=case.intake["notice_at"]))
    if "materials:promised" in marking and (accepted := case.accepted_at) is not None:
        found = promise_due(case.promised, workflow, accepted, calendar, policy.count_from)
        if found is not None:
            shortest, due = found
            out.append(_timer(case, due.deadline, "path", "promise_expired",
                              data=_law(due, {"limit": str(shortest)}), armed=accepted))
            own = case.clocks.get(clk.CASE)
            if own is not None and "promise_due_soon" not in own.get("signalled", ()):
                soon = clk.warn_from(calendar, due.deadline, policy.warn_before)
                out.append(_timer(case, soon, "signal", "promise_due_soon", None,
                                  {"clock": clk.CASE, "due": due.deadline.isoformat(),
                                   "materials": list(case.promised)}, armed=accepted))
    for step in workflow.silent_steps:
        own = case.clocks.get(step)
        if own is None or own.finished is not None or own.paused_since is not None \
                or marking.isdisjoint((f"step:{step}", f"step:{step}:corrected")):
            continue
        limit = clk.deadline(calendar, own, None, now, policy)
        if limit is not None:
            out.append(_timer(case, limit.deadline, "path", "deemed_approval", step,
                              _law(limit, {"due": limit.deadline.isoformat()}),
                              armed=own.started))
    if policy.answer_within is not None:
        for key, clock in case.clocks.items():
            more = clock.more  # what a paused clock holds (most hold none of it)
            if more and key != clk.CASE and more.get("paused_reason") == "correction":
                if key in workflow.correction_groups:
                    # a block that asks together: the answer is due from its one notice
                    if clock.get("notice_at") is None:
                        continue
                    since = dt.datetime.fromisoformat(clock["notice_at"])
                elif clock.paused_since is not None:
                    since = clock.paused_since
                else:
                    continue
                due = calendar.add(since, policy.answer_within, count_from=policy.count_from)
                out.append(_timer(case, due.deadline, "path", "correction_expired", key,
                                  _law(due, {"limit": str(policy.answer_within)}),
                                  armed=since))
    return out


def promise_due(promised: Iterable[str], workflow: Workflow, accepted: dt.datetime,
                calendar: WorkCalendar, count_from: CountFrom) -> tuple[Duration, Due] | None:
    """When promised materials (容缺) are due: all together, at the shortest promise of them
    counted from acceptance (the engine ends the case then) — with that promise."""
    names = set(promised)
    limits = [m.deferrable for m in workflow.form.materials
              if m.name in names and m.deferrable is not None]
    if not limits:
        return None
    shortest = min(limits, key=lambda d: calendar.add(accepted, d).deadline)
    return shortest, calendar.add(accepted, shortest, count_from=count_from)


def _escalations(case: Case, key: str, clock: ClockRecord, due: clk.Deadline,
                 policy: clk.ClockPolicy, calendar: WorkCalendar) -> list[Timer]:
    out = []
    for index, rung in enumerate(policy.ladder):
        if index in clock.get("escalated", ()):
            continue
        at = due.deadline if rung.after is None else calendar.add(due.deadline, rung.after).deadline
        step = special.step_of(key)
        data = {"rung": index, "to": rung.to, "clock": key, "due": due.deadline.isoformat(),
                "after": str(rung.after or "0 WD")}
        if due.provisional:
            data["provisional"] = True
        out.append(_timer(case, at, "escalation", rung.action, step, data,
                          armed=clock.started))
    return out


def _signals(case: Case, key: str, clock: ClockRecord, due: clk.Deadline,
             policy: clk.ClockPolicy, calendar: WorkCalendar) -> list[Timer]:
    """A running clock's two signals to the people outside (电子监察 yellow and red): the
    moment it shows as warning, and the moment it is overdue — each once per arming."""
    data = {"clock": key, "due": due.deadline.isoformat()}
    out = []
    if "warning" not in clock.get("signalled", ()):
        at = clk.warn_from(calendar, due.deadline, policy.warn_before)
        out.append(_timer(case, at, "signal", "warning", special.step_of(key), dict(data),
                          armed=clock.started))
    if "overdue" not in clock.get("signalled", ()):
        out.append(_timer(case, due.deadline, "signal", "overdue", special.step_of(key),
                          dict(data), armed=clock.started))
    return out


def _milestones(case: Case, key: str, clock: ClockRecord, workflow: Workflow,
                calendar: WorkCalendar, policy: clk.ClockPolicy) -> list[Timer]:
    marks = clock.get("milestones")
    green = workflow.green_channel
    if not marks or green is None or clock.finished is not None:
        return []
    started = clock.started
    out = []
    for name, within in green.milestones:
        if marks.get(name) is None:
            at = calendar.add(started, within, count_from=policy.count_from).deadline
            out.append(_timer(case, at, "milestone", name, key, {"within": str(within)},
                              armed=clock.started))
    return out


def _timer(case: Case, at: dt.datetime, kind: str, name: str, step: str | None = None,
           data: dict[str, Any] | None = None, *,
           armed: dt.datetime | str | None = None) -> Timer:
    stamp = armed.isoformat() if isinstance(armed, dt.datetime) else (armed or "")
    rung = (data or {}).get("rung", "")
    clock = (data or {}).get("clock")
    what = clock if clock is not None and clock not in (step, clk.CASE) else step or "-"
    ident = f"{case.id}/{kind}/{name}/{what}/{rung}/{at.isoformat()}/armed {stamp}"
    return Timer(ident, case.id, at, kind, name, step, data or {})

