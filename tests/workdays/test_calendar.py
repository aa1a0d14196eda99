"""WorkCalendar: the pinned 2026 schedule, provisional years, overrides, units, pauses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.errors import CalendarError, OverridesError, ProvisionalCalendarError
from onething.workdays import (
    SHANGHAI,
    CalendarOverrides,
    Clock,
    DayKind,
    Duration,
    FixedClock,
    OfficeHours,
    Pause,
    SystemClock,
    WorkCalendar,
    explain,
    installed_official_years,
)

CAL = WorkCalendar()
NO_GUARD = WorkCalendar(year_end_guard=False)

D = dt.date
WD = Duration.parse


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


needs_2027_unofficial = pytest.mark.skipif(
    2027 in installed_official_years(),
    reason="the installed holidays already has the official 2027 schedule",
)

# A made-up 2027 schedule (NOT the real notice), just to show overrides taking effect.
FAKE_2027 = """
official_years: [2027]
days_off:
  - {date: 2027-01-01, reason: 元旦}
  - {from: 2027-02-05, to: 2027-02-11, reason: 春节}
working_days:
  - {date: 2027-01-02, reason: 元旦调休上班 (made up for this test)}
"""


# --------------------------------------------------------------------------- data coverage


def test_installed_official_years_are_contiguous_from_2001() -> None:
    years = installed_official_years()
    assert min(years) == 2001
    assert 2026 in years
    assert years == frozenset(range(2001, max(years) + 1))
    assert CAL.official_through == max(years)
    assert not CAL.is_official(2000)


def test_data_version_names_library_and_coverage() -> None:
    assert CAL.data_version.startswith("holidays ")
    assert "official 2001-" in CAL.data_version
    assert CAL.data_version.endswith(f"official through {CAL.official_through}")


# --------------------------------------------------------------------------- the 2026 schedule


@pytest.mark.parametrize(
    ("accepted", "limit", "due"),
    [
        (D(2026, 2, 13), "3 WD", D(2026, 2, 25)),
        (D(2026, 9, 30), "1 WD", D(2026, 10, 8)),
        (D(2026, 4, 30), "3 WD", D(2026, 5, 8)),
        (D(2026, 12, 1), "20 WD", D(2026, 12, 29)),
    ],
)
def test_pinned_2026_examples(accepted: dt.date, limit: str, due: dt.date) -> None:
    result = CAL.add(accepted, WD(limit))
    assert result.date == due
    assert result.deadline == at(due.year, due.month, due.day, 17, 0)
    assert result.deadline.tzinfo is SHANGHAI


def test_2026_02_13_plus_3_wd_counts_the_make_up_saturday() -> None:
    due = CAL.add(D(2026, 2, 13), WD("3 WD"))
    counted = [(s.date, s.label) for s in due.steps if s.counted]
    assert counted == [
        (D(2026, 2, 14), "day 1"),
        (D(2026, 2, 24), "day 2"),
        (D(2026, 2, 25), "day 3"),
    ]
    skipped = dict(due.skipped)
    assert set(skipped) == {D(2026, 2, d) for d in range(15, 24)}
    assert "weekend" in skipped[D(2026, 2, 15)]
    assert "春节" in skipped[D(2026, 2, 17)]
    assert not due.provisional and due.reasons == ()


@pytest.mark.parametrize("md", ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"])
def test_2026_make_up_days(md: str) -> None:
    info = CAL.day_kind(D.fromisoformat(f"2026-{md}"))
    assert info.kind is DayKind.MAKEUP_WORKING_DAY
    assert info.working and not info.provisional
    assert info.date.weekday() >= 5


def test_2026_national_day_break() -> None:
    for d in range(1, 8):
        assert not CAL.is_working_day(D(2026, 10, d)), d
    assert CAL.is_working_day(D(2026, 10, 8))


def test_2026_has_248_working_days() -> None:
    assert NO_GUARD.working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 248


def test_2005_12_31_is_a_make_up_working_day() -> None:
    # The 2006 notice (国办发明电〔2005〕35号): "12月31日（星期六）上班".
    info = CAL.day_kind(D(2005, 12, 31))
    assert info.kind is DayKind.MAKEUP_WORKING_DAY
    assert CAL.is_working_day(D(2005, 12, 31))
    assert not info.provisional


# --------------------------------------------------------------------------- provisional years


@needs_2027_unofficial
def test_reaching_2027_is_provisional_with_reasons() -> None:
    due = CAL.add(D(2026, 12, 24), WD("7 WD"))
    assert due.date == D(2027, 1, 5)
    assert due.provisional
    assert any(r.startswith("2027 has no official holiday schedule") for r in due.reasons)
    assert any("projected by the rules of 全国年节及纪念日放假办法" in r for r in due.reasons)
    assert due.calendar_version == CAL.data_version
    lines = explain(due)
    assert any(line.startswith("PROVISIONAL: 2027 has no official") for line in lines)
    assert any("[provisional]" in line for line in lines)


@needs_2027_unofficial
def test_strict_mode_refuses_a_provisional_year() -> None:
    strict = WorkCalendar(strict=True)
    with pytest.raises(ProvisionalCalendarError, match="2027 has no official") as err:
        strict.add(D(2026, 12, 24), WD("7 WD"))
    assert err.value.reasons
    with pytest.raises(ProvisionalCalendarError):
        strict.is_working_day(D(2027, 3, 1))
    # Official days still answer in strict mode.
    assert strict.add(D(2026, 2, 13), WD("3 WD")).date == D(2026, 2, 25)


@needs_2027_unofficial
def test_year_end_days_wait_for_the_next_notice() -> None:
    # Dec 29-31 can be moved by the next year's notice (cf. 2005-12-31), so a due date on them
    # is provisional until that notice is in the data; the guard can be switched off.
    due = CAL.add(D(2026, 12, 1), WD("20 WD"))
    assert due.date == D(2026, 12, 29)
    assert due.provisional
    assert any("2027 holiday notice" in r for r in due.reasons)
    assert CAL.day_kind(D(2026, 12, 28)).provisional is False
    assert CAL.day_kind(D(2026, 12, 29)).provisional is True

    relaxed = NO_GUARD.add(D(2026, 12, 1), WD("20 WD"))
    assert relaxed.date == D(2026, 12, 29) and not relaxed.provisional
    assert WorkCalendar(strict=True, year_end_guard=False).add(D(2026, 12, 1), WD("20 WD"))
    with pytest.raises(ProvisionalCalendarError, match="2027 holiday notice"):
        WorkCalendar(strict=True).add(D(2026, 12, 1), WD("20 WD"))


@needs_2027_unofficial
def test_first_unofficial_year_generic() -> None:
    year = CAL.official_through + 1
    info = CAL.day_kind(D(year, 3, 3))
    assert info.provisional and info.provisional_reason
    assert str(year) in info.provisional_reason


def test_before_official_data_is_provisional() -> None:
    assert CAL.day_kind(D(2000, 6, 1)).provisional


# --------------------------------------------------------------------------- overrides


@needs_2027_unofficial
def test_overrides_declaring_2027_change_the_result_and_clear_the_flag() -> None:
    overrides = CalendarOverrides.from_yaml(FAKE_2027, source="fake-2027.yaml")
    cal = WorkCalendar(overrides)
    assert cal.official_through == 2027
    due = cal.add(D(2026, 12, 24), WD("7 WD"))
    # 2027-01-02 (Sat) is a make-up day in the fake schedule, so day 7 is 01-04, not 01-05.
    assert due.date == D(2027, 1, 4)
    assert not due.provisional and due.reasons == ()
    assert "overrides sha256:" in due.calendar_version
    assert "fake-2027.yaml" in due.calendar_version
    assert due.calendar_version.endswith("official through 2027")
    assert cal.day_kind(D(2027, 1, 2)).kind is DayKind.OVERRIDE_WORKING_DAY
    # Only the table counts for 2027: the library's extrapolated "observed" days are not used.
    assert cal.is_working_day(D(2027, 5, 3))
    assert not cal.is_working_day(D(2027, 2, 8))
    # Strict mode is now satisfied.
    assert WorkCalendar(overrides, strict=True).add(D(2026, 12, 24), WD("7 WD")).date == D(
        2027, 1, 4
    )


@needs_2027_unofficial
def test_recompute_when_official_data_arrives() -> None:
    due = CAL.add(D(2026, 12, 24), WD("7 WD"))
    newer = WorkCalendar(CalendarOverrides.from_yaml(FAKE_2027))
    later = newer.add(due.start, due.duration, count_from=due.count_from, pauses=due.pauses)
    assert due.provisional and not later.provisional
    assert later.date == D(2027, 1, 4)
    assert later.calendar_version != due.calendar_version


def test_local_closure_override(tmp_path: Path) -> None:
    path = tmp_path / "local.yaml"
    path.write_text("days_off:\n  - {date: 2026-03-03, reason: 台风停工}\n", encoding="utf-8")
    cal = WorkCalendar(CalendarOverrides.load(path))
    due = cal.add(D(2026, 3, 2), WD("1 WD"))
    assert due.date == D(2026, 3, 4)
    assert (D(2026, 3, 3), "day off (override): 台风停工") in due.skipped
    assert str(path) in cal.data_version


def test_override_sha_ignores_layout() -> None:
    a = CalendarOverrides.from_yaml("days_off: [2026-03-03]  # comment")
    b = CalendarOverrides.from_yaml("days_off:\n  - '2026-03-03'\n")
    assert a.sha256 == b.sha256
    assert CalendarOverrides.from_yaml("").empty


def test_override_without_days_off_cannot_declare_a_missing_year() -> None:
    if 2099 in installed_official_years():  # pragma: no cover
        pytest.skip("unexpected data")
    table = CalendarOverrides.from_yaml("official_years: [2099]", source="x.yaml")
    with pytest.raises(OverridesError, match=r"x\.yaml: official_years declares 2099"):
        WorkCalendar(table)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("days_off: [2027-02-30]", r"bad\.yaml: days_off\[0\]: expected a date"),
        ("days_off: [2027-01-01, {date: nope}]", r"bad\.yaml: days_off\[1\]: expected a date"),
        ("working_days: [{date: 2027-01-02, why: x}]", r"working_days\[0\]: unknown key 'why'"),
        ("holidays: []", r"bad\.yaml: unknown key 'holidays'"),
        ("days_off: 2027-01-01", r"days_off must be a list"),
        ("official_years: [twenty]", r"official_years\[0\]: expected a year"),
        ("official_years: [true]", r"official_years\[0\]: expected a year"),
        ("days_off: [2027-01-01]\nworking_days: [2027-01-01]", r"both in days_off and in"),
        ("days_off: [2027-01-01, 2027-01-01]", r"days_off\[1\]: 2027-01-01 is already listed"),
        ("days_off: [{from: 2027-02-11, to: 2027-02-05}]", r"days_off\[0\]: 'to'"),
        ("days_off: [{from: 2027-02-11}]", r"days_off\[0\]: needs date, or from and to"),
        ("days_off: [2027-01-01 10:00:00]", r"days_off\[0\]: .*date and time"),
        ("days_off: [{date: 2027-01-01, reason: ''}]", r"days_off\[0\]: reason"),
        ("- 2027-01-01", r"bad\.yaml: expected a mapping"),
        ("days_off: [", r"bad\.yaml: not valid YAML"),
    ],
)
def test_bad_override_tables_name_file_and_entry(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OverridesError, match=match):
        CalendarOverrides.load(path)


def test_missing_override_file(tmp_path: Path) -> None:
    with pytest.raises(OverridesError, match=r"missing\.yaml: cannot read"):
        CalendarOverrides.load(tmp_path / "missing.yaml")


def test_example_override_file_loads() -> None:
    example = Path(__file__).parents[2] / "src/onething/data/calendar_overrides.example.yaml"
    table = CalendarOverrides.load(example)
    assert table.days_off and not table.official_years
    WorkCalendar(table)


# --------------------------------------------------------------------------- units


def test_half_days() -> None:
    assert CAL.add(D(2026, 2, 13), WD("0.5 WD")).deadline == at(2026, 2, 14, 12, 0)
    assert CAL.add(D(2026, 2, 13), WD("1.5 WD")).deadline == at(2026, 2, 24, 12, 0)
    assert CAL.add(D(2026, 2, 13), WD("2 WD")).deadline == at(2026, 2, 24, 17, 0)
    no_lunch = WorkCalendar(office_hours=OfficeHours.parse("08:30-16:30"))
    assert no_lunch.add(D(2026, 2, 13), WD("0.5 WD")).deadline == at(2026, 2, 14, 12, 30)
    with pytest.raises(CalendarError, match="whole or half days"):
        CAL.add(D(2026, 2, 13), WD("0.3 WD"))


def test_natural_days_count_every_day_and_end_on_a_working_day() -> None:
    """民法典 art. 203: a period whose last day is a day off ends on the next working day.
    Before, 10 ND from 2026-09-24 ended on 10-04, inside the National Day break."""
    national_day = CAL.add(D(2026, 9, 24), WD("10 ND"))
    assert national_day.deadline == at(2026, 10, 8, 17, 0)
    assert [s.date for s in national_day.steps if "art. 203" in s.note] == [
        D(2026, 10, d) for d in range(4, 8)]
    assert CAL.add(D(2026, 3, 5), WD("10 ND")).date == D(2026, 3, 16)  # a Sunday: Monday
    assert CAL.add(D(2026, 3, 1), WD("10 ND")).date == D(2026, 3, 11)  # a Wednesday stays
    spring = CAL.add(D(2026, 2, 13), WD("10 ND"))
    assert spring.date == D(2026, 2, 24) and CAL.is_working_day(spring.date)
    far = CAL.add(D(2026, 12, 24), WD("10 ND"))  # 2027-01-03, a Sunday of a year not yet
    assert far.date > D(2027, 1, 3) and far.provisional  # announced: the shift is provisional
    with pytest.raises(CalendarError, match="whole days"):
        CAL.add(D(2026, 2, 13), WD("1.5 ND"))


@settings(max_examples=200, deadline=None)
@given(start=st.dates(D(2005, 1, 1), D(2026, 11, 30)), n=st.integers(1, 60))
def test_property_a_natural_day_period_ends_on_the_first_working_day_from_its_count(
        start: dt.date, n: int) -> None:
    due = CAL.add(start, WD(f"{n} ND"))
    counted = start + dt.timedelta(days=n)
    assert due.date >= counted and CAL.is_working_day(due.date)
    assert all(not CAL.is_working_day(counted + dt.timedelta(days=k))
               for k in range((due.date - counted).days))


def test_working_hours() -> None:
    # 10:00-12:00 is 2 h, then 13:30 + 2 h.
    assert CAL.add(at(2026, 2, 13, 10), WD("4 WH")).deadline == at(2026, 2, 13, 15, 30)
    # A bare date means midnight: 09:00-12:00 then 13:30-14:30.
    assert CAL.add(D(2026, 2, 13), WD("4 WH")).deadline == at(2026, 2, 13, 14, 30)
    # Into the next working day, which is the make-up Saturday.
    assert CAL.add(at(2026, 2, 13, 16), WD("2 WH")).deadline == at(2026, 2, 14, 10, 0)
    # Across National Day.
    due = CAL.add(at(2026, 9, 30, 16), WD("2 WH"))
    assert due.deadline == at(2026, 10, 8, 10, 0)
    assert D(2026, 10, 1) in dict(due.skipped)
    # Accepted in the lunch break or after hours.
    assert CAL.add(at(2026, 3, 2, 12, 30), WD("0.5 WH")).deadline == at(2026, 3, 2, 14, 0)
    late = CAL.add(at(2026, 3, 2, 18), WD("1 WH"))
    assert late.deadline == at(2026, 3, 3, 10, 0)
    assert "no office time left" in dict(late.skipped)[D(2026, 3, 2)]


def test_natural_hours() -> None:
    assert CAL.add(at(2026, 2, 13, 10), WD("30 NH")).deadline == at(2026, 2, 14, 16, 0)
    paused = CAL.add(at(2026, 2, 13, 10), WD("30 NH"), pauses=[(D(2026, 2, 14), D(2026, 2, 14))])
    assert paused.deadline == at(2026, 2, 15, 16, 0)
    assert not CAL.add(at(2026, 12, 31, 10), WD("48 NH")).provisional


def test_same_day_counting() -> None:
    assert CAL.add(D(2026, 2, 13), WD("1 WD"), count_from="same_day").date == D(2026, 2, 13)
    assert CAL.add(D(2026, 2, 13), WD("3 WD"), count_from="same_day").date == D(2026, 2, 24)
    with pytest.raises(CalendarError, match="count_from"):
        CAL.add(D(2026, 2, 13), WD("1 WD"), count_from="tomorrow")  # type: ignore[arg-type]


def test_start_time_zone() -> None:
    # 2026-02-13 17:30 UTC is 2026-02-14 01:30 in Shanghai: counting starts on the 15th.
    utc = dt.datetime(2026, 2, 13, 17, 30, tzinfo=dt.UTC)
    assert CAL.add(utc, WD("1 WD")).date == D(2026, 2, 24)
    naive = dt.datetime(2026, 2, 13, 17, 30)
    assert CAL.add(naive, WD("1 WD")).date == D(2026, 2, 14)


def test_rejects_non_positive_and_non_duration() -> None:
    from decimal import Decimal

    from onething.workdays import Unit

    with pytest.raises(CalendarError, match="positive"):
        CAL.add(D(2026, 2, 13), Duration(Decimal(0), Unit.WD))
    with pytest.raises(CalendarError, match="Duration"):
        CAL.add(D(2026, 2, 13), "3 WD")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- pauses, between


def test_pause_moves_the_due_date() -> None:
    base = CAL.add(D(2026, 3, 2), WD("5 WD"))
    assert base.date == D(2026, 3, 9)
    pause = Pause(D(2026, 3, 4), D(2026, 3, 5), "专家评审")
    paused = CAL.add(D(2026, 3, 2), WD("5 WD"), pauses=[pause])
    assert paused.date == D(2026, 3, 11)
    assert (D(2026, 3, 4), "paused: 专家评审") in paused.skipped
    assert any("paused 2026-03-04..2026-03-05: 专家评审" in line for line in explain(paused))
    with pytest.raises(CalendarError, match="before it starts"):
        Pause(D(2026, 3, 5), D(2026, 3, 4))


def test_working_days_between() -> None:
    assert CAL.working_days_between(D(2026, 2, 13), D(2026, 2, 25)) == 3
    assert CAL.working_days_between(D(2026, 2, 25), D(2026, 2, 13)) == -3
    assert CAL.working_days_between(D(2026, 2, 13), D(2026, 2, 13)) == 0
    assert (
        CAL.working_days_between(
            D(2026, 2, 13), D(2026, 2, 25), pauses=[(D(2026, 2, 24), D(2026, 2, 24))]
        )
        == 2
    )


# --------------------------------------------------------------------------- explain, clocks


def test_explain_lists_skipped_days_and_why() -> None:
    lines = explain(CAL.add(D(2026, 2, 13), WD("3 WD")))
    assert lines[0] == (
        "accepted 2026-02-13 Fri; limit 3 WD; counting from the day after acceptance"
    )
    assert "  2026-02-14 Sat  day 1: make-up working day (调休上班)" in lines
    assert "  2026-02-17 Tue  skipped: public holiday: 春节" in lines
    assert "  2026-02-21 Sat  skipped: weekend (Saturday)" in lines
    assert "due 2026-02-25 Wed 17:00 Asia/Shanghai" in lines
    assert lines[-1].startswith("calendar: holidays ")
    assert not any(line.startswith("PROVISIONAL") for line in lines)


def test_holiday_names_do_not_depend_on_the_locale() -> None:
    english = WorkCalendar(language="en_US")
    assert english.day_kind(D(2026, 2, 17)).name == "Chinese New Year (Spring Festival)"
    assert CAL.day_kind(D(2026, 2, 17)).name == "春节"


def test_clocks() -> None:
    clock = FixedClock(at(2026, 2, 25, 16, 59))
    assert isinstance(clock, Clock)
    due = CAL.add(D(2026, 2, 13), WD("3 WD"))
    assert not due.is_overdue(clock)
    clock.advance(dt.timedelta(minutes=1))
    assert not due.is_overdue(clock)  # expires at the end of 17:00, not before
    clock.advance(dt.timedelta(seconds=1))
    assert due.is_overdue(clock)
    with pytest.raises(CalendarError, match="timezone-aware"):
        FixedClock(dt.datetime(2026, 1, 1))
    assert SystemClock().now().tzinfo is not None


@needs_2027_unofficial
def test_coverage_notice_uses_the_injected_clock() -> None:
    assert CAL.coverage_notice(FixedClock(at(2026, 6, 1))) is None
    assert "2027" in (CAL.coverage_notice(FixedClock(at(2026, 11, 15))) or "")
    # the notice comes out between October and December: from October on, say it is missing
    assert "between October and December" in (CAL.coverage_notice(FixedClock(at(2026, 10, 8)))
                                              or "")
    assert CAL.coverage_notice(FixedClock(at(2026, 9, 30))) is None
    assert "current year 2027" in (CAL.coverage_notice(FixedClock(at(2027, 1, 4))) or "")


def test_office_hours() -> None:
    assert str(OfficeHours()) == "09:00-12:00,13:30-17:00"
    assert OfficeHours().length == dt.timedelta(hours=6, minutes=30)
    custom = OfficeHours.parse("08:30-12:00,14:00-17:30")
    cal = WorkCalendar(office_hours=custom)
    assert cal.add(D(2026, 2, 13), WD("3 WD")).deadline == at(2026, 2, 25, 17, 30)
    assert cal.add(D(2026, 2, 13), WD("0.5 WD")).deadline == at(2026, 2, 14, 12, 0)
    for bad in ("17:00-09:00", "09:00-12:00,11:00-17:00", "nine-five", "a,b,c"):
        with pytest.raises(CalendarError):
            OfficeHours.parse(bad)


# --------------------------------------------------------------------------- properties

starts = st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 12, 31))
days = st.integers(min_value=1, max_value=40)


@settings(max_examples=200, deadline=None)
@given(start=starts, n=days, m=days)
def test_property_adding_n_then_m_equals_n_plus_m(start: dt.date, n: int, m: int) -> None:
    first = CAL.add(start, WD(f"{n} WD"))
    then = CAL.add(first.date, WD(f"{m} WD"))
    assert then.date == CAL.add(start, WD(f"{n + m} WD")).date


@settings(max_examples=200, deadline=None)
@given(
    start=starts,
    n=days,
    unit=st.sampled_from(["WD", "ND", "WH", "NH"]),
    hour=st.integers(min_value=0, max_value=23),
    offset=st.integers(min_value=-5, max_value=60),
    length=st.integers(min_value=0, max_value=20),
)
def test_property_a_pause_never_makes_a_due_date_earlier(
    start: dt.date, n: int, unit: str, hour: int, offset: int, length: int
) -> None:
    accepted = dt.datetime.combine(start, dt.time(hour), tzinfo=SHANGHAI)
    pause = Pause(start + dt.timedelta(days=offset), start + dt.timedelta(days=offset + length))
    plain = CAL.add(accepted, WD(f"{n} {unit}"))
    paused = CAL.add(accepted, WD(f"{n} {unit}"), pauses=[pause])
    assert paused.deadline >= plain.deadline


@settings(max_examples=200, deadline=None)
@given(start=starts, halves=st.integers(min_value=1, max_value=80))
def test_property_every_due_date_is_a_working_day(start: dt.date, halves: int) -> None:
    amount = f"{halves // 2}.5" if halves % 2 else str(halves // 2)
    due = CAL.add(start, WD(f"{amount} WD"))
    assert CAL.is_working_day(due.date)
    assert due.date > start


@settings(max_examples=200, deadline=None)
@given(start=starts, n=days)
def test_property_between_inverts_add(start: dt.date, n: int) -> None:
    due = CAL.add(start, WD(f"{n} WD"))
    assert CAL.working_days_between(start, due.date) == n
