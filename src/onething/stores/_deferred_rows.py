"""The case rows a SQLite batch writes once: coalesced writes inside ``engine.batch()``.

Inside a batch the store holds SQLite's write lock from ``BEGIN IMMEDIATE`` to ``COMMIT``, so
no other connection can change a case row before the batch ends. A case's first commit in the
batch writes its row as always (the versioned update finds a missing case or a conflict
there); each later commit of the same case that needs no savepoint (no new case, no
delivery, no idempotency key) checks its expected version against the version this batch
wrote or holds, writes its events, status events and counts at once, and leaves its state,
listing and work items here, overwritten by the next. They are written, once per case, when
the batch ends and before anything reads the database inside it: a case driven through
twelve actions in one batch writes its row twice instead of twelve times (decision 0031).
"""

from __future__ import annotations

import sqlite3

from onething.cases.listing import Listing
from onething.cases.records import Case
from onething.errors import Conflict, StoreUnavailable
from onething.stores._sqlite_tables import update_case


class DeferredRows:
    """The versions a batch has given its cases, and the rows it has still to write."""

    __slots__ = ("pending", "versions")

    def __init__(self) -> None:
        #: each case written in this batch: the version its row holds (``pending`` or not)
        self.versions: dict[str, int] = {}
        #: each case's row still to write: (the case, its row's version, wake, listing)
        self.pending: dict[str, tuple[Case, int, str | None, Listing | None]] = {}

    def clear(self) -> None:
        """Forget everything (the batch ended or was rolled back)."""
        self.versions.clear()
        self.pending.clear()

    def takes(self, case_id: str, expected_version: int) -> bool:
        """Whether the row of a commit of ``case_id`` may wait: this batch wrote the case
        already. :class:`~onething.errors.Conflict` when the commit expects another version
        than the one the case has in this batch (nothing is written then)."""
        version = self.versions.get(case_id)
        if version is None:
            return False
        if version != expected_version:
            raise Conflict(f"case {case_id} changed since version {expected_version}")
        return True

    def wrote(self, case: Case) -> None:
        """The row of ``case`` was written with its version."""
        self.versions[case.id] = case.version
        self.pending.pop(case.id, None)

    def defer(self, case: Case, wake: str | None, listing: Listing | None) -> None:
        """Keep the row of ``case`` (accepted by :meth:`takes`) to write later; without a
        ``listing``, with the listing held before (as an unbatched commit without one leaves
        the row's)."""
        held = self.pending.get(case.id)
        written = held[1] if held is not None else self.versions[case.id]
        if listing is None and held is not None:  # a commit without one leaves it as it was
            listing = held[3]
        self.pending[case.id] = (case, written, wake, listing)
        self.versions[case.id] = case.version

    def flush(self, db: sqlite3.Connection, only: str | None = None) -> None:
        """Write every row still to write (or only that of case ``only``): the case's state
        and listing by a versioned update of the row this batch wrote, then its work items
        (its counts were written with each commit)."""
        if only is None:
            pending = list(self.pending.values())
            self.pending.clear()
        else:
            pending = [self.pending.pop(only)] if only in self.pending else []
        for case, written, wake, listing in pending:
            try:
                update_case(db, case, written, wake, listing)
            except Conflict:  # the batch holds the write lock: no one else wrote the row
                raise StoreUnavailable(f"the row of case {case.id} changed inside a batch "
                                       "that holds the SQLite write lock") from None

