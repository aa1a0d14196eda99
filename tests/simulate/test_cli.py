"""``onething simulate``: the table in Chinese (English on request), JSON, the charts, durations
fitted from a database's history, and every bad input one clear line with exit code 2."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from tests.support.factories import ROOT, sample_form, sample_materials, shipped

from onething.cases.records import officer, window
from onething.cli import cli
from onething.engine.engine import Engine
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, Duration, WorkCalendar

CONSTRUCTION = str(ROOT / "workflows" / "construction_gov_investment.yaml")
STARTUP = shipped("enterprise_startup.yaml")


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_the_table_is_chinese_by_default_and_english_on_request() -> None:
    zh = run("simulate", CONSTRUCTION, "--cases", "500", "--start", "2026-10-08")
    assert "模拟 500 件（随机种子 0），2026-10-08 起" in zh
    assert "承诺时限：45 个工作日" in zh and "处于关键路径" in zh
    en = run("simulate", CONSTRUCTION, "--cases", "500", "--lang", "en")
    assert "lead time (working days" in en and "on the critical path" in en
    assert "lead time" in run("--lang", "en", "simulate", CONSTRUCTION, "--cases", "20")


def test_the_same_seed_prints_the_same_report() -> None:
    args = ("simulate", CONSTRUCTION, "--cases", "300", "--seed", "9", "--start",
            "2026-10-08", "--format", "json")
    assert json.loads(run(*args)) == json.loads(run(*args))


def test_charts_are_written_as_png_and_svg(tmp_path: Path) -> None:
    out = run("simulate", CONSTRUCTION, "--cases", "300", "--charts", str(tmp_path / "c"),
              "--format", "json")
    written = json.loads(out)["charts"]
    assert sorted(Path(p).name for p in written) == [
        "critical_steps.png", "critical_steps.svg", "lead_time.png", "lead_time.svg"]
    svg = (tmp_path / "c" / "lead_time.svg").read_text(encoding="utf-8")
    assert "承诺时限 45" in svg and "工作日" in svg
    assert "政府投资项目审批" in (tmp_path / "c" / "critical_steps.svg").read_text("utf-8")


def test_a_bad_durations_file_is_located_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "durations.yaml"
    bad.write_text("steps:\n  project_approval:\n    days: {triangular: {min: 9, mode: 1, "
                   "max: 3}}\n  nope: 3\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["simulate", CONSTRUCTION, "--durations", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:3:24: error[bad-value]" in result.output
    assert f"{bad}:4:3: error[unknown-step]" in result.output
    assert "Traceback" not in result.output


def test_bad_options_are_one_line_and_exit_2(tmp_path: Path) -> None:
    for args in (["--start", "2026-02-30"], ["--cases", "0"], ["--seed", "-1"],
                 ["--durations", str(tmp_path / "missing.yaml")]):
        result = CliRunner().invoke(cli, ["simulate", CONSTRUCTION, *args])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    missing = CliRunner().invoke(cli, ["simulate", str(tmp_path / "nowhere.yaml")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_a_missing_database_is_not_made_and_exits_4(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["simulate", CONSTRUCTION, "--fit-db",
                                      str(tmp_path / "none.sqlite3")])
    assert result.exit_code == 4, result.output
    assert not (tmp_path / "none.sqlite3").exists()


def test_durations_are_fitted_from_a_databases_history(tmp_path: Path) -> None:
    """Three delivered cases whose registration took 2, 2 and 3 working days: the simulation
    draws registration's days from them, and steps without history keep their default."""
    db = tmp_path / "cases.sqlite3"
    calendar = WorkCalendar()
    engine = Engine(SqliteStore(db), calendar=calendar)
    engine.deploy(STARTUP)
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
    for days in (2, 2, 3):
        case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                             now=start)
        engine.accept(case.id, window(STARTUP.lead), now=start)
        decided = dt.datetime.combine(calendar.add(start, Duration.parse(f"{days} WD")).date,
                                      dt.time(10), tzinfo=SHANGHAI)
        engine.act(case.id, "registration", "approve", officer("market_regulation"),
                   now=decided)
        for step in ("seal", "tax", "social_insurance", "medical_insurance", "housing_fund",
                     "bank_appointment"):
            engine.act(case.id, step, "approve", officer(STARTUP.step(step).department),
                       now=decided)
        engine.deliver(case.id, window(STARTUP.lead), method="window", now=decided)
    engine.store.close()
    for workflow in (str(ROOT / "workflows" / "enterprise_startup.yaml"), STARTUP.id):
        data = json.loads(run("simulate", workflow, "--cases", "3000", "--fit-db", str(db),
                              "--format", "json"))
        assert "registration" in data["fitted_steps"]
        steps = {s["id"]: s for s in data["steps"]}
        assert abs(steps["registration"]["mean_days"] - 7 / 3) < 0.1
        assert data["lead_days"]["p50"] in (2, 3)
