"""Queues and search as the two databases answer them: one implementation over the SQL of
:mod:`onething.stores._listing_sql`, for any store that can run a query (``_fetch``) and
retry it (``_retrying``); with the statistics' counts (:class:`CountedStore`), read the same
way."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from onething.cases.listing import CaseQuery, Listing, WorkItem
from onething.stores import _listing_sql as listed
from onething.stores._counted_store import CountedStore
from onething.stores.base import retried

_T = TypeVar("_T")


class ListedStore(CountedStore):
    """The listing half of a database store, and its counts (see the module docstring); the
    hooks (``_fetch``, ``_retrying``) are :class:`CountedStore`'s."""

    @retried
    def unlisted(self, limit: int = 1000) -> list[str]:
        return [str(r[0]) for r in self._fetch(listed.UNLISTED, [limit])]

    @retried
    def work_queue(self, department: str, *, assignee: str | None = None,
                   after: tuple[Any, ...] | None = None, limit: int = 50) -> list[WorkItem]:
        return listed.items(self._fetch, listed.queue(department, assignee, after, limit))

    @retried
    def alerts(self, now: datetime, *, department: str | None = None,
               after: tuple[Any, ...] | None = None, limit: int = 50) -> list[WorkItem]:
        return listed.items(self._fetch, listed.alerts(now, department, after, limit))

    @retried
    def alert_counts(self, now: datetime) -> dict[tuple[str, str], int]:
        return listed.count_alerts(self._fetch(*listed.alert_counts(now)), now)

    @retried
    def intake_queue(self, *, lead: str | None = None, after: tuple[Any, ...] | None = None,
                     limit: int = 50) -> list[Listing]:
        return listed.listings(self._fetch, listed.intake(lead, after, limit))

    @retried
    def search(self, query: CaseQuery, *, after: tuple[Any, ...] | None = None,
               limit: int = 50) -> list[Listing]:
        return listed.listings(self._fetch, listed.search(query, after, limit))

