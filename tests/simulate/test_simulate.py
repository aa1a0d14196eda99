"""The simulation of the construction bundle worked by hand, the forms it draws (conditions
evaluated by the language, the green-channel share held), the calendar it runs on, and what
its report says."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from tests.support.factories import shipped

from onething.errors import InvalidArgument
from onething.language.conditions import evaluate
from onething.simulate import Durations, SimulationReport, parse_durations, simulate
from onething.simulate.run import REFUSED, RESULT
from onething.workdays import Duration, WorkCalendar

CONSTRUCTION = shipped("construction_gov_investment.yaml")
GREEN = shipped("major_project_green_channel.yaml")
CALENDAR = WorkCalendar()

BY_HAND = """
start: 2026-09-21
forms: {has_basement_shelter: 1}
steps:
  project_approval:
    days: 6
    correction: {probability: 1, reply: 4, after: 2}
  siting_and_land_prereview: 5
  land_use_planning_permit: 3
  design_scheme_review: 4
  works_planning_permit: 4
  joint_drawing_review: 4
  quality_safety_registration: 2
  building_permit: 4
  planning_verification: 6
  fire_acceptance: 7
  civil_air_defence_acceptance: 5
  archives_acceptance: 9
  completion_filing: 2
"""


def test_fixed_durations_on_the_construction_bundle_give_the_hand_computation() -> None:
    """Day 0 is the acceptance. Stage 1: project approval asks for a correction on day 6, the
    answer comes on day 10, the approval on day 12; siting finished on day 5, so from day 6
    to day 10 no step runs — 5 days paused; land use ends on 15: 15 - 5 = 10 WD. Stage 2:
    19, 23 (8 WD). Stage 3: max(27, 25) = 27, then 31 (8 WD). Stage 4 from 31: 37, 38, 36,
    and archives (9 days against its 8 WD limit) deemed approved on 39; filing 41 (10 WD).
    The case: 41 - 5 = 36 WD, within the 45 WD committed limit."""
    durations = parse_durations(BY_HAND, CONSTRUCTION)
    sim = simulate(CONSTRUCTION, 4, durations=durations, calendar=CALENDAR)
    assert sim.lead.tolist() == [36] * 4
    assert sim.stage_days[0].tolist() == [10, 8, 8, 10]
    assert sim.outcome.tolist() == [RESULT] * 4
    report = SimulationReport.of(sim)
    assert (report.p50, report.p90, report.p99, report.mean) == (36, 36, 36, 36)
    assert report.limits == (("committed", 45.0, 1.0),)
    critical = {step: share for step, _, _, _, _, share in report.steps}
    assert critical["project_approval"] == 1.0 and critical["siting_and_land_prereview"] == 0
    assert critical["archives_acceptance"] == 1.0 and critical["fire_acceptance"] == 0
    # one case a working day from Monday 2026-09-21, decided 41 working days on: the
    # calendar's own count (the National Day break, 10-01 to 10-07, is skipped)
    assert sim.index.date(int(sim.submitted[3])) == dt.date(2026, 9, 24)
    expected = CALENDAR.add(dt.date(2026, 9, 21), Duration.parse("41 WD")).date
    assert str(sim.decided_dates()[0]) == expected.isoformat() == "2026-11-24"


def test_a_refusal_ends_the_case_on_its_day_and_cancels_the_branch_beside_it() -> None:
    text = BY_HAND.replace("  siting_and_land_prereview: 5\n",
                           "  siting_and_land_prereview: {days: 5, refusal: 1}\n")
    sim = simulate(CONSTRUCTION, 1, durations=parse_durations(text, CONSTRUCTION),
                   calendar=CALENDAR)
    assert (int(sim.outcome[0]), int(sim.lead[0])) == (REFUSED, 5)
    assert sim.stage_days[0].tolist() == [-1, -1, -1, -1]  # no stage got through


def test_forms_take_each_route_as_often_as_the_durations_say() -> None:
    text = "forms: {has_basement_shelter: 0.25}\n"
    sim = simulate(CONSTRUCTION, 20_000, durations=parse_durations(text, CONSTRUCTION),
                   calendar=CALENDAR, seed=3)
    shelter = sim.steps.index(CONSTRUCTION.step("civil_air_defence_acceptance"))
    assert sim.step_runs[shelter] / 20_000 == pytest.approx(0.25, abs=0.01)
    for case in range(50):  # the language's own evaluator, on the drawn form
        form = sim.forms.values(case)
        assert bool(sim.forms.truth[case, 0]) == evaluate(sim.compiled.conditions[0], form)


def test_the_green_channel_share_holds_and_every_green_form_meets_its_condition() -> None:
    text = """
green_channel: {share: 0.3, factor: 0.5}
forms:
  investment: {lognormal: {median: 1000, p90: 8000}}
  key_project: 0.4
"""
    sim = simulate(GREEN, 5000, durations=parse_durations(text, GREEN), calendar=CALENDAR,
                   seed=11)
    assert sim.forms.green.mean() == pytest.approx(0.3, abs=0.02)
    condition = GREEN.green_channel.when.expr  # type: ignore[union-attr]
    for case in range(200):
        assert evaluate(condition, sim.forms.values(case)) == bool(sim.forms.green[case])
    green, plain = sim.lead[sim.forms.green], sim.lead[~sim.forms.green]
    assert green.mean() < plain.mean()  # their departments take half the days
    impossible = text.replace("key_project: 0.4", "key_project: 0")
    with pytest.raises(InvalidArgument, match="almost never make the green channel"):
        simulate(GREEN, 100, durations=parse_durations(impossible, GREEN), calendar=CALENDAR)


def test_the_same_seed_gives_the_same_cases_and_another_seed_others() -> None:
    durations = parse_durations("steps: {project_approval: {correction: {probability: 0.3, "
                                "reply: {uniform: {min: 1, max: 9}}}}}", CONSTRUCTION)
    runs = [simulate(CONSTRUCTION, 500, durations=durations, seed=s, calendar=CALENDAR)
            for s in (5, 5, 6)]
    assert np.array_equal(runs[0].lead, runs[1].lead)
    assert not np.array_equal(runs[0].lead, runs[2].lead)


def test_the_report_reads_in_both_languages_and_as_json() -> None:
    sim = simulate(CONSTRUCTION, 300, calendar=CALENDAR, seed=2, start=dt.date(2026, 10, 8))
    report = SimulationReport.of(sim)
    zh, en = report.text(), report.text("en")
    assert "办理时长" in zh and "承诺时限：45 个工作日" in zh and "立项用地规划许可阶段" in zh
    assert "lead time" in en and "committed limit: 45 WD" in en and "project_and_land" in en
    data = json.loads(json.dumps(report.to_json()))
    assert data["cases"] == 300 and data["start"] == "2026-10-08"
    assert sum(row["cases"] for row in data["lead_days"]["histogram"]) == data["decided"]
    assert [s["id"] for s in data["stages"]] == ["project_and_land", "works_permit",
                                                 "construction_permit",
                                                 "completion_acceptance"]
    with pytest.raises(InvalidArgument):
        report.text("fr")


@pytest.mark.parametrize("cases", [0, -1, True, 1.5, 20_000_000])
def test_a_number_of_cases_out_of_range_is_refused(cases: object) -> None:
    with pytest.raises(InvalidArgument, match="cases is a whole number"):
        simulate(CONSTRUCTION, cases, calendar=CALENDAR)  # type: ignore[arg-type]


def test_defaults_come_from_the_limits_and_a_start_on_a_day_off_moves_on() -> None:
    sim = simulate(CONSTRUCTION, 2000, durations=Durations(), calendar=CALENDAR,
                   start=dt.date(2026, 10, 1))  # National Day
    assert sim.index.date(0) == dt.date(2026, 10, 8)
    report = SimulationReport.of(sim)
    assert report.p99 is not None and report.p99 <= 45  # every step within its limit
    assert report.outcomes == {"result": 2000, "refusal": 0, "termination": 0,
                               "unfinished": 0}


def test_a_large_run_goes_chunk_by_chunk_and_its_first_chunk_is_a_small_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from onething.simulate import simulation

    monkeypatch.setattr(simulation, "CHUNK", 50)
    durations = parse_durations("arrivals: 7\nsteps: {project_approval: {correction: "
                                "{probability: 0.5, reply: 3}}}", CONSTRUCTION)
    whole = simulate(CONSTRUCTION, 120, durations=durations, seed=4, calendar=CALENDAR)
    small = simulate(CONSTRUCTION, 50, durations=durations, seed=4, calendar=CALENDAR)
    assert np.array_equal(whole.lead[:50], small.lead)
    assert not np.array_equal(whole.lead[50:100], small.lead)  # chunks draw apart
    assert whole.submitted.tolist() == [k // 7 for k in range(120)]
    assert len(whole.lead) == len(whole.green) == whole.stage_days.shape[0] == 120
    assert int(whole.step_runs[0]) == 120
