"""Cleaning submitted form values: accepted spellings, rejections, GB 11643 numbers, masking."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onething.errors import ValueProblem
from onething.language import model
from onething.language.values import FIELD_TYPES, TEXT_MAX, clean_value
from onething.privacy.masking import mask
from onething.privacy.numbers import PROVINCE_CODES, id_card_check_char, uscc_check_char

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


def test_field_types_are_the_documented_nine_values_and_lists_of_them() -> None:
    documented = {"string", "int", "decimal", "bool", "date", "enum", "id_card", "phone", "uscc"}
    assert documented == FIELD_TYPES == set(model.FIELD_TYPES) - {"list"}


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
    region=st.tuples(st.sampled_from(sorted(PROVINCE_CODES)),
                     st.from_regex(r"[0-9]{4}", fullmatch=True)).map("".join),
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


# --- identity number regions (GB/T 2260) ----------------------------------------------------

#: the province-level codes of GB/T 2260, written out here independently of the module
GB_T_2260_PROVINCES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
                       "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
                       "53", "54", "61", "62", "63", "64", "65", "71", "81", "82")


def test_the_province_codes_are_gb_t_2260_and_the_residence_permits() -> None:
    assert set(GB_T_2260_PROVINCES) | {"83"} == PROVINCE_CODES


@given(prefix=st.integers(0, 99).map("{:02d}".format), rest=st.from_regex(r"[0-9]{4}",
                                                                          fullmatch=True))
def test_an_identity_number_outside_every_province_is_refused(prefix: str, rest: str) -> None:
    number = make_id(region=prefix + rest)
    provinces = {*GB_T_2260_PROVINCES, "83"}
    if prefix in provinces or (prefix[0] == "9" and prefix[1] + rest[0] in provinces):
        return
    err = problem("id_card", number, today=TODAY)
    assert "does not start with a region code" in err.message
    assert "GB/T 2260" in err.hint
    assert number not in err.message + err.hint and number[3:-2] not in err.message


@pytest.mark.parametrize("region", ["000000", "001234", "100000", "160101", "200101",
                                    "390101", "470101", "550101", "600101", "700101",
                                    "840101", "990101", "960101"])
def test_impossible_regions_are_refused(region: str) -> None:
    number = make_id(region=region)
    err = problem("id_card", number, today=TODAY)
    assert "does not start with a region code" in err.message
    assert number not in err.message


@pytest.mark.parametrize("region", ["110101", "710000", "810000", "820000", "830000",
                                    "654324", "911101", "943101"])
def test_every_real_region_kind_is_accepted(region: str) -> None:
    number = make_id(region=region)
    assert clean_value("id_card", number, today=TODAY) == number


# --- decimal limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1e999999", "is too large"),
        ("-1E+999999", "is too large"),
        (Decimal("1e999999"), "is too large"),
        ("1e20", "is too large"),
        ("100000000000000000000", "is too large"),
        ("-123456789012345678901.5", "is too large"),
        (Decimal("9" * 10_000), "is too large"),
        (10**25, "is too large"),
        (1e300, "is too large"),
        ("1e-999999", "more than 10 digits after the decimal point"),
        ("0.00000000001", "more than 10 digits after the decimal point"),
        (1e-11, "more than 10 digits after the decimal point"),
        (Decimal("0." + "3" * 10_000), "more than 10 digits after the decimal point"),
        ("12345678901234567890.12345678901", "more than 10 digits after the decimal point"),
    ],
)
def test_decimals_beyond_numeric_30_10_are_refused(raw: object, fragment: str) -> None:
    err = problem("decimal", raw)
    assert fragment in err.message
    assert err.hint
    assert len(err.message) < 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("99999999999999999999.9999999999", Decimal("99999999999999999999.9999999999")),
        ("-99999999999999999999", Decimal("-99999999999999999999")),
        ("0.0000000001", Decimal("0.0000000001")),
        ("1.500000000000000", Decimal("1.5000000000")),
        ("1E+19", Decimal("1E+19")),
        ("0E+999999", Decimal(0)),
        ("0E-999999", Decimal(0)),
        (0.1, Decimal("0.1")),
    ],
)
def test_decimals_within_the_limits_are_kept(raw: object, expected: Decimal) -> None:
    value = clean_value("decimal", raw)
    assert value == expected
    assert isinstance(value, Decimal)
    assert value.as_tuple().exponent >= -10  # type: ignore[operator]
    assert len(value.as_tuple().digits) <= 30


def test_a_personal_decimal_out_of_range_is_not_quoted() -> None:
    for raw in ("123456789012345678901234", "0.123456789012345"):
        err = problem("decimal", raw, personal=True)
        assert "12345678" not in err.message + err.hint


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_every_decimal_is_refused_or_fits(raw: Decimal) -> None:
    try:
        value = clean_value("decimal", raw)
    except ValueProblem:
        return
    assert isinstance(value, Decimal) and value == raw
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int) and exponent >= -10
    assert len(digits) + exponent <= 20 or not any(digits)


# --- text limits ------------------------------------------------------------------------------


def test_text_up_to_the_maximum_is_accepted() -> None:
    assert TEXT_MAX == 10_000
    assert clean_value("string", "字" * TEXT_MAX) == "字" * TEXT_MAX


@pytest.mark.parametrize("type_", ["string", "enum", "int", "decimal", "date", "bool",
                                   "id_card", "phone", "uscc"])
def test_text_beyond_the_maximum_is_refused_unquoted(type_: str) -> None:
    err = problem(type_, "1" * (TEXT_MAX + 1), values=("a",))
    assert "10,001 characters; at most 10,000" in err.message
    assert "1" * 20 not in err.message + err.hint


def test_ten_megabytes_of_text_are_refused_at_once() -> None:
    import time

    huge = "430381199001011234" * 600_000
    began = time.perf_counter()
    err = problem("string", huge)
    assert time.perf_counter() - began < 0.5
    assert "10,800,000 characters" in err.message
    assert "4303" not in err.message + err.hint
    assert len(err.message) < 120


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f",
                                 "\x85", "\x9f"])
@pytest.mark.parametrize("type_", ["string", "enum", "int", "decimal", "date", "bool",
                                   "id_card", "phone", "uscc"])
def test_control_characters_are_refused_in_every_text(type_: str, bad: str) -> None:
    raw = {"string": "张三", "enum": "mail", "int": "12", "decimal": "1.5", "date": "2024-03-01",
           "bool": "yes", "id_card": make_id(), "phone": "13800138000",
           "uscc": "91350100M000100Y43"}[type_]
    err = problem(type_, raw[:2] + bad + raw[2:], values=("mail", "pickup"), today=TODAY)
    assert err.message == f"the text holds a control character (U+{ord(bad):04X}) at character 3"
    assert "tabs and line breaks" in err.hint


@pytest.mark.parametrize("type_", ["string", "enum", "id_card", "phone", "uscc", "date"])
def test_lone_surrogates_are_refused(type_: str) -> None:
    for bad in ("\ud800", "\udfff", "\udc00"):
        err = problem(type_, "ab" + bad + "cd", values=("ab",), today=TODAY)
        assert f"a lone surrogate (U+{ord(bad):04X}) at character 3" in err.message


def test_tabs_and_line_breaks_are_text() -> None:
    assert clean_value("string", "第一行\r\n第二行\t完") == "第一行\r\n第二行\t完"


def test_a_control_character_in_a_personal_value_quotes_nothing() -> None:
    number = make_id()
    for type_ in ("string", "id_card", "phone"):
        err = problem(type_, number + "\x00", personal=True, today=TODAY)
        assert "control character" in err.message
        assert not any(ch.isdigit() and ch != "0" for ch in err.message.split("U+")[0])


# --- unified social credit codes (GB 32100-2015) ---------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def reference_uscc_check(first17: str) -> str:
    """GB 32100-2015 from its definition: weight 3**i mod 31, check = 31 - sum mod 31."""
    total = sum(USCC_ALPHABET.index(ch) * (3**i % 31) for i, ch in enumerate(first17))
    value = 31 - total % 31
    return USCC_ALPHABET[0 if value == 31 else value]


USCC_BODIES = st.text(USCC_ALPHABET, min_size=17, max_size=17)


def test_the_uscc_weights_are_the_standard_ones() -> None:
    assert [3**i % 31 for i in range(17)] == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8,
                                              24, 10, 30, 28]


@pytest.mark.parametrize("known", ["91350100M000100Y43"])
def test_a_published_credit_code_is_valid(known: str) -> None:
    assert uscc_check_char(known[:17]) == known[17] == reference_uscc_check(known[:17])
    assert clean_value("uscc", known) == known


@given(USCC_BODIES)
def test_every_computed_credit_code_is_accepted(body: str) -> None:
    code = body + uscc_check_char(body)
    assert uscc_check_char(body) == reference_uscc_check(body)
    assert clean_value("uscc", code) == code


@given(USCC_BODIES, st.sampled_from(USCC_ALPHABET))
def test_every_wrong_credit_code_check_character_is_refused(body: str, wrong: str) -> None:
    if wrong == reference_uscc_check(body):
        return
    err = problem("uscc", body + wrong)
    assert "wrong check character" in err.message
    assert "GB 32100" in err.hint


@given(USCC_BODIES, st.integers(0, 16), st.sampled_from(USCC_ALPHABET[1:]))
def test_any_single_mistyped_credit_code_character_is_caught(body: str, at: int,
                                                             shift: str) -> None:
    code = body + uscc_check_char(body)
    value = (USCC_ALPHABET.index(code[at]) + USCC_ALPHABET.index(shift)) % 31
    typo = code[:at] + USCC_ALPHABET[value] + code[at + 1 :]
    with pytest.raises(ValueProblem):
        clean_value("uscc", typo)


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_are_refused_with_a_hint(letter: str) -> None:
    code = "91350100M000100Y43"
    err = problem("uscc", code[:9] + letter + code[10:])
    assert f"character 10 ({letter!r}), which such codes never use" in err.message
    assert "I, O, S, V, Z" in err.hint


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("91350100M000100Y4", "has 17 characters; it needs 18"),
        ("91350100M000100Y433", "has 19 characters; it needs 18"),
        ("91350100M000100Y4!", "character 18 ('!')"),
        (["91350100M000100Y43"], "expected a unified social credit code as text, got a list"),
        (True, "expected a unified social credit code as text"),
    ],
)
def test_invalid_credit_codes(raw: object, fragment: str) -> None:
    assert fragment in problem("uscc", raw).message


@pytest.mark.parametrize("raw", ["91350100m000100y43", " 9135 0100 M000 100Y 43 ",
                                 "９１３５０１００Ｍ０００１００Ｙ４３",
                                 "91350100m000100y43\u3000"])
def test_credit_code_spellings_are_cleaned(raw: str) -> None:
    assert clean_value("uscc", raw) == "91350100M000100Y43"


def test_the_credit_code_check_needs_seventeen_code_characters() -> None:
    for bad in ("9135", "91350100M000100Y4I", "91350100m000100y4",
                "９１３５０１００Ｍ０００１００Ｙ４"):
        with pytest.raises(ValueError):
            uscc_check_char(bad)


def test_a_credit_code_is_not_personal_but_a_personal_one_is_hidden() -> None:
    code = "91350100M000100Y42"  # a wrong check character
    assert "91350100M000100Y42" in problem("uscc", code).message
    assert "9135" not in problem("uscc", code, personal=True).message
