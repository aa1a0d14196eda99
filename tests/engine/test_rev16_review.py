"""Adversarial review of merge16 (issue 16 items 1-4, 9): each test shows a defect and fails
on the branch as reviewed. See the review report for the analysis of each."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from tests.support.factories import sample_form, sample_materials, shipped
from tests.support.scenarios import OWNER_ID, PERMIT
from tests.support.scenarios import WORKFLOW as PERMIT_TEXT

from onething.cases import intake
from onething.cases.listing import cursor_of
from onething.cases.records import window
from onething.engine._numbers import CaseNumbers
from onething.engine.engine import Engine
from onething.errors import InvalidArgument
from onething.language.load import parse
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import (
    SHANGHAI,
    CalendarOverrides,
    FixedClock,
    WorkCalendar,
    installed_official_years,
)

STARTUP = shipped("enterprise_startup.yaml")


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def submit_permit(engine: Engine, now: dt.datetime | None = None) -> str:
    return engine.submit("permit", {"name": "小店"}, applicant=OWNER_ID, now=now).id


# -- case numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["{region}-{date:%Y}-{serial:06d}",
                                     "{region}-{date:%Y%m}-N{serial:05d}"])
def test_a_yearly_or_monthly_number_is_not_drawn_twice(any_store: Store, pattern: str) -> None:
    """CaseNumbers counts one serial per *day* whenever the format names {date}, whatever
    part of the date the format prints: with a year (年度流水号) or month format, the first
    number of the second day is the first number of the first day again."""
    clock = FixedClock(at("2026-12-07"))
    engine = Engine(any_store, clock=clock, new_id=CaseNumbers("430381", pattern))
    engine.deploy(PERMIT)
    first = submit_permit(engine)
    clock.advance(dt.timedelta(days=1))
    second = submit_permit(engine)  # Conflict: a case with this id exists already
    assert second != first


def test_a_number_without_the_region_is_not_drawn_twice_by_two_regions() -> None:
    """The serial's scope names the region even when the format does not print it: two
    windows of two regions sharing a database both draw 20261207-000001."""
    store = MemoryStore()
    clock = FixedClock(at("2026-12-07"))
    pattern = "YJS{date:%Y%m%d}-{serial:06d}"
    east = Engine(store, clock=clock, new_id=CaseNumbers("430381", pattern))
    west = Engine(store, clock=clock, new_id=CaseNumbers("430382", pattern))
    east.deploy(PERMIT)
    first = submit_permit(east)
    second = submit_permit(west)  # Conflict
    assert second != first


def test_the_number_carries_the_day_the_case_was_submitted() -> None:
    """The number's day is the engine clock's day, not the submission's ``now``: a case
    submitted (recorded) for 7 December reads as a case of 8 December."""
    clock = FixedClock(at("2026-12-08"))
    engine = Engine(clock=clock, new_id=CaseNumbers("430381"))
    engine.deploy(PERMIT)
    case_id = submit_permit(engine, now=at("2026-12-07", 16))
    assert engine.case(case_id).created_at.date() == dt.date(2026, 12, 7)
    assert case_id == "430381-20261207-000001"


def test_a_number_drawn_in_a_batch_that_rolled_back_names_no_case_twice(
        tmp_path: Path) -> None:
    """On SQLite the serial is drawn inside the batch's transaction (one writer: a second
    connection would wait for the batch) and rolls back with it, so the next submission may
    get the same number — which no stored case has, since nothing in the batch was kept
    (the review's finding; the docstring of _numbers says so now)."""
    clock = FixedClock(at("2026-12-07"))
    engine = Engine(SqliteStore(tmp_path / "c.sqlite3"), clock=clock,
                    new_id=CaseNumbers("430381"))
    engine.deploy(PERMIT)
    drawn = []
    with pytest.raises(RuntimeError), engine.batch():
        drawn.append(submit_permit(engine))
        raise RuntimeError("the import failed further on")
    kept = submit_permit(engine)
    assert engine.store.case_ids() == [kept]
    assert [c.case_id for c in engine.search(number=drawn[0]).items] in ([], [kept])


def test_a_batch_does_not_stop_every_other_window_drawing_numbers(pg_database: str) -> None:
    """PostgreSQL: inside engine.batch() the serial's row stays locked until the batch ends,
    so every other process's submission in the region waits for the whole batch."""
    from onething.stores.postgres import PostgresStore

    clock = FixedClock(at("2026-12-07"))
    importer = Engine(PostgresStore(pg_database), clock=clock, new_id=CaseNumbers("430381"))
    importer.deploy(PERMIT)
    importer.people.pseudonym(OWNER_ID)  # the pseudonym key exists before the batch (its
    # first use inside one would hold every other writer of that row, which is not the point)
    window_store = PostgresStore(pg_database)
    desk = Engine(window_store, clock=clock, new_id=CaseNumbers("430381"))
    done = threading.Event()
    got: list[str] = []

    def at_the_window() -> None:
        got.append(submit_permit(desk))
        done.set()

    with importer.batch():
        submit_permit(importer)
        other = threading.Thread(target=at_the_window)
        other.start()
        finished_during_batch = done.wait(3)
    other.join(30)
    assert len(got) == 1  # the window's submission went through once the batch ended...
    assert finished_during_batch  # ...but not before


# -- listings after a calendar refresh -----------------------------------------------------------


@pytest.mark.skipif(2027 in installed_official_years(),
                    reason="the installed holidays already has the 2027 notice")
@pytest.mark.parametrize("day", ["2027-01-29", "2027-01-31"])
def test_refresh_calendar_moves_the_intake_queues_due_date(any_store: Store, day: str) -> None:
    """refresh_calendar recommits only cases with clocks: a case awaiting intake has none,
    so its listed art. 32 date (and the queue's order and status) stays the projection's."""
    clock = FixedClock(at(day, 10))
    engine = Engine(any_store, clock=clock)
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    notice = CalendarOverrides.from_yaml(
        "official_years: [2027]\n"
        "days_off: [2027-01-01, {from: 2027-02-05, to: 2027-02-11, reason: 春节}]\n")
    engine.refresh_calendar(WorkCalendar(notice))
    truth = intake.deemed_at(engine.case(case.id), engine.deployed(STARTUP.id).policy,
                             engine.calendar.lenient())
    assert truth is not None
    [listed] = engine.intake_queue().items
    assert listed.intake_due == truth.deadline
    # and the status the window sees on the day after the listed (projected) date
    [seen] = engine.intake_queue(now=truth.deadline - dt.timedelta(hours=1)).items
    assert seen.intake_status != "overdue"


# -- intake status and the workflow's clock rules ------------------------------------------------


def test_the_intake_warning_follows_the_workflows_warn_before() -> None:
    """``clock: {warn_before: 3 WD}`` is the workflow's clock rule; the intake queue's status
    uses the library default (1 WD) instead."""
    text = PERMIT_TEXT.replace("lead: window_office\n",
                               "lead: window_office\nclock: {warn_before: 3 WD}\n", 1)
    workflow = parse(text, "permit.yaml").unwrap()
    clock = FixedClock(at("2026-12-07"))  # a Monday
    engine = Engine(clock=clock)
    engine.deploy(workflow)
    submit_permit(engine)
    [item] = engine.intake_queue().items
    assert item.intake_due is not None
    # Monday 12-14 17:00; from Thursday 12-10, 3 WD (counted from the next day) reach it
    assert item.intake_due == at("2026-12-14", 17)
    [seen] = engine.intake_queue(now=at("2026-12-10", 10)).items
    assert seen.intake_status == "warning"


# -- a page's listing and its work items from two different commits ------------------------------


def test_a_search_never_shows_a_state_the_case_was_not_in(tmp_path: Path) -> None:
    """decision 0022: "a list never shows a state the case is not in". A page of listings
    reads the cases and then their work items in a second, separate query (a separate
    transaction on PostgreSQL, autocommit on SQLite); a commit between the two makes an item
    that is at once 'intake' and waiting on a department's step."""
    store = SqliteStore(tmp_path / "c.sqlite3")
    engine = Engine(store, clock=FixedClock(at("2026-12-07")))
    engine.deploy(PERMIT)
    case_id = submit_permit(engine)
    other = Engine(SqliteStore(tmp_path / "c.sqlite3"), clock=FixedClock(at("2026-12-07")))
    fetch = store._fetch
    calls = []

    def between(sql: str, params: list[object]) -> object:
        rows = fetch(sql, params)
        if "sort_key" in sql:  # another process accepts the case between the two queries
            calls.append(sql)
            other.accept(case_id, window("window_office", "w1"))
        return rows

    store._fetch = between  # type: ignore[method-assign]
    [item] = engine.search(status="intake").items
    assert not (item.status == "intake" and item.waiting), item


# -- the time zone of listed moments --------------------------------------------------------------


def test_listed_moments_are_in_shanghai_on_every_store(any_store: Store) -> None:
    """The memory store gives due, warn_from and intake_due in Asia/Shanghai; the databases
    give them in UTC, so the day a host reads off them differs per store (a warning that
    starts at 00:00 in Shanghai starts "the day before" in UTC)."""
    engine = Engine(any_store, clock=FixedClock(at("2026-12-07")))
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    [waiting] = engine.intake_queue().items
    assert waiting.intake_due is not None
    assert waiting.intake_due.utcoffset() == dt.timedelta(hours=8), waiting.intake_due
    engine.accept(case.id, window(STARTUP.lead))
    [item] = engine.queue("market_regulation").items
    assert item.warn_from is not None
    assert item.warn_from.date() == item.warn_from.astimezone(SHANGHAI).date(), item.warn_from


# -- cursors and date bounds that are not ours ---------------------------------------------------


def test_a_forged_cursor_is_refused_not_a_crash(tmp_path: Path) -> None:
    engine = Engine(SqliteStore(tmp_path / "c.sqlite3"))
    engine.deploy(PERMIT)
    with pytest.raises(InvalidArgument):
        engine.queue("market", after=cursor_of((2 ** 70, "a", "b", "c")))


@pytest.mark.parametrize("bounds", [{"submitted_to": dt.date.max},
                                    {"submitted_from": dt.date.min}])
def test_a_search_to_the_end_of_the_calendar_is_an_answer_not_a_crash(bounds: dict) -> None:
    engine = Engine()
    engine.deploy(PERMIT)
    assert engine.search(**bounds).items == ()

