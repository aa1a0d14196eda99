"""Lean readings of a case against the full ones they stand for. A case's wake
(``timers.next_due``, what the stores keep instead of timer rows) against the
timers planned in full (``timers.plan``): on random simulated runs of every shipped workflow —
corrections, special procedures, refusals, promises, deemed acceptance and approval, ladders
and signals firing — every wake the engine hands its store, at every commit, creation and
re-plan, is the earliest ``due_at`` of the case's full plan at that moment."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.support.factories import TEST_KEYS
from tests.support.recorded_runs import START, _runs
from tests.support.simulated_cases import drive

from onething.cases import supervision
from onething.cases.records import Case
from onething.cases.timers import plan
from onething.engine.engine import Engine
from onething.language.load import load
from onething.simulate import parse_durations, simulate
from onething.stores.memory import MemoryStore
from onething.workdays import FixedClock, WorkCalendar

RUNS = _runs()
CALENDAR = WorkCalendar()


class CheckedStore(MemoryStore):
    """A memory store that checks every wake it is given against the case's full plan."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self.checked = 0

    def _check(self, case: Case, wake: datetime | None) -> None:
        assert self.engine is not None
        deployed = self.engine.deployed(case.workflow_id, case.workflow_version)
        assert case.updated_at is not None
        planned = plan(case, deployed.workflow, deployed.policy, self.engine.calendar,
                       case.updated_at)
        assert wake == min((t.due_at for t in planned), default=None), (case.id, case.events)
        self.checked += 1

    def create(self, case: Case, events: Any, wake: datetime | None = None, *args: Any,
               **kwargs: Any) -> None:
        self._check(case, wake)
        super().create(case, events, wake, *args, **kwargs)

    def commit(self, case: Case, expected_version: int, events: Any, delivery: Any = None,
               wake: datetime | None = None, *args: Any, **kwargs: Any) -> None:
        self._check(case, wake)
        for opened, _, opened_wake, _ in kwargs.get("created") or ():
            self._check(opened, opened_wake)
        super().commit(case, expected_version, events, delivery, wake, *args, **kwargs)

    def replan(self, case_id: str, version: int, wake: datetime | None,
               listing: Any = None) -> bool:
        self._check(self.load(case_id), wake)
        return super().replan(case_id, version, wake, listing)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(RUNS))), st.integers(0, 10_000), st.integers(1, 3))
@example(run=0, seed=835, cases=1)  # three checks only: created, accepted, refused
def test_every_wake_is_the_first_timer_of_the_full_plan(run: int, seed: int,
                                                        cases: int) -> None:
    path, durations, _, _ = RUNS[run]
    workflow = load(path)
    sim = simulate(workflow, cases, durations=parse_durations(durations, workflow), seed=seed,
                   calendar=CALENDAR)
    store = CheckedStore()
    engine = Engine(store, clock=FixedClock(START), prove=False, pseudonyms=TEST_KEYS)
    store.engine = engine
    engine.deploy(workflow)
    for case in range(cases):
        drive(sim, case, engine, deliver=True)
    assert store.checked >= cases * 2  # each case at least created and ended (delivered)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(RUNS))), st.integers(0, 10_000), st.integers(0, 60))
def test_what_the_statistics_count_of_a_clock_is_its_supervision_record(
        run: int, seed: int, days: int) -> None:
    """``supervision.uses`` (what a delivery's counts read) is ``supervision.records`` reduced,
    at any moment, for cases in every position a simulated run leaves them in."""
    path, durations, _, _ = RUNS[run]
    workflow = load(path)
    sim = simulate(workflow, 3, durations=parse_durations(durations, workflow), seed=seed,
                   calendar=CALENDAR)
    engine = Engine(MemoryStore(), clock=FixedClock(START), prove=False, pseudonyms=TEST_KEYS)
    engine.deploy(workflow)
    for case in range(3):
        drive(sim, case, engine, deliver=case != 0)
    moment = START + timedelta(days=days, hours=days % 9)
    for case_id in engine.store.case_ids():
        case = engine.case(case_id)
        deployed = engine.deployed(case.workflow_id, case.workflow_version)
        full = supervision.records(case, deployed.workflow, deployed.policy, engine.calendar,
                                   moment)
        lean = supervision.uses(case, deployed.workflow, deployed.policy, engine.calendar,
                                moment)
        assert [(r.clock, r.kind, r.step, r.department, r.committed, r.statutory,
                 r.finished is not None, r.used_days, r.state) for r in full] == \
            [tuple(u) for u in lean]
