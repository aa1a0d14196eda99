"""What queues and search read of a case, kept beside it in the same transaction: the case's
listing (its status, lead department, applicant pseudonym, priority, intake due date) and its
work items (each step waiting on a department, with its due and warning times and who holds it).

A listing is derived from the case and its workflow by the engine when it commits a change;
the stores write it into indexed columns, so a queue or a search reads an index, never every
case. Nothing personal is listed: the applicant appears only as their keyed pseudonym.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import attrs

from onething.cases.tallies import Tally
from onething.cases.typed_json import record_json
from onething.errors import InvalidArgument
from onething.privacy.masking import clip

#: the status of a case not yet accepted (受理): the window's intake queue
INTAKE = "intake"
#: the status of an accepted case before its delivery
IN_PROGRESS = "in_progress"
#: how a due date that is not known (a paused clock, no limit) sorts: after every real one
NO_DUE = "9999-12-31T23:59:59.999999Z"
#: the largest page a queue or search returns
MAX_PAGE = 500


@attrs.frozen(weakref_slot=False)
class WorkItem:
    """One step waiting on one department: what that department's queue lists.

    ``due`` and ``warn_from`` are None while the step's clock is paused or has no limit;
    ``warn_from`` is the moment from which the item counts as warning (overdue after ``due``).
    """

    case_id: str
    step: str
    department: str
    position: str
    priority: int
    due: datetime | None
    warn_from: datetime | None
    assignee: str | None = None
    provisional: bool = False
    paused: bool = False

    def status(self, now: datetime) -> str:
        """``overdue``, ``warning`` or ``normal`` at ``now``; ``paused`` while the step's
        clock is paused (it has no due date then)."""
        if self.paused:
            return "paused"
        if self.due is None:
            return "normal"
        if now > self.due:
            return "overdue"
        if self.warn_from is not None and now >= self.warn_from:
            return "warning"
        return "normal"


@attrs.frozen(weakref_slot=False)
class Listing:
    """A case as queues and search see it (see the module docstring)."""

    case_id: str
    workflow_id: str
    status: str
    lead: str
    applicant: str
    priority: int
    submitted_at: datetime
    intake_due: datetime | None = None
    notice_out: bool = False
    work: tuple[WorkItem, ...] = ()
    #: while in intake: the moment the window's time shows as warning (the workflow's
    #: ``warn_before`` ahead of ``intake_due``)
    intake_warn: datetime | None = None
    #: what the change being committed adds to the statistics (:mod:`onething.cases.tallies`),
    #: counted by the store in the same transaction; empty when nothing is added
    counts: tuple[Tally, ...] = ()


@attrs.frozen
class CaseQuery:
    """A search: every given filter must hold (an empty query lists every case).

    ``applicants`` are pseudonyms (the engine makes them from an ID number or 统一社会信用代码:
    no personal number reaches the store); ``department`` and ``step`` match the work waiting
    now; ``submitted_from``/``submitted_to`` bound the submission date (both inclusive).
    """

    number: str | None = None
    applicants: tuple[str, ...] = ()
    workflow: str | None = None
    status: str | None = None
    department: str | None = None
    step: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None


_T = TypeVar("_T")


@attrs.frozen
class Page(Generic[_T]):
    """One page of a queue or search, and the cursor of the next page (None on the last)."""

    items: tuple[_T, ...]
    next: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The page as typed JSON: its items and the next page's cursor."""
        return {"items": [record_json(item) if attrs.has(type(item)) else item
                          for item in self.items],
                "next": self.next}


def page_size(limit: object) -> int:
    """A page size the caller asked for, or :class:`InvalidArgument`."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidArgument(f"a page holds 1 to {MAX_PAGE} items, not {clip(limit, 20)!r}",
                              "ask for --limit 50, say")
    return limit


def cursor_of(key: tuple[Any, ...]) -> str:
    """The opaque cursor that continues after the row whose sort key is ``key``."""
    text = json.dumps(list(key), ensure_ascii=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def key_of(cursor: str | None, shape: tuple[type, ...]) -> tuple[Any, ...] | None:
    """The sort key a cursor holds, checked against ``shape`` (one type per part), or
    :class:`InvalidArgument` for a cursor this listing did not give."""
    if cursor is None:
        return None
    bad = InvalidArgument("this page cursor is not one this listing gave",
                          "continue from the 'next' cursor of the page before, or start over")
    if not isinstance(cursor, str) or len(cursor) > 2000:
        raise bad
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if not isinstance(parts, list) or len(parts) != len(shape) or not all(
            isinstance(p, t) and not isinstance(p, bool) and _in_range(p)
            for p, t in zip(parts, shape, strict=True)):
        raise bad
    return tuple(parts)


def _in_range(part: object) -> bool:
    """Whether a cursor's part fits a database column (a 64-bit integer, text of a sane
    length without NUL)."""
    if isinstance(part, int):
        return -(2 ** 63) <= part < 2 ** 63
    return isinstance(part, str) and len(part) <= 1000 and "\x00" not in part


def utc_key(moment: datetime | None) -> str:
    """A moment as the fixed-width text the stores index it by (UTC, so that comparing texts
    compares instants; None sorts after every moment)."""
    if moment is None:
        return NO_DUE
    key = _KEYS.get(moment)  # a case's times and the due dates of a day recur on every write
    if key is None:
        # isoformat pads the year to four digits (strftime's %Y does not below 1000)
        key = moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"
        if len(_KEYS) >= 4096:
            _KEYS.clear()
        _KEYS[moment] = key
    return key


#: keys made lately, by moment (equal moments, whatever their zone, have one key)
_KEYS: dict[datetime, str] = {}


def moment_of(key: str) -> datetime | None:
    """Inverse of :func:`utc_key`."""
    if key == NO_DUE:
        return None
    return datetime.fromisoformat(key)  # reads the Z as UTC; far faster than strptime
