"""Store wrappers that do something just after an action read its case: the race a retry (or a
refused migration) must win, or a barrier that makes several requests read one version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onething.cases.records import Case


class AfterRead:
    """A store that calls :meth:`after_read` right after every read of a case, by ``load``
    or ``load_recent`` (whose remembered copy the hook may make stale); the rest is the inner
    store's."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def after_read(self) -> None:
        """What happens after each read (nothing here)."""

    def load(self, case_id: str) -> Case:
        case: Case = self._inner.load(case_id)
        self.after_read()
        return case

    def load_recent(self, case_id: str) -> tuple[Case, bool]:
        found: tuple[Case, bool] = self._inner.load_recent(case_id)
        self.after_read()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class RacingStore(AfterRead):
    """A store that lets ``race`` act once, right after the next read of a case."""

    def __init__(self, inner: Any, race: Callable[[], None]) -> None:
        super().__init__(inner)
        self._race = race

    def after_read(self) -> None:
        race, self._race = self._race, lambda: None
        race()
