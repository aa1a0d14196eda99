"""Due dates: pauses, the steps counted, the result of adding a limit, and how to explain it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

import attrs

from onething.errors import CalendarError
from onething.workdays.clock import SHANGHAI, Clock
from onething.workdays.days import _WEEKDAYS, DayInfo
from onething.workdays.duration import Duration, Unit

CountFrom = Literal["next_day", "same_day"]






@attrs.frozen
class Pause:
    """An interval (inclusive dates) during which the clock stops, e.g. 特别程序 (art. 45)."""

    start: dt.date
    end: dt.date
    reason: str = "paused"

    def __attrs_post_init__(self) -> None:
        if isinstance(self.start, dt.datetime) or isinstance(self.end, dt.datetime):
            raise CalendarError("a pause is given in dates, not datetimes")
        if self.end < self.start:
            raise CalendarError(f"a pause cannot end ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


PauseLike = Pause | tuple[dt.date, dt.date]


#: due dates remembered per calendar (clocks are re-planned on every action of a case)
_DUE_MEMO = 4_096


def _pauses(pauses: Iterable[PauseLike]) -> tuple[Pause, ...]:
    out: list[Pause] = []
    for p in pauses:
        if isinstance(p, Pause):
            out.append(p)
        elif isinstance(p, tuple) and len(p) == 2:
            out.append(Pause(p[0], p[1]))
        else:
            raise CalendarError(f"a pause is Pause(start, end) or (start, end), got {p!r}")
    return tuple(sorted(out, key=lambda p: (p.start, p.end)))


@attrs.frozen
class DayStep:
    """One day walked while counting: counted (with ``label``, e.g. ``day 2``) or skipped."""

    date: dt.date
    counted: bool
    note: str
    label: str = ""
    provisional: bool = False


@attrs.frozen
class Due:
    """A computed due date, with everything needed to show, explain and recompute it."""

    start: dt.datetime | dt.date
    duration: Duration
    count_from: CountFrom
    pauses: tuple[Pause, ...]
    deadline: dt.datetime
    provisional: bool
    reasons: tuple[str, ...]
    steps: tuple[DayStep, ...]
    calendar_version: str

    @property
    def date(self) -> dt.date:
        """The due date (local date of :attr:`deadline`)."""
        return self.deadline.astimezone(SHANGHAI).date()

    @property
    def skipped(self) -> tuple[tuple[dt.date, str], ...]:
        """Days passed over and why, in date order (for ``--explain``)."""
        return tuple((s.date, s.note) for s in self.steps if not s.counted)

    def is_overdue(self, clock: Clock) -> bool:
        """True once the clock is past the deadline."""
        return clock.now() > self.deadline


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, dt.date):
        return value
    raise CalendarError(f"expected a date or datetime, got {value!r}")


def _normalise_start(start: dt.datetime | dt.date) -> dt.datetime | dt.date:
    if isinstance(start, dt.datetime):
        if start.tzinfo is None:
            return start.replace(tzinfo=SHANGHAI)
        return start.astimezone(SHANGHAI)
    if isinstance(start, dt.date):
        return start
    raise CalendarError(f"acceptance must be a date or datetime, got {start!r}")


def _start_instant(start: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(start, dt.datetime):
        return start
    return dt.datetime.combine(start, dt.time(0), tzinfo=SHANGHAI)


def _paused(d: dt.date, stops: tuple[Pause, ...]) -> Pause | None:
    for p in stops:
        if d in p:
            return p
    return None


def _note_provisional(info: DayInfo, reasons: list[str]) -> None:
    if info.provisional_reason and info.provisional_reason not in reasons:
        reasons.append(info.provisional_reason)


def _hours(duration: Duration) -> dt.timedelta:
    micro = duration.amount * Decimal(3_600_000_000)
    if micro != micro.to_integral_value():
        raise CalendarError(f"cannot express {duration} in whole microseconds")
    return dt.timedelta(microseconds=int(micro))


def _hm(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m counted"


def _fmt_day(d: dt.date) -> str:
    return f"{d.isoformat()} {_WEEKDAYS[d.weekday()]}"


def explain(due: Due) -> list[str]:
    """Lines for ``onething due --explain``: each day walked, skipped days and why, the result."""
    start = due.start
    if isinstance(start, dt.datetime):
        accepted = f"{_fmt_day(start.date())} {start:%H:%M}"
    else:
        accepted = _fmt_day(start)
    if due.duration.unit in (Unit.WD, Unit.ND):
        rule = (
            "counting from the day after acceptance"
            if due.count_from == "next_day"
            else "counting from the day of acceptance"
        )
    else:
        rule = "counting from the moment of acceptance"
    lines = [f"accepted {accepted}; limit {due.duration}; {rule}"]
    for p in due.pauses:
        lines.append(f"paused {p.start.isoformat()}..{p.end.isoformat()}: {p.reason}")
    for s in due.steps:
        if s.counted:
            lines.append(f"  {_fmt_day(s.date)}  {s.label}: {s.note}")
        else:
            lines.append(f"  {_fmt_day(s.date)}  skipped: {s.note}")
    lines.append(f"due {_fmt_day(due.date)} {due.deadline:%H:%M} Asia/Shanghai")
    if due.provisional:
        lines.extend(f"PROVISIONAL: {r}" for r in due.reasons)
    lines.append(f"calendar: {due.calendar_version}")
    return lines
