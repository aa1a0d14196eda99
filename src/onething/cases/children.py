"""子流程: what a child case is filled with, and how its parent's step is decided from the
children's deliveries (pure functions over case data; the engine opens and settles)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onething.errors import ActionRefused
from onething.language.model import Workflow
from onething.language.step_keys import ITEM_PREFIX, Opens

#: the record of a step whose children have not all delivered
WAITING = "waiting"


def fill(opens: Opens, form: Mapping[str, Any], materials: Mapping[str, Any],
         child_fields: frozenset[str], item: object = None) -> tuple[dict[str, Any],
                                                                      dict[str, Any]]:
    """The form and materials of one child: each of its names filled from this case's field
    or material, or from ``item`` (``item`` itself or ``item.<field>``)."""
    values: dict[str, Any] = {}
    documents: dict[str, Any] = {}
    for name, source in opens.form:
        if source == ITEM_PREFIX and item is not None and not isinstance(item, Mapping):
            value: Any = item
        elif source.startswith(ITEM_PREFIX + ".") and isinstance(item, Mapping):
            value = item.get(source[len(ITEM_PREFIX) + 1:])
        else:
            value = form.get(source, materials.get(source))
        if value is None:
            continue
        if name in child_fields:
            values[name] = value
        else:
            documents[name] = dict(value) if isinstance(value, Mapping) else value
    return values, documents


def check_unchanged(workflow: Workflow, outcomes: Mapping[str, Mapping[str, Any]],
                    before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """Refuse a correction that changes a field or material (``before`` → ``after``: the
    form and materials together) some waiting step passed on to its children: they were
    opened with it, and the step would be decided on children of another form."""
    for sid in workflow.opening_steps:
        if (outcomes.get(sid) or {}).get("outcome") != WAITING:
            continue
        step = workflow.step(sid)
        assert step.opens is not None
        names = {src for _, src in step.opens.form if not src.startswith(ITEM_PREFIX)}
        names |= {step.foreach} if step.foreach else set()
        changed = sorted(n for n in names if before.get(n) != after.get(n))
        if changed:
            raise ActionRefused(f"'{changed[0]}' was passed on to the child cases '{sid}' "
                                "opened, which are running: a correction may not change it",
                                "correct it in the child cases, or withdraw and apply again",
                                code="refused.field.passed_to_children", subject=changed[0],
                                params={"step": sid})


def verdict(waits_for: str, children: list[str], ended: Mapping[str, str]) -> str | None:
    """``approve`` or ``refuse`` once the children's deliveries decide the step, else None:
    waiting for results, the first child that ends without one refuses it; waiting for
    deliveries, it is approved when every child has delivered."""
    if waits_for == "result" and any(kind != "result" for kind in ended.values()):
        return "refuse"
    if all(child in ended for child in children):
        return "approve"
    return None


def reason(children: list[str], ended: Mapping[str, str]) -> str:
    """What the parent's decision says of its children (their ids and delivery kinds)."""
    return "; ".join(f"子流程 {child}: {ended[child]}" for child in children if child in ended)


__all__ = ["WAITING", "check_unchanged", "fill", "reason", "verdict"]
