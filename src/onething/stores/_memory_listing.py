"""Listings in memory (:class:`onething.stores.memory.MemoryStore`): the same queues and search
as the databases' indexes answer, in the same order, with the same cursors — by filtering every
listing (the memory store is for tests and scripts, not for a hall's million cases)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from onething.cases.listing import CaseQuery, Listing, WorkItem, utc_key
from onething.stores._listing_sql import count_alerts, day_start

_T = TypeVar("_T")


def _page(rows: Iterable[_T], key: Callable[[_T], tuple[Any, ...]],
          after: tuple[Any, ...] | None, limit: int, *, newest: bool = False) -> list[_T]:
    if after is not None:
        rows = [r for r in rows if (key(r) < after if newest else key(r) > after)]
    return sorted(rows, key=key, reverse=newest)[:limit]


def queue_key(item: WorkItem) -> tuple[Any, ...]:
    """The sort key of a department's queue (the cursor's content)."""
    return (-item.priority, utc_key(item.due), item.case_id, item.step)


def alert_key(item: WorkItem) -> tuple[Any, ...]:
    """The sort key of the warning and overdue list."""
    return (utc_key(item.warn_from), item.case_id, item.step, item.department)


def intake_key(listing: Listing) -> tuple[Any, ...]:
    """The sort key of the intake queue."""
    return (-listing.priority, utc_key(listing.intake_due), listing.case_id)


def search_key(listing: Listing) -> tuple[Any, ...]:
    """The sort key of a search (newest first)."""
    return (utc_key(listing.submitted_at), listing.case_id)


def queue(listings: Iterable[Listing], department: str, assignee: str | None,
          after: tuple[Any, ...] | None, limit: int) -> list[WorkItem]:
    """See :func:`onething.stores._listing_sql.queue`."""
    rows = [w for listing in listings for w in listing.work if w.department == department
            and (assignee is None or w.assignee == assignee)]
    return _page(rows, queue_key, after, limit)


def alerts(listings: Iterable[Listing], now: datetime, department: str | None,
           after: tuple[Any, ...] | None, limit: int) -> list[WorkItem]:
    """See :func:`onething.stores._listing_sql.alerts`."""
    now_key = utc_key(now)
    rows = [w for listing in listings for w in listing.work
            if w.warn_from is not None and utc_key(w.warn_from) <= now_key
            and (department is None or w.department == department)]
    return _page(rows, alert_key, after, limit)


def alert_counts(listings: Iterable[Listing], now: datetime) -> dict[tuple[str, str], int]:
    """See :func:`onething.stores._listing_sql.alert_counts`."""
    now_key = utc_key(now)
    return count_alerts(((w.department, w.case_id, utc_key(w.due))
                         for listing in listings for w in listing.work
                         if w.warn_from is not None and utc_key(w.warn_from) <= now_key), now)


def intake(listings: Iterable[Listing], lead: str | None, after: tuple[Any, ...] | None,
           limit: int) -> list[Listing]:
    """See :func:`onething.stores._listing_sql.intake`."""
    rows = [c for c in listings if c.status == "intake" and (lead is None or c.lead == lead)]
    return _page(rows, intake_key, after, limit)


def search(listings: Iterable[Listing], query: CaseQuery, after: tuple[Any, ...] | None,
           limit: int) -> list[Listing]:
    """See :func:`onething.stores._listing_sql.search`."""
    low = utc_key(day_start(query.submitted_from, 0)) if query.submitted_from else None
    high = utc_key(day_start(query.submitted_to, 1)) if query.submitted_to else None

    def holds(c: Listing) -> bool:
        submitted = utc_key(c.submitted_at)
        return ((query.number is None or c.case_id == query.number)
                and (not query.applicants or c.applicant in query.applicants)
                and (query.workflow is None or c.workflow_id == query.workflow)
                and (query.status is None or c.status == query.status)
                and ((query.department is None and query.step is None) or any(
                    (query.department is None or w.department == query.department)
                    and (query.step is None or w.step == query.step) for w in c.work))
                and (low is None or submitted >= low) and (high is None or submitted < high))

    return _page([c for c in listings if holds(c)], search_key, after, limit, newest=True)
