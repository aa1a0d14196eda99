"""What a caller acting for someone else (the HTTP server) asks before a read or a change:
may this person read the case, is the case still at the version they read, and does a lookup
code printed on the case's acceptance notice match (the applicant's progress lookup)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from onething.engine import _unit

if TYPE_CHECKING:
    from onething.cases.records import Actor
    from onething.stores.base import Store

#: the letters of a lookup code: Crockford's base32 (no I, L, O or U to misread)
LOOKUP_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: a lookup code's letters: 10 of 32 is 50 bits, guessed at 1 in 2**50 a try
LOOKUP_LENGTH = 10
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


class Reading:
    """The engine's face for reads made on someone's behalf (mixed into
    :class:`~onething.engine.engine.Engine`)."""

    def readable(self, case_id: str, actor: Actor) -> None:
        """:class:`~onething.errors.NotAuthorized` (recorded in the case's history) unless
        ``actor`` may read the case — its summary, history, status events and notices: the
        applicant and their agents, the lead department's window and supervisors, and the
        departments that sign one of its steps (docs/roles.md)."""
        self._readable(case_id, actor)

    @contextmanager
    def expecting(self, case_id: str, version: int) -> Iterator[None]:
        """Inside the block, an action on ``case_id`` is taken only on ``version`` (HTTP
        ``If-Match``): on any other — someone changed the case since the caller read it — it
        raises :class:`~onething.errors.VersionChanged` and writes nothing. A request
        repeated with its idempotency key gets its first answer whatever the version."""
        with _unit.expecting(case_id, version):
            yield

    def lookup_code(self, case_id: str) -> str:
        """The case's lookup code (查询码), ``XXXXX-XXXXX``: printed on its acceptance notice,
        it lets whoever holds the notice follow the case's progress with the case number
        (:meth:`lookup_matches`). Derived from the case number and a key the store keeps, so
        nothing is stored per case and nobody can compute it without the database."""
        digest = hmac.new(self.store.secret("lookup-key"), case_id.encode("utf-8"),
                          hashlib.sha256).digest()
        number = int.from_bytes(digest[:8], "big")
        letters = "".join(LOOKUP_ALPHABET[(number >> (5 * i)) & 31]
                          for i in range(LOOKUP_LENGTH))
        return f"{letters[:5]}-{letters[5:]}"

    def lookup_matches(self, case_id: str, code: str) -> bool:
        """Whether ``code`` is the case's lookup code, as people type it back: any case,
        spaces and dashes ignored, O read as 0 and I or L as 1 (compared in constant time;
        an unknown case is :class:`~onething.errors.UnknownCase`)."""
        self.store.load(case_id)
        typed = "".join(ch for ch in code.upper() if ch not in " -").translate(_READS_AS)
        return hmac.compare_digest(typed.encode("utf-8", "surrogatepass"),
                                   self.lookup_code(case_id).replace("-", "").encode())

    store: Store

    def _readable(self, case_id: str, actor: Actor) -> object:
        raise NotImplementedError
