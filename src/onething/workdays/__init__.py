"""Working days (工作日): durations, clocks, office hours, overrides, due dates and the calendar.

The official Chinese calendar with its make-up working days (调休), years without official data
marked provisional, and time limits counted on it. Loading this package costs nothing: the
``holidays`` data is read when a :class:`WorkCalendar` is made.
"""

from __future__ import annotations

from onething.errors import CalendarError, DurationError, OverridesError, ProvisionalCalendarError
from onething.workdays.calendar import WorkCalendar
from onething.workdays.clock import SHANGHAI, Clock, FixedClock, SystemClock
from onething.workdays.days import DayInfo, DayKind, installed_official_years
from onething.workdays.due import CountFrom, DayStep, Due, Pause, explain
from onething.workdays.duration import Duration, Unit
from onething.workdays.office_hours import OfficeHours
from onething.workdays.overrides import CalendarOverrides, OverrideDay

__all__ = [
    "SHANGHAI", "CalendarError", "CalendarOverrides", "Clock", "CountFrom", "DayInfo",
    "DayKind", "DayStep", "Due", "Duration", "DurationError", "FixedClock", "OfficeHours",
    "OverrideDay", "OverridesError", "Pause", "ProvisionalCalendarError", "SystemClock", "Unit",
    "WorkCalendar", "explain", "installed_official_years",
]
