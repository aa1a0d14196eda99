"""Cleaning submitted form values: accepted spellings, rejections, GB 11643 numbers, masking."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onething.spec.values import (
    FIELD_TYPES,
    ValueProblem,
    clean_value,
    id_card_check_char,
    mask,
)

WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
TODAY = date(2024, 6, 1)


def reference_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 computed from its definition, independently of the module."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def make_id(region: str = "110105", born: str = "19900307", seq: str = "123") -> str:
    body = region + born + seq
    return body + reference_check(body)


def problem(type_: str, raw: object, **kwargs: object) -> ValueProblem:
    with pytest.raises(ValueProblem) as info:
        clean_value(type_, raw, **kwargs)
    return info.value


def test_weights_match_the_standard() -> None:
    assert WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


# --- simple types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        ("string", "张三", "张三"),
        ("string", "", ""),
        ("int", 12, 12),
        ("int", "12", 12),
        ("int", " -3 ", -3),
        ("int", "+7", 7),
        ("decimal", 3, Decimal(3)),
        ("decimal", 0.1, Decimal("0.1")),
        ("decimal", "0.50", Decimal("0.50")),
        ("decimal", Decimal("2.5"), Decimal("2.5")),
        ("bool", True, True),
        ("bool", False, False),
        ("bool", "true", True),
        ("bool", "FALSE", False),
        ("bool", "yes", True),
        ("bool", "No", False),
        ("bool", "1", True),
        ("bool", "0", False),
        ("date", date(2024, 3, 1), date(2024, 3, 1)),
        ("date", "2024-03-01", date(2024, 3, 1)),
        ("date", "2024-02-29", date(2024, 2, 29)),
    ],
)
def test_accepted_spellings(type_: str, raw: object, expected: object) -> None:
    value = clean_value(type_, raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("type_", "raw", "fragment"),
    [
        ("string", 12, "expected text, got the number 12"),
        ("string", ["a"], "expected text, got a list"),
        ("int", True, "expected a whole number, got the boolean true"),
        ("int", 1.5, "expected a whole number"),
        ("int", "1.5", "expected a whole number, got the text '1.5'"),
        ("int", "twelve", "expected a whole number"),
        ("int", "", "expected a whole number"),
        ("decimal", False, "expected a number, got the boolean false"),
        ("decimal", "abc", "expected a number, got the text 'abc'"),
        ("decimal", {"a": 1}, "expected a number, got a mapping"),
        ("decimal", "NaN", "expected a finite number"),
        ("decimal", "inf", "expected a finite number"),
        ("decimal", float("inf"), "expected a finite number"),
        ("decimal", float("nan"), "expected a finite number"),
        ("bool", "maybe", "expected true or false, got the text 'maybe'"),
        ("bool", 1, "expected true or false, got the number 1"),
        ("date", "2024/03/01", "expected a date, got the text '2024/03/01'"),
        ("date", "2024-3-1", "expected a date"),
        ("date", 20240301, "expected a date, got the number 20240301"),
        ("date", "2023-02-29", "'2023-02-29' is not a real date"),
        ("date", datetime(2024, 3, 1, 9, 30), "expected a date, got a date and time"),
        ("int", None, "no value given"),
    ],
)
def test_rejected_values(type_: str, raw: object, fragment: str) -> None:
    assert fragment in problem(type_, raw).message


def test_long_raw_values_are_shortened_in_messages() -> None:
    message = problem("int", "x" * 500).message
    assert "x" * 100 not in message
    assert "..." in message


def test_unknown_type_is_a_programming_error_not_a_value_problem() -> None:
    with pytest.raises(ValueError) as info:
        clean_value("colour", "red")
    assert not isinstance(info.value, ValueProblem)


def test_field_types_are_the_documented_eight() -> None:
    documented = {"string", "int", "decimal", "bool", "date", "enum", "id_card", "phone"}
    assert documented == FIELD_TYPES


# --- enum -------------------------------------------------------------------------

DELIVERY = ("mail", "pickup", "electronic")


def test_enum_accepts_a_declared_value() -> None:
    assert clean_value("enum", "pickup", values=DELIVERY) == "pickup"


def test_enum_rejection_lists_the_values_and_suggests_one() -> None:
    err = problem("enum", "mial", values=DELIVERY)
    assert "'mail', 'pickup', 'electronic'" in err.message
    assert err.hint == "did you mean 'mail'?"


def test_enum_is_exact() -> None:
    err = problem("enum", "MAIL", values=DELIVERY)
    assert "not one of the allowed values" in err.message
    assert "not one of" in problem("enum", 1, values=DELIVERY).message


def test_enum_without_values_is_reported() -> None:
    assert "needs its allowed values" in problem("enum", "mail").message


# --- bounds -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "raw", "kwargs", "message"),
    [
        ("int", 5, {"minimum": 6}, "5 is too small; it must be at least 6"),
        ("int", "11", {"maximum": 10}, "11 is too large; it must be at most 10"),
        ("decimal", "0.49", {"minimum": Decimal("0.5")}, "0.49 is too small; it must be"),
        ("decimal", 100.5, {"maximum": 100}, "100.5 is too large; it must be at most 100"),
        ("date", "2023-12-31", {"minimum": date(2024, 1, 1)}, "it must be on or after 2024-01-01"),
        ("date", "2024-01-02", {"maximum": "2024-01-01"}, "it must be on or before 2024-01-01"),
    ],
)
def test_bounds_reject_and_say_the_bound(
    type_: str, raw: object, kwargs: dict[str, object], message: str
) -> None:
    assert message in problem(type_, raw, **kwargs).message


@pytest.mark.parametrize(
    ("type_", "raw", "low", "high"),
    [
        ("int", 6, 6, 10),
        ("int", 10, 6, 10),
        ("decimal", "0.5", Decimal("0.5"), Decimal("0.5")),
        ("int", 7, Decimal("6"), None),
        ("date", "2024-01-01", "2024-01-01", "2024-01-01"),
    ],
)
def test_bounds_are_inclusive(type_: str, raw: object, low: object, high: object) -> None:
    clean_value(type_, raw, minimum=low, maximum=high)


def test_bounds_on_an_unordered_type_are_a_programming_error() -> None:
    with pytest.raises(ValueError) as info:
        clean_value("string", "a", minimum=1)
    assert not isinstance(info.value, ValueProblem)


# --- identity numbers --------------------------------------------------------------


@pytest.mark.parametrize("known", ["11010519491231002X", "440524188001010014"])
def test_published_example_numbers_are_valid(known: str) -> None:
    assert clean_value("id_card", known, today=TODAY) == known
    assert id_card_check_char(known[:17]) == known[17]


def test_lower_case_x_is_normalised() -> None:
    assert clean_value("id_card", "11010519491231002x", today=TODAY) == "11010519491231002X"


def test_an_eighteen_digit_yaml_integer_is_accepted() -> None:
    number = make_id(seq="120")
    assert number[-1] != "X"
    assert clean_value("id_card", int(number), today=TODAY) == number


def test_spaces_inside_an_identity_number_are_ignored() -> None:
    number = make_id()
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    assert clean_value("id_card", spaced, today=TODAY) == number


@given(
    region=st.from_regex(r"[1-8][0-9]{5}", fullmatch=True),
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    seq=st.from_regex(r"[0-9]{3}", fullmatch=True),
)
def test_constructed_numbers_are_valid(region: str, born: date, seq: str) -> None:
    number = make_id(region, born.strftime("%Y%m%d"), seq)
    assert clean_value("id_card", number, today=TODAY) == number


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    wrong=st.sampled_from("0123456789X"),
)
def test_every_wrong_check_character_is_rejected(born: date, wrong: str) -> None:
    body = "320102" + born.strftime("%Y%m%d") + "456"
    if wrong == reference_check(body):
        return
    err = problem("id_card", body + wrong, today=TODAY)
    assert "wrong check character" in err.message
    assert body + wrong not in err.message


@given(st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_mistyped_digit_is_caught(position: int, delta: int) -> None:
    number = make_id()
    digit = (int(number[position]) + delta) % 10
    typo = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(ValueProblem):
        clean_value("id_card", typo, today=TODAY)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (make_id()[:17], "has 17 characters; it needs 18"),
        (make_id() + "1", "has 19 characters; it needs 18"),
        ("1101051990030712XX", "must be 17 digits followed by a digit or X"),
        ("11010519900307A234", "must be 17 digits followed by a digit or X"),
        (make_id(born="19900230"), "has no real birth date"),
        (make_id(born="19901301"), "has no real birth date"),
        (make_id(born="20240602"), "has a birth date in the future"),
        (["110105"], "expected an identity number as text, got a list"),
        (True, "expected an identity number as text"),
    ],
)
def test_invalid_identity_numbers(raw: object, fragment: str) -> None:
    assert fragment in problem("id_card", raw, today=TODAY).message


def test_today_defaults_to_the_real_date() -> None:
    tomorrow = date.today().toordinal() + 1
    born = date.fromordinal(tomorrow).strftime("%Y%m%d")
    assert "future" in problem("id_card", make_id(born=born)).message
    assert clean_value("id_card", make_id(born="20000101"))


def test_check_char_needs_exactly_seventeen_digits() -> None:
    for bad in ("1234", "1101051990030712X", "١١٠١٠٥١٩٩٠٠٣٠٧١٢٣"):
        with pytest.raises(ValueError):
            id_card_check_char(bad)


# --- phone numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+8613800138000",
        "8613800138000",
        "86-138-0013-8000",
        13800138000,
    ],
)
def test_phone_spellings_normalise_to_eleven_digits(raw: object) -> None:
    assert clean_value("phone", raw) == "13800138000"


@pytest.mark.parametrize(
    "raw",
    ["12800138000", "1380013800", "138001380001", "23800138000", "1380013800a", "+85213800138000"],
)
def test_phone_rejections_are_masked(raw: str) -> None:
    err = problem("phone", raw)
    assert "is not a mainland mobile number" in err.message
    assert raw not in err.message
    assert raw.replace("+", "") not in err.message


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_mainland_mobile_number_is_accepted(number: str) -> None:
    assert clean_value("phone", number) == number


def test_phone_of_the_wrong_kind() -> None:
    assert "expected a phone number as text, got a list" in problem("phone", ["1"]).message
    assert "got a number" in problem("phone", 1.5).message


# --- masking --------------------------------------------------------------------------


def test_mask_shows_three_and_two() -> None:
    assert mask("phone", "13800138000") == "138******00"
    assert mask("id_card", "11010519491231002X") == "110*************2X"


def test_mask_leaves_other_types_alone() -> None:
    assert mask("string", "13800138000") == "13800138000"
    assert mask("int", 12) == "12"


@given(st.sampled_from(["id_card", "phone"]), st.text(min_size=1, max_size=30))
def test_mask_never_shows_the_whole_value(type_: str, value: str) -> None:
    masked = mask(type_, value)
    assert len(masked) == len(value)
    assert masked != value or set(value) == {"*"}
    assert sum(ch != "*" for ch in masked) <= 5


@given(
    type_=st.sampled_from(["id_card", "phone"]),
    raw=st.text(alphabet="0123456789X+- ", min_size=5, max_size=25),
)
def test_problem_messages_never_echo_sensitive_input(type_: str, raw: str) -> None:
    compact = raw.replace(" ", "").replace("-", "")
    try:
        clean_value(type_, raw, today=TODAY)
    except ValueProblem as err:
        shown = err.message + err.hint
        if len(compact) >= 6:
            assert compact not in shown
            assert compact.upper() not in shown
