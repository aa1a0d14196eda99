"""What `--format json` shows stays masked and in Shanghai time (review of decision 0020):
a whole number a step sets is a personal number when it reads as one, as it already was in
the text output; every time the engine writes is in Asia/Shanghai, whatever zone its clock
gave."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from click.testing import CliRunner

from onething.cases.records import applicant, officer, window
from onething.cli import cli
from onething.engine.engine import Engine
from onething.language.load import parse
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock

WORKFLOW = """\
onething: 1
id: fee
version: 1
title: 收费核定
lead: hall
form:
  fields:
    name: {type: string, required: true}
steps:
  - id: assess
    department: hall
    reads: [name]
    sets:
      fee: {type: int, min: 0}
  - {id: issue, department: hall, reads: [name, fee]}
delivery:
  bundle: []
  methods: [window]
"""
PHONE = 13300133000


def run(*args: str) -> dict:
    result = CliRunner().invoke(cli, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def started(tmp_path: Path, clock: FixedClock) -> tuple[str, str]:
    db = str(tmp_path / "cases.sqlite3")
    engine = Engine(SqliteStore(db), clock=clock)
    engine.deploy(parse(WORKFLOW).unwrap())
    case = engine.submit("fee", {"name": "张三"}, {}, actor=applicant("a"))
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "assess", "approve", officer("hall"), fields={"fee": PHONE})
    return db, case.id


def test_a_number_a_step_sets_is_masked_when_it_reads_as_a_personal_number(
        tmp_path: Path) -> None:
    """Regression (review): the JSON of status and history printed the set value as it was
    (13300133000), while the text output masked it. The summary status shows holds no value
    at all now; view shows it, masked."""
    db, case_id = started(tmp_path, FixedClock(dt.datetime(2026, 10, 8, 9, tzinfo=dt.UTC)))
    status = run("status", case_id, "--db", db)
    history = run("history", case_id, "--db", db)
    seen = run("view", case_id, "--as", "department:li@hall", "--db", db)  # its step reads fee
    for output in (status, history, seen):
        assert str(PHONE) not in json.dumps(output)
    assert seen["fields"]["fee"] == "133******00"


def test_every_time_the_engine_writes_is_in_shanghai_whatever_the_clocks_zone(
        tmp_path: Path) -> None:
    """Regression (review): with a clock in UTC, times stored as text inside events (the
    acceptance's certificate, erasure, timers) came out as +00:00."""
    clock = FixedClock(dt.datetime(2026, 10, 8, 1, tzinfo=dt.UTC))
    db, case_id = started(tmp_path, clock)
    engine = Engine(SqliteStore(db), clock=clock)
    silent = engine.submit("fee", {"name": "李四"}, {}, actor=applicant("b")).id
    clock.set(dt.datetime(2026, 10, 20, 10, tzinfo=dt.UTC))
    engine.tick()  # the window did not answer: deemed accepted as of the submission
    assert engine.case(silent).accepted_at is not None
    text = json.dumps([run(command, case, "--db", db) for case in (case_id, silent)
                       for command in ("status", "history")])
    moments = re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?([+-]\d\d:\d\d|Z)", text)
    assert moments and set(moments) == {"+08:00"}
