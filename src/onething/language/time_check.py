"""Whether a workflow can keep its own limits: the critical path in working days.

A sequence adds, a parallel block takes its longest branch, a choice its longest arm (the
worst case), and a stage counts what it commits to when it declares a limit, else its own
critical path. Each step counts its limit of the kind asked for (``committed`` or
``statutory``); a step with no statutory limit counts its committed one, and one with neither
counts 0 (a note says so). Working hours count as the part of an office day they fill
(6.5 h by default); natural days count as at most as many working days, the most they can
hold. Under joint handling (行政许可法 art. 42(2)) step limits are the case's internal
targets and the case's limit governs: the same sum is judged against it.

:func:`check` turns the verdicts into diagnostics: a statutory limit its own critical path
cannot meet is an error (no case could keep it), a committed one a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_CEILING, Decimal

from onething.language.location import Diagnostic, Location, Severity
from onething.language.model import (
    Choice,
    Parallel,
    Stage,
    Step,
    StepSequence,
    TimeLimit,
    Workflow,
)
from onething.workdays.duration import Duration, Unit

ZERO = Decimal(0)
#: hours in the default office day (9:00-12:00, 13:30-17:00): what a working hour is worth
OFFICE_DAY_HOURS = Decimal("6.5")
KINDS = ("committed", "statutory")


def working_days(value: Duration, hours_per_day: Decimal = OFFICE_DAY_HOURS) -> Decimal | None:
    """``value`` in working days for the critical path: WD as they are, WH as the part of an
    office day they fill (rounded up to 0.01), ND as at most as many WD; NH not counted."""
    if value.unit is Unit.WD:
        return value.amount
    if value.unit is Unit.WH:
        return (value.amount / hours_per_day).quantize(Decimal("0.01"), ROUND_CEILING)
    if value.unit is Unit.ND:
        return value.amount
    return None


def amount(limit: TimeLimit | None, which: str, notes: list[str], what: str,
           hours_per_day: Decimal = OFFICE_DAY_HOURS) -> Decimal | None:
    """The working days of ``limit``'s ``which`` kind, noting what could not be counted."""
    if limit is None:
        return None
    value: Duration | None = getattr(limit, which)
    if value is None:
        return None
    days = working_days(value, hours_per_day)
    if days is None:
        notes.append(f"{what}: {value} is not counted in working days and is left out")
    elif value.unit is Unit.ND:
        notes.append(f"{what}: {value} counted as at most {days.normalize():f} WD")
    elif value.unit is Unit.WH:
        notes.append(f"{what}: {value} counted as {days.normalize():f} WD "
                     f"({hours_per_day.normalize():f} office hours a day)")
    return days


def critical(block: object, which: str, notes: list[str],
             hours_per_day: Decimal = OFFICE_DAY_HOURS) -> tuple[Decimal, list[str]]:
    """The longest path through ``block`` in working days, and the steps on it."""
    if isinstance(block, Step):
        days = amount(block.time_limit, which, notes, f"step '{block.id}'", hours_per_day)
        if days is None and which == "statutory":
            days = amount(block.time_limit, "committed", notes, f"step '{block.id}'",
                          hours_per_day)
            if days is not None:
                notes.append(f"step '{block.id}' has no statutory limit: its committed one "
                             "is counted")
        if days is None:
            notes.append(f"step '{block.id}' has no {which} limit in WD: counted as 0")
            days = ZERO
        return days, [block.id]
    if isinstance(block, StepSequence):
        total, path = ZERO, []
        for item in block.items:
            days, sub = critical(item, which, notes, hours_per_day)
            total += days
            path += sub
        return total, path
    if isinstance(block, Parallel | Choice):
        arms = block.branches if isinstance(block, Parallel) else [a.body for a in block.branches]
        options = [critical(arm, which, notes, hours_per_day) for arm in arms]
        return max(options, key=lambda o: o[0]) if options else (ZERO, [])
    if isinstance(block, Stage):
        declared = amount(block.time_limit, which, notes, f"stage '{block.id}'", hours_per_day)
        days, path = critical(block.body, which, notes, hours_per_day)
        return (declared if declared is not None else days), path
    raise TypeError(f"not a block: {block!r}")  # pragma: no cover


def check(workflow: Workflow) -> list[Diagnostic]:
    """A located error for each statutory limit (the workflow's, a stage's) that its own
    critical path exceeds, naming the path; a warning for each such committed limit."""
    return [d for which in KINDS for d in _verdicts(workflow, which)]


def _verdicts(workflow: Workflow, which: str) -> Iterator[Diagnostic]:
    notes: list[str] = []
    for stage in (b for b in workflow.steps.items if isinstance(b, Stage)):
        declared = amount(stage.time_limit, which, notes, f"stage '{stage.id}'")
        days, path = critical(stage.body, which, notes)
        if declared is not None and days > declared and stage.time_limit is not None:
            yield _unmet(which, f"stage '{stage.id}'", declared, days, path,
                         stage.time_limit.location, workflow)
    limit = amount(workflow.time_limit, which, notes, "the workflow")
    days, path = critical(workflow.steps, which, notes)
    if limit is not None and days > limit and workflow.time_limit is not None:
        yield _unmet(which, "the case", limit, days, path, workflow.time_limit.location,
                     workflow)


def _unmet(which: str, what: str, limit: Decimal, days: Decimal, path: list[str],
           where: Location, workflow: Workflow) -> Diagnostic:
    statutory = which == "statutory"
    targets = " (under joint handling the step limits are its internal targets)" \
        if workflow.handling.joint and statutory else ""
    message = (f"{what} cannot meet its {which} limit of {_wd(limit)}: its critical path "
               f"{_path(path)} takes {_wd(days)}{targets}")
    hint = (f"shorten the steps on that path by {_wd(days - limit)}, run some in parallel, or "
            "correct the limit and its source ('onething sla' shows the timeline)")
    if statutory:
        return Diagnostic("limit-unmet", message, where, hint)
    return Diagnostic("committed-unmet", message, where, hint, Severity.WARNING)


def _path(path: list[str]) -> str:
    """The steps of a path, cut short: a diagnostic stays one line however long the path."""
    shown = [step if len(step) <= 40 else step[:39] + "…" for step in path[:12]]
    return " -> ".join(shown) + (f" -> … ({len(path)} steps)" if len(path) > 12 else "")


def _wd(days: Decimal) -> str:
    return f"{days.normalize():f} WD"
