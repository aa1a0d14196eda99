"""Masking personal numbers (identity and mobile phone numbers) in values, free text and log
records, however they are written."""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata

from onething.privacy.numbers import (
    _ID_SHAPE,
    _USCC_VALUE,
    PROVINCE_CODES,
    _organization_check,
    id_card_check_char,
    uscc_check_char,
)

SENSITIVE_TYPES = frozenset({"id_card", "phone"})


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


def clip(text: object, length: int) -> str:
    """``text`` masked, then cut to ``length`` characters — in that order: a number cut
    first (17 of an identity number's 18 digits) no longer reads as one and would pass."""
    return mask_text(text)[:length]


def mask_text(text: object) -> str:
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


class MaskingFilter(logging.Filter):
    """A logging filter that masks identity and phone numbers in a record's message (and its
    traceback text): attach it to a logger or a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            flatten = True
            if isinstance(record.args, tuple):  # masked in place: a formatter may read them
                args = tuple(masked_value(a) for a in record.args)
                try:
                    flatten = mask_text(str(record.msg) % args) != str(record.msg) % args
                except (TypeError, ValueError):  # a masked number where %d was asked
                    flatten = True
                if not flatten:
                    record.args = args
            if flatten:  # what the arguments could not say: the whole message, masked
                record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


def masked_value(value: object) -> object:
    """``value`` masked if it is text, or a number that reads as a personal one (given as a
    number where text was asked: then its masked text); any other value as it is."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and mask_text(str(value)) != \
            str(value):
        return mask_text(str(value))
    return value


def personal_logger(name: str) -> logging.Logger:
    """The logger ``name`` with a :class:`MaskingFilter` attached (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    return logger


#: the package's own logger masks too (a host may log through it, or set its level)
personal_logger("onething")
