"""Keyed-hash pseudonyms for the people behind cases (PIPL art. 73(3): 去标识化).

A case records its applicant, and the agents they authorize, as the host identified them — a
person by the 居民身份证号码 (GB 11643), a company by the 统一社会信用代码 (GB 32100), or any
other stable subject id the host's sign-on gives. The number itself is never stored: the
engine stores ``HMAC-SHA256(key, normalised identity)``, shortened to 96 bits and prefixed by the
key's id (``k1.3f9a0c…``). Actor texts in the history, event rows and idempotency records carry
the pseudonym, so an applicant is recognised on a later visit without keeping the number, and
erasing a case drops the link.

The key is the host's: ``Engine(pseudonyms=Pseudonyms.from_text(...))``, or
``ONETHING_PSEUDONYM_KEYS`` for the command line. Without one, a store keeps a random key of its
own (in its ``meta`` table) so that development and the demo work; a key kept beside the data
does not protect against someone holding the database, so production configures its own.

Rotation: a keyring holds the current key (first) and older ones. New pseudonyms use the current
key; a pseudonym names its key, so matching an applicant against a case made under an older key
still works. Retire an old key once no case that is still kept names it (docs/roles.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping

from onething.errors import InvalidArgument
from onething.privacy.masking import clip
from onething.privacy.numbers import id_card_check_char, uscc_check_char

#: the environment variable holding the keyring for the command line
KEYS_VARIABLE = "ONETHING_PSEUDONYM_KEYS"

_KEY_ID = re.compile(r"[a-z0-9]{1,8}")
_ID_CARD = re.compile(r"[0-9]{17}[0-9X]")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_PSEUDONYM = re.compile(r"([a-z0-9]{1,8})\.([0-9a-f]{24})")
#: the longest identity accepted (a subject id from a sign-on system, a passport number, ...)
MAX_IDENTITY = 200


class Pseudonyms:
    """A keyring that turns identities into pseudonyms and recognises them again."""

    def __init__(self, keys: Mapping[str, bytes], current: str | None = None) -> None:
        if not keys:
            raise InvalidArgument("a keyring needs at least one key")
        for key_id, key in keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise InvalidArgument(f"a key id is 1-8 lower-case letters or digits, "
                                      f"not {clip(key_id, 20)!r}")
            if len(key) < 16:
                raise InvalidArgument(f"key {key_id} is too short: use at least 16 random bytes")
        self._keys = dict(keys)
        self.current = current or next(iter(keys))
        if self.current not in self._keys:
            raise InvalidArgument(f"the current key {self.current!r} is not in the keyring")

    @classmethod
    def from_text(cls, text: str) -> Pseudonyms:
        """``"k2:<base64 key>,k1:<base64 key>"``: the first is current, the others older."""
        keys: dict[str, bytes] = {}
        for part in text.split(","):
            key_id, sep, encoded = part.strip().partition(":")
            if not sep:
                raise InvalidArgument("write the keyring as id:base64key[,id:base64key...]",
                                      "e.g. k1:" + base64.b64encode(b"0" * 32).decode())
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise InvalidArgument(f"key {clip(key_id, 8)!r} is not base64 text") from None
        return cls(keys)

    @classmethod
    def from_environment(cls) -> Pseudonyms | None:
        """The keyring in ``$ONETHING_PSEUDONYM_KEYS``, or None when it is not set."""
        text = os.environ.get(KEYS_VARIABLE, "").strip()
        return cls.from_text(text) if text else None

    @staticmethod
    def new_key() -> bytes:
        """32 random bytes, for a new key."""
        return secrets.token_bytes(32)

    def of(self, identity: str) -> str:
        """The pseudonym of ``identity`` under the current key."""
        return self._under(self.current, normalise(identity))

    def matches(self, identity: str, pseudonym: str) -> bool:
        """Whether ``identity`` is the one behind ``pseudonym`` (under whichever key it names)."""
        found = _PSEUDONYM.fullmatch(pseudonym or "")
        if found is None or found.group(1) not in self._keys:
            return False
        try:
            clean = normalise(identity)
        except InvalidArgument:
            return False
        return hmac.compare_digest(self._under(found.group(1), clean), pseudonym)

    def all_of(self, identity: str) -> tuple[str, ...]:
        """The pseudonyms ``identity`` has under every key of the ring (for searches)."""
        clean = normalise(identity)
        return tuple(self._under(key_id, clean) for key_id in self._keys)

    def _under(self, key_id: str, clean: str) -> str:
        digest = hmac.new(self._keys[key_id], clean.encode("utf-8"), hashlib.sha256)
        return f"{key_id}.{digest.hexdigest()[:24]}"


def normalise(identity: str) -> str:
    """One spelling per identity: full-width folded, spaces removed, upper case; an identity
    number or 统一社会信用代码 must carry its right check character.

    Raises :class:`~onething.errors.InvalidArgument` (never quoting the identity).
    """
    if not isinstance(identity, str):
        raise InvalidArgument(f"an identity is text, not {type(identity).__name__}")
    if len(identity) > MAX_IDENTITY:
        raise InvalidArgument(f"an identity of {len(identity):,} characters is too long",
                              f"at most {MAX_IDENTITY}")
    text = "".join(unicodedata.normalize("NFKC", identity).split()).upper()
    if not text:
        raise InvalidArgument("the applicant's identity is empty",
                              "give the ID number, 统一社会信用代码 or the sign-on's subject id")
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Cf") for ch in text):
        raise InvalidArgument("an identity holds control or invisible characters")
    if len(text) == 18 and _ID_CARD.fullmatch(text) and _looks_born(text):
        if id_card_check_char(text[:17]) != text[17]:
            if _USCC.fullmatch(text) and uscc_check_char(text[:17]) == text[17]:
                return text
            raise InvalidArgument("the identity number has a wrong check character",
                                  "GB 11643: the last character is a checksum of the others")
        return text
    if len(text) == 18 and _USCC.fullmatch(text) and not text.isdigit() \
            and uscc_check_char(text[:17]) != text[17]:
        raise InvalidArgument("the 统一社会信用代码 has a wrong check character",
                              "GB 32100: the last character is a checksum of the others")
    return text


def _looks_born(text: str) -> bool:
    year, month, day = int(text[6:10]), int(text[10:12]), int(text[12:14])
    return 1800 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31


def legacy_pseudonym(identity: str) -> str:
    """The unkeyed pseudonym a case upgraded from schema 1 records for the id it was submitted
    with (docs/stores.md): ``legacy.<24 hex digits of SHA-256>``."""
    return "legacy." + hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:24]
