"""The lookup code (查询码) printed on a case's acceptance notice: with the case number it lets
whoever holds the notice follow the case's progress without signing in (docs/http.md, "The
progress lookup"). An HMAC-SHA256 of the case number under a key the store keeps, written as
10 letters of Crockford's base32 (50 bits): nothing is stored per case, and nobody computes it
without the database's key."""

from __future__ import annotations

import hashlib
import hmac

#: the letters of a lookup code: Crockford's base32 (no I, L, O or U to misread)
LOOKUP_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: a lookup code's letters: 10 of 32 is 50 bits, guessed at 1 in 2**50 a try
LOOKUP_LENGTH = 10
#: the name of the store's secret the codes are made with
LOOKUP_KEY = "lookup-key"
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def lookup_code(key: bytes, case_id: str) -> str:
    """The lookup code of case ``case_id`` under ``key``, as ``XXXXX-XXXXX``."""
    digest = hmac.new(key, case_id.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    letters = "".join(LOOKUP_ALPHABET[(number >> (5 * i)) & 31] for i in range(LOOKUP_LENGTH))
    return f"{letters[:5]}-{letters[5:]}"


def code_matches(expected: str, typed: str) -> bool:
    """Whether ``typed`` is the code ``expected`` as people type it back: any case, spaces and
    dashes ignored, O read as 0 and I or L as 1 (compared in constant time)."""
    plain = "".join(ch for ch in typed.upper() if ch not in " -").translate(_READS_AS)
    return hmac.compare_digest(plain.encode("utf-8", "surrogatepass"),
                               expected.replace("-", "").encode())
