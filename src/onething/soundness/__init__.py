"""Soundness: the proof that every path of a workflow ends in exactly one delivery, its
counterexamples, and the workflow net exported for independent checkers (PNML, Woflan)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from onething._lazy import lazy

__all__ = [
    "DEFAULT_BUDGET", "Report", "Rule", "Soundness", "TraceEvent", "Violation",
    "WorkflowNet", "check", "check_workflow_net", "export_pnml", "forms", "parse_pnml", "read_pnml",
    "to_pnml", "to_workflow_net", "write_pnml",
]

__getattr__, __dir__ = lazy(__name__, {
    "DEFAULT_BUDGET": "onething.soundness.limits",
    "Report": "onething.soundness.report",
    "Rule": "onething.soundness.report",
    "Soundness": "onething.soundness.classical",
    "TraceEvent": "onething.soundness.report",
    "Violation": "onething.soundness.report",
    "WorkflowNet": "onething.soundness.wfnet",
    "check": "onething.soundness.proof",
    "check_workflow_net": "onething.soundness.classical",
    "export_pnml": "onething.soundness.pnml",
    "forms": "onething.soundness.proof",
    "parse_pnml": "onething.soundness.pnml",
    "read_pnml": "onething.soundness.pnml",
    "to_pnml": "onething.soundness.pnml",
    "to_workflow_net": "onething.soundness.wfnet",
    "write_pnml": "onething.soundness.pnml",
})

if TYPE_CHECKING:
    from onething.soundness.classical import Soundness, check_workflow_net
    from onething.soundness.limits import DEFAULT_BUDGET
    from onething.soundness.pnml import export_pnml, parse_pnml, read_pnml, to_pnml, write_pnml
    from onething.soundness.proof import check, forms
    from onething.soundness.report import Report, Rule, TraceEvent, Violation
    from onething.soundness.wfnet import WorkflowNet, to_workflow_net
