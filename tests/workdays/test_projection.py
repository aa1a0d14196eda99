"""Projected years (全国年节及纪念日放假办法 as amended in 2024): the rule, its invariants, and
its back-test against the real 2025 and 2026 notices, which docs/time.md lists."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.errors import CalendarError, ProvisionalCalendarError
from onething.workdays import (
    CalendarOverrides,
    DayKind,
    Duration,
    WorkCalendar,
    installed_official_years,
)
from onething.workdays.projection import FIRST_YEAR, LAST_YEAR, backtest, project

ROOT = Path(__file__).resolve().parents[2]
D = dt.date
YEARS = st.integers(FIRST_YEAR, LAST_YEAR)
STATUTORY_DAYS = 13  # art. 2: 1 + 4 + 1 + 2 + 1 + 1 + 3
needs_2027_unofficial = pytest.mark.skipif(
    2027 in installed_official_years(),
    reason="the installed holidays already has the official 2027 schedule",
)


# --------------------------------------------------------------------------- invariants


@settings(max_examples=75, deadline=None)
@given(YEARS)
def test_every_break_holds_its_statutory_days_and_pays_back_what_it_borrows(year: int) -> None:
    projection = project(year)
    for b in projection.breaks:
        assert all(b.first <= d <= b.last for d in b.statutory), b
        assert len(b.makeup) == b.borrowed, b
        assert all(d.weekday() >= 5 and not b.first <= d <= b.last for d in b.makeup), b
    days = projection.days
    off_weekdays = sum(not p.working and d.weekday() < 5 for d, p in days.items())
    makeup = sum(p.working for p in days.values())
    # art. 2 and art. 6: the statutory days off, each on a weekday (补假 when it falls on a
    # weekend), and not one more: every borrowed weekday is worked on a weekend day
    assert off_weekdays - makeup == sum(len(b.statutory) for b in projection.breaks)
    assert sum(len(b.statutory) for b in projection.breaks) == STATUTORY_DAYS


@settings(max_examples=75, deadline=None)
@given(YEARS)
def test_no_make_up_day_makes_more_than_six_working_days_in_a_row(year: int) -> None:
    projection = project(year)
    for b in projection.breaks:
        for day in b.makeup:
            run, d = 1, day - dt.timedelta(days=1)
            while projection.working(d):
                run, d = run + 1, d - dt.timedelta(days=1)
            d = day + dt.timedelta(days=1)
            while projection.working(d):
                run, d = run + 1, d + dt.timedelta(days=1)
            assert run <= 6, (b.festival, day, run)  # art. 7


@settings(max_examples=75, deadline=None)
@given(YEARS)
def test_long_breaks_have_the_lengths_the_notices_give(year: int) -> None:
    by_name = {b.festival: b for b in project(year).breaks}
    spring = by_name["春节"]
    assert spring.first == spring.statutory[0] and len(spring.days) == 8  # from 除夕
    assert len(by_name["劳动节"].days) == 5
    national = by_name.get("国庆节") or by_name["国庆节、中秋节"]
    assert len(national.days) == (7 if "国庆节" in by_name else 8)


@needs_2027_unofficial
@settings(max_examples=60, deadline=None)
@given(st.dates(D(2027, 1, 1), D(2027, 12, 31)))
def test_a_projected_year_answers_with_the_projection_and_says_so(day: dt.date) -> None:
    answer = WorkCalendar().working_day(day)
    assert answer.value == project(2027).working(day)
    assert answer.provisional and "projected by the rules of 全国年节及纪念日放假办法" in \
        answer.reasons[0]


# --------------------------------------------------------------------------- 2027


@needs_2027_unofficial
def test_2027_is_projected_with_eight_days_of_spring_festival_and_make_up_sundays() -> None:
    cal = WorkCalendar()
    eve = cal.day_kind(D(2027, 2, 5))
    assert eve.kind is DayKind.HOLIDAY and eve.name == "春节" and eve.provisional
    assert [cal.is_working_day(D(2027, 2, d)) for d in range(5, 15)] == [False] * 9 + [True]
    assert cal.day_kind(D(2027, 2, 14)).kind is DayKind.MAKEUP_WORKING_DAY
    assert cal.day_kind(D(2027, 1, 31)).kind is DayKind.MAKEUP_WORKING_DAY
    assert [cal.is_working_day(D(2027, 5, d)) for d in range(1, 9)] == [False] * 5 + [True] * 3
    assert not any(cal.is_working_day(D(2027, 10, d)) for d in range(1, 8))
    assert cal.is_working_day(D(2027, 9, 26)) and cal.is_working_day(D(2027, 10, 9))
    count = cal.count_working_days(D(2027, 2, 3), D(2027, 2, 16))
    assert (count.value, count.provisional) == (4, True)  # 02-04, 02-14, 02-15, 02-16
    assert cal.working_days_between(D(2027, 2, 3), D(2027, 2, 16)) == 4


@needs_2027_unofficial
def test_strict_mode_refuses_every_projected_answer() -> None:
    strict = WorkCalendar(strict=True)
    with pytest.raises(ProvisionalCalendarError, match="projected by the rules"):
        strict.is_working_day(D(2027, 2, 14))
    with pytest.raises(ProvisionalCalendarError):
        strict.count_working_days(D(2027, 2, 3), D(2027, 2, 16))
    with pytest.raises(ProvisionalCalendarError):
        strict.working_days_between(D(2027, 1, 4), D(2027, 1, 8))
    lenient = strict.lenient()
    assert not lenient.strict and lenient.lenient() is lenient and strict.lenient() is lenient
    due = lenient.add(D(2027, 2, 3), Duration.parse("3 WD"))
    assert due.provisional and due.date == D(2027, 2, 15)
    with pytest.raises(ProvisionalCalendarError):  # the shared memo does not leak it
        strict.add(D(2027, 2, 3), Duration.parse("3 WD"))
    official = strict.working_day(D(2026, 6, 1))
    assert (official.value, official.provisional, official.reasons) == (True, False, ())


@needs_2027_unofficial
def test_a_notice_in_the_override_table_replaces_the_projection() -> None:
    notice = CalendarOverrides.from_yaml(
        "official_years: [2027]\n"
        "days_off: [2027-01-01, {from: 2027-02-05, to: 2027-02-11, reason: 春节}]\n")
    cal = WorkCalendar(notice, strict=True)
    assert cal.is_official(2027) and not cal.is_working_day(D(2027, 2, 14))
    assert cal.is_working_day(D(2027, 2, 12)) and cal.is_working_day(D(2027, 5, 4))


def test_outside_the_2024_rules_there_is_no_projection() -> None:
    with pytest.raises(CalendarError, match="no projection for 2024"):
        project(2024)
    with pytest.raises(CalendarError, match="no notice for 2030"):
        backtest(2030)
    beyond = WorkCalendar().working_day(D(2100, 3, 1))  # the lunar tables end: the old guess
    assert beyond.provisional and "make-up working days unknown" in beyond.reasons[0]


# --------------------------------------------------------------------------- back-test


def _documented() -> dict[int, str]:
    """Each year's section of docs/time.md's back-test, as written."""
    text = (ROOT / "docs" / "time.md").read_text(encoding="utf-8")
    block = text.split("<!-- backtest -->")[1].split("<!-- /backtest -->")[0]
    return {int(year): body.strip("\n")
            for year, body in re.findall(r"#### (\d{4})\n(.*?)(?=#### |\Z)", block, re.S)}


def _rendered(year: int, rows: list[str]) -> str:
    """A year's back-test section: a table with its header, or a sentence saying none."""
    if not rows:
        return f"None: the projection and the notice agree on every day of {year}."
    return "\n".join(["| date | day | notice | projection |", "| --- | --- | --- | --- |", *rows])


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_back_test_against_the_real_notice_is_the_one_docs_time_md_lists(year: int) -> None:
    computed = [d.row() for d in backtest(year)]
    assert _documented()[year] == _rendered(year, computed)
    text = (ROOT / "docs" / "time.md").read_text(encoding="utf-8")
    assert f"{year}: {len(computed)} disagreeing day" in text


def test_a_back_test_with_disagreements_renders_as_a_table() -> None:
    from onething.workdays.projection import Disagreement

    row = Disagreement(D(2027, 2, 13), notice_working=True, projected_working=False).row()
    assert _rendered(2027, [row]).splitlines() == [
        "| date | day | notice | projection |", "| --- | --- | --- | --- |",
        "| 2027-02-13 | Sat | working | day off |"]


# --------------------------------------------------------------------------- statutory days


def test_the_statutory_days_come_from_the_librarys_public_china_class() -> None:
    from holidays import China

    by_name = {b.festival: b.statutory for b in project(2027).breaks}
    assert by_name["春节"] == tuple(D(2027, 2, d) for d in (5, 6, 7, 8))  # 除夕 Feb 5
    assert by_name["清明节"] == (D(2027, 4, 5),)
    assert by_name["端午节"] == (D(2027, 6, 9),)
    assert by_name["中秋节"] == (D(2027, 9, 15),)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        # a notice's swapped days (2025, 2026) are not statutory
        library = {d for d, name in China(years=year, observed=False, language="en_US").items()
                   if "substituted" not in name}
        statutory = {d for b in project(year).breaks for d in b.statutory}
        assert statutory == library, year


# --------------------------------------------------------------------------- every year

#: the longest run of days off a projection may make: the longest break (8 days: 春节 from
#: 除夕 as in 2025, or 国庆 and 中秋 together as in 2025) plus the one weekend day next to it
#: that rule 3 never makes a make-up day (2027's projected 春节, Feb 5-13, is 9 days)
MAX_DAYS_OFF = 9
MAX_WORKING_RUN = 6  # art. 7: 连续工作一般不超过6天


def _runs(year: int) -> list[tuple[bool, list[dt.date], set[DayKind]]]:
    """The year's runs of working days and of days off (with the kinds of day in each), on the
    calendar as it answers, from the last week of the year before to the first of the next."""
    cal = WorkCalendar()
    runs: list[tuple[bool, list[dt.date], set[DayKind]]] = []
    day, end = D(year - 1, 12, 25), D(year + 1, 1, 7)
    while day <= end:
        info = cal.day_kind(day)
        if runs and runs[-1][0] == info.working:
            runs[-1][1].append(day)
            runs[-1][2].add(info.kind)
        else:
            runs.append((info.working, [day], {info.kind}))
        day += dt.timedelta(days=1)
    return runs


def test_every_year_has_plausible_breaks() -> None:
    """Every year 2025-2099, not a sample: no run of days off longer than 9, no more than 6
    working days in a row, no lone working day between two breaks (e.g. 中秋 and 国庆)."""
    problems = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        runs = _runs(year)
        problems += [(year, "off", days[0], len(days)) for working, days, _ in runs
                     if not working and len(days) > MAX_DAYS_OFF]
        problems += [(year, "working", days[0], len(days)) for working, days, _ in runs
                     if working and len(days) > MAX_WORKING_RUN]
        problems += [(year, "wedged", days[0], 1)
                     for (_, _, kinds_before), (working, days, _), (_, _, kinds_after)
                     in zip(runs, runs[1:], runs[2:], strict=False)
                     if working and len(days) == 1
                     and DayKind.HOLIDAY in kinds_before and DayKind.HOLIDAY in kinds_after]
    assert problems == []


def _september(year: int) -> str:
    """Sep 14 - Oct 15: ``H`` holiday, ``M`` make-up day, ``W`` working, ``.`` weekend."""
    cal, out = WorkCalendar(), []
    day = D(year, 9, 14)
    while day <= D(year, 10, 15):
        kind = cal.day_kind(day).kind
        out.append({DayKind.HOLIDAY: "H", DayKind.MAKEUP_WORKING_DAY: "M",
                    DayKind.WEEKEND: "."}.get(kind, "W"))
        day += dt.timedelta(days=1)
    return "".join(out)


def test_mid_autumn_close_before_national_day_joins_it() -> None:
    # 2042: 中秋 Sun Sep 28 (补假 Mon Sep 29) and 国庆 from Wed Oct 1 left Tue Sep 30 a lone
    # working day; now one break Sun Sep 28 - Sun Oct 5 (with Sat Sep 27: 9 days off), one
    # make-up day (Sat Oct 11) instead of two
    assert _september(2042) == ".WWWWW..WWWWW.HHHHHHHHWWWWWM.WWW"
    # 2080: 中秋 Sat Sep 28 ran into 国庆 from Tue Oct 1: 10 days off (Sep 28 - Oct 7); now
    # Sat Sep 28 - Sat Oct 5 (with Sun Oct 6: 9 days off), one make-up day (Sun Sep 22)
    assert _september(2080) == "..WWWWW.MWWWWWHHHHHHHH.WWWWW..WW"
    # 2091: 中秋 Thu Sep 27 ran through the weekend into 国庆 from Mon Oct 1: 11 days off with
    # three make-up days; now Thu Sep 27 - Thu Oct 4, make-up Sun Sep 23 and Sat Oct 6
    assert _september(2091) == "W..WWWWW.MWWWHHHHHHHHWM.WWWWW..W"
    by_name = {b.festival: b for b in project(2091).breaks}
    assert "中秋节" not in by_name and len(by_name["国庆节、中秋节"].makeup) == 2


# --------------------------------------------------------------------------- range, unpaid days


def test_the_projected_years_are_decided_in_one_place() -> None:
    from onething.workdays import projection

    assert [y for y in (2024, 2025, 2099, 2100) if projection.projects(y)] == [2025, 2099]
    checks = [line for p in (ROOT / "src" / "onething").rglob("*.py")
              for line in p.read_text(encoding="utf-8").splitlines()
              if "FIRST_YEAR <=" in line or "<= LAST_YEAR" in line]
    assert checks == ["    return FIRST_YEAR <= year <= LAST_YEAR"]  # in projects()


def test_every_borrowed_weekday_of_every_year_is_paid_back() -> None:
    """Every year 2025-2099: a make-up day is found for each borrowed weekday, so the path
    that would find none (and fail) is never taken."""
    unpaid = [(year, b.festival, b.borrowed, len(b.makeup))
              for year in range(FIRST_YEAR, LAST_YEAR + 1) for b in project(year).breaks
              if len(b.makeup) != b.borrowed]
    assert unpaid == []


def test_a_break_with_nowhere_to_pay_back_fails_rather_than_giving_days_away(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from onething.workdays import projection

    monkeypatch.setattr(projection, "_SEARCH", 0)  # no weekend day may be searched
    project.cache_clear()
    try:
        with pytest.raises(CalendarError, match="no make-up day for 2027's 春节"):
            project(2027)
    finally:
        project.cache_clear()


# --------------------------------------------------------------------------- calendar show


def test_the_years_after_the_official_run_are_described_exactly() -> None:
    from onething.workdays.projection import later_years

    assert later_years(2026, {2001, 2026, 2028, 2031, 2101}) == [
        "official through 2026",
        "official (override table): 2028, 2031, 2101",
        "provisional, projected by the 2024 holiday rules (全国年节及纪念日放假办法): 2027, "
        "2029-2030, 2032-2099",
        "provisional, weekends and the statutory days the holidays library foresees, make-up "
        "working days unknown: 2100 and later (but 2101)",
    ]
    assert later_years(2099, set()) == [
        "official through 2099",
        "provisional, weekends and the statutory days the holidays library foresees, make-up "
        "working days unknown: 2100 and later",
    ]


def test_calendar_show_does_not_call_every_later_year_projected(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from onething.cli import cli

    notice = tmp_path / "notice-2028.yaml"
    notice.write_text("official_years: [2028]\ndays_off: [2028-01-01]\n", encoding="utf-8")
    shown = CliRunner().invoke(cli, ["calendar", "show", "--overrides", str(notice)])
    assert shown.exit_code == 0, shown.output
    assert "later years are provisional" not in shown.output
    assert "official (override table): 2028" in shown.output
    assert "2100 and later" in shown.output
