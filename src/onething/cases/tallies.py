"""What each change of a case adds to the statistics (issue 19): *tallies*, counted by the
stores in the change's own transaction into a table of counts that reports read — so a report
costs what the counts cost, never a read of every case.

A tally is one count under a key: a *measure* (a case received, accepted, corrected, delivered,
a step's working time, a rating, a rectification), the workflow, the department, the step, the
day (Asia/Shanghai), a kind, a number of working days and flags. The stores add up equal keys.
Tallies are made from the status events a change writes (:mod:`onething.cases.status`) and the
case as the change left it, and from nothing else, so the counts of a store can be made again
from its cases and their status events (:func:`tallies` over every status event of a case
gives what the changes added one by one; ``Engine.recount`` does it).

Working days are the 电子监察 records' (:mod:`onething.cases.supervision`): from the day after
a clock started to the day it finished, days inside pauses left out. The times of a case and of
its steps are counted when the case is delivered, from its clocks as they ended, and dated on
the day of the delivery: statistics of time are statistics of delivered cases (办结件).
Nothing personal is in a tally: ids of workflows, departments and steps, dates and counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from onething.cases import clocks as clk
from onething.cases.records import Case
from onething.cases.status import StatusEvent
from onething.cases.supervision import STEP, ClockUse, uses
from onething.language.model import Workflow
from onething.workdays import SHANGHAI, Unit, WorkCalendar

#: a case submitted (dated its submission; kind ``green`` on the green channel)
RECEIVED = "received"
#: a case accepted (受理; kind ``deemed`` when the law accepted it, art. 32)
ACCEPTED = "accepted"
#: a correction asked (补正), of a step or (step ``intake``) at the window
CORRECTION = "correction"
#: a case delivered (办结): kind is the delivery's, ``days`` the case's working days
DELIVERED = "delivered"
#: a step of a delivered case: ``days`` its working days, kind ``met``/``late``/``""``
STEP_TIME = "step"
#: a 好差评 rating: kind is the level, ``"1"`` to ``"5"``
RATING = "rating"
#: a rectification after a bad rating delivered: department is the one rated (责任部门),
#: kind ``met`` or ``late`` against the rectification's limit
RECTIFIED = "rectified"

MEASURES = (RECEIVED, ACCEPTED, CORRECTION, DELIVERED, STEP_TIME, RATING, RECTIFIED)

#: flags of a delivered case: accepted before its delivery (not refused or withdrawn at intake)
WAS_ACCEPTED = 1
#: its case clock met its limit (按时办结) — or ended late (超期办结)
ON_TIME = 2
LATE = 4
#: fewer working days than its committed limit (提前办结)
EARLY = 8
#: no correction asked, at the window or of any step (一次办结)
FIRST_TIME = 16
#: delivered on the day it was accepted (即办件)
INSTANT = 32
#: on the green channel
GREEN = 64
#: accepted, then decided (准予 or 不予): what the rates are over — not a withdrawal or a
#: termination, which the departments never decided
DECIDED = 128

#: the delivery kinds that are a decision
DECISIONS = frozenset({"result", "refusal"})

#: the step a correction asked at the window is counted under
INTAKE_STEP = "intake"
#: the workflow whose cases are rectifications after a bad rating (shipped with onething)
RECTIFICATION_WORKFLOW = "rectification"

_CORRECTIONS = frozenset({"correction_requested", "intake_correction_requested"})


class Tally(NamedTuple):
    """One count under its key (see the module docstring); ``day`` is ISO ``YYYY-MM-DD``."""

    measure: str
    workflow: str
    department: str
    step: str
    day: str
    kind: str = ""
    days: int = -1
    flags: int = 0


def corrections_in(status: Iterable[StatusEvent]) -> int:
    """How many corrections the status events ask (intake's one notice and each step's)."""
    return sum(1 for event in status if event.type in _CORRECTIONS)


def day_of(moment: dt.datetime) -> str:
    """The date of ``moment`` in Asia/Shanghai, as tallies and reports key it."""
    return moment.astimezone(SHANGHAI).date().isoformat()


def week_of(day: str) -> str:
    """The Monday of the ISO week of ``day`` (``YYYY-MM-DD``): how weekly reports group."""
    date = dt.date.fromisoformat(day)
    return (date - dt.timedelta(days=date.weekday())).isoformat()


def tallies(status: Sequence[StatusEvent], case: Case, workflow: Workflow,
            policy: clk.ClockPolicy, calendar: WorkCalendar) -> list[Tally]:
    """What the status events ``status`` add to the statistics, ``case`` being the case as
    the change that wrote them left it (see the module docstring)."""
    out: list[Tally] = []
    for event in status:
        made = _MADE.get(event.type)
        if made is not None:  # most status events (a step's decision) count nothing here
            out += made(event, day_of(event.at), case, workflow, policy, calendar)
    return out


def _received(event: StatusEvent, day: str, case: Case, workflow: Workflow,
              *_: Any) -> list[Tally]:
    green = "green" if event.data.get("green_channel") else ""
    return [Tally(RECEIVED, case.workflow_id, _lead(event, workflow), "", day, green)]


def _lead(event: StatusEvent, workflow: Workflow) -> str:
    """The lead department as the status event names it (the version of its day, whatever
    version the case was migrated to since)."""
    return event.department or workflow.lead


def _accepted(event: StatusEvent, day: str, case: Case, workflow: Workflow,
              *_: Any) -> list[Tally]:
    kind = "deemed" if event.type == "deemed_accepted" else ""
    return [Tally(ACCEPTED, case.workflow_id, _lead(event, workflow), "", day, kind)]


def _correction(event: StatusEvent, day: str, case: Case, workflow: Workflow,
                *_: Any) -> list[Tally]:
    return [Tally(CORRECTION, case.workflow_id, _lead(event, workflow),
                  event.step or INTAKE_STEP, day)]


def _rating(event: StatusEvent, day: str, case: Case, workflow: Workflow,
            *_: Any) -> list[Tally]:
    rating = event.data.get("rating")
    if not isinstance(rating, int) or isinstance(rating, bool):
        return []
    return [Tally(RATING, case.workflow_id, _lead(event, workflow), "", day, str(rating))]


def _delivered(event: StatusEvent, day: str, case: Case, workflow: Workflow,
               policy: clk.ClockPolicy, calendar: WorkCalendar) -> list[Tally]:
    clocks = uses(case, workflow, policy, calendar, event.at)
    own = next((r for r in clocks if r.clock == clk.CASE), None)
    flags = GREEN if case.priority > 0 else 0
    days = -1
    kind = str(event.data.get("kind") or case.delivery_kind or "")
    if case.accepted_at is not None:
        flags |= WAS_ACCEPTED
        if kind in DECISIONS:
            flags |= DECIDED
            if case.corrections == 0:
                flags |= FIRST_TIME
            if day_of(case.accepted_at) == day:
                flags |= INSTANT
    if own is not None:
        days = own.used_days
        if flags & DECIDED:
            flags |= _against_limit(own)
    out = [Tally(DELIVERED, case.workflow_id, _lead(event, workflow), "", day, kind, days,
                 flags)]
    for record in clocks:
        if record.kind == STEP and record.finished and record.step is not None:
            out.append(Tally(STEP_TIME, case.workflow_id, record.department, record.step, day,
                             _state(record), record.used_days))
    if case.workflow_id == RECTIFICATION_WORKFLOW and case.origin is not None \
            and case.created_at is not None:
        rated = case.form.get("department")
        state = _state(own) if own is not None else ""
        # dated the day of the rating that opened it (the day this case was opened), so that
        # a period's rectifications are those of its bad ratings
        out.append(Tally(RECTIFIED, case.workflow_id,
                         rated if isinstance(rated, str) and rated else _lead(event, workflow),
                         "", day_of(case.created_at), state))
    return out


def _state(record: ClockUse) -> str:
    """``met``, ``late``, or ``""`` for a clock without a limit or not finished."""
    if record.committed is None and record.statutory is None:
        return ""
    state = record.state
    return "met" if state is clk.Status.MET else "late" if state is clk.Status.LATE else ""


def _against_limit(record: ClockUse) -> int:
    state = _state(record)
    flags = ON_TIME if state == "met" else LATE if state == "late" else 0
    limit = record.committed or record.statutory
    if limit is not None and state:
        amount, _, unit = limit.partition(" ")
        if unit == Unit.WD.value and record.used_days < float(amount):
            flags |= EARLY
    return flags


_MADE = {
    "submitted": _received,
    "accepted": _accepted,
    "deemed_accepted": _accepted,
    "correction_requested": _correction,
    "intake_correction_requested": _correction,
    "delivered": _delivered,
    "evaluated": _rating,
}


__all__ = [
    "ACCEPTED",
    "CORRECTION",
    "DELIVERED",
    "EARLY",
    "FIRST_TIME",
    "GREEN",
    "INSTANT",
    "INTAKE_STEP",
    "LATE",
    "MEASURES",
    "ON_TIME",
    "RATING",
    "RECEIVED",
    "RECTIFICATION_WORKFLOW",
    "RECTIFIED",
    "STEP_TIME",
    "WAS_ACCEPTED",
    "Tally",
    "corrections_in",
    "day_of",
    "tallies",
    "week_of",
]
