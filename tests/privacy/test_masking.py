"""``mask_text``: personal numbers are masked however they are written; the rest stays readable.

Two directions, both as properties: (a) identity and mobile numbers spelled in generated ways
(other digit scripts, grouped with generated separators, prefixed, glued to letters, lower-case
x) inside generated text leave no trace; (b) dates, amounts, unified social credit codes,
hexadecimal ids and case numbers inside generated text come out unchanged.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.privacy.masking import mask_text
from onething.privacy.numbers import id_card_check_char, uscc_check_char

#: the zero of some Unicode decimal digit sets: ASCII, full-width, Arabic-Indic, extended
#: Arabic-Indic, Devanagari, Bengali, Thai, Tibetan, Myanmar, Khmer, Mongolian, math bold
ZEROS = (0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xF20, 0x1040, 0x17E0, 0x1810,
         0x1D7CE)
#: what people put between groups of digits: spaces of every kind, dashes, dots, invisibles
SEPARATORS = (" ", "  ", "-", " - ", ".", "．", "\u00a0", "\u3000", "\u2009", "\u202f",
              "\u2002", "\u2013", "\u2014", "\u2010", "\u2011", "\uff0d", "\u2212", "\u200b",
              "\ufeff", "\t", "·")
PHONE_PREFIXES = ("", "+86", "+86 ", "+86-", "0086", "0086 ", "86", "86 ", "＋86 ", "＋８６",
                  "(+86) ", "+86\u00a0", "+ 86 ")
GLUE_BEFORE = ("", " ", "Tel", "tel:", "TEL", "Mobile", "ID", "id", "No.", "No", "电话", "手机",
               "身份证号", "证件号码：", "：", "Ph", "x", "#")
GLUE_AFTER = ("", " ", "号", "。", "，", "!", "Tel", "xyz", "ok", ")", "）", "的")
REGIONS = ("110101", "110105", "310115", "320102", "430381", "440304", "510107", "650102",
           "710000", "810000", "820000", "830000")
#: text around a number: letters (no ASCII a-f, which could make a hexadecimal id of it),
#: punctuation, symbols and spaces, but no digits and no currency sign or unit (an amount)
FILLER = st.text(st.characters(categories=["L", "P", "S", "Zs"],
                               exclude_characters="abcdefABCDEF¥￥元万亿圆"), max_size=12)
DECOYS = ("", "2026-12-05；", "共100.50元；", "案件 430381-20261205-000123；", "3f2a9b1c0d4e5f60；")


def fold(text: str) -> str:
    """Every decimal digit as ASCII, x as X: how the test reads digits, apart from the module."""
    return "".join(str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None
                   else "X" if ch in "xXｘＸ" else ch for ch in text)


def test_the_digit_sets_are_decimal_digits() -> None:
    for zero in ZEROS:
        assert [unicodedata.decimal(chr(zero + i)) for i in range(10)] == list(range(10))


# --- the numbers and how they are spelled ---------------------------------------------------

ID_NUMBERS = st.builds(
    lambda region, born, seq: (lambda first17: first17 + id_card_check_char(first17))(
        f"{region}{born:%Y%m%d}{seq:03d}"),
    st.sampled_from(REGIONS), st.dates(date(1900, 1, 1), date(2020, 12, 31)),
    st.integers(0, 999))
MOBILES = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"),
                    st.integers(0, 10**9 - 1))


@st.composite
def spellings(draw: st.DrawFn, number: str) -> str:
    """``number`` as a person might type it: digits of one or several scripts, upper or lower
    case x, cut into groups (the first of at least three digits) by generated separators."""
    zero = draw(st.sampled_from(ZEROS))
    mixed = draw(st.booleans())
    chars = []
    for ch in number:
        if ch == "X":
            chars.append(draw(st.sampled_from("XxＸｘ")))
        else:
            chars.append(chr((draw(st.sampled_from(ZEROS)) if mixed else zero) + int(ch)))
    cuts = sorted(draw(st.sets(st.integers(3, len(number) - 1), max_size=5)))
    one = draw(st.sampled_from(SEPARATORS))
    seps = [one if draw(st.booleans()) else draw(st.sampled_from(SEPARATORS)) for _ in cuts]
    groups = [chars[a:b] for a, b in zip([0, *cuts], [*cuts, len(chars)], strict=True)]
    if all(s in (".", "．", "·") for s in seps) and (
            len(seps) == 1 or any(len(g) <= 2 for g in groups[1:])
            or max(map(len, groups)) <= 3):
        seps = [" " for _ in seps]  # that would read as an amount or an address (see below)
    if any(s in (".", "．", "·") for s in seps) and any(len(g) <= 2 for g in groups[1:]):
        seps = [" " if s in (".", "．", "·") else s for s in seps]
    out = "".join(groups[0])
    for sep, group in zip(seps, groups[1:], strict=True):
        out += sep + "".join(group)
    return out


@st.composite
def texts_with_a_number(draw: st.DrawFn) -> tuple[str, str, int, int]:
    """(text, the number's digits, where its spelling starts and ends in the text)."""
    if draw(st.booleans()):
        number = draw(ID_NUMBERS)
        prefix = ""
    else:
        number = draw(MOBILES)
        prefix = draw(st.sampled_from(PHONE_PREFIXES))
    spelled = prefix + draw(spellings(number))
    before = draw(FILLER) + draw(st.sampled_from(DECOYS)) + draw(FILLER) + draw(
        st.sampled_from(GLUE_BEFORE))
    after = draw(st.sampled_from(GLUE_AFTER)) + draw(FILLER)
    return before + spelled + after, number, len(before), len(before) + len(spelled)


def assert_no_trace(number: str, masked: str, start: int, end: int) -> None:
    folded = fold(masked)
    assert number not in re.sub("[^0-9X]", "", folded)
    near = re.sub("[^0-9X*]", "", folded[max(0, start - 6):end + 6])
    for i in range(len(number) - 5):
        assert number[i:i + 6] not in near, (number, masked)
    assert sum(ch == "*" for ch in masked[start:end]) == len(number) - 5


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(texts_with_a_number())
def test_a_personal_number_leaves_no_trace_however_it_is_written(
        case: tuple[str, str, int, int]) -> None:
    text, number, start, end = case
    masked = mask_text(text)
    assert len(masked) == len(text)
    assert_no_trace(number, masked, start, end)
    assert masked[:start] == text[:start] and masked[end:] == text[end:]  # nothing else


@given(ID_NUMBERS, st.sampled_from("0123456789X"))
def test_an_identity_number_with_a_wrong_check_character_is_masked_too(
        number: str, last: str) -> None:
    typo = number[:17] + last
    assert mask_text(f"证件 {typo} 有误") == f"证件 {typo[:3]}{'*' * 13}{typo[-2:]} 有误"


# --- examples of each spelling -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13800138000", "电话138******00"),
        ("Tel13800138000", "Tel138******00"),
        ("tel:13800138000.", "tel:138******00."),
        ("ID430381199001011234", "ID430*************34"),
        ("id430381199001011234号", "id430*************34号"),
        ("身份证43038119900101123x", "身份证430*************3x"),
        ("１３８００１３８０００", "１３８******００"),
        ("４３０３８１１９９００１０１１２３ｘ", "４３０*************３ｘ"),
        ("١٣٨٠٠١٣٨٠٠٠", "١٣٨******٠٠"),
        ("१३८००१३८०००", "१३८******००"),
        ("138 0013 8000", "138 **** **00"),
        ("138-0013-8000", "138-****-**00"),
        ("138.0013.8000", "138.****.**00"),
        ("138\u00a00013\u00a08000", "138\u00a0****\u00a0**00"),
        ("138\u30000013\u30008000", "138\u3000****\u3000**00"),
        ("138\u20090013\u20098000", "138\u2009****\u2009**00"),
        ("138–0013—8000", "138–****—**00"),
        ("138－0013－8000", "138－****－**00"),
        ("138\u200b0013\u200b8000", "138\u200b****\u200b**00"),
        ("138 - 0013 - 8000", "138 - **** - **00"),
        ("430381 19900101 1234", "430*** ******** **34"),
        ("430381-19900101-1234", "430***-********-**34"),
        ("+8613800138000", "+86138******00"),
        ("+86 138 0013 8000", "+86 138 **** **00"),
        ("+86-138-0013-8000", "+86-138-****-**00"),
        ("0086 13800138000", "0086 138******00"),
        ("008613800138000", "0086138******00"),
        ("8613800138000", "86138******00"),
        ("＋８６ １３８ ００１３ ８０００", "＋８６ １３８ **** **００"),
        ("13800138000 and 13900139000", "138******00 and 139******00"),
        ("ID: 43038119900101123X, 手机 13800138000。",
         "ID: 430*************3X, 手机 138******00。"),
    ],
)
def test_each_spelling_is_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


def test_the_masking_filter_masks_every_spelling() -> None:
    import logging

    from onething.privacy.masking import MaskingFilter

    numbers = ("１３８００１３８０００", "+86 138-0013-8000")
    record = logging.LogRecord("x", logging.INFO, "f", 1, "call %s or %s", numbers, None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "call １３８******００ or +86 138-****-**00"


# --- what stays readable ------------------------------------------------------------------------

SURROUNDING = st.text(st.characters(categories=["Lo", "P", "Zs"],
                                    exclude_characters="¥￥元万亿圆"), max_size=10)
DATE_FORMATS = ("%Y-%m-%d", "%Y年%m月%d日", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y",
                "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S+08:00", "%Y%m%dT%H%M%S",
                "%Y%m%d%H%M%S", "%Y-%m-%d %H:%M")


@st.composite
def dates(draw: st.DrawFn) -> str:
    day = draw(st.datetimes(min_value=__import__("datetime").datetime(1800, 1, 1),
                            max_value=__import__("datetime").datetime(2099, 12, 31)))
    style = draw(st.sampled_from([*DATE_FORMATS, "unpadded"]))
    if style == "unpadded":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.strftime(style)


@st.composite
def amounts(draw: st.DrawFn) -> str:
    value = draw(st.decimals(min_value=0, max_value=Decimal(10) ** 16, places=2))
    whole = int(value)
    style = draw(st.integers(0, 7))
    return [f"{value:.2f}", f"{value:,.2f}", f"{whole:,}", f"¥{value:,.2f}", f"￥ {whole}",
            f"{value:.2f}元", f"{whole}万元", f"注册资本 {whole} 万元"][style]


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    body = draw(st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
    code = body + uscc_check_char(body)
    if re.fullmatch("[0-9]{17}[0-9X]", code) and id_card_check_char(code[:17]) == code[17]:
        return "91350100M000100Y43"  # one that is a valid identity number too is masked
    return code


HEX_IDS = (st.uuids(version=4).map(lambda u: u.hex) | st.uuids().map(str)
           | st.binary(min_size=1, max_size=64).map(lambda b: hashlib.sha256(b).hexdigest())
           | st.binary(min_size=8, max_size=8).map(bytes.hex)
           | st.binary(min_size=20, max_size=20).map(bytes.hex))
CASE_NUMBERS = st.builds(lambda region, day, serial: f"{region}-{day:%Y%m%d}-{serial:06d}",
                         st.sampled_from(REGIONS), st.dates(date(2000, 1, 1), date(2099, 12, 31)),
                         st.integers(0, 999_999))
READABLE = dates() | amounts() | credit_codes() | HEX_IDS | CASE_NUMBERS


@settings(max_examples=400)
@given(st.lists(READABLE, min_size=1, max_size=4), st.sampled_from(["，", "；", ", ", "、"]),
       SURROUNDING, SURROUNDING)
def test_dates_amounts_codes_and_ids_stay_readable(
        items: list[str], joiner: str, before: str, after: str) -> None:
    text = before + "：" + joiner.join(items) + "。" + after
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-05", "2026年12月5日", "20261205", "2026-12-05 13:45:00", "20261205134500",
        "2018-12-05 2018-12-06 2018-12-07", "100.50", "13,800,138,000", "13800138000.00",
        "0.13800138000", "1380013.8000", "138.00 8000.00", "注册资本 13800138000 万元",
        "¥13800138000", "91350100M000100Y43", "统一社会信用代码：91350100m000100y43",
        "430381-20261205-000123", "3f2a9b1c0d4e5f60", "a13800138000bcde",
        "9f5ea4fe-37da-4506-b4ad-e315293072ac", "172.16.100.123",
        hashlib.sha256(b"13800138000").hexdigest(),
    ],
)
def test_each_readable_example_is_unchanged(text: str) -> None:
    assert mask_text(text) == text


def test_masking_is_quick() -> None:
    line = "case 3f2a9b1c0d4e5f60 accepted by window officer at 2026-12-05 13:45 " * 3
    began = time.perf_counter()
    for _ in range(1_000):
        mask_text(line)
    assert time.perf_counter() - began < 1.0
    began = time.perf_counter()
    mask_text(("申请人电话13800138000，" + "材料齐全" * 20) * 5_000)
    mask_text("1 " * 50_000 + "x" * 1_000_000)
    assert time.perf_counter() - began < 5.0


@settings(max_examples=300, deadline=None)
@given(st.one_of(ID_NUMBERS, MOBILES), st.text("ABCDEF", max_size=6),
       st.text("ABCDEF", max_size=6), st.sampled_from([".", "_", "-"]),
       st.sets(st.integers(3, 10), min_size=1, max_size=2), st.booleans())
def test_an_identifier_holding_a_personal_number_is_always_recognised(
        number: str, before: str, after: str, sep: str, cuts: set[int], grouped: bool) -> None:
    """Regression (review of electronic-licence identifiers): an identity or mobile number
    as one part of a dotted identifier, inside a code with letters, or as the whole written
    in groups, is recognised (so it is refused rather than shown)."""
    from onething.privacy.numbers import holds_personal_number

    if grouped:  # the whole identifier is the number, written in groups: 138_0013_8000
        identifier = "".join(sep + ch if i in cuts else ch for i, ch in enumerate(number))
    else:  # one part of a dotted identifier, letters around it
        identifier = f"1.2.156.{before}{number}{after}.001"
    assert holds_personal_number(identifier), identifier
