"""docs/statistics.md's example is what the commands print over a hall of construction cases,
and its charts (docs/charts/report/) are what ``onething report`` draws. The hall: 400 cases of
the construction bundle whose step durations, corrections, special procedures and refusals
are drawn from examples/durations/construction_gov_investment.yaml (seed 2) and played through
the engine on SQLite, each delivered the evening its last step is decided
(tests/support/simulated_cases.py). ``ONETHING_WRITE_DOCS=1`` writes the outputs into the page
and the charts into their folder; without it the test checks the page holds this very run's
output."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support.factories import ROOT
from tests.support.simulated_cases import drive

from onething.cli import cli
from onething.engine.engine import Engine
from onething.language.load import load
from onething.simulate.durations_file import read_durations
from onething.simulate.simulation import simulate
from onething.stores.sqlite import SqliteStore

PAGE = ROOT / "docs" / "statistics.md"
CHARTS = ROOT / "docs" / "charts" / "report"
WORKFLOW = ROOT / "workflows" / "construction_gov_investment.yaml"
DURATIONS = ROOT / "examples" / "durations" / "construction_gov_investment.yaml"
CASES = 400
REPORT = ["report", "--db", "construction-hall.sqlite3", "--workflow",
          "construction-gov-investment", "--period", "month"]
FITTED = ["simulate", "construction-gov-investment", "--fit-db", "construction-hall.sqlite3",
          "--cases", "2000", "--seed", "1", "--start", "2026-01-05"]


def block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {name} -->\n```console\n)(.*?)(```\n<!-- /{name} -->)", re.S)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hall")
    workflow = load(WORKFLOW)
    sim = simulate(workflow, CASES, durations=read_durations(DURATIONS, workflow), seed=2)
    store = SqliteStore(folder / "construction-hall.sqlite3")
    engine = Engine(store, prove=False)
    engine.deploy(workflow)
    for case in range(CASES):
        drive(sim, case, engine, deliver=True)
    store.close()
    return folder


def run(folder: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--lang", "en", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return "$ onething --lang en " + " ".join(args) + "\n" + result.output


def test_the_page_shows_what_the_commands_print_and_the_reports_charts(
        hall: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(hall)
    shown = {"report": run(hall, *REPORT), "fitted": run(hall, *FITTED)}
    text = PAGE.read_text(encoding="utf-8")
    for name, output in shown.items():
        found = block(name).search(text)
        assert found is not None, f"docs/statistics.md lacks its <!-- {name} --> block"
        if os.environ.get("ONETHING_WRITE_DOCS"):
            text = text[:found.start(2)] + output + text[found.end(2):]
        else:
            assert found.group(2) == output, "rerun with ONETHING_WRITE_DOCS=1"
    if os.environ.get("ONETHING_WRITE_DOCS"):
        PAGE.write_text(text, encoding="utf-8")
        CliRunner().invoke(cli, [*REPORT, "--period", "week", "--charts", str(CHARTS)],
                           catch_exceptions=False)
        return
    svg = (CHARTS / "lead-time-construction-gov-investment.svg").read_text(encoding="utf-8")
    assert "承诺时限 45" in svg and "工作日" in svg
    for name in ("overdue-by-department", "weekly-trend"):
        assert (CHARTS / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    on_time = re.search(r"on time\s+│\s+([0-9.]+%)", shown["report"])
    assert on_time is not None and f"**{on_time.group(1)}**" in text  # the answer, in prose
