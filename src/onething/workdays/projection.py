"""Projected holiday schedules for years without a State Council notice (全国年节及纪念日放假办法).

The statutory days come from the 办法 as amended in 2024 (国务院令第795号, in force 2025): art. 2
gives 元旦 1 day, 春节 4 (农历除夕 and 正月初一至初三), 清明 1, 劳动节 2 (May 1-2), 端午 1, 中秋 1
and 国庆 3 (Oct 1-3); art. 6 gives a weekday off for a statutory day on a Saturday or Sunday
(补假); art. 7 (added in 2024; number and wording from memory, not verified: docs/time.md) lets
the State Council join them into longer breaks by 调休, with work before and after a break
"一般不超过6天". Lunar dates and 清明 come from ``holidays``' public China class
(``China(observed=False, language="en_US")``, the days by their names).

Which days the notice will swap is not law, so this module states a rule (docs/time.md,
"Projected years") and :func:`backtest` compares it with the real notices:

1. Each festival has a *core break*: 春节 the 8 days from 除夕; 劳动节 5 days, 国庆 7 days, or
   8 days for 国庆 and 中秋 together: the window of that length holding all their statutory
   days and starting no later than the first, that borrows the fewest weekdays (rule 2), the
   latest such window on a tie. A one-day festival on day D: Saturday -> D..Monday, Sunday ->
   D..Monday (art. 6), Tuesday -> Monday..D, Thursday -> D..Friday, else D alone. 中秋 joins
   国庆 when its own break, with the weekend days touching it, would overlap or touch 国庆's,
   or leave at most one working day between them (and 8 days can hold all four statutory
   days): so never two breaks with a lone working day between, nor one of 10-11 days.
2. Every day of a core break is a day off. The weekdays of the break beyond one per statutory
   day are *borrowed* and each is paid back by one make-up working day (调休上班).
3. A make-up day is a Saturday or Sunday that is not in the core break, not the weekend day
   right next to it, not in another festival's break (its core plus the weekend days that touch
   it) and would not make more than 6 working days in a row (art. 7). They are chosen one at a
   time: on the side (before/after) with fewer so far, else on the side of the nearer
   candidate (before on a tie), always the nearest candidate on that side; festivals in date
   order.

Projections exist for 2025-2099 (the 2024 rules; the lunar tables end in 2100).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection, Sequence

import attrs

from onething.errors import CalendarError

FIRST_YEAR = 2025  # the 2024 amendment is in force from 2025-01-01
LAST_YEAR = 2099  # holidays' lunisolar tables are reliable through 2099
_MAX_RUN = 6  # art. 7: 法定节假日假期前后连续工作一般不超过6天
_NEAR = 1  # 中秋 joins 国庆 when at most this many working days would separate their breaks
_SEARCH = 35  # days searched on each side of a break for its make-up days
_LONG = {"春节": 8, "劳动节": 5, "国庆节": 7}
_DAY = dt.timedelta(days=1)


def projects(year: int) -> bool:
    """Whether ``year`` is projected by the 2024 rules (FIRST_YEAR-LAST_YEAR) when it has no
    notice; outside that range the calendar keeps the library's guess."""
    return FIRST_YEAR <= year <= LAST_YEAR


@attrs.frozen
class Break:
    """One festival's projected break: its statutory days, core run and make-up days."""

    festival: str
    statutory: tuple[dt.date, ...]
    first: dt.date
    last: dt.date
    makeup: tuple[dt.date, ...] = ()

    @property
    def days(self) -> tuple[dt.date, ...]:
        """Every day of the core break, in order."""
        return tuple(self.first + _DAY * i for i in range((self.last - self.first).days + 1))

    @property
    def borrowed(self) -> int:
        """Weekdays off beyond one per statutory day: each is paid back by a make-up day."""
        return _borrowed(self.first, self.last, self.statutory)


@attrs.frozen
class ProjectedDay:
    """What the projection says about one date that is not a plain weekday or weekend."""

    date: dt.date
    working: bool
    festival: str
    statutory: bool = False

    @property
    def name(self) -> str:
        """e.g. ``春节``, ``春节假期（调休）`` or ``春节调休上班``."""
        if self.working:
            return f"{self.festival}调休上班"
        return self.festival if self.statutory else f"{self.festival}假期（调休）"


@attrs.frozen
class Projection:
    """A year's projected schedule: the breaks and the days they change."""

    year: int
    breaks: tuple[Break, ...]

    @functools.cached_property
    def days(self) -> dict[dt.date, ProjectedDay]:
        """Every day the projection changes (days off of the breaks, make-up days)."""
        out: dict[dt.date, ProjectedDay] = {}
        for b in self.breaks:
            for d in b.days:
                known = out.get(d)
                out[d] = ProjectedDay(d, False, b.festival,
                                      d in b.statutory or bool(known and known.statutory))
            for d in b.makeup:
                out[d] = ProjectedDay(d, True, b.festival)
        return out

    def working(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day by this projection alone."""
        info = self.days.get(day)
        return info.working if info is not None else day.weekday() < 5


#: holidays' en_US names (``China(observed=False)``) of the lunar days and 清明, and how many
_LIBRARY_NAMES = {"Chinese New Year's Eve": 1, "Chinese New Year (Spring Festival)": 3,
                  "Tomb-Sweeping Day": 1, "Dragon Boat Festival": 1, "Mid-Autumn Festival": 1}


def _library_days(year: int) -> dict[str, list[dt.date]]:
    """The lunar days and 清明 of ``year`` by name, from ``holidays``' public China class."""
    from holidays.countries.china import China

    # observed=False: the statutory days alone, without the library's weekday 补假 guess
    options = {"years": year, "observed": False, "language": "en_US"}
    table = China(**options)  # type: ignore[no-untyped-call]  # holidays: untyped __init__
    found: dict[str, list[dt.date]] = {name: [] for name in _LIBRARY_NAMES}
    for day in sorted(table):
        for name in table.get_list(day):
            if name in found:
                found[name].append(day)
    eve = found["Chinese New Year's Eve"]
    if any(len(found[n]) != count for n, count in _LIBRARY_NAMES.items()) or \
            found["Chinese New Year (Spring Festival)"] != [eve[0] + _DAY * i for i in (1, 2, 3)]:
        raise CalendarError(f"the installed holidays does not name {year}'s 除夕, 春节, 清明, "
                            f"端午 and 中秋 as expected: {found}")
    return found


def _statutory(year: int) -> list[tuple[str, list[dt.date]]]:
    """The festivals of art. 2 with their statutory days, in date order."""
    lunar = _library_days(year)
    eve = lunar["Chinese New Year's Eve"][0]
    autumn = lunar["Mid-Autumn Festival"][0]
    national = [dt.date(year, 10, d) for d in (1, 2, 3)]
    out = [("元旦", [dt.date(year, 1, 1)]), ("春节", [eve + _DAY * i for i in range(4)]),
           ("清明节", lunar["Tomb-Sweeping Day"]),
           ("劳动节", [dt.date(year, 5, 1), dt.date(year, 5, 2)]),
           ("端午节", lunar["Dragon Boat Festival"])]
    if _joins_national_day(autumn, national):
        out.append(("国庆节、中秋节", sorted([*national, autumn])))
    else:
        out += [("中秋节", [autumn]), ("国庆节", national)]
    return out


def _joins_national_day(autumn: dt.date, national: list[dt.date]) -> bool:
    """Rule 1: 中秋 and 国庆 are one break when 中秋's own break (with the weekend days that
    touch it) would overlap or touch 国庆's, or leave at most one working day between them, and
    8 days can hold all four statutory days."""
    days = [autumn, *national]
    if max(days) - min(days) > _DAY * 7:
        return False
    spans = sorted([_extent(*_core("中秋节", [autumn])), _extent(*_core("国庆节", national))])
    (_, end), (start, _) = spans
    between = [end + _DAY * i for i in range(1, (start - end).days)]
    return sum(d.weekday() < 5 for d in between) <= _NEAR


def _core(festival: str, statutory: list[dt.date]) -> tuple[dt.date, dt.date]:
    """Rule 1: the first and last day of a festival's core break."""
    first = min(statutory)
    if festival == "春节":
        return first, first + _DAY * 7
    length = 8 if festival == "国庆节、中秋节" else _LONG.get(festival)
    if length is not None:
        # the window holding every statutory day that borrows fewest weekdays, latest first
        starts = [first - _DAY * k for k in range(length)
                  if first - _DAY * k + _DAY * (length - 1) >= max(statutory)]
        best = min(starts, key=lambda s: (_borrowed(s, s + _DAY * (length - 1), statutory),
                                          -s.toordinal()))
        return best, best + _DAY * (length - 1)
    before, after = {1: (1, 0), 3: (0, 1), 5: (0, 2), 6: (0, 1)}.get(first.weekday(), (0, 0))
    return first - _DAY * before, first + _DAY * after


def _borrowed(first: dt.date, last: dt.date, statutory: Sequence[dt.date]) -> int:
    """Weekdays of ``first..last`` beyond one per statutory day (rule 2)."""
    weekdays = sum((first + _DAY * i).weekday() < 5 for i in range((last - first).days + 1))
    return max(0, weekdays - len(statutory))


def _extent(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The break ``first..last`` plus the weekend days that touch it."""
    while (first - _DAY).weekday() >= 5:
        first -= _DAY
    while (last + _DAY).weekday() >= 5:
        last += _DAY
    return first, last


def _run_length(day: dt.date, working: Callable[[dt.date], bool]) -> int:
    """Working days in a row through ``day`` (taken as working)."""
    count, d = 1, day - _DAY
    while working(d):
        count, d = count + 1, d - _DAY
    d = day + _DAY
    while working(d):
        count, d = count + 1, d + _DAY
    return count


@functools.lru_cache(maxsize=128)
def project(year: int) -> Projection:
    """The year's schedule by the 2024 rules (see the module docstring), without a notice."""
    if not projects(year):
        raise CalendarError(f"no projection for {year}: the 2024 rules are projected for "
                            f"{FIRST_YEAR}-{LAST_YEAR}")
    breaks = [Break(name, tuple(days), *_core(name, days)) for name, days in _statutory(year)]
    off = {d for b in breaks for d in b.days}
    makeup: set[dt.date] = set()

    def working(d: dt.date) -> bool:
        return d in makeup or (d not in off and d.weekday() < 5)

    for index, b in enumerate(breaks):
        blocked = set(b.days) | {b.first - _DAY, b.last + _DAY}
        for other in breaks[:index] + breaks[index + 1:]:
            first, last = _extent(other.first, other.last)
            blocked |= {first + _DAY * i for i in range((last - first).days + 1)}

        def candidate(sign: int, b: Break = b, blocked: set[dt.date] = blocked
                      ) -> dt.date | None:
            edge = b.first if sign < 0 else b.last
            for k in range(1, _SEARCH + 1):
                d = edge + _DAY * (sign * k)
                if d.weekday() >= 5 and d not in blocked and d not in makeup \
                        and _run_length(d, working) <= _MAX_RUN:
                    return d
            return None

        chosen: list[dt.date] = []
        for _ in range(b.borrowed):
            before, after = candidate(-1), candidate(1)
            n_before = sum(d < b.first for d in chosen)
            n_after = len(chosen) - n_before
            if before is None or after is None:
                pick = before or after
            elif n_before != n_after:
                pick = before if n_before < n_after else after
            else:
                pick = before if (b.first - before) <= (after - b.last) else after
            if pick is None:  # never for 2025-2099 (a test checks every year)
                raise CalendarError(f"no make-up day for {year}'s {b.festival}: rule 3 finds "
                                    f"no weekend day within {_SEARCH} days of the break")
            makeup.add(pick)
            chosen.append(pick)
        breaks[index] = attrs.evolve(b, makeup=tuple(sorted(chosen)))
    return Projection(year, tuple(breaks))


def unofficial_reason(year: int, version: str) -> str:
    """Why a day of ``year`` (no notice in ``version`` or the overrides) is provisional."""
    if projects(year):
        return (f"{year} has no official holiday schedule (State Council notice) in {version} "
                "or the overrides; projected by the rules of 全国年节及纪念日放假办法 as "
                "amended in 2024 (statutory days, breaks and make-up working days by the rule "
                "in docs/time.md), not a notice")
    return (f"{year} has no official holiday schedule in {version} or the overrides; counted "
            "weekends and the statutory holidays the library foresees, make-up working days "
            "unknown")


def later_years(through: int, official: Collection[int]) -> list[str]:
    """What the calendar answers for the years after ``through`` (the end of the unbroken run of
    official years), given every ``official`` year: lines for ``onething calendar show``."""
    later = sorted(y for y in official if y > through)
    projected = [y for y in range(through + 1, LAST_YEAR + 1) if y not in official]
    lines = [f"official through {through}"]
    if later:
        lines.append("official (override table): " + ", ".join(map(str, later)))
    if projected:
        lines.append("provisional, projected by the 2024 holiday rules (全国年节及纪念日放假办法): "
                     + _spans(projected))
    beyond = max(through, LAST_YEAR) + 1
    but = [y for y in later if y > beyond]
    lines.append("provisional, weekends and the statutory days the holidays library foresees, "
                 f"make-up working days unknown: {beyond} and later"
                 + (f" (but {', '.join(map(str, but))})" if but else ""))
    return lines


def _spans(years: list[int]) -> str:
    """``[2027, 2029, 2030]`` -> ``2027, 2029-2030``."""
    spans: list[list[int]] = []
    for y in years:
        if spans and spans[-1][1] == y - 1:
            spans[-1][1] = y
        else:
            spans.append([y, y])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


@attrs.frozen
class Disagreement:
    """A day on which a projection and the real notice differ."""

    date: dt.date
    notice_working: bool
    projected_working: bool

    def row(self) -> str:
        """The day as a docs/time.md table row."""
        def word(w: bool) -> str:
            return "working" if w else "day off"
        return (f"| {self.date.isoformat()} | {self.date:%a} | {word(self.notice_working)} "
                f"| {word(self.projected_working)} |")


def backtest(year: int) -> list[Disagreement]:
    """Every day of ``year`` on which the projection disagrees with the installed notice."""
    from holidays.countries.china import China

    from onething.workdays.days import installed_official_years

    if year not in installed_official_years():
        raise CalendarError(f"the installed holidays has no notice for {year} to compare with")
    notice = China(years=year)  # type: ignore[no-untyped-call]  # holidays: untyped __init__
    projection = project(year)
    out: list[Disagreement] = []
    d = dt.date(year, 1, 1)
    while d.year == year:
        real = d in notice.weekend_workdays or (d.weekday() < 5 and d not in notice)
        if real != projection.working(d):
            out.append(Disagreement(d, real, projection.working(d)))
        d += _DAY
    return out
