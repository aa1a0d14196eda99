"""Status events: what the applicant and the platforms are told, derived from the history.

Every change of a case's status for the people outside the hall (submitted, accepted, a
correction asked, an item decided, delivered, ...) is a :class:`StatusEvent`, made from the
history lines a change writes (:func:`status_events`) and committed in the same transaction.
Status events have their own gap-free sequence per case, separate from the history (which also
holds refused attempts, claims and other inside work). Each carries its 办件状态 code where the
code list has one (:data:`CODES`, with its sources in docs/events.md), the case number, the
step and department, and no personal data: names of fields and materials, dates, limits and
kinds — never a form value, a pseudonym or free text (reasons are rendered in the written
notices, for their owner, from the history).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs

from onething.cases.clock_record import ClockRecord
from onething.cases.records import Case, Event, actor_parts
from onething.language.model import Workflow

#: 办件状态 (case status) codes as two platform vendors use them (Augurit aplanmis
#: ``ItemStatus``; Epoint ``JNConstant``) — their national provenance is unverified
#: (docs/events.md): code -> (Chinese name, English name)
CODES: dict[int, tuple[str, str]] = {
    1: ("已接件", "received"), 2: ("已撤件", "withdrawn before intake"),
    3: ("窗口受理", "accepted at the window"), 4: ("不受理", "not accepted"),
    5: ("不予受理", "refused at intake"), 6: ("补正（开始）", "correction started"),
    7: ("补正（结束）", "correction ended"), 8: ("部门受理", "accepted by the department"),
    9: ("特别程序（开始）", "special procedure started"),
    10: ("特别程序（结束）", "special procedure ended"), 11: ("办结（通过）", "completed: granted"),
    12: ("办结（容缺通过）", "completed: granted on promised materials"),
    13: ("办结（不通过）", "completed: not granted"), 14: ("撤回", "withdrawn"),
    15: ("撤销", "revoked"), 16: ("撤件待确认", "withdrawal awaiting confirmation"),
}

#: every status event type, with its 办件状态 code (None: the code list has none for it)
TYPES: dict[str, int | None] = {
    "submitted": 1,
    "intake_correction_requested": 6,
    "intake_correction_answered": 7,
    "accepted": 3,
    "deemed_accepted": 3,
    "intake_refused": 5,
    "correction_requested": 6,
    "correction_supplemented": 7,
    "correction_unanswered": None,
    "special_procedure_started": 9,
    "special_procedure_ended": 10,
    "extended": None,
    "promise_due_soon": None,
    "promise_kept": None,
    "promise_missed": None,
    "item_decided": None,
    "commitment_verified": None,
    "commitment_revoked": 15,
    "warning": None,
    "overdue": None,
    "escalated": None,
    "delivered": None,  # by the delivery's kind: see :func:`delivered_code`
    "evaluated": None,
    "follow_up_opened": None,
}

#: the CloudEvents ``type`` of a status event is this prefix and its type
TYPE_PREFIX = "onething.case."


@attrs.frozen(weakref_slot=False)
class StatusEvent:
    """One status change of a case, as it is reported: ``seq`` counts the case's status
    events from 1 without gaps; ``code`` is its 办件状态 code (None where there is none);
    ``data`` holds names, dates, limits and kinds only."""

    case_id: str
    seq: int
    at: datetime
    type: str
    code: int | None
    workflow_id: str
    workflow_version: int
    step: str | None = None
    department: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict)
    #: the history line it was made from (its written notice renders that line's data)
    source: int | None = None

    @property
    def id(self) -> str:
        """Unique per case and status change; the idempotency key of every hand-over."""
        return f"{self.case_id}/{self.seq}"

    @property
    def code_name(self) -> str | None:
        """The code's Chinese name (None without a code)."""
        return CODES[self.code][0] if self.code is not None else None

    def to_json(self) -> dict[str, Any]:
        """The event as JSON (``onething events --format json``, ``GET .../events``)."""
        return {"id": self.id, "case": self.case_id, "seq": self.seq, "at": self.at,
                "type": self.type, "code": self.code, "code_name": self.code_name,
                "workflow": self.workflow_id, "step": self.step,
                "department": self.department, "data": self.data}


def delivered_code(kind: str, accepted_on_promise: bool, accepted: bool = True) -> int | None:
    """The code of a delivery: granted (11, or 12 when accepted on promised materials, 容缺),
    not granted after review (13), withdrawn (14); a refusal at intake (its code, 5, was said
    when it was refused: the case was never reviewed) and a termination (the applicant did not
    answer in time) have none."""
    if kind == "result":
        return 12 if accepted_on_promise else 11
    if kind == "refusal" and not accepted:
        return None
    return {"refusal": 13, "withdrawal": 14}.get(kind)


Made = tuple[str, "str | None", "str | None", dict[str, Any]]  # type, step, department, data


def status_events(after: Case, notified: int, events: Sequence[Event],
                  workflow: Workflow) -> list[StatusEvent]:
    """The status events of a change that left the case as ``after``, writing ``events``,
    numbered after the ``notified`` status events the case had before."""
    if not events:
        return []
    made: list[tuple[int, Made]] = []
    for event in events:
        made += [(event.seq, one) for one in _of(event, after, workflow)]
    return [StatusEvent(after.id, notified + i, events[0].at, kind, _code(kind, data),
                        after.workflow_id, after.workflow_version, step, department, data,
                        source)
            for i, (source, (kind, step, department, data)) in enumerate(made, start=1)]


def _code(kind: str, data: dict[str, Any]) -> int | None:
    if kind == "delivered":
        return delivered_code(data["kind"], bool(data.get("accepted_on_promise")),
                              bool(data.get("accepted", True)))
    return TYPES[kind]


def _names(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]


def _department(event: Event, workflow: Workflow) -> str | None:
    """Who decided: the acting officer's department, else the step's own."""
    role, _, department = actor_parts(event.actor)
    if department and role in ("department", "supervisor"):
        return department
    if event.step is not None:
        try:
            return workflow.step(event.step).department
        except KeyError:
            return None
    return workflow.lead


def _of(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    rule = _RULES.get(event.action)
    if rule is None:
        if event.step is not None and event.action not in _INSIDE:
            # a decision under a named outcome (``outcomes:``) of a step
            return [("item_decided", event.step, _department(event, workflow),
                     {"outcome": event.action})]
        return []
    return rule(event, after, workflow)


def _lead(kind: str, data: dict[str, Any] | None = None) -> Callable[..., list[Made]]:
    def made(event: Event, after: Case, workflow: Workflow) -> list[Made]:
        return [(kind, None, workflow.lead, dict(data or {}))]
    return made


def _submitted(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    data = event.data
    return [("submitted", None, workflow.lead,
             {"green_channel": bool(data.get("green_channel")),
              "promised": _names(data.get("promised", ()))})]


def _intake_asked(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    notice = event.data.get("notice") or {}
    items = [{"item": str(i.get("item")), "kind": str(i.get("kind"))}
             for i in notice.get("items", ()) if isinstance(i, dict)]
    return [("intake_correction_requested", None, workflow.lead,
             {"items": items, "answer_by": notice.get("answer_by")})]


def _answered(kind: str) -> Callable[..., list[Made]]:
    def made(event: Event, after: Case, workflow: Workflow) -> list[Made]:
        data = {"fields": _names(event.data.get("fields", ())),
                "materials": _names(event.data.get("materials", ()))}
        said: list[Made] = [(kind, None, workflow.lead, data)] if event.step is None else \
            [(kind, event.step, _step_department(event.step, workflow), data)]
        released = event.data.get("promises_released")
        if released:  # the correction ended the promises too: as when the applicant brings them
            said.append(("promise_kept", None, workflow.lead, {"materials": _names(released)}))
        return said
    return made


def _step_department(step: str, workflow: Workflow) -> str | None:
    try:
        return workflow.step(step).department
    except KeyError:
        return None


def _accepted(kind: str) -> Callable[..., list[Made]]:
    def made(event: Event, after: Case, workflow: Workflow) -> list[Made]:
        receipt = event.data.get("receipt") or {}
        limits = receipt.get("limits") or {}
        return [(kind, None, workflow.lead,
                 {"committed_due": limits.get("committed_due"),
                  "statutory_due": limits.get("statutory_due"),
                  "promised": _names(receipt.get("promised", ()))})]
    return made


def _on_step(kind: str, keys: Callable[[Event], dict[str, Any]] | None = None
             ) -> Callable[..., list[Made]]:
    def made(event: Event, after: Case, workflow: Workflow) -> list[Made]:
        data = keys(event) if keys is not None else {}
        return [(kind, event.step, _department(event, workflow), data)]
    return made


def _correction_requested(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    if event.step in workflow.correction_groups:
        return []  # a block that asks together: the applicant is asked by its one notice
    return [("correction_requested", event.step, _department(event, workflow), {})]


def _correction_notice(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    return [("correction_requested", step, _step_department(step, workflow),
             {"block": event.data.get("block")}) for step in event.data.get("steps", ())]


def _special(event: Event) -> dict[str, Any]:
    found = event.data.get("special_procedure") or {}
    return {k: found[k] for k in ("kind", "expected", "expected_end", "on_time") if k in found}


def _decided(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    data: dict[str, Any] = {"outcome": event.action}
    if "verify_by" in event.data:
        data["verify_by"] = event.data["verify_by"]
    return [("item_decided", event.step, _department(event, workflow), data)]


def _extended(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    department = _department(event, workflow) if event.step else workflow.lead
    return [("extended", event.step, department,
             {"by": event.data.get("by"), "due": event.data.get("due")})]


def _escalated(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    data: dict[str, Any] = {k: event.data[k] for k in ("action", "to", "clock", "due",
                                                       "milestone") if k in event.data}
    department = _step_department(event.step, workflow) if event.step else workflow.lead
    return [("escalated", event.step, department, data)]


def _signal(kind: str) -> Callable[..., list[Made]]:
    def made(event: Event, after: Case, workflow: Workflow) -> list[Made]:
        department = _step_department(event.step, workflow) if event.step else workflow.lead
        return [(kind, event.step, department,
                 {k: event.data[k] for k in ("clock", "due", "materials") if k in event.data})]
    return made


def _delivered(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    case_clock = after.clocks.get("case") or ClockRecord()
    return [("delivered", None, workflow.lead,
             {"kind": event.data.get("kind"), "method": event.data.get("method"),
              "accepted": after.accepted_at is not None,
              "accepted_on_promise": bool(case_clock.get("on_promise"))})]


def _evaluated(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    made: list[Made] = [("evaluated", None, workflow.lead,
                         {"rating": event.data.get("rating")})]
    if event.data.get("follow_up"):
        made.append(("follow_up_opened", None, workflow.lead,
                     {"follow_up": event.data["follow_up"], "why": "evaluation"}))
    return made


def _commitment(event: Event, after: Case, workflow: Workflow) -> list[Made]:
    department = _department(event, workflow)
    if event.data.get("ok"):
        return [("commitment_verified", event.step, department, {})]
    made: list[Made] = [("commitment_revoked", event.step, department, {})]
    if event.data.get("follow_up"):
        made.append(("follow_up_opened", event.step, department,
                     {"follow_up": event.data["follow_up"], "why": "revocation"}))
    return made


#: history lines of inside work: never a status change for the people outside
_INSIDE = frozenset({
    "signed_off", "claimed", "released", "assigned", "reassigned", "refused_attempt",
    "agent_authorized", "migrated", "erased", "milestone", "calendar_refreshed", "deliver",
    "withdraw", "send_back", "opened", "child_delivered",
})

_RULES: dict[str, Callable[..., list[Made]]] = {
    "submit": _submitted,
    "request_intake_correction": _intake_asked,
    "supplement_intake": _answered("intake_correction_answered"),
    "accept": _accepted("accepted"),
    "deemed_acceptance": _accepted("deemed_accepted"),
    "refuse_intake": _lead("intake_refused"),
    "intake_correction_expired": _lead("correction_unanswered", {"at": "intake"}),
    "supplement_material": lambda event, after, workflow: [
        ("promise_kept", None, workflow.lead,
         {"materials": _names(event.data.get("materials", ()))})],
    "promise_expired": _lead("promise_missed"),
    "request_correction": _correction_requested,
    "correction_notice": _correction_notice,
    "supplement": _answered("correction_supplemented"),
    "correction_expired": _on_step("correction_unanswered", lambda e: {"at": "step"}),
    "start_special_procedure": _on_step("special_procedure_started", _special),
    "end_special_procedure": _on_step("special_procedure_ended", _special),
    "approve": _decided,
    "approve_on_commitment": _decided,
    "deemed_approval": _decided,
    "refuse": _decided,
    "revoke_commitment": _on_step("commitment_revoked"),
    "commitment_confirmed": _commitment,
    "commitment_revoked": _commitment,
    "extended": _extended,
    "escalated": _escalated,
    "warning": _signal("warning"),
    "overdue": _signal("overdue"),
    "promise_due_soon": _signal("promise_due_soon"),
    "delivered": _delivered,
    "evaluated": _evaluated,
}
