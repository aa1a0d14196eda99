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


def _documented() -> dict[int, list[str]]:
    text = (ROOT / "docs" / "time.md").read_text(encoding="utf-8")
    block = text.split("<!-- backtest -->")[1]
    out: dict[int, list[str]] = {}
    for year, rows in re.findall(r"#### (\d{4})\n(.*?)(?=\n####|\Z)", block, re.S):
        out[int(year)] = [line for line in rows.splitlines() if line.startswith("| 20")]
    return out


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_back_test_against_the_real_notice_is_the_one_docs_time_md_lists(year: int) -> None:
    computed = [d.row() for d in backtest(year)]
    assert _documented()[year] == computed
    text = (ROOT / "docs" / "time.md").read_text(encoding="utf-8")
    assert f"{year}: {len(computed)} disagreeing day" in text


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
