"""The form space the proof explores: one representative valuation per combination of condition
outcomes (cells)."""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

from onething.errors import TooManyCells
from onething.language.conditions.evaluation import _parse_date, evaluate
from onething.language.conditions.nodes import (
    Compare,
    Expr,
    FieldInfo,
    LiteralValue,
    Member,
    _walk,
    fields,
)
from onething.language.conditions.typechecking import _is_int
from onething.privacy.numbers import id_card_check_char, uscc_check_char


def cells(
    exprs: Sequence[Expr], types: Mapping[str, FieldInfo], *, limit: int = 100_000
) -> list[dict[str, object]]:
    """Assignments to the fields of ``exprs`` that realise every possible truth vector.

    Every assignment of real values to those fields (enum fields: their values;
    ``None`` only for nullable fields) gives ``exprs`` the same truth values as
    at least one returned assignment, and no two returned assignments give the
    same truth values.  ``exprs`` should typecheck against ``types``; every
    field they mention must be in ``types``.  Raises :class:`TooManyCells` when
    more than ``limit`` combinations would have to be tried.
    """
    names = sorted(set().union(*(fields(expr) for expr in exprs)))
    constants = _constants(exprs)
    choices = [_representatives(_info(name, types), constants.get(name, [])) for name in names]
    count = math.prod(len(choice) for choice in choices)
    if count > limit:
        raise TooManyCells(count, limit)
    found: dict[tuple[bool, ...], dict[str, object]] = {}
    for combination in itertools.product(*choices):
        form = dict(zip(names, combination, strict=True))
        found.setdefault(tuple(evaluate(expr, form) for expr in exprs), form)
    return list(found.values())


def _info(name: str, types: Mapping[str, FieldInfo]) -> FieldInfo:
    if name not in types:
        raise ValueError(f"field {name!r} is not declared")
    return types[name]


def _constants(exprs: Iterable[Expr]) -> dict[str, list[LiteralValue]]:
    found: dict[str, list[LiteralValue]] = {}
    for expr in exprs:
        for node in _walk(expr):
            if isinstance(node, Compare) and node.value is not None:
                found.setdefault(node.field, []).append(node.value)
            elif isinstance(node, Member):
                found.setdefault(node.field, []).extend(node.values)
    return found


def _representatives(info: FieldInfo, constants: list[LiteralValue]) -> list[object]:
    kind = info.type
    if kind == "bool":
        chosen: list[object] = [True, False]
    elif kind == "enum" and info.values:
        chosen = list(info.values)
    elif kind == "int":
        chosen = _int_representatives(constants)
    elif kind == "decimal":
        chosen = _decimal_representatives(constants)
    elif kind == "date":
        chosen = _date_representatives(constants)
    else:
        chosen = _text_representatives(kind, constants)
    return chosen + [None] if info.nullable else chosen


def _unique(values: Iterable[object]) -> list[object]:
    seen: list[object] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _numbers(constants: Iterable[LiteralValue]) -> list[Decimal]:
    return sorted(
        {Decimal(value) for value in constants if _is_int(value) or isinstance(value, Decimal)}
    )


def _int_representatives(constants: list[LiteralValue]) -> list[object]:
    points: list[object] = []
    for number in _numbers(constants):
        low, high = math.floor(number), math.ceil(number)
        points.extend((low - 1, low, high, high + 1))
    return _unique(points) or [0]


def _decimal_representatives(constants: list[LiteralValue]) -> list[object]:
    numbers = _numbers(constants)
    if not numbers:
        return [Decimal(0)]
    middles = [(low + high) / 2 for low, high in itertools.pairwise(numbers)]
    return _unique([numbers[0] - 1, *numbers, *middles, numbers[-1] + 1])


def _date_representatives(constants: list[LiteralValue]) -> list[object]:
    days = sorted(
        {day for value in constants if isinstance(value, str) and (day := _parse_date(value))}
    )
    points: list[object] = []
    for day in days:
        points.extend(_neighbours(day))
    return _unique(points) or [date(2000, 1, 1)]


def _neighbours(day: date) -> list[date]:
    found = [day]
    for step in (-1, 1):
        with contextlib.suppress(OverflowError):
            found.append(day + timedelta(days=step))
    return found


def _text_representatives(kind: str, constants: list[LiteralValue]) -> list[object]:
    texts = _unique(value for value in constants if isinstance(value, str))
    return [*texts, _fresh_text(kind, set(texts))]


def _fresh_text(kind: str, taken: set[object]) -> str:
    for number in itertools.count():
        if kind == "phone":
            candidate = f"138{number:08d}"
        elif kind == "id_card":
            body = f"11010119900101{number % 1000:03d}"
            candidate = body + id_card_check_char(body)
        elif kind == "uscc":
            body = f"91110000MA{number:07d}"
            candidate = body + uscc_check_char(body)
        else:
            candidate = f"other{number}" if number else "other"
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")
