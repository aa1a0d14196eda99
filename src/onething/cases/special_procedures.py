"""Special procedures (特别程序, 行政许可法 art. 45): the time a hearing, tender, auction,
inspection, test, quarantine, appraisal or expert review needs is not counted in the step's
limit, and the applicant is told that time in writing.

Starting one records its kind and the expected duration in the event (what the written notice
says) and starts a clock of its own, ``special:<step>``, limited by that duration: an overdue
special procedure escalates on the workflow's ladder like any other clock, so none can keep a
case open for ever in silence. Ending it stops that clock (met or late).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from onething.cases import clocks as clk
from onething.cases.clock_record import ClockRecord
from onething.errors import ActionRefused, DurationError
from onething.privacy.masking import clip
from onething.workdays import Duration, Unit, WorkCalendar

#: the kinds art. 45 names, by code, with their Chinese names
KINDS: dict[str, str] = {
    "hearing": "听证",
    "tender": "招标",
    "auction": "拍卖",
    "inspection": "检验",
    "testing": "检测",
    "quarantine": "检疫",
    "appraisal": "鉴定",
    "expert_review": "专家评审",
}

#: the longest expected duration accepted: a procedure expected to take longer is split or
#: its expectation revised when it is known
LONGEST = {Unit.WD: 250, Unit.ND: 365, Unit.WH: 250 * 8, Unit.NH: 365 * 24}

_PREFIX = "special:"


def clock_key(step: str) -> str:
    """The key of a step's special-procedure clock in ``Case.clocks``."""
    return _PREFIX + step


def step_of(key: str) -> str | None:
    """The step a clock key belongs to (``None`` for the case's and the delivery's clock)."""
    if key in (clk.CASE, clk.DELIVERY):
        return None
    return key[len(_PREFIX):] if key.startswith(_PREFIX) else key


def terms(kind: object, expected: object) -> tuple[str, Duration]:
    """The kind code and the expected duration, checked; :class:`ActionRefused` says what is
    missing or wrong (the notice to the applicant needs both)."""
    listing = ", ".join(f"{code} ({name})" for code, name in KINDS.items())
    if kind is None or expected is None:
        raise ActionRefused(
            "a special procedure needs its kind and its expected duration: the applicant is "
            "told the time needed in writing (行政许可法 art. 45)",
            f"give kind (one of {listing}) and expected, e.g. '20 WD'",
            code="refused.step.special_procedure_terms", params={"kinds": listing})
    if not isinstance(kind, str) or kind not in KINDS:
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else "(not a kind)"
        raise ActionRefused(f"{shown!r} is not a special procedure of art. 45",
                            f"one of {listing}", code="refused.step.special_procedure_kind",
                            params={"kind": shown, "kinds": listing})
    try:
        amount = expected if isinstance(expected, Duration) else Duration.parse(str(expected))
    except DurationError as exc:
        raise ActionRefused(f"the expected duration cannot be read: {exc}",
                            "e.g. '20 WD' (working days) or '30 ND' (natural days)",
                            code="refused.step.special_procedure_unreadable",
                            params={"given": clip(expected, 40)}) from None
    most = LONGEST.get(amount.unit)
    if amount.amount <= 0 or most is None or amount.amount > most:
        raise ActionRefused(
            f"an expected duration of {amount} is not accepted",
            f"between 1 and {LONGEST[Unit.WD]} WD (or {LONGEST[Unit.ND]} ND); revise it later "
            "by ending the procedure and starting it again if it runs longer",
            code="refused.step.special_procedure_length",
            params={"duration": str(amount), "most_wd": LONGEST[Unit.WD],
                    "most_nd": LONGEST[Unit.ND]})
    return kind, amount


def start(clocks: dict[str, ClockRecord], step: str, kind: str, expected: Duration,
          now: dt.datetime, calendar: WorkCalendar,
          policy: clk.ClockPolicy) -> dict[str, Any]:
    """Start the step's special-procedure clock; the event data that records it."""
    clock = clk.new_clock(now, expected, None)
    clock["kind"] = kind
    clocks[clock_key(step)] = clock
    due = clk.due(calendar, clock, "committed", now, policy)
    data: dict[str, Any] = {"kind": kind, "kind_zh": KINDS[kind], "expected": str(expected),
                            "law": "行政许可法 art. 45"}
    if due is not None:
        data["expected_end"] = due.deadline.isoformat()
        if due.provisional:
            data["provisional"] = True
    return data


def end(clocks: dict[str, ClockRecord], step: str, now: dt.datetime,
        calendar: WorkCalendar, policy: clk.ClockPolicy) -> dict[str, Any]:
    """Stop the step's special-procedure clock; the event data (its kind, met or late)."""
    key = clock_key(step)
    if key not in clocks:  # started by a release that kept no such clock
        return {}
    clock = clk.own(clocks, key)
    clk.finish(clock, now)
    status = clk.status(calendar, clock, now, policy)
    return {"kind": clock.get("kind"), "on_time": status is clk.Status.MET}


__all__ = ["KINDS", "LONGEST", "clock_key", "end", "start", "step_of", "terms"]
