"""What a simulation draws from: for each step its working days, how often it asks for a
correction (and how long the applicant takes to answer), starts a special procedure, refuses,
takes each of its own outcomes or sends a department back; how forms fill the fields the
workflow's conditions read; the green-channel share; the intake time; the first day and the
arrivals per working day.

A step the durations leave out takes its committed limit (else its statutory one) as a
triangular distribution of 0.3, 0.6 and 1.0 times the limit (:func:`step_days`); a step with
no limit at all takes one working day. History fitted from a store (``{step: {working days:
cases}}``) gives empirical distributions to the steps the file does not describe
(:meth:`Durations.fitted`). The file format: docs/simulation.md;
:mod:`onething.simulate.durations_file` reads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import attrs

from onething.language.model import Step, Workflow
from onething.language.time_check import OFFICE_DAY_HOURS, amount
from onething.simulate.distributions import Distribution, Empirical, Fixed, default_for

#: the kinds of special procedure (行政许可法 art. 45), as the engine names them
SPECIAL_KINDS = ("hearing", "tender", "auction", "inspection", "testing", "quarantine",
                 "appraisal", "expert_review")
#: the key of a store's history that holds the intake time (submission to acceptance)
INTAKE_KEY = "intake"


@attrs.frozen
class Correction:
    """A step asks the applicant for a correction (补正) with ``probability``, after its
    first working days; the applicant answers after ``reply`` working days (at least one),
    and the department decides ``after`` working days later (None: its own days again)."""

    probability: float
    reply: Distribution
    after: Distribution | None = None


@attrs.frozen
class Special:
    """A step starts a special procedure (特别程序, 行政许可法 art. 45) of ``kind`` with
    ``probability`` once its work is done, lasting ``days`` working days (at least one);
    the department decides the day it ends. Its time pauses every clock."""

    probability: float
    days: Distribution
    kind: str = "expert_review"


@attrs.frozen
class StepDurations:
    """What the durations say of one step (each part None or empty when not said)."""

    days: Distribution | None = None
    correction: Correction | None = None
    special: Special | None = None
    #: the probability that the department refuses (an optional step's refusal goes on)
    refusal: float = 0.0
    #: the step's own outcomes (``outcomes:``) with their probabilities
    outcomes: tuple[tuple[str, float], ...] = ()
    #: the steps of the block before it that it sends back (退回重审), with probabilities
    send_back: tuple[tuple[str, float], ...] = ()


@attrs.frozen
class Choices:
    """A form field's values with their weights (a bool, an enum, numbers, given or not)."""

    values: tuple[object, ...]
    weights: tuple[float, ...]


#: how a form field is filled: chosen values, or numbers drawn from a distribution
FieldDraw = Choices | Distribution


@attrs.frozen
class Durations:
    """Everything a simulation draws from; :meth:`step` gives one step's, defaults applied."""

    steps: Mapping[str, StepDurations] = attrs.field(factory=dict)
    #: working days from submission to acceptance (None: not stated, the day itself);
    #: longer than the workflow's ``intake_notice_within`` and the case is deemed accepted
    #: then (行政许可法 art. 32)
    intake: Distribution | None = None
    #: the first day cases arrive (a day off moves to the next working day)
    start: dt.date | None = None
    #: cases arriving per working day
    arrivals: float = 1.0
    #: the share of green-channel cases (forms are drawn to make its condition hold that
    #: often), or None: as the forms fall
    green_share: float | None = None
    #: the departments' days on a green-channel case, as a factor of their usual days
    green_factor: float = 1.0
    forms: Mapping[str, FieldDraw] = attrs.field(factory=dict)
    #: where the durations come from (a file, "defaults", "history")
    source: str = "defaults"
    #: the steps whose days come from a store's history
    fitted_steps: tuple[str, ...] = ()

    def step(self, step: Step) -> StepDurations:
        """``step``'s durations as stated (its days may still be None: see
        :func:`step_days`)."""
        return self.steps.get(step.id, StepDurations())

    @property
    def intake_days(self) -> Distribution:
        """The intake time as drawn: as stated, else none (accepted the day it arrives)."""
        return self.intake if self.intake is not None else Fixed(0.0)

    def fitted(self, observed: Mapping[str, Mapping[int, int]],
               workflow: Workflow) -> Durations:
        """These durations with empirical days for every step of ``workflow`` that
        ``observed`` (a store's history: step -> working days -> cases) has and these do not
        state the days of; its ``intake`` entry gives the intake time when that is not stated.
        Entries of steps the workflow no longer has are left out."""
        steps = dict(self.steps)
        ids = {s.id for s in workflow.iter_steps()}
        fitted = []
        intake = self.intake
        for key, counts in sorted(observed.items()):
            if not counts or sum(counts.values()) <= 0:
                continue
            if key not in ids:
                if key == INTAKE_KEY and intake is None:
                    intake = Empirical.of(counts)
                continue
            stated = steps.get(key)
            if stated is not None and stated.days is not None:
                continue
            steps[key] = attrs.evolve(stated or StepDurations(), days=Empirical.of(counts))
            fitted.append(key)
        return attrs.evolve(self, steps=steps, intake=intake, fitted_steps=tuple(fitted))


def step_days(workflow: Workflow, step: Step, durations: Durations,
              hours_per_day: Decimal = OFFICE_DAY_HOURS) -> Distribution:
    """The working days ``step`` takes: as the durations say, else the default — its
    committed limit (else statutory) as triangular 0.3 / 0.6 / 1.0 times it, else one day."""
    stated = durations.step(step).days
    if stated is not None:
        return stated
    limit = limit_days(step, hours_per_day)
    return default_for(limit) if limit is not None else Fixed(1.0)


def limit_days(step: Step, hours_per_day: Decimal = OFFICE_DAY_HOURS) -> float | None:
    """``step``'s own limit in working days: committed, else statutory (None: neither)."""
    notes: list[str] = []
    for which in ("committed", "statutory"):
        days = amount(step.time_limit, which, notes, step.id, hours_per_day)
        if days is not None:
            return float(days)
    return None


__all__ = ["INTAKE_KEY", "SPECIAL_KINDS", "Choices", "Correction", "Durations", "FieldDraw",
           "Special", "StepDurations", "limit_days", "step_days"]
