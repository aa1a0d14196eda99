"""Type checking a condition against the form's fields: unknown fields, operators and literals that
cannot match the field's type."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from difflib import get_close_matches
from typing import TypeGuard

from onething.language.conditions.evaluation import _parse_date
from onething.language.conditions.literals import equality_problem
from onething.language.conditions.nodes import (
    Compare,
    Expr,
    ExprProblem,
    FieldInfo,
    LiteralValue,
    Member,
    Truth,
    _describe_literal,
    _render_literal,
    _walk,
)

_STRING_LIKE = frozenset({"string", "id_card", "phone", "enum", "uscc"})


_EQUALITY_OPS = frozenset({"==", "!="})


_ORDERED_TYPES = frozenset({"int", "decimal", "date"})


def typecheck(expr: Expr, types: Mapping[str, FieldInfo]) -> list[ExprProblem]:
    """Problems with how a condition uses the form's fields (empty when it is well typed)."""
    problems: list[ExprProblem] = []
    for node in _walk(expr):
        if isinstance(node, (Truth, Compare, Member)):
            problems.extend(_check_node(node, types))
    return problems


def _check_node(
    node: Truth | Compare | Member, types: Mapping[str, FieldInfo]
) -> list[ExprProblem]:
    info = types.get(node.field)
    if info is None:
        return [_unknown_field(node, types)]
    if isinstance(node, Truth):
        return _check_truth(node, info)
    if isinstance(node, Compare):
        return _check_compare(node, info)
    return _check_member(node, info)


def _unknown_field(node: Truth | Compare | Member, types: Mapping[str, FieldInfo]) -> ExprProblem:
    close = get_close_matches(node.field, list(types), n=1)
    hint = f"did you mean {close[0]!r}?" if close else "declare it among the form's fields"
    return ExprProblem("unknown-field", f"unknown field {node.field!r}", node.offset, hint)


def _mismatch(message: str, offset: int, hint: str = "") -> ExprProblem:
    return ExprProblem("type-mismatch", message, offset, hint)


def _check_truth(node: Truth, info: FieldInfo) -> list[ExprProblem]:
    if info.type == "bool":
        return []
    hint = (
        f"to test whether it is filled in, write '{node.field} != null'"
        if info.nullable
        else f"compare it with a value, e.g. '{node.field} == ...'"
    )
    return [
        _mismatch(
            f"{node.field!r} is a {info.type} field; only bool fields stand alone as conditions",
            node.offset,
            hint,
        )
    ]


def _check_compare(node: Compare, info: FieldInfo) -> list[ExprProblem]:
    if node.value is None:
        return _check_null(node, info)
    if info.type == "list":
        return [_list_read(node.field, node.offset)]
    if node.op not in _EQUALITY_OPS and info.type not in _ORDERED_TYPES:
        return [_op_mismatch(node.field, node.op, info, node.offset)]
    problem = _check_literal(node.field, info, node.value, node.value_offset)
    if problem is None and node.op in _EQUALITY_OPS:
        problem = equality_problem(node.field, info, node.value, node.value_offset)
    return [problem] if problem else []


def _list_read(field: str, offset: int) -> ExprProblem:
    return _mismatch(f"{field!r} is a list field; a condition only asks whether it was given",
                     offset, f"write '{field} != null' (at least one item) or "
                     f"'{field} == null'; a step decides its items with 'foreach: {field}'")


def _check_member(node: Member, info: FieldInfo) -> list[ExprProblem]:
    if info.type == "list":
        return [_list_read(node.field, node.offset)]
    if info.type == "bool":
        spelled = "not in" if node.negated else "in"
        return [_op_mismatch(node.field, spelled, info, node.offset)]
    offsets = node.value_offsets or (node.offset,) * len(node.values)
    checked = (
        _check_literal(node.field, info, value, offset)
        or equality_problem(node.field, info, value, offset)
        for value, offset in zip(node.values, offsets, strict=False)
    )
    return [problem for problem in checked if problem]


def _check_null(node: Compare, info: FieldInfo) -> list[ExprProblem]:
    if node.op not in _EQUALITY_OPS:
        return [
            _mismatch(
                f"null can only be compared with == or !=, not {node.op!r}",
                node.value_offset,
                f"write '{node.field} == null' or '{node.field} != null'",
            )
        ]
    if not info.nullable:
        return [
            _mismatch(
                f"{node.field!r} is never null",
                node.value_offset,
                "the field is required or has a default",
            )
        ]
    return []


def _op_mismatch(field: str, op: str, info: FieldInfo, offset: int) -> ExprProblem:
    allowed = "==, !=, in and not in"
    if info.type == "bool":
        allowed = f"'{field}' alone, 'not {field}', or == true / false"
    return _mismatch(
        f"{op!r} does not apply to {info.type} field {field!r}",
        offset,
        f"{info.type} fields support {allowed}",
    )


def _check_literal(
    field: str, info: FieldInfo, value: LiteralValue, offset: int
) -> ExprProblem | None:
    kind = info.type
    if kind == "bool":
        ok, hint = isinstance(value, bool), f"write '{field}', 'not {field}' or '{field} == true'"
    elif kind == "int":
        ok, hint = _is_int(value), "int fields hold whole numbers, e.g. 12"
    elif kind == "decimal":
        ok, hint = _is_int(value) or isinstance(value, Decimal), "write a number, e.g. 0.5"
    elif kind == "date":
        return _check_date_literal(field, value, offset)
    elif kind in _STRING_LIKE:
        ok, hint = isinstance(value, str), f"quote the value, e.g. {field} == '...'"
    else:
        return None
    if not ok:
        return _mismatch(
            f"{field!r} is a{'n' if kind[0] in 'aeiou' else ''} {kind} field but is compared "
            f"with {_describe_literal(value)}",
            offset,
            hint,
        )
    return _check_enum_value(field, info, value, offset) if kind == "enum" else None


def _is_int(value: LiteralValue) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_date_literal(field: str, value: LiteralValue, offset: int) -> ExprProblem | None:
    hint = f"write the date as text, e.g. {field} >= '2024-01-01'"
    if not isinstance(value, str):
        return _mismatch(
            f"{field!r} is a date field but is compared with {_describe_literal(value)}",
            offset,
            hint,
        )
    if _parse_date(value) is None:
        return _mismatch(f"{_render_literal(value)} is not a valid YYYY-MM-DD date", offset, hint)
    return None


def _check_enum_value(
    field: str, info: FieldInfo, value: LiteralValue, offset: int
) -> ExprProblem | None:
    if info.values is None or value in info.values:
        return None
    listing = ", ".join(_render_literal(item) for item in info.values)
    close = get_close_matches(str(value), list(info.values), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return _mismatch(
        f"{_render_literal(value)} is not a value of enum field {field!r}",
        offset,
        f"{hint}values: {listing}",
    )
