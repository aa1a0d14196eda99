"""Benchmark section 12: one case of the construction bundle simulated vs driven through the
engine in memory (issue 19: "simulating one case of the construction bundle costs at most 1/50
of driving it through the engine in memory (same run), so 100k cases take seconds").

The engine side drives whole cases of workflows/construction_gov_investment.yaml on the memory
store, the cheapest way through: submit, accept, every step approved as it comes up, deliver —
no correction, no timer — so the ratio is the least favourable to the simulator. The simulator
side is ``onething.simulate.simulate`` over the durations of docs/simulation.md's example
(examples/durations/construction_gov_investment.yaml: corrections, special procedures,
refusals, forms, the calendar), divided by the cases of the run: a simulation is a batch, and
its cost per case is what 100k cases cost. The two sides alternate in rounds; the ratio is
the median of the rounds' ratios, with their spread.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from datetime import datetime

from tests.support.factories import ROOT, sample_form, sample_materials

from benchmarks.common import verdict
from onething.cases.records import officer, window
from onething.engine.engine import Engine
from onething.language.load import load
from onething.language.model import Workflow
from onething.simulate import read_durations, simulate
from onething.simulate.durations import Durations
from onething.stores.memory import MemoryStore
from onething.workdays import SHANGHAI, FixedClock, WorkCalendar

WORKFLOW = ROOT / "workflows" / "construction_gov_investment.yaml"
DURATIONS = ROOT / "examples" / "durations" / "construction_gov_investment.yaml"
GOAL = 1 / 50


def _engine(workflow: Workflow, calendar: WorkCalendar) -> Engine:
    engine = Engine(MemoryStore(), clock=FixedClock(datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)),
                    calendar=calendar)
    engine.deploy(workflow)
    return engine


def drive_one(engine: Engine, workflow: Workflow) -> None:
    """One whole case, submitted to delivered, each step approved as it comes up."""
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
    engine.accept(case.id, window(workflow.lead))
    while True:
        marking = engine.case(case.id).marking
        waiting = [p[5:] for p in marking if p.startswith("step:") and p.count(":") == 1]
        if not waiting:
            break
        for step in waiting:
            engine.act(case.id, step, "approve", officer(workflow.step(step).department))
    engine.deliver(case.id, window(workflow.lead), method="electronic")


def _timed(run: Callable[[], object]) -> float:
    gc.collect()
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def simulation_section(quick: bool) -> list[str]:
    rounds = 3 if quick else 7
    driven = 20 if quick else 60
    batch = 10_000 if quick else 50_000
    workflow = load(WORKFLOW)
    calendar = WorkCalendar()
    durations: Durations = read_durations(DURATIONS, workflow)
    engine = _engine(workflow, calendar)
    drive_one(engine, workflow)  # warm: the machine, the calendar's memo
    simulate(workflow, 1_000, durations=durations, calendar=calendar)
    engine_us, sim_us, ratios = [], [], []
    for number in range(rounds):
        took = _timed(lambda: [drive_one(engine, workflow) for _ in range(driven)])
        engine_us.append(took / driven * 1e6)
        took = _timed(lambda n=number: simulate(workflow, batch, durations=durations,
                                                calendar=calendar, seed=n))
        sim_us.append(took / batch * 1e6)
        ratios.append(sim_us[-1] / engine_us[-1])
    whole = [_timed(lambda n=n: simulate(workflow, 100_000, durations=durations,
                                         calendar=calendar, seed=100 + n))
             for n in range(1 if quick else 3)]
    ratio = statistics.median(ratios)
    engine_case, sim_case = statistics.median(engine_us), statistics.median(sim_us)
    return [
        f"Goal: simulating one case of the construction bundle costs at most 1/50 of driving "
        f"it through the engine in memory: {verdict(ratio <= GOAL)} (1/{1 / ratio:,.0f}: "
        f"{sim_case:,.1f} us vs {engine_case:,.0f} us; the rounds' ratios from "
        f"1/{1 / max(ratios):,.0f} to 1/{1 / min(ratios):,.0f}). 100,000 cases: "
        f"{statistics.median(whole):.2f} s.",
        "",
        f"The engine drives {driven} whole cases a round (submit, accept, each of the 13 "
        "steps approved as it comes up, deliver: no correction, no timer, the cheapest way "
        f"through); the simulator runs {batch:,} cases a round with the durations of "
        "docs/simulation.md's example (corrections, special procedures, refusals, forms, the "
        f"calendar), its time divided by the cases. {rounds} alternating rounds; medians.",
        "",
        "| what | us per case | ratio to the engine |",
        "| --- | ---: | ---: |",
        f"| the engine, MemoryStore, one construction case driven to its delivery | "
        f"{engine_case:,.0f} | 1 |",
        f"| `onething.simulate.simulate`, {batch:,} cases a run | {sim_case:,.2f} | "
        f"1/{1 / ratio:,.0f} |",
        f"| `simulate`, 100,000 cases in one run | "
        f"{statistics.median(whole) / 100_000 * 1e6:,.2f} | "
        f"1/{engine_case / (statistics.median(whole) / 100_000 * 1e6):,.0f} |",
    ]
