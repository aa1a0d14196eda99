"""The durations file: what it says becomes the simulation's draws, a step it leaves out takes
its limit as a triangle, history fills the steps it does not state, and a bad file is refused
with every problem located (file:line:col), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.factories import shipped

from onething.errors import InvalidArgument
from onething.language.load import load
from onething.simulate import Durations, parse_durations, read_durations
from onething.simulate.distributions import Empirical, Fixed, LogNormal, Triangular, Uniform
from onething.simulate.durations import Choices, step_days

CONSTRUCTION = shipped("construction_gov_investment.yaml")
GREEN = shipped("major_project_green_channel.yaml")


def test_a_full_file_is_read_into_its_parts() -> None:
    text = """\
start: 2026-10-08
arrivals: 2.5
intake: {triangular: {min: 0, mode: 1, max: 3}}
forms:
  has_basement_shelter: 0.7
  delivery_method: {window: 1, mail: 3}
  investment: {uniform: {min: 100, max: 9000}}
steps:
  project_approval:
    days: {lognormal: {median: 7, p90: 12}}
    correction: {probability: 0.2, reply: {empirical: {2: 5, 5: 10}}, after: 3}
    special_procedure: {probability: 0.05, days: 20, kind: hearing}
    refusal: 0.02
  land_use_planning_permit: 4
"""
    with pytest.raises(InvalidArgument, match=r"6:3: error.*reads 'delivery_method'"):
        parse_durations(text, CONSTRUCTION, "d.yaml")  # read by no condition
    got = parse_durations(text.replace("  delivery_method: {window: 1, mail: 3}\n", "")
                          .replace("  investment: {uniform: {min: 100, max: 9000}}\n", ""),
                          CONSTRUCTION, "d.yaml")
    assert got.start is not None and got.start.isoformat() == "2026-10-08"
    assert got.arrivals == 2.5
    assert got.intake == Triangular(0, 1, 3)
    assert got.forms["has_basement_shelter"] == Choices((True, False), (0.7, 0.30000000000000004))
    step = got.steps["project_approval"]
    assert step.days == LogNormal(7, 12)
    assert step.correction is not None and step.correction.after == Fixed(3)
    assert step.correction.reply == Empirical(((2.0, 5.0), (5.0, 10.0)))
    assert step.special is not None and step.special.kind == "hearing"
    assert step.refusal == 0.02
    assert got.steps["land_use_planning_permit"].days == Fixed(4)


def test_a_step_left_out_takes_its_limit_as_a_triangle() -> None:
    durations = Durations()
    permit = CONSTRUCTION.step("building_permit")  # committed 5 WD
    assert step_days(CONSTRUCTION, permit, durations) == Triangular(1.5, 3.0, 5.0)
    archives = CONSTRUCTION.step("archives_acceptance")  # committed 8 WD
    assert step_days(CONSTRUCTION, archives, durations).mean == pytest.approx(8 * 1.9 / 3)
    bank = shipped("enterprise_startup.yaml").step("bank_appointment")  # no limit
    assert step_days(CONSTRUCTION, bank, durations) == Fixed(1.0)


def test_history_fills_the_steps_the_file_does_not_state() -> None:
    stated = parse_durations("steps:\n  project_approval: {days: 9}\n", CONSTRUCTION)
    fitted = stated.fitted({"project_approval": {3: 10}, "building_permit": {2: 3, 4: 1},
                            "intake": {0: 5, 1: 5}, "a_step_of_an_old_version": {1: 1},
                            "fire_acceptance": {}}, CONSTRUCTION)
    assert fitted.steps["project_approval"].days == Fixed(9)  # the file wins
    assert fitted.steps["building_permit"].days == Empirical(((2.0, 3.0), (4.0, 1.0)))
    assert fitted.intake == Empirical(((0.0, 5.0), (1.0, 5.0)))
    assert fitted.fitted_steps == ("building_permit",)
    assert "fire_acceptance" not in fitted.steps


BAD = [
    # (file, where the first problem is, what it says)
    ("start: 2026-13-40\n", "1:8", "error[bad-value]: start must be a date"),
    ("arrivals: 0\n", "1:11", "error[bad-value]: arrivals (cases per working day) is 0"),
    ("steps:\n  project_aproval: {days: 3}\n", "2:3",
     "error[unknown-step]: workflow 'construction-gov-investment' has no step "
     "'project_aproval'\n  hint: did you mean 'project_approval'?"),
    ("steps:\n  project_approval:\n    days: {triangular: {min: 5, mode: 3, max: 9}}\n",
     "3:24", "min 5, mode 3, max 9 are not in order"),
    ("steps:\n  project_approval:\n    days: {lognormal: {median: 5}}\n", "3:23",
     "error[missing-key]: step 'project_approval' days: lognormal needs p90"),
    ("steps:\n  project_approval:\n    days: {gamma: 3}\n", "3:12",
     "error[unknown-key]: step 'project_approval' days has no key 'gamma'"),
    ("steps:\n  project_approval:\n    correction: {probability: 1.5}\n", "3:31",
     "correction probability is 1.5: it must be from 0 to 1"),
    ("steps:\n  project_approval:\n    special_procedure: {probability: 0.1, days: 3, "
     "kind: hearings}\n", "3:58", "did you mean 'hearing'"),
    ("steps:\n  project_approval:\n    send_back: {x: 0.1}\n", "3:5",
     "error[bad-value]: step 'project_approval' has no send back"),
    ("steps:\n  project_approval: {refusal: 0.6, colour: red}\n", "2:36",
     "error[unknown-key]: step 'project_approval' has no key 'colour'"),
    ("steps:\n  project_approval: {days: {empirical: {-1: 3}}}\n", "2:41",
     "'-1' is not a number of days"),
    ("forms:\n  has_basement_shelter: {maybe: 1}\n", "2:26",
     "'maybe' is not a value of the field"),
    ("forms:\n  project_name: {a: 1}\n", "2:3", "error[unknown-field]"),
    ("green_channel: {share: 0.5}\n", "1:16", "has no green channel"),
    ("steps: [\n", "2:1", "error[yaml-syntax]"),
    ("", "1:1", "error[empty-file]"),
    ("- a\n", "1:1", "the durations file must be a mapping"),
]


@pytest.mark.parametrize(("text", "where", "expected"), BAD, ids=[b[2][:30] for b in BAD])
def test_a_bad_file_is_refused_with_its_problems_located(text: str, where: str,
                                                         expected: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        parse_durations(text, CONSTRUCTION, "durations.yaml")
    message = str(refused.value)
    assert message.startswith(f"durations.yaml:{where}: "), message
    assert expected in message


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = ("arrivals: -1\nsteps:\n  nope: 3\n  project_approval: {refusal: 2}\n"
            "forms:\n  nothing: 1\n")
    with pytest.raises(InvalidArgument) as refused:
        parse_durations(text, CONSTRUCTION, "d.yaml")
    lines = [line for line in str(refused.value).splitlines() if "error[" in line]
    assert [line.split(": error")[0] for line in lines] == ["d.yaml:1:11", "d.yaml:3:3",
                                                           "d.yaml:4:31", "d.yaml:6:3"]


def test_a_green_share_and_the_steps_own_outcomes_are_checked_against_the_workflow() -> None:
    got = parse_durations("green_channel: {share: 0.3, factor: 0.5}\nforms:\n"
                          "  investment: {uniform: {min: 100, max: 9000}}\n"
                          "  key_project: {true: 1, false: 3}\n", GREEN)
    assert (got.green_share, got.green_factor) == (0.3, 0.5)
    assert got.forms == {"investment": Uniform(100, 9000),
                         "key_project": Choices((True, False), (1, 3))}
    clinic = load(Path(__file__).parent / "workflows" / "clinic_outcomes.yaml")
    with pytest.raises(InvalidArgument, match=r"add up to 1\.2, more than 1"):
        parse_durations("steps:\n  review: {refusal: 0.6, outcomes: {site_visit: 0.6}}\n",
                        clinic)
    with pytest.raises(InvalidArgument, match="'visit' is not one of the step's"):
        parse_durations("steps:\n  review: {outcomes: {visit: 0.6}}\n", clinic)


def test_an_unreadable_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="cannot read the durations file"):
        read_durations(tmp_path / "missing.yaml", CONSTRUCTION)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"start: \xe9\n")
    with pytest.raises(InvalidArgument, match="not UTF-8"):
        read_durations(latin, CONSTRUCTION)
