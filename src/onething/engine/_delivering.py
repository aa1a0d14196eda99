"""The one delivery an action makes (行政许可法 art. 44): its kind's items, its notice, and
how it reaches the applicant."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from onething.cases.notices import build_notice
from onething.cases.records import Case, Delivery
from onething.errors import ActionRefused
from onething.language.model import Workflow
from onething.net.model import Transition
from onething.privacy.masking import clip

if TYPE_CHECKING:
    from onething.engine._deployments import Deployed


def delivery(deployed: Deployed, before: Case, case: Case, kind: str, transition: Transition,
             method: str | None, reason: str, now: datetime) -> Delivery:
    """The delivery of ``kind`` that ``transition`` makes of ``case`` (``before`` it, the
    steps it left active name who decided a refusal): the bundle's items it produced for a
    result, the notice, the method."""
    workflow = deployed.workflow
    active = set(deployed.positions(before.marking))
    items = tuple(i for i in workflow.delivery.bundle if i in case.produced) \
        if kind == "result" else ()
    notice = build_notice(workflow, case, kind, active, items, reason,
                          transition.step if kind != "result" else None)
    return Delivery(f"D-{case.id}", case.id, kind, now,
                    method or delivery_method(workflow, case, None), items, notice)


def delivery_method(workflow: Workflow, case: Case, method: str | None) -> str:
    """The method asked for, else the form's choice, else the workflow's first."""
    methods = workflow.delivery.methods
    chosen = method or case.form.get("delivery_method") or methods[0]
    if chosen not in methods:
        raise ActionRefused(f"'{clip(chosen, 40)}' is not a delivery method of {workflow.id}",
                            "use one of: " + ", ".join(methods), code="refused.case.method",
                            subject=case.id, params={"method": clip(chosen, 40),
                                                     "methods": ", ".join(methods)})
    return str(chosen)
