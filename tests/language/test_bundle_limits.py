"""Every shipped bundle keeps its own limits and says where each number comes from (issue 15
items 10 and 11): `onething check`, `onething sla --limit committed` and `--limit statutory`
all pass, and no number of time in workflows/ is unsourced, of no kind, or called statutory
on anything but a statute."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from onething.cli import cli
from onething.language.load import parse, read
from onething.language.sources import kind_of
from onething.sla import analyse

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "workflows").glob("*.yaml"))
SOURCE_CODES = {"unsourced-number", "source-kind", "statutory-source", "source-key"}


def test_there_are_six_shipped_bundles() -> None:
    assert len(SHIPPED) == 6


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_number_of_a_shipped_bundle_says_what_sets_it(path: Path) -> None:
    result = read(path)
    assert result.ok
    assert [d.render() for d in result.diagnostics if d.code in SOURCE_CODES] == []
    assert [d.render() for d in result.diagnostics] == []  # no warning of any kind


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@pytest.mark.parametrize("which", ["committed", "statutory"])
def test_every_shipped_bundle_holds_its_own_limits(path: Path, which: str) -> None:
    runner = CliRunner()
    checked = runner.invoke(cli, ["check", str(path)], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output
    sla = runner.invoke(cli, ["sla", str(path), "--start", "2026-03-02", "--limit", which],
                        catch_exceptions=False)
    assert sla.exit_code == 0, sla.output
    report = analyse(read(path).unwrap(), dt.date(2026, 3, 2), which=which)
    assert report.holds
    if report.limit is not None:
        assert f"against the workflow's {which} limit" in sla.output
    else:
        assert f"the workflow declares no {which} limit for the whole" in sla.output


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_a_statutory_limit_of_a_shipped_bundle_cites_a_statute(path: Path) -> None:
    workflow = read(path).unwrap()
    limits = [workflow.time_limit] + [s.time_limit for s in workflow.iter_steps()]
    for limit in (x for x in limits if x is not None and x.statutory is not None):
        statutory = next((part.split(":", 1)[1] for part in limit.source.split("; ")
                          if part.startswith("statutory:")), limit.source)
        assert kind_of(statutory) == "statute", (path.name, limit.source)


def test_the_bundles_the_issue_named_now_hold() -> None:
    """Before: statutory 155/120, 22/20, 35/20, 21/20, 45/30 and committed 14/10 did not hold
    (sla exit 1); the joint bundles now judge their 45 WD case limit."""
    totals = {}
    for path in SHIPPED:
        workflow = read(path).unwrap()
        report = analyse(workflow, dt.date(2026, 3, 2), which="statutory")
        totals[workflow.id] = (report.total, report.limit, workflow.handling.joint)
    assert totals["enterprise-startup"] == (Decimal("3.5"), Decimal(45), True)
    assert totals["restaurant-opening"] == (Decimal("20.5"), Decimal(45), True)
    assert totals["major-project-green-channel"][1:] == (Decimal(45), True)
    # no statute sets a limit on the whole of these: the steps' own limits stand
    assert totals["construction-gov-investment"][1:] == (None, False)
    assert totals["newborn"][1:] == (None, False)
    assert totals["retirement"][1:] == (None, False)


def test_the_sla_counts_working_hours() -> None:
    """Before, a step limited in working hours counted 0 on the critical path."""
    text = """onething: 1
id: hours
version: 1
title: hours
lead: hall
time_limit: {committed: 1 WD, source: "local: x"}
form:
  fields:
    name: {type: string}
steps:
  - {id: quick, department: hall, reads: [name], time_limit: {committed: 13 WH}, source: "local: x"}
delivery:
  bundle: []
"""
    workflow = parse(text).workflow
    assert workflow is not None
    report = analyse(workflow, dt.date(2026, 3, 2))
    assert report.total == Decimal(2) and not report.holds  # 13 h = two 6.5 h office days
    assert any("13 WH counted as 2 WD" in note for note in report.notes)
