"""子流程: what a child case is filled with, and how its parent's step is decided from the
children's deliveries (pure functions over case data; the engine opens and settles)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


__all__ = ["WAITING", "fill", "reason", "verdict"]
