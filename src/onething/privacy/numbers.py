"""Identity numbers and credit codes: their check characters and region codes (GB 11643, GB 32100,
GB/T 2260, GB 11714)."""

from __future__ import annotations

import datetime as dt
import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


_ID_CHECK = "10X98765432"


_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


#: the province-level codes (省级行政区划代码) of GB/T 2260-2007 (as kept current by the
#: Ministry of Civil Affairs): 11-15 华北, 21-23 东北, 31-37 华东, 41-46 中南, 50-54 西南,
#: 61-65 西北, 71 台湾, 81 香港, 82 澳门; plus 83, which GB/T 2260 does not list but the
#: 台湾居民居住证 (2018) uses.  An identity number starts with one of these; a 外国人永久
#: 居留身份证 (2023, same 18-character format and check) starts with 9 and one of these.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83"})


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


_USCC_VALUE = {ch: value for value, ch in enumerate(_USCC_ALPHABET)}


#: GB 32100-2015: the weight of position i is 3**i mod 31
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


_USCC_NEVER = "IOSVZ"


#: full-width ASCII (U+FF01-U+FF5E) and the ideographic space, folded to ASCII
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _organization_check(body: str) -> str:
    """The GB 11714-1997 check character of an organization code (组织机构代码), which a
    unified social credit code holds as its characters 9-17."""
    total = sum(_USCC_VALUE[ch] * weight if ch.isdigit() else (ord(ch) - 55) * weight
                for ch, weight in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return "0123456789X0"[11 - total % 11]


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


_DIGIT_RUN = re.compile(r"[0-9]+[Xx]?")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def _birth_date(text: str) -> bool:
    """Whether ``text`` (YYYYMMDD) is a plausible date of birth, 1900 to 2099."""
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return 1900 <= day.year <= 2099


def holds_personal_number(identifier: str) -> bool:
    """Whether an identifier (an electronic licence's, a reference) holds an identity or
    mobile number anywhere: in any of its parts split at ``.``, ``_`` or ``-``, or in the
    whole with those separators removed, and at any offset of a longer run of digits for
    identity numbers (18 characters with a plausible date of birth — inside a longer run only
    with its right check character — or 15 digits with one).
    Stricter than :func:`onething.privacy.masking.mask_text`, which spares numbers in
    amounts and hexadecimal runs: an identifier is no free text, and a personal licence's
    identifier often embeds the holder's identity number."""
    parts = re.split(r"[._-]", identifier)
    joined = "".join(parts)
    if _DIGIT_RUN.fullmatch(joined) and len(joined) in (11, 15, 18) and _personal_run(joined):
        return True  # one number written in groups: 138_0013_8000
    return any(_personal_run(run) for part in parts for run in _DIGIT_RUN.findall(part))


def _personal_run(run: str) -> bool:
    """Whether a run of digits (an ``X`` may end it) is a mobile or identity number, or holds
    an identity number inside (there only with its right check character: a longer run of
    digits is most often a code of its own, region + date + serial)."""
    if len(run) == 11 and _MOBILE.fullmatch(run):
        return True
    if len(run) == 15 and run.isdigit() and _birth_date("19" + run[6:12]):
        return True
    if len(run) == 18:
        return _birth_date(run[6:14])
    for start in range(len(run) - 17):
        window = run[start:start + 18].upper()
        if window[:17].isdigit() and _birth_date(window[6:14]) \
                and id_card_check_char(window[:17]) == window[17]:
            return True
    return False
