"""A recorded set of runs: simulated cases of the shipped workflows (and three small ones)
played through a real engine with a clock that moves day by day, each case delivered — what
every timer that fired was (its case, kind, name, step and due instant), and each case's decoded
record, history, status events, delivery and clocks at the end.

``tests/fixtures/recorded_runs.json.gz`` holds what the engine made of them when the record was
written (before issue 20's hot path); ``tests/engine/test_recorded_runs.py`` plays them again on
every store and compares. :func:`write` (``write(record(MemoryStore))``) rewrites the record:
only when a change of behaviour is meant, said in the commit.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from onething.cases.records import case_to_json
from onething.engine.engine import Engine
from onething.language.load import load
from onething.simulate import parse_durations, simulate
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock, WorkCalendar
from tests.support.factories import ROOT, TEST_KEYS
from tests.support.simulated_cases import drive

FIXTURE = ROOT / "tests" / "fixtures" / "recorded_runs.json.gz"
HERE = ROOT / "tests" / "simulate"

_CORRECTED = """
steps:
  {step}:
    days: {{uniform: {{min: 0, max: 8}}}}
    correction: {{probability: 0.4, reply: {{uniform: {{min: 1, max: 12}}}}}}
    special_procedure: {{probability: 0.2, days: {{uniform: {{min: 1, max: 4}}}}}}
    refusal: 0.1
"""


def _runs() -> list[tuple[Path, str, int, int]]:
    from tests.simulate import test_against_engine as shipped  # the harsh durations there

    runs = [(path, durations, min(cases, 12), seed)
            for path, durations, cases, seed in shipped.CASES]
    for name, step, seed in (("enterprise_startup", "registration", 11),
                             ("newborn", "birth_certificate", 12),
                             ("retirement", "pension_approval", 13),
                             ("major_project_green_channel", "project_approval", 14)):
        path = ROOT / "workflows" / f"{name}.yaml"
        workflow = load(path)
        first = (workflow.find_step(step) or next(workflow.iter_steps())).id
        runs.append((path, _CORRECTED.format(step=first) + "intake: {uniform: {min: 0, max: "
                     "7}}\n", 8, seed))
    return runs


def record(store: Callable[[], Store], cases: int | None = None) -> dict[str, Any]:
    """Play every run on a fresh engine over ``store()``; what it made, as JSON data."""
    calendar = WorkCalendar()
    out: dict[str, Any] = {}
    for path, durations, count, seed in _runs():
        workflow = load(path)
        sim = simulate(workflow, count, durations=parse_durations(durations, workflow),
                       seed=seed, calendar=calendar)
        numbers = iter(range(1, 1_000_000))
        engine = Engine(store(), clock=FixedClock(START), prove=False,
                        new_id=functools.partial(_next_id, numbers), pseudonyms=TEST_KEYS)
        engine.deploy(workflow)
        fired: list[list[Any]] = []
        tick = engine.tick

        def recorded_tick(now: Any = None, limit: int = 1000, tick: Any = tick,
                          fired: list[list[Any]] = fired) -> Any:
            firings = tick(now=now, limit=limit)
            fired.extend([f.case_id, f.timer.kind, f.timer.name, f.timer.step,
                          f.timer.due_at.astimezone(SHANGHAI).isoformat(), f.error]
                         for f in firings)
            return firings

        engine.tick = recorded_tick  # type: ignore[method-assign]
        made = []
        for case in range(count if cases is None else min(cases, count)):
            drive(sim, case, engine, deliver=True)
        for case_id in sorted(engine.store.case_ids()):
            made.append(_made(engine, case_id))
        out[path.stem] = {"fired": fired, "cases": made}
        engine.store.close()
    return json.loads(json.dumps(out, ensure_ascii=False, default=str))


def _next_id(numbers: Any) -> str:
    return f"rec{next(numbers):05d}"


def _made(engine: Engine, case_id: str) -> dict[str, Any]:
    case = engine.case(case_id)
    delivery = engine.delivery(case_id)
    return {
        "case": case_to_json(case),
        "history": [e.to_json() for e in engine.history(case_id)],
        "status": [attrs.asdict(s) for s in engine.store.status_events(case_id)],
        "delivery": delivery.to_json() if delivery is not None else None,
        "clocks": [repr(c) for c in engine.clocks(case_id, now=case.updated_at)],
    }


#: when the engine's own clock stands (every action and tick of a run gives its moment)
START = dt.datetime(2026, 9, 1, 8, 0, tzinfo=SHANGHAI)


def read() -> dict[str, Any]:
    """The record as written."""
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def write(data: dict[str, Any]) -> None:
    """Write the record (sorted keys, so a rewrite that changes nothing changes no byte)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=None)
    with gzip.GzipFile(FIXTURE, "wb", mtime=0) as f:
        f.write(text.encode())
