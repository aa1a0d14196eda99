"""The fast path of firing (``CompiledWorkflow.trigger``, which remembers what the machine did
at a marking) against the ``transitions`` machine itself (``trigger_machine``), on random walks
of every shipped workflow under random forms: the same transitions accepted, the same marking
reached, the same refusals."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.machine.test_properties import LOADED, NAMES, random_form
from tests.support.factories import sample_materials

from onething.cases.forms import check_submission
from onething.machine.compile import Guard, NotEnabled, compile_net
from onething.net.build import build_net
from onething.net.model import Transition, case_facts
from onething.net.semantics import form_guard

WALKS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COMPILED = {name: compile_net(build_net(LOADED[name])) for name in NAMES}


def _fired(fire: Callable[[int, Transition, Guard], tuple[int, bool]], marking: int,
           t: Transition, guard: Guard) -> tuple[int, bool] | None:
    """What ``fire`` made of ``t`` at ``marking``: (marking, unsafe), or None if refused."""
    try:
        return fire(marking, t, guard)
    except NotEnabled:
        return None


@st.composite
def walk(draw: st.DrawFn) -> tuple[str, dict[str, object], bool, list[int]]:
    name = draw(st.sampled_from(NAMES))
    return name, random_form(draw, LOADED[name]), draw(st.booleans()), \
        draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=40))


@WALKS
@given(walk())
def test_the_fast_path_and_the_machine_agree_on_random_walks(
        case: tuple[str, dict[str, object], bool, list[int]]) -> None:
    name, form, promise, picks = case
    workflow = LOADED[name]
    # a fresh compilation per walk: its memo starts empty, so both paths of the fast one run
    compiled = compile_net(build_net(workflow))
    reference = COMPILED[name]
    clean, problems = check_submission(workflow.form, form, sample_materials(workflow, promise))
    assert clean is not None, problems
    guard = form_guard(case_facts(clean.form, bool(clean.promised)))
    every = list(compiled.net.transitions)
    marking = compiled.marking_of([compiled.place_names[0]])
    for pick in picks:
        enabled = []
        for t in every:  # at each marking of the walk, every transition, fired both ways
            fast = _fired(compiled.trigger, marking, t, guard)
            again = _fired(compiled.trigger, marking, t, guard)  # from the memo this time
            slow = _fired(reference.trigger_machine, marking,
                          reference.net.transitions[t.index], guard)
            assert fast == slow == again, (name, t.name)
            if fast is not None:
                enabled.append(fast[0])
        if not enabled:
            break
        marking = enabled[pick % len(enabled)]
