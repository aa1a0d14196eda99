"""The simulator against the engine: the draws of each simulated case (its form, intake, each
step's working days, corrections and the applicant's answers, special procedures, refusals,
outcomes, send-backs) are played through a real case on the memory store, the departments and
the applicant acting on the days the draws say and the engine's timers firing at the end of
their days — and the engine's case clock (電子监察's ``used_days`` of the ``case`` clock)
equals the simulator's lead time for every case, as does how the case ended.

The durations are harsh on purpose, so that the few dozen cases meet every rule: a correction
on half the steps (some answered too late: termination), special procedures in parallel
branches, refusals inside parallel blocks, optional steps refused, deemed acceptance
(intake past five working days), deemed approval on silence (under both correction rules),
send-backs and a step's own outcomes with jumps.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tests.support.factories import ROOT
from tests.support.simulated_cases import drive

from onething.language.load import load
from onething.simulate import parse_durations, simulate
from onething.simulate.run import CUT, REFUSED, RESULT, TERMINATED
from onething.simulate.simulation import OUTCOMES, Simulation
from onething.workdays import WorkCalendar

HERE = Path(__file__).parent
CALENDAR = WorkCalendar()

CONSTRUCTION = """
start: 2026-09-21
arrivals: 0.5
intake: {uniform: {min: 0, max: 8}}
forms:
  has_basement_shelter: 0.5
steps:
  project_approval:
    days: {uniform: {min: 0, max: 6}}
    correction: {probability: 0.5, reply: {uniform: {min: 1, max: 18}},
                 after: {uniform: {min: 0, max: 3}}}
    special_procedure: {probability: 0.4, days: {uniform: {min: 1, max: 6}}}
    refusal: 0.1
  siting_and_land_prereview:
    days: {uniform: {min: 0, max: 6}}
    correction: {probability: 0.5, reply: {uniform: {min: 1, max: 8}}}
    special_procedure: {probability: 0.3, days: {uniform: {min: 1, max: 6}}}
    refusal: 0.1
  joint_drawing_review:
    days: {uniform: {min: 0, max: 4}}
    correction: {probability: 0.5, reply: {uniform: {min: 1, max: 8}}}
    special_procedure: {probability: 0.3, days: 3, kind: testing}
  quality_safety_registration:
    correction: {probability: 0.5, reply: {uniform: {min: 1, max: 8}}}
  planning_verification:
    days: {uniform: {min: 0, max: 10}}
    correction: {probability: 0.4, reply: {uniform: {min: 1, max: 6}}}
  fire_acceptance:
    days: {uniform: {min: 0, max: 10}}
    special_procedure: {probability: 0.3, days: {uniform: {min: 1, max: 6}}, kind: inspection}
  civil_air_defence_acceptance:
    correction: {probability: 0.4, reply: {uniform: {min: 1, max: 6}}}
  archives_acceptance:
    days: {uniform: {min: 0, max: 14}}
    correction: {probability: 0.5, reply: {uniform: {min: 1, max: 6}},
                 after: {uniform: {min: 0, max: 9}}}
    special_procedure: {probability: 0.3, days: {uniform: {min: 1, max: 4}}}
  completion_filing:
    correction: {probability: 0.3, reply: 2}
"""

RESTAURANT = """
start: 2026-12-24
intake: {uniform: {min: 0, max: 3}}
forms:
  business_area: {uniform: {min: 20, max: 120}}
  has_signboard: 0.5
  sells_tobacco: 0.6
steps:
  licence_check:
    days: {uniform: {min: 0, max: 2}}
    correction: {probability: 0.3, reply: {uniform: {min: 1, max: 4}}}
  food_business_permit:
    days: {uniform: {min: 0, max: 6}}
    correction: {probability: 0.4, reply: {uniform: {min: 1, max: 6}},
                 after: {uniform: {min: 0, max: 3}}}
    special_procedure: {probability: 0.3, days: {uniform: {min: 1, max: 5}}}
    refusal: 0.1
  fire_safety_check:
    days: {uniform: {min: 0, max: 6}}
    correction: {probability: 0.4, reply: {uniform: {min: 1, max: 6}}}
    special_procedure: {probability: 0.2, days: 2}
  outdoor_signboard:
    days: {uniform: {min: 0, max: 4}}
    correction: {probability: 0.5, reply: {uniform: {min: 1, max: 6}}}
  tobacco_retail_licence:
    days: {uniform: {min: 0, max: 6}}
    refusal: 0.5
    correction: {probability: 0.3, reply: {uniform: {min: 1, max: 20}}}
"""

REWORK = """
steps:
  structure_review: {days: {uniform: {min: 0, max: 5}},
                     correction: {probability: 0.3, reply: {uniform: {min: 1, max: 5}}}}
  fire_review: {days: {uniform: {min: 0, max: 5}}, special_procedure: {probability: 0.2, days: 3},
                correction: {probability: 0.3, reply: {uniform: {min: 1, max: 5}}}}
  shelter_review: {days: {uniform: {min: 0, max: 4}},
                   correction: {probability: 0.3, reply: {uniform: {min: 1, max: 5}}}}
  consolidation:
    days: {uniform: {min: 0, max: 2}}
    send_back: {fire_review: 0.3, shelter_review: 0.2}
    refusal: 0.05
"""

SILENT = """
steps:
  fire_acceptance: {days: {uniform: {min: 0, max: 8}},
                    correction: {probability: 0.4, reply: {uniform: {min: 1, max: 6}}}}
  archives_acceptance:
    days: {uniform: {min: 0, max: 9}}
    correction: {probability: 0.5, reply: {uniform: {min: 1, max: 6}},
                 after: {uniform: {min: 0, max: 8}}}
    special_procedure: {probability: 0.4, days: {uniform: {min: 1, max: 5}}}
"""

CLINIC = """
forms:
  beds: {uniform: {min: 0, max: 40}}
  risk_level: {low: 3, high: 1}
steps:
  review: {outcomes: {site_visit: 0.3}, correction: {probability: 0.3, reply: 2}}
  desk_approval: {refusal: 0.4}
  inspection: {special_procedure: {probability: 0.3, days: 4}, refusal: 0.1}
"""

CASES = [
    # (workflow file, durations, cases, seed)
    (ROOT / "workflows" / "construction_gov_investment.yaml", CONSTRUCTION, 40, 1),
    (ROOT / "workflows" / "restaurant_opening.yaml", RESTAURANT, 30, 2),
    (HERE / "workflows" / "joint_review_rework.yaml", REWORK, 25, 3),
    (HERE / "workflows" / "silent_pause.yaml", SILENT, 25, 4),
    (HERE / "workflows" / "clinic_outcomes.yaml", CLINIC, 25, 5),
]


def simulated(path: Path, durations: str, cases: int, seed: int) -> Simulation:
    workflow = load(path)
    return simulate(workflow, cases, durations=parse_durations(durations, workflow),
                    seed=seed, calendar=CALENDAR)


@pytest.mark.parametrize(("path", "durations", "cases", "seed"), CASES,
                         ids=[c[0].stem for c in CASES])
def test_each_simulated_case_driven_through_the_engine_has_the_same_lead_time(
        path: Path, durations: str, cases: int, seed: int) -> None:
    sim = simulated(path, durations, cases, seed)
    assert not (sim.outcome == CUT).any()
    mismatches = []
    seen: Counter[str] = Counter()
    for case in range(cases):
        driven = drive(sim, case)
        seen.update(driven.events)
        expected = (int(sim.lead[case]), OUTCOMES[int(sim.outcome[case])])
        if (driven.used_days, driven.ending) != expected:
            mismatches.append(f"case {case}: engine {driven.used_days} WD, {driven.ending}; "
                              f"simulator {expected[0]} WD, {expected[1]}")
    assert mismatches == []
    # the cases met the rules they are here for
    assert seen["request_correction"] and seen["supplement"]
    if path.stem == "construction_gov_investment":
        assert {RESULT, REFUSED, TERMINATED} <= set(sim.outcome.tolist())
        assert (sim.counted_from != sim.accepted).any()  # deemed accepted (art. 32)
        assert seen["start_special_procedure"] and seen["deemed_approval"]
        assert seen["correction_expired"]
    if path.stem == "restaurant_opening":
        assert seen["refuse"] and seen["start_special_procedure"]
        assert len({tuple(row) for row in sim.forms.truth.tolist()}) >= 4  # routes taken
    if path.stem == "joint_review_rework":
        assert seen["send_back"]
    if path.stem == "silent_pause":
        assert seen["deemed_approval"] and seen["start_special_procedure"]
    if path.stem == "clinic_outcomes":
        assert seen["site_visit"] and seen["refuse"]

