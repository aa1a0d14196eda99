"""A store wrapper that lets a rival act once, just after an action read its case: the race a
retry (or a refused migration) must win."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onething.cases.records import Case


class RacingStore:
    """A store that lets ``race`` act once, right after the next load of a case."""

    def __init__(self, inner: Any, race: Callable[[], None]) -> None:
        self._inner, self._race = inner, race

    def load(self, case_id: str) -> Case:
        case: Case = self._inner.load(case_id)
        self._after_read()
        return case

    def load_recent(self, case_id: str) -> tuple[Case, bool]:
        """As the store does (the copy it remembers may be stale: the race makes it so)."""
        found: tuple[Case, bool] = self._inner.load_recent(case_id)
        self._after_read()
        return found

    def _after_read(self) -> None:
        race, self._race = self._race, lambda: None
        race()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
