"""The refusals several actions share, with their catalog codes: a case that has its one
delivery already, a name that is not a step, and the hint naming the closest step."""

from __future__ import annotations

import difflib

from onething.cases.records import Case
from onething.errors import ActionRefused, CaseEnded
from onething.language.model import Workflow
from onething.privacy.masking import clip


def ended_message(case: Case) -> str:
    """Why nothing about ``case`` may change: how it ended, and where."""
    at = ""
    for step, outcome in case.outcomes.items():
        if outcome["outcome"] == "refuse" and case.delivery_kind == "refusal":
            at = f" at step {step}"
    return f"case {case.id} ended by {case.delivery_kind}{at}"


def ended(case: Case, hint: str = "", more: str = "") -> CaseEnded:
    """The refusal of any change to ``case``, which has its one delivery (``more`` is added
    to the English message)."""
    return CaseEnded(ended_message(case) + more, hint, code="refused.case.ended",
                     subject=case.id, params={"ended_by": case.delivery_kind or ""})


def not_a_step(workflow: Workflow, step: str) -> ActionRefused:
    """The refusal of ``step``, which ``workflow`` does not have."""
    return ActionRefused(f"'{clip(step, 40)}' is not a step of {workflow.id}",
                         hint_steps(workflow, step), code="refused.step.unknown",
                         subject=clip(step, 40), params={"workflow": workflow.id})


def hint_steps(workflow: Workflow, step: str | None) -> str:
    """A hint naming the closest step, or the steps and outcomes there are."""
    ids = [s.id for s in workflow.iter_steps()]
    if step and step not in ids:
        close = difflib.get_close_matches(step, ids, n=1)
        if close:
            return f"did you mean step '{close[0]}'?"
        return "steps: " + ", ".join(ids)
    return ("outcomes: approve, refuse, request_correction, start_special_procedure, "
            "end_special_procedure")
