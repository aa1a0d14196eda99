"""Copy on write: the engine never changes a case record it has handed out, stored or loaded
(the stores hand it their own record to change, not a copy).

The memory store shares clocks and outcomes between a case's versions instead of deep-copying
them (benchmarks: a deep copy was three quarters of an action's cost), which is safe only if
every action replaces what it changes. These properties check that on random walks through
every shipped workflow, with correction pauses, special procedures, timers and deliveries.
"""

from __future__ import annotations

import contextlib
import json
import random
from datetime import timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import START, WORKFLOWS, perform, sample_form, sample_materials

from onething.cases.records import Case, case_to_json
from onething.engine.engine import Engine
from onething.errors import ActionRefused, CaseEnded
from onething.language.load import load
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.workdays import FixedClock

LOADED = {path.name: load(path) for path in WORKFLOWS}


def frozen(case: object) -> str:
    return json.dumps(case_to_json(case), sort_keys=True, ensure_ascii=False, default=str)


class Watched(MemoryStore):
    """A memory store that remembers every case it handed the engine to change, as it was:
    its own record, not a copy (MemoryStore.load_recent)."""

    def __init__(self) -> None:
        super().__init__()
        self.handed: list[tuple[Case, str]] = []

    def load_recent(self, case_id: str) -> tuple[Case, bool]:
        case, recent = super().load_recent(case_id)
        self.handed.append((case, frozen(case)))
        return case, recent


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(LOADED)), st.booleans(),
       st.lists(st.integers(0, 10_000), max_size=30))
def test_no_action_changes_an_earlier_version_of_the_case(name: str, promise: bool,
                                                          picks: list[int]) -> None:
    workflow = LOADED[name]
    clock = FixedClock(START)
    store = Watched()
    engine = Engine(store, clock=clock)
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
        for record, text in store.handed:
            assert frozen(record) == text, "an action changed the case record it loaded"
    stored = engine.store.load(case.id)
    assert frozen(stored) == frozen(engine.case(case.id))


def test_no_store_hands_the_engine_a_case_it_then_changes(any_store: Store) -> None:
    """Every store hands the engine its own record of a case to change (the databases their
    last written record): on walks through every shipped workflow, each stays as it was."""
    handed: list[tuple[Case, str]] = []
    load_recent = any_store.load_recent

    def watched(case_id: str) -> tuple[Case, bool]:
        case, recent = load_recent(case_id)
        handed.append((case, frozen(case)))
        return case, recent

    any_store.load_recent = watched  # type: ignore[method-assign]
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    picks = random.Random(20)
    for workflow in LOADED.values():
        compiled = engine.deploy(workflow).compiled
        for promise in (False, True):
            case = engine.submit(workflow.id, sample_form(workflow),
                                 sample_materials(workflow, promise))
            for _ in range(25):
                possible = set(engine.possible(case.id))
                enabled = [t for t in compiled.net.transitions if t.label in possible]
                if not enabled:
                    break
                clock.advance(timedelta(hours=picks.randrange(50)))
                with contextlib.suppress(ActionRefused, CaseEnded):
                    perform(engine, case.id, workflow, picks.choice(enabled))
                engine.tick()
                for record, text in handed:
                    assert frozen(record) == text, "an action changed the case record it loaded"
    assert len(handed) >= 2 * len(LOADED)  # every case walked was loaded (it was watched)


def test_a_replaced_case_has_every_field_of_the_one_it_copies() -> None:
    values = {field.name: f"value of {field.name}" for field in attrs.fields(Case)}
    case = Case(**values)
    copy = case.replace(version=7)
    assert copy is not case
    assert {field.name: getattr(copy, field.name) for field in attrs.fields(Case)} \
        == {**values, "version": 7}
