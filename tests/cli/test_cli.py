"""The command line: exit codes, outputs, the demo, and no traceback on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from tests.support.factories import ROOT
from tests.support.scenarios import LOOP

from onething.cli import cli

STARTUP = str(ROOT / "workflows" / "enterprise_startup.yaml")
BROKEN = """onething: 1
id: broken
version: 1
title: broken
lead: hall
form:
  fields:
    name: {type: strin}
steps:
  - id: a
    departmnt: hall
    goto: {approve: nowhere}
delivery:
  bundle: [ghost]
"""


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_check_a_sound_workflow_exits_0() -> None:
    result = invoke("check", STARTUP)
    assert result.exit_code == 0
    assert "enterprise-startup@3: sound" in result.output


def test_check_an_invalid_workflow_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = invoke("check", str(path))
    assert result.exit_code == 2
    assert f"{path}:8:18: error[bad-value]" in result.output
    assert f"{path}:11:5: error[unknown-key]" in result.output
    assert "did you mean 'department'" in result.output
    assert "Traceback" not in result.output


def test_check_json_is_machine_readable(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = invoke("check", "--format", "json", STARTUP, str(path))
    report = json.loads(result.output)
    assert [f["valid"] for f in report["files"]] == [True, False]
    codes = {d["code"] for d in report["files"][1]["diagnostics"]}
    assert {"bad-value", "unknown-key", "missing-key"} <= codes
    assert result.exit_code == 2


def test_check_a_missing_file_is_a_located_error_not_a_traceback(tmp_path: Path) -> None:
    result = invoke("check", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "error[unreadable]" in result.output


def test_demo_writes_its_database_and_delivers_once(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    result = invoke("demo", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "one delivery: result by mail" in result.output
    assert str(db.resolve()) in result.output
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM deliveries").fetchone() == (1,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_due_answers_the_clerks_question() -> None:
    result = invoke("due", "2026-02-13", "3WD", "--explain")
    assert result.exit_code == 0
    assert result.output.startswith("2026-02-25")
    assert "make-up working day" in result.output
    assert invoke("due", "2026-09-30", "1", "WD").output.startswith("2026-10-08")


def test_due_rejects_a_bad_limit_clearly() -> None:
    result = CliRunner().invoke(cli, ["due", "2026-02-13", "3 weeks"])
    assert result.exit_code == 2
    assert "unknown unit" in result.output


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run([sys.executable, "-m", "onething", "check", STARTUP],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "sound" in done.stdout


def test_the_example_runs_a_case_to_its_delivery() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "enterprise_startup.py")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "delivery D-" in done.stdout and "result at the window" in done.stdout


def test_graph_draws_mermaid_and_dot() -> None:
    mermaid = invoke("graph", STARTUP)
    assert mermaid.exit_code == 0 and mermaid.output.startswith("flowchart TD")
    assert "设立登记" in mermaid.output
    dot = invoke("graph", "--format", "dot", STARTUP)
    assert dot.exit_code == 0 and dot.output.lstrip().startswith("digraph")


def test_schema_prints_the_json_schema() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    assert json.loads(result.output)["$schema"].endswith("2020-12/schema")


def test_export_writes_a_pnml_workflow_net(tmp_path: Path) -> None:
    out_file = tmp_path / "startup.pnml"
    result = invoke("export", STARTUP, "--pnml", str(out_file))
    assert result.exit_code == 0, result.output
    assert out_file.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "initial marking [i], final marking [o]" in result.output


def test_export_refuses_a_loop_without_exit_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "loop.yaml"
    source.write_text(LOOP, encoding="utf-8")
    out_file = tmp_path / "loop.pnml"
    result = invoke("export", str(source), "--pnml", str(out_file))
    assert result.exit_code == 1
    assert not out_file.exists()
