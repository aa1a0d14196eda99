"""The SQL both databases run for listings (:mod:`onething.cases.listing`): the columns and
indexes, writing a case's listing and work items in the case's own transaction, and the
keyset-paginated queues and search. Placeholders are ``?``; the PostgreSQL store turns them
into ``%s``. Every query reads an index (the EXPLAIN test in tests/stores checks it): a page
costs the same however many cases there are.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from onething.cases.listing import CaseQuery, Listing, WorkItem, moment_of, utc_key
from onething.stores._json_text import json_text
from onething.workdays.clock import SHANGHAI

#: columns the listing adds to ``cases`` (name, type), in the order the upgrade adds them
CASE_LISTING_COLUMNS = (
    ("status", "TEXT"), ("lead", "TEXT"), ("applicant", "TEXT"), ("rank", "INTEGER"),
    ("submitted_key", "TEXT"), ("intake_key", "TEXT"), ("notice_out", "INTEGER"),
    ("intake_warn_key", "TEXT"), ("listed", "INTEGER NOT NULL DEFAULT 0"))
#: the column schema 4 adds: the case's work items as a case list shows them (a JSON array of
#: :data:`WAITING_FIELDS` arrays, in (step, department) order), so that a page of cases is read
#: from one index range and its rows, without a lookup of each case's work items
WAITING_COLUMN = ("waiting", "TEXT")
WAITING_FIELDS = ("step", "department", "position", "assignee", "rank", "due_key", "warn_key",
                  "provisional", "paused")
#: every listing column of ``cases`` (name, type)
CASE_COLUMNS = (*CASE_LISTING_COLUMNS, WAITING_COLUMN)

WORK_TABLE = """CREATE TABLE IF NOT EXISTS work_items (
    case_id TEXT NOT NULL REFERENCES cases(id), step TEXT NOT NULL, department TEXT NOT NULL,
    position TEXT NOT NULL, assignee TEXT, rank INTEGER NOT NULL, due_key TEXT NOT NULL,
    warn_key TEXT, submitted_key TEXT NOT NULL, provisional INTEGER NOT NULL,
    paused INTEGER NOT NULL, PRIMARY KEY (case_id, step, department))"""

#: the serials case numbers are drawn from (:mod:`onething.engine._numbers`)
SERIALS_TABLE = ("CREATE TABLE IF NOT EXISTS serials (scope TEXT PRIMARY KEY, "
                 "last INTEGER NOT NULL)")
NEXT_SERIAL = ("INSERT INTO serials (scope, last) VALUES (?, 1) ON CONFLICT (scope) "
               "DO UPDATE SET last = serials.last + 1 RETURNING last")

#: every index a queue or search reads (the same in both databases)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS cases_intake ON cases (lead, rank, intake_key, id) "
    "WHERE status = 'intake'",
    "CREATE INDEX IF NOT EXISTS cases_intake_all ON cases (rank, intake_key, id) "
    "WHERE status = 'intake'",
    "CREATE INDEX IF NOT EXISTS cases_applicant ON cases (applicant, submitted_key, id)",
    "CREATE INDEX IF NOT EXISTS cases_submitted ON cases (submitted_key, id)",
    "CREATE INDEX IF NOT EXISTS cases_workflow ON cases (workflow_id, submitted_key, id)",
    "CREATE INDEX IF NOT EXISTS cases_status ON cases (status, submitted_key, id)",
    "CREATE INDEX IF NOT EXISTS cases_workflow_status ON cases "
    "(workflow_id, status, submitted_key, id)",
    "CREATE INDEX IF NOT EXISTS cases_unlisted ON cases (id) WHERE listed = 0",
    "CREATE INDEX IF NOT EXISTS work_queue ON work_items "
    "(department, rank, due_key, case_id, step)",
    # partial (schema 7): an item no officer holds is in no officer's queue, and an item
    # without a limit never warns; neither is written to an index no query reads it from
    "CREATE INDEX IF NOT EXISTS work_assignee ON work_items "
    "(department, assignee, rank, due_key, case_id, step) WHERE assignee IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS work_alerts ON work_items "
    "(department, warn_key, case_id, step) WHERE warn_key IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS work_alerts_all ON work_items "
    "(warn_key, case_id, step, department) WHERE warn_key IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS work_department ON work_items "
    "(department, submitted_key, case_id)",
    "CREATE INDEX IF NOT EXISTS work_step ON work_items (step, submitted_key, case_id)",
)

#: the listing columns of ``cases`` a listing writes, in the order of :func:`listing_values`
LISTING_NAMES = ("status", "lead", "applicant", "rank", "submitted_key", "intake_key",
                 "notice_out", "intake_warn_key", "waiting")
SET_LISTING = ", ".join(f"{name} = ?" for name in LISTING_NAMES) + ", listed = 1"
WORK_COLUMNS = ("case_id, step, department, position, assignee, rank, due_key, warn_key, "
                "submitted_key, provisional, paused")
INSERT_WORK = f"INSERT INTO work_items ({WORK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
DELETE_WORK = "DELETE FROM work_items WHERE case_id = ?"
LISTING_COLUMNS = ("c.id, c.workflow_id, c.status, c.lead, c.applicant, c.rank, "
                   "c.submitted_key, c.intake_key, c.notice_out, c.intake_warn_key, c.waiting")
UNLISTED = "SELECT id FROM cases WHERE listed = 0 LIMIT ?"


def for_postgres(sql: str) -> str:
    """``sql`` as PostgreSQL takes it: ``%s`` placeholders, and text compared byte by byte
    (``COLLATE "C"``, as SQLite and Python compare it), whatever the database's locale — so
    that a cursor means the same row in every store."""
    return sql.replace("?", "%s").replace(" TEXT", ' TEXT COLLATE "C"')


def listing_values(listing: Listing, rows: Sequence[Sequence[Any]]) -> tuple[Any, ...]:
    """The values of :data:`SET_LISTING`, in order (``rows``: its :func:`work_rows`)."""
    return (listing.status, listing.lead, listing.applicant, -listing.priority,
            utc_key(listing.submitted_at),
            utc_key(listing.intake_due) if listing.status == "intake" else None,
            int(listing.notice_out),
            utc_key(listing.intake_warn) if listing.intake_warn is not None else None,
            waiting_text(rows))


def work_rows(listing: Listing) -> list[tuple[Any, ...]]:
    """The rows of :data:`INSERT_WORK` for the listing's work items."""
    submitted = utc_key(listing.submitted_at)
    return [(w.case_id, w.step, w.department, w.position, w.assignee, -w.priority,
             utc_key(w.due), utc_key(w.warn_from) if w.warn_from is not None else None,
             submitted, int(w.provisional), int(w.paused)) for w in listing.work]


def waiting_text(rows: Sequence[Sequence[Any]]) -> str:
    """The ``waiting`` column of a case whose :data:`INSERT_WORK` rows are ``rows``."""
    return json_text(sorted([r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[9], r[10]]
                            for r in rows))


def waiting_items(case_id: str, text: str | None) -> tuple[WorkItem, ...]:
    """The work items a ``waiting`` column holds, in its (step, department) order (none when
    it is empty)."""
    if not text or text == "[]":
        return ()
    shanghai = _shanghai
    return tuple([WorkItem(case_id, step, department, position, -rank, shanghai(due),
                           shanghai(warn), assignee, bool(provisional), bool(paused))
                  for step, department, position, assignee, rank, due, warn, provisional, paused
                  in json.loads(text)])


def work_item(row: Sequence[Any]) -> WorkItem:
    """A work item from a row of :data:`WORK_COLUMNS` (its moments in Asia/Shanghai, as the
    engine made them)."""
    return WorkItem(row[0], row[1], row[2], row[3], -row[5], _shanghai(row[6]),
                    _shanghai(row[7]), row[4], bool(row[9]), bool(row[10]))


@functools.lru_cache(maxsize=65_536)
def _shanghai(key: str | None) -> datetime | None:
    """A stored moment in Asia/Shanghai (remembered: a page repeats its due dates, and a
    datetime is immutable, so one object serves every row that names it)."""
    moment = moment_of(key) if key is not None else None
    return moment.astimezone(SHANGHAI) if moment is not None else None


def listing_of(row: Sequence[Any]) -> Listing:
    """A listing from a row of :data:`LISTING_COLUMNS` (its work items from ``waiting``)."""
    return _listing(tuple(row[:_LISTED]))


_LISTED = LISTING_COLUMNS.count(",") + 1


@functools.lru_cache(maxsize=8192)
def _listing(row: tuple[Any, ...]) -> Listing:
    """The listing a row holds, remembered by the row's content (a listing is immutable, and
    a hall re-reads the same pages all day: a row read again is not decoded again; a changed
    row is another key, so nothing remembered is ever stale)."""
    submitted = _shanghai(row[6])
    assert submitted is not None  # every listed case has its submission time
    return Listing(row[0], row[1], row[2], row[3], row[4] or "", -row[5], submitted,
                   _shanghai(row[7]), bool(row[8]), waiting_items(row[0], row[10]),
                   _shanghai(row[9]))


def forget() -> None:
    """Forget every decoded row and moment (a benchmark's first read; tests)."""
    _listing.cache_clear()
    _shanghai.cache_clear()


Query = tuple[str, list[Any]]
#: how a store runs one query: SQL with ``?`` placeholders and its parameters -> rows
Fetch = Callable[[str, list[Any]], list[Sequence[Any]]]


def listings(fetch: Fetch, query: Query) -> list[Listing]:
    """The listings a case query selects, in its order, each with its work items — read in
    one statement from the case rows alone (one snapshot: a page never shows a case's status
    from before a commit beside its work from after it)."""
    return [listing_of(row) for row in fetch(*query)]


def items(fetch: Fetch, query: Query) -> list[WorkItem]:
    """The work items a work query selects."""
    return [work_item(r) for r in fetch(*query)]


def queue(department: str, assignee: str | None, after: tuple[Any, ...] | None,
          limit: int) -> Query:
    """A department's work (or one officer's, with ``assignee``): green channel first, then
    by due date; keyset on (rank, due, case, step)."""
    where, params = (["department = ?"], [department]) if assignee is None else \
        (["department = ?", "assignee = ?"], [department, assignee])
    if after is not None:
        where.append("(rank, due_key, case_id, step) > (?, ?, ?, ?)")
        params += list(after)
    return (f"SELECT {WORK_COLUMNS} FROM work_items WHERE {' AND '.join(where)} "
            "ORDER BY rank, due_key, case_id, step LIMIT ?", [*params, limit])


def alerts(now: datetime, department: str | None, after: tuple[Any, ...] | None,
           limit: int) -> Query:
    """Work in warning or overdue at ``now``, the earliest warning first (the supervisor's
    list); keyset on (warn, case, step, department)."""
    where, params = ["warn_key <= ?"], [utc_key(now)]
    if department is not None:
        where.append("department = ?")
        params.append(department)
    if after is not None:
        where.append("(warn_key, case_id, step, department) > (?, ?, ?, ?)")
        params += list(after)
    return (f"SELECT {WORK_COLUMNS} FROM work_items WHERE {' AND '.join(where)} "
            "ORDER BY warn_key, case_id, step, department LIMIT ?", [*params, limit])


def alert_counts(now: datetime) -> Query:
    """The work in warning or overdue at ``now`` as (department, case, due key) rows, for
    :func:`count_alerts`: the range of ``work_alerts_all`` up to ``now``, never the whole
    table (a GROUP BY department in SQL would let a planner read ``work_alerts`` whole for
    its order; these rows are few — what the supervisors' lists show — and counted here)."""
    return "SELECT department, case_id, due_key FROM work_items WHERE warn_key <= ?", \
        [utc_key(now)]


def count_alerts(rows: Iterable[Sequence[Any]], now: datetime) -> dict[tuple[str, str], int]:
    """``{(department, status): cases}`` from (department, case, due key) rows of work in
    warning or overdue: a case counts once per department, ``overdue`` when one of its steps
    there is due before ``now``, else ``warning``."""
    earliest: dict[tuple[str, str], str] = {}
    for department, case_id, due in rows:
        at = (department, case_id)
        known = earliest.get(at)
        if known is None or due < known:
            earliest[at] = due
    now_key = utc_key(now)
    counts: dict[tuple[str, str], int] = {}
    for (department, _), due in earliest.items():
        status = (department, "overdue" if due < now_key else "warning")
        counts[status] = counts.get(status, 0) + 1
    return counts


def intake(lead: str | None, after: tuple[Any, ...] | None, limit: int) -> Query:
    """Cases awaiting intake (受理), green channel first, then by the art. 32 due date."""
    where, params = ["c.status = 'intake'"], []
    if lead is not None:
        where.append("c.lead = ?")
        params.append(lead)
    if after is not None:
        where.append("(c.rank, c.intake_key, c.id) > (?, ?, ?)")
        params += list(after)
    return (f"SELECT {LISTING_COLUMNS} FROM cases c WHERE {' AND '.join(where)} "
            "ORDER BY c.rank, c.intake_key, c.id LIMIT ?", [*params, limit])


def search(query: CaseQuery, after: tuple[Any, ...] | None, limit: int) -> Query:
    """Cases matching every filter of ``query``, newest submission first; keyset on
    (submitted, id). With a department or step, the work waiting now drives the search."""
    where: list[str] = []
    params: list[Any] = []

    def when(clause: str, *values: Any) -> None:
        where.append(clause)
        params.extend(values)

    by_work = query.department is not None or query.step is not None
    key = "w.submitted_key" if by_work else "c.submitted_key"
    ident = "w.case_id" if by_work else "c.id"
    if query.number is not None:
        when("c.id = ?", query.number)
    if query.applicants:
        when(f"c.applicant IN ({', '.join('?' * len(query.applicants))})", *query.applicants)
    if query.workflow is not None:
        when("c.workflow_id = ?", query.workflow)
    if query.status is not None:
        when("c.status = ?", query.status)
    if query.department is not None:
        when("w.department = ?", query.department)
    if query.step is not None:
        when("w.step = ?", query.step)
    if query.submitted_from is not None:
        when(f"{key} >= ?", utc_key(day_start(query.submitted_from, 0)))
    if query.submitted_to is not None:
        when(f"{key} < ?", utc_key(day_start(query.submitted_to, 1)))
    if after is not None:
        when(f"({key}, {ident}) < (?, ?)", *after)
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    if not by_work:
        return (f"SELECT {LISTING_COLUMNS}, {key} AS sort_key, {ident} AS sort_id "
                f"FROM cases c {condition}ORDER BY sort_key DESC, sort_id DESC LIMIT ?",
                [*params, limit])
    # the work waiting now drives: the page's keys first (one per case, however many of its
    # steps match), then their cases — a DISTINCT over the key alone reads one index range
    # (joined to the cases only when a filter asks about the case itself)
    by_case = bool(query.number is not None or query.applicants or query.workflow is not None
                   or query.status is not None)
    join = " JOIN cases c ON c.id = w.case_id" if by_case else ""
    return (f"SELECT {LISTING_COLUMNS}, k.sort_key, k.sort_id FROM ("
            f"SELECT DISTINCT {key} AS sort_key, {ident} AS sort_id "
            f"FROM work_items w{join} {condition}"
            f"ORDER BY sort_key DESC, sort_id DESC LIMIT ?) k JOIN cases c ON c.id = k.sort_id "
            "ORDER BY k.sort_key DESC, k.sort_id DESC", [*params, limit])


def day_start(day: Any, plus_days: int) -> datetime:
    """Midnight in Asia/Shanghai, ``plus_days`` after ``day`` (a date bound of a search)."""
    return datetime.combine(day + timedelta(days=plus_days), time(), SHANGHAI)
