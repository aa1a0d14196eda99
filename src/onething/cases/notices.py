"""The content of the one delivery: the bundle, or one consolidated notice.

A notice names the case, the workflow, the steps and their outcomes; it never copies a form
value (not even the applicant's name: a channel that needs an address reads it from the case
record). The reasons officers write are free text, so identity and phone numbers in them are
masked (:func:`~onething.language.values.mask_text`).
"""

from __future__ import annotations

from typing import Any

from onething.cases.records import Case
from onething.language.model import Workflow
from onething.privacy.masking import mask_text

#: 行政许可法 art. 38: a refusal states its reasons and the applicant's remedies
REMEDIES = (
    "如不服本决定，可以自收到本通知之日起六十日内依法申请行政复议，"
    "或者六个月内依法向人民法院提起行政诉讼。"
    " (You may apply for administrative reconsideration within 60 days of receiving this "
    "notice, or bring an administrative lawsuit within six months.)"
)

#: the same remedies as data: the term of each (行政复议法 art. 20: 60 days from knowing of
#: the act; 行政诉讼法 art. 46: six months), for the certificates that record them
REMEDY_TERMS = {"administrative_reconsideration": "60 days",
                "administrative_litigation": "6 months"}

TITLES = {
    "result": "统一出件 (bundled result)",
    "refusal": "不予许可/不予受理通知书 (notice of refusal)",
    "withdrawal": "撤回申请确认书 (acknowledgement of withdrawal)",
    "termination": "终止办理通知书 (notice of termination)",
}


def step_statuses(workflow: Workflow, case: Case, active: set[str]) -> list[dict[str, Any]]:
    """Each step's outcome as the notice lists it: decided, cancelled, or not reached."""
    items = []
    for step in workflow.iter_steps():
        outcome = case.outcomes.get(step.id)
        if outcome is not None and outcome["outcome"] == "send_back":
            # an internal rework (退回重审), not a decision on the application: its reason
            # is between departments
            entry = {"step": step.id, "title": step.title or step.id,
                     "department": step.department, "outcome": "cancelled",
                     "reason": "ended while the steps it sent back were done again"}
        elif outcome is not None and outcome["outcome"] != "signing":
            entry = {"step": step.id, "title": step.title or step.id,
                     "department": step.department, "outcome": outcome["outcome"]}
            if outcome.get("reason"):
                entry["reason"] = mask_text(outcome["reason"])
        elif step.id in active:
            entry = {"step": step.id, "title": step.title or step.id,
                     "department": step.department,
                     "outcome": "cancelled", "reason": "ended without a decision"}
        else:
            entry = {"step": step.id, "title": step.title or step.id,
                     "department": step.department, "outcome": "not reached"}
        items.append(entry)
    return items


def build_notice(workflow: Workflow, case: Case, kind: str, active: set[str],
                 items: tuple[str, ...], reason: str = "",
                 ended_at: str | None = None) -> dict[str, Any]:
    """The notice that travels with the delivery (JSON-ready)."""
    notice: dict[str, Any] = {
        "title": TITLES[kind],
        "workflow": workflow.title,
        "case": case.id,
        "kind": kind,
        "items": step_statuses(workflow, case, active),
    }
    if kind == "result":
        notice["bundle"] = list(items)
        notice["fee"] = "waived" if workflow.delivery.fee_waived else "charged"
    if reason:
        notice["reason"] = mask_text(reason)
    if ended_at:
        notice["ended_at_step"] = ended_at
    if kind in ("refusal", "termination"):
        notice["remedies"] = REMEDIES
    if case.intake.get("items") and kind != "result" and case.accepted_at is None:
        # a case that ends at intake: the notice at intake (一次性告知) it answers for
        notice["intake_notice"] = {"issued_at": case.intake["notice_at"],
                                   "items": [i["item"] for i in case.intake["items"]]}
    if case.produced and kind != "result":
        notice["voided"] = list(case.produced)
    return notice
