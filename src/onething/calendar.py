"""Working-day calendar (工作日) for time limits: due dates, provisional years, pauses.

Backed by the ``holidays`` package (``holidays.China``: the State Council's yearly notices with
make-up working days, 调休上班) plus an optional override table (YAML) for a schedule newer than
the installed data and for local closures.

Official data and provisional years
    A year is *official* when the installed ``holidays`` carries its State Council notice (the
    years of ``ChinaStaticHolidays.special_public_holidays``, 2001-2026 in holidays 0.109) or
    when the override table declares it (``official_years``) and lists its full schedule. For any
    other year ``holidays`` silently extrapolates (statutory days plus weekend "observed" days,
    no make-up working days). This module uses that extrapolation, but marks every result
    that depends on it *provisional* and says why; ``strict=True`` refuses instead
    (:class:`ProvisionalCalendarError`). December 29-31 of an official year are provisional too
    while the next year is not official: the next year's notice has moved those days before
    (the 2006 notice made Saturday 2005-12-31 a working day; likewise 2001, 2006, 2007, 2011
    and 2018). With New Year's Day on a Tuesday the bridge Monday is Dec 31 and the make-up
    Saturday Dec 29, so no earlier day is at risk. ``year_end_guard=False`` turns this off.

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
    * ND and NH ignore the calendar (never provisional); pauses still stop them.
    * A pause (:class:`Pause`, inclusive dates) stops the clock: its days do not count, so a
      pause never makes a due date earlier.

No code here reads the wall clock except :class:`SystemClock`; pass a :class:`Clock`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import attrs
import holidays
import yaml
from holidays.countries.china import ChinaStaticHolidays

from onething.errors import OnethingError
from onething.spec.duration import Duration, Unit

__all__ = [
    "SHANGHAI",
    "CalendarError",
    "CalendarOverrides",
    "Clock",
    "CountFrom",
    "DayInfo",
    "DayKind",
    "DayStep",
    "Due",
    "FixedClock",
    "OfficeHours",
    "OverrideDay",
    "OverridesError",
    "Pause",
    "ProvisionalCalendarError",
    "SystemClock",
    "WorkCalendar",
    "explain",
    "installed_official_years",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
"""The time zone every deadline is expressed in."""

CountFrom = Literal["next_day", "same_day"]

_UTC = dt.UTC
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MAX_SCAN_DAYS = 3660  # ten years: no limit in practice needs more; stops runaway overrides
_MAX_OVERRIDE_BYTES = 1_000_000
_MAX_RANGE_DAYS = 366
_YEAR_END_FIRST_DAY = 29  # December 29-31 may be moved by the next year's notice


# --------------------------------------------------------------------------- errors


class CalendarError(OnethingError, ValueError):
    """A calendar computation or configuration that cannot be carried out."""


class ProvisionalCalendarError(CalendarError):
    """Strict mode: the result would depend on a year without official holiday data."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(
            "refusing a provisional result (strict calendar): " + "; ".join(self.reasons)
        )


class OverridesError(CalendarError):
    """An override table that cannot be read; the message names the file and the entry."""


# --------------------------------------------------------------------------- clocks


@runtime_checkable
class Clock(Protocol):
    """Source of the current instant; inject one wherever "now" matters."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The wall clock, in Asia/Shanghai. The only place this module reads real time."""

    def now(self) -> dt.datetime:
        """The current instant in Asia/Shanghai."""
        return dt.datetime.now(SHANGHAI)


class FixedClock:
    """A clock that stands still until told to move; for tests and replays."""

    def __init__(self, at: dt.datetime) -> None:
        self._at = _require_aware(at, "FixedClock")

    def now(self) -> dt.datetime:
        """The instant the clock is set to."""
        return self._at

    def set(self, at: dt.datetime) -> None:
        """Move the clock to ``at`` (timezone-aware)."""
        self._at = _require_aware(at, "FixedClock.set")

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self._at = self._at + delta

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


def _require_aware(at: dt.datetime, what: str) -> dt.datetime:
    if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise CalendarError(f"{what} needs a timezone-aware datetime, got {at!r}")
    return at


# --------------------------------------------------------------------------- office hours


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

    def __str__(self) -> str:
        return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.segments)


# --------------------------------------------------------------------------- overrides


@attrs.frozen
class OverrideDay:
    """One date from an override table, with the reason given for it (if any)."""

    date: dt.date
    reason: str | None = None


def _canonical(days: Iterable[OverrideDay]) -> list[list[str | None]]:
    return [[d.date.isoformat(), d.reason] for d in sorted(days, key=lambda d: d.date)]


@attrs.frozen
class CalendarOverrides:
    """Extra days off, extra working days, and years whose full schedule the table carries.

    YAML form (every key optional)::

        official_years: [2027]        # this file lists the full 2027 schedule
        days_off:
          - 2027-01-01
          - {date: 2027-04-05, reason: 清明节}
          - {from: 2027-02-05, to: 2027-02-11, reason: 春节}
        working_days:
          - {date: 2027-02-20, reason: 春节调休上班}

    Overrides win over the installed data. For a declared year that the installed ``holidays``
    does not cover, *only* weekends and this table are used (no extrapolated holidays), so the
    table must list every day off of that year's notice.
    """

    days_off: tuple[OverrideDay, ...] = ()
    working_days: tuple[OverrideDay, ...] = ()
    official_years: frozenset[int] = frozenset()
    source: str = "<inline>"

    def __attrs_post_init__(self) -> None:
        off = {d.date for d in self.days_off}
        both = sorted(off & {d.date for d in self.working_days})
        if both:
            raise OverridesError(
                f"{self.source}: {both[0].isoformat()} is listed both in days_off and in "
                "working_days"
            )

    @property
    def sha256(self) -> str:
        """Hex digest of the table's content (not its comments or layout)."""
        payload = json.dumps(
            {
                "days_off": _canonical(self.days_off),
                "working_days": _canonical(self.working_days),
                "official_years": sorted(self.official_years),
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def empty(self) -> bool:
        """True when the table changes nothing."""
        return not (self.days_off or self.working_days or self.official_years)

    @classmethod
    def load(cls, path: str | Path) -> CalendarOverrides:
        """Read an override table from a YAML file."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise OverridesError(f"{p}: cannot read the override table: {exc.strerror}") from None
        if len(raw) > _MAX_OVERRIDE_BYTES:
            raise OverridesError(f"{p}: the override table is larger than 1 MB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise OverridesError(f"{p}: the override table is not UTF-8 text") from None
        return cls.from_yaml(text, source=str(p))

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<inline>") -> CalendarOverrides:
        """Read an override table from YAML text; ``source`` names it in error messages."""
        try:
            data = yaml.load(text, Loader=_OverridesLoader)  # a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise OverridesError(f"{source}: not valid YAML{where}") from None
        return cls.from_mapping({} if data is None else data, source=source)

    @classmethod
    def from_mapping(cls, data: object, *, source: str = "<inline>") -> CalendarOverrides:
        """Build from already-parsed data (the YAML form above)."""
        if not isinstance(data, Mapping):
            raise OverridesError(
                f"{source}: expected a mapping with days_off, working_days, official_years"
            )
        unknown = sorted(str(k) for k in data if k not in _OVERRIDE_KEYS)
        if unknown:
            raise OverridesError(
                f"{source}: unknown key {unknown[0]!r}; expected one of "
                + ", ".join(_OVERRIDE_KEYS)
            )
        days_off = _read_days(data.get("days_off"), "days_off", source)
        working = _read_days(data.get("working_days"), "working_days", source)
        years = _read_years(data.get("official_years"), source)
        return cls(days_off, working, years, source)


class _OverridesLoader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as text, so a bad date gets our error message."""


_OverridesLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)

_OVERRIDE_KEYS = ("days_off", "working_days", "official_years")
_ENTRY_KEYS = ("date", "from", "to", "reason")


def _read_date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise OverridesError(f"{where}: expected a date like 2027-02-05, got a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
        try:
            dt.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            raise OverridesError(
                f"{where}: expected a date like 2027-02-05, got a date and time {value!r}"
            )
    raise OverridesError(f"{where}: expected a date like 2027-02-05, got {value!r}")


def _read_days(value: object, key: str, source: str) -> tuple[OverrideDay, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise OverridesError(f"{source}: {key} must be a list of dates, got {value!r}")
    out: list[OverrideDay] = []
    seen: dict[dt.date, str] = {}
    for i, entry in enumerate(value):
        where = f"{source}: {key}[{i}]"
        if isinstance(entry, Mapping):
            bad = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
            if bad:
                raise OverridesError(
                    f"{where}: unknown key {bad[0]!r}; use date (or from/to) and reason"
                )
            reason = entry.get("reason")
            if reason is not None and not (isinstance(reason, str) and reason.strip()):
                raise OverridesError(f"{where}: reason must be non-empty text, got {reason!r}")
            reason = reason.strip() if isinstance(reason, str) else None
            if "date" in entry:
                if "from" in entry or "to" in entry:
                    raise OverridesError(f"{where}: give either date or from/to, not both")
                dates = [_read_date(entry["date"], where)]
            elif "from" in entry and "to" in entry:
                first = _read_date(entry["from"], f"{where}.from")
                last = _read_date(entry["to"], f"{where}.to")
                span = (last - first).days
                if span < 0:
                    raise OverridesError(f"{where}: 'to' {last} is before 'from' {first}")
                if span >= _MAX_RANGE_DAYS:
                    raise OverridesError(f"{where}: a range may cover at most 366 days")
                dates = [first + dt.timedelta(days=k) for k in range(span + 1)]
            else:
                raise OverridesError(f"{where}: needs date, or from and to")
        else:
            reason = None
            dates = [_read_date(entry, where)]
        for d in dates:
            if d in seen:
                raise OverridesError(f"{where}: {d.isoformat()} is already listed in {seen[d]}")
            seen[d] = f"{key}[{i}]"
            out.append(OverrideDay(d, reason))
    return tuple(out)


def _read_years(value: object, source: str) -> frozenset[int]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise OverridesError(f"{source}: official_years must be a list of years, got {value!r}")
    years: set[int] = set()
    for i, y in enumerate(value):
        if isinstance(y, bool) or not isinstance(y, int) or not 1950 <= y <= 2200:
            raise OverridesError(f"{source}: official_years[{i}]: expected a year, got {y!r}")
        years.add(y)
    return frozenset(years)


# --------------------------------------------------------------------------- day information


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


def installed_official_years() -> frozenset[int]:
    """Years with an official Chinese schedule in the installed ``holidays`` data.

    The years of ``ChinaStaticHolidays.special_public_holidays`` (the yearly notices' swapped
    days), taken as one contiguous range from the first to the last.
    """
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


# --------------------------------------------------------------------------- pauses and results


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
_DUE_MEMO = 65_536


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


# --------------------------------------------------------------------------- the calendar


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
        self._holidays = holidays.China(language=language)
        self._installed = installed_official_years()
        self._official = self._installed | self.overrides.official_years
        self._off = {d.date: d.reason for d in self.overrides.days_off}
        self._work = {d.date: d.reason for d in self.overrides.working_days}
        self._cache: dict[dt.date, DayInfo] = {}
        self._dues: dict[tuple[object, ...], Due] = {}
        self._data_version: str | None = None
        for year in sorted(self.overrides.official_years - self._installed):
            if not any(d.year == year for d in self._off):
                raise OverridesError(
                    f"{self.overrides.source}: official_years declares {year}, but the "
                    f"installed holidays {holidays.__version__} has no {year} schedule and the "
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
            raise CalendarError(f"holidays {holidays.__version__} has no official CN schedule")
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
        text = f"holidays {holidays.__version__} (official {_year_span(self._installed)})"
        if not self.overrides.empty:
            declared = _year_span(self.overrides.official_years)
            text += f" + overrides sha256:{self.overrides.sha256[:12]} ({self.overrides.source}"
            text += f"; official {declared})" if self.overrides.official_years else ")"
        return text + f"; official through {self.official_through}"

    def coverage_notice(self, clock: Clock) -> str | None:
        """A warning when the data is (about to be) out of date, else ``None``.

        The next year's notice usually appears in November; from then on a missing next year is
        worth telling the operator, and a missing current year always is.
        """
        today = clock.now().astimezone(SHANGHAI).date()
        version = f"holidays {holidays.__version__}"
        if not self.is_official(today.year):
            return (
                f"{version} has no official schedule for the current year {today.year}; "
                "update holidays or add the schedule to the override table"
            )
        if today.month >= 11 and not self.is_official(today.year + 1):
            return (
                f"{version} has no official schedule for {today.year + 1} yet (usually "
                "published in November); due dates reaching it are provisional"
            )
        return None

    def _provisional_reason(self, day: dt.date) -> str | None:
        version = f"holidays {holidays.__version__}"
        if not self.is_official(day.year):
            return (
                f"{day.year} has no official holiday schedule in {version} or the overrides; "
                "counted weekends and the statutory holidays the library foresees, make-up "
                "working days unknown"
            )
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
        if d.year in self._installed or d.year not in self._official:
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

    def is_working_day(self, day: dt.date | dt.datetime) -> bool:
        """True on working days. Strict mode raises for a provisional answer."""
        info = self.day_kind(day)
        if info.provisional and self.strict and info.provisional_reason:
            raise ProvisionalCalendarError([info.provisional_reason])
        return info.working

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
        key = (start, duration, count_from, stops)
        known = self._dues.get(key)
        if known is not None:
            return known
        try:
            if duration.unit is Unit.WD:
                deadline, steps, reasons = self._add_working_days(start, duration, count_from,
                                                                  stops)
            elif duration.unit is Unit.ND:
                deadline, steps, reasons = self._add_natural_days(start, duration, count_from,
                                                                  stops)
            elif duration.unit is Unit.WH:
                deadline, steps, reasons = self._add_working_hours(start, duration, stops)
            else:
                deadline, steps, reasons = self._add_natural_hours(start, duration, stops)
        except OverflowError:
            raise CalendarError(f"{duration} from {start:%Y-%m-%d} ends beyond the last date "
                                "the calendar can count (9999-12-31)") from None
        if reasons and self.strict:
            raise ProvisionalCalendarError(reasons)
        if len(self._dues) >= _DUE_MEMO:
            self._dues.clear()
        due = self._dues[key] = Due(
            start=start,
            duration=duration,
            count_from=count_from,
            pauses=stops,
            deadline=deadline,
            provisional=bool(reasons),
            reasons=tuple(reasons),
            steps=tuple(steps),
            calendar_version=self.data_version,
        )
        return due

    def recompute(self, due: Due) -> Due:
        """The same limit computed again with this calendar (e.g. once official data arrives)."""
        return self.add(due.start, due.duration, count_from=due.count_from, pauses=due.pauses)

    def working_days_between(
        self,
        a: dt.date | dt.datetime,
        b: dt.date | dt.datetime,
        *,
        pauses: Iterable[PauseLike] = (),
    ) -> int:
        """Working days ``d`` with ``a < d <= b`` outside the pauses (negative if ``b < a``).

        Matches ``add``: ``add(a, n WD).date == b`` implies ``working_days_between(a, b) == n``.
        """
        first, last = _local_date(a), _local_date(b)
        if last < first:
            return -self.working_days_between(last, first, pauses=pauses)
        stops = _pauses(pauses)
        reasons: list[str] = []
        count = 0
        d = first + dt.timedelta(days=1)
        while d <= last:
            if _paused(d, stops) is None:
                info = self.day_kind(d)
                _note_provisional(info, reasons)
                count += info.working
            d += dt.timedelta(days=1)
        if reasons and self.strict:
            raise ProvisionalCalendarError(reasons)
        return count

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
                    return self._end_of_office_day(d), steps, []
            d += dt.timedelta(days=1)
        raise CalendarError(f"no due date within {_MAX_SCAN_DAYS} days of {start}")

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


# --------------------------------------------------------------------------- helpers


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
