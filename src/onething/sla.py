"""SLA analysis: the critical path of a workflow in working days, and whether its limit holds.

StepSequence adds, a parallel block takes its longest branch, a choice its longest arm (the worst
case), and a stage counts what it commits to (its own limit) when it declares one, else its
own critical path. Each step counts its committed limit (or its statutory one, on request).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

import attrs

from onething.language.model import (
    Stage,
    Workflow,
)
from onething.language.time_check import ZERO, amount, critical
from onething.workdays import Due, Duration, Unit, WorkCalendar


@attrs.frozen
class Segment:
    """One stage (or the whole workflow when it has no stages) on the timeline."""

    id: str
    title: str
    lead: str
    declared: Decimal | None
    critical: Decimal
    path: tuple[str, ...]
    start: dt.date
    end: Due | None

    @property
    def counted(self) -> Decimal:
        """The working days that count against the limit (pauses left out)."""
        return self.declared if self.declared is not None else self.critical

    @property
    def holds(self) -> bool:
        """Whether the segment's critical path fits its limit."""
        return self.declared is None or self.critical <= self.declared


@attrs.frozen
class SlaReport:
    """The critical path, its dates, and the verdict against the workflow's limit."""

    workflow: str
    which: str
    segments: tuple[Segment, ...]
    total: Decimal
    limit: Decimal | None
    notes: tuple[str, ...]

    @property
    def holds(self) -> bool:
        """Whether every segment and the whole fit their limits."""
        return all(s.holds for s in self.segments) and (
            self.limit is None or self.total <= self.limit)

    @property
    def provisional_reasons(self) -> tuple[str, ...]:
        """Why some end dates are provisional (a year without a notice), each reason once."""
        return tuple(dict.fromkeys(r for s in self.segments if s.end for r in s.end.reasons))

    def advice(self) -> list[str]:
        """Which stage to shorten, by how much, when a limit does not hold."""
        out = []
        for s in self.segments:
            if s.declared is not None and not s.holds:
                out.append(f"stage '{s.id}': its steps need {_wd(s.critical)} on the critical "
                           f"path ({' -> '.join(s.path)}) but it commits to {_wd(s.declared)}; "
                           f"shorten them by {_wd(s.critical - s.declared)}")
        if self.limit is not None and self.total > self.limit:
            excess = self.total - self.limit
            longest = max(self.segments, key=lambda s: s.counted)
            out.append(f"the whole takes {_wd(self.total)} against a limit of "
                       f"{_wd(self.limit)}: shorten the stages by {_wd(excess)} in all, "
                       f"e.g. '{longest.id}' ({_wd(longest.counted)}, the longest)")
        return out


def _wd(amount: Decimal | None) -> str:
    return "-" if amount is None else f"{amount.normalize():f} WD"


def analyse(workflow: Workflow, start: dt.date, calendar: WorkCalendar | None = None,
            which: str = "committed") -> SlaReport:
    """Critical path of ``workflow`` from ``start`` against its ``which`` limit."""
    calendar = calendar or WorkCalendar()
    hours = calendar.office_hours.hours
    notes: list[str] = []
    if workflow.handling.joint:
        notes.append("joint handling (行政许可法 art. 42(2)): the case's limit governs; the "
                     "step limits are its internal targets")
    stages = [b for b in workflow.steps.items if isinstance(b, Stage)]
    parts = stages if stages else [None]
    segments = []
    day = start
    for stage in parts:
        body = stage.body if stage else workflow.steps
        critical_days, path = critical(body, which, notes, hours)
        declared = amount(stage.time_limit, which, notes, f"stage '{stage.id}'", hours) \
            if stage else None
        segment_days = declared if declared is not None else critical_days
        # the calendar counts whole and half days: hours on the path round up to a half day
        halves = (segment_days * 2).to_integral_value(ROUND_CEILING) / 2
        end = calendar.add(day, Duration(halves, Unit.WD)) if segment_days > 0 else None
        segments.append(Segment(
            stage.id if stage else workflow.id, (stage.title or stage.id) if stage
            else workflow.title, stage.lead if stage else workflow.lead, declared, critical_days,
            tuple(path), day, end))
        if end is not None:
            day = end.date
    if stages and len(stages) != len(workflow.steps.items):
        notes.append("blocks outside any stage are not on the stage timeline")
    total = sum((s.counted for s in segments), ZERO)
    limit = amount(workflow.time_limit, which, notes, "the workflow", hours)
    return SlaReport(workflow.id, which, tuple(segments), total, limit, tuple(notes))
