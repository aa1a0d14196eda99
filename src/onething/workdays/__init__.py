"""Working days (工作日): durations, clocks, office hours, overrides, due dates and the calendar.

The official Chinese calendar with its make-up working days (调休), years without official data
marked provisional, and time limits counted on it. Loading this package costs nothing: the
``holidays`` data is read when a :class:`WorkCalendar` is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onething._lazy import lazy

__all__ = [
    "SHANGHAI", "Answer", "CalendarError", "CalendarOverrides", "Clock", "CountFrom", "DayInfo",
    "DayKind", "DayStep", "Due", "Duration", "DurationError", "FixedClock", "OfficeHours",
    "OverrideDay", "OverridesError", "Pause", "ProvisionalCalendarError", "SystemClock",
    "Unit", "WorkCalendar", "explain", "installed_official_years",
]

__getattr__, __dir__ = lazy(__name__, {
    "Answer": "onething.workdays.days",
    "CalendarError": "onething.errors",
    "CalendarOverrides": "onething.workdays.overrides",
    "Clock": "onething.workdays.clock",
    "CountFrom": "onething.workdays.due",
    "DayInfo": "onething.workdays.days",
    "DayKind": "onething.workdays.days",
    "DayStep": "onething.workdays.due",
    "Due": "onething.workdays.due",
    "Duration": "onething.workdays.duration",
    "DurationError": "onething.errors",
    "FixedClock": "onething.workdays.clock",
    "OfficeHours": "onething.workdays.office_hours",
    "OverrideDay": "onething.workdays.overrides",
    "OverridesError": "onething.errors",
    "Pause": "onething.workdays.due",
    "ProvisionalCalendarError": "onething.errors",
    "SHANGHAI": "onething.workdays.clock",
    "SystemClock": "onething.workdays.clock",
    "Unit": "onething.workdays.duration",
    "WorkCalendar": "onething.workdays.calendar",
    "explain": "onething.workdays.due",
    "installed_official_years": "onething.workdays.days",
})

if TYPE_CHECKING:
    from onething.errors import (
        CalendarError,
        DurationError,
        OverridesError,
        ProvisionalCalendarError,
    )
    from onething.workdays.calendar import WorkCalendar
    from onething.workdays.clock import SHANGHAI, Clock, FixedClock, SystemClock
    from onething.workdays.days import Answer, DayInfo, DayKind, installed_official_years
    from onething.workdays.due import CountFrom, DayStep, Due, Pause, explain
    from onething.workdays.duration import Duration, Unit
    from onething.workdays.office_hours import OfficeHours
    from onething.workdays.overrides import CalendarOverrides, OverrideDay
