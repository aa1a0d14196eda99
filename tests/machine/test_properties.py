"""Properties of every shipped workflow under random event sequences.

1. Random events (allowed or not, by anyone) never create a second delivery, and every case
   driven to its end has exactly one.
2. The transitions machine and the case net accept the same events and reach the same
   configuration on every random walk.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.factories import WORKFLOWS, perform, sample_form, sample_materials

from onething.cases.forms import check_submission
from onething.engine.engine import Engine
from onething.errors import ActionRefused
from onething.language.load import load
from onething.machine.compile import compile_net
from onething.net.build import build_net
from onething.net.model import case_facts
from onething.net.semantics import Semantics, form_guard
from onething.stores.sqlite import SqliteStore

LOADED = {path.name: load(path) for path in WORKFLOWS}
NAMES = sorted(LOADED)
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def random_form(draw: st.DrawFn, workflow: object) -> dict[str, object]:
    form = sample_form(workflow)
    for field in workflow.form.fields:
        if field.type == "bool":
            form[field.name] = draw(st.booleans())
        elif field.type == "enum":
            form[field.name] = draw(st.sampled_from(field.values))
    return form


@st.composite
def scenario(draw: st.DrawFn) -> tuple[str, dict[str, object], bool, list[int]]:
    name = draw(st.sampled_from(NAMES))
    workflow = LOADED[name]
    promise = draw(st.booleans())
    picks = draw(st.lists(st.integers(0, 10_000), max_size=40))
    return name, random_form(draw, workflow), promise, picks


@FAST
@given(scenario())
def test_random_events_never_deliver_twice_and_every_end_has_one(
    case: tuple[str, dict[str, object], bool, list[int]],
) -> None:
    name, form, promise, picks = case
    workflow = LOADED[name]
    engine = Engine(SqliteStore(":memory:"))
    compiled = engine.deploy(workflow).compiled
    case_id = engine.submit(workflow.id, form, sample_materials(workflow, promise)).id
    every = list(compiled.net.transitions)
    visible = [t for t in every if not t.silent]
    for pick in picks:
        current = engine.case(case_id)
        # the net over-approximates revocations (decision 0006); possible() is the engine's
        possible = set(engine.possible(case_id))
        enabled = [t for t in compiled.enabled(compiled.marking_of(current.marking),
                                               form_guard(current.facts()))
                   if t.label in possible]
        # mostly an allowed event, sometimes any event at all (which must be refused cleanly)
        pool = enabled if enabled and pick % 4 else visible
        t = pool[pick % len(pool)]
        try:
            perform(engine, case_id, workflow, t)
        except ActionRefused:
            assert t not in enabled or engine.case(case_id).ended
        _assert_at_most_one_delivery(engine, case_id)
    _drive_to_end(engine, compiled, workflow, case_id)
    history = engine.history(case_id)
    assert sum(e.action == "delivered" for e in history) == 1
    assert engine.delivery(case_id) is not None and engine.case(case_id).ended


def _assert_at_most_one_delivery(engine: Engine, case_id: str) -> None:
    delivered = [e for e in engine.history(case_id) if e.action == "delivered"]
    assert len(delivered) <= 1
    assert (engine.delivery(case_id) is not None) == bool(delivered)


def _drive_to_end(engine: Engine, compiled: object, workflow: object, case_id: str) -> None:
    """Finish the case with the applicant's cooperation (no withdrawal, no timer)."""
    preference = ("supplement", "supplement_intake", "supplement_material",
                  "end_special_procedure", "accept",
                  "approve", "deliver")
    for _ in range(500):
        current = engine.case(case_id)
        if current.ended:
            return
        enabled = list(compiled.enabled(compiled.marking_of(current.marking),
                                        form_guard(current.facts())))
        ranked = sorted(enabled, key=lambda t: preference.index(t.action)
                        if t.action in preference else len(preference))
        assert ranked, f"stuck: {current.marking}"
        perform(engine, case_id, workflow, ranked[0])
    pytest.fail("the case did not end within 500 events")


@st.composite
def walk(draw: st.DrawFn) -> tuple[str, dict[str, object], list[int]]:
    name = draw(st.sampled_from(NAMES))
    return name, random_form(draw, LOADED[name]), draw(st.lists(st.integers(0, 999),
                                                                max_size=60))


@settings(max_examples=150, deadline=None)
@given(walk())
def test_machine_and_net_accept_the_same_events(case: tuple[str, dict, list[int]]) -> None:
    name, form, picks = case
    net = build_net(LOADED[name])
    compiled = compile_net(net)
    semantics = Semantics(net)
    clean, _ = check_submission(LOADED[name].form, form, sample_materials(LOADED[name]))
    guard = form_guard(case_facts(clean.form, bool(clean.promised)))
    marking = semantics.initial
    for pick in picks:
        by_machine = sorted(t.name for t in compiled.enabled(marking, guard))
        by_net = sorted(t.name for t in semantics.enabled(marking, guard))
        assert by_machine == by_net
        if not by_net:
            break
        t = next(x for x in semantics.visible if x.name == by_net[pick % len(by_net)])
        fired = compiled.fire(marking, t, guard)
        expected, clash = semantics.fire(marking, t)
        expected, clash2 = semantics.settle(expected, guard)
        assert fired.marking == expected
        assert not (clash or clash2 or fired.unsafe)
        marking = expected
