"""Reading a condition (``delivery_method == 'mail' and not urgent``) into its syntax tree, by
hand, never by ``eval``; every mistake located with a hint."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import attrs

from onething.errors import ConditionSyntaxError
from onething.language.conditions.nodes import (
    And,
    Compare,
    Const,
    Expr,
    LiteralValue,
    Member,
    Not,
    Or,
    Truth,
    _describe_literal,
)

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


_FULL_WIDTH = {
    "（": "(", "）": ")", "＝": "=", "，": ",", "‘": "'", "’": "'", "“": '"', "”": '"',
    "＜": "<", "＞": ">", "！": "!", "［": "[", "］": "]", "【": "[", "】": "]",
}  # fmt: skip


_COMPARE_HINT = "e.g. amount > 100, kind == 'a' or kind in ['a', 'b']"


def _not_a_comparison(what: str, offset: int, hint: str = _COMPARE_HINT) -> ConditionSyntaxError:
    return ConditionSyntaxError(f"conditions compare a field with a literal; {what}", offset, hint)


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
    raise ConditionSyntaxError("unterminated string", start,
                               f"close the string with a matching {quote}")


def _escape(text: str, at: int, quote: str) -> str:
    escaped = text[at + 1]
    if escaped in (quote, "'", '"', "\\"):
        return escaped
    raise ConditionSyntaxError(
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
        raise ConditionSyntaxError(
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
        raise ConditionSyntaxError("'None' is not a literal here", start, "write 'null'")
    return _Token("ident", word, start)


def _operator_token(text: str, at: int, previous: _Token | None) -> _Token:
    two = text[at : at + 2]
    if two in ("==", "!=", "<=", ">="):
        if text[at : at + 3] == "===":
            raise ConditionSyntaxError("'===' is not an operator", at, "write '=='")
        return _Token("op", two, at)
    if text[at] in "<>":
        if two == "<>":
            raise ConditionSyntaxError("'<>' is not an operator", at, "write '!='")
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


def _bad_character(text: str, at: int, previous: _Token | None) -> ConditionSyntaxError:
    char = text[at]
    known = _MISSPELT_OPERATORS.get(text[at : at + 2]) or _MISSPELT_CHARS.get(char)
    if known:
        return ConditionSyntaxError(known[0], at, known[1])
    if char in "+-*/%":
        return _not_a_comparison(f"arithmetic ('{char}') is not supported", at)
    if char == ".":
        return _bad_dot(text, at, previous)
    if char in _FULL_WIDTH:
        return ConditionSyntaxError(
            f"full-width {char!r} is not allowed; use the ASCII {_FULL_WIDTH[char]!r}",
            at,
            "switch the input method to half-width (英文) punctuation",
        )
    if not char.isascii():
        return ConditionSyntaxError(
            f"unexpected character {char!r}", at, "field names use ASCII letters, digits and '_'"
        )
    return ConditionSyntaxError(f"unexpected character {char!r}", at)


def _end(token: _Token) -> int:
    return token.offset + len(token.text)


def _bad_dot(text: str, at: int, previous: _Token | None) -> ConditionSyntaxError:
    if previous is not None and previous.kind == "ident" and _end(previous) == at:
        return _not_a_comparison("attribute access is not supported", at)
    if _digit_at(text, at + 1):
        return ConditionSyntaxError(
            "a decimal needs a digit before the point", at, "write 0.5 rather than .5"
        )
    return ConditionSyntaxError("unexpected '.'", at)


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
            raise ConditionSyntaxError(
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
                raise ConditionSyntaxError(
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
            raise ConditionSyntaxError(
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
            raise ConditionSyntaxError("empty list", opening.offset, "list at least one value")
        return _Operand("list", opening.offset, items=tuple(items))

    def parse_list_item(self, opening: _Token) -> _Token:
        token = self.take()
        if token.kind == "literal" and token.value is not None:
            return token
        if token.kind == "literal":
            raise ConditionSyntaxError(
                "null cannot be in a list", token.offset, "write 'x == null or x in [...]'"
            )
        if token.kind == "ident":
            raise ConditionSyntaxError(
                f"lists hold literals; {token.text!r} is a field name",
                token.offset,
                f"quote it if you meant the text: '{token.text}'",
            )
        if token.kind == "[":
            raise ConditionSyntaxError("lists cannot be nested", token.offset)
        if token.kind == "eof":
            raise ConditionSyntaxError(
                "missing ']'", token.offset, f"the '[' at offset {opening.offset} is not closed"
            )
        raise ConditionSyntaxError(f"unexpected {_describe_token(token)} in a list", token.offset)

    def bad_list_separator(self, opening: _Token) -> ConditionSyntaxError:
        token = self.peek()
        if token.kind == "eof":
            return ConditionSyntaxError(
                "missing ']'", token.offset, f"the '[' at offset {opening.offset} is not closed"
            )
        return ConditionSyntaxError(
            f"expected ',' or ']' in a list, found {_describe_token(token)}",
            token.offset,
            "separate the values with commas",
        )

    def expected_operand(self, token: _Token) -> ConditionSyntaxError:
        if token.kind == "eof":
            previous = self.tokens[self.at - 1] if self.at else token
            wanted = {"op": "a value", "keyword": "a condition"}.get(previous.kind, "a condition")
            if previous.kind == "keyword" and previous.text == "in":
                wanted = "a list"
            return ConditionSyntaxError(
                f"expected {wanted} after '{previous.text}'", token.offset, "finish the condition"
            )
        hints = {
            ")": "remove it, or add the matching '('",
            "op": "a comparison needs a field on the left, e.g. x == 1",
            "keyword": f"'{token.text}' must sit between two conditions",
        }
        if token.kind == "keyword" and token.text in ("not", "in"):
            hints["keyword"] = "write 'x in [...]' or 'x not in [...]'"
        return ConditionSyntaxError(
            f"unexpected {_describe_token(token)}", token.offset, hints.get(token.kind, "")
        )

    def unexpected_after_condition(self, token: _Token) -> ConditionSyntaxError:
        message = f"unexpected {_describe_token(token)}"
        if token.kind == ")":
            return ConditionSyntaxError(message, token.offset, "it has no matching '('")
        if token.kind == "ident" and token.text in _LOWERCASE_HINTS:
            fix = _LOWERCASE_HINTS[token.text]
            return ConditionSyntaxError(message, token.offset,
                                        f"operators are lowercase; write '{fix}'")
        if token.kind == "ident" and token.text == "is":
            return ConditionSyntaxError("'is' is not an operator", token.offset,
                                        "write '==' or '!='")
        if token.kind == "keyword" and token.text == "not":
            return ConditionSyntaxError(
                message,
                token.offset,
                "'not' goes before a condition; for membership write 'x not in [...]'",
            )
        if token.kind == "[":
            return ConditionSyntaxError(message, token.offset,
                                        "a list can only follow 'in' or 'not in'")
        return ConditionSyntaxError(message, token.offset, "join conditions with 'and' or 'or'")


def _describe_token(token: _Token) -> str:
    if token.kind == "eof":
        return "end of condition"
    if token.kind == "ident":
        return f"field {token.text!r}"
    return f"'{token.text}'"


def _comparison(left: _Operand, op: _Token, right: _Operand) -> Expr:
    for side in (left, right):
        if side.kind == "list":
            raise ConditionSyntaxError(
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
        raise ConditionSyntaxError(
            f"'{spelled}' needs a field on its left", left.offset, "write 'x in [...]'"
        )
    if right.kind != "list":
        raise ConditionSyntaxError(
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
        raise ConditionSyntaxError(
            "a list can only follow 'in' or 'not in'", operand.offset, "write 'x in [...]'"
        )
    if isinstance(operand.value, bool):
        return Const(operand.value, offset=operand.offset)
    raise ConditionSyntaxError(
        f"{_describe_literal(operand.value)} is not a condition",
        operand.offset,
        f"compare a field with it, {_COMPARE_HINT}",
    )


def parse(text: str) -> Expr:
    """Parse a condition; raises :class:`ConditionSyntaxError` with the offset of the problem."""
    return _Parser(text).parse()
