"""Soundness: the proof that every path of a workflow ends in exactly one delivery, its
counterexamples, and the workflow net exported for independent checkers (PNML, Woflan)."""

from __future__ import annotations

from onething.soundness.check import DEFAULT_BUDGET, check
from onething.soundness.classical import Soundness, check_workflow_net
from onething.soundness.pnml import export_pnml, parse_pnml, read_pnml, to_pnml, write_pnml
from onething.soundness.report import Report, Rule, TraceEvent, Violation
from onething.soundness.wfnet import WorkflowNet, to_workflow_net

__all__ = ["DEFAULT_BUDGET", "Report", "Rule", "Soundness", "TraceEvent", "Violation",
           "WorkflowNet", "check", "check_workflow_net", "export_pnml", "parse_pnml",
           "read_pnml", "to_pnml", "to_workflow_net", "write_pnml"]
