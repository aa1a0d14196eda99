"""A year without a State Council notice (2027 in the installed data): the engine counts on the
projection by the 2024 holiday rules, marks it provisional, and a strict engine still lets the
law act by itself (deemed acceptance, deemed approval, an expiry that ends the case)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.engine.test_deemed_approval import WORKFLOW as SILENT
from tests.engine.test_deemed_approval import started as silent_started
from tests.support.factories import sample_form, sample_materials, shipped

from onething.cases.records import officer, window
from onething.engine.engine import Engine
from onething.errors import ProvisionalCalendarError
from onething.stores.sqlite import SqliteStore
from onething.workdays import (
    SHANGHAI,
    CalendarOverrides,
    FixedClock,
    WorkCalendar,
    installed_official_years,
)

pytestmark = pytest.mark.skipif(2027 in installed_official_years(),
                                reason="the installed holidays already has the 2027 notice")

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation")
REGISTRAR = officer("market_regulation")
PROJECTION = "projected by the rules of 全国年节及纪念日放假办法"


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def engines(tmp_path: Path, when: dt.datetime) -> tuple[Engine, Engine, FixedClock]:
    """A lenient engine and a strict one on the same cases."""
    clock = FixedClock(when)
    path = tmp_path / "cases.sqlite3"
    lenient = Engine(SqliteStore(path), clock=clock)
    strict = Engine(SqliteStore(path), clock=clock, calendar=WorkCalendar(strict=True))
    return lenient, strict, clock


def test_a_strict_engine_lets_the_law_accept_on_a_projected_year(tmp_path: Path) -> None:
    _, strict, _ = engines(tmp_path, at("2027-02-03", 10))
    strict.deploy(STARTUP)
    # a submission arms art. 32's deemed acceptance: strictness does not refuse it
    case = strict.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    [timer] = [t for t in strict.timers(case.id) if t.name == "deemed_acceptance"]
    # 5 WD from 02-04: 02-04, the projected Spring Festival break 02-05..13, make-up Sunday
    # 02-14, then 02-15..17 (the library's old guess, a 6-day break, ended on 02-16)
    assert timer.due_at == at("2027-02-17", 17)
    assert timer.data["provisional"] and PROJECTION in timer.data["reasons"][0]
    assert strict.tick(at("2027-02-16", 17)) == []
    handled = strict.tick(at("2027-02-17", 17))
    [fired] = [f for f in handled if f.timer.kind == "path"]
    assert fired.timer.name == "deemed_acceptance" and fired.fired and fired.provisional
    # the limits then count from the receipt (02-03): the overdue reminders are the organ's
    # business, and a strict engine refuses to date them on a projection
    assert all(not f.fired and "provisional" in f.error
               for f in handled if f.timer.kind == "escalation")
    event = next(e for e in strict.history(case.id) if e.data.get("timer") == timer.id)
    assert event.data["provisional"] and PROJECTION in event.data["provisional_reasons"][0]
    assert "intake" not in strict.case(case.id).marking
    # a person's action whose limits rest on the projection is still refused
    with pytest.raises(ProvisionalCalendarError, match="2027"):
        strict.act(case.id, "registration", "approve", REGISTRAR)


def test_a_strict_engine_ends_a_case_whose_correction_expired_on_a_projected_year(
        tmp_path: Path) -> None:
    lenient, strict, clock = engines(tmp_path, at("2027-01-20"))
    lenient.deploy(STARTUP)
    case = lenient.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    lenient.accept(case.id, DESK)
    clock.set(at("2027-01-22", 10))
    lenient.act(case.id, "registration", "request_correction", REGISTRAR, reason="unsigned")
    # 15 WD from 01-23: make-up Sunday 01-31 counts, the break 02-05..13 does not, make-up
    # Sunday 02-14 counts: the 15th working day is 02-18
    assert [f for f in strict.tick(at("2027-02-18", 16)) if f.timer.kind == "path"] == []
    handled = strict.tick(at("2027-02-18", 17))
    [law] = [f for f in handled if f.timer.kind == "path"]
    assert law.timer.name == "correction_expired" and law.fired and law.provisional
    assert strict.delivery(case.id).kind == "termination"
    # the department's reminders are the organ's business: a strict engine refuses to guess them
    assert all(not f.fired and "provisional" in f.error
               for f in handled if f.timer.kind == "escalation")


def test_a_strict_engine_lets_silence_approve_on_a_projected_year(tmp_path: Path) -> None:
    lenient, strict, _ = engines(tmp_path, at("2027-02-03"))
    case_id = silent_started(lenient)
    # the fire step's 5 WD: 02-04, make-up Sunday 02-14, 02-15, 02-16, 02-17
    assert [f for f in strict.tick(at("2027-02-17", 16)) if f.timer.kind == "path"] == []
    [law] = [f for f in strict.tick(at("2027-02-17", 17)) if f.timer.kind == "path"]
    assert law.timer.name == "deemed_approval" and law.fired and law.provisional
    outcome = strict.case(case_id).outcomes["fire"]
    assert outcome["outcome"] == "approve" and outcome["deemed"]
    assert SILENT.id == strict.case(case_id).workflow_id


def test_the_notice_replaces_the_projection_on_refresh(tmp_path: Path) -> None:
    lenient, _, _ = engines(tmp_path, at("2027-02-04", 10))
    lenient.deploy(STARTUP)
    case = lenient.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    lenient.accept(case.id, DESK)
    before = {v.key: v for v in lenient.clocks(case.id)}
    assert all(v.provisional and PROJECTION in v.reasons[0] for v in before.values())
    # a (made-up) notice: Spring Festival 02-05..11 only, no make-up day
    notice = CalendarOverrides.from_yaml(
        "official_years: [2027]\n"
        "days_off: [2027-01-01, {from: 2027-02-05, to: 2027-02-11, reason: 春节}]\n")
    official = WorkCalendar(notice)
    assert official.is_official(2027) and not official.working_day(dt.date(2027, 2, 14)).value
    assert lenient.refresh_calendar(official) == [case.id]
    after = {v.key: v for v in lenient.clocks(case.id)}
    assert not any(v.provisional for v in after.values())
    # registration's 0.5 WD: the projection's make-up Sunday 02-14; the notice's 02-12
    assert before["registration"].committed_due.deadline.date() == dt.date(2027, 2, 14)
    assert after["registration"].committed_due.deadline.date() == dt.date(2027, 2, 12)
    [event] = [e for e in lenient.history(case.id) if e.action == "calendar_refreshed"]
    assert event.data["due_dates"]


def test_sla_gives_the_reason_a_stage_end_is_provisional() -> None:
    from click.testing import CliRunner
    from tests.support.factories import ROOT

    from onething.cli import cli

    result = CliRunner().invoke(cli, ["sla", str(ROOT / "workflows" /
                                                "construction_gov_investment.yaml"),
                                      "--start", "2027-01-20"])
    assert result.exit_code == 0, result.output
    assert "(provisional)" in result.output
    assert "provisional: 2027 has no official holiday schedule" in result.output
    assert PROJECTION in result.output.replace("\n", "")


def test_a_strict_window_refuses_or_notifies_on_day_one_when_art_32s_date_is_projected(
        tmp_path: Path) -> None:
    """Regression (review): art. 32's date decides whether the window may still refuse or send
    its one notice; read on the strict calendar it raised ProvisionalCalendarError on the day
    of the submission whenever the five days reached a year without a notice."""
    _, strict, _ = engines(tmp_path, at("2026-12-28", 10))
    strict.deploy(STARTUP)
    refused = strict.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    [timer] = [t for t in strict.timers(refused.id) if t.name == "deemed_acceptance"]
    assert timer.data["provisional"]  # 5 WD from 12-29 reach 2027
    strict.refuse_intake(refused.id, DESK, "不属于本机关职权范围", now=at("2026-12-28", 15))
    assert strict.case(refused.id).ended
