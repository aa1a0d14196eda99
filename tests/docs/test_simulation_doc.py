"""docs/simulation.md's example is what the command prints, and its charts (docs/charts/
simulation/) are what the command draws: ``ONETHING_WRITE_DOCS=1`` writes the example's output
into the page and the charts into their folder; without it the test checks that the page
holds the output of this very run and that the charts are there with their words."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support.factories import ROOT

from onething.cli import cli

PAGE = ROOT / "docs" / "simulation.md"
CHARTS = ROOT / "docs" / "charts" / "simulation"
COMMAND = ["simulate", "workflows/construction_gov_investment.yaml", "--durations",
           "examples/durations/construction_gov_investment.yaml", "--cases", "10000", "--seed",
           "1"]
BLOCK = re.compile(r"(<!-- simulate -->\n```console\n)(.*?)(```\n<!-- /simulate -->)", re.S)


def run(*extra: str) -> str:
    result = CliRunner().invoke(cli, [*COMMAND, *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_page_shows_what_the_example_prints_and_its_charts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    shown = "$ onething --lang en " + " ".join(COMMAND) + "\n" + run("--lang", "en")
    text = PAGE.read_text(encoding="utf-8")
    found = BLOCK.search(text)
    assert found is not None, "docs/simulation.md lacks its <!-- simulate --> block"
    if os.environ.get("ONETHING_WRITE_DOCS"):
        PAGE.write_text(text[:found.start(2)] + shown + text[found.end(2):], encoding="utf-8")
        run("--charts", str(CHARTS.relative_to(ROOT)))
        return
    assert found.group(2) == shown, "rerun with ONETHING_WRITE_DOCS=1 to rewrite the page"
    for name in ("lead_time", "critical_steps"):
        assert (CHARTS / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    svg = (CHARTS / "lead_time.svg").read_text(encoding="utf-8")
    assert "承诺时限 45" in svg and "工作日" in svg and "模拟 10,000 件" in svg
    share = re.search(r"committed limit: 45 WD, ([0-9.]+%) of cases", shown)
    assert share is not None and f"**{share.group(1)}**" in text  # the answer, in the prose


def test_the_page_documents_every_key_of_the_durations_file() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for key in ("start", "arrivals", "intake", "green_channel", "forms", "steps", "days",
                "correction", "special_procedure", "refusal", "outcomes", "send_back",
                "fixed", "uniform", "triangular", "lognormal", "empirical", "--fit-db"):
        assert f"`{key}" in text, key
    assert Path(ROOT / "examples" / "durations" / "construction_gov_investment.yaml").exists()
