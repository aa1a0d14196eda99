"""Properties of the simulator on generated workflows (sequences and nested parallel blocks):
fixed durations give one lead time, equal to the hand computation (a sequence adds, a parallel
block takes its longest branch); with drawn durations the lead time is at least every path's
sum; more working days never shorten a case — where the case clock has no pause. Where it has
(a correction or a special procedure beside a parallel branch), the engine's rule that a pause
covers its first and last dates whole can make a later finish count fewer days: the last test
shows it, simulator and engine agreeing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.simulated_cases import drive

from onething.language.load import parse
from onething.language.model import Workflow
from onething.simulate import simulate
from onething.simulate.distributions import Fixed, Triangular
from onething.simulate.durations import Correction, Durations, Special, StepDurations
from onething.workdays import WorkCalendar

CALENDAR = WorkCalendar()
START = dt.date(2026, 9, 21)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

#: a shape: a list of items, each a step (its number) or a parallel block (its branches)
Shape = list[Any]


def shapes(depth: int = 2) -> st.SearchStrategy[Shape]:
    step = st.just("step")
    if depth == 0:
        return st.lists(step, min_size=1, max_size=3)
    branch = shapes(depth - 1)
    block = st.one_of(step, st.lists(branch, min_size=2, max_size=3).map(lambda b: ("par", b)))
    return st.lists(block, min_size=1, max_size=4)


def number(shape: Shape, counter: list[int] | None = None) -> Shape:
    """The shape with each step replaced by its number (s0, s1, ... in document order)."""
    counter = counter if counter is not None else [0]
    out: Shape = []
    for item in shape:
        if item == "step":
            out.append(counter[0])
            counter[0] += 1
        else:
            out.append(("par", [number(b, counter) for b in item[1]]))
    return out


def count(shape: Shape) -> int:
    return sum(1 if isinstance(i, int) else sum(count(b) for b in i[1]) for i in shape)


def yaml_of(shape: Shape) -> str:
    lines = ["onething: 1", "id: generated", "version: 1", "title: generated", "lead: hall",
             "form:", "  fields:", "    name: {type: string, required: true}", "steps:"]

    def items(shape: Shape, indent: int) -> None:
        pad = " " * indent
        for item in shape:
            if isinstance(item, int):
                lines.append(f"{pad}- {{id: s{item}, department: d{item}, reads: [name], "
                             f"produces: [p{item}], time_limit: {{committed: 5 WD}}}}")
            else:
                lines.append(f"{pad}- parallel:")
                for branch in item[1]:
                    lines.append(f"{pad}    -")
                    items(branch, indent + 8)

    items(shape, 2)
    lines += ["delivery:", "  bundle: [p0]", "  methods: [window]"]
    return "\n".join(lines) + "\n"


def workflow_of(shape: Shape) -> Workflow:
    return parse(yaml_of(shape)).unwrap()


def by_hand(shape: Shape, days: Sequence[int], start: int = 0) -> int:
    """A sequence adds; a parallel block ends when its last branch does."""
    t = start
    for item in shape:
        t = t + days[item] if isinstance(item, int) else \
            max(by_hand(branch, days, t) for branch in item[1])
    return t


def paths(shape: Shape) -> list[list[int]]:
    """Every path through the shape: the steps one thread of work takes in turn."""
    out: list[list[int]] = [[]]
    for item in shape:
        if isinstance(item, int):
            out = [p + [item] for p in out]
        else:
            out = [p + q for p in out for branch in item[1] for q in paths(branch)]
    return out


def fixed(days: Sequence[int], more: dict[int, dict[str, Any]] | None = None) -> Durations:
    """Fixed days for every step (and, by step number, more of what it does)."""
    given = more or {}
    return Durations(steps={f"s{n}": StepDurations(days=Fixed(float(d)), **given.get(n, {}))
                            for n, d in enumerate(days)}, start=START)


@st.composite
def shaped(draw: st.DrawFn) -> tuple[Shape, list[int]]:
    shape = number(draw(shapes()))
    days = draw(st.lists(st.integers(0, 12), min_size=count(shape), max_size=count(shape)))
    return shape, days


@SETTINGS
@given(shaped())
def test_fixed_durations_give_the_hand_computation_for_every_case(
        case: tuple[Shape, list[int]]) -> None:
    shape, days = case
    sim = simulate(workflow_of(shape), 3, durations=fixed(days), calendar=CALENDAR, seed=1)
    assert sim.lead.tolist() == [by_hand(shape, days)] * 3
    assert all(by_hand(shape, days) >= sum(days[s] for s in path) for path in paths(shape))


@SETTINGS
@given(st.lists(st.lists(st.integers(0, 15), min_size=1, max_size=4), min_size=2, max_size=5))
def test_a_parallel_block_takes_as_long_as_its_longest_branch(branches: list[list[int]]) -> None:
    shape = number([("par", [["step"] * len(b) for b in branches])])
    days = [d for branch in branches for d in branch]
    sim = simulate(workflow_of(shape), 1, durations=fixed(days), calendar=CALENDAR)
    assert int(sim.lead[0]) == max(sum(b) for b in branches)


@SETTINGS
@given(shaped(), st.integers(0, 2**16))
def test_the_lead_time_is_at_least_every_paths_sum_of_drawn_days(
        case: tuple[Shape, list[int]], seed: int) -> None:
    shape, days = case
    spread = Durations(steps={f"s{n}": StepDurations(days=Triangular(0, d, 2 * d + 1))
                              for n, d in enumerate(days)}, start=START)
    sim = simulate(workflow_of(shape), 20, durations=spread, calendar=CALENDAR, seed=seed)
    for case_number in range(20):
        drawn = [int(sim.draws.visit(s, 0).work[case_number]) for s in range(len(days))]
        lead = int(sim.lead[case_number])
        assert lead == by_hand(shape, drawn)
        assert all(lead >= sum(drawn[s] for s in path) for path in paths(shape))


@SETTINGS
@given(shaped(), st.data())
def test_more_working_days_never_shorten_a_case_without_pauses(
        case: tuple[Shape, list[int]], data: st.DataObject) -> None:
    shape, days = case
    step = data.draw(st.integers(0, len(days) - 1))
    more = list(days)
    more[step] += data.draw(st.integers(1, 10))
    spread = [Triangular(0, d, 2 * d + 1) for d in days]
    longer = list(spread)
    longer[step] = spread[step].scaled(1.0 + (more[step] - days[step]) / (days[step] + 1))
    runs = [simulate(workflow_of(shape), 30, calendar=CALENDAR, seed=7, durations=Durations(
        steps={f"s{n}": StepDurations(days=d) for n, d in enumerate(table)}, start=START))
        for table in (spread, longer)]
    assert (runs[1].lead >= runs[0].lead).all()
    fixed_runs = [simulate(workflow_of(shape), 1, durations=fixed(t), calendar=CALENDAR)
                  for t in (days, more)]
    assert fixed_runs[1].lead[0] >= fixed_runs[0].lead[0]


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 8), st.booleans(), st.integers(1, 9), st.integers(0, 5),
                          st.booleans(), st.integers(1, 6)), min_size=1, max_size=5),
       st.data())
def test_in_a_sequence_more_working_days_never_shorten_a_case_even_with_pauses(
        steps: list[tuple[int, bool, int, int, bool, int]], data: st.DataObject) -> None:
    shape = number(["step"] * len(steps))

    def durations(table: list[tuple[int, bool, int, int, bool, int]]) -> Durations:
        return Durations(steps={f"s{n}": StepDurations(
            days=Fixed(float(work)),
            correction=Correction(1.0 if asks else 0.0, Fixed(float(reply)),
                                  Fixed(float(after))),
            special=Special(1.0 if special else 0.0, Fixed(float(length))))
            for n, (work, asks, reply, after, special, length) in enumerate(table)},
            start=START)

    which = data.draw(st.integers(0, len(steps) - 1))
    longer = list(steps)
    work, *rest = longer[which]
    longer[which] = (work + data.draw(st.integers(1, 5)), *rest)  # type: ignore[assignment]
    leads = [int(simulate(workflow_of(shape), 1, durations=durations(t),
                          calendar=CALENDAR).lead[0]) for t in (steps, longer)]
    assert leads[1] >= leads[0]


def test_beside_a_parallel_branch_a_later_correction_can_count_fewer_days() -> None:
    """Branch Y finishes on day 5. X asking on day 1 and answered on day 4 pauses nothing (Y
    runs meanwhile): 5 WD. X asking on day 3 and answered on day 6 leaves no step running
    from day 5 to day 6: that pause covers both dates whole, so the case counts 6 - 2 = 4 WD —
    a day of work added to X, a day less on the clock. The engine counts it so too."""
    shape = number([("par", [["step"], ["step"]])])
    workflow = workflow_of(shape)
    leads = []
    for work in (1, 3):
        durations = fixed([work, 5], {0: {"correction": Correction(1.0, Fixed(3.0),
                                                                   Fixed(0.0))}})
        sim = simulate(workflow, 1, durations=durations, calendar=CALENDAR)
        assert drive(sim, 0).used_days == int(sim.lead[0])
        leads.append(int(sim.lead[0]))
    assert leads == [5, 4]
