"""Working-day calendar (工作日) for time limits: due dates, provisional years, pauses.

Backed by the ``holidays`` package (``holidays.China``: the State Council's yearly notices with
make-up working days, 调休上班) plus an optional override table (YAML) for a schedule newer than
the installed data and for local closures.

Official data and provisional years
    A year is *official* when the installed ``holidays`` carries its State Council notice (the
    years of ``ChinaStaticHolidays.special_public_holidays``, 2001-2026 in holidays 0.109) or
    when the override table declares it (``official_years``) and lists its full schedule. Any
    other year from 2025 on is *projected* by the rules of 全国年节及纪念日放假办法 as amended
    in 2024 (:mod:`onething.workdays.projection`: statutory days, breaks, make-up working
    days); earlier or later years fall back to ``holidays``' own extrapolation (statutory days
    and weekend "observed" days, no make-up working days). Every result that depends on a
    year without a notice is *provisional* and says why; ``strict=True`` refuses instead
    (:class:`ProvisionalCalendarError`), and :meth:`WorkCalendar.lenient` is the same calendar
    answering provisionally (the engine uses it for the law's own timers). December 29-31 of
    an official year stay provisional while the next year is not official: the next notice has
    moved them (the 2006 notice made Saturday 2005-12-31 a working day; likewise 2001, 2006,
    2007, 2011, 2018); a Tuesday New Year's Day bridges Dec 31 with make-up Saturday Dec 29, so
    no earlier day is at risk. ``year_end_guard=False`` turns this off.

Counting rules
    * Day units (WD, ND) start the day after acceptance (``count_from="next_day"``, the usual
      "次日起计算"; 民法典 art. 201) or on the day itself (``"same_day"``). A make-up
      Saturday counts as a working day; a weekday inside a holiday break does not.
    * A day-unit due date expires at the end of the office day in Asia/Shanghai; 0.5 WD ends
      at the end of the first half of the office day (the start of the lunch break, or the
      midpoint of the office day when there is no lunch break). Only multiples of 0.5 WD are
      accepted; ND must be whole.
    * Hour units count from the instant of acceptance (民法典 art. 201: periods in hours run
      from the stated time): WH only inside office hours on working days, NH around the clock.
    * ND and NH count every day, working or not; pauses still stop them. A period in natural
      days whose last day is a day off (a weekend or holiday) ends on the next working day
      (民法典 art. 203, which 行政许可法 art. 82 follows), so an ND due date reads the calendar
      for its last days (and is provisional when one of them is). NH periods run to the hour.
    * A pause (:class:`Pause`, inclusive dates) stops the clock: its days do not count, so a
      pause never makes a due date earlier.

No code here reads the wall clock except :class:`SystemClock`; pass a :class:`Clock`.
"""


from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable

from onething.errors import CalendarError, OverridesError, ProvisionalCalendarError
from onething.workdays.clock import _UTC, SHANGHAI, Clock
from onething.workdays.days import (
    _YEAR_END_FIRST_DAY,
    Answer,
    DayInfo,
    DayKind,
    _year_span,
    installed_official_years,
)
from onething.workdays.due import (
    _DUE_MEMO,
    CountFrom,
    DayStep,
    Due,
    Pause,
    PauseLike,
    _hm,
    _hours,
    _local_date,
    _normalise_start,
    _note_provisional,
    _paused,
    _pauses,
    _start_instant,
)
from onething.workdays.duration import Duration, Unit
from onething.workdays.office_hours import OfficeHours
from onething.workdays.overrides import CalendarOverrides
from onething.workdays.projection import (
    ProjectedDay,
    project,
    projects,
    unofficial_reason,
)

_MAX_SCAN_DAYS = 3660  # ten years: no limit in practice needs more; stops runaway overrides


class WorkCalendar:
    """Chinese working-day calendar: ``holidays`` data, overrides, office hours, strictness."""

    def __init__(
        self,
        overrides: CalendarOverrides | None = None,
        office_hours: OfficeHours | None = None,
        *,
        strict: bool = False,
        year_end_guard: bool = True,
        language: str = "zh_CN",
    ) -> None:
        self.overrides = overrides if overrides is not None else CalendarOverrides()
        self.office_hours = office_hours if office_hours is not None else OfficeHours()
        self.strict = strict
        self.year_end_guard = year_end_guard
        # the calendar's data: loaded when a calendar is made, not before
        from holidays.countries.china import China
        from holidays.version import __version__ as holidays_version

        self._holidays_version = holidays_version
        self._holidays = China(language=language)  # type: ignore[no-untyped-call]  # holidays: untyped __init__
        self._installed = installed_official_years()
        self._official = self._installed | self.overrides.official_years
        self._off = {d.date: d.reason for d in self.overrides.days_off}
        self._work = {d.date: d.reason for d in self.overrides.working_days}
        self._cache: dict[dt.date, DayInfo] = {}
        self._dues: dict[tuple[object, ...], tuple[dt.datetime, tuple[DayStep, ...],
                                                   tuple[str, ...]]] = {}
        self._counts: dict[tuple[object, ...], Answer[int]] = {}
        self._data_version: str | None = None
        self._lenient: WorkCalendar | None = None
        for year in sorted(self.overrides.official_years - self._installed):
            if not any(d.year == year for d in self._off):
                raise OverridesError(
                    f"{self.overrides.source}: official_years declares {year}, but the "
                    f"installed holidays {self._holidays_version} has no {year} schedule and the "
                    f"table lists no day off in {year}; list that year's full schedule"
                )

    # -- coverage

    @property
    def official_years(self) -> frozenset[int]:
        """Years with official data (installed or declared by the overrides)."""
        return self._official

    @property
    def official_through(self) -> int:
        """Last year of the unbroken run of official years starting at the installed data."""
        if not self._official:
            raise CalendarError(f"holidays {self._holidays_version} has no official CN schedule")
        year = min(self._installed or self._official)
        while year + 1 in self._official:
            year += 1
        return year

    def is_official(self, year: int) -> bool:
        """True when ``year`` has an official schedule."""
        return year in self._official

    @property
    def data_version(self) -> str:
        """Which data a result used, e.g. ``holidays 0.109 (official 2001-2026); ...``."""
        if self._data_version is None:
            self._data_version = self._describe_data()
        return self._data_version

    def _describe_data(self) -> str:
        text = f"holidays {self._holidays_version} (official {_year_span(self._installed)})"
        if not self.overrides.empty:
            declared = _year_span(self.overrides.official_years)
            text += f" + overrides sha256:{self.overrides.sha256[:12]} ({self.overrides.source}"
            text += f"; official {declared})" if self.overrides.official_years else ")"
        return text + f"; official through {self.official_through}"

    def lenient(self) -> WorkCalendar:
        """This calendar answering provisionally instead of refusing (the same data and memos);
        ``self`` when it is not strict."""
        if not self.strict:
            return self
        if self._lenient is None:
            twin = copy.copy(self)
            twin.strict = False
            twin._lenient = twin
            self._lenient = twin
        return self._lenient

    def coverage_notice(self, clock: Clock) -> str | None:
        """A warning when the data is (about to be) out of date, else ``None``.

        The next year's notice appears between October and December (2005-2025: 14 of 21 in
        December); from October on a missing next year is worth telling the operator, and a
        missing current year always is.
        """
        today = clock.now().astimezone(SHANGHAI).date()
        version = f"holidays {self._holidays_version}"
        if not self.is_official(today.year):
            return (
                f"{version} has no official schedule for the current year {today.year}; "
                "update holidays or add the schedule to the override table"
            )
        if today.month >= 10 and not self.is_official(today.year + 1):
            return (
                f"{version} has no official schedule for {today.year + 1} yet (the notice "
                "comes out between October and December); due dates reaching it are "
                "provisional, projected by the holiday rules"
            )
        return None

    def _provisional_reason(self, day: dt.date) -> str | None:
        version = f"holidays {self._holidays_version}"
        if not self.is_official(day.year):
            return unofficial_reason(day.year, version)
        if (
            self.year_end_guard
            and day.month == 12
            and day.day >= _YEAR_END_FIRST_DAY
            and not self.is_official(day.year + 1)
        ):
            return (
                f"the {day.year + 1} holiday notice is not in {version} or the overrides; it "
                f"may move days off or make-up working days into {day.year}-12-29..31 (the "
                "2006 notice made 2005-12-31 a working day)"
            )
        return None

    # -- single days

    def day_kind(self, day: dt.date | dt.datetime) -> DayInfo:
        """Classify one date (a datetime is taken in Asia/Shanghai)."""
        d = _local_date(day)
        info = self._cache.get(d)
        if info is None:
            info = self._classify(d)
            self._cache[d] = info
        return info

    def _classify(self, d: dt.date) -> DayInfo:
        reason = self._provisional_reason(d)
        prov = reason is not None
        if d in self._off:
            return DayInfo(d, DayKind.OVERRIDE_DAY_OFF, False, self._off[d], prov, reason)
        if d in self._work:
            return DayInfo(d, DayKind.OVERRIDE_WORKING_DAY, True, self._work[d], prov, reason)
        weekend = d.weekday() >= 5
        projected = self._projected(d)
        if projected is not None:
            kind = DayKind.MAKEUP_WORKING_DAY if projected.working else DayKind.HOLIDAY
            return DayInfo(d, kind, projected.working, projected.name, prov, reason)
        if d.year in self._installed or (d.year not in self._official
                                         and not projects(d.year)):
            # Installed data, or (for a provisional year) the library's extrapolation.
            names = self._holidays.get_list(d)
            if weekend and d in self._holidays.weekend_workdays:
                return DayInfo(d, DayKind.MAKEUP_WORKING_DAY, True, None, prov, reason)
            if names:
                return DayInfo(d, DayKind.HOLIDAY, False, "; ".join(names), prov, reason)
        # A year declared official by the overrides alone: weekends plus the table.
        if weekend:
            return DayInfo(d, DayKind.WEEKEND, False, None, prov, reason)
        return DayInfo(d, DayKind.WORKING, True, None, prov, reason)

    def _projected(self, d: dt.date) -> ProjectedDay | None:
        """The projection's word on ``d`` in a year without a notice (a late-December day
        also hears the next year's projection, e.g. a Tuesday 元旦 bridging Dec 31)."""
        if d.year in self._official or not projects(d.year):
            return None
        found = project(d.year).days.get(d)
        following = d.year + 1
        if found is None and d.month == 12 and projects(following) \
                and following not in self._official:
            found = project(following).days.get(d)
        return found

    def is_working_day(self, day: dt.date | dt.datetime) -> bool:
        """True on working days. Strict mode raises for a provisional answer."""
        return self.working_day(day).value

    def working_day(self, day: dt.date | dt.datetime) -> Answer[bool]:
        """Whether ``day`` is a working day, and whether that answer is provisional (why).
        Strict mode raises for a provisional answer."""
        info = self.day_kind(day)
        reasons = (info.provisional_reason,) if info.provisional_reason else ()
        if reasons and self.strict:
            raise ProvisionalCalendarError(reasons)
        return Answer(info.working, bool(reasons), reasons)

    # -- arithmetic

    def add(
        self,
        start: dt.datetime | dt.date,
        duration: Duration,
        *,
        count_from: CountFrom = "next_day",
        pauses: Iterable[PauseLike] = (),
    ) -> Due:
        """The due date of ``duration`` from ``start`` (acceptance), stopped by ``pauses``.

        ``start`` is a date or a datetime (naive means Asia/Shanghai). ``count_from`` applies
        to day units; hour units run from the instant (a bare date means its midnight).
        Strict mode raises :class:`ProvisionalCalendarError` instead of a provisional result.
        """
        if count_from not in ("next_day", "same_day"):
            raise CalendarError(f"count_from must be 'next_day' or 'same_day', got {count_from!r}")
        if not isinstance(duration, Duration):
            raise CalendarError(
                f"expected a Duration such as Duration.parse('3 WD'), got {duration!r}"
            )
        if not duration.amount > 0:
            raise CalendarError(f"a duration must be positive, got {duration}")
        start = _normalise_start(start)
        stops = _pauses(pauses)
        # a day unit's answer depends on the start's date alone: remembered by day, so a clock
        # that moves keeps finding it (an hour unit's, by the instant)
        by_day = duration.unit is Unit.WD or duration.unit is Unit.ND
        key = (_local_date(start) if by_day else start, duration, count_from, stops)
        known = self._dues.get(key)
        if known is None:
            try:
                if duration.unit is Unit.WD:
                    found = self._add_working_days(start, duration, count_from, stops)
                elif duration.unit is Unit.ND:
                    found = self._add_natural_days(start, duration, count_from, stops)
                elif duration.unit is Unit.WH:
                    found = self._add_working_hours(start, duration, stops)
                else:
                    found = self._add_natural_hours(start, duration, stops)
            except OverflowError:
                raise CalendarError(f"{duration} from {start:%Y-%m-%d} ends beyond the last "
                                    "date the calendar can count (9999-12-31)") from None
            known = (found[0], tuple(found[1]), tuple(found[2]))
            if len(self._dues) >= _DUE_MEMO:
                self._dues.clear()
            self._dues[key] = known  # shared with the lenient twin: strict is asked below
        deadline, steps, reasons = known
        if reasons and self.strict:
            raise ProvisionalCalendarError(reasons)
        return Due(start=start, duration=duration, count_from=count_from, pauses=stops,
                   deadline=deadline, provisional=bool(reasons), reasons=reasons, steps=steps,
                   calendar_version=self.data_version)

    def working_days_between(
        self,
        a: dt.date | dt.datetime,
        b: dt.date | dt.datetime,
        *,
        pauses: Iterable[PauseLike] = (),
    ) -> int:
        """Working days ``d`` with ``a < d <= b`` outside the pauses (negative if ``b < a``).

        Matches ``add``: ``add(a, n WD).date == b`` implies ``working_days_between(a, b) == n``.
        Strict mode raises for a provisional count; :meth:`count_working_days` says it instead.
        """
        return self.count_working_days(a, b, pauses=pauses).value

    def count_working_days(self, a: dt.date | dt.datetime, b: dt.date | dt.datetime, *,
                           pauses: Iterable[PauseLike] = ()) -> Answer[int]:
        """:meth:`working_days_between` with whether the count is provisional, and why."""
        first, last = _local_date(a), _local_date(b)
        if last < first:
            back = self.count_working_days(last, first, pauses=pauses)
            return Answer(-back.value, back.provisional, back.reasons)
        stops = _pauses(pauses)
        key = (first, last, stops)
        known = self._counts.get(key)
        if known is None:
            reasons: list[str] = []
            count = 0
            d = first + dt.timedelta(days=1)
            while d <= last:
                if _paused(d, stops) is None:
                    info = self.day_kind(d)
                    _note_provisional(info, reasons)
                    count += info.working
                d += dt.timedelta(days=1)
            known = Answer(count, bool(reasons), tuple(reasons))
            if len(self._counts) >= _DUE_MEMO:
                self._counts.clear()
            self._counts[key] = known
        if known.provisional and self.strict:
            raise ProvisionalCalendarError(known.reasons)
        return known

    def _end_of_office_day(self, d: dt.date, half: bool = False) -> dt.datetime:
        t = self.office_hours.half_day_end if half else self.office_hours.end
        return dt.datetime.combine(d, t, tzinfo=SHANGHAI)

    def _add_working_days(
        self,
        start: dt.datetime | dt.date,
        duration: Duration,
        count_from: CountFrom,
        stops: tuple[Pause, ...],
    ) -> tuple[dt.datetime, list[DayStep], list[str]]:
        halves = duration.amount * 2
        if halves != halves.to_integral_value():
            raise CalendarError(
                f"working days must be whole or half days (0.5 WD = half an office day); "
                f"got {duration}"
            )
        full, half = divmod(int(halves), 2)
        needed = full + half
        d = _local_date(start) + dt.timedelta(days=1 if count_from == "next_day" else 0)
        steps: list[DayStep] = []
        reasons: list[str] = []
        count = 0
        for _ in range(_MAX_SCAN_DAYS):
            pause = _paused(d, stops)
            if pause is not None:
                steps.append(DayStep(d, False, f"paused: {pause.reason}"))
            else:
                info = self.day_kind(d)
                _note_provisional(info, reasons)
                if info.working:
                    count += 1
                    last_half = half and count == needed
                    label = f"day {count}" if not last_half else f"day {count} (first half)"
                    steps.append(DayStep(d, True, info.describe(), label, info.provisional))
                    if count == needed:
                        return self._end_of_office_day(d, bool(half)), steps, reasons
                else:
                    steps.append(DayStep(d, False, info.describe(), "", info.provisional))
            d += dt.timedelta(days=1)
        raise CalendarError(f"no due date within {_MAX_SCAN_DAYS} days of {start}")

    def _add_natural_days(
        self,
        start: dt.datetime | dt.date,
        duration: Duration,
        count_from: CountFrom,
        stops: tuple[Pause, ...],
    ) -> tuple[dt.datetime, list[DayStep], list[str]]:
        if duration.amount != duration.amount.to_integral_value():
            raise CalendarError(f"natural days must be whole days; got {duration}")
        needed = int(duration.amount)
        d = _local_date(start) + dt.timedelta(days=1 if count_from == "next_day" else 0)
        steps: list[DayStep] = []
        count = 0
        for _ in range(_MAX_SCAN_DAYS + needed):
            pause = _paused(d, stops)
            if pause is not None:
                steps.append(DayStep(d, False, f"paused: {pause.reason}"))
            else:
                count += 1
                if count == needed:
                    return self._next_working_end(d, steps)
            d += dt.timedelta(days=1)
        raise CalendarError(f"no due date within {_MAX_SCAN_DAYS} days of {start}")

    def _next_working_end(self, last: dt.date, steps: list[DayStep]
                          ) -> tuple[dt.datetime, list[DayStep], list[str]]:
        """A period in natural days whose last day is a day off ends on the next working day
        (民法典 art. 203; 行政许可法 art. 82 counts its periods so): the days passed over are
        steps, and a provisional one makes the due date provisional."""
        reasons: list[str] = []
        d = last
        for _ in range(_MAX_SCAN_DAYS):
            info = self.day_kind(d)
            _note_provisional(info, reasons)
            if info.working:
                return self._end_of_office_day(d), steps, reasons
            steps.append(DayStep(d, False, f"{info.describe()}: the last day is a day off, so "
                                 "the period ends on the next working day (民法典 art. 203)",
                                 "", info.provisional))
            d += dt.timedelta(days=1)
        raise CalendarError(f"no working day within {_MAX_SCAN_DAYS} days of {last}")

    def _add_working_hours(
        self, start: dt.datetime | dt.date, duration: Duration, stops: tuple[Pause, ...]
    ) -> tuple[dt.datetime, list[DayStep], list[str]]:
        remaining = _hours(duration)
        t = _start_instant(start)
        d = t.date()
        steps: list[DayStep] = []
        reasons: list[str] = []
        for _ in range(_MAX_SCAN_DAYS):
            pause = _paused(d, stops)
            if pause is not None:
                steps.append(DayStep(d, False, f"paused: {pause.reason}"))
            else:
                info = self.day_kind(d)
                _note_provisional(info, reasons)
                if not info.working:
                    steps.append(DayStep(d, False, info.describe(), "", info.provisional))
                else:
                    used = dt.timedelta()
                    for a, b in self.office_hours.segments:
                        seg_start = max(dt.datetime.combine(d, a, tzinfo=SHANGHAI), t)
                        seg_end = dt.datetime.combine(d, b, tzinfo=SHANGHAI)
                        if seg_end <= seg_start:
                            continue
                        available = seg_end - seg_start
                        if remaining <= available:
                            used += remaining
                            steps.append(
                                DayStep(d, True, info.describe(), _hm(used), info.provisional)
                            )
                            return seg_start + remaining, steps, reasons
                        remaining -= available
                        used += available
                    if used:
                        steps.append(DayStep(d, True, info.describe(), _hm(used), info.provisional))
                    else:
                        note = f"{info.describe()}, no office time left after acceptance"
                        steps.append(DayStep(d, False, note, "", info.provisional))
            d += dt.timedelta(days=1)
            t = dt.datetime.combine(d, dt.time(0), tzinfo=SHANGHAI)
        raise CalendarError(f"no due date within {_MAX_SCAN_DAYS} days of {start}")

    def _add_natural_hours(
        self, start: dt.datetime | dt.date, duration: Duration, stops: tuple[Pause, ...]
    ) -> tuple[dt.datetime, list[DayStep], list[str]]:
        remaining = _hours(duration)
        t = _start_instant(start)
        steps: list[DayStep] = []
        for _ in range(_MAX_SCAN_DAYS + remaining.days + 1):
            d = t.date()
            midnight = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI)
            pause = _paused(d, stops)
            if pause is not None:
                steps.append(DayStep(d, False, f"paused: {pause.reason}"))
            else:
                available = midnight.astimezone(_UTC) - t.astimezone(_UTC)
                if remaining <= available:
                    return (t.astimezone(_UTC) + remaining).astimezone(SHANGHAI), steps, []
                remaining -= available
            t = midnight
        raise CalendarError(f"no due date within {_MAX_SCAN_DAYS} days of {start}")
