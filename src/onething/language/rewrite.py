"""Rewriting every condition of a loaded workflow (the frozen model is rebuilt only where a
condition changed): how literals are normalised once the workflow checks clean."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from onething.language.conditions.literals import normalised
from onething.language.model import Condition, Workflow


def with_conditions(workflow: Workflow, change: Callable[[Condition], Condition]) -> Workflow:
    """``workflow`` with each condition replaced by ``change(condition)``."""
    rewritten: Workflow = _rewrite(workflow, change)
    return rewritten


def normalise_literals(workflow: Workflow) -> Workflow:
    """``workflow`` with its conditions' literals normalised as submitted values are
    (:func:`onething.language.conditions.literals.normalised`)."""
    types: Mapping[str, Any] = workflow.condition_fields
    return with_conditions(
        workflow, lambda c: attrs.evolve(c, expr=normalised(c.expr, types)))


def _rewrite(value: Any, change: Callable[[Condition], Condition]) -> Any:
    if isinstance(value, Condition):
        return change(value)
    if type(value) is tuple:
        items = tuple(_rewrite(item, change) for item in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if attrs.has(type(value)):
        changes = {}
        for field in attrs.fields(type(value)):
            if not field.init:
                continue
            old = getattr(value, field.name)
            new = _rewrite(old, change)
            if new is not old:
                changes[field.alias] = new
        return attrs.evolve(value, **changes) if changes else value
    return value


__all__ = ["normalise_literals", "with_conditions"]
