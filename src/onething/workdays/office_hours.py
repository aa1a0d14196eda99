"""Office hours: when a working day starts and ends (for hour limits and end-of-day deadlines)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from onething.errors import CalendarError


def _parse_time(text: str, what: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError:
        raise CalendarError(f"{what}: cannot read {text!r} as a time such as 09:00") from None


@attrs.frozen
class OfficeHours:
    """Office hours of a working day; default 09:00-12:00 and 13:30-17:00 (6.5 hours).

    ``lunch_start``/``lunch_end`` are both set or both ``None``. A day-unit due date expires at
    ``end``; half a working day ends at :attr:`half_day_end`.
    """

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)
    lunch_start: dt.time | None = dt.time(12, 0)
    lunch_end: dt.time | None = dt.time(13, 30)

    def __attrs_post_init__(self) -> None:
        for name in ("start", "end", "lunch_start", "lunch_end"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, dt.time) or value.tzinfo):
                raise CalendarError(f"office hours: {name} must be a naive time, got {value!r}")
        if not self.start < self.end:
            raise CalendarError(f"office hours: start {self.start} is not before end {self.end}")
        if (self.lunch_start is None) != (self.lunch_end is None):
            raise CalendarError("office hours: give both lunch_start and lunch_end, or neither")
        if (
            self.lunch_start is not None
            and self.lunch_end is not None
            and not (self.start < self.lunch_start < self.lunch_end < self.end)
        ):
            raise CalendarError(
                f"office hours: the lunch break {self.lunch_start}-{self.lunch_end} must lie "
                f"inside {self.start}-{self.end}"
            )

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Read ``"09:00-12:00,13:30-17:00"`` (with a lunch break) or ``"09:00-17:00"``."""
        parts = [p for p in text.split(",") if p.strip()]
        spans: list[tuple[dt.time, dt.time]] = []
        for part in parts:
            if part.count("-") != 1:
                raise CalendarError(f"office hours: cannot read {part.strip()!r} as HH:MM-HH:MM")
            a, b = part.split("-")
            spans.append((_parse_time(a, "office hours"), _parse_time(b, "office hours")))
        if len(spans) == 1:
            return cls(spans[0][0], spans[0][1], None, None)
        if len(spans) == 2:
            return cls(spans[0][0], spans[1][1], spans[0][1], spans[1][0])
        raise CalendarError(
            f"office hours: expected '09:00-17:00' or '09:00-12:00,13:30-17:00', got {text!r}"
        )

    @property
    def segments(self) -> tuple[tuple[dt.time, dt.time], ...]:
        """The open periods of a working day, in order."""
        if self.lunch_start is None or self.lunch_end is None:
            return ((self.start, self.end),)
        return ((self.start, self.lunch_start), (self.lunch_end, self.end))

    @property
    def half_day_end(self) -> dt.time:
        """End of the first half of the office day: lunch start, or the midpoint."""
        if self.lunch_start is not None:
            return self.lunch_start
        day = dt.date(2000, 1, 1)
        a = dt.datetime.combine(day, self.start)
        b = dt.datetime.combine(day, self.end)
        return (a + (b - a) / 2).time()

    @property
    def length(self) -> dt.timedelta:
        """Total open time of one working day."""
        day = dt.date(2000, 1, 1)
        return sum(
            (dt.datetime.combine(day, b) - dt.datetime.combine(day, a) for a, b in self.segments),
            dt.timedelta(),
        )

    @property
    def hours(self) -> Decimal:
        """Open hours of one working day (what a working hour is worth: 6.5 h by default)."""
        return Decimal(int(self.length.total_seconds())) / 3600

    def __str__(self) -> str:
        return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.segments)
