"""The condition language: parsing, errors, typing, evaluation and representative cells."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st

from onething.errors import ConditionSyntaxError, TooManyCells, ValueProblem
from onething.language.conditions import (
    And,
    Compare,
    Const,
    Expr,
    ExprProblem,
    Member,
    Not,
    Or,
    Truth,
    evaluate,
    fields,
    parse,
    to_text,
    typecheck,
)
from onething.language.form_space import cells
from onething.language.values import clean_value


@attrs.frozen
class F:
    type: str
    values: tuple[str, ...] | None = None
    nullable: bool = False
    minimum: object = None
    maximum: object = None


# --- parsing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("needs_invoice", Truth("needs_invoice")),
        ("delivery_method == 'mail'", Compare("delivery_method", "==", "mail")),
        ('delivery_method != "mail"', Compare("delivery_method", "!=", "mail")),
        ("age < 18", Compare("age", "<", 18)),
        ("age <= -3", Compare("age", "<=", -3)),
        ("ratio > 0.5", Compare("ratio", ">", Decimal("0.5"))),
        ("ratio >= -0.25", Compare("ratio", ">=", Decimal("-0.25"))),
        ("flag == true", Compare("flag", "==", True)),
        ("flag == True", Compare("flag", "==", True)),
        ("flag != False", Compare("flag", "!=", False)),
        ("note == null", Compare("note", "==", None)),
        ("true", Const(True)),
        ("False", Const(False)),
        ("(((x)))", Truth("x")),
        ("kind in ['a', \"b\"]", Member("kind", ("a", "b"))),
        ("kind not in [1, 2.5, -3,]", Member("kind", (1, Decimal("2.5"), -3), negated=True)),
        ("kind in [true]", Member("kind", (True,))),
        ("x == 'it\\'s'", Compare("x", "==", "it's")),
        ('x == "say \\"hi\\""', Compare("x", "==", 'say "hi"')),
        ("x == 'back\\\\slash'", Compare("x", "==", "back\\slash")),
        ("x == 'a\"b'", Compare("x", "==", 'a"b')),
        ("x == '名字 (x) and y'", Compare("x", "==", "名字 (x) and y")),
        ("  a\n and\tb  ", And((Truth("a"), Truth("b")))),
        ("x == 007", Compare("x", "==", 7)),
        ("x==-1", Compare("x", "==", -1)),
        ("android and orange and notice and index",
         And((Truth("android"), Truth("orange"), Truth("notice"), Truth("index")))),
    ],
)  # fmt: skip
def test_parse_examples(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 < x", Compare("x", ">", 3)),
        ("3 <= x", Compare("x", ">=", 3)),
        ("3 > x", Compare("x", "<", 3)),
        ("3 >= x", Compare("x", "<=", 3)),
        ("3 == x", Compare("x", "==", 3)),
        ("'a' != x", Compare("x", "!=", "a")),
        ("null == x", Compare("x", "==", None)),
    ],
)
def test_literal_first_comparisons_are_normalised(text: str, expected: Expr) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a or b and c", Or((Truth("a"), And((Truth("b"), Truth("c")))))),
        ("a and b or c", Or((And((Truth("a"), Truth("b"))), Truth("c")))),
        ("not a and b", And((Not(Truth("a")), Truth("b")))),
        ("not a or b", Or((Not(Truth("a")), Truth("b")))),
        ("not x == 1", Not(Compare("x", "==", 1))),
        ("not x in [1]", Not(Member("x", (1,)))),
        ("not not a", Not(Not(Truth("a")))),
        ("not (a or b)", Not(Or((Truth("a"), Truth("b"))))),
        ("(a or b) and c", And((Or((Truth("a"), Truth("b"))), Truth("c")))),
        ("a or b or c", Or((Truth("a"), Truth("b"), Truth("c")))),
        ("a and b and c", And((Truth("a"), Truth("b"), Truth("c")))),
        ("(a and b) and c", And((And((Truth("a"), Truth("b"))), Truth("c")))),
        (
            "investment >= 30000000 and on_key_list",
            And((Compare("investment", ">=", 30000000), Truth("on_key_list"))),
        ),
    ],
)
def test_precedence(text: str, expected: Expr) -> None:
    assert parse(text) == expected


def test_offsets_locate_nodes() -> None:
    expr = parse("a and not (b == 'x' or 3 < c) and d in ['p', 'q']")
    assert isinstance(expr, And)
    first, negation, member = expr.items
    assert (expr.offset, first.offset, negation.offset) == (0, 0, 6)
    assert isinstance(negation, Not) and isinstance(negation.operand, Or)
    assert negation.operand.offset == 11
    compare, flipped = negation.operand.items
    assert isinstance(compare, Compare) and (compare.offset, compare.value_offset) == (11, 16)
    assert isinstance(flipped, Compare) and (flipped.offset, flipped.value_offset) == (27, 23)
    assert isinstance(member, Member)
    assert (member.offset, member.value_offsets) == (34, (40, 45))


def test_offsets_do_not_affect_equality() -> None:
    assert parse("x == 1") == parse("  x   ==   1")
    assert hash(parse("x == 1")) == hash(parse("(x == 1)"))


# --- syntax errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset", "message", "hint"),
    [
        ("", 0, "empty condition", "such as"),
        ("   ", 0, "empty condition", ""),
        ("a)", 1, "unexpected ')'", "no matching '('"),
        (")", 0, "unexpected ')'", "add the matching '('"),
        ("(a", 2, "missing ')'", "'(' at offset 0 is not closed"),
        ("(a b)", 3, "unexpected field 'b'", "join conditions with 'and' or 'or'"),
        ("x == 'mail", 5, "unterminated string", "matching '"),
        ('x == "mail', 5, "unterminated string", 'matching "'),
        ("x == 'mail\\'", 5, "unterminated string", ""),
        ("x == 'a\\", 5, "unterminated string", ""),
        ("x == 'a\\n'", 7, "unknown escape '\\n'", "only"),
        ("a = 1", 2, "'=' is assignment; write '==' to compare", ""),
        ("a === 1", 2, "'===' is not an operator", "write '=='"),
        ("a => 1", 2, "'=>' is not an operator", "write '>='"),
        ("a =< 1", 2, "'=<' is not an operator", "write '<='"),
        ("a <> 1", 2, "'<>' is not an operator", "write '!='"),
        ("a && b", 2, "'&&' is not an operator; write 'and'", ""),
        ("a & b", 2, "'&' is not an operator; write 'and'", ""),
        ("a || b", 2, "'||' is not an operator; write 'or'", ""),
        ("a | b", 2, "'|' is not an operator; write 'or'", ""),
        ("!a", 0, "'!' is not an operator; write 'not'", ""),
        ("a == b", 5, "conditions compare a field with a literal; 'a' and 'b' are both fields",
         "quote it if you meant the text: 'b'"),
        ("1 == 2", 0, "conditions compare a field with a literal; both sides are literals", ""),
        ("a + 1 > 2", 2, "conditions compare a field with a literal; arithmetic ('+')", ""),
        ("a * 2 > 2", 2, "arithmetic ('*') is not supported", ""),
        ("a / 2 > 2", 2, "arithmetic ('/')", ""),
        ("a % 2 == 0", 2, "arithmetic ('%')", ""),
        ("x-1 > 0", 1, "arithmetic ('-')", ""),
        ("x - 1 > 0", 2, "arithmetic ('-')", ""),
        ("len(name) > 2", 0, "conditions compare a field with a literal; function calls", ""),
        ("a.b == 1", 1, "conditions compare a field with a literal; attribute access", ""),
        ("(a) == 1", 0, "a parenthesised condition cannot be compared", ""),
        ("1 < x < 3", 6, "chained comparisons are not supported", "low < x and x < high"),
        ("a AND b", 2, "unexpected field 'AND'", "operators are lowercase; write 'and'"),
        ("a OR b", 2, "unexpected field 'OR'", "write 'or'"),
        ("x is null", 2, "'is' is not an operator", "write '==' or '!='"),
        ("a b", 2, "unexpected field 'b'", "'and' or 'or'"),
        ("a not b", 2, "unexpected 'not'", "x not in [...]"),
        ("a [1]", 2, "unexpected '['", "only follow 'in'"),
        ("a 'x'", 2, "unexpected ''x''", ""),
        ("x in y", 5, "'in' needs a list of literals", "x in ['a', 'b']"),
        ("x not in 'a'", 9, "'not in' needs a list of literals", ""),
        ("1 in [1]", 0, "'in' needs a field on its left", ""),
        ("x in []", 5, "empty list", ""),
        ("x in [null]", 6, "null cannot be in a list", "x == null or x in"),
        ("x in [y]", 6, "lists hold literals; 'y' is a field name", "'y'"),
        ("x in [[1]]", 6, "lists cannot be nested", ""),
        ("x in [1 2]", 8, "expected ',' or ']' in a list, found '2'", "commas"),
        ("x in [1", 7, "missing ']'", "'[' at offset 5"),
        ("x in [1,", 8, "missing ']'", ""),
        ("x in [,]", 6, "unexpected ',' in a list", ""),
        ("x == [1]", 5, "a list can only follow 'in' or 'not in'", ""),
        ("[1]", 0, "a list can only follow 'in' or 'not in'", ""),
        ("12", 0, "the number 12 is not a condition", "compare a field"),
        ("'s'", 0, "the text 's' is not a condition", ""),
        ("null", 0, "null is not a condition", ""),
        ("12abc == 1", 0, "malformed number '12abc'", "cannot start with a digit"),
        ("x == 1.2.3", 5, "malformed number '1.2.3'", ""),
        ("x == 1.", 5, "malformed number '1.'", ""),
        ("x == .5", 5, "a decimal needs a digit before the point", "0.5"),
        ("x == . ", 5, "unexpected '.'", ""),
        ("x == None", 5, "'None' is not a literal here", "write 'null'"),
        ("a and", 5, "expected a condition after 'and'", ""),
        ("a or", 4, "expected a condition after 'or'", ""),
        ("not", 3, "expected a condition after 'not'", ""),
        ("x ==", 4, "expected a value after '=='", ""),
        ("x in", 4, "expected a list after 'in'", ""),
        ("and b", 0, "unexpected 'and'", "between two conditions"),
        ("in [1]", 0, "unexpected 'in'", "x in [...]"),
        ("== 1", 0, "unexpected '=='", "field on the left"),
        ("x ＝＝ 1", 2, "full-width '＝' is not allowed; use the ASCII '='", "half-width"),
        ("（a）", 0, "full-width '（'", ""),
        ("x == ‘a’", 5, "full-width '‘'", ""),
        ("名字 == 'a'", 0, "unexpected character '名'", "ASCII letters"),
        ("a @ b", 2, "unexpected character '@'", ""),
    ],
)  # fmt: skip
def test_syntax_errors(text: str, offset: int, message: str, hint: str) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse(text)
    err = info.value
    assert message in err.message
    assert hint in err.hint
    assert err.offset == offset
    assert str(err) == err.message
    assert isinstance(err, ValueError)


# --- fields and rendering -------------------------------------------------------------


def test_fields() -> None:
    expr = parse("a and not (b == 1 or c in ['x']) or a or true")
    assert fields(expr) == {"a", "b", "c"}
    assert fields(parse("false")) == frozenset()


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("a", "a"),
        ("3<x", "x > 3"),
        ('x=="it\'s"', "x == 'it\\'s'"),
        ("x == 'a\\\\b'", "x == 'a\\\\b'"),
        ("x in [1,2.50,-3,]", "x in [1, 2.50, -3]"),
        ("x not in ['a']", "x not in ['a']"),
        ("x == null", "x == null"),
        ("x == True", "x == true"),
        ("not (a and b)", "not (a and b)"),
        ("not (a or b)", "not (a or b)"),
        ("not not a", "not not a"),
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("(a or b) or c", "(a or b) or c"),
        ("(a and b) and c", "(a and b) and c"),
        ("not (x == 1)", "not x == 1"),
        ("(true)", "true"),
    ],
)
def test_to_text(text: str, canonical: str) -> None:
    assert to_text(parse(text)) == canonical
    assert parse(canonical) == parse(text)


# --- evaluation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "form", "expected"),
    [
        ("flag", {"flag": True}, True),
        ("flag", {"flag": False}, False),
        ("flag", {"flag": None}, False),
        ("flag", {}, False),
        ("not flag", {}, True),
        ("flag == true", {"flag": True}, True),
        ("flag == false", {"flag": False}, True),
        ("flag != true", {"flag": False}, True),
        ("flag == false", {}, False),
        ("n == 1", {"n": 1}, True),
        ("n == 1", {"n": True}, False),
        ("flag == true", {"flag": 1}, False),
        ("n != 1", {"n": 2}, True),
        ("n < 1", {"n": 0}, True),
        ("n < 1", {"n": 1}, False),
        ("n <= 1", {"n": 1}, True),
        ("n > 1", {"n": 2}, True),
        ("n >= 1", {"n": 0}, False),
        ("n > 1", {"n": True}, False),
        ("n < 1", {"n": "0"}, False),
        ("amount >= 0.5", {"amount": Decimal("0.5")}, True),
        ("amount > 0.5", {"amount": Decimal("0.50")}, False),
        ("amount == 2", {"amount": Decimal("2.00")}, True),
        ("day < '2024-03-01'", {"day": date(2024, 2, 29)}, True),
        ("day >= '2024-03-01'", {"day": date(2024, 2, 29)}, False),
        ("day == '2024-03-01'", {"day": date(2024, 3, 1)}, True),
        ("day == '2024-03-01'", {"day": "2024-03-01"}, True),
        ("day != '2024-03-01'", {"day": date(2024, 3, 2)}, True),
        ("day < 'soon'", {"day": date(2024, 3, 2)}, False),
        ("day == 'soon'", {"day": date(2024, 3, 2)}, False),
        ("s == 'a'", {"s": "a"}, True),
        ("s != 'a'", {"s": "b"}, True),
        ("s in ['a', 'b']", {"s": "b"}, True),
        ("s in ['a', 'b']", {"s": "c"}, False),
        ("s not in ['a', 'b']", {"s": "c"}, True),
        ("s not in ['a', 'b']", {"s": "a"}, False),
        ("n in [1, 2]", {"n": True}, False),
        ("amount in [1, 2.5]", {"amount": Decimal("2.50")}, True),
        ("a and b", {"a": True, "b": True}, True),
        ("a and b", {"a": True, "b": False}, False),
        ("a or b", {"a": False, "b": True}, True),
        ("a or b", {"a": False, "b": False}, False),
        ("true", {}, True),
        ("false or a", {"a": True}, True),
    ],
)
def test_evaluate(text: str, form: dict[str, object], expected: bool) -> None:
    assert evaluate(parse(text), form) is expected


@pytest.mark.parametrize("absent", [{}, {"x": None}])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x", False),
        ("x == null", True),
        ("x != null", False),
        ("x == 1", False),
        ("x != 1", False),
        ("x < 1", False),
        ("x <= 1", False),
        ("x > 1", False),
        ("x >= 1", False),
        ("x == 'a'", False),
        ("x != 'a'", False),
        ("x == true", False),
        ("x == false", False),
        ("x in [1, 'a']", False),
        ("x not in [1, 'a']", False),
        ("not x", True),
        ("not x == 1", True),
        ("not x != 1", True),
        ("not x not in [1]", True),
        ("not x == null", False),
        ("x < null", False),
    ],
)
def test_absent_values(text: str, expected: bool, absent: dict[str, object]) -> None:
    assert evaluate(parse(text), absent) is expected


def test_present_values_against_null() -> None:
    assert evaluate(parse("x != null"), {"x": 0}) is True
    assert evaluate(parse("x == null"), {"x": False}) is False
    assert evaluate(parse("x != null"), {"x": ""}) is True


# --- type checking ------------------------------------------------------------------------

TYPES: dict[str, F] = {
    "flag": F("bool"),
    "maybe": F("bool", nullable=True),
    "count": F("int"),
    "count_opt": F("int", nullable=True),
    "amount": F("decimal"),
    "day": F("date", nullable=True),
    "name": F("string", nullable=True),
    "id_no": F("id_card"),
    "mobile": F("phone"),
    "delivery": F("enum", values=("mail", "pickup")),
}


@pytest.mark.parametrize(
    "text",
    [
        "flag",
        "not maybe",
        "flag == true",
        "flag != false",
        "maybe == null",
        "count >= 3 and count < 10 and count in [1, 2] and count != -1",
        "count_opt == null or count_opt > 0",
        "amount > 0.5 and amount <= 100 and amount in [1, 2.5]",
        "day >= '2024-02-29' and day != null and day in ['2024-01-01']",
        "name == 'x' or name != 'y' or name in ['a'] or name not in ['b'] or name == null",
        "id_no == '11010519491231002X' and mobile != '13800138000'",
        "delivery == 'mail' or delivery in ['pickup'] or delivery not in ['mail']",
        "true",
    ],
)
def test_well_typed(text: str) -> None:
    assert typecheck(parse(text), TYPES) == []


def check(text: str) -> list[ExprProblem]:
    return typecheck(parse(text), TYPES)


def only(text: str) -> ExprProblem:
    problems = check(text)
    assert len(problems) == 1, problems
    return problems[0]


def test_unknown_field_with_suggestion() -> None:
    problem = only("flga and count > 1")
    assert (problem.code, problem.offset) == ("unknown-field", 0)
    assert problem.message == "unknown field 'flga'"
    assert problem.hint == "did you mean 'flag'?"


def test_unknown_field_without_suggestion() -> None:
    problem = only("count > 1 or zzzzzz in ['a']")
    assert (problem.code, problem.offset) == ("unknown-field", 13)
    assert "declare" in problem.hint


@pytest.mark.parametrize(
    ("text", "offset", "message", "hint"),
    [
        ("count", 0, "'count' is a int field; only bool fields stand alone", "count == ..."),
        ("name", 0, "'name' is a string field", "write 'name != null'"),
        ("flag > true", 0, "'>' does not apply to bool field 'flag'", "'flag' alone"),
        ("flag in [true]", 0, "'in' does not apply to bool field 'flag'", ""),
        ("flag not in [true]", 0, "'not in' does not apply to bool field", ""),
        ("flag == 1", 8, "'flag' is a bool field but is compared with the number 1", ""),
        ("count == 'a'", 9, "'count' is an int field but is compared with the text 'a'", ""),
        ("count > 1.5", 8, "compared with the number 1.5", "whole numbers"),
        ("count in [1, 2.5]", 13, "compared with the number 2.5", ""),
        ("count == true", 9, "compared with true", ""),
        ("amount == 'x'", 10, "'amount' is a decimal field but is compared with the text 'x'", ""),
        ("day > 3", 6, "'day' is a date field but is compared with the number 3", "'2024-01-01'"),
        ("day > '2024-02-30'", 6, "'2024-02-30' is not a valid YYYY-MM-DD date", ""),
        ("day > '24-1-1'", 6, "is not a valid YYYY-MM-DD date", ""),
        ("day in ['2024-01-01', 'x']", 22, "'x' is not a valid", ""),
        ("name > 'a'", 0, "'>' does not apply to string field 'name'", "==, !=, in and not in"),
        ("name == 3", 8, "'name' is a string field but is compared with the number 3", "quote"),
        ("id_no < 'x'", 0, "'<' does not apply to id_card field", ""),
        ("mobile == 138", 10, "'mobile' is a phone field", ""),
        ("delivery >= 'mail'", 0, "'>=' does not apply to enum field 'delivery'", ""),
        ("delivery == 'mial'", 12, "'mial' is not a value of enum field 'delivery'",
         "did you mean 'mail'? values: 'mail', 'pickup'"),
        ("delivery in ['mail', 'fax']", 21, "'fax' is not a value", "values: 'mail', 'pickup'"),
        ("delivery == 1", 12, "'delivery' is an enum field but is compared with the number 1", ""),
        ("count == null", 9, "'count' is never null", "the field is required or has a default"),
        ("flag != null", 8, "'flag' is never null", ""),
        ("count_opt < null", 12, "null can only be compared with == or !=, not '<'", ""),
    ],
)  # fmt: skip
def test_type_mismatches(text: str, offset: int, message: str, hint: str) -> None:
    problem = only(text)
    assert problem.code == "type-mismatch"
    assert message in problem.message
    assert hint in problem.hint
    assert problem.offset == offset


def test_all_problems_are_reported_in_order() -> None:
    problems = check("count == 'a' or nmae == 'x' or delivery in ['fax', 'post']")
    assert [p.code for p in problems] == [
        "type-mismatch",
        "unknown-field",
        "type-mismatch",
        "type-mismatch",
    ]
    assert [p.offset for p in problems] == sorted(p.offset for p in problems)


def test_enum_without_declared_values_accepts_any_text() -> None:
    assert typecheck(parse("k == 'anything'"), {"k": F("enum")}) == []


# --- cells ------------------------------------------------------------------------------------


def vectors(exprs: list[Expr], forms: list[dict[str, object]]) -> list[tuple[bool, ...]]:
    return [tuple(evaluate(e, form) for e in exprs) for form in forms]


def test_cells_of_a_bool_and_an_enum() -> None:
    exprs = [parse("flag"), parse("delivery == 'mail'")]
    found = cells(exprs, TYPES)
    assert sorted(vectors(exprs, found)) == [(a, b) for a in (False, True) for b in (False, True)]
    assert all(set(form) == {"flag", "delivery"} for form in found)


def test_cells_deduplicate_by_truth_vector() -> None:
    exprs = [parse("count > 10"), parse("count >= 11")]
    found = cells(exprs, TYPES)
    assert sorted(vectors(exprs, found)) == [(False, False), (True, True)]
    assert found == [{"count": 9}, {"count": 11}]


def test_cells_find_the_narrow_gap_between_decimals() -> None:
    exprs = [parse("amount > 1.5"), parse("amount < 1.6")]
    assert (True, True) in vectors(exprs, cells(exprs, TYPES))


def test_cells_include_none_only_for_nullable_fields() -> None:
    exprs = [parse("count_opt > 1"), parse("not count_opt <= 1")]
    found = cells(exprs, TYPES)
    assert {"count_opt": None} in found
    assert sorted(vectors(exprs, found)) == [(False, False), (False, True), (True, True)]
    assert not any(form["count"] is None for form in cells([parse("count > 1")], TYPES))
    nulls = cells([parse("name == null")], TYPES)
    assert sorted(vectors([parse("name == null")], nulls)) == [(False,), (True,)]


def test_cells_with_dates_use_neighbouring_days() -> None:
    exprs = [parse("day > '2024-02-28'"), parse("day < '2024-03-01'")]
    found = cells(exprs, TYPES)
    assert {"day": date(2024, 2, 29)} in found
    assert len(found) == 4


def test_cells_fresh_values_are_real_values() -> None:
    for name, type_ in (("id_no", "id_card"), ("mobile", "phone")):
        constant = "11010519491231002X" if type_ == "id_card" else "13800000000"
        found = cells([parse(f"{name} == '{constant}'")], TYPES)
        assert len(found) == 2
        for form in found:
            assert clean_value(type_, form[name], today=date(2024, 1, 1)) == form[name]


def test_cells_of_constant_and_empty_input() -> None:
    assert cells([], TYPES) == [{}]
    assert cells([parse("true")], TYPES) == [{}]


def test_cells_of_a_field_without_constants() -> None:
    assert cells([parse("count == null")], TYPES) == [{"count": 0}]


def test_cells_need_declared_fields() -> None:
    with pytest.raises(ValueError, match="'ghost' is not declared"):
        cells([parse("ghost")], TYPES)


def test_too_many_cells() -> None:
    many = {f"f{i}": F("int") for i in range(17)}
    exprs = [parse(f"f{i} in [1, 5, 9]") for i in range(17)]
    with pytest.raises(TooManyCells) as info:
        cells(exprs, many)
    assert info.value.count == 2**17  # the real number of kinds of form, not of tries
    assert info.value.limit == 100_000
    with pytest.raises(TooManyCells):
        cells([parse("count > 1")], TYPES, limit=1)
    assert len(cells([parse("count > 1")], TYPES, limit=2)) == 2


def test_unrelated_conditions_are_not_multiplied() -> None:
    """Eight fields, each read by its own condition with three literals: 9**8 combinations of
    representatives, but only 2**8 kinds of form, found group by group."""
    many = {f"f{i}": F("int") for i in range(8)}
    exprs = [parse(f"f{i} in [1, 5, 9]") for i in range(8)]
    found = cells(exprs, many)
    assert len(found) == 2**8 == len(set(vectors(exprs, found)))


def test_one_group_too_large_to_enumerate() -> None:
    many = {f"f{i}": F("int") for i in range(8)}
    joined = parse(" and ".join(f"f{i} in [1, 5, 9]" for i in range(8)))
    with pytest.raises(TooManyCells) as info:
        cells([joined], many)
    assert info.value.count == 9**8


# --- properties over generated conditions -------------------------------------------------------

GEN_TYPES: dict[str, F] = {
    "n": F("int", nullable=True),
    "m": F("int"),
    "d": F("decimal", nullable=True),
    "day": F("date", nullable=True),
    "s": F("string", nullable=True),
    "e": F("enum", values=("a", "b", "c")),
    "b": F("bool", nullable=True),
    "c": F("bool"),
}
EQUALITY = st.sampled_from(["==", "!="])
ORDERING = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
INTS = st.integers(-3, 3)
DECIMALS = st.sampled_from([Decimal("-1"), Decimal("0"), Decimal("0.5"), Decimal("1.25"), 2])
DAYS = st.dates(date(2024, 2, 26), date(2024, 3, 2)).map(date.isoformat)
TEXTS = st.sampled_from(["x", "y", "z"])  # a blank literal is an error (test_accepted_forms)
ENUMS = st.sampled_from(["a", "b", "c"])


def comparisons(
    name: str, ops: st.SearchStrategy[str], lits: st.SearchStrategy
) -> st.SearchStrategy:
    compare = st.builds(Compare, st.just(name), ops, lits)
    member = st.builds(
        Member, st.just(name), st.lists(lits, min_size=1, max_size=3).map(tuple), st.booleans()
    )
    choices = [compare, member]
    if GEN_TYPES[name].nullable:
        choices.append(st.builds(Compare, st.just(name), EQUALITY, st.none()))
    return st.one_of(choices)


def bool_atoms(name: str) -> st.SearchStrategy:
    compare = st.builds(Compare, st.just(name), EQUALITY, st.booleans())
    choices = [st.just(Truth(name)), compare]
    if GEN_TYPES[name].nullable:
        choices.append(st.builds(Compare, st.just(name), EQUALITY, st.none()))
    return st.one_of(choices)


ATOMS_BY_FIELD = {
    "n": comparisons("n", ORDERING, INTS),
    "m": comparisons("m", ORDERING, INTS),
    "d": comparisons("d", ORDERING, st.one_of(DECIMALS, INTS)),
    "day": comparisons("day", ORDERING, DAYS),
    "s": comparisons("s", EQUALITY, TEXTS),
    "e": comparisons("e", EQUALITY, ENUMS),
    "b": bool_atoms("b"),
    "c": bool_atoms("c"),
}


def conditions(atoms: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.builds(Not, inner),
            st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
            st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        ),
        max_leaves=6,
    )


EXPRS = conditions(st.one_of(*ATOMS_BY_FIELD.values(), st.builds(Const, st.booleans())))


def nullable(values: st.SearchStrategy, name: str) -> st.SearchStrategy:
    return st.one_of(st.none(), values) if GEN_TYPES[name].nullable else values


FORMS = st.fixed_dictionaries(
    {
        "n": nullable(st.one_of(st.integers(-6, 6), st.integers()), "n"),
        "m": nullable(st.one_of(st.integers(-6, 6), st.integers()), "m"),
        "d": nullable(
            st.one_of(
                st.sampled_from([Decimal(x) for x in ("-0.5", "0.25", "0.75", "1.1", "1.5")]),
                st.decimals(Decimal(-3), Decimal(4), places=3),
                st.decimals(allow_nan=False, allow_infinity=False),
            ),
            "d",
        ),
        "day": nullable(
            st.one_of(st.dates(date(2024, 2, 24), date(2024, 3, 4)), st.dates()), "day"
        ),
        "s": nullable(st.one_of(TEXTS, st.text(max_size=3)), "s"),
        "e": nullable(ENUMS, "e"),
        "b": nullable(st.booleans(), "b"),
        "c": nullable(st.booleans(), "c"),
    }
)


def submission_accepts(form: dict[str, object]) -> bool:
    """Whether submission would keep every value as it is (blank text is no value; ints,
    decimals and texts within their limits): the forms the cells must cover."""
    for name, value in form.items():
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():
            return False
        try:
            clean = clean_value(GEN_TYPES[name].type, value, values=GEN_TYPES[name].values)
        except ValueProblem:
            return False
        if type(clean) is not type(value) or clean != value:
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(exprs=st.lists(EXPRS, min_size=1, max_size=4), form=FORMS)
def test_cells_are_complete(exprs: list[Expr], form: dict[str, object]) -> None:
    assume(submission_accepts(form))
    try:
        found = cells(exprs, GEN_TYPES)
    except TooManyCells:
        reject()
    assert tuple(evaluate(e, form) for e in exprs) in set(vectors(exprs, found))


@pytest.mark.parametrize("name", sorted(ATOMS_BY_FIELD))
@settings(max_examples=150, deadline=None)
@given(data=st.data(), form=FORMS)
def test_cells_are_complete_field_by_field(
    name: str, data: st.DataObject, form: dict[str, object]
) -> None:
    assume(submission_accepts(form))
    exprs = data.draw(st.lists(conditions(ATOMS_BY_FIELD[name]), min_size=1, max_size=4))
    found = cells(exprs, GEN_TYPES)
    assert tuple(evaluate(e, form) for e in exprs) in set(vectors(exprs, found))


@settings(max_examples=200, deadline=None)
@given(exprs=st.lists(EXPRS, min_size=1, max_size=4))
def test_cells_are_distinct_and_well_formed(exprs: list[Expr]) -> None:
    try:
        found = cells(exprs, GEN_TYPES)
    except TooManyCells:
        reject()
    found_vectors = vectors(exprs, found)
    assert len(set(found_vectors)) == len(found_vectors)
    wanted = set().union(*(fields(e) for e in exprs))
    for form in found:
        assert set(form) == wanted
        for name, value in form.items():
            assert value is not None or GEN_TYPES[name].nullable
            if GEN_TYPES[name].type == "enum":
                assert value in ("a", "b", "c")


@settings(max_examples=300)
@given(EXPRS)
def test_generated_conditions_are_well_typed_and_round_trip(expr: Expr) -> None:
    assert typecheck(expr, GEN_TYPES) == []
    text = to_text(expr)
    assert parse(text) == expr
    assert to_text(parse(text)) == text


@settings(max_examples=200)
@given(expr=EXPRS, form=FORMS)
def test_not_is_boolean_negation(expr: Expr, form: dict[str, object]) -> None:
    assert evaluate(Not(expr), form) is (not evaluate(expr, form))


def assert_parses_or_explains(text: str) -> None:
    try:
        expr = parse(text)
    except ConditionSyntaxError as err:
        assert 0 <= err.offset <= len(text)
        assert err.message
    else:
        assert parse(to_text(expr)) == expr


@given(st.text(max_size=30))
def test_parse_only_raises_syntax_errors(text: str) -> None:
    assert_parses_or_explains(text)


@given(st.text(alphabet="ab()=!<>&|' \"[],0123456789.-notadrin_", max_size=25))
def test_parse_on_condition_like_text(text: str) -> None:
    assert_parses_or_explains(text)
