"""Copy on write: the engine never changes a case record it has handed out or stored.

The memory store shares clocks and outcomes between a case's versions instead of deep-copying
them (benchmarks: a deep copy was three quarters of an action's cost), which is safe only if
every action replaces what it changes. These properties check that on random walks through
every shipped workflow, with correction pauses, special procedures, timers and deliveries.
"""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import START, WORKFLOWS, perform, sample_form, sample_materials

from onething.cases.records import case_to_json
from onething.engine.engine import Engine
from onething.errors import ActionRefused, CaseEnded
from onething.language.load import load
from onething.stores.memory import MemoryStore
from onething.workdays import FixedClock

LOADED = {path.name: load(path) for path in WORKFLOWS}


def frozen(case: object) -> str:
    return json.dumps(case_to_json(case), sort_keys=True, ensure_ascii=False, default=str)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(LOADED)), st.booleans(),
       st.lists(st.integers(0, 10_000), max_size=30))
def test_no_action_changes_an_earlier_version_of_the_case(name: str, promise: bool,
                                                          picks: list[int]) -> None:
    workflow = LOADED[name]
    clock = FixedClock(START)
    engine = Engine(MemoryStore(), clock=clock)
    compiled = engine.deploy(workflow).compiled
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow, promise))
    versions = [(case, frozen(case))]
    for pick in picks:
        current = engine.case(case.id)
        versions.append((current, frozen(current)))
        possible = set(engine.possible(case.id))
        enabled = [t for t in compiled.net.transitions if t.label in possible]
        if not enabled:
            break
        clock.advance(timedelta(hours=pick % 50))
        try:
            returned = perform(engine, case.id, workflow, enabled[pick % len(enabled)])
        except (ActionRefused, CaseEnded):
            continue
        if hasattr(returned, "version"):
            versions.append((returned, frozen(returned)))
        engine.tick()
        for record, text in versions:
            assert frozen(record) == text, "an action changed a case record it had handed out"
    stored = engine.store.load(case.id)
    assert frozen(stored) == frozen(engine.case(case.id))
