"""Literals read the way values are: a literal a field is compared with for equality (``==``,
``!=``, ``in``, ``not in``) must be a value the field can hold, and is normalised as a
submitted value is (``+86 138 0013 8000`` is the phone number ``13800138000``, an identity
number's ``x`` is ``X``), so that what the proof explores and what the engine evaluates agree.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from onething.errors import ValueProblem
from onething.language.conditions.nodes import (
    And,
    Compare,
    Expr,
    ExprProblem,
    FieldInfo,
    LiteralValue,
    Member,
    Not,
    Or,
    _render_literal,
)
from onething.language.values import clean_value
from onething.privacy.masking import mask_text

#: types whose submitted text is rewritten (spaces, prefixes, letter case) before it is kept
_NORMALISED = frozenset({"phone", "id_card", "uscc"})


def equality_problem(field: str, info: FieldInfo, value: LiteralValue,
                     offset: int) -> ExprProblem | None:
    """A problem when no value ``field`` accepts can equal the (well-typed) ``value``."""
    if value is None or info.type == "enum":  # enum values: typechecking names the choices
        return None
    if isinstance(value, str) and not value.strip():
        return ExprProblem(
            "impossible-literal",
            f"{field!r} is never {_render_literal(value)}: a blank answer counts as no answer",
            offset, f"to test that it was left out, write '{field} == null'")
    try:
        clean_value(info.type, value, values=info.values, minimum=info.minimum,
                    maximum=info.maximum, personal=info.type in _NORMALISED)
    except ValueProblem as exc:
        shown = mask_text(_render_literal(value))
        return ExprProblem(
            "impossible-literal",
            f"no value of {field!r} can equal {shown}: {exc.message}",
            offset, exc.hint or "compare with a value the field accepts")
    return None


def normalised(expr: Expr, types: Mapping[str, FieldInfo]) -> Expr:
    """``expr`` with every equality literal of a phone, identity-number or credit-code field
    in the form submission keeps (``expr`` must type-check without problems)."""
    if isinstance(expr, Compare):
        info = types.get(expr.field)
        if info is not None and info.type in _NORMALISED and isinstance(expr.value, str):
            return attrs.evolve(expr, value=_clean(info, expr.value))
        return expr
    if isinstance(expr, Member):
        info = types.get(expr.field)
        if info is not None and info.type in _NORMALISED:
            return attrs.evolve(expr, values=tuple(
                _clean(info, v) if isinstance(v, str) else v for v in expr.values))
        return expr
    if isinstance(expr, Not):
        return attrs.evolve(expr, operand=normalised(expr.operand, types))
    if isinstance(expr, (And, Or)):
        return attrs.evolve(expr, items=tuple(normalised(item, types) for item in expr.items))
    return expr


def _clean(info: FieldInfo, value: str) -> str:
    clean = clean_value(info.type, value, personal=True)
    assert isinstance(clean, str)
    return clean


__all__ = ["equality_problem", "normalised"]
