"""Time limits of a case and of each step: when they started, pauses, extensions, status.

A clock is plain data kept in the case record. Its due dates are never stored as truth: they
are computed from the start, the recorded pauses and the approved extension on the working-day
calendar, so that a calendar refresh (official data for a new year) moves a provisional due
date and nothing else can. Which positions run or stop a clock follows from the case net:
a step's clock runs while the step awaits its department, pauses while the applicant corrects
(or restarts when the correction is answered, by policy) and during special procedures.
The case clock runs from acceptance and pauses while no step is running.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, NamedTuple

import attrs

from onething.cases.clock_record import DEFAULTS, keep
from onething.cases.clock_record import ClockRecord as ClockRecord
from onething.cases.typed_json import moment_json
from onething.language.model import Rung
from onething.net.model import PlaceRole
from onething.workdays import SHANGHAI, CountFrom, Due, Duration, Unit, WorkCalendar

CASE = "case"
#: the clock of issuing and serving the result once every decision is made (行政许可法 art. 44)
DELIVERY = "delivery"


class Status(StrEnum):
    """Where a clock stands against its limit."""

    NORMAL = "normal"
    WARNING = "warning"
    OVERDUE = "overdue"
    PAUSED = "paused"
    MET = "met"
    LATE = "late"


_15_WD, _5_WD, _1_WD = Duration.parse("15 WD"), Duration.parse("5 WD"), Duration.parse("1 WD")
_10_WD = Duration.parse("10 WD")


@attrs.frozen
class ClockPolicy:
    """How clocks count for one workflow (defaults follow 行政许可法; all declarable)."""

    count_from: CountFrom = "next_day"
    #: an answered correction resumes the clock where it paused: 行政许可法 has no rule that
    #: starts a limit again after a correction (a local rule may: ``correction: restart``)
    correction: str = "pause"
    answer_within: Duration | None = _15_WD
    intake_notice_within: Duration | None = _5_WD
    #: the answer to the one intake notice (一次性告知): no statute; the step corrections' 15 WD
    answer_intake_within: Duration | None = _15_WD
    warn_before: Duration = _1_WD
    ladder: tuple[Rung, ...] = ()
    extension_max: Duration = _10_WD
    case_extension_max: Duration = _15_WD
    #: 行政许可法 art. 44: the certificate is issued and served within 10 days (working days,
    #: art. 82) of the decision
    deliver_within: Duration = _10_WD


def _local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Asia/Shanghai, as a clock records it (the very object when it is in
    Asia/Shanghai already, so a clock's moments share the case's)."""
    return moment.astimezone(SHANGHAI)


#: limit texts ("5 WD"), one per limit, shared between the clocks of every case
_TEXTS: dict[Duration, str] = {}


def _text(limit: Duration | None) -> str | None:
    if limit is None:
        return None
    text = _TEXTS.get(limit)
    return text if text is not None else keep(_TEXTS, limit, str(limit))


def as_clock(data: dict[str, Any]) -> ClockRecord:
    """A stored clock (possibly written in full by an older release) as a sparse clock."""
    return ClockRecord.stored({k: v for k, v in data.items()
                               if v != DEFAULTS.get(k, ...) and v != []})


def new_clock(now: dt.datetime, committed: Duration | None,
              statutory: Duration | None) -> ClockRecord:
    """A clock that starts now."""
    # a deployment's limits are the same objects from action to action: their texts are
    # looked up by identity (the limits are kept with them, so an id is not reused meanwhile)
    found = _PAIRS.get((id(committed), id(statutory)))
    if found is None:
        found = keep(_PAIRS, (id(committed), id(statutory)),
                     (committed, statutory, _text(committed), _text(statutory)))
    return ClockRecord.starting(_local(now), found[2], found[3])


_PAIRS: dict[tuple[int, int], tuple[Duration | None, Duration | None, str | None,
                                    str | None]] = {}


def own(clocks: dict[str, ClockRecord], key: str) -> ClockRecord:
    """Replace ``clocks[key]`` by a private copy and return it (clocks are copied on write:
    a case's clocks dict may share the clocks of the version it was made from)."""
    clock = clocks[key].copy()
    if clock.get("milestones") is not None:
        clock["milestones"] = dict(clock["milestones"])
    clocks[key] = clock
    return clock


def pause(clock: ClockRecord, now: dt.datetime, reason: str) -> None:
    """Pause the clock at ``now`` for ``reason`` (a correction, a special procedure)."""
    if clock.paused_since is None and clock.finished is None:
        clock.paused_since, clock["paused_reason"] = _local(now), reason


def resume(clock: ClockRecord, now: dt.datetime, restart: bool) -> None:
    """End a pause: record it, or (for an answered correction under 'restart') start anew."""
    if clock.paused_since is None:
        return
    if restart:
        clock.started = _local(now)
        clock.pop("pauses", None)
        clock.pop("escalated", None)
    else:
        begun = clock.paused_since.astimezone(SHANGHAI).date()
        clock["pauses"] = [*clock.get("pauses", ()), [
            begun.isoformat(), now.astimezone(SHANGHAI).date().isoformat(),
            clock.get("paused_reason")]]
    clock.paused_since = None
    clock.pop("paused_reason", None)


def finish(clock: ClockRecord, now: dt.datetime) -> None:
    """Stop the clock at ``now`` (ending any pause)."""
    if clock.finished is None:
        resume(clock, now, restart=False)
        clock.finished = _local(now)


def _pauses(clock: ClockRecord, now: dt.datetime) -> list[tuple[dt.date, dt.date]]:
    out = [(dt.date.fromisoformat(a), dt.date.fromisoformat(b))
           for a, b, _ in clock.get("pauses", ())]
    if clock.paused_since is not None:
        begun = clock.paused_since.astimezone(SHANGHAI).date()
        today = now.astimezone(SHANGHAI).date()
        if today >= begun:  # asked before the open pause began: it has not, yet
            out.append((begun, today))
    return out


def limit(clock: ClockRecord, which: str) -> Duration | None:
    """The limit with any approved extension added (extensions add working days)."""
    base = clock.get(which)
    if base is None:
        return None
    amount = Duration.parse(base)
    extra = clock.get("extension")
    if extra:
        added = Duration.parse(extra)
        if added.unit == amount.unit:
            amount = Duration(amount.amount + added.amount, amount.unit)
    return amount


def due(calendar: WorkCalendar, clock: ClockRecord, which: str, now: dt.datetime,
        policy: ClockPolicy) -> Due | None:
    """The due date of the ``committed`` or ``statutory`` limit, pauses applied."""
    base = getattr(clock, which)
    if base is None:
        return None
    # remembered by what it is computed from, as the clock records it (no parsing on a hit);
    # an open pause runs to today, so a paused clock's due date is remembered for the day
    paused = clock.paused_since
    key = (clock.started, base, *_rare(clock),
           paused and (paused, now.astimezone(SHANGHAI).date()), policy.count_from)
    known = _memos(calendar).dues
    found = known.get(key)
    if found is None:
        amount = limit(clock, which)
        assert amount is not None
        found = keep(known, key, calendar.add(
            clock.started, amount, count_from=policy.count_from,
            pauses=_pauses(clock, now)))
    return found


def _rare(clock: ClockRecord) -> tuple[str | None, tuple[tuple[Any, ...], ...]]:
    """The clock's extension and pauses (None and none for most clocks), as memo keys."""
    more = clock.more
    if not more:
        return None, ()
    return more.get("extension"), tuple(map(tuple, more.get("pauses", ())))


class Deadline(NamedTuple):
    """What most readers of a due date need of it (:class:`Due` has the explanation)."""

    deadline: dt.datetime
    provisional: bool
    reasons: tuple[str, ...]


def deadline(calendar: WorkCalendar, clock: ClockRecord, which: str | None,
             now: dt.datetime, policy: ClockPolicy) -> Deadline | None:
    """:func:`due`'s deadline, whether it is provisional and why; ``which`` None: of the
    committed limit, else of the statutory one. A limit in days is due by the date its
    clock started on (as :meth:`WorkCalendar.add` counts it), so every clock started the
    same day with the same limit and pauses shares one answer."""
    if which is None:
        base = clock.committed
        which = "committed" if base is not None else "statutory"
        if base is None:
            base = clock.statutory
    else:
        base = getattr(clock, which)
    if base is None:
        return None
    started: dt.datetime | dt.date = clock.started
    paused = clock.paused_since
    since: tuple[dt.datetime | dt.date, dt.date] | None = None
    if _BY_DAY.get(base) or _by_day(base):
        started = _day(clock.started)
        if paused is not None:
            since = (_day(paused), now.astimezone(SHANGHAI).date())
    elif paused is not None:
        since = (paused, now.astimezone(SHANGHAI).date())
    key = (started, base, *_rare(clock), since, policy.count_from)
    known = _memos(calendar).deadlines
    found = known.get(key)
    if found is None:
        full = due(calendar, clock, which, now, policy)
        assert full is not None
        found = keep(known, key, Deadline(full.deadline, full.provisional, full.reasons))
    return found


def used_days(calendar: WorkCalendar, clock: ClockRecord) -> int:
    """The working days a finished clock used, its pauses left out (what
    :meth:`WorkCalendar.count_working_days` counts from its start to its finish), remembered
    by the days it started and finished on."""
    started, finished = clock.started, clock.finished
    assert finished is not None, "used_days reads a finished clock"
    key = (_day(started), _day(finished), _rare(clock)[1])
    known = _memos(calendar).used_days
    found = known.get(key)
    if found is None:
        found = keep(known, key, calendar.count_working_days(
            started, finished, pauses=_pauses(clock, finished)).value)
    return found


class _Memos:
    """What this module remembers of one calendar (a calendar's data never changes: a
    refresh is a new calendar): one action asks a clock's due date several times (timers,
    queues, statistics), and the clocks of a day share their answers."""

    __slots__ = ("deadlines", "dues", "used_days", "warnings")

    def __init__(self) -> None:
        self.dues: dict[tuple[Any, ...], Due] = {}
        self.deadlines: dict[tuple[Any, ...], Deadline] = {}
        self.used_days: dict[tuple[Any, ...], int] = {}
        self.warnings: dict[tuple[dt.datetime, Duration], dt.datetime] = {}


def _memos(calendar: WorkCalendar) -> _Memos:
    """The memos of ``calendar`` (those of the last calendar asked are found without a weak
    dictionary's lookup: one calendar serves most)."""
    global _last_memos
    last = _last_memos  # read once: another thread may replace it
    if last[0]() is calendar:
        return last[1]
    found = _MEMOS.get(calendar)
    if found is None:
        found = _MEMOS.setdefault(calendar, _Memos())
    _last_memos = (weakref.ref(calendar), found)
    return found


def _by_day(base: str) -> bool:
    """Whether the limit ``base`` (``"5 WD"``) counts days: its extensions count alike."""
    found = _BY_DAY[base] = Duration.parse(base).unit in (Unit.WD, Unit.ND)
    return found


def _day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai date of a clock's time."""
    if moment.tzinfo is SHANGHAI:
        return moment.date()
    return moment.astimezone(SHANGHAI).date()


_BY_DAY: dict[str, bool] = {}
_MEMOS: weakref.WeakKeyDictionary[WorkCalendar, _Memos] = weakref.WeakKeyDictionary()
_last_memos: tuple[Callable[[], WorkCalendar | None], _Memos] = (lambda: None, _Memos())


def status(calendar: WorkCalendar, clock: ClockRecord, now: dt.datetime,
           policy: ClockPolicy) -> Status:
    """normal / warning / overdue (paused, met, late for clocks that are not running)."""
    found = deadline(calendar, clock, None, now, policy)
    if clock.finished is not None:
        if found is None or clock.finished <= found.deadline:
            return Status.MET
        return Status.LATE
    if clock.paused_since is not None:
        return Status.PAUSED
    if found is None:
        return Status.NORMAL
    if now > found.deadline:
        return Status.OVERDUE
    if _within(calendar, now, found.deadline, policy.warn_before):
        return Status.WARNING
    return Status.NORMAL


def _within(calendar: WorkCalendar, now: dt.datetime, deadline: dt.datetime,
            margin: Duration) -> bool:
    """Whether ``deadline`` falls within ``margin`` of ``now`` (counted from tomorrow)."""
    return calendar.add(now, margin).deadline >= deadline


def warn_from(calendar: WorkCalendar, deadline: dt.datetime, margin: Duration) -> dt.datetime:
    """The first moment at which a clock due at ``deadline`` shows as warning (the moment
    from which :func:`status` says ``warning`` rather than ``normal``), exactly: what
    queues index, so that "warning now" is one comparison."""
    known = _memos(calendar).warnings
    found = known.get((deadline, margin))
    if found is not None:
        return found
    late = deadline  # within at the deadline itself; look back for a moment that is not
    step = dt.timedelta(days=1)
    early = late - step
    while _within(calendar, early, deadline, margin):
        late, step = early, step * 2
        if step > dt.timedelta(days=_MAX_WARNING_DAYS):
            return early  # a margin longer than any calendar gap: warning from far back
        early = late - step
    while late - early > dt.timedelta(microseconds=1):  # within is monotone in the moment
        middle = early + (late - early) / 2
        if _within(calendar, middle, deadline, margin):
            late = middle
        else:
            early = middle
    return keep(known, (deadline, margin), late)


#: how far back a warning may start (far beyond any margin a workflow declares)
_MAX_WARNING_DAYS = 4000


@attrs.frozen
class ClockView:
    """A clock as shown to people: what it measures, its due dates and its status."""

    key: str
    status: Status
    started: dt.datetime
    committed_due: Due | None
    statutory_due: Due | None
    paused_reason: str | None
    extension: str | None

    @property
    def provisional(self) -> bool:
        """Whether a due date rests on a calendar year without official data."""
        return any(d is not None and d.provisional
                   for d in (self.committed_due, self.statutory_due))

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the due dates are provisional, if they are."""
        return tuple(r for d in (self.committed_due, self.statutory_due) if d is not None
                     for r in d.reasons)

    def to_json(self) -> dict[str, Any]:
        """The clock as typed JSON (``status --format json``): its due dates as ISO 8601
        times in Asia/Shanghai, or null when it has none."""
        return {"clock": self.key, "status": self.status.value,
                "committed_due": moment_json(self.committed_due.deadline)
                if self.committed_due else None,
                "statutory_due": moment_json(self.statutory_due.deadline)
                if self.statutory_due else None,
                "provisional": self.provisional}


def view(calendar: WorkCalendar, key: str, clock: ClockRecord, now: dt.datetime,
         policy: ClockPolicy) -> ClockView:
    """The clock as people see it: its due dates and its status at ``now``."""
    return ClockView(key, status(calendar, clock, now, policy), _as_written(clock.started),
                     due(calendar, clock, "committed", now, policy),
                     due(calendar, clock, "statutory", now, policy),
                     clock.get("paused_reason"), clock.get("extension"))


def _as_written(moment: dt.datetime) -> dt.datetime:
    """``moment`` with the fixed offset its ISO text carries, as a view has always shown a
    clock's start (read back from that text)."""
    offset = moment.utcoffset()
    return moment if offset is None else moment.replace(tzinfo=dt.timezone(offset))


# -- following the marking ----------------------------------------------------------------------

RUNNING_ROLES = frozenset({PlaceRole.STEP, PlaceRole.CORRECTED})


def step_positions(roles: dict[str, tuple[str, PlaceRole]],
                   marking: Iterable[str]) -> dict[str, PlaceRole]:
    """Each step present in ``marking`` with the role of its position."""
    out: dict[str, PlaceRole] = {}
    for name in marking:
        entry = roles.get(name)
        if entry is not None:
            out[entry[0]] = entry[1]
    return out


def follow(clocks: dict[str, ClockRecord], before: dict[str, PlaceRole],
           after: dict[str, PlaceRole],
           now: dt.datetime, limits: dict[str, tuple[Duration | None, Duration | None]],
           policy: ClockPolicy) -> list[tuple[str, str]]:
    """Start, pause, resume and stop step clocks as positions change; return what changed.

    Only the clocks that change are copied (:func:`own`); the others stay shared.
    """
    changes = []
    for step, role in after.items():
        old = before.get(step)
        if old is None:
            clocks[step] = new_clock(now, *limits[step])
            changes.append((step, "started"))
        elif old in RUNNING_ROLES and role not in RUNNING_ROLES:
            reason = "correction" if role is PlaceRole.CORRECTION else "special procedure"
            pause(own(clocks, step), now, reason)
            changes.append((step, f"paused for {reason}"))
        elif old not in RUNNING_ROLES and role in RUNNING_ROLES:
            restart = old is PlaceRole.CORRECTION and policy.correction == "restart"
            resume(own(clocks, step), now, restart)
            changes.append((step, "restarted" if restart else "resumed"))
    for step in before:
        if step not in after and step in clocks:
            finish(own(clocks, step), now)
            changes.append((step, "stopped"))
    return changes


def decided(clocks: dict[str, ClockRecord], now: dt.datetime,
            deliver_within: Duration) -> list[tuple[str, str]]:
    """Every decision is made: the organ's limit (the case clock, 行政许可法 art. 42) is kept
    or missed now, and the result is issued and served within art. 44's own limit (the
    delivery clock). Returns the clocks' changes."""
    changes = []
    case = clocks.get(CASE)
    if case is not None and case.finished is None:
        finish(own(clocks, CASE), now)
        changes.append((CASE, "stopped (decided)"))
    clocks[DELIVERY] = new_clock(now, None, deliver_within)
    changes.append((DELIVERY, "started"))
    return changes


def follow_case(clocks: dict[str, ClockRecord], positions: dict[str, PlaceRole],
                now: dt.datetime) -> None:
    """Pause the case clock while any step is in a special procedure, or while steps wait and
    none runs; resume when neither holds."""
    clock = clocks.get(CASE)
    if clock is None or clock.finished is not None:
        return
    # 行政许可法 art. 45: the time a hearing, testing or expert review needs is not counted in
    # the limits, the case's included, whatever else runs meanwhile (overlapping procedures
    # count once: one pause)
    special = running = False
    for role in positions.values():
        if role is PlaceRole.SPECIAL:
            special = True
        elif role in RUNNING_ROLES:
            running = True
    if not special and (running or not positions):
        if clock.paused_since is not None:
            resume(own(clocks, CASE), now, restart=False)
    elif clock.paused_since is None:
        pause(own(clocks, CASE), now, "special procedure (行政许可法 art. 45)" if special
              else "waiting on the applicant")
