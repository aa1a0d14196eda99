"""Clocks, timers and escalation on the working-day calendar, with pinned clocks."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import ROOT, sample_form, sample_materials, shipped

from onething.cases.clocks import Status
from onething.cases.records import Actor, Role, applicant, officer, window
from onething.cli import cli
from onething.engine.engine import Engine
from onething.errors import ActionRefused, NotAuthorized
from onething.language.load import parse
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, CalendarOverrides, FixedClock, WorkCalendar

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation")
REGISTRAR = officer("market_regulation")
BOSS = Actor(Role.SUPERVISOR, "director", "market_regulation")


def at(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI)


def accepted(engine: Engine, clock: FixedClock, when: dt.datetime) -> str:
    clock.set(when)
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, DESK)
    return case.id


def views(engine: Engine, case_id: str) -> dict[str, object]:
    return {v.key: v for v in engine.clocks(case_id)}


def test_a_step_clock_starts_when_the_step_awaits_its_department(engine: Engine,
                                                                    clock: FixedClock) -> None:
    case_id = accepted(engine, clock, at("2026-09-30"))
    registration = views(engine, case_id)["registration"]
    # 0.5 WD from the day after 2026-09-30: National Day 10-01..07 is skipped
    assert registration.committed_due.deadline == at("2026-10-08", 12)
    # 3 WD (市场主体登记管理条例 art. 19): 10-08, 10-09 and the make-up Saturday 10-10
    assert registration.statutory_due.deadline == at("2026-10-10", 17)
    assert engine.case(case_id).calendar_version.startswith("holidays")


def test_status_goes_from_normal_to_warning_to_overdue(engine: Engine,
                                                        clock: FixedClock) -> None:
    case_id = accepted(engine, clock, at("2026-09-30"))
    engine.act(case_id, "registration", "approve", REGISTRAR)
    clock.set(at("2026-10-08", 9))
    statuses = {k: v.status for k, v in views(engine, case_id).items()}
    assert statuses["seal"] is Status.WARNING
    clock.set(at("2026-10-08", 12, 30))
    assert views(engine, case_id)["seal"].status is Status.OVERDUE
    assert views(engine, case_id)["registration"].status is Status.MET


def test_a_special_procedure_pauses_the_clock_and_moves_the_due_date(
        engine: Engine, clock: FixedClock) -> None:
    case_id = accepted(engine, clock, at("2026-09-30"))
    before = views(engine, case_id)["registration"].statutory_due.deadline
    clock.set(at("2026-10-08", 10))
    engine.start_special_procedure(case_id, "registration", REGISTRAR, kind="testing",
                                   expected="3 WD")
    assert views(engine, case_id)["registration"].status is Status.PAUSED
    clock.set(at("2026-10-12", 10))
    engine.act(case_id, "registration", "end_special_procedure", REGISTRAR)
    after = views(engine, case_id)["registration"].statutory_due.deadline
    # 10-08 (Thu), 10-09 (Fri), 10-10 (make-up Sat), 10-12 (Mon) did not count: 3 WD from 10-13
    assert after == at("2026-10-15", 17)
    assert after > before


def test_a_correction_restarts_the_clock_when_answered(engine: Engine,
                                                       clock: FixedClock) -> None:
    case_id = accepted(engine, clock, at("2026-09-30"))
    clock.set(at("2026-10-09", 10))
    engine.act(case_id, "registration", "request_correction", REGISTRAR, reason="unsigned")
    clock.set(at("2026-10-13", 10))
    engine.supplement(case_id, applicant(), step="registration")
    registration = views(engine, case_id)["registration"]
    assert registration.started == at("2026-10-13", 10)
    assert registration.committed_due.deadline == at("2026-10-14", 12)


def test_an_unanswered_correction_ends_the_case_on_a_tick(engine: Engine,
                                                          clock: FixedClock) -> None:
    case_id = accepted(engine, clock, at("2026-09-30"))
    clock.set(at("2026-10-09", 10))
    engine.act(case_id, "registration", "request_correction", REGISTRAR)
    # 15 WD counted from 10-10, a make-up Saturday, end on 10-29 at the close of office
    assert engine.tick(at("2026-10-29", 16)) == []
    fired = engine.tick(at("2026-10-29", 17))
    assert [f.timer.name for f in fired] == ["correction_expired"]
    assert engine.delivery(case_id).kind == "termination"
    assert engine.timers(case_id) == []


def test_no_notice_within_five_working_days_means_accepted(engine: Engine,
                                                           clock: FixedClock) -> None:
    clock.set(at("2026-09-30"))
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    assert engine.tick(at("2026-10-13", 16)) == []
    firing, *passed = engine.tick(at("2026-10-13", 17))
    assert firing.timer.name == "deemed_acceptance"
    # art. 32: accepted from the day of receipt, so escalations (and the warnings and overdue
    # signals of the clocks) already due fire with it
    assert passed and all(f.timer.kind in ("escalation", "signal") for f in passed)
    assert engine.waiting_on(case.id) == ["registration"]
    assert "deemed_acceptance" in [e.action for e in engine.history(case.id)]


def test_escalations_climb_the_ladder_and_never_change_the_path(engine: Engine,
                                                               clock: FixedClock) -> None:
    case_id = accepted(engine, clock, at("2026-09-30"))
    marking = engine.case(case_id).marking
    fired = engine.tick(at("2026-10-14", 18))
    ladder = [(f.timer.name, f.timer.step) for f in fired]
    assert ladder.count(("reminder", "registration")) == 1
    assert ("supervision", "registration") in ladder
    assert ("public_notice", "registration") in ladder
    assert engine.case(case_id).marking == marking
    escalated = [e for e in engine.history(case_id) if e.action == "escalated"]
    assert {e.data["to"] for e in escalated} >= {"market_regulation", "supervisor"}
    assert engine.tick(at("2026-10-20", 18)) == []


def test_ticking_twice_or_concurrently_fires_each_timer_once(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    clock = FixedClock(at("2026-09-30"))
    first = Engine(SqliteStore(path), clock=clock)
    ids = [accepted(first, clock, at("2026-09-30")) for _ in range(5)]
    engines = [Engine(SqliteStore(path), clock=clock) for _ in range(4)]
    results: list[int] = []
    barrier = threading.Barrier(len(engines))

    def tick(engine: Engine) -> None:
        barrier.wait()
        results.append(len(engine.tick(at("2026-10-14", 18))))

    threads = [threading.Thread(target=tick, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    per_case = {i: [e.data["timer"] for e in first.history(i) if e.action == "escalated"]
                for i in ids}
    assert all(len(timers) == len(set(timers)) == 6 for timers in per_case.values())
    fired = [e.data["timer"] for i in ids for e in first.history(i) if "timer" in e.data]
    assert len(fired) == len(set(fired)) == sum(results) > 30  # escalations and signals


def test_timers_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    clock = FixedClock(at("2026-09-30"))
    store = SqliteStore(path)
    case_id = accepted(Engine(store, clock=clock), clock, at("2026-09-30"))
    store.close()
    again = Engine(SqliteStore(path), clock=clock)
    again.deploy(STARTUP)
    fired = again.tick(at("2026-10-08", 13))
    assert [f.timer.name for f in fired if f.timer.kind != "signal"] == ["reminder"]
    assert "escalated" in [e.action for e in again.history(case_id)]


def test_an_extension_needs_a_supervisor_a_reason_and_stays_within_the_law(
        engine: Engine, clock: FixedClock) -> None:
    case_id = accepted(engine, clock, at("2026-09-30"))
    with pytest.raises(NotAuthorized):
        engine.extend(case_id, "registration", "10 WD", REGISTRAR, "complex")
    with pytest.raises(ActionRefused, match="reason"):
        engine.extend(case_id, "registration", "10 WD", BOSS, " ")
    with pytest.raises(ActionRefused, match="exceeds the bound of 10 WD"):
        engine.extend(case_id, "registration", "11 WD", BOSS, "complex")
    before = views(engine, case_id)["registration"].statutory_due.deadline
    engine.extend(case_id, "registration", "10 WD", BOSS, "site inspection needed")
    after = views(engine, case_id)["registration"].statutory_due.deadline
    assert after == at("2026-10-23", 17) and after > before  # 3 + 10 WD from 10-08
    with pytest.raises(ActionRefused, match="extended already"):
        engine.extend(case_id, "registration", "1 WD", BOSS, "again")
    *_, extended, refused = engine.history(case_id)
    assert extended.data == {"by": "10 WD", "reason": "site inspection needed",
                             "due": after.isoformat()}  # the new date, for the notice
    assert refused.action == "refused_attempt" and refused.data["action"] == "extend"


def test_a_provisional_due_date_is_recomputed_when_official_data_arrives(
        engine: Engine, clock: FixedClock) -> None:
    case_id = accepted(engine, clock, at("2026-12-21"))
    statutory = views(engine, case_id)["case"].statutory_due  # 45 WD: into 2027
    assert statutory.provisional and any("2027" in r for r in statutory.reasons)
    table = CalendarOverrides.from_yaml(
        "official_years: [2027]\n"
        "days_off: [2027-01-01, {from: 2027-02-05, to: 2027-02-11, reason: 春节}]\n"
        "working_days: [2027-01-09]\n", source="notice-2027.yaml")
    assert engine.refresh_calendar(WorkCalendar(table)) == [case_id]
    refreshed = views(engine, case_id)["case"].statutory_due
    assert not refreshed.provisional
    event = engine.history(case_id)[-1]
    assert event.action == "calendar_refreshed"
    assert "case statutory" in event.data["due_dates"]
    assert engine.case(case_id).calendar_version == engine.calendar.data_version


def test_strict_calendar_refuses_instead_of_guessing() -> None:
    from onething.errors import ProvisionalCalendarError
    from onething.workdays import Duration

    with pytest.raises(ProvisionalCalendarError):
        WorkCalendar(strict=True).add(dt.date(2026, 12, 21), Duration.parse("20 WD"))


@settings(max_examples=60, deadline=None)
@given(st.dates(dt.date(2026, 1, 5), dt.date(2026, 11, 20)), st.integers(0, 9),
       st.integers(1, 6))
def test_a_pause_never_makes_a_due_date_earlier(start: dt.date, pause_at: int,
                                                 length: int) -> None:
    clock = FixedClock(dt.datetime.combine(start, dt.time(9), SHANGHAI))
    engine = Engine(clock=clock)
    case_id = accepted(engine, clock, clock.now())
    before = views(engine, case_id)["registration"].statutory_due.deadline
    clock.advance(dt.timedelta(days=pause_at))
    engine.start_special_procedure(case_id, "registration", REGISTRAR, kind="testing",
                                   expected="3 WD")
    clock.advance(dt.timedelta(days=length))
    engine.act(case_id, "registration", "end_special_procedure", REGISTRAR)
    after = views(engine, case_id)["registration"].statutory_due
    assert after.deadline >= before
    assert engine.calendar.is_working_day(after.date)


SHORT = (ROOT / "workflows" / "construction_gov_investment.yaml").read_text(encoding="utf-8")


def test_sla_shows_the_45_working_day_limit_holds(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sla", str(ROOT / "workflows" /
                                                "construction_gov_investment.yaml"),
                                      "--start", "2026-09-30"])
    assert result.exit_code == 0, result.output
    assert "total 45 WD against the workflow's committed limit of 45 WD: holds" in result.output
    assert "2026-11-24 -> 2026-12-08" in result.output


def test_sla_names_the_stage_to_shorten(tmp_path: Path) -> None:
    from onething.sla import analyse

    slow = SHORT.replace("committed: 5 WD\n            statutory: 7 WD",
                         "committed: 9 WD\n            statutory: 9 WD")
    assert slow != SHORT
    report = analyse(parse(slow).unwrap(), dt.date(2026, 9, 30))
    assert not report.holds
    [advice] = report.advice()
    assert "stage 'construction_permit'" in advice and "shorten them by 4 WD" in advice
    longer = SHORT.replace("committed: 45 WD", "committed: 40 WD")
    report = analyse(parse(longer).unwrap(), dt.date(2026, 9, 30))
    assert "shorten the stages by 5 WD" in report.advice()[0]
    path = tmp_path / "slow.yaml"
    path.write_text(slow, encoding="utf-8")
    assert CliRunner().invoke(cli, ["sla", str(path), "--start", "2026-09-30"]).exit_code == 1


GREEN = shipped("major_project_green_channel.yaml")
GREEN_FORM = {"project_name": "湘乡重点项目", "project_category": "industry",
              "investment": "50000", "key_project": True, "site_area": "12000",
              "contact_phone": "13800138000"}


def green_case(engine: Engine, clock: FixedClock, **form: object) -> str:
    clock.set(at("2026-09-30"))
    engine.deploy(GREEN)
    case = engine.submit(GREEN.id, {**GREEN_FORM, **form}, sample_materials(GREEN))
    engine.accept(case.id, window("administrative_approval"))
    return case.id


def test_green_cases_are_recognised_from_the_declared_rule(engine: Engine,
                                                           clock: FixedClock) -> None:
    assert engine.case(green_case(engine, clock)).priority == 1
    assert engine.case(green_case(engine, clock, investment="2999")).priority == 0
    assert engine.case(green_case(engine, clock, key_project=False)).priority == 0


def test_the_137_milestones_escalate_when_missed_and_never_change_the_path(
        engine: Engine, clock: FixedClock) -> None:
    case_id = green_case(engine, clock)
    handler = officer("administrative_approval")
    clock.set(at("2026-10-08", 10))
    engine.record_milestone(case_id, "eligibility", "arrange", handler)
    marking = engine.case(case_id).marking
    fired = engine.tick(at("2026-10-12", 18))
    missed = [(e.data["milestone"]) for e in engine.history(case_id)
              if e.action == "escalated" and e.data["action"] == "milestone_missed"]
    # arranged in time; feedback (3 WD from 09-30: 10-08, 10-09, 10-10) was due 10-10
    assert missed == ["feedback"]
    assert engine.case(case_id).marking == marking
    assert "progress" not in [f.timer.name for f in fired]
    with pytest.raises(ActionRefused, match="not a milestone"):
        engine.record_milestone(case_id, "eligibility", "lunch", handler)
    with pytest.raises(NotAuthorized):
        engine.record_milestone(case_id, "eligibility", "progress", officer("tax"))


def test_green_cases_come_first_in_every_department_queue(engine: Engine,
                                                          clock: FixedClock) -> None:
    ordinary = green_case(engine, clock, key_project=False)
    clock.set(at("2026-10-09"))
    urgent = green_case(engine, clock)
    queue = engine.queue("administrative_approval").items
    assert [(i.case_id, i.priority) for i in queue] == [(urgent, 1), (ordinary, 0)]
    assert all(i.step == "eligibility" for i in queue)


def test_calendar_refresh_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "cases.sqlite3"
    clock = FixedClock(at("2026-12-21"))
    store = SqliteStore(db)
    case_id = accepted(Engine(store, clock=clock), clock, at("2026-12-21"))
    store.close()
    notice = tmp_path / "notice-2027.yaml"
    notice.write_text("official_years: [2027]\ndays_off: [2027-01-01]\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["calendar", "refresh", "--db", str(db),
                                      "--overrides", str(notice)])
    assert result.exit_code == 0, result.output
    assert f"1 open case(s) recomputed: {case_id}" in result.output
    shown = CliRunner().invoke(cli, ["calendar", "show", "--overrides", str(notice)])
    assert "official through 2027" in shown.output


def test_a_strict_engine_refuses_to_guess_a_due_date(clock: FixedClock) -> None:
    from onething.errors import ProvisionalCalendarError

    engine = Engine(clock=clock, calendar=WorkCalendar(strict=True))
    clock.set(at("2026-12-21"))
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    with pytest.raises(ProvisionalCalendarError, match="2027"):
        engine.accept(case.id, DESK)
    assert engine.case(case.id).marking == ("intake", "open")


def test_a_clock_read_before_its_open_pause_began_is_read_without_it() -> None:
    """Regression (found by the 电子监察 work): reading a case's clocks at a moment before a
    pause still open began (``onething status --now`` of an earlier moment) raised a calendar
    error — the open pause ran from its start to a ``now`` before it."""
    workflow = shipped("restaurant_opening.yaml")
    clock = FixedClock(at("2026-09-28", 9))
    engine = Engine(clock=clock)
    engine.deploy(workflow)
    form = sample_form(workflow) | {"false_commitment_record": False, "sells_tobacco": False,
                                    "has_signboard": True}
    case = engine.submit(workflow.id, form, sample_materials(workflow))
    engine.accept(case.id, window(workflow.lead))
    clock.set(at("2026-09-29", 10))
    engine.act(case.id, "licence_check", "request_correction",
               officer("market_regulation", "wang"), reason="unsigned")
    earlier = {v.key: v for v in engine.clocks(case.id, now=at("2026-09-28", 12))}
    later = {v.key: v for v in engine.clocks(case.id, now=at("2026-09-29", 12))}
    assert earlier["licence_check"].status is Status.PAUSED  # as stored: paused now
    assert earlier["licence_check"].statutory_due == later["licence_check"].statutory_due
    assert engine.summary(case.id, now=at("2026-09-28", 12)) is not None
