"""Monte Carlo of a workflow's lead times (``onething simulate``): its cases run through the
workflow's real structure — sequences, parallel blocks, conditions on drawn forms, choices,
stages, corrections, special procedures, refusals, deemed approvals, jumps and send-backs —
with each step's working days drawn from a durations file or fitted from a store's history,
on the real calendar; and the report: the lead-time distribution against the case's limits,
each stage's, and the steps most often on the critical path (docs/simulation.md).

Needs numpy (the ``report`` extra); importing this package loads none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onething._lazy import lazy

__all__ = ["Durations", "Simulation", "SimulationReport", "parse_durations", "read_durations",
           "simulate"]

__getattr__, __dir__ = lazy(__name__, {
    "Durations": "onething.simulate.durations",
    "Simulation": "onething.simulate.simulation",
    "SimulationReport": "onething.simulate.report",
    "parse_durations": "onething.simulate.durations_file",
    "read_durations": "onething.simulate.durations_file",
    "simulate": "onething.simulate.simulation",
})

if TYPE_CHECKING:
    from onething.simulate.durations import Durations
    from onething.simulate.durations_file import parse_durations, read_durations
    from onething.simulate.report import SimulationReport
    from onething.simulate.simulation import Simulation, simulate
