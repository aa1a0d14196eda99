"""The written notices (文书) a case has, as data: which documents its status events call for,
numbered with the case number, dated, and filled from the history line each event was made
from (the law issue records there what each must say). Nothing here is rendered: the
documents are rendered on request (:mod:`onething.notices`), so nothing personal is stored as a
document, and erasing a case's personal data erases what its documents would show.

| kind | document | from |
| --- | --- | --- |
| ``acceptance`` | 受理通知书 | accepted, deemed accepted: dates, limits, due dates |
| ``promise`` | 容缺受理承诺书 | accepted with promised materials: what, by when, the consequence |
| ``correction`` | 一次性补正告知书 | a correction asked at intake (every item) or at a step |
| ``intake_refusal`` | 不予受理决定书 | refused at intake: reasons, remedies |
| ``refusal`` | 不予许可决定书 | a refusal delivered: the item refused, reasons, remedies |
| ``grant`` | 准予许可决定书 | a result delivered: the items granted |
| ``extension`` | 延期告知书 | an extension: reason, new date |
| ``special_procedure`` | 特别程序告知书 | a special procedure: kind, expected duration, end |
| ``commitment`` | 告知承诺书 | an approval on commitment: the promise, verify-by, consequence |
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from onething.cases.notices import REMEDY_TERMS
from onething.cases.records import Case, Event
from onething.cases.status import StatusEvent
from onething.cases.timers import promise_due
from onething.language.model import Workflow
from onething.privacy.masking import mask_text
from onething.workdays import CountFrom, WorkCalendar

#: each kind's title, in Chinese and in English
TITLES: dict[str, tuple[str, str]] = {
    "acceptance": ("受理通知书", "Notice of acceptance"),
    "promise": ("容缺受理承诺书", "Undertaking on accepted-with-deferral materials"),
    "correction": ("一次性补正告知书", "One-time notice of corrections"),
    "intake_refusal": ("不予受理决定书", "Decision not to accept"),
    "refusal": ("不予许可决定书", "Decision to refuse the permit"),
    "grant": ("准予许可决定书", "Decision to grant the permit"),
    "extension": ("延期告知书", "Notice of extension"),
    "special_procedure": ("特别程序告知书", "Notice of a special procedure"),
    "commitment": ("告知承诺书", "Notification-and-commitment undertaking"),
}


@attrs.frozen
class Document:
    """One written notice of a case: ``number`` is the case number and the sequence number
    of the status event it belongs to; ``data`` is what its template fills."""

    kind: str
    number: str
    case_id: str
    status_seq: int
    issued_at: datetime
    data: dict[str, Any] = attrs.field(factory=dict)

    @property
    def title(self) -> str:
        """The document's Chinese title."""
        return TITLES[self.kind][0]

    def to_json(self) -> dict[str, Any]:
        """What a list of notices shows of it (``onething notices --format json``)."""
        return {"number": self.number, "kind": self.kind, "title": self.title,
                "issued_at": self.issued_at, "status_seq": self.status_seq}


def documents(case: Case, history: Sequence[Event], said: Sequence[StatusEvent],
              workflow: Workflow, calendar: WorkCalendar | None = None,
              count_from: CountFrom = "next_day") -> list[Document]:
    """The written notices the case's status events call for, in order (``calendar``: the
    one promised materials' due dates are counted on)."""
    lines = {e.seq: e for e in history}
    out: list[Document] = []
    refused_at_intake = any(e.type == "intake_refused" for e in said)
    for event in said:
        line = lines.get(event.source) if event.source is not None else None
        for kind, data in _kinds(event, line, history, case, workflow, refused_at_intake,
                                 calendar, count_from):
            number = f"{case.id}-{event.seq:02d}" + ("-2" if kind == "promise" else "")
            out.append(Document(kind, number, case.id, event.seq, event.at,
                                {"organ": workflow.lead, "workflow": workflow.title
                                 or workflow.id, **data}))
    return out


def _produced_title(workflow: Workflow, item: str) -> str:
    """What a bundle item is called: the title of the step that produces it."""
    for step in workflow.iter_steps():
        if item in step.produces:
            return step.title or item
    return item


def _label(workflow: Workflow, name: str) -> str:
    found = workflow.form.field(name) or workflow.form.material(name)
    return (found.label if found is not None else "") or name


def _kinds(event: StatusEvent, line: Event | None, history: Sequence[Event], case: Case,
           workflow: Workflow, refused_at_intake: bool, calendar: WorkCalendar | None,
           count_from: CountFrom) -> list[tuple[str, dict[str, Any]]]:
    data: dict[str, Any] = dict(line.data) if line is not None else {}
    step = {"step": event.step, "step_title": workflow.step_title(event.step) if event.step else "",
            "department": event.department}
    if event.type in ("accepted", "deemed_accepted"):
        receipt = data.get("receipt") or {}
        made = [("acceptance", {"receipt": receipt})]
        if receipt.get("promised"):
            made.append(("promise", _promise(receipt, workflow, event.at, calendar,
                                             count_from)))
        return made
    if event.type == "intake_correction_requested":
        notice = data.get("notice") or {}
        items = [{**i, "label": i.get("label") or _label(workflow, str(i.get("item")))}
                 for i in notice.get("items", ()) if isinstance(i, dict)]
        return [("correction", {"at": "intake", "notice": {**notice, "items": items}})]
    if event.type == "correction_requested":
        reason = data.get("reason") or _last_reason(history, event.step, event.source)
        return [("correction", {"at": "step", **step, "reason": reason})]
    if event.type == "intake_refused":
        return [("intake_refusal", {"receipt": data.get("receipt") or {}})]
    if event.type == "delivered" and event.data.get("kind") == "refusal" \
            and not refused_at_intake:
        decided = _deciding_line(history, line)
        refused = decided.step if decided is not None else None
        reason = decided.data.get("reason") if decided is not None else None
        return [("refusal", {"step": refused,
                             "step_title": workflow.step_title(refused) if refused else "",
                             "reasons": mask_text(str(reason or "")),
                             "remedies": dict(REMEDY_TERMS)})]
    if event.type == "delivered" and event.data.get("kind") == "result":
        granted = [{"step": s.id, "title": s.title or s.id, "department": s.department}
                   for s in workflow.iter_steps()
                   if (case.outcomes.get(s.id) or {}).get("outcome") not in (None, "refuse",
                                                                           "send_back")]
        bundle = list(data.get("items", ()) or (workflow.delivery.bundle
                                                if workflow.delivery else ()))
        titles = dict.fromkeys(_produced_title(workflow, item) for item in bundle)  # a step
        return [("grant", {"bundle": list(titles),  # producing two items is named once
                           "granted": granted})]
    if event.type == "extended":
        return [("extension", {**step, "by": data.get("by"), "due": data.get("due"),
                               "reason": data.get("reason", "")})]
    if event.type == "special_procedure_started":
        return [("special_procedure", {**step, **(data.get("special_procedure") or {})})]
    if event.type == "item_decided" and event.data.get("outcome") == "approve_on_commitment":
        spec = workflow.step(event.step) if event.step else None
        commitment = spec.commitment if spec is not None else None
        return [("commitment", {**step, "verify_by": event.data.get("verify_by"),
                                "verify_within": str(commitment.verify_within)
                                if commitment is not None and commitment.verify_within
                                else None,
                                "source": commitment.source if commitment else ""})]
    return []


def _last_reason(history: Sequence[Event], step: str | None, before: int | None) -> str:
    for line in reversed(history):
        if before is not None and line.seq > before:
            continue
        if line.action == "request_correction" and line.step == step:
            return str(line.data.get("reason") or "")
    return ""


#: the history lines that refuse the application itself (a step's refusal, a commitment
#: found false before the delivery)
_REFUSING = ("refuse", "revoke_commitment")


def _deciding_line(history: Sequence[Event], delivered: Event | None) -> Event | None:
    """The line of the change that delivered a refusal that decided it: the refusal written
    with the delivery (an optional step's earlier refusal did not end the case)."""
    if delivered is None:
        return None
    for line in reversed(history):
        if line.seq < delivered.seq and line.at == delivered.at and line.action in _REFUSING:
            return line
    return None


def _promise(receipt: dict[str, Any], workflow: Workflow, accepted: datetime,
             calendar: WorkCalendar | None, count_from: CountFrom) -> dict[str, Any]:
    promised = [str(m) for m in receipt.get("promised", ())]
    found = promise_due(promised, workflow, accepted, calendar.lenient(), count_from) \
        if calendar is not None else None
    due = found[1].deadline.isoformat() if found is not None else None
    limits = {m.name: str(m.deferrable) for m in workflow.form.materials
              if m.name in promised and m.deferrable is not None}
    return {"materials": [{"name": name, "label": _label(workflow, name),
                           "within": str(found[0]) if found is not None else limits.get(name),
                           "due": due} for name in promised],
            "accepted_on": accepted.isoformat(), "consequence": "termination"}
