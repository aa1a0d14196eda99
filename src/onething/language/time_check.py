"""Whether a workflow can keep its own limits: the critical path in working days.

A sequence adds, a parallel block takes its longest branch, a choice its longest arm (the
worst case), and a stage counts the longer of what it commits to and its own critical path.
Each step counts its limit of the kind asked for (``committed`` or ``statutory``); a step
with no statutory limit counts its committed one, and one with neither counts 0 (a note says
so). Working hours count as the part of an office day they fill (6.5 h by default); natural
days count as at most as many working days, the most they can hold. Under joint handling
(行政许可法 art. 42(2)) step limits are the case's internal targets and the case's limit
governs: the same sum is judged against it.

:func:`check` judges each declared limit (the case's and every stage's, however nested):

* a statutory limit that even the **least** path exceeds — the steps every case takes: no
  conditional or optional step, a choice's shortest arm, nothing after a jump — is an error
  (``limit-unmet``): no case could keep it;
* a statutory limit only the longest path exceeds (through conditional steps, or counted in
  natural days, whose working days depend on the dates) is a warning (``limit-at-risk``);
* a committed limit the longest path exceeds is a warning (``committed-unmet``).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from onething.language.location import Diagnostic, Severity
from onething.language.model import (
    Choice,
    Parallel,
    Stage,
    Step,
    StepSequence,
    TimeLimit,
    Workflow,
    sequences,
)
from onething.workdays.duration import Duration, Unit
from onething.workdays.office_hours import OfficeHours

ZERO = Decimal(0)
#: hours in the default office day (9:00-12:00, 13:30-17:00): what a working hour is worth
OFFICE_DAY_HOURS = OfficeHours().hours
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
        return (max(declared, days) if declared is not None else days), path
    raise TypeError(f"not a block: {block!r}")  # pragma: no cover


def least(block: object, which: str, hours_per_day: Decimal = OFFICE_DAY_HOURS
          ) -> tuple[Decimal, list[str]]:
    """The working days every case spends in ``block``, and the steps that make them: a
    step that may be skipped (``when``, ``optional``, item by item over a list that may be
    empty) counts 0, a choice its shortest arm (0 without ``otherwise``), and in a sequence
    nothing after a step whose decision may jump."""
    if isinstance(block, Step):
        if block.when is not None or block.optional or block.foreach is not None:
            return ZERO, []
        days = critical(block, which, [], hours_per_day)[0]
        return days, [block.id] if days else []
    if isinstance(block, StepSequence | Stage):
        total, path = ZERO, []
        for item in (block.body if isinstance(block, Stage) else block).items:
            days, sub = least(item, which, hours_per_day)
            total += days
            path += sub
            if isinstance(item, Step) and item.jumps:
                break
        return total, path
    if isinstance(block, Parallel):
        options = [least(arm, which, hours_per_day) for arm in block.branches]
        return max(options, key=lambda o: o[0]) if options else (ZERO, [])
    if isinstance(block, Choice):
        options = [least(arm.body, which, hours_per_day) for arm in block.branches]
        if not any(arm.when is None for arm in block.branches):
            options.append((ZERO, []))  # no arm may hold
        return min(options, key=lambda o: o[0]) if options else (ZERO, [])
    raise TypeError(f"not a block: {block!r}")  # pragma: no cover


def check(workflow: Workflow) -> list[Diagnostic]:
    """A located diagnostic for each declared limit (the case's, every stage's) that its own
    critical path exceeds, naming the path (see the module's docstring for which kind)."""
    return [d for which in KINDS for d in _verdicts(workflow, which)]


def _verdicts(workflow: Workflow, which: str) -> Iterator[Diagnostic]:
    notes: list[str] = []
    judged: list[tuple[str, TimeLimit | None, object]] = [
        (f"stage '{stage.id}'", stage.time_limit, stage.body) for stage in stages(workflow.steps)]
    judged.append(("the case", workflow.time_limit, workflow.steps))
    natural = _natural(workflow, which)
    for what, limit, body in judged:
        declared = amount(limit, which, notes, what)
        if declared is None or limit is None:
            continue
        most, path = critical(body, which, notes)
        value = getattr(limit, which)
        if value is not None and value.unit is Unit.ND:
            # a limit in natural days holds fewer working days than days: judge it by the
            # weekdays in it (holidays may take more)
            declared = (declared * 5 / 7).to_integral_value(ROUND_FLOOR)
        if most <= declared:
            continue
        if which == "committed":
            yield _unmet("committed-unmet", what, which, declared, most, path, limit,
                         workflow, "")
            continue
        fewest, sure = least(body, which)
        if fewest > declared and not natural:
            yield _unmet("limit-unmet", what, which, declared, fewest, sure, limit,
                         workflow, "")
        else:
            why = " (counting natural days as working days)" if natural \
                else " (through steps that not every case takes)"
            yield _unmet("limit-at-risk", what, which, declared, most, path, limit,
                         workflow, why)


def stages(block: object) -> list[Stage]:
    """Every stage inside ``block``, however deeply nested."""
    return [b for seq in sequences(block) for b in seq.items if isinstance(b, Stage)]


def _natural(workflow: Workflow, which: str) -> bool:
    """Whether any limit of this kind is counted in natural days or hours: its working days
    then depend on the dates, and no verdict is certain."""
    limits = [workflow.time_limit, *(s.time_limit for s in stages(workflow.steps)),
              *(s.time_limit for s in workflow.iter_steps())]
    return any(value is not None and value.unit in (Unit.ND, Unit.NH)
               for limit in limits if limit is not None
               for value in (getattr(limit, which), limit.statutory, limit.committed))


def _unmet(code: str, what: str, which: str, limit: Decimal, days: Decimal, path: list[str],
           where: TimeLimit, workflow: Workflow, why: str) -> Diagnostic:
    targets = " (under joint handling the step limits are its internal targets)" \
        if workflow.handling.joint and which == "statutory" else ""
    every = "every case's path" if code == "limit-unmet" else "its critical path"
    message = (f"{what} cannot meet its {which} limit of {getattr(where, which)}: {every} "
               f"{_path(path)} takes {_wd(days)}{why}{targets}")
    hint = (f"shorten the steps on that path by {_wd(days - limit)}, run some in parallel, or "
            "correct the limit and its source ('onething sla' shows the timeline)")
    if code == "limit-unmet":
        return Diagnostic("limit-unmet", message, where.location, hint)
    if code == "limit-at-risk":
        return Diagnostic("limit-at-risk", message.replace("cannot meet", "may miss"),
                          where.location, hint, Severity.WARNING)
    return Diagnostic("committed-unmet", message, where.location, hint, Severity.WARNING)


def _path(path: list[str]) -> str:
    """The steps of a path, cut short: a diagnostic stays one line however long the path."""
    shown = [step if len(step) <= 40 else step[:39] + "…" for step in path[:12]]
    return " -> ".join(shown) + (f" -> … ({len(path)} steps)" if len(path) > 12 else "")


def _wd(days: Decimal) -> str:
    return f"{days.normalize():f} WD"
