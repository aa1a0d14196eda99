"""Evaluating a condition on a form's clean values (an absent value makes every comparison
false)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from onething.language.conditions.nodes import (
    And,
    Compare,
    Const,
    Expr,
    LiteralValue,
    Member,
    Not,
    Truth,
)

_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def evaluate(expr: Expr, form: Mapping[str, object]) -> bool:
    """Whether a condition holds for clean form values (absent fields: see the module doc)."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Truth):
        return form.get(expr.field) is True
    if isinstance(expr, Compare):
        return _compare(form.get(expr.field), expr.op, expr.value)
    if isinstance(expr, Member):
        actual = form.get(expr.field)
        if actual is None:
            return False
        return any(_equal(actual, value) for value in expr.values) != expr.negated
    if isinstance(expr, Not):
        return not evaluate(expr.operand, form)
    if isinstance(expr, And):
        return all(evaluate(item, form) for item in expr.items)
    return any(evaluate(item, form) for item in expr.items)


def _compare(actual: object, op: str, literal: LiteralValue) -> bool:
    if literal is None:
        return (actual is None) == (op == "==") if op in ("==", "!=") else False
    if actual is None:
        return False
    if op == "==":
        return _equal(actual, literal)
    if op == "!=":
        return not _equal(actual, literal)
    value = _as_comparable(actual, literal)
    if value is None or isinstance(actual, bool) != isinstance(value, bool):
        return False
    try:
        return _ORDERINGS[op](actual, value)
    except TypeError:
        return False


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _as_comparable(actual: object, literal: LiteralValue) -> object:
    if isinstance(actual, date) and isinstance(literal, str):
        return _parse_date(literal)
    return literal


def _equal(actual: object, literal: LiteralValue) -> bool:
    value = _as_comparable(actual, literal)
    if value is None or isinstance(actual, bool) != isinstance(value, bool):
        return False
    return bool(actual == value)


def _parse_date(text: str) -> date | None:
    if not _DATE_TEXT.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
