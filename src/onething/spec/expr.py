"""The condition language of workflow files (``when:``, ``required_if:``).

A condition is parsed by hand, never handed to Python ``eval``.  It compares
form fields with literals::

    needs_invoice
    delivery_method == 'mail'
    investment >= 30000000 and on_key_list
    applicant_type in ['foreign', 'hk_macao']
    not (age < 18 or guardian_consent == false)
    expiry_date != null

LiteralValues are integers (``12``, ``-3``), decimals (``0.5``), strings in single or
double quotes (``\\'``, ``\\"`` and ``\\\\`` are the only escapes), ``true`` /
``false`` (or ``True`` / ``False``), ``null``, and lists of literals after
``in`` / ``not in``.  Operators, from loosest to tightest: ``or``, ``and``,
``not``, then the comparisons ``== != < <= > >= in``, ``not in``.  A bare field
is a condition only for bool fields.  ``3 < x`` is read as ``x > 3``.  Comparing
two fields, arithmetic, function calls and attribute access are not part of the
language.

Evaluation (:func:`evaluate`) takes already-clean values (``bool``, ``int``,
``Decimal``, ``str``, ``date``), with ``None`` or a missing key for an absent
value.  An absent value makes every comparison and membership test false,
``!=`` and ``not in`` included; only ``x == null`` is true of it (and
``x != null`` is false).  A bare field is true only when its value is ``True``.
``not`` is plain boolean negation of its operand's result, so ``not x == 'a'``
is true when ``x`` is absent.  Date fields compare with their literal read as a
``YYYY-MM-DD`` date.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from difflib import get_close_matches
from typing import Protocol, TypeAlias

import attrs

from onething.spec.values import id_card_check_char, uscc_check_char

LiteralValue: TypeAlias = int | Decimal | str | bool | None

COMPARISON_OPS = ("==", "!=", "<", "<=", ">", ">=")
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_KEYWORDS = frozenset({"and", "or", "not", "in"})
_LITERAL_WORDS: dict[str, LiteralValue] = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "null": None,
}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_NUMBER_TAIL = re.compile(r"[A-Za-z0-9_.]*")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FULL_WIDTH = {
    "（": "(", "）": ")", "＝": "=", "，": ",", "‘": "'", "’": "'", "“": '"', "”": '"',
    "＜": "<", "＞": ">", "！": "!", "［": "[", "］": "]", "【": "[", "】": "]",
}  # fmt: skip
_COMPARE_HINT = "e.g. amount > 100, kind == 'a' or kind in ['a', 'b']"


def _not_a_comparison(what: str, offset: int, hint: str = _COMPARE_HINT) -> ExprSyntaxError:
    return ExprSyntaxError(f"conditions compare a field with a literal; {what}", offset, hint)


# --- syntax tree ------------------------------------------------------------


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


class ExprSyntaxError(ValueError):
    """A condition that cannot be parsed; ``offset`` is 0-based within the condition text."""

    def __init__(self, message: str, offset: int, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint


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
    def type(self) -> str: ...

    @property
    def values(self) -> tuple[str, ...] | None: ...

    @property
    def nullable(self) -> bool: ...


class TooManyCells(ValueError):
    """The conditions mention too many fields and constants to enumerate their cases."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} combinations of field values exceed the limit of {limit}")
        self.count = count
        self.limit = limit


# --- tokens -------------------------------------------------------------------


@attrs.frozen
class _Token:
    kind: str
    text: str
    offset: int
    value: LiteralValue = None


_OPERAND_END = frozenset({"ident", "literal", ")", "]"})


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    at = 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        token = _next_token(text, at, tokens[-1] if tokens else None)
        tokens.append(token)
        at = token.offset + len(token.text)
    tokens.append(_Token("eof", "", len(text)))
    return tokens


def _next_token(text: str, at: int, previous: _Token | None) -> _Token:
    char = text[at]
    after_operand = previous is not None and previous.kind in _OPERAND_END
    if char in "()[],":
        return _Token(char, char, at)
    if char in "'\"":
        return _string_token(text, at)
    if _digit_at(text, at) or (char == "-" and _digit_at(text, at + 1) and not after_operand):
        return _number_token(text, at)
    word = _IDENT.match(text, at)
    if word:
        return _word_token(word.group(), at)
    return _operator_token(text, at, previous)


def _digit_at(text: str, at: int) -> bool:
    return at < len(text) and text[at].isascii() and text[at].isdigit()


def _string_token(text: str, start: int) -> _Token:
    quote = text[start]
    chars: list[str] = []
    at = start + 1
    while at < len(text):
        char = text[at]
        if char == quote:
            return _Token("literal", text[start : at + 1], start, "".join(chars))
        if char == "\\" and at + 1 < len(text):
            chars.append(_escape(text, at, quote))
            at += 2
            continue
        chars.append(char)
        at += 1
    raise ExprSyntaxError("unterminated string", start, f"close the string with a matching {quote}")


def _escape(text: str, at: int, quote: str) -> str:
    escaped = text[at + 1]
    if escaped in (quote, "'", '"', "\\"):
        return escaped
    raise ExprSyntaxError(
        f"unknown escape '\\{escaped}'",
        at,
        "inside a string only \\', \\\" and \\\\ are escapes",
    )


def _number_token(text: str, start: int) -> _Token:
    match = _NUMBER.match(text, start)
    assert match is not None
    tail = _NUMBER_TAIL.match(text, match.end())
    if tail and tail.group():
        whole = text[start : tail.end()]
        raise ExprSyntaxError(
            f"malformed number {whole!r}",
            start,
            "numbers look like 12, -3 or 0.5; field names cannot start with a digit",
        )
    digits = match.group()
    value: LiteralValue = Decimal(digits) if "." in digits else int(digits)
    return _Token("literal", digits, start, value)


def _word_token(word: str, start: int) -> _Token:
    if word in _KEYWORDS:
        return _Token("keyword", word, start)
    if word in _LITERAL_WORDS:
        return _Token("literal", word, start, _LITERAL_WORDS[word])
    if word == "None":
        raise ExprSyntaxError("'None' is not a literal here", start, "write 'null'")
    return _Token("ident", word, start)


def _operator_token(text: str, at: int, previous: _Token | None) -> _Token:
    two = text[at : at + 2]
    if two in ("==", "!=", "<=", ">="):
        if text[at : at + 3] == "===":
            raise ExprSyntaxError("'===' is not an operator", at, "write '=='")
        return _Token("op", two, at)
    if text[at] in "<>":
        if two == "<>":
            raise ExprSyntaxError("'<>' is not an operator", at, "write '!='")
        return _Token("op", text[at], at)
    raise _bad_character(text, at, previous)


_MISSPELT_OPERATORS = {
    "=>": ("'=>' is not an operator", "write '>='"),
    "=<": ("'=<' is not an operator", "write '<='"),
    "&&": ("'&&' is not an operator; write 'and'", ""),
    "||": ("'||' is not an operator; write 'or'", ""),
}
_MISSPELT_CHARS = {
    "=": ("'=' is assignment; write '==' to compare", ""),
    "&": ("'&' is not an operator; write 'and'", ""),
    "|": ("'|' is not an operator; write 'or'", ""),
    "!": ("'!' is not an operator; write 'not'", ""),
}


def _bad_character(text: str, at: int, previous: _Token | None) -> ExprSyntaxError:
    char = text[at]
    known = _MISSPELT_OPERATORS.get(text[at : at + 2]) or _MISSPELT_CHARS.get(char)
    if known:
        return ExprSyntaxError(known[0], at, known[1])
    if char in "+-*/%":
        return _not_a_comparison(f"arithmetic ('{char}') is not supported", at)
    if char == ".":
        return _bad_dot(text, at, previous)
    if char in _FULL_WIDTH:
        return ExprSyntaxError(
            f"full-width {char!r} is not allowed; use the ASCII {_FULL_WIDTH[char]!r}",
            at,
            "switch the input method to half-width (英文) punctuation",
        )
    if not char.isascii():
        return ExprSyntaxError(
            f"unexpected character {char!r}", at, "field names use ASCII letters, digits and '_'"
        )
    return ExprSyntaxError(f"unexpected character {char!r}", at)


def _end(token: _Token) -> int:
    return token.offset + len(token.text)


def _bad_dot(text: str, at: int, previous: _Token | None) -> ExprSyntaxError:
    if previous is not None and previous.kind == "ident" and _end(previous) == at:
        return _not_a_comparison("attribute access is not supported", at)
    if _digit_at(text, at + 1):
        return ExprSyntaxError(
            "a decimal needs a digit before the point", at, "write 0.5 rather than .5"
        )
    return ExprSyntaxError("unexpected '.'", at)


# --- parser -----------------------------------------------------------------


@attrs.frozen
class _Operand:
    kind: str  # "field", "literal", "list" or "group"
    offset: int
    name: str = ""
    value: LiteralValue = None
    items: tuple[_Token, ...] = ()
    group: Expr | None = None


_LOWERCASE_HINTS = {"AND": "and", "OR": "or", "NOT": "not", "IN": "in", "And": "and", "Or": "or"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.at = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.at += 1
        return token

    def is_keyword(self, word: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "keyword" and token.text == word

    def parse(self) -> Expr:
        if self.peek().kind == "eof":
            raise ExprSyntaxError(
                "empty condition", 0, "write a condition such as needs_invoice or amount > 0"
            )
        expr = self.parse_or()
        if self.peek().kind != "eof":
            raise self.unexpected_after_condition(self.peek())
        return expr

    def parse_or(self) -> Expr:
        return self.parse_chain("or", Or, self.parse_and)

    def parse_and(self) -> Expr:
        return self.parse_chain("and", And, self.parse_not)

    def parse_chain(
        self, word: str, node: type[And] | type[Or], parse_item: Callable[[], Expr]
    ) -> Expr:
        start = self.peek().offset
        items = [parse_item()]
        while self.is_keyword(word):
            self.take()
            items.append(parse_item())
        return items[0] if len(items) == 1 else node(tuple(items), offset=start)

    def parse_not(self) -> Expr:
        if self.is_keyword("not"):
            start = self.take().offset
            return Not(self.parse_not(), offset=start)
        return self.parse_comparison()

    def parse_comparison(self) -> Expr:
        left = self.parse_operand()
        token = self.peek()
        if token.kind == "op":
            self.take()
            right = self.parse_operand()
            if self.peek().kind == "op":
                raise ExprSyntaxError(
                    "chained comparisons are not supported",
                    self.peek().offset,
                    "write 'low < x and x < high'",
                )
            return _comparison(left, token, right)
        if self.is_keyword("in") or (self.is_keyword("not") and self.is_keyword("in", 1)):
            negated = self.take().text == "not"
            if negated:
                self.take()
            return _membership(left, self.parse_operand(), negated)
        return _standalone(left)

    def parse_operand(self) -> _Operand:
        token = self.peek()
        if token.kind == "(":
            return self.parse_group()
        if token.kind == "[":
            return self.parse_list()
        if token.kind == "ident":
            self.take()
            if self.peek().kind == "(":
                raise _not_a_comparison(
                    f"function calls ('{token.text}(...)') are not supported", token.offset
                )
            return _Operand("field", token.offset, name=token.text)
        if token.kind == "literal":
            self.take()
            return _Operand("literal", token.offset, value=token.value)
        raise self.expected_operand(token)

    def parse_group(self) -> _Operand:
        opening = self.take()
        expr = self.parse_or()
        closing = self.peek()
        if closing.kind == "eof":
            raise ExprSyntaxError(
                "missing ')'", closing.offset, f"the '(' at offset {opening.offset} is not closed"
            )
        if closing.kind != ")":
            raise self.unexpected_after_condition(closing)
        self.take()
        return _Operand("group", opening.offset, group=expr)

    def parse_list(self) -> _Operand:
        opening = self.take()
        items: list[_Token] = []
        while self.peek().kind != "]":
            items.append(self.parse_list_item(opening))
            if self.peek().kind == ",":
                self.take()
            elif self.peek().kind != "]":
                raise self.bad_list_separator(opening)
        self.take()
        if not items:
            raise ExprSyntaxError("empty list", opening.offset, "list at least one value")
        return _Operand("list", opening.offset, items=tuple(items))

    def parse_list_item(self, opening: _Token) -> _Token:
        token = self.take()
        if token.kind == "literal" and token.value is not None:
            return token
        if token.kind == "literal":
            raise ExprSyntaxError(
                "null cannot be in a list", token.offset, "write 'x == null or x in [...]'"
            )
        if token.kind == "ident":
            raise ExprSyntaxError(
                f"lists hold literals; {token.text!r} is a field name",
                token.offset,
                f"quote it if you meant the text: '{token.text}'",
            )
        if token.kind == "[":
            raise ExprSyntaxError("lists cannot be nested", token.offset)
        if token.kind == "eof":
            raise ExprSyntaxError(
                "missing ']'", token.offset, f"the '[' at offset {opening.offset} is not closed"
            )
        raise ExprSyntaxError(f"unexpected {_describe_token(token)} in a list", token.offset)

    def bad_list_separator(self, opening: _Token) -> ExprSyntaxError:
        token = self.peek()
        if token.kind == "eof":
            return ExprSyntaxError(
                "missing ']'", token.offset, f"the '[' at offset {opening.offset} is not closed"
            )
        return ExprSyntaxError(
            f"expected ',' or ']' in a list, found {_describe_token(token)}",
            token.offset,
            "separate the values with commas",
        )

    def expected_operand(self, token: _Token) -> ExprSyntaxError:
        if token.kind == "eof":
            previous = self.tokens[self.at - 1] if self.at else token
            wanted = {"op": "a value", "keyword": "a condition"}.get(previous.kind, "a condition")
            if previous.kind == "keyword" and previous.text == "in":
                wanted = "a list"
            return ExprSyntaxError(
                f"expected {wanted} after '{previous.text}'", token.offset, "finish the condition"
            )
        hints = {
            ")": "remove it, or add the matching '('",
            "op": "a comparison needs a field on the left, e.g. x == 1",
            "keyword": f"'{token.text}' must sit between two conditions",
        }
        if token.kind == "keyword" and token.text in ("not", "in"):
            hints["keyword"] = "write 'x in [...]' or 'x not in [...]'"
        return ExprSyntaxError(
            f"unexpected {_describe_token(token)}", token.offset, hints.get(token.kind, "")
        )

    def unexpected_after_condition(self, token: _Token) -> ExprSyntaxError:
        message = f"unexpected {_describe_token(token)}"
        if token.kind == ")":
            return ExprSyntaxError(message, token.offset, "it has no matching '('")
        if token.kind == "ident" and token.text in _LOWERCASE_HINTS:
            fix = _LOWERCASE_HINTS[token.text]
            return ExprSyntaxError(message, token.offset, f"operators are lowercase; write '{fix}'")
        if token.kind == "ident" and token.text == "is":
            return ExprSyntaxError("'is' is not an operator", token.offset, "write '==' or '!='")
        if token.kind == "keyword" and token.text == "not":
            return ExprSyntaxError(
                message,
                token.offset,
                "'not' goes before a condition; for membership write 'x not in [...]'",
            )
        if token.kind == "[":
            return ExprSyntaxError(message, token.offset, "a list can only follow 'in' or 'not in'")
        return ExprSyntaxError(message, token.offset, "join conditions with 'and' or 'or'")


def _describe_token(token: _Token) -> str:
    if token.kind == "eof":
        return "end of condition"
    if token.kind == "ident":
        return f"field {token.text!r}"
    return f"'{token.text}'"


def _comparison(left: _Operand, op: _Token, right: _Operand) -> Expr:
    for side in (left, right):
        if side.kind == "list":
            raise ExprSyntaxError(
                "a list can only follow 'in' or 'not in'", side.offset, "write 'x in [...]'"
            )
        if side.kind == "group":
            raise _not_a_comparison("a parenthesised condition cannot be compared", side.offset)
    if left.kind == "field" and right.kind == "field":
        raise _not_a_comparison(
            f"{left.name!r} and {right.name!r} are both fields",
            right.offset,
            f"quote it if you meant the text: '{right.name}'",
        )
    if left.kind == "literal" and right.kind == "literal":
        raise _not_a_comparison("both sides are literals", left.offset)
    if left.kind == "field":
        return Compare(
            left.name, op.text, right.value, offset=left.offset, value_offset=right.offset
        )
    return Compare(
        right.name, _FLIPPED[op.text], left.value, offset=right.offset, value_offset=left.offset
    )


def _membership(left: _Operand, right: _Operand, negated: bool) -> Expr:
    spelled = "not in" if negated else "in"
    if left.kind != "field":
        raise ExprSyntaxError(
            f"'{spelled}' needs a field on its left", left.offset, "write 'x in [...]'"
        )
    if right.kind != "list":
        raise ExprSyntaxError(
            f"'{spelled}' needs a list of literals",
            right.offset,
            f"write e.g. {left.name} {spelled} ['a', 'b']",
        )
    return Member(
        left.name,
        tuple(item.value for item in right.items),
        negated,
        offset=left.offset,
        value_offsets=tuple(item.offset for item in right.items),
    )


def _standalone(operand: _Operand) -> Expr:
    if operand.kind == "field":
        return Truth(operand.name, offset=operand.offset)
    if operand.kind == "group":
        assert operand.group is not None
        return operand.group
    if operand.kind == "list":
        raise ExprSyntaxError(
            "a list can only follow 'in' or 'not in'", operand.offset, "write 'x in [...]'"
        )
    if isinstance(operand.value, bool):
        return Const(operand.value, offset=operand.offset)
    raise ExprSyntaxError(
        f"{_describe_literal(operand.value)} is not a condition",
        operand.offset,
        f"compare a field with it, {_COMPARE_HINT}",
    )


def parse(text: str) -> Expr:
    """Parse a condition; raises :class:`ExprSyntaxError` with the offset of the problem."""
    return _Parser(text).parse()


# --- queries ----------------------------------------------------------------


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


# --- evaluation -------------------------------------------------------------


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


_ORDERINGS = {
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


# --- type checking ----------------------------------------------------------

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
    if node.op not in _EQUALITY_OPS and info.type not in _ORDERED_TYPES:
        return [_op_mismatch(node.field, node.op, info, node.offset)]
    problem = _check_literal(node.field, info, node.value, node.value_offset)
    return [problem] if problem else []


def _check_member(node: Member, info: FieldInfo) -> list[ExprProblem]:
    if info.type == "bool":
        spelled = "not in" if node.negated else "in"
        return [_op_mismatch(node.field, spelled, info, node.offset)]
    offsets = node.value_offsets or (node.offset,) * len(node.values)
    checked = (
        _check_literal(node.field, info, value, offset)
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


def _is_int(value: LiteralValue) -> bool:
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


# --- representative valuations ----------------------------------------------


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
