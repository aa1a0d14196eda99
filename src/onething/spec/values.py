"""Validating and cleaning submitted form values.

Values arrive from JSON, YAML or the command line, so each field type accepts a
few spellings and turns them into one clean Python value:

=========  ==============================================  ====================
type       accepted                                        clean value
=========  ==============================================  ====================
string     ``str``                                         ``str``
int        ``int`` (not ``bool``), ``"12"``, ``"-3"``      ``int``
decimal    ``int``, ``float``, ``Decimal``, ``"0.5"``      ``decimal.Decimal``
bool       ``bool``, true/false, yes/no, 1/0 as text       ``bool``
date       ``datetime.date``, ``"YYYY-MM-DD"``             ``datetime.date``
enum       one of the declared values                      ``str``
id_card    an 18-character PRC resident identity number    ``str`` (upper ``X``)
phone      a mainland mobile number, ``+86`` allowed       ``str`` (11 digits)
uscc       a 统一社会信用代码 (unified social credit code)  ``str`` (18, upper)
=========  ==============================================  ====================

Identity numbers follow GB 11643-1999: 17 digits (6-digit region, 8-digit birth
date, 3-digit sequence) and an ISO 7064 MOD 11-2 check character; the region must
start with a province-level code of GB/T 2260 (see :data:`PROVINCE_CODES`).  Unified
social credit codes follow GB 32100-2015: 17 characters of ``0-9`` and ``A-Y``
without ``I O S V Z``, and a MOD 31 check character.  Identity and phone numbers are
personal data: messages show them only through :func:`mask`.  A unified social credit
code names a company and is not personal by default.

Limits, for every type: a text value holds at most :data:`TEXT_MAX` characters and no
control character (Unicode category Cc) other than tab, line feed and carriage return,
and no lone surrogate.  A decimal has at most 20 digits before the decimal point and 10
after it (trailing zeros after the point do not count and are dropped), so at most 30
significant digits: every decimal fits a ``NUMERIC(30, 10)`` column exactly, and no
``1e999999`` reaches arithmetic, formatting or a database.

A field marked ``personal: true`` (any type) is cleaned with ``personal=True``:
its messages never show the value at all.  Any other value a message quotes
passes :func:`mask_text`, so an identity or phone number typed into the wrong
field is masked too.  :class:`MaskingFilter` does the same for log records.
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Context, Decimal, InvalidOperation
from difflib import get_close_matches
from typing import Any

SENSITIVE_TYPES = frozenset({"id_card", "phone"})
FIELD_TYPES = frozenset(
    {"string", "int", "decimal", "bool", "date", "enum", "id_card", "phone", "uscc"})

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_NOISE = re.compile(r"[\s\-]")
_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0"})
_SHOWN_MAX = 40
#: the province-level codes (省级行政区划代码) of GB/T 2260-2007 (as kept current by the
#: Ministry of Civil Affairs): 11-15 华北, 21-23 东北, 31-37 华东, 41-46 中南, 50-54 西南,
#: 61-65 西北, 71 台湾, 81 香港, 82 澳门; plus 83, which GB/T 2260 does not list but the
#: 台湾居民居住证 (2018) uses.  An identity number starts with one of these; a 外国人永久
#: 居留身份证 (2023, same 18-character format and check) starts with 9 and one of these.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83"})
#: the most characters a text value may hold (of any type: longer text is refused unread)
TEXT_MAX = 10_000
#: control characters (category Cc) other than tab, line feed and carriage return, and lone
#: surrogates: never part of a value a person typed
_FORBIDDEN_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: a decimal has at most this many digits before the point and after it (NUMERIC(30, 10))
_DECIMAL_WHOLE_DIGITS = 20
_DECIMAL_PLACES = 10
_DECIMAL_CONTEXT = Context(prec=_DECIMAL_WHOLE_DIGITS + _DECIMAL_PLACES + 10)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: value for value, ch in enumerate(_USCC_ALPHABET)}
#: GB 32100-2015: the weight of position i is 3**i mod 31
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_NEVER = "IOSVZ"
#: full-width ASCII (U+FF01-U+FF5E) and the ideographic space, folded to ASCII
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
#: True while a ``personal`` field is cleaned: its messages then quote no value at all
_HIDDEN: ContextVar[bool] = ContextVar("onething_personal_value", default=False)
_HIDDEN_TEXT = "(value not shown: personal data)"


class ValueProblem(ValueError):
    """A submitted value that cannot be used; ``.message`` says why, ``.hint`` how to fix it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def mask(type: str, value: object, *, personal: bool = False) -> str:
    """``value`` as text, with identity and phone numbers masked (``138******00``).

    ``personal`` masks a value of any type the same way (a field marked ``personal: true``):
    shorter than 11 characters it is all stars, else the first three and last two show.
    """
    text = str(value)
    if type not in SENSITIVE_TYPES and not personal:
        return text
    if len(text) < 11:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


def mask_text(text: str) -> str:
    """``text`` with every identity number and mobile phone number in it masked.

    For free text that may quote one (reasons, comments, messages, log lines).  A number is
    found however it is spelled: in any Unicode decimal digits (full-width ``１３８``,
    Arabic-Indic, Devanagari ...), grouped with spaces, dashes, dots or invisible characters,
    glued to letters (``Tel13800138000``), with a ``+86``/``0086``/``86`` prefix, with a
    lower-case ``x``.  Its digits are replaced by ``*`` in place (the text keeps its length),
    except the first three and last two of the number proper.  Dates, amounts, case numbers,
    hexadecimal ids and hashes, and valid unified social credit codes are left as they are;
    the exact rules are listed at :func:`_is_personal`.
    """
    if not isinstance(text, str):
        text = str(text)
    if _ENOUGH_DIGITS.match(text) is None:  # the quick common case: fewer than 11 digits
        return text
    shadow = text.translate(_FOLD)
    hidden: set[int] = set()
    hex_runs: list[tuple[int, int]] | None = None
    for pattern, is_id in ((_ID_IN_TEXT, True), (_MOBILE_IN_TEXT, False)):
        position = 0
        while (found := pattern.search(shadow, position)) is not None:
            position = found.start() + 1  # every start is tried: candidates may overlap
            start, end = found.span("number")
            if hex_runs is None:
                hex_runs = _hex_runs(shadow)
            if _is_personal(shadow, found, is_id, hex_runs):
                places = [i for i in range(start, end) if shadow[i] not in _SEPARATORS]
                hidden.update(places[3:-2])
    if not hidden:
        return text
    chars = list(text)
    for i in hidden:
        chars[i] = "*"
    return "".join(chars)


def _fold_char(ch: str) -> str:
    """One character of the shadow text :func:`mask_text` searches (always one character)."""
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return "0123456789"[digit]
    if ch in "xXｘＸ":
        return "X"
    if ch in "+＋":
        return "+"
    if ch in _DOTS:
        return "."
    if ch in _DASHES or unicodedata.category(ch) == "Pd":
        return "-"
    if ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp", "Cf"):
        return " "
    return ch


class _Fold(dict[int, str]):
    """A ``str.translate`` table folding each character lazily (and caching a bounded number)."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(self) < 65_536:
            self[code] = folded
        return folded


_DOTS = frozenset(".．·‧・･")
_DASHES = frozenset("\u2212\u2043\u02d7\ufe63\uff0d")
_SEPARATORS = frozenset(" .-")
_FOLD = _Fold()
for _code in range(128):
    _FOLD[_code] = _fold_char(chr(_code))
#: at least 11 decimal digits (of any script) somewhere in the text
_ENOUGH_DIGITS = re.compile(r"(?:\D*\d){11}")
#: between two digits of a number: nothing, or one to three separators
_GAP = "[ .\\-]{0,3}"
#: 17 digits and a check digit or X, not directly after or before another digit
_ID_IN_TEXT = re.compile(
    rf"(?<![0-9])(?P<number>[0-9](?:{_GAP}[0-9]){{16}}{_GAP}(?:X|[0-9](?![0-9])))")
#: a mainland mobile number, perhaps after +86, 0086 or 86, not directly after or before a digit
_MOBILE_IN_TEXT = re.compile(
    rf"(?<![0-9])(?:(?:\+{_GAP}|00)?86{_GAP})?(?P<number>1{_GAP}[3-9](?:{_GAP}[0-9]){{9}})"
    r"(?![0-9])")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f])"
                      r"|[0-9A-Fa-f]{16,}")
_BIRTH = re.compile(r"[0-9]{6}(?:1[89]|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _hex_runs(shadow: str) -> list[tuple[int, int]]:
    """The runs of 16 or more hexadecimal characters holding a letter (ids and hashes), and
    the UUIDs written with dashes, in order."""
    return [m.span() for m in _HEX_RUN.finditer(shadow)
            if not m.group().replace("-", "").isdigit()]


def _is_personal(shadow: str, found: re.Match[str], is_id: bool,
                 hex_runs: list[tuple[int, int]]) -> bool:
    """Whether a number :func:`mask_text` found is an identity or phone number to mask.

    The rules (``shadow`` is the folded text: any decimal digit as 0-9, x as X, any space
    or invisible character as a space, any dash as -, any dot as .):

    1. an identity number is 17 digits and a digit or X; characters 7-14 must read as a
       birth date YYYYMMDD (year 1800-2099, month 01-12, day 01-31); the check character
       is not checked (a mistyped number is still personal);
    2. a phone number is 1, a digit 3-9 and nine more digits, perhaps after ``+86``,
       ``0086`` or ``86`` (separators allowed after ``+`` and after ``86``);
    3. between two digits there may be up to three separators (spaces, dashes, dots);
       written in groups, the first group holds at least three digits;
    4. no digit directly before the match, nor directly after it when it ends in a digit;
    5. not an amount: no ``digit.`` directly before it, no ``.digit`` directly after it, no
       ``¥``/``￥`` before it and no 元, 万, 亿 or 圆 after it (up to three spaces between);
       if a dot separates its digits: not a single separator that is a dot
       (``1380013.8000``), and no group of one or two digits after a dot
       (``138.00 8000.00``);
    6. not an address or version: not only dots as separators with groups of at most three
       digits (``172.16.100.123``);
    7. not part of a hexadecimal id or hash: not overlapping a UUID written with dashes
       (8-4-4-4-12 hexadecimal digits); and, written without separators, not lying in a run
       of 16 or more characters ``0-9a-fA-F`` that holds a letter and five or more
       characters besides the match (prefix included);
    8. not a 统一社会信用代码: written without separators, it does not lie in a run of
       exactly 18 letters and digits that is a unified social credit code but not a valid
       identity number.  To keep a mistyped identity number from passing for one by chance
       (1 in 31), the code must hold more than its check character: characters 3-4 a
       province code (or characters 3-8 the national 100000), and characters 9-17 an
       organization code with a valid GB 11714 check.
    """
    start, end = found.span()
    number_start, number_end = found.span("number")
    number = found.group("number")
    if ((start >= 2 and shadow[start - 1] == "." and shadow[start - 2] in _DIGITS)
            or (end + 1 < len(shadow) and shadow[end] == "." and shadow[end + 1] in _DIGITS)
            or _CURRENCY_BEFORE.search(shadow, max(0, start - 4), start)
            or _UNIT_AFTER.match(shadow, end)):
        return False
    separators = [ch for ch in shadow[start:end] if ch in _SEPARATORS]
    groups = _GROUPS.findall(number)
    if separators:
        if len(groups[0]) < 3:
            return False
        if "." in separators and (
                len(separators) == 1 or _SHORT_AFTER_DOT.search(shadow, start, end)
                or (set(separators) == {"."}
                    and max(map(len, _GROUPS.findall(shadow, start, end))) <= 3)):
            return False
    if is_id and not _BIRTH.match("".join(groups)):
        return False
    if _overlaps_uuid(shadow, hex_runs, start, end):
        return False
    if not separators:
        if number.isdigit() and _in_hex_id(hex_runs, start, end):
            return False
        if _in_credit_code(shadow, number_start, number_end):
            return False
    return True


_DIGITS = frozenset("0123456789")
_GROUPS = re.compile("[0-9X]+")
_SHORT_AFTER_DOT = re.compile(r"\.[ .\-]{0,2}[0-9X]{1,2}(?![0-9X])")
_CURRENCY_BEFORE = re.compile("[¥￥] {0,3}$")
_UNIT_AFTER = re.compile(" {0,3}[元万亿圆]")


def _in_hex_id(hex_runs: list[tuple[int, int]], start: int, end: int) -> bool:
    at = bisect.bisect_right(hex_runs, (start, 1 << 62)) - 1
    if at < 0:
        return False
    run_start, run_end = hex_runs[at]
    return run_start <= start and end <= run_end and run_end - run_start - (end - start) >= 5


def _overlaps_uuid(shadow: str, hex_runs: list[tuple[int, int]], start: int, end: int) -> bool:
    at = bisect.bisect_left(hex_runs, (end, -1)) - 1
    while at >= 0 and hex_runs[at][1] > start:
        if "-" in shadow[hex_runs[at][0]:hex_runs[at][1]]:
            return True
        at -= 1
    return False


def _in_credit_code(shadow: str, start: int, end: int) -> bool:
    while start > 0 and shadow[start - 1] in _ALNUM and end - start <= 18:
        start -= 1
    while end < len(shadow) and shadow[end] in _ALNUM and end - start <= 18:
        end += 1
    if end - start != 18:
        return False
    code = shadow[start:end].upper()
    if (any(ch not in _USCC_VALUE for ch in code) or uscc_check_char(code[:17]) != code[17]
            or (code[2:4] not in PROVINCE_CODES and code[2:8] != "100000")
            or _organization_check(code[8:16]) != code[16]):
        return False
    return not (_ID_SHAPE.fullmatch(code) and id_card_check_char(code[:17]) == code[17])


def _organization_check(body: str) -> str:
    """The GB 11714-1997 check character of an organization code (组织机构代码), which a
    unified social credit code holds as its characters 9-17."""
    total = sum(_USCC_VALUE[ch] * weight if ch.isdigit() else (ord(ch) - 55) * weight
                for ch, weight in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return "0123456789X0"[11 - total % 11]


class MaskingFilter(logging.Filter):
    """A logging filter that masks identity and phone numbers in a record's message (and its
    traceback text): attach it to a logger or a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


def personal_logger(name: str) -> logging.Logger:
    """The logger ``name`` with a :class:`MaskingFilter` attached (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    return logger


def id_card_check_char(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of an identity number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("the check character is computed from exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a unified social
    credit code (统一社会信用代码): characters ``0-9 A-Y`` without ``I O S V Z``, upper case."""
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        raise ValueError("the check character is computed from exactly 17 characters of "
                         f"{_USCC_ALPHABET}")
    total = sum(_USCC_VALUE[ch] * weight
                for ch, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[-total % 31]


def clean_value(
    type: str,
    raw: object,
    *,
    values: tuple[str, ...] | None = None,
    minimum: object = None,
    maximum: object = None,
    today: date | None = None,
    personal: bool = False,
) -> object:
    """Check ``raw`` against a field ``type`` and return its clean value.

    ``values`` are the allowed values of an enum; ``minimum``/``maximum`` are
    inclusive bounds for int, decimal and date fields; ``today`` is the latest
    birth date an identity number may carry (default: ``date.today()``).
    ``personal`` (a field marked ``personal: true``) keeps the value out of every message.
    Raises :class:`ValueProblem` for a value a person got wrong.
    """
    token = _HIDDEN.set(personal)
    try:
        return _clean(type, raw, values, minimum, maximum, today)
    finally:
        _HIDDEN.reset(token)


def _clean(type: str, raw: object, values: tuple[str, ...] | None, minimum: object,
           maximum: object, today: date | None) -> object:
    if raw is None:
        raise ValueProblem("no value given", "fill in a value or leave the field out")
    if isinstance(raw, int) and raw.bit_length() > _HUGE_BITS:  # str() refuses it, too
        raise ValueProblem(f"the number {_shown_value(raw)} is far too long",
                           "write the value the form asks for")
    if isinstance(raw, str):
        _check_text(raw)
    if type == "enum":
        value = _clean_enum(raw, values)
    elif type == "id_card":
        value = _clean_id_card(raw, today if today is not None else date.today())
    elif type == "uscc":
        value = _clean_uscc(raw)
    elif type in _SIMPLE:
        value = _SIMPLE[type](raw)
    else:
        raise ValueError(f"unknown field type {type!r}; expected one of {sorted(FIELD_TYPES)}")
    if minimum is not None or maximum is not None:
        _check_bounds(type, value, minimum, maximum)
    return value


def _check_text(raw: str) -> None:
    """Refuse text no person types: too long, or holding control characters or surrogates."""
    if len(raw) > TEXT_MAX:
        raise ValueProblem(f"the text has {len(raw):,} characters; at most {TEXT_MAX:,} are "
                           "allowed", "shorten it; hand in a long document as a material")
    bad = _FORBIDDEN_CHAR.search(raw)
    if bad is not None:
        code = ord(bad.group())
        what = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
        raise ValueProblem(
            f"the text holds {what} (U+{code:04X}) at character {bad.start() + 1:,}",
            "remove it: text may hold tabs and line breaks, but no other control characters")


def _show(raw: object) -> str:
    if _HIDDEN.get():
        return _HIDDEN_TEXT
    text = repr(raw)
    text = text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 3] + "..."
    return mask_text(text)


def _shown_value(value: object) -> str:
    """A clean value as a message quotes it (never a personal one), shortened."""
    if _HIDDEN.get():
        return _HIDDEN_TEXT
    if isinstance(value, int) and value.bit_length() > _HUGE_BITS:
        return f"of about {value.bit_length() * 0.30103:,.0f} digits"
    text = str(value)
    return mask_text(text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 3] + "...")


#: an int this long is not shown or converted to text (Python refuses past 4,300 digits)
_HUGE_BITS = 1_000
#: the most digits an int field holds (a signed 64-bit integer in every database)
_INT_DIGITS = 18


def _kind(raw: object) -> str:
    if isinstance(raw, bool):
        return f"the boolean {str(raw).lower()}"
    if isinstance(raw, (int, float, Decimal)):
        return "a number " + _HIDDEN_TEXT if _HIDDEN.get() else f"the number {_shown_value(raw)}"
    if isinstance(raw, str):
        return f"the text {_show(raw)}"
    if isinstance(raw, (list, tuple)):
        return "a list"
    if isinstance(raw, dict):
        return "a mapping"
    return f"a {type(raw).__name__}"


def _clean_string(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValueProblem(f"expected text, got {_kind(raw)}", "quote the value to make it text")
    return raw


def _clean_int(raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw.bit_length() > 63:
            raise ValueProblem(f"the number {_shown_value(raw)} is too large",
                               f"a whole number of at most {_INT_DIGITS} digits")
        return raw
    if isinstance(raw, str) and _INT_TEXT.fullmatch(raw.strip()):
        digits = raw.strip().lstrip("+-").lstrip("0")
        if len(digits) > _INT_DIGITS:
            raise ValueProblem(f"a number of {len(digits):,} digits is too large",
                               f"a whole number of at most {_INT_DIGITS} digits")
        return int(raw.strip())
    raise ValueProblem(f"expected a whole number, got {_kind(raw)}", "write digits only, e.g. 12")


def _clean_decimal(raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise ValueProblem(f"expected a number, got {_kind(raw)}", "write a number, e.g. 12 or 0.5")
    if isinstance(raw, str) and len(raw) > 100:
        raise ValueProblem(f"the number {_shown_value(raw)} is too long",
                           "write an amount of at most 100 characters")
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueProblem(
            f"expected a number, got {_kind(raw)}", "write a number, e.g. 12 or 0.5"
        ) from None
    if not value.is_finite():
        raise ValueProblem(f"expected a finite number, got {_kind(raw)}", "write an actual amount")
    return _limit_decimal(value)


def _limit_decimal(value: Decimal) -> Decimal:
    """``value`` if it fits ``NUMERIC(30, 10)``: below 10**20, in steps of at least 10**-10.

    Trailing zeros after the decimal point are dropped down to 10 places (``1.500000000000``
    becomes ``1.5000000000``); a zero with any exponent becomes plain ``0``.  Only the
    digits and the exponent are looked at, so ``1e999999`` is refused without arithmetic.
    """
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # a finite value
    zeros = len(digits) - len(bytes(digits).rstrip(b"\0"))
    if zeros == len(digits):  # zero
        return value if -_DECIMAL_PLACES <= exponent <= 0 else Decimal(0).copy_sign(value)
    if exponent + len(digits) > _DECIMAL_WHOLE_DIGITS:
        raise ValueProblem(f"the number {_shown_value(value)} is too large",
                           f"write an amount below 10^{_DECIMAL_WHOLE_DIGITS} (at most "
                           f"{_DECIMAL_WHOLE_DIGITS} digits before the decimal point)")
    if exponent + zeros < -_DECIMAL_PLACES:
        raise ValueProblem(f"the number {_shown_value(value)} has more than {_DECIMAL_PLACES} "
                           "digits after the decimal point",
                           f"round it to at most {_DECIMAL_PLACES} decimal places")
    if exponent < -_DECIMAL_PLACES:
        return value.quantize(Decimal(1).scaleb(-_DECIMAL_PLACES), context=_DECIMAL_CONTEXT)
    return value


def _clean_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    word = raw.strip().lower() if isinstance(raw, str) else None
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueProblem(
        f"expected true or false, got {_kind(raw)}", "write true/false, yes/no or 1/0"
    )


def _clean_date(raw: object) -> date:
    if isinstance(raw, datetime):
        raise ValueProblem("expected a date, got a date and time", "leave out the time of day")
    if isinstance(raw, date):
        return raw
    hint = "write the date as YYYY-MM-DD, e.g. 2024-03-01"
    if not isinstance(raw, str) or not _DATE_TEXT.fullmatch(raw.strip()):
        raise ValueProblem(f"expected a date, got {_kind(raw)}", hint)
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueProblem(f"{_show(raw.strip())} is not a real date", hint) from None


def _clean_enum(raw: object, values: tuple[str, ...] | None) -> str:
    if not values:
        raise ValueProblem("an enum field needs its allowed values", "list them under 'values'")
    listing = ", ".join(repr(value) for value in values)
    if isinstance(raw, str) and raw in values:
        return raw
    close = get_close_matches(raw, values, n=1) if isinstance(raw, str) else []
    hint = f"did you mean {close[0]!r}?" if close else "use one of the listed values exactly"
    raise ValueProblem(f"{_kind(raw)} is not one of the allowed values: {listing}", hint)


def _clean_phone(raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ValueProblem(f"expected a phone number as text, got {_kind_of_sensitive(raw)}")
    text = _PHONE_NOISE.sub("", str(raw))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not _MOBILE.fullmatch(text):
        shown = mask("phone", text) if len(text) <= 20 else f"of {len(text):,} characters"
        raise ValueProblem(
            f"phone number {shown} is not a mainland mobile number",
            "write 11 digits starting with 1, e.g. 138 0013 8000; a +86 prefix is allowed",
        )
    return text


def _kind_of_sensitive(raw: object) -> str:
    return "a number" if isinstance(raw, (int, float, Decimal)) else _kind(raw)


def _clean_id_card(raw: object, today: date) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ValueProblem(f"expected an identity number as text, got {_kind_of_sensitive(raw)}")
    text = re.sub(r"\s", "", str(raw)).upper()
    shown = mask("id_card", text) if len(text) <= 20 else "(too long to show)"
    if len(text) != 18:
        raise ValueProblem(
            f"identity number {shown} has {len(text)} characters; it needs 18",
            "17 digits followed by a digit or X",
        )
    if not _ID_SHAPE.fullmatch(text):
        raise ValueProblem(
            f"identity number {shown} must be 17 digits followed by a digit or X",
            "only the last character may be X",
        )
    if not _real_region(text):
        raise ValueProblem(
            f"identity number {shown} does not start with a region code",
            "characters 1-6 are the region (GB/T 2260) where it was issued, e.g. 110105; "
            "look for a mistyped digit",
        )
    _check_birth_date(text, shown, today)
    if id_card_check_char(text[:17]) != text[17]:
        raise ValueProblem(
            f"identity number {shown} has a wrong check character",
            "the last character is a checksum of the other 17 (GB 11643-1999); "
            "look for a mistyped digit",
        )
    return text


def _real_region(text: str) -> bool:
    """Whether an identity number starts with a province-level code (:data:`PROVINCE_CODES`)
    and is not region 000000, or is a 2023 permanent residence card (9, then a province)."""
    if text.startswith("000000"):
        return False
    return text[:2] in PROVINCE_CODES or (text[0] == "9" and text[1:3] in PROVINCE_CODES)


def _clean_uscc(raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ValueProblem(f"expected a unified social credit code as text, got {_kind(raw)}",
                           "write the 18 characters printed on the business licence")
    text = re.sub(r"\s", "", str(raw).translate(_FULL_WIDTH)).upper()
    shown = _show(text) if len(text) <= _SHOWN_MAX else "(too long to show)"
    if len(text) != 18:
        raise ValueProblem(
            f"unified social credit code {shown} has {len(text):,} characters; it needs 18",
            "18 digits and capital letters, e.g. 91350100M000100Y43")
    for place, ch in enumerate(text, 1):
        if ch not in _USCC_VALUE:
            what = f"character {place}" if _HIDDEN.get() else f"character {place} ({ch!r})"
            hint = (f"the code never uses the letters {', '.join(_USCC_NEVER)}: is an I a 1, "
                    "an O a 0, an S a 5, a Z a 2?" if ch in _USCC_NEVER
                    else "only digits and the capital letters A-Y (but I, O, S, V, Z) occur")
            raise ValueProblem(
                f"unified social credit code {shown} holds {what}, which such codes never use",
                hint)
    if uscc_check_char(text[:17]) != text[17]:
        raise ValueProblem(
            f"unified social credit code {shown} has a wrong check character",
            "the last character is a checksum of the other 17 (GB 32100-2015); "
            "look for a mistyped character")
    return text


def _check_birth_date(text: str, shown: str, today: date) -> None:
    where = "characters 7-14 hold the birth date as YYYYMMDD"
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise ValueProblem(f"identity number {shown} has no real birth date", where) from None
    if born > today:
        raise ValueProblem(f"identity number {shown} has a birth date in the future", where)


def _check_bounds(type: str, value: Any, minimum: object, maximum: object) -> None:
    if type not in _ORDERED:
        raise ValueError(f"minimum/maximum apply to int, decimal and date fields, not {type!r}")
    clean = _clean_date if type == "date" else _clean_decimal
    below, least, above, most = _BOUND_WORDS.get(type, _NUMBER_BOUND_WORDS)
    if minimum is not None and value < clean(minimum):
        raise ValueProblem(f"{_shown_value(value)} is {below}; it must be {least} "
                           f"{clean(minimum)}")
    if maximum is not None and value > clean(maximum):
        raise ValueProblem(f"{_shown_value(value)} is {above}; it must be {most} "
                           f"{clean(maximum)}")


_NUMBER_BOUND_WORDS = ("too small", "at least", "too large", "at most")
_BOUND_WORDS = {"date": ("too early", "on or after", "too late", "on or before")}
_SIMPLE: dict[str, Callable[[object], object]] = {
    "string": _clean_string,
    "int": _clean_int,
    "decimal": _clean_decimal,
    "bool": _clean_bool,
    "date": _clean_date,
    "phone": _clean_phone,
}
_ORDERED = frozenset({"int", "decimal", "date"})
