"""电子监察 records (issue 17 item 4): for each clock of a case — the case's own, each step's,
each special procedure's and the delivery's — its limits and due dates, the working days it has
used and the working days it stood paused, and where it stands (normal / warning / overdue,
paused, met / late), as a flat record a supervision platform reads.

Pure: a record is computed from the case, its workflow, its clock policy, the calendar and the
moment asked about; nothing is read or written. A record holds the case number, the names of
the step and the department, limits, dates and counts — never a form value, a pseudonym or a
reason someone typed. Dates are read on the calendar's lenient twin, so an export never fails
for a year without official holiday data: such a record says ``provisional``.

The field names are onething's own: no standard's text was available to us (docs/supervision.md
lists the exchange data items they probably correspond to, marked unverified).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import attrs

from onething.cases import clocks as clk
from onething.cases.clock_record import ClockRecord
from onething.cases.records import Case
from onething.cases.special_procedures import step_of
from onething.cases.typed_json import moment_json
from onething.language.model import Workflow
from onething.workdays import SHANGHAI, Due, WorkCalendar

#: the kinds of clock a record is about
CASE, STEP, DELIVERY, SPECIAL_PROCEDURE = "case", "step", "delivery", "special_procedure"
KINDS = (CASE, STEP, DELIVERY, SPECIAL_PROCEDURE)


@attrs.frozen
class SupervisionRecord:
    """One clock of one case as the 电子监察 system reads it.

    ``committed`` and ``statutory`` are the limits as the clock started with them (``"20 WD"``);
    ``extension`` is an approved extension (``"2 WD"``), already counted in the due dates.
    ``used_days`` are the working days from ``started`` to ``finished`` (or to ``as_of`` for a
    running clock), days inside pauses excluded; ``paused_days`` are the working days inside
    pauses in that span, so that their sum is every working day of the span. Days are counted
    as the calendar counts limits: from the day after ``started`` to the last day, both in
    Asia/Shanghai; a pause covers its first and last dates whole.
    """

    #: the case number (办件编号)
    case: str
    workflow: str
    workflow_version: int
    #: the clock's key in the case: ``case``, ``delivery``, a step id, ``special:<step>``
    clock: str
    #: ``case``, ``step``, ``delivery`` or ``special_procedure``
    kind: str
    #: the step the clock belongs to (None for the case's and the delivery's clock)
    step: str | None
    step_title: str | None
    #: the step's department; the workflow's lead for the case's and the delivery's clock
    department: str
    department_title: str
    #: a special procedure's kind (``hearing``, ``expert_review``, ...), else None
    procedure: str | None
    committed: str | None
    statutory: str | None
    extension: str | None
    committed_due: dt.datetime | None
    statutory_due: dt.datetime | None
    #: whether a due date or a count rests on a year without official holiday data
    provisional: bool
    started: dt.datetime
    finished: dt.datetime | None
    #: whether the clock stands paused at ``as_of``, since when and why (the engine's words)
    paused: bool
    paused_since: dt.datetime | None
    paused_reason: str | None
    used_days: int
    paused_days: int
    #: ``normal``, ``warning`` or ``overdue`` while it runs; ``paused``; ``met`` or ``late``
    #: once finished (:class:`~onething.cases.clocks.Status`)
    state: clk.Status
    #: the moment the record describes
    as_of: dt.datetime

    def to_json(self) -> dict[str, Any]:
        """The record as typed JSON: times ISO 8601 in Asia/Shanghai, absent values null;
        the keys in :data:`FIELDS` order."""
        out: dict[str, Any] = {}
        for name in FIELDS:
            value = getattr(self, name)
            if isinstance(value, dt.datetime):
                value = moment_json(value)
            elif isinstance(value, clk.Status):
                value = value.value
            out[name] = value
        return out

    def to_csv_row(self) -> dict[str, str]:
        """The record as one CSV row: :func:`csv_cells` of :meth:`to_json`."""
        return csv_cells(self.to_json())


#: the record's fields in order: the JSON keys and the CSV header
FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(SupervisionRecord))


def csv_cells(row: Mapping[str, Any]) -> dict[str, str]:
    """A JSON record as CSV cells: null is empty, booleans ``true``/``false``, numbers and
    times their JSON text."""
    cells = {}
    for name, value in row.items():
        if value is None:
            cells[name] = ""
        elif isinstance(value, bool):
            cells[name] = "true" if value else "false"
        else:
            cells[name] = str(value)
    return cells


def csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """JSON records (:meth:`SupervisionRecord.to_json`) as CSV text: a header row of
    :data:`FIELDS`, then one row per record (RFC 4180: CRLF line ends, quoted as needed)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_cells(row))
    return buffer.getvalue()


def kind_of(key: str) -> str:
    """The kind of the clock ``key`` names: ``case``, ``delivery``, ``special_procedure`` or
    ``step``."""
    return _kind(key, step_of(key))


def _kind(key: str, step: str | None) -> str:
    """:func:`kind_of` of ``key``, its step (:func:`step_of`) read already."""
    return key if step is None else SPECIAL_PROCEDURE if step != key else STEP


def records(case: Case, workflow: Workflow, policy: clk.ClockPolicy, calendar: WorkCalendar,
            now: dt.datetime) -> list[SupervisionRecord]:
    """One record per clock of ``case`` at ``now``: the case's clock first, then the steps'
    in the workflow's order (each followed by its special procedure's), then the delivery's.

    ``now`` reads only clocks still running: a finished clock is read at its finish. A running
    clock is never read before its last recorded change (its start, or the start of the pause
    it is in): the case holds its clocks as they are, not as they were.
    """
    lenient = calendar.lenient()
    return [_record(case, workflow, policy, lenient, key, case.clocks[key], now)
            for key in _ordered(case, workflow, now)]


class ClockUse(NamedTuple):
    """What the statistics count of one clock (part of its :class:`SupervisionRecord`):
    whose it is, its limits as it started with them, the working days it used, where it
    stands. A named tuple: a delivery makes one per clock of its case."""

    clock: str
    kind: str
    step: str | None
    department: str
    committed: str | None
    statutory: str | None
    finished: bool
    used_days: int
    state: clk.Status


def uses(case: Case, workflow: Workflow, policy: clk.ClockPolicy, calendar: WorkCalendar,
         now: dt.datetime) -> list[ClockUse]:
    """:func:`records` reduced to what the statistics count, in the same order and read the
    same way — without the titles, due dates and paused days they do not read."""
    lenient = calendar.lenient()
    clocks = case.clocks
    lead = workflow.lead
    out = []
    for key in _ordered(case, workflow, now):
        clock = clocks[key]
        step = step_of(key)
        spec = workflow.find_step(step) if step else None
        if clock.finished is not None and clock.paused_since is None:
            # read at its finish, whatever ``now`` (no open pause): days remembered by day
            used = clk.used_days(lenient, clock)
            state = clk.status(lenient, clock, now, policy)
        else:
            started, _, _, at, end, pauses = _span(clock, now)
            used = lenient.count_working_days(started, end, pauses=pauses).value
            state = clk.status(lenient, clock, at, policy)
        out.append(ClockUse(key, _kind(key, step),
                            step, spec.department if spec is not None else lead,
                            clock.committed, clock.statutory, clock.finished is not None,
                            used, state))
    return out


def _ordered(case: Case, workflow: Workflow, now: dt.datetime) -> list[str]:
    """The case's clock keys in the records' order (a stable sort: clocks of one rank stay
    in the order the case holds them)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now needs its time zone")
    order, ranks = _order(workflow)
    for key in case.clocks:
        if key not in ranks:
            ranks[key] = _rank(key, order)
    return sorted(case.clocks, key=ranks.__getitem__)


def _order(workflow: Workflow) -> tuple[dict[str, int], dict[str, int]]:
    """The rank of the case's clock and of each step's, in the workflow's order, and the rank
    of each clock key asked so far (:func:`_rank`); the last workflow's asked again is
    answered without walking its steps."""
    global _last_order
    last = _last_order  # read once: another thread may replace it
    if last[0] is not workflow:
        order = {clk.CASE: 0}
        for number, spec in enumerate(workflow.iter_steps(), 1):
            order[spec.id] = 2 * number
        last = _last_order = (workflow, order, {})
    return last[1], last[2]


_last_order: tuple[Workflow | None, dict[str, int], dict[str, int]] = (None, {}, {})


def _span(clock: ClockRecord, now: dt.datetime) -> tuple[
        dt.datetime, dt.datetime | None, dt.datetime | None, dt.datetime, dt.datetime,
        list[tuple[dt.date, dt.date]]]:
    """(started, finished, paused since, the moment it is read at, the end of its count, its
    pauses): a finished clock counts to its finish, a running one to ``now`` (never before its
    last recorded change)."""
    started, finished, since = clock.started, clock.finished, clock.paused_since
    at = max(now, started, since or started)
    return started, finished, since, at, finished if finished is not None else at, \
        clk._pauses(clock, at)


def _rank(key: str, order: dict[str, int]) -> int:
    if key == clk.DELIVERY:
        return 1 << 30
    step = step_of(key)
    found = order.get(key if step is None else step)
    if found is None:
        return (1 << 30) - 1  # a clock of a step this version does not name: before delivery
    return found + (1 if step is not None and step != key else 0)


def _record(case: Case, workflow: Workflow, policy: clk.ClockPolicy, calendar: WorkCalendar,
            key: str, clock: ClockRecord, now: dt.datetime) -> SupervisionRecord:
    step = step_of(key)
    spec = workflow.find_step(step) if step else None
    department = spec.department if spec is not None else workflow.lead
    started, finished, since, at, end, pauses = _span(clock, now)
    committed = clk.due(calendar, clock, "committed", at, policy)
    statutory = clk.due(calendar, clock, "statutory", at, policy)
    used = calendar.count_working_days(started, end, pauses=pauses)
    paused_days, paused_provisional = _paused_days(calendar, started, end, pauses)
    provisional = used.provisional or paused_provisional or any(
        d is not None and d.provisional for d in (committed, statutory))
    return SupervisionRecord(
        case=case.id, workflow=case.workflow_id, workflow_version=case.workflow_version,
        clock=key, kind=kind_of(key), step=step,
        step_title=(spec.title or spec.id) if spec is not None else None,
        department=department, department_title=workflow.department_title(department),
        procedure=clock.get("kind") if kind_of(key) == SPECIAL_PROCEDURE else None,
        committed=clock.committed, statutory=clock.statutory,
        extension=clock.get("extension"), committed_due=_deadline(committed),
        statutory_due=_deadline(statutory), provisional=provisional, started=started,
        finished=finished, paused=since is not None, paused_since=since,
        paused_reason=clock.get("paused_reason"), used_days=used.value,
        paused_days=paused_days, state=clk.status(calendar, clock, at, policy), as_of=now)


def _paused_days(calendar: WorkCalendar, started: dt.datetime, end: dt.datetime,
                 pauses: list[tuple[dt.date, dt.date]]) -> tuple[int, bool]:
    """The working days inside ``pauses`` from the day after ``started`` to ``end``'s day
    (each counted once, however many pauses cover it), and whether one is provisional."""
    if not pauses:
        return 0, False
    first = started.astimezone(SHANGHAI).date() + dt.timedelta(days=1)
    last = end.astimezone(SHANGHAI).date()
    days: set[dt.date] = set()
    for begun, ended in pauses:
        day = max(begun, first)
        while day <= min(ended, last):
            days.add(day)
            day += dt.timedelta(days=1)
    kinds = [calendar.day_kind(day) for day in days]
    return sum(k.working for k in kinds), any(k.provisional for k in kinds)


def _deadline(due: Due | None) -> dt.datetime | None:
    return due.deadline if due is not None else None


__all__ = ["CASE", "DELIVERY", "FIELDS", "KINDS", "SPECIAL_PROCEDURE", "STEP", "ClockUse",
           "SupervisionRecord", "csv_cells", "csv_text", "kind_of", "records", "uses"]
