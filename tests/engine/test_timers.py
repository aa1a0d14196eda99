"""Timers and time (issue 12 item 9): provisional due dates are marked wherever they are shown,
``tick`` fires every due timer page after page, stamps events with the time it was given, each
timer fails on its own, and a timer belongs to one arming of its clock."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from tests.support.factories import sample_form, sample_materials, shipped
from tests.support.racing import AfterRead

from onething.cases.records import Case, applicant, officer, window
from onething.cli import cli
from onething.engine.engine import Engine
from onething.stores.base import Store
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, FixedClock, WorkCalendar

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation")
REGISTRAR = officer("market_regulation")


def at(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI)


def accepted(engine: Engine, clock: FixedClock, when: dt.datetime) -> str:
    clock.set(when)
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, DESK)
    return case.id


def test_provisional_due_dates_are_marked_in_queue_tick_and_events(any_store: Store) -> None:
    clock = FixedClock(at("2026-12-31"))
    engine = Engine(any_store, clock=clock)
    case_id = accepted(engine, clock, at("2026-12-31"))  # due on 2027's unofficial calendar
    [item] = engine.queue("market_regulation").items
    assert item.provisional and item.due is not None and item.due.year == 2027
    fired = engine.tick(at("2027-01-20"))
    assert fired and all(f.provisional for f in fired if f.timer.kind == "escalation")
    escalations = [e for e in engine.history(case_id) if e.action == "escalated"]
    assert escalations and all(e.data.get("provisional") is True for e in escalations)


def test_tick_fires_every_due_timer_page_after_page(any_store: Store) -> None:
    clock = FixedClock(at("2026-09-30"))
    engine = Engine(any_store, clock=clock)
    ids = [accepted(engine, clock, at("2026-09-30")) for _ in range(12)]
    fired = engine.tick(at("2026-10-08", 13), limit=5)
    assert sorted({f.case_id for f in fired}) == sorted(ids)
    assert any_store.due_cases(at("2026-10-08", 13), 1000) == []


def test_timer_events_are_stamped_with_the_time_tick_was_given(any_store: Store) -> None:
    clock = FixedClock(at("2026-09-30"))
    engine = Engine(any_store, clock=clock)
    case_id = accepted(engine, clock, at("2026-09-30"))
    waiting = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP)).id
    clock.set(at("2027-06-01"))  # the engine's own clock is elsewhere
    given = at("2026-10-15", 15, 30)
    engine.tick(given)
    for case in (case_id, waiting):
        fired = [e for e in engine.history(case) if e.action in ("escalated",
                                                                 "deemed_acceptance")]
        assert fired and {e.at for e in fired} == {given}


class PlanThenRace(AfterRead):
    """A store whose first case read after a claim (the tick planning the case's due timers)
    is followed by ``race`` before the claimer fires them (another engine acting meanwhile,
    as between a worker's plan and its firing)."""

    def __init__(self, inner: Store, race: Callable[[], None]) -> None:
        super().__init__(inner)
        self._race = race
        self._armed = False

    def claim_due(self, *args: Any, **kwargs: Any) -> list[str]:
        self._armed = True
        return self._inner.claim_due(*args, **kwargs)

    def after_read(self) -> None:
        if self._armed:
            self._armed = False
            race, self._race = self._race, lambda: None
            race()


def test_a_timer_belongs_to_one_arming_of_its_clock(any_store: Store) -> None:
    clock = FixedClock(at("2026-10-12", 9))
    engine = Engine(any_store, clock=clock)
    case_id = accepted(engine, clock, at("2026-10-12", 9))
    armed_first = {t.id for t in engine.timers(case_id) if t.step == "registration"}
    # corrected and answered on the same day: the clock restarts with the same due date
    clock.set(at("2026-10-12", 10))
    engine.act(case_id, "registration", "request_correction", REGISTRAR, "盖章")
    clock.set(at("2026-10-12", 11))
    engine.supplement(case_id, applicant(), step="registration")
    armed_again = {t.id for t in engine.timers(case_id) if t.step == "registration"}
    assert armed_first and armed_again and not armed_first & armed_again
    assert {t.due_at for t in engine.timers(case_id) if t.step == "registration"} >= {
        at("2026-10-13", 12)}


def test_a_timer_planned_before_its_clock_restarted_never_fires(any_store: Store) -> None:
    clock = FixedClock(at("2026-10-12", 9))
    engine = Engine(any_store, clock=clock)
    case_id = accepted(engine, clock, at("2026-10-12", 9))
    due = at("2026-10-13", 12)

    def restart() -> None:  # between the claim and the firing, same day as the start
        engine.act(case_id, "registration", "request_correction", REGISTRAR, "盖章",
                   now=at("2026-10-12", 10))
        engine.supplement(case_id, applicant(), step="registration", now=at("2026-10-12", 11))

    stale = [t.id for t in engine.timers(case_id) if t.due_at <= due]
    racing = Engine(PlanThenRace(any_store, restart), clock=clock)
    fired = racing.tick(due + dt.timedelta(minutes=5))
    fired_ids = [f.timer.id for f in fired if f.timer.step == "registration"]
    assert fired_ids and not set(fired_ids) & set(stale)
    reminders = [e for e in engine.history(case_id)
                 if e.action == "escalated" and e.step == "registration"]
    assert len(reminders) == 1 and reminders[0].data["timer"] in fired_ids


def test_one_failing_timer_never_stops_the_others(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    clock = FixedClock(at("2026-12-01"))
    engine = Engine(SqliteStore(path), clock=clock)
    fine = accepted(engine, clock, at("2026-12-01"))
    provisional = accepted(engine, clock, at("2026-12-31"))
    broken = accepted(engine, clock, at("2026-12-01"))
    with engine.store._db as db:  # type: ignore[attr-defined]
        db.execute("UPDATE cases SET state = '{\"marking\": 1}' WHERE id = ?", (broken,))
    strict = Engine(SqliteStore(path), clock=clock, calendar=WorkCalendar(strict=True))
    handled = strict.tick(at("2027-01-06"))
    by_case = {f.case_id: f for f in handled}
    assert by_case[fine].fired
    assert not by_case[provisional].fired and "provisional" in by_case[provisional].error
    assert not by_case[broken].fired and "does not decode" in by_case[broken].error
    assert any(e.action == "escalated" for e in strict.history(fine))


def test_the_command_line_shows_zones_and_provisional_dates(tmp_path: Path) -> None:
    db = tmp_path / "cases.sqlite3"
    clock = FixedClock(at("2026-12-31"))
    engine = Engine(SqliteStore(db), clock=clock)
    accepted(engine, clock, at("2026-12-31"))
    engine.store.close()
    runner = CliRunner()
    queue = runner.invoke(cli, ["queue", "market_regulation", "--db", str(db)])
    assert "+0800" in queue.output and "(暂定)" in queue.output, queue.output  # zh by default
    english = runner.invoke(cli, ["--lang", "en", "queue", "market_regulation", "--db", str(db)])
    assert "(provisional)" in english.output and "办理时限" not in english.output, english.output
    tick = runner.invoke(cli, ["tick", "--now", "2027-01-20T09:00+08:00", "--db", str(db),
                               "--allow-future"])
    assert tick.exit_code == 0 and "+0800 (provisional)" in tick.output, tick.output
    as_json = runner.invoke(cli, ["queue", "market_regulation", "--db", str(db),
                                  "--format", "json"])
    [item] = json.loads(as_json.output)["items"]
    assert item["provisional"] is True and item["due"].endswith("+08:00")


def test_the_case_record_is_the_one_the_timers_were_planned_for(any_store: Store) -> None:
    clock = FixedClock(at("2026-09-30"))
    engine = Engine(any_store, clock=clock)
    case_id = accepted(engine, clock, at("2026-09-30"))
    case: Case = engine.case(case_id)
    assert all(t.case_id == case.id and "armed" in t.id for t in engine.timers(case_id))
