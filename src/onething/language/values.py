"""Validating and cleaning submitted form values.

Values arrive from JSON, YAML or the command line, so each field type accepts a
few spellings and turns them into one clean Python value:

=========  ==================================================  ======================
type       accepted                                            clean value
=========  ==================================================  ======================
string     ``str``                                             ``str``
int        ``int`` (not ``bool``), ``"12"``, ``"-3"``          ``int``
decimal    ``int``, ``float``, ``Decimal``, ``"0.5"``          ``decimal.Decimal``
bool       ``bool``, true/false, yes/no, 1/0 as text           ``bool``
date       ``datetime.date``, ``"YYYY-MM-DD"``                 ``datetime.date``
enum       one of the declared values                          ``str``
id_card    an 18-character PRC resident identity number        ``str`` (upper ``X``)
phone      a mainland mobile number, ``+86`` allowed           ``str`` (11 digits)
uscc       a 统一社会信用代码 (unified social credit code)     ``str`` (18, upper)
=========  ==================================================  ======================

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

import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Context, Decimal, InvalidOperation
from difflib import get_close_matches
from typing import Any

from onething.errors import ValueProblem
from onething.privacy.masking import mask, mask_text
from onething.privacy.numbers import (
    _FULL_WIDTH,
    _ID_SHAPE,
    _USCC_NEVER,
    _USCC_VALUE,
    PROVINCE_CODES,
    id_card_check_char,
    uscc_check_char,
)

FIELD_TYPES = frozenset(
    {"string", "int", "decimal", "bool", "date", "enum", "id_card", "phone", "uscc"})


_INT_TEXT = re.compile(r"[+-]?[0-9]+")


_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


_MOBILE = re.compile(r"1[3-9][0-9]{9}")


_PHONE_NOISE = re.compile(r"[\s\-]")


_TRUE_WORDS = frozenset({"true", "yes", "1"})


_FALSE_WORDS = frozenset({"false", "no", "0"})


_SHOWN_MAX = 40


#: the most characters a text value may hold (of any type: longer text is refused unread)
TEXT_MAX = 10_000


#: control characters (category Cc) other than tab, line feed and carriage return, and lone
#: surrogates: never part of a value a person typed
_FORBIDDEN_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


#: a decimal has at most this many digits before the point and after it (NUMERIC(30, 10))
_DECIMAL_WHOLE_DIGITS = 20


_DECIMAL_PLACES = 10


#: the largest int a field accepts (a signed 64-bit integer; the smallest is its negative)
INT_LIMIT = 2**63 - 1


#: the step between decimals a field accepts, and the largest one (the smallest: its negative)
DECIMAL_STEP = Decimal(1).scaleb(-_DECIMAL_PLACES)


DECIMAL_LIMIT = Decimal("9" * _DECIMAL_WHOLE_DIGITS + "." + "9" * _DECIMAL_PLACES)


_DECIMAL_CONTEXT = Context(prec=_DECIMAL_WHOLE_DIGITS + _DECIMAL_PLACES + 10)


#: True while a ``personal`` field is cleaned: its messages then quote no value at all
_HIDDEN: ContextVar[bool] = ContextVar("onething_personal_value", default=False)


_HIDDEN_TEXT = "(value not shown: personal data)"


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
        raise ValueProblem("no value given", "fill in a value or leave the field out",
                           code="submission.field.no_value")
    if isinstance(raw, int) and raw.bit_length() > _HUGE_BITS:  # str() refuses it, too
        raise ValueProblem(f"the number {_shown_value(raw)} is far too long",
                           "write the value the form asks for",
                           code="submission.field.number_too_long")
    if isinstance(raw, str):
        _check_text(raw)
    value: object
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
                           "allowed", "shorten it; hand in a long document as a material",
                           code="submission.field.text_too_long",
                           params={"length": len(raw), "max": TEXT_MAX})
    bad = _FORBIDDEN_CHAR.search(raw)
    if bad is not None:
        code = ord(bad.group())
        what = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
        raise ValueProblem(
            f"the text holds {what} (U+{code:04X}) at character {bad.start() + 1:,}",
            "remove it: text may hold tabs and line breaks, but no other control characters",
            code="submission.field.control_character", params={"position": bad.start() + 1})


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
        raise ValueProblem(f"expected text, got {_kind(raw)}", "quote the value to make it text",
                           code="submission.field.not_text")
    return raw


def _clean_int(raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw.bit_length() > 63:
            raise ValueProblem(f"the number {_shown_value(raw)} is too large",
                               f"a whole number of at most {_INT_DIGITS} digits",
                               code="submission.field.number_too_large",
                               params={"digits": _INT_DIGITS})
        return raw
    if isinstance(raw, str) and _INT_TEXT.fullmatch(raw.strip()):
        digits = raw.strip().lstrip("+-").lstrip("0")
        if len(digits) > _INT_DIGITS:
            raise ValueProblem(f"a number of {len(digits):,} digits is too large",
                               f"a whole number of at most {_INT_DIGITS} digits",
                               code="submission.field.number_too_large",
                               params={"digits": _INT_DIGITS})
        return int(raw.strip())
    raise ValueProblem(f"expected a whole number, got {_kind(raw)}", "write digits only, e.g. 12",
                       code="submission.field.not_whole_number")


def _clean_decimal(raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise ValueProblem(f"expected a number, got {_kind(raw)}", "write a number, e.g. 12 or 0.5",
                           code="submission.field.not_number")
    if isinstance(raw, str) and len(raw) > 100:
        raise ValueProblem(f"the number {_shown_value(raw)} is too long",
                           "write an amount of at most 100 characters",
                           code="submission.field.number_text_too_long", params={"max": 100})
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueProblem(
            f"expected a number, got {_kind(raw)}", "write a number, e.g. 12 or 0.5",
            code="submission.field.not_number") from None
    if not value.is_finite():
        raise ValueProblem(f"expected a finite number, got {_kind(raw)}", "write an actual amount",
                           code="submission.field.not_finite")
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
                           f"{_DECIMAL_WHOLE_DIGITS} digits before the decimal point)",
                           code="submission.field.amount_too_large",
                           params={"digits": _DECIMAL_WHOLE_DIGITS})
    if exponent + zeros < -_DECIMAL_PLACES:
        raise ValueProblem(f"the number {_shown_value(value)} has more than {_DECIMAL_PLACES} "
                           "digits after the decimal point",
                           f"round it to at most {_DECIMAL_PLACES} decimal places",
                           code="submission.field.too_many_decimals",
                           params={"places": _DECIMAL_PLACES})
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
        f"expected true or false, got {_kind(raw)}", "write true/false, yes/no or 1/0",
        code="submission.field.not_boolean")


def _clean_date(raw: object) -> date:
    if isinstance(raw, datetime):
        raise ValueProblem("expected a date, got a date and time", "leave out the time of day",
                           code="submission.field.date_with_time")
    if isinstance(raw, date):
        return raw
    hint = "write the date as YYYY-MM-DD, e.g. 2024-03-01"
    if not isinstance(raw, str) or not _DATE_TEXT.fullmatch(raw.strip()):
        raise ValueProblem(f"expected a date, got {_kind(raw)}", hint,
                           code="submission.field.not_date")
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueProblem(f"{_show(raw.strip())} is not a real date", hint,
                           code="submission.field.no_such_date") from None


def _clean_enum(raw: object, values: tuple[str, ...] | None) -> str:
    if not values:
        raise ValueProblem("an enum field needs its allowed values", "list them under 'values'",
                           code="submission.field.no_allowed_values")
    listing = ", ".join(repr(value) for value in values)
    if isinstance(raw, str) and raw in values:
        return raw
    close = get_close_matches(raw, values, n=1) if isinstance(raw, str) else []
    hint = f"did you mean {close[0]!r}?" if close else "use one of the listed values exactly"
    raise ValueProblem(f"{_kind(raw)} is not one of the allowed values: {listing}", hint,
                       code="submission.field.not_allowed", params={"allowed": listing})


def _clean_phone(raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ValueProblem(f"expected a phone number as text, got {_kind_of_sensitive(raw)}",
                           code="submission.field.phone_not_text")
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
            code="submission.field.not_mobile")
    return text


def _kind_of_sensitive(raw: object) -> str:
    return "a number" if isinstance(raw, (int, float, Decimal)) else _kind(raw)


def _clean_id_card(raw: object, today: date) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ValueProblem(f"expected an identity number as text, got {_kind_of_sensitive(raw)}",
                           code="submission.field.id_not_text")
    text = re.sub(r"\s", "", str(raw)).upper()
    shown = mask("id_card", text) if len(text) <= 20 else "(too long to show)"
    if len(text) != 18:
        raise ValueProblem(
            f"identity number {shown} has {len(text)} characters; it needs 18",
            "17 digits followed by a digit or X",
            code="submission.field.id_length", params={"length": len(text)})
    if not _ID_SHAPE.fullmatch(text):
        raise ValueProblem(
            f"identity number {shown} must be 17 digits followed by a digit or X",
            "only the last character may be X", code="submission.field.id_shape")
    if not _real_region(text):
        raise ValueProblem(
            f"identity number {shown} does not start with a region code",
            "characters 1-6 are the region (GB/T 2260) where it was issued, e.g. 110105; "
            "look for a mistyped digit", code="submission.field.id_region")
    _check_birth_date(text, shown, today)
    if id_card_check_char(text[:17]) != text[17]:
        raise ValueProblem(
            f"identity number {shown} has a wrong check character",
            "the last character is a checksum of the other 17 (GB 11643-1999); "
            "look for a mistyped digit", code="submission.field.id_check")
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
                           "write the 18 characters printed on the business licence",
                           code="submission.field.uscc_not_text")
    text = re.sub(r"\s", "", str(raw).translate(_FULL_WIDTH)).upper()
    shown = _show(text) if len(text) <= _SHOWN_MAX else "(too long to show)"
    if len(text) != 18:
        raise ValueProblem(
            f"unified social credit code {shown} has {len(text):,} characters; it needs 18",
            "18 digits and capital letters, e.g. 91350100M000100Y43",
            code="submission.field.uscc_length", params={"length": len(text)})
    for place, ch in enumerate(text, 1):
        if ch not in _USCC_VALUE:
            what = f"character {place}" if _HIDDEN.get() else f"character {place} ({ch!r})"
            hint = (f"the code never uses the letters {', '.join(_USCC_NEVER)}: is an I a 1, "
                    "an O a 0, an S a 5, a Z a 2?" if ch in _USCC_NEVER
                    else "only digits and the capital letters A-Y (but I, O, S, V, Z) occur")
            raise ValueProblem(
                f"unified social credit code {shown} holds {what}, which such codes never use",
                hint, code="submission.field.uscc_character", params={"position": place})
    if uscc_check_char(text[:17]) != text[17]:
        raise ValueProblem(
            f"unified social credit code {shown} has a wrong check character",
            "the last character is a checksum of the other 17 (GB 32100-2015); "
            "look for a mistyped character", code="submission.field.uscc_check")
    return text


def _check_birth_date(text: str, shown: str, today: date) -> None:
    where = "characters 7-14 hold the birth date as YYYYMMDD"
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise ValueProblem(f"identity number {shown} has no real birth date", where,
                           code="submission.field.id_birth_date") from None
    if born > today:
        raise ValueProblem(f"identity number {shown} has a birth date in the future", where,
                           code="submission.field.id_birth_future")


def _check_bounds(type: str, value: Any, minimum: object, maximum: object) -> None:
    if type not in _ORDERED:
        raise ValueError(f"minimum/maximum apply to int, decimal and date fields, not {type!r}")
    clean = _clean_date if type == "date" else _clean_decimal
    below, least, above, most = _BOUND_WORDS.get(type, _NUMBER_BOUND_WORDS)
    early, late = ("submission.field.too_early", "submission.field.too_late") \
        if type == "date" else ("submission.field.too_small", "submission.field.too_large")
    if minimum is not None and value < clean(minimum):
        raise ValueProblem(f"{_shown_value(value)} is {below}; it must be {least} "
                           f"{clean(minimum)}", code=early, params={"bound": clean(minimum)})
    if maximum is not None and value > clean(maximum):
        raise ValueProblem(f"{_shown_value(value)} is {above}; it must be {most} "
                           f"{clean(maximum)}", code=late, params={"bound": clean(maximum)})


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
