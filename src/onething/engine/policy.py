"""A workflow's clock policy: what its YAML declares, or the law's defaults."""

from __future__ import annotations

from onething.engine.clocks import ClockPolicy
from onething.spec.model import Workflow


def policy_of(workflow: Workflow) -> ClockPolicy:
    """The clock rules of ``workflow`` (declared under ``clock:``/``escalation:``)."""
    declared = getattr(workflow, "clock", None)
    return declared if isinstance(declared, ClockPolicy) else ClockPolicy()
