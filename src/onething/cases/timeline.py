"""A case's history as short lines a person reads (CLI, demo and examples share it)."""

from __future__ import annotations

from onething.cases.assignment import HOLDING
from onething.cases.records import Event
from onething.cases.step_fields import shown
from onething.privacy.masking import mask_text


def describe(event: Event) -> str:
    """One short phrase for the event's details (names only, never personal values; free text
    such as reasons is shown with identity and phone numbers masked)."""
    return mask_text(_describe(event))


def _describe(event: Event) -> str:
    data = event.data
    parts = []
    if event.action == "submit":
        parts.append(f"{len(data.get('fields', []))} fields, "
                     f"{len(data.get('materials', []))} materials")
        if data.get("promised"):
            parts.append("promised: " + ", ".join(data["promised"]))
    if data.get("reason"):
        parts.append(f"reason: {data['reason']}")
    if data.get("fields") and event.action == "supplement":
        parts.append("changed: " + ", ".join(data["fields"]))
    if data.get("materials") and event.action != "submit":
        parts.append("materials: " + ", ".join(data["materials"]))
    if data.get("method"):
        parts.append(f"by {data['method']}")
    if event.action == "delivered":
        items = data.get("items") or []
        parts.append(f"{data.get('kind')}" + (": " + ", ".join(items) if items else ""))
    if data.get("verify_by"):
        parts.append(f"on commitment, verify by {data['verify_by'][:10]}")
    if "approvals" in data:  # a sign-off round (联合签署, 专家评审, 逐项办理)
        if data.get("signer"):
            parts.append(f"{data.get('vote', event.action)} by {mask_text(data['signer'])}")
        parts.append(f"{data['approvals']} of {data['need']} approvals needed, "
                     f"{data['refusals']} refused")
        cancelled = data.get("cancelled")
        if cancelled:
            parts.append("cancelled: " + (", ".join(cancelled) if isinstance(cancelled, list)
                                          else f"{cancelled} seats"))
    if data.get("set"):  # what the step set (``sets:``): decisions, never personal data
        parts.append("set: " + ", ".join(f"{k}={v}" for k, v in shown(data["set"]).items()))
    if event.action == "send_back":  # 退回重审
        parts.append(f"to {data.get('to')}, again: " + ", ".join(data.get("again", []))
                     + ("; the other branches start over" if data.get("others") == "redo"
                        else ""))
        if data.get("voided"):
            parts.append("voided: " + ", ".join(data["voided"]))
    if event.action == "opened":  # 子流程
        parts.append(f"{len(data.get('children', []))} child case(s) of "
                     f"{data.get('workflow')}: " + ", ".join(data.get("children", [])))
    else:  # child_delivered lists the new deliveries; the step's decision lists them all
        ended = data.get("ended") or data.get("children")
        if isinstance(ended, dict):
            parts.append("children delivered: " + ", ".join(f"{c} {k}"
                                                             for c, k in ended.items()))
    if event.action in HOLDING:  # who holds the step inside its department
        moved = f"{data.get('from')} to {data.get('to')}" if "to" in data \
            else data.get("officer")
        parts.append(f"{data.get('department')}: {moved}")
    if event.action == "correction_notice":
        parts.append("one notice for: " + ", ".join(data.get("steps", [])))
    if data.get("follow_up"):
        parts.append(f"follow-up case {data['follow_up']}")
    if data.get("then"):
        parts.append("then " + ", ".join(_move(m) for m in data["then"]))
    return "; ".join(parts)


def _move(name: str) -> str:
    kind, _, rest = name.partition(":")
    words = {"fork": "all branches of", "join": "joined", "enter": "start", "skip": "skip"}
    if kind.startswith("choice"):
        return f"{kind} arm {rest}"
    return f"{words.get(kind, kind)} {rest}".strip()


def timeline(history: list[Event]) -> list[str]:
    """The whole history, one aligned line per event."""
    lines = []
    actor_width = max((len(e.actor) for e in history), default=0)
    for e in history:
        action = f"{e.action} {e.step}" if e.step else e.action
        lines.append(f"{e.seq:>3}  {e.at:%Y-%m-%d %H:%M}  {mask_text(e.actor):<{actor_width}}  "
                     f"{action:<32} {describe(e)}".rstrip())
    return lines
