"""The hall's lists: the intake queue, each department's queue (and one officer's), the
supervisor's warning and overdue list, an applicant's own cases, and search — each a page read
from the stores' indexes (:mod:`onething.cases.listing`), never by loading every case.

A page continues from the cursor of the one before (keyset pagination): a case that changes
between two pages moves within the listing without being shown twice on one page or
skipping the ones after it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from onething.cases.listing import (
    CaseQuery,
    Listing,
    Page,
    WorkItem,
    cursor_of,
    key_of,
    page_size,
    utc_key,
)
from onething.cases.typed_json import record_json
from onething.engine._listing import listing
from onething.errors import InvalidArgument, OnethingError
from onething.privacy.masking import mask_text, personal_logger
from onething.privacy.pseudonyms import legacy_pseudonym

if TYPE_CHECKING:
    from onething.engine._context import EngineContext


@attrs.frozen
class QueueItem:
    """One step waiting on one department: its case, the step's position (``step``,
    ``correction``, ...), due date and status at the time asked (``normal``, ``warning``,
    ``overdue``, ``paused``), who holds it (None: unclaimed), ``provisional`` when the due
    date rests on a calendar year without official data."""

    case_id: str
    step: str
    department: str
    position: str
    priority: int
    due: datetime | None
    warn_from: datetime | None
    status: str
    assignee: str | None = None
    provisional: bool = False

    def to_json(self) -> dict[str, Any]:
        """The item as typed JSON (``queue --format json``)."""
        return record_json(self)


@attrs.frozen
class Waiting:
    """A step of a listed case waiting on a department, and who holds it."""

    step: str
    department: str
    assignee: str | None = None


@attrs.frozen
class CaseItem:
    """A case as a list shows it: its number, workflow, status (``intake``, ``in_progress``
    or the delivery's kind), lead department, priority, when it was submitted, the steps
    waiting now; before intake, the art. 32 due date, its status, and whether the one
    notice is out (the applicant's turn)."""

    case_id: str
    workflow_id: str
    status: str
    lead: str
    priority: int
    submitted_at: datetime
    waiting: tuple[Waiting, ...] = ()
    intake_due: datetime | None = None
    intake_status: str | None = None
    notice_out: bool = False

    def to_json(self) -> dict[str, Any]:
        """The item as typed JSON (``cases --format json``)."""
        return record_json(self)


_LISTED: weakref.WeakSet[Any] = weakref.WeakSet()
log = personal_logger("onething.engine")
#: the first and last day a case can have been submitted on (a search's bounds are kept within)
_EARLIEST, _LATEST = date(1900, 1, 1), date(9998, 12, 31)


def reindex(engine: EngineContext, limit: int | None = None) -> int:
    """List the cases stored before listings existed (a database upgraded from schema 2);
    returns how many were listed. Queues and search call it once per engine. A case that
    cannot be listed (its workflow version is not deployed here) is logged and left out of
    the lists; the others are listed."""
    done = 0
    failed: set[str] = set()
    while limit is None or done < limit:
        batch = [case_id for case_id in engine.store.unlisted(
            500 + len(failed) if limit is None else min(500, limit - done) + len(failed))
            if case_id not in failed]
        if not batch:
            break
        for case_id in batch:
            try:
                case = engine.store.load(case_id)
                deployed = engine.deployed(case.workflow_id, case.workflow_version)
                engine.store.replan(case_id, case.version, engine.store.wake(case_id),
                                    listing(case, deployed, engine.calendar))
            except OnethingError as exc:
                failed.add(case_id)
                log.error("case %s cannot be listed, so no queue or search shows it: %s",
                          case_id, mask_text(str(exc))[:300])
                continue
            done += 1
    return done


def _ready(engine: EngineContext) -> None:
    if engine not in _LISTED:
        reindex(engine)
        _LISTED.add(engine)


def queue(engine: EngineContext, department: str, now: datetime, *,
          assignee: str | None = None, after: str | None = None,
          limit: int = 50) -> Page[QueueItem]:
    """The work waiting on ``department`` (or what ``assignee`` holds there): green channel
    first, then by due date, earliest first (paused steps, without a due date, last)."""
    _ready(engine)
    size = page_size(limit)
    rows = engine.store.work_queue(department, assignee=assignee,
                                   after=key_of(after, (int, str, str, str)), limit=size + 1)
    return _page([_item(w, now) for w in rows], size,
                 lambda i: (-i.priority, utc_key(i.due), i.case_id, i.step))


def alerts(engine: EngineContext, now: datetime, *, department: str | None = None,
           after: str | None = None, limit: int = 50) -> Page[QueueItem]:
    """Work in warning or overdue at ``now`` (a supervisor's list; of ``department`` when
    given), the earliest warning first."""
    _ready(engine)
    size = page_size(limit)
    rows = engine.store.alerts(now, department=department,
                               after=key_of(after, (str, str, str, str)), limit=size + 1)
    return _page([_item(w, now) for w in rows], size,
                 lambda i: (utc_key(i.warn_from), i.case_id, i.step, i.department))


def intake_queue(engine: EngineContext, now: datetime, *, department: str | None = None,
                 after: str | None = None, limit: int = 50) -> Page[CaseItem]:
    """Cases submitted and not yet accepted (of the window of ``department``, when given):
    green channel first, then by the art. 32 due date — the day the case counts as accepted
    if the window says nothing."""
    _ready(engine)
    size = page_size(limit)
    rows = engine.store.intake_queue(lead=department, after=key_of(after, (int, str, str)),
                                     limit=size + 1)
    return _page(_cases(engine, rows, now), size,
                 lambda c: (-c.priority, utc_key(c.intake_due), c.case_id))


def search(engine: EngineContext, now: datetime, *, number: str | None = None,
           applicant: str | None = None, workflow: str | None = None,
           status: str | None = None, department: str | None = None,
           step: str | None = None, submitted_from: date | None = None,
           submitted_to: date | None = None, after: str | None = None,
           limit: int = 50) -> Page[CaseItem]:
    """Cases matching every filter given, newest submission first. ``applicant`` is the ID
    number or 统一社会信用代码 as the host has it: it is matched through its pseudonyms and
    never stored or shown."""
    _ready(engine)
    size = page_size(limit)
    for name, value in (("submitted_from", submitted_from), ("submitted_to", submitted_to)):
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise InvalidArgument(f"{name} is a date, not {type(value).__name__}",
                                  "give a date such as 2026-12-01")
    # no case is submitted outside these years: a bound beyond them means the same as the
    # year's end (and keeps the day's midnight computable)
    if submitted_from is not None:
        submitted_from = min(max(submitted_from, _EARLIEST), _LATEST)
    if submitted_to is not None:
        submitted_to = min(max(submitted_to, _EARLIEST), _LATEST)
    applicants: tuple[str, ...] = ()
    if applicant is not None:
        applicants = (*engine.people.pseudonyms.all_of(applicant),
                      legacy_pseudonym(applicant))
    query = CaseQuery(number, applicants, workflow, status, department, step,
                      submitted_from, submitted_to)
    rows = engine.store.search(query, after=key_of(after, (str, str)), limit=size + 1)
    return _page(_cases(engine, rows, now), size,
                 lambda c: (utc_key(c.submitted_at), c.case_id))


def _item(work: WorkItem, now: datetime) -> QueueItem:
    return QueueItem(work.case_id, work.step, work.department, work.position, work.priority,
                     work.due, work.warn_from, work.status(now), work.assignee,
                     work.provisional)


def _cases(engine: EngineContext, rows: Iterable[Listing], now: datetime) -> list[CaseItem]:
    out = []
    for row in rows:
        intake_status = None
        if row.status == "intake":
            intake_status = "paused" if row.notice_out else _status(row, now)
        out.append(CaseItem(row.case_id, row.workflow_id, row.status, row.lead, row.priority,
                            row.submitted_at,
                            tuple(Waiting(w.step, w.department, w.assignee)
                                  for w in sorted(row.work, key=_by_step)),
                            row.intake_due, intake_status, row.notice_out))
    return out


def _status(row: Listing, now: datetime) -> str:
    """The window's art. 32 time at ``now``: normal, warning (the workflow's ``warn_before``
    ahead of the date), overdue."""
    if row.intake_due is None:
        return "normal"
    if now > row.intake_due:
        return "overdue"
    return "warning" if row.intake_warn is not None and now >= row.intake_warn else "normal"


def _by_step(work: WorkItem) -> tuple[str, str]:
    return work.step, work.department


def _page(items: list[Any], size: int, key: Any) -> Page[Any]:
    """The first ``size`` items (the store read one more, to know whether a page follows)."""
    if len(items) <= size:
        return Page(tuple(items))
    return Page(tuple(items[:size]), cursor_of(key(items[size - 1])))
