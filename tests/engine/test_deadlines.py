"""A clock's deadline as the hot path reads it (``clocks.deadline``, remembered by the day its
clock started for limits in days) is :func:`clocks.due`'s, and the working days a finished clock
used (``clocks.used_days``, remembered by its days) are the calendar's count, whatever clocks
were asked before."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from onething.cases import clocks as clk
from onething.workdays import SHANGHAI, WorkCalendar

ZONES = [SHANGHAI, dt.UTC, dt.timezone(dt.timedelta(hours=-5))]
LIMITS = ["2 WD", "0.5 WD", "20 WD", "3 ND", "4 WH", "1 NH"]
#: minutes into a day: before, in and after office hours, and any
MINUTES = st.one_of(st.sampled_from([0, 8 * 60 + 59, 9 * 60, 11 * 60 + 45, 14 * 60,
                                     17 * 60 + 30, 23 * 60 + 59]), st.integers(0, 24 * 60 - 1))


@st.composite
def kinds(draw: st.DrawFn) -> dict[str, Any]:
    """What clocks of one kind share: the day they start, their limit and extension, their
    pauses, whether one is open, the zone they were written in."""
    day = draw(st.dates(dt.date(2025, 12, 20), dt.date(2027, 2, 10)))
    pauses = []
    begun = day
    for _ in range(draw(st.integers(0, 2))):
        begun += dt.timedelta(days=draw(st.integers(0, 20)))
        pauses.append([begun.isoformat(),
                       (begun + dt.timedelta(days=draw(st.integers(0, 10)))).isoformat(),
                       "correction"])
    return {"day": day, "which": draw(st.sampled_from(["committed", "statutory"])),
            "limit": draw(st.sampled_from(LIMITS)),
            "extension": draw(st.sampled_from([None, "2 WD", "3 WH"])), "pauses": pauses,
            "paused_after": draw(st.none() | st.integers(0, 400)),
            "zone": draw(st.sampled_from(ZONES)), "both": draw(st.booleans())}


@st.composite
def clocks(draw: st.DrawFn, of: list[dict[str, Any]]) -> tuple[clk.ClockRecord, dt.datetime]:
    """A clock of one of the kinds ``of``, started at any minute of its day, as the engine
    writes it (sometimes in another zone, as an older release might have), and the moment it
    is read at."""
    kind = draw(st.sampled_from(of))
    started = dt.datetime.combine(kind["day"], dt.time(0), SHANGHAI) \
        + dt.timedelta(minutes=draw(MINUTES))
    clock = clk.ClockRecord(started=started.astimezone(kind["zone"]).isoformat())
    clock[kind["which"]] = kind["limit"]
    if kind["both"]:  # the shipped workflows give a step both limits
        clock["statutory"] = "20 WD"
    if kind["extension"]:
        clock["extension"] = kind["extension"]
    if kind["pauses"]:
        clock["pauses"] = kind["pauses"]
    if kind["paused_after"] is not None:
        clock["paused_since"] = (started + dt.timedelta(hours=kind["paused_after"])
                                 ).astimezone(kind["zone"]).isoformat()
        clock["paused_reason"] = "correction"
    return clock, started + dt.timedelta(hours=draw(st.integers(-30, 900)))


@settings(max_examples=400, deadline=None)
@given(st.lists(kinds(), min_size=1, max_size=3).flatmap(
    lambda of: st.lists(clocks(of), min_size=1, max_size=12)),
    st.sampled_from(["next_day", "same_day"]))
def test_the_deadline_is_the_due_dates_whatever_was_asked_before(
        asked: list[tuple[clk.ClockRecord, dt.datetime]], count_from: str) -> None:
    calendar = WorkCalendar()  # a fresh one: its memo holds only what this example asked
    policy = clk.ClockPolicy(count_from=count_from)  # type: ignore[arg-type]
    for clock, now in asked:
        for which in ("committed", "statutory"):
            full = clk.due(calendar, clock, which, now, policy)
            fast = clk.deadline(calendar, clock, which, now, policy)
            if full is None:
                assert fast is None
            else:
                assert fast == (full.deadline, full.provisional, full.reasons)
        # None asks for the committed limit's deadline, else the statutory one's
        assert clk.deadline(calendar, clock, None, now, policy) == (
            clk.deadline(calendar, clock, "committed", now, policy)
            or clk.deadline(calendar, clock, "statutory", now, policy))


@settings(max_examples=300, deadline=None)
@given(st.lists(kinds(), min_size=1, max_size=3).flatmap(
    lambda of: st.lists(st.tuples(clocks(of), st.integers(0, 60 * 24 * 30)), min_size=1,
                        max_size=12)))
def test_the_days_a_finished_clock_used_are_the_calendars_count(
        asked: list[tuple[tuple[clk.ClockRecord, dt.datetime], int]]) -> None:
    calendar = WorkCalendar()
    for (clock, _), minutes in asked:
        clock.pop("paused_since", None)  # finish ends an open pause
        finished = dt.datetime.fromisoformat(clock["started"]) + dt.timedelta(minutes=minutes)
        clock["finished"] = finished.astimezone(SHANGHAI).isoformat()
        expected = calendar.count_working_days(
            dt.datetime.fromisoformat(clock["started"]), finished,
            pauses=[(dt.date.fromisoformat(a), dt.date.fromisoformat(b))
                    for a, b, _ in clock["pauses"]])
        assert clk.used_days(calendar, clock) == expected.value


def test_clocks_started_the_same_day_share_a_limit_in_days_but_not_in_hours() -> None:
    calendar = WorkCalendar()
    policy = clk.ClockPolicy()
    morning = clk.ClockRecord(started="2026-09-29T09:00:00+08:00", committed="2 WD")
    evening = clk.ClockRecord(started="2026-09-29T18:30:00+08:00", committed="2 WD")
    now = dt.datetime(2026, 9, 29, 20, tzinfo=SHANGHAI)
    assert clk.deadline(calendar, morning, "committed", now, policy) \
        is clk.deadline(calendar, evening, "committed", now, policy)
    morning["committed"] = evening["committed"] = "4 WH"
    assert clk.deadline(calendar, morning, "committed", now, policy) \
        != clk.deadline(calendar, evening, "committed", now, policy)
