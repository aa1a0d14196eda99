"""Replay a counterexample on the compiled transitions machine, counting deliveries.

This closes the gap between the proof and the runtime: the checker explores the case net,
the engine runs the transitions machine, and a counterexample found in one must show the
same violation in the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from onething.machine.compile import CompiledWorkflow, NotEnabled
from onething.net.semantics import form_guard
from onething.soundness.report import Violation


@attrs.frozen
class Replay:
    """What the machine did with a trace."""

    deliveries: int
    unsafe: bool
    marking: tuple[str, ...]
    enabled: tuple[str, ...]
    refused_at: int | None = None


def replay(compiled: CompiledWorkflow, violation: Violation,
           form: Mapping[str, Any] | None = None) -> Replay:
    """Fire the violation's events one by one through the machine."""
    guard = form_guard(dict(form if form is not None else violation.form))
    marking = compiled.semantics.initial
    deliveries = 0
    unsafe = False
    for index, event in enumerate(violation.trace):
        transition = compiled.by_name[event.transition]
        try:
            fired = compiled.fire(marking, transition, guard)
        except NotEnabled:
            return Replay(deliveries, unsafe, compiled.names_of(marking),
                          _enabled(compiled, marking, guard), index)
        marking = fired.marking
        unsafe |= fired.unsafe
        deliveries += sum(t.delivers is not None for t in fired.transitions)
    return Replay(deliveries, unsafe, compiled.names_of(marking),
                  _enabled(compiled, marking, guard))


def _enabled(compiled: CompiledWorkflow, marking: int, guard: Any) -> tuple[str, ...]:
    return tuple(t.name for t in compiled.enabled(marking, guard))
