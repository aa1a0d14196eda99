"""Promises (容缺) a correction releases: when the corrected form no longer requires a promised
material (its ``required_if`` stopped holding), or the correction brought it, the promise ends
with the correction, and once none is left the case no longer waits for materials — exactly
the move the applicant's ``supplement_material`` makes (docs/language.md, materials)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from onething.cases import clocks as clk
from onething.cases.records import Case
from onething.machine.compile import Fired, Guard

if TYPE_CHECKING:
    from onething.engine._deployments import Deployed


def release(deployed: Deployed, before: Case, after: Case, fired: Fired,
            guard: Guard) -> Fired:
    """``fired`` followed by the end of the case's promises when the action released the last
    of them (the case no longer waits on ``materials:promised``)."""
    compiled = deployed.compiled
    if not before.promised or after.promised \
            or "materials:promised" not in compiled.names_of(fired.marking):
        return fired
    [end] = deployed.actions[("supplement_material", None)]
    then = compiled.fire(fired.marking, end, guard)
    return attrs.evolve(fired, transitions=fired.transitions + then.transitions,
                        marking=then.marking, unsafe=fired.unsafe or then.unsafe)


def keep(case: Case, still: tuple[str, ...], data: dict[str, object]) -> None:
    """Keep of ``case``'s promises those the corrected form still makes (``still``); the
    others are released, brought or no longer required, and the event says which."""
    released = [m for m in case.promised if m not in still]
    if released:
        case.promised = tuple(m for m in case.promised if m in still)
        data["promises_released"] = released


def note_acceptance(new: Case) -> None:
    """Mark a case accepted on promised materials (容缺受理) on its case clock, just started:
    its result is reported as 办结（容缺通过）, code 12 (:mod:`onething.cases.status`)."""
    if "materials:promised" in new.marking:
        new.clocks[clk.CASE]["on_promise"] = True
