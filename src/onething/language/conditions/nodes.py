"""The condition language's syntax tree: literals, comparisons, membership, not/and/or; walking and
printing it."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol, TypeAlias

import attrs

LiteralValue: TypeAlias = int | Decimal | str | bool | None




def _offset() -> int:
    return attrs.field(default=0, eq=False, kw_only=True)


@attrs.frozen
class Const:
    """``true`` or ``false`` standing alone."""

    value: bool
    offset: int = _offset()


@attrs.frozen
class Truth:
    """A bare bool field, true when the field's value is true."""

    field: str
    offset: int = _offset()


@attrs.frozen
class Compare:
    """``field op value``; ``offset`` is the field's, ``value_offset`` the literal's."""

    field: str
    op: str
    value: LiteralValue
    offset: int = _offset()
    value_offset: int = _offset()


@attrs.frozen
class Member:
    """``field in [values]`` or, when ``negated``, ``field not in [values]``."""

    field: str
    values: tuple[LiteralValue, ...]
    negated: bool = False
    offset: int = _offset()
    value_offsets: tuple[int, ...] = attrs.field(default=(), eq=False, kw_only=True)


@attrs.frozen
class Not:
    """``not operand``."""

    operand: Expr
    offset: int = _offset()


@attrs.frozen
class And:
    """``items[0] and items[1] and ...``."""

    items: tuple[Expr, ...]
    offset: int = _offset()


@attrs.frozen
class Or:
    """``items[0] or items[1] or ...``."""

    items: tuple[Expr, ...]
    offset: int = _offset()


Expr: TypeAlias = Const | Truth | Compare | Member | Not | And | Or


@attrs.frozen
class ExprProblem:
    """A type problem in a parsed condition: ``code`` is ``unknown-field`` or ``type-mismatch``."""

    code: str
    message: str
    offset: int
    hint: str = ""


class FieldInfo(Protocol):
    """What the condition checker needs to know about a form field."""

    @property
    def type(self) -> str:
        """The field's type (``string``, ``int``, ``enum``, ...)."""
        ...

    @property
    def values(self) -> tuple[str, ...] | None:
        """An enum field's allowed values (None for other types)."""
        ...

    @property
    def nullable(self) -> bool:
        """Whether the field may be absent."""
        ...

    @property
    def minimum(self) -> object:
        """The smallest value an int, decimal or date field accepts (None: no bound)."""
        ...

    @property
    def maximum(self) -> object:
        """The largest value an int, decimal or date field accepts (None: no bound)."""
        ...


def _walk(expr: Expr) -> Iterator[Expr]:
    yield expr
    if isinstance(expr, Not):
        yield from _walk(expr.operand)
    elif isinstance(expr, (And, Or)):
        for item in expr.items:
            yield from _walk(item)


def fields(expr: Expr) -> frozenset[str]:
    """The names of the form fields a condition mentions."""
    return frozenset(
        node.field for node in _walk(expr) if isinstance(node, (Truth, Compare, Member))
    )


def _render_literal(value: LiteralValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _describe_literal(value: LiteralValue) -> str:
    if isinstance(value, bool) or value is None:
        return _render_literal(value)
    if isinstance(value, str):
        return f"the text {_render_literal(value)}"
    return f"the number {_render_literal(value)}"


def to_text(expr: Expr) -> str:
    """The canonical text of a condition; ``parse(to_text(e)) == e``."""
    if isinstance(expr, Const):
        return _render_literal(expr.value)
    if isinstance(expr, Truth):
        return expr.field
    if isinstance(expr, Compare):
        return f"{expr.field} {expr.op} {_render_literal(expr.value)}"
    if isinstance(expr, Member):
        listed = ", ".join(_render_literal(value) for value in expr.values)
        return f"{expr.field} {'not in' if expr.negated else 'in'} [{listed}]"
    if isinstance(expr, Not):
        return "not " + _wrapped(expr.operand, (And, Or))
    joiner, nested = (" and ", (And, Or)) if isinstance(expr, And) else (" or ", (Or,))
    return joiner.join(_wrapped(item, nested) for item in expr.items)


def _wrapped(expr: Expr, needs_parens: tuple[type, ...]) -> str:
    text = to_text(expr)
    return f"({text})" if isinstance(expr, needs_parens) else text
