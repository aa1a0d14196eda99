"""What every benchmark section shares: timing, the workloads, and how a case is driven.

The standard workload is a *linear* workflow of ``STEPS`` department steps: one case is
``accept``, ``STEPS`` approvals and ``deliver`` -- ``STEPS + 2`` actions -- so that every peer can
run exactly the same steps (a 14-state chain for ``transitions`` and python-statemachine, 12
manual tasks for SpiffWorkflow, 12 event inserts + case updates for raw sqlite3).
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from onething.cases.records import Actor, Case, officer, window
from onething.engine.engine import Engine
from onething.language.load import parse
from onething.language.model import Workflow
from onething.stores.memory import MemoryStore
from onething.workdays import SHANGHAI, FixedClock

ROOT = Path(__file__).resolve().parents[1]


STEPS = 10
ACTIONS_PER_CASE = STEPS + 2
LINEAR_ID = "linear"
FORM = {"company": "湘乡市示例餐饮管理有限公司"}
START = datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)


def median_time(run: Callable[[], object], repeat: int, *, warm: bool = False) -> float:
    """Median seconds of ``repeat`` runs, with a collection before each; ``warm``: one
    collection and a cold run (not counted) first, then the runs back to back (how section 6b
    times Woflan in its child, so that both sides are timed alike)."""
    if warm:
        gc.collect()
        run()
    samples = []
    for _ in range(repeat):
        if not warm:
            gc.collect()
        began = time.perf_counter()
        run()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def linear_text(steps: int = STEPS, name: str = LINEAR_ID) -> str:
    """``steps`` department steps in sequence, each reading the form and producing an item."""
    lines = ["onething: 1", f"id: {name}", "version: 1", f"title: {name}", "lead: hall",
             "form:", "  fields:", "    company: {type: string, required: true}", "steps:"]
    lines += [f"  - {{id: s{s}, department: dept{s}, reads: [company], "
              f"produces: [s{s}_item]}}" for s in range(steps)]
    lines += ["delivery:", "  bundle: [s0_item]", "  methods: [window, mail]"]
    return "\n".join(lines) + "\n"


def linear_workflow(steps: int = STEPS) -> Workflow:
    return parse(linear_text(steps)).unwrap()


REALISTIC_ID = "realistic"


def realistic_text(steps: int = STEPS, name: str = REALISTIC_ID) -> str:
    """The linear workflow as the shipped ones are written: a committed and a statutory limit
    on the case and on each step, and the three-rung escalation ladder of the shipped
    workflows (催办 at the deadline, 督办 2 WD after, 通报 5 WD after)."""
    lines = ["onething: 1", f"id: {name}", "version: 1", f"title: {name}", "lead: hall",
             "time_limit: {committed: 20 WD, statutory: 45 WD}",
             "escalation:", "  - {action: reminder, to: department}",
             "  - {action: supervision, after: 2 WD, to: supervisor}",
             "  - {action: public_notice, after: 5 WD, to: supervisor}",
             "form:", "  fields:", "    company: {type: string, required: true}", "steps:"]
    lines += [f"  - {{id: s{s}, department: dept{s}, reads: [company], "
              f"produces: [s{s}_item], time_limit: {{committed: 2 WD, statutory: 4 WD}}}}"
              for s in range(steps)]
    lines += ["delivery:", "  bundle: [s0_item]", "  methods: [window, mail]"]
    return "\n".join(lines) + "\n"


def realistic_workflow(steps: int = STEPS) -> Workflow:
    return parse(realistic_text(steps)).unwrap()


class MovingClock:
    """A clock that moves: each reading is ``step`` later than the one before (the benchmark's
    stand-in for the wall clock, reproducible; the default crosses days and weekends in a run
    of a few thousand actions)."""

    def __init__(self, at: datetime, step: timedelta = timedelta(seconds=20)) -> None:
        self._at = at
        self._step = step

    def now(self) -> datetime:
        """The next instant."""
        self._at += self._step
        return self._at


DESK = window("hall", "window-1")
OFFICERS = [officer(f"dept{s}", "on-duty") for s in range(STEPS)]


def script(steps: int = STEPS) -> list[tuple[str, str | None, Actor]]:
    """The actions of one linear case: (action, step, actor)."""
    return ([("accept", None, DESK)]
            + [("approve", f"s{s}", OFFICERS[s]) for s in range(steps)]
            + [("deliver", None, DESK)])


SCRIPT = script()


def drive(engine: Engine, case_id: str) -> int:
    """Take one submitted linear case through every action to its delivery."""
    for action, step, actor in SCRIPT:
        if action == "accept":
            engine.accept(case_id, actor)
        elif action == "deliver":
            engine.deliver(case_id, actor, method="window")
        else:
            engine.act(case_id, step, action, actor, "benchmark" if action == "refuse" else "")
    return len(SCRIPT)


def new_engine(store: object) -> Engine:
    engine = Engine(store, clock=FixedClock(START))
    engine.deploy(linear_workflow())
    return engine


def submit_many(engine: Engine, count: int) -> list[str]:
    return [engine.submit(LINEAR_ID, FORM, {}).id for _ in range(count)]


def per_action_us(engine: Engine, batches: Iterable[list[str]]) -> float:
    """Median microseconds per action, one sample per batch of submitted cases."""
    samples = []
    for ids in batches:
        gc.collect()
        began = time.perf_counter()
        actions = sum(drive(engine, case_id) for case_id in ids)
        samples.append((time.perf_counter() - began) / actions * 1e6)
    return statistics.median(samples)


def rounds(sides: dict[str, Callable[[int], float]], cases: int, count: int
           ) -> dict[str, list[float]]:
    """Every side once per round, the order rotating from round to round (so that drift on
    a shared machine falls on every side alike); one sample per side and round."""
    names = list(sides)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(count):
        for name in rotated(names, r):
            samples[name].append(sides[name](cases))
    return samples


def rotated(names: list[str], r: int) -> list[str]:
    """The order of round ``r``: ``names`` rotated by ``r`` (so that drift on a shared machine
    falls on every side alike)."""
    return names[r % len(names):] + names[:r % len(names)]


def spread(values: list[float]) -> str:
    """``median (min..max)`` of a figure's samples."""
    return f"{statistics.median(values):,.1f} ({min(values):,.1f}..{max(values):,.1f})"


def paired(samples: dict[str, list[float]], side: str, base: str) -> list[float]:
    """The ratio of ``side`` to ``base`` within each round."""
    return [a / b for a, b in zip(samples[side], samples[base], strict=True)]


def ratio_spread(values: list[float]) -> str:
    """``median (min..max)`` of ratios."""
    return f"{statistics.median(values):.2f}x ({min(values):.2f}..{max(values):.2f}x)"


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:,.2f}x" if baseline else "-"


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def cpu_name() -> str:
    """The processor's model name (for the machine each figure was measured on)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cores() -> int:
    return os.cpu_count() or 1


class KeepingStore(MemoryStore):
    """A store that keeps each case as it is committed and nothing else (no history, no
    rows, no wake, no copy): the least any store does for the engine to go on. A workload
    driven on it times the engine alone, the floor of an action before any store code or
    statement (sections 4 and 5)."""

    def commit(self, case: Case, expected_version: int, *_: Any, **__: Any) -> None:
        self._cases[case.id] = case
