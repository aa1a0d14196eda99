"""退回重审: what sending a department of a parallel block back does to a case's record.

The case net moves the tokens (the block runs again, decision 0013); here the steps done
again lose their outcome and the items only they produced, so the status, the notices and the
delivery show what the rework decides, never what it replaced. The history keeps both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onething.cases.records import Case
from onething.errors import ActionRefused
from onething.language.model import Workflow
from onething.net.model import Transition
from onething.privacy.masking import clip


def resolve(workflow: Workflow, transition: Transition, to: str | None, reason: object,
            find: Callable[[str], Transition | None]) -> Transition:
    """The send-back meant (``find`` looks one up by the step it sends back to); refuse one
    that names no step where there is a choice, or does not say what to rework."""
    targets = workflow.rework.get(transition.step or "", {})
    if to is None and len(targets) > 1:
        raise ActionRefused(f"say which step '{transition.step}' sends back",
                            "to= one of: " + ", ".join(targets),
                            code="refused.step.send_back_unnamed", subject=transition.step or "",
                            params={"targets": ", ".join(targets)})
    if to is not None and to not in targets:
        raise ActionRefused(f"'{transition.step}' cannot send back to '{clip(to, 40)}'",
                            "it may send back to: " + ", ".join(targets),
                            code="refused.step.send_back_target", subject=transition.step or "",
                            params={"to": clip(to, 40), "targets": ", ".join(targets)})
    if not isinstance(reason, str) or not reason.strip():
        raise ActionRefused(f"a send-back from '{transition.step}' says what must be done "
                            "again", "give a reason: the department sent back reads it",
                            code="refused.step.send_back_reason", subject=transition.step or "")
    found = find(to if to is not None else next(iter(targets)))
    assert found is not None  # the net has one send-back per step it names
    return found


def send_back(workflow: Workflow, case: Case, step: str, to: str) -> dict[str, Any]:
    """Clear what the steps done again decided (``case`` is the new record, changed in place);
    the event data that says which steps those are."""
    again = workflow.rework[step][to]
    for sid in again:
        case.outcomes.pop(sid, None)
    kept = {item for other in workflow.iter_steps() if other.id not in again
            and (case.outcomes.get(other.id) or {}).get("outcome") == "approve"
            for item in other.produces}
    dropped = {item for sid in again for item in workflow.step(sid).produces} - kept
    data: dict[str, Any] = {"to": to, "others": "keep", "again": list(again)}
    sender = workflow.step(step).send_back
    if sender is not None:
        data["others"] = sender.others
    if dropped & set(case.produced):
        data["voided"] = sorted(dropped & set(case.produced))
        case.produced = tuple(i for i in case.produced if i not in dropped)
    return data
