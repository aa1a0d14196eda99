"""What a soundness check found: rules, located counterexample traces, counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs

from onething.language.location import UNKNOWN, Location


class Rule(StrEnum):
    """The properties a sound workflow has; each violation names the one it breaks."""

    TWO_DELIVERIES = "two-deliveries"
    UNSAFE = "duplicated-work"
    STUCK = "stuck"
    NO_DELIVERY = "no-delivery"
    IMPROPER_COMPLETION = "improper-completion"
    AFTER_DELIVERY = "activity-after-delivery"
    SECOND_CORRECTION = "second-correction"
    DEAD_STEP = "dead-step"
    DEAD_BRANCH = "dead-branch"
    ALWAYS_TRUE = "condition-always-true"
    OVERLAPPING_ARMS = "overlapping-arms"


EXPLANATIONS = {
    Rule.TWO_DELIVERIES: "a case must end with exactly one delivery; this path delivers twice",
    Rule.UNSAFE: "the same position holds two tokens: the same work would be done twice",
    Rule.STUCK: "from here the case can no longer be completed: only a withdrawal, a refusal "
                "or a timer could end it",
    Rule.NO_DELIVERY: "the case ends without any delivery",
    Rule.IMPROPER_COMPLETION: "the case (or a parallel branch) finishes while work is still "
                              "pending elsewhere",
    Rule.AFTER_DELIVERY: "something can still happen after the delivery; nothing about a "
                         "delivered case may change",
    Rule.SECOND_CORRECTION: "a step may ask for correction only once (一次告知)",
    Rule.DEAD_STEP: "no path reaches this step",
    Rule.DEAD_BRANCH: "no form can take this branch: its condition never holds when it is "
                      "evaluated",
    Rule.ALWAYS_TRUE: "the condition holds for every form, so the step is never skipped",
    Rule.OVERLAPPING_ARMS: "two arms hold for the same form; the earlier one is taken",
}

WARNINGS = frozenset({Rule.ALWAYS_TRUE, Rule.OVERLAPPING_ARMS})


@attrs.frozen
class TraceEvent:
    """One event of a counterexample, located in the YAML."""

    label: str
    transition: str
    location: Location = UNKNOWN

    def render(self) -> str:
        """The event as one line of a counterexample."""
        return f"{self.label:<40} {self.location}"


def form_json(value: object) -> object:
    """A form value as JSON a submission accepts back: null, true/false, whole numbers as
    numbers, decimals as their exact text (``"0.5"``), dates as ``YYYY-MM-DD``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _shown(value: object) -> str:
    shown = form_json(value)
    if shown is None:
        return "null"
    if isinstance(shown, bool):
        return "true" if shown else "false"
    return repr(shown) if isinstance(value, str) else str(shown)


@attrs.frozen
class Violation:
    """A broken rule: where, why, and the shortest event sequence that shows it."""

    rule: Rule
    message: str
    location: Location = UNKNOWN
    trace: tuple[TraceEvent, ...] = ()
    form: dict[str, Any] = attrs.field(factory=dict)
    marking: tuple[str, ...] = ()
    deliveries: int = 0

    @property
    def warning(self) -> bool:
        """Whether it is only a warning (it does not make the workflow unsound)."""
        return self.rule in WARNINGS

    def render(self) -> str:
        """The violation located in the YAML, with its shortest trace."""
        level = "warning" if self.warning else "error"
        lines = [f"{self.location}: {level}[{self.rule.value}]: {self.message}",
                 f"  why: {EXPLANATIONS[self.rule]}"]
        if self.form:
            shown = ", ".join(f"{k}={_shown(v)}" for k, v in self.form.items())
            lines.append(f"  for a form with: {shown}")
        if self.trace:
            lines.append(f"  shortest path ({len(self.trace)} events):")
            lines += [f"    {i:>2}. {e.render()}" for i, e in enumerate(self.trace, 1)]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The violation as JSON-ready data."""
        return {
            "rule": self.rule.value,
            "severity": "warning" if self.warning else "error",
            "message": self.message,
            "why": EXPLANATIONS[self.rule],
            "file": self.location.file, "line": self.location.line, "col": self.location.col,
            "form": {k: form_json(v) for k, v in self.form.items()},
            "trace": [{"event": e.label, "transition": e.transition, "file": e.location.file,
                       "line": e.location.line, "col": e.location.col} for e in self.trace],
            "marking": list(self.marking),
        }


@attrs.frozen
class Report:
    """The verdict on one workflow with what the exploration saw."""

    name: str
    decided: bool
    violations: tuple[Violation, ...]
    states: int
    configurations: int
    forms: int
    outcomes: dict[str, int]
    reduced_blocks: int
    elapsed_ms: float
    note: str = ""

    @property
    def errors(self) -> tuple[Violation, ...]:
        """The violations that make the workflow unsound (not the warnings)."""
        return tuple(v for v in self.violations if not v.warning)

    @property
    def sound(self) -> bool:
        """Whether the proof found no error (and was decided)."""
        return self.decided and not self.errors

    def summary(self) -> str:
        """One line: sound, unsound or undecided, with what was explored."""
        if not self.decided:
            return f"{self.name}: UNDECIDED: {self.note}"
        verdict = "sound" if self.sound else f"UNSOUND ({len(self.errors)} violation(s))"
        outcomes = ", ".join(f"{k}: {n}" for k, n in sorted(self.outcomes.items()))
        return (f"{self.name}: {verdict}; {self.states:,} states explored for "
                f"{self.configurations:,} configurations, {self.forms} distinct form(s); "
                f"terminal outcomes: {outcomes or 'none'}; {self.elapsed_ms:.0f} ms")

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (``check --format json``)."""
        return {
            "workflow": self.name, "decided": self.decided, "sound": self.sound,
            "states": self.states, "configurations": self.configurations,
            "forms": self.forms, "outcomes": self.outcomes,
            "reduced_parallel_blocks": self.reduced_blocks,
            "elapsed_ms": round(self.elapsed_ms, 1), "note": self.note,
            "violations": [v.to_json() for v in self.violations],
        }
