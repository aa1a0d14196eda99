"""The form space the proof explores: one accepted form per combination of condition outcomes
(a *cell*), and only forms the engine accepts (``form_check`` is the one definition).

For each field a condition mentions, a few *representative* values are tried: the literals the
conditions compare it with and their neighbours, its ``min`` and ``max`` and the limits of its
type — every region of values the conditions can tell apart, as far as it holds a value the
field accepts. Fields whose ``required_if`` decides whether they may be absent bring the fields
that condition reads. A combination is kept only when :func:`form_check.accepts` accepts it (its
other fields filled with values they accept, which never changes the verdict: every field
accepts some value).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, localcontext
from typing import TypeVar

import attrs

from onething.errors import TooManyCells, ValueProblem
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
from onething.language.form_check import accepts, blank, clean_list
from onething.language.model import Field, Form
from onething.language.values import DECIMAL_LIMIT, DECIMAL_STEP, INT_LIMIT, clean_value
from onething.privacy.numbers import id_card_check_char, uscc_check_char

#: a space of forms: a workflow's form (with every rule of submission), or bare field
#: descriptions (each field on its own, for conditions outside a workflow)
Space = Form | Mapping[str, FieldInfo]


def cells(exprs: Sequence[Expr], space: Space, *, extra: Mapping[str, FieldInfo] | None = None,
          limit: int = 100_000) -> list[dict[str, object]]:
    """Accepted forms, restricted to the fields ``exprs`` depend on, that realise every truth
    vector of ``exprs`` some accepted form realises — each exactly once.

    ``extra`` names free fields outside the form (the proof's ``materials.promised``): any of
    their values goes with any form. Conditions that read no field in common (nor through a
    ``required_if``) are enumerated apart and their cells combined, so representatives of
    unrelated fields are never multiplied. Raises :class:`TooManyCells` when there are more
    than ``limit`` cells (its ``count`` is the real number), or when one group of related
    fields has more than :data:`ENUMERATION_LIMIT` combinations of representatives to try.
    """
    groups = cell_groups(exprs, space, extra=extra)
    count = math.prod(len(group.cells) for group in groups)
    if count > limit:
        raise TooManyCells(count, limit)
    return [{k: v for part in combination for k, v in part.items()}
            for combination in itertools.product(*(group.cells for group in groups))]


@attrs.frozen
class CellGroup:
    """Conditions that read fields no other group reads: their fields, and one accepted
    (partial) form per combination of their outcomes. The whole form space is the product of
    the groups' cells."""

    fields: tuple[str, ...]
    cells: list[dict[str, object]]


def cell_groups(exprs: Sequence[Expr], space: Space, *,
                extra: Mapping[str, FieldInfo] | None = None) -> list[CellGroup]:
    """:func:`cells` before the groups are multiplied: each group of related conditions with
    its own cells (raises :class:`TooManyCells` when one group has more than
    :data:`ENUMERATION_LIMIT` combinations of representatives to try)."""
    infos = _infos(space, extra)
    return [CellGroup(tuple(names),
                      _group_cells([exprs[i] for i in members], names, space, infos, extra))
            for members, names in _groups(exprs, space, infos)]


#: the most combinations of representatives tried for one group of related fields
ENUMERATION_LIMIT = 1_000_000


def _groups(exprs: Sequence[Expr], space: Space, infos: Mapping[str, FieldInfo]
            ) -> list[tuple[list[int], list[str]]]:
    """The conditions in groups that share no field (a ``required_if`` links the fields it
    reads to its own): each group with its conditions' indices and its fields."""
    reads = [set(_relevant(set(fields(expr)), space, infos)) for expr in exprs]
    owner: dict[str, int] = {}
    parent = list(range(len(exprs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for index, names in enumerate(reads):
        for name in names:
            if name in owner:
                parent[root(index)] = root(owner[name])
            else:
                owner[name] = index
    members: dict[int, list[int]] = {}
    for index in range(len(exprs)):
        members.setdefault(root(index), []).append(index)
    return [(indices, sorted(set().union(*(reads[i] for i in indices))))
            for indices in members.values()]


def _group_cells(exprs: Sequence[Expr], names: list[str], space: Space,
                 infos: Mapping[str, FieldInfo], extra: Mapping[str, FieldInfo] | None
                 ) -> list[dict[str, object]]:
    literals = constants([*exprs, *_requirements(space, names)])
    choices = [representatives(_info(name, infos), literals.get(name, [])) for name in names]
    tries = math.prod(len(choice) for choice in choices)
    if tries > ENUMERATION_LIMIT:
        raise TooManyCells(tries, ENUMERATION_LIMIT)
    valid = _validity(space, set(names) - set(extra or {}))
    found: dict[tuple[bool, ...], dict[str, object]] = {}
    for combination in itertools.product(*choices):
        form = dict(zip(names, combination, strict=True))
        vector = tuple(evaluate(expr, form) for expr in exprs)
        if vector not in found and valid(form):
            found[vector] = form
    return list(found.values())


def complete(cell: Mapping[str, object], form: Form) -> dict[str, object]:
    """A whole form the engine accepts, holding ``cell``'s values (other fields: a value each
    accepts; free fields outside the form are left out)."""
    names = {f.name for f in form.fields}
    out = {name: value for name, value in cell.items() if name in names}
    for spec in form.fields:
        if spec.name not in out:
            out[spec.name] = _filler(spec)
    return out


def _infos(space: Space, extra: Mapping[str, FieldInfo] | None) -> dict[str, FieldInfo]:
    infos: dict[str, FieldInfo] = (
        {f.name: f for f in space.fields} if isinstance(space, Form) else dict(space))
    infos.update(extra or {})
    return infos


def _info(name: str, infos: Mapping[str, FieldInfo]) -> FieldInfo:
    if name not in infos:
        raise ValueError(f"field {name!r} is not declared")
    return infos[name]


def _relevant(names: set[str], space: Space, infos: Mapping[str, FieldInfo]) -> list[str]:
    """``names`` and, transitively, the fields a relevant field's ``required_if`` reads."""
    if isinstance(space, Form):
        todo = list(names)
        while todo:
            spec = space.field(todo.pop())
            if spec is not None and spec.required_if is not None and spec.default is None:
                for name in fields(spec.required_if.expr) - names:
                    names.add(name)
                    todo.append(name)
    for name in names:
        _info(name, infos)
    return sorted(names)


def _requirements(space: Space, names: Iterable[str]) -> list[Expr]:
    if not isinstance(space, Form):
        return []
    specs = (space.field(name) for name in names)
    return [s.required_if.expr for s in specs if s is not None and s.required_if is not None]


def _validity(space: Space, names: set[str]) -> Callable[[dict[str, object]], bool]:
    if isinstance(space, Form):
        filled = {f.name: _filler(f) for f in space.fields if f.name not in names}

        def whole(form: dict[str, object]) -> bool:
            return accepts(space, {**filled, **{k: form[k] for k in names}})
        return whole
    return lambda form: all(_holds(space[name], form[name]) for name in names)


def _holds(info: FieldInfo, value: object) -> bool:
    """Whether one field on its own accepts ``value`` as its clean value."""
    if value is None:
        return info.nullable
    if blank(value):  # submission reads blank text as no value at all
        return False
    if isinstance(info, Field) and info.type == "list":
        try:
            return clean_list(info, value) == value
        except ValueProblem:
            return False
    try:
        clean = clean_value(info.type, value, values=info.values, minimum=info.minimum,
                            maximum=info.maximum)
    except ValueProblem:
        return False
    return type(clean) is type(value) and clean == value


def _filler(info: FieldInfo) -> object:
    return next(v for v in representatives(info, []) if v is not None and _holds(info, v))


def constants(exprs: Iterable[Expr]) -> dict[str, list[LiteralValue]]:
    """The literals each field is compared with in ``exprs``."""
    found: dict[str, list[LiteralValue]] = {}
    for expr in exprs:
        for node in _walk(expr):
            if isinstance(node, Compare) and node.value is not None:
                found.setdefault(node.field, []).append(node.value)
            elif isinstance(node, Member):
                found.setdefault(node.field, []).extend(node.values)
    return found


def representatives(info: FieldInfo, constants: Sequence[LiteralValue]) -> list[object]:
    """Values of one field, the ones it accepts only, that realise every outcome of comparing
    it with ``constants`` (and None when the field may be absent)."""
    kind = info.type
    if isinstance(info, Field) and kind == "list":
        chosen: list[object] = [_sample_list(info)]
    elif kind == "bool":
        chosen = [True, False]
    elif kind == "enum":
        chosen = list(info.values or ())
    elif kind == "int":
        chosen = _ints(constants, info.minimum, info.maximum)
    elif kind == "decimal":
        chosen = _decimals(constants, info.minimum, info.maximum)
    elif kind == "date":
        chosen = _dates(constants, info.minimum, info.maximum)
    else:
        chosen = _texts(kind, constants)
    chosen = [value for value in _unique(chosen) if _holds(info, value)]
    return chosen + [None] if info.nullable else chosen


def _sample_list(spec: Field) -> list[object]:
    """A list a list field accepts: its fewest items (at least one), each filled in. A
    condition asks only whether a list was given, so one list stands for every given one."""
    def item() -> object:
        if spec.records:
            return {sub.name: _filler(sub) for sub in spec.items}
        return _filler(spec.items[0])
    return [item() for _ in range(max(spec.min_items, 1))]


def _unique(values: Iterable[object]) -> list[object]:
    seen: list[object] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


_Ordered = TypeVar("_Ordered", int, Decimal, date)


def _clip(points: Sequence[_Ordered], lowest: _Ordered, highest: _Ordered) -> list[_Ordered]:
    """The points within the bounds, and each bound a point fell beyond (the region that point
    stood for begins or ends at that bound)."""
    inside = [p for p in points if lowest <= p <= highest]
    if any(p < lowest for p in points):
        inside.append(lowest)
    if any(p > highest for p in points):
        inside.append(highest)
    return inside


def _numbers(constants: Iterable[LiteralValue]) -> list[Decimal]:
    return sorted({Decimal(value) for value in constants
                   if isinstance(value, (int, Decimal)) and not isinstance(value, bool)})


def _ints(constants: Sequence[LiteralValue], low: object, high: object) -> list[object]:
    """Each constant's floor and ceiling and their neighbours, the bounds (or the type's
    limits): the ends of every region between constants that holds an accepted int."""
    lowest = max(low, -INT_LIMIT) if isinstance(low, int) else -INT_LIMIT
    highest = min(high, INT_LIMIT) if isinstance(high, int) else INT_LIMIT
    points: list[int] = []
    for number in _numbers(constants):
        floor, ceiling = math.floor(number), math.ceil(number)
        points.extend((floor - 1, floor, ceiling, ceiling + 1))
    return list(_clip(points or [0], lowest, highest))


def _decimals(constants: Sequence[LiteralValue], low: object, high: object) -> list[object]:
    """The constants, the accepted value next above and below each, the bounds (or the type's
    limits): one accepted value in every region between constants that holds one."""
    lowest = max(Decimal(low), -DECIMAL_LIMIT) if isinstance(low, (int, Decimal)) \
        else -DECIMAL_LIMIT
    highest = min(Decimal(high), DECIMAL_LIMIT) if isinstance(high, (int, Decimal)) \
        else DECIMAL_LIMIT
    points: list[Decimal] = []
    with localcontext(_EXACT):
        for number in _numbers(constants):
            points.extend((_below(number), number, _above(number)))
    return [_plain(p) for p in _clip(points or [Decimal(0)], lowest, highest)]


#: enough digits that stepping next to any literal is exact (literals are at most 100 chars)
_EXACT = Context(prec=250)


def _above(number: Decimal) -> Decimal:
    """The smallest decimal a field accepts (a multiple of 10**-10) above ``number``."""
    grid = number.quantize(DECIMAL_STEP, rounding=ROUND_FLOOR)
    return grid + DECIMAL_STEP


def _below(number: Decimal) -> Decimal:
    grid = number.quantize(DECIMAL_STEP, rounding=ROUND_CEILING)
    return grid - DECIMAL_STEP


def _plain(number: Decimal) -> Decimal:
    """The clean spelling of an accepted decimal (as submission leaves it)."""
    with contextlib.suppress(ValueProblem):
        clean = clean_value("decimal", number)
        if isinstance(clean, Decimal):
            return clean
    return number


def _dates(constants: Sequence[LiteralValue], low: object, high: object) -> list[object]:
    lowest = low if isinstance(low, date) else date.min
    highest = high if isinstance(high, date) else date.max
    days = sorted({day for value in constants
                   if isinstance(value, str) and (day := _parse_date(value))})
    points: list[date] = []
    for day in days:
        points.extend(_neighbours(day))
    return list(_clip(points or [date(2000, 1, 1)], lowest, highest))


def _neighbours(day: date) -> list[date]:
    found = [day]
    for step in (-1, 1):
        with contextlib.suppress(OverflowError):
            found.append(day + timedelta(days=step))
    return found


def _texts(kind: str, constants: Sequence[LiteralValue]) -> list[object]:
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


__all__ = ["Space", "cells", "complete", "constants", "representatives"]
