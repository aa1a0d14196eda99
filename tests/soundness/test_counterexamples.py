"""Counterexamples an author and a tool can use (issue 14, item 6): the form in JSON is typed
and submittable as it is, a dead step names the jump or loop that kills it, and findings about
acceptance point at the intake (the ``lead:`` key), not at line 1."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from click.testing import CliRunner
from tests.support.factories import ROOT

from onething.cli import cli
from onething.engine.engine import Engine
from onething.language.form_space import complete
from onething.language.load import load, parse
from onething.soundness.proof import check
from onething.soundness.report import Rule, Violation

CATALOGUE = ROOT / "tests" / "soundness" / "catalogue"

GAPPY = """\
onething: 1
id: gappy
version: 1
title: gappy
lead: a
form:
  fields:
    n: {type: int}
    d: {type: decimal, required: true, min: 0}
    day: {type: date, required: true}
    flag: {type: bool, required: true}
    name: {type: string, required: true}
steps:
  - choice:
      - when: "n != null and n > 5"
        then:
          - {id: big, department: a}
      - when: "d > 0.5 and day > '2026-01-01' and flag"
        then:
          - {id: late, department: a}
delivery:
  bundle: []
  methods: [window]
"""


def stuck(report_json: dict) -> dict:
    [found] = [v for v in report_json["violations"] if v["rule"] == "stuck"]
    return found


def test_the_form_of_a_counterexample_is_typed_json_a_submission_accepts() -> None:
    workflow = parse(GAPPY, "gappy.yaml").unwrap()
    report = check(workflow)
    data = json.loads(json.dumps(report.to_json()))
    form = stuck(data)["form"]
    assert form["n"] is None or isinstance(form["n"], int)
    assert isinstance(form["flag"], bool)
    assert isinstance(form["d"], str) and Decimal(form["d"]) >= 0
    assert date.fromisoformat(form["day"])
    assert "None" not in json.dumps(form)
    engine = Engine(prove=False)
    engine.deploy(workflow)
    submitted = engine.submit(workflow.id, {**complete({}, workflow.form), **form})
    violation: Violation = next(v for v in report.violations if v.rule is Rule.STUCK)
    assert submitted.form == {**submitted.form, **{k: v for k, v in violation.form.items()}}
    rendered = violation.render()
    assert "None" not in rendered and "Decimal(" not in rendered and "datetime" not in rendered


def test_findings_about_acceptance_point_at_the_intake() -> None:
    path = CATALOGUE / "loop_no_exit_before_steps.yaml"
    workflow = load(path)
    result = CliRunner().invoke(cli, ["check", str(path), "--format", "json"])
    data = json.loads(result.output)
    events = [e for f in data["files"] for v in f["proof"]["violations"] for e in v["trace"]
              if e["event"] == "accept"]
    assert events and all(e["line"] == workflow.intake.line != 1 for e in events)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[workflow.intake.line - 1].startswith("lead:")


def test_a_dead_step_names_the_jump_over_it() -> None:
    report = check(load(CATALOGUE / "dead_step_jumped_over.yaml"))
    [dead] = [v for v in report.violations if v.rule is Rule.DEAD_STEP]
    assert "'name_check' goes to 'registration' on approve, line 13" in dead.message


def test_a_dead_step_names_the_loop_before_it() -> None:
    report = check(load(CATALOGUE / "loop_no_exit_before_steps.yaml"))
    [dead] = [v for v in report.violations if v.rule is Rule.DEAD_STEP]
    assert "never gets past 'pre_check', whose approval goes back to 'name_check'" \
        in dead.message
