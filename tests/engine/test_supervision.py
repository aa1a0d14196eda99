"""电子监察 records (issue 17 item 4): per clock of a case, its limits, the working days used and
paused, and its state — figures counted by hand on the 2026 calendar, on the three stores; a
property over random pauses; the command's JSON and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.engine.test_status_events import ZHANG, the_day
from tests.support.factories import START

from onething.cases import clocks as clk
from onething.cases.records import Case, applicant, officer, supervisor, window
from onething.cases.supervision import FIELDS, csv_cells, csv_text, kind_of, records
from onething.cli import cli
from onething.engine.engine import Engine
from onething.errors import InvalidArgument, UnknownCase
from onething.language.load import parse
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, FixedClock, WorkCalendar

PERMIT = parse("""\
onething: 1
id: permit
version: 1
title: 建设许可
lead: hall
departments: {hall: 政务服务中心, review_office: 审查科}
time_limit:
  committed: 10 WD
  statutory: 20 WD
  source: "assumption: a test workflow's limits"
form:
  fields:
    name: {type: string, required: true}
steps:
  - id: review
    title: 审查
    department: review_office
    reads: [name]
    time_limit: {committed: 3 WD, statutory: 5 WD, source: "assumption: test"}
  - id: issue
    title: 制证
    department: hall
    reads: [name]
    time_limit: {committed: 1 WD, source: "assumption: test"}
delivery:
  bundle: []
  methods: [window]
""").unwrap()
CALENDAR = WorkCalendar()
HALL = window("hall", "w1")
REVIEWER = officer("review_office", "r1")
APPLICANT = applicant("430381199001011234")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def by_clock(engine: Engine, case_id: str, now: dt.datetime) -> dict[str, object]:
    return {r.clock: r for r in engine.supervision([case_id], now=now)}


def statuses(engine: Engine, case_id: str, now: dt.datetime) -> dict[str, str]:
    return {v.key: v.status.value for v in engine.clocks(case_id, now)}


def corrected(engine: Engine, clock: FixedClock) -> str:
    """Accepted Mon 2026-09-28 09:00; the review asks for a correction Tue 09-29 10:00, answered
    Fri 10-09 10:00 (across National Day, 10-01..10-07)."""
    clock.set(at("2026-09-28T09:00"))
    engine.deploy(PERMIT)
    case = engine.submit(PERMIT.id, {"name": "张三"}, {}, actor=APPLICANT)
    engine.accept(case.id, HALL)
    clock.set(at("2026-09-29T10:00"))
    engine.act(case.id, "review", "request_correction", REVIEWER, reason="unsigned")
    return case.id


def test_the_calendar_around_the_scenario_is_what_the_figures_assume() -> None:
    working = {d: CALENDAR.day_kind(dt.date(2026, 9, 28) + dt.timedelta(days=d)).working
               for d in range(17)}
    # 09-28 .. 10-14: Mon-Wed work, 10-01..10-07 off (国庆节), 10-08/09 work, Sat 10-10 a
    # make-up working day, Sun 10-11 off, 10-12..14 work
    assert [d for d, w in working.items() if w] == [0, 1, 2, 10, 11, 12, 14, 15, 16]


def test_a_correction_across_national_day_is_four_working_days_paused(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    case_id = corrected(engine, clock)

    # while paused (Mon 10-05, a holiday): 09-29 and 09-30 are inside the pause
    during = by_clock(engine, case_id, at("2026-10-05T12:00"))
    review = during["review"]
    assert (review.state.value, review.paused, review.paused_reason) == (
        "paused", True, "correction")
    assert review.paused_since == at("2026-09-29T10:00")
    assert (review.used_days, review.paused_days) == (0, 2)
    assert review.committed_due is not None  # moves with the pause: read at as_of
    assert during["case"].paused_reason == "waiting on the applicant"
    assert statuses(engine, case_id, at("2026-10-05T12:00")) == {"review": "paused",
                                                                "case": "paused"}

    clock.set(at("2026-10-09T10:00"))
    engine.supplement(case_id, APPLICANT, step="review")
    # Tue 10-13 09:00: the pause 09-29..10-09 (both whole) holds 4 working days (09-29,
    # 09-30, 10-08, 10-09); used: 10-10 (make-up Saturday), 10-12, 10-13
    now = at("2026-10-13T09:00")
    shown = by_clock(engine, case_id, now)
    review = shown["review"]
    assert (review.used_days, review.paused_days) == (3, 4)
    assert review.used_days + review.paused_days == CALENDAR.working_days_between(
        review.started, now) == 7
    assert not review.paused and review.paused_since is None and review.finished is None
    # 3 WD from 09-28 skipping the pause: 10-10, 10-12, 10-13; 5 WD: ... 10-14, 10-15
    assert review.committed_due == at("2026-10-13T17:00")
    assert review.statutory_due == at("2026-10-15T17:00")
    assert (review.kind, review.step, review.step_title) == ("step", "review", "审查")
    assert (review.department, review.department_title) == ("review_office", "审查科")
    assert (review.committed, review.statutory, review.extension) == ("3 WD", "5 WD", None)
    assert review.state.value == "warning" and review.provisional is False
    case = shown["case"]
    limit = PERMIT.time_limit
    assert (case.committed, case.statutory) == (str(limit.committed), str(limit.statutory))
    assert (case.kind, case.step, case.department, case.department_title) == (
        "case", None, "hall", "政务服务中心")
    assert (case.used_days, case.paused_days) == (3, 4)
    assert case.committed_due == at("2026-10-22T17:00")  # 10 WD: 10-10 .. 10-22
    assert case.statutory_due == at("2026-11-05T17:00")
    assert list(shown) == ["case", "review"]
    assert {r.as_of for r in shown.values()} == {now}


@pytest.mark.parametrize(("moment", "review", "case"), [
    ("2026-10-09T12:00", "normal", "normal"),   # the day the pause ended
    ("2026-10-10T09:00", "normal", "normal"),   # 1 WD on: 10-12 17:00 < the due date
    ("2026-10-12T09:00", "warning", "normal"),  # 1 WD on: 10-13 17:00, the due date
    ("2026-10-13T16:59", "warning", "normal"),
    ("2026-10-13T17:01", "overdue", "normal"),
    ("2026-10-21T09:00", "overdue", "warning"),
    ("2026-10-23T09:00", "overdue", "overdue"),
])
def test_states_agree_with_the_engines_clocks(moment: str, review: str, case: str) -> None:
    clock = FixedClock(START)
    engine = Engine(MemoryStore(), clock=clock)
    case_id = corrected(engine, clock)
    clock.set(at("2026-10-09T10:00"))
    engine.supplement(case_id, APPLICANT, step="review")
    shown = {key: r.state.value for key, r in by_clock(engine, case_id, at(moment)).items()}
    assert shown == {"review": review, "case": case}
    assert shown == statuses(engine, case_id, at(moment))


def test_finished_clocks_are_met_or_late_and_stop_counting(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    case_id = corrected(engine, clock)
    clock.set(at("2026-10-09T10:00"))
    engine.supplement(case_id, APPLICANT, step="review")
    clock.set(at("2026-10-14T10:00"))  # after the review's 3 WD (10-13 17:00)
    engine.act(case_id, "review", "approve", REVIEWER)
    clock.set(at("2026-10-14T11:00"))
    engine.act(case_id, "issue", "approve", officer("hall", "h1"))
    later = at("2026-10-30T09:00")
    shown = by_clock(engine, case_id, later)
    assert list(shown) == ["case", "review", "issue", "delivery"]
    review = shown["review"]
    assert (review.state.value, review.finished) == ("late", at("2026-10-14T10:00"))
    assert (review.used_days, review.paused_days) == (4, 4)  # 10-10, 10-12, 10-13, 10-14
    issue = shown["issue"]
    assert (issue.state.value, issue.used_days, issue.paused_days) == ("met", 0, 0)
    assert issue.committed_due == at("2026-10-15T17:00") and issue.department == "hall"
    case = shown["case"]  # decided 10-14 11:00, due 10-22: met
    assert (case.state.value, case.finished, case.used_days) == ("met", at("2026-10-14T11:00"),
                                                                  4)
    delivery = shown["delivery"]  # art. 44: issued and served within 10 WD, still running
    assert (delivery.kind, delivery.statutory, delivery.committed) == ("delivery", "10 WD",
                                                                        None)
    assert delivery.finished is None and delivery.department == "hall"
    # 10-15 .. 10-30: 12 working days, 10 WD ended 10-28
    assert (delivery.used_days, delivery.state.value) == (12, "overdue")
    assert delivery.statutory_due == at("2026-10-28T17:00")
    assert {k: r.state.value for k, r in shown.items()} == statuses(engine, case_id, later)


def test_the_day_gives_each_kind_of_clock_and_nothing_personal(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    case_id = the_day(engine, clock)
    now = at("2026-10-12T09:00")
    found = engine.supervision([case_id], now=now)
    views = {v.key: v for v in engine.clocks(case_id, now)}
    assert {r.clock for r in found} == set(views)
    assert {r.kind for r in found} == {"case", "step", "special_procedure"}
    for r in found:
        view = views[r.clock]
        assert r.state is view.status
        assert r.committed_due == (view.committed_due.deadline if view.committed_due else None)
        assert r.statutory_due == (view.statutory_due.deadline if view.statutory_due else None)
        assert r.extension == view.extension and r.kind == kind_of(r.clock)
    shown = {r.clock: r for r in found}
    special = shown["special:registration"]
    assert (special.step, special.procedure, special.committed, special.department) == (
        "registration", "hearing", "5 WD", "market_regulation")
    assert special.state.value == "met" and special.finished == at("2026-10-01T12:00")
    assert special.started == at("2026-09-30T12:00")
    assert shown["registration"].extension == "2 WD"
    assert shown["tax"].department == "tax"
    text = json.dumps([r.to_json() for r in found], ensure_ascii=False)
    case = engine.case(case_id)
    personal = [v for v in case.form.values() if isinstance(v, str) and len(v) > 3]
    personal += [case.applicant, ZHANG.id, "unsigned", "听证", "arrears", "complex"]
    assert [p for p in personal if p in text] == []


def test_every_case_unknown_cases_and_naive_times(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    case_id = corrected(engine, clock)
    waiting = engine.submit(PERMIT.id, {"name": "李四"}, {}, actor=APPLICANT).id  # no clock yet
    everything = engine.supervision(now=at("2026-10-13T09:00"))
    assert [(r.case, r.clock) for r in everything] == [(case_id, "case"), (case_id, "review")]
    assert engine.supervision([waiting]) == []
    assert engine.supervision(case_id) == engine.supervision([case_id])  # one id as a string
    assert engine.supervision([case_id])[0].as_of == clock.now()
    with pytest.raises(UnknownCase):
        engine.supervision(["no-such-case"])
    with pytest.raises(InvalidArgument):
        engine.supervision(now=dt.datetime(2026, 10, 13, 9))


def test_a_moment_before_a_running_pause_reads_as_the_pause_began() -> None:
    clock = FixedClock(START)
    engine = Engine(MemoryStore(), clock=clock)
    case_id = corrected(engine, clock)  # paused since 09-29 10:00
    review = by_clock(engine, case_id, at("2026-09-28T12:00"))["review"]
    # read at 09-29 10:00: the pause covers 09-29 whole, a working day
    assert (review.state.value, review.used_days, review.paused_days) == ("paused", 0, 1)
    assert review.as_of == at("2026-09-28T12:00")


def test_a_strict_calendar_without_next_years_data_gives_provisional_records() -> None:
    store = MemoryStore()
    clock = FixedClock(at("2026-12-21T09:00"))
    engine = Engine(store, clock=clock)
    engine.deploy(PERMIT)
    case = engine.submit(PERMIT.id, {"name": "张三"}, {}, actor=APPLICANT)
    engine.accept(case.id, HALL)
    strict = Engine(store, clock=clock, calendar=WorkCalendar(strict=True))
    shown = by_clock(strict, case.id, at("2027-01-08T09:00"))
    assert {k: r.provisional for k, r in shown.items()} == {"case": True, "review": True}
    assert shown["review"].state.value == "overdue"


MOMENTS = st.integers(min_value=1, max_value=24 * 12)


@settings(max_examples=150, deadline=None)
@given(start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 1)),
       steps=st.lists(st.tuples(MOMENTS, st.sampled_from(["pause", "resume", "restart"])),
                      max_size=12),
       finish=st.one_of(st.none(), MOMENTS),
       asked=st.integers(min_value=-24 * 30, max_value=24 * 60))
def test_used_and_paused_days_add_up_for_any_pauses(start: dt.datetime,
                                                    steps: list[tuple[int, str]],
                                                    finish: int | None, asked: int) -> None:
    t = start.replace(tzinfo=SHANGHAI)
    clock = clk.new_clock(t, PERMIT.step("review").time_limit.committed, None)
    for hours, action in steps:
        t += dt.timedelta(hours=hours)
        if action == "pause":
            clk.pause(clock, t, "correction")
        else:
            clk.resume(clock, t, restart=action == "restart")
    if finish is not None:
        clk.finish(clock, t + dt.timedelta(hours=finish))
    now = t + dt.timedelta(hours=asked)
    case = Case("c1", PERMIT.id, 1, PERMIT.content_hash, (), {}, {}, clocks={"review": clock})
    [record] = records(case, PERMIT, clk.ClockPolicy(), WorkCalendar(strict=True), now)
    assert record.used_days >= 0 and record.paused_days >= 0
    end = record.finished or max(now, record.started, record.paused_since or record.started)
    assert record.used_days + record.paused_days == \
        CALENDAR.count_working_days(record.started, end).value
    assert record.paused == (record.paused_since is not None) == (clock["paused_since"]
                                                                   is not None)
    if record.finished is not None:
        assert record.state.value in ("met", "late")
    elif record.paused:
        assert record.state.value == "paused"
    else:
        assert record.state.value in ("normal", "warning", "overdue")


def test_the_command_exports_json_and_the_same_as_csv(tmp_path: Path) -> None:
    db = tmp_path / "cases.sqlite3"
    store = SqliteStore(db)
    clock = FixedClock(START)
    engine = Engine(store, clock=clock)
    case_id = corrected(engine, clock)
    clock.set(at("2026-10-09T10:00"))
    engine.supplement(case_id, APPLICANT, step="review")
    engine.extend(case_id, None, "2 WD", supervisor("hall", "boss"), "复杂")
    store.close()
    now = "2026-10-13T09:00:00+08:00"

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["supervision", *args, "--now", now, "--db", str(db)],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout_bytes.decode("utf-8")  # as written: CSV lines end in CRLF

    rows = json.loads(run(case_id, "--format", "json"))
    schema = json.loads(resources.files("onething.cli").joinpath(
        "schemas", "supervision.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(rows)
    assert [(r["clock"], r["used_days"], r["paused_days"], r["state"]) for r in rows] == [
        ("case", 3, 4, "normal"), ("review", 3, 4, "warning")]
    assert rows[0]["extension"] == "2 WD"
    assert rows[0]["committed_due"] == "2026-10-26T17:00:00+08:00"  # 10 + 2 WD
    assert rows[1]["started"] == "2026-09-28T09:00:00+08:00" and rows[1]["finished"] is None
    assert rows[1]["as_of"] == now and rows[1]["provisional"] is False
    exported = run(case_id, "--format", "csv")
    reader = csv.DictReader(io.StringIO(exported, newline=""))
    assert reader.fieldnames == list(rows[0]) == list(FIELDS)
    assert list(reader) == [csv_cells(r) for r in rows]
    assert exported == csv_text(rows)
    assert rows == json.loads(run("--format", "json"))  # no CASE_ID: every case
    table = CliRunner().invoke(cli, ["supervision", case_id, "--now", now, "--db", str(db)],
                               env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0] == "as of 2026-10-13 09:00 +0800" and lines[-1] == "2 clock(s)"
    [review] = [line.split("│") for line in lines if "review_office" in line]
    assert [cell.strip() for cell in review] == [case_id, "review", "review_office",
                                                 "3 WD / 5 WD", "2026-10-13 17:00", "3", "4",
                                                 "warning"]


@pytest.mark.parametrize("moment", ["yesterday", "2026-10-13T09:00"])
def test_a_bad_now_is_one_line_and_exit_2(tmp_path: Path, moment: str) -> None:
    db = tmp_path / "cases.sqlite3"
    Engine(SqliteStore(db)).store.close()
    result = CliRunner().invoke(cli, ["supervision", "--now", moment, "--format", "csv",
                                      "--db", str(db)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("error: --now:") and "Traceback" not in result.output
