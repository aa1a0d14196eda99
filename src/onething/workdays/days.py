"""What a day is: a working day, a weekend, a holiday or a make-up working day, and whether that is
provisional."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Generic, TypeVar

import attrs

T = TypeVar("T")

_YEAR_END_FIRST_DAY = 29  # December 29-31 may be moved by the next year's notice


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class DayKind(StrEnum):
    """Why a day is or is not a working day."""

    WORKING = "working day"
    WEEKEND = "weekend"
    HOLIDAY = "public holiday"
    MAKEUP_WORKING_DAY = "make-up working day"
    OVERRIDE_DAY_OFF = "day off (override)"
    OVERRIDE_WORKING_DAY = "working day (override)"


@attrs.frozen
class DayInfo:
    """What the calendar says about one date, and whether that is only provisional."""

    date: dt.date
    kind: DayKind
    working: bool
    name: str | None = None
    provisional: bool = False
    provisional_reason: str | None = None

    def describe(self) -> str:
        """Short human text, e.g. ``public holiday: 春节`` or ``weekend (Saturday)``."""
        if self.kind is DayKind.WEEKEND:
            text = f"weekend ({_WEEKDAY_NAMES[self.date.weekday()]})"
        elif self.kind is DayKind.MAKEUP_WORKING_DAY:
            text = "make-up working day (调休上班)"
        elif self.name:
            text = f"{self.kind.value}: {self.name}"
        else:
            text = self.kind.value
        return text + (" [provisional]" if self.provisional else "")


@attrs.frozen
class Answer(Generic[T]):
    """A calendar answer (``value``) and whether it is provisional: it rests on a year without
    a State Council notice (``reasons`` say which and how it was projected)."""

    value: T
    provisional: bool = False
    reasons: tuple[str, ...] = ()


def installed_official_years() -> frozenset[int]:
    """Years with an official Chinese schedule in the installed ``holidays`` data.

    The years of ``ChinaStaticHolidays.special_public_holidays`` (the yearly notices' swapped
    days), taken as one contiguous range from the first to the last.
    """
    from holidays.countries.china import ChinaStaticHolidays

    years = [y for y in getattr(ChinaStaticHolidays, "special_public_holidays", {}) if y]
    if not years:
        return frozenset()
    return frozenset(range(min(years), max(years) + 1))


def _year_span(years: Iterable[int]) -> str:
    ys = sorted(years)
    if not ys:
        return "none"
    runs: list[str] = []
    first = prev = ys[0]
    for y in [*ys[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        runs.append(str(first) if first == prev else f"{first}-{prev}")
        if y is not None:
            first = prev = y
    return ", ".join(runs)
