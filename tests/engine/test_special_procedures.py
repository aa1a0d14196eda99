"""Special procedures (特别程序, 行政许可法 art. 45) are written down and watched (issue 14,
item 3): starting one records its kind and expected duration, and an overdue one escalates on
the workflow's ladder like any other clock. Before, a step in a special procedure had no timer
at all: nothing happened after 400 days."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import ROOT, sample_form, sample_materials, shipped

from onething.cases.clocks import Status
from onething.cases.records import officer, window
from onething.cases.special_procedures import KINDS
from onething.cli import cli
from onething.engine.engine import Engine
from onething.errors import ActionRefused
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, FixedClock

STARTUP = shipped("enterprise_startup.yaml")
REGISTRAR = officer("market_regulation")


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


def accepted(engine: Engine) -> str:
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, window("market_regulation"))
    return case.id


@pytest.fixture
def engine() -> Engine:
    return Engine(clock=FixedClock(at("2026-09-30")))


def test_starting_without_kind_and_expected_time_is_refused(engine: Engine) -> None:
    case_id = accepted(engine)
    with pytest.raises(ActionRefused, match=r"art\. 45") as refused:
        engine.act(case_id, "registration", "start_special_procedure", REGISTRAR)
    assert "expected" in refused.value.hint
    assert "step:registration" in engine.case(case_id).marking


@pytest.mark.parametrize(("kind", "expected", "said"), [
    ("picnic", "10 WD", "not a special procedure"),
    ("hearing", "soon", "cannot be read"),
    ("hearing", "0 WD", "positive"),
    ("hearing", "251 WD", "not accepted"),
    ("hearing", "400 ND", "not accepted"),
])
def test_a_kind_or_duration_the_law_does_not_know_is_refused(engine: Engine, kind: str,
                                                             expected: str, said: str) -> None:
    case_id = accepted(engine)
    before = engine.case(case_id)
    with pytest.raises(ActionRefused, match=said):
        engine.start_special_procedure(case_id, "registration", REGISTRAR, kind=kind,
                                       expected=expected)
    after = engine.case(case_id)
    assert after.marking == before.marking and after.clocks == before.clocks
    assert engine.history(case_id)[-1].action == "refused_attempt"


def test_the_event_records_the_kind_and_the_expected_end(engine: Engine) -> None:
    case_id = accepted(engine)
    engine.clock.set(at("2026-10-08", 10))
    engine.start_special_procedure(case_id, "registration", REGISTRAR, kind="expert_review",
                                   expected="5 WD", reason="专家评审会")
    event = engine.history(case_id)[-1]
    assert event.action == "start_special_procedure"
    special = event.data["special_procedure"]
    assert special["kind"] == "expert_review" and special["kind_zh"] == "专家评审"
    assert special["expected"] == "5 WD" and special["law"] == "行政许可法 art. 45"
    # from 10-09 (next day): 10-09, 10-10 (make-up Saturday), 10-12, 10-13, 10-14
    assert special["expected_end"].startswith("2026-10-14T17:00")
    views = {v.key: v for v in engine.clocks(case_id)}
    assert views["registration"].status is Status.PAUSED
    assert views["special:registration"].status is Status.NORMAL


def test_an_overdue_special_procedure_escalates_and_its_end_stops_it(engine: Engine) -> None:
    case_id = accepted(engine)
    engine.clock.set(at("2026-10-08", 10))
    engine.start_special_procedure(case_id, "registration", REGISTRAR, kind="hearing",
                                   expected="5 WD")
    fired = engine.tick(at("2027-11-12", 17))  # 400 days later
    ladder = [(f.timer.name, f.timer.step, f.timer.data["clock"]) for f in fired
              if f.timer.kind == "escalation"]
    signals = [(f.timer.name, f.timer.data["clock"]) for f in fired if f.timer.kind == "signal"]
    assert ("overdue", "special:registration") in signals
    assert ladder == [("reminder", "registration", "special:registration"),
                      ("supervision", "registration", "special:registration"),
                      ("public_notice", "registration", "special:registration")]
    escalated = [e for e in engine.history(case_id) if e.action == "escalated"]
    assert [e.data["to"] for e in escalated] == ["market_regulation", "supervisor", "supervisor"]
    engine.clock.set(at("2027-11-15", 10))
    engine.act(case_id, "registration", "end_special_procedure", REGISTRAR)
    end = engine.history(case_id)[-1].data["special_procedure"]
    assert end == {"kind": "hearing", "on_time": False}
    views = {v.key: v for v in engine.clocks(case_id)}
    assert views["special:registration"].status is Status.LATE
    assert not [t for t in engine.timers(case_id)
                if t.data.get("clock") == "special:registration"]


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(sorted(KINDS)), days=st.integers(1, 60),
       wait=st.integers(0, 500))
def test_a_special_procedure_is_never_silent(kind: str, days: int, wait: int) -> None:
    """Whatever its kind and expected time, a running special procedure always has a timer
    pending until its ladder is climbed, and every rung fires once it is overdue."""
    engine = Engine(clock=FixedClock(at("2026-09-30")))
    case_id = accepted(engine)
    engine.start_special_procedure(case_id, "registration", REGISTRAR, kind=kind,
                                   expected=f"{days} WD")
    pending = [t for t in engine.timers(case_id)
               if t.data.get("clock") == "special:registration"]
    assert [t.kind for t in pending].count("escalation") == len(STARTUP.escalation)
    assert sorted(t.name for t in pending if t.kind == "signal") == ["overdue", "warning"]
    later = at("2026-09-30") + dt.timedelta(days=wait)
    engine.tick(later)
    rungs = {e.data["rung"] for e in engine.history(case_id)
             if e.action == "escalated" and e.data.get("clock") == "special:registration"}
    [start] = [e for e in engine.history(case_id) if e.action == "start_special_procedure"]
    due = dt.datetime.fromisoformat(start.data["special_procedure"]["expected_end"])
    if later > due + dt.timedelta(days=30):
        assert rungs == set(range(len(STARTUP.escalation)))


def test_the_special_clock_survives_a_restart_on_sqlite(tmp_path) -> None:
    path = tmp_path / "cases.sqlite3"
    engine = Engine(SqliteStore(path), clock=FixedClock(at("2026-09-30")))
    case_id = accepted(engine)
    engine.start_special_procedure(case_id, "registration", REGISTRAR, kind="testing",
                                   expected="3 WD")
    engine.store.close()
    again = Engine(SqliteStore(path), clock=FixedClock(at("2026-09-30")))
    assert again.case(case_id).clocks["special:registration"]["kind"] == "testing"
    fired = again.tick(at("2026-12-31", 17))
    assert [f.timer.name for f in fired if f.timer.kind == "escalation"] == [
        "reminder", "supervision", "public_notice"]


def test_the_command_line_takes_the_kind_and_the_expected_time(tmp_path) -> None:
    db = str(tmp_path / "cases.sqlite3")
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", str(ROOT / "workflows" / "enterprise_startup.yaml"),
                               "--db", db]).exit_code == 0
    form = tmp_path / "form.json"
    form.write_text(json.dumps(sample_form(STARTUP)), encoding="utf-8")
    materials = tmp_path / "materials.json"
    materials.write_text(json.dumps(sample_materials(STARTUP)), encoding="utf-8")
    submitted = runner.invoke(cli, ["submit", STARTUP.id, "--form", str(form), "--db", db,
                                    "--format", "json", "--materials", str(materials)])
    case_id = json.loads(submitted.output)["case"]
    runner.invoke(cli, ["act", case_id, "accept", "--as", "window:w@market_regulation",
                        "--db", db])
    bare = runner.invoke(cli, ["act", case_id, "start_special_procedure", "registration",
                               "--as", "department:li@market_regulation", "--db", db])
    assert bare.exit_code != 0 and "error[refused.step.special_procedure_terms]" in bare.output
    done = runner.invoke(cli, ["act", case_id, "start_special_procedure", "registration",
                               "--as", "department:li@market_regulation", "--db", db,
                               "--kind", "inspection", "--expected", "10 WD"])
    assert done.exit_code == 0, done.output
