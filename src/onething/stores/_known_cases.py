"""The cases a database store last wrote or read, kept to spare the next action its load.

A store keeps the case as its last commit (or read) left it. :meth:`KnownCases.load_recent`
hands it out without asking the database, and says so: the copy may be stale (another process
may have changed the case since), so the engine trusts a change made from it only when its
versioned commit succeeds (the database then had that very version) and makes any other
outcome — a refusal, a conflict, no change at all — again from a fresh load
(:func:`onething.engine._unit.run`). Every write bumps the case's version, so a version names
one state; a store forgets what a rolled-back transaction wrote, and a case whose commit
failed.
"""

from __future__ import annotations

from onething.cases.records import Case

#: how many cases a store remembers (a few kilobytes each)
KNOWN_CASES = 10_000


class KnownCases:
    """The remembered cases of a database store (a mixin: the store sets ``_known`` and
    defines ``load``)."""

    _known: dict[str, Case]

    def load(self, case_id: str) -> Case:  # pragma: no cover - the store's
        raise NotImplementedError

    def load_recent(self, case_id: str) -> tuple[Case, bool]:
        """The case as this store last wrote or read it, and True (it may be stale); or,
        when it remembers none, the case loaded and False."""
        known = self._known.get(case_id)
        if known is not None:
            return known, True  # not a copy: the engine changes none it loads
        return self.load(case_id), False

    def _remember_case(self, case: Case) -> Case:
        """Remember a copy of ``case`` (the caller's may change); returns the copy."""
        if len(self._known) >= KNOWN_CASES and case.id not in self._known:
            self._known.clear()
        copy = self._known[case.id] = case.snapshot()
        return copy

    def _forget_case(self, case_id: str) -> None:
        self._known.pop(case_id, None)
