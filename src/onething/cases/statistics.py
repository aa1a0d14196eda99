"""A statistics report (issue 19) made from the counts a store keeps
(:mod:`onething.cases.tallies`): per workflow, department, step and period — cases received,
accepted, delivered by kind; the rates the halls are judged by (按时办结率, 超期率,
提前办结率, 一次办结率, 即办件 share); lead times and each step's working time as mean,
median, p90 and p99; corrections per step; 好差评 by its five levels and the share of bad
ratings rectified in time.

Quantiles are exact: working days are whole numbers, so a count per number of days is the
whole distribution, and a quantile is read from it by nearest rank (the smallest number of days
at or below which at least that share of the cases lie). Rates are ``None`` where nothing was
there to rate (no case delivered) — never a division by zero shown as 0%.

Definitions (docs/statistics.md gives them with their sources):

* *delivered* counts deliveries by kind; the rates are over cases decided after acceptance
  (准予 or 不予: a refusal at intake, a withdrawal or a termination was never decided);
* *on time* (按时办结): the case's clock met its limit (the committed one, else the statutory);
  *overdue* (超期): it did not; *early* (提前办结): fewer working days than the limit;
* *first time* (一次办结): delivered without any correction asked (at the window or of a step);
* *instant* (即办): delivered on the day it was accepted;
* lead time: the case clock's working days, from acceptance to delivery, pauses left out; a
  step's time: its clock's working days, pauses (corrections, special procedures) left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from onething.cases import tallies as t

#: the 好差评 levels (国办发〔2019〕51号; GB/T 39735): level -> (Chinese, English)
LEVELS: dict[int, tuple[str, str]] = {
    5: ("非常满意", "very satisfied"), 4: ("满意", "satisfied"),
    3: ("基本满意", "fairly satisfied"), 2: ("不满意", "dissatisfied"),
    1: ("非常不满意", "very dissatisfied")}
#: ratings that are bad (差评) and open a rectification
BAD = (1, 2)
#: the periods a report groups by
PERIODS = ("day", "week", "month", "year", "all")


def quantile(histogram: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank quantile of a distribution given as value -> count (None if empty):
    the smallest value with at least ``ceil(share * n)`` of the ``n`` values at or below it."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)  # pragma: no cover - the ranks add up to the total


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@attrs.frozen
class Distribution:
    """A number of working days over many cases: count, mean, median, p90, p99 and the whole
    histogram (working days -> cases)."""

    histogram: dict[int, int] = attrs.field(factory=dict)

    @property
    def count(self) -> int:
        """How many values."""
        return sum(self.histogram.values())

    @property
    def mean(self) -> float | None:
        """The mean, or None without values."""
        n = self.count
        return sum(d * c for d, c in self.histogram.items()) / n if n else None

    @property
    def median(self) -> int | None:
        """The nearest-rank median."""
        return quantile(self.histogram, 0.5)

    @property
    def p90(self) -> int | None:
        """The nearest-rank 90th percentile."""
        return quantile(self.histogram, 0.9)

    @property
    def p99(self) -> int | None:
        """The nearest-rank 99th percentile."""
        return quantile(self.histogram, 0.99)

    def to_json(self) -> dict[str, Any]:
        """Count, mean (rounded to 0.01), median, p90, p99 and the histogram (keys as text)."""
        mean = self.mean
        return {"count": self.count, "mean": None if mean is None else round(mean, 2),
                "median": self.median, "p90": self.p90, "p99": self.p99,
                "histogram": {str(d): self.histogram[d] for d in sorted(self.histogram)}}


@attrs.define
class Figures:
    """The case figures of one group (everything, a workflow, a department, a period)."""

    received: int = 0
    green: int = 0
    accepted: int = 0
    deemed: int = 0
    delivered: dict[str, int] = attrs.field(factory=dict)
    #: decided after acceptance (准予 or 不予: not a withdrawal or a termination): what the
    #: rates below are over
    handled: int = 0
    on_time: int = 0
    late: int = 0
    early: int = 0
    first_time: int = 0
    instant: int = 0
    corrections: int = 0
    lead: Distribution = attrs.field(factory=Distribution)

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率: on time over those with a limit that were decided after acceptance."""
        return _rate(self.on_time, self.on_time + self.late)

    @property
    def overdue_rate(self) -> float | None:
        """超期率: late over those with a limit decided after acceptance."""
        return _rate(self.late, self.on_time + self.late)

    @property
    def early_rate(self) -> float | None:
        """提前办结率: fewer working days than the limit, over those with a limit."""
        return _rate(self.early, self.on_time + self.late)

    @property
    def first_time_rate(self) -> float | None:
        """一次办结率: without any correction, over those decided after acceptance."""
        return _rate(self.first_time, self.handled)

    @property
    def instant_rate(self) -> float | None:
        """即办件 share: delivered the day of acceptance, over those handled."""
        return _rate(self.instant, self.handled)

    def to_json(self) -> dict[str, Any]:
        """The figures and their rates as typed JSON."""
        return {"received": self.received, "green_channel": self.green,
                "accepted": self.accepted, "deemed_accepted": self.deemed,
                "delivered": dict(sorted(self.delivered.items())),
                "delivered_total": sum(self.delivered.values()), "handled": self.handled,
                "on_time": self.on_time, "late": self.late, "early": self.early,
                "first_time": self.first_time, "instant": self.instant,
                "corrections": self.corrections, "on_time_rate": self.on_time_rate,
                "overdue_rate": self.overdue_rate, "early_rate": self.early_rate,
                "first_time_rate": self.first_time_rate, "instant_rate": self.instant_rate,
                "lead_time": self.lead.to_json()}

    def add(self, measure: str, kind: str, days: int, flags: int, n: int) -> None:
        """Count ``n`` tallies of a case measure."""
        if measure == t.RECEIVED:
            self.received += n
            self.green += n if kind == "green" else 0
        elif measure == t.ACCEPTED:
            self.accepted += n
            self.deemed += n if kind == "deemed" else 0
        elif measure == t.CORRECTION:
            self.corrections += n
        elif measure == t.DELIVERED:
            self.delivered[kind] = self.delivered.get(kind, 0) + n
            if flags & t.DECIDED:
                self.handled += n
                self.first_time += n if flags & t.FIRST_TIME else 0
                self.instant += n if flags & t.INSTANT else 0
                if days >= 0:
                    self.lead.histogram[days] = self.lead.histogram.get(days, 0) + n
            self.on_time += n if flags & t.ON_TIME else 0
            self.late += n if flags & t.LATE else 0
            self.early += n if flags & t.EARLY else 0


@attrs.define
class StepFigures:
    """One step of one workflow at one department: how many ended (in delivered cases), how
    many met or missed their limit, its working time, and the corrections it asked."""

    workflow: str
    step: str
    department: str
    met: int = 0
    late: int = 0
    corrections: int = 0
    time: Distribution = attrs.field(factory=Distribution)

    @property
    def ended(self) -> int:
        """Steps ended (in cases delivered in the period)."""
        return self.time.count

    @property
    def overdue_rate(self) -> float | None:
        """Late over those with a limit."""
        return _rate(self.late, self.met + self.late)

    def to_json(self) -> dict[str, Any]:
        """The step's figures as typed JSON."""
        return {"workflow": self.workflow, "step": self.step, "department": self.department,
                "ended": self.ended, "met": self.met, "late": self.late,
                "overdue_rate": self.overdue_rate, "corrections": self.corrections,
                "working_days": self.time.to_json()}


@attrs.define
class RatingFigures:
    """好差评: ratings by level, the bad ones, and rectifications delivered on time or late."""

    levels: dict[int, int] = attrs.field(factory=lambda: dict.fromkeys(sorted(LEVELS), 0))
    rectified_on_time: int = 0
    rectified_late: int = 0
    #: False for a report of one workflow: a rectification is a case of its own workflow,
    #: counted against the department rated, so no workflow's share of them is known
    rectification_known: bool = True

    @property
    def rated(self) -> int:
        """Ratings given."""
        return sum(self.levels.values())

    @property
    def bad(self) -> int:
        """Bad ratings (差评: 不满意, 非常不满意)."""
        return sum(self.levels[level] for level in BAD)

    @property
    def rectified_rate(self) -> float | None:
        """Rectifications delivered within their limit over bad ratings (None when not known
        for the report's scope)."""
        return _rate(self.rectified_on_time, self.bad) if self.rectification_known else None

    def to_json(self) -> dict[str, Any]:
        """The ratings as typed JSON (levels keyed by their number as text)."""
        return {"levels": {str(k): self.levels[k] for k in sorted(self.levels, reverse=True)},
                "rated": self.rated, "bad": self.bad,
                "rectified_on_time": self.rectified_on_time if self.rectification_known
                else None,
                "rectified_late": self.rectified_late if self.rectification_known else None,
                "rectified_rate": self.rectified_rate}


@attrs.frozen
class Report:
    """The statistics of a store over a span of days (see the module docstring).

    ``workflows`` and ``departments`` hold the case figures per workflow and per lead
    department, ``periods`` per day, week (its Monday), month or year; ``steps`` the figures
    of each step; ``names`` the display name of each id (``workflow:<id>``,
    ``department:<id>``, ``step:<workflow>:<id>``); ``limits`` each workflow's case limits
    (``{"committed": "45 WD", "statutory": "79 WD"}``) as its latest version declares them.
    """

    period: str
    since: str | None
    until: str | None
    workflow: str | None
    department: str | None
    total: Figures
    workflows: dict[str, Figures]
    departments: dict[str, Figures]
    periods: dict[str, Figures]
    steps: tuple[StepFigures, ...]
    ratings: RatingFigures
    names: dict[str, str] = attrs.field(factory=dict)
    limits: dict[str, dict[str, str]] = attrs.field(factory=dict)

    def name(self, kind: str, *ids: str) -> str:
        """The display name of a workflow, department or step (its id when it has none)."""
        return self.names.get(":".join((kind, *ids)), ids[-1])

    def to_json(self) -> dict[str, Any]:
        """The report as typed JSON (``onething report --format json``, ``GET /statistics``)."""
        return {"scope": {"period": self.period, "from": self.since, "to": self.until,
                          "workflow": self.workflow, "department": self.department},
                "total": self.total.to_json(),
                "workflows": {k: v.to_json() for k, v in sorted(self.workflows.items())},
                "departments": {k: v.to_json() for k, v in sorted(self.departments.items())},
                "periods": {k: v.to_json() for k, v in sorted(self.periods.items())},
                "steps": [s.to_json() for s in self.steps],
                "ratings": self.ratings.to_json(), "names": dict(sorted(self.names.items())),
                "limits": dict(sorted(self.limits.items()))}


Row = tuple[str, str, str, str, str, str, int, int, int]


def report(rows: Iterable[Row], *, period: str = "week", since: str | None = None,
           until: str | None = None, workflow: str | None = None,
           department: str | None = None, names: Mapping[str, str] | None = None,
           limits: Mapping[str, Mapping[str, str]] | None = None) -> Report:
    """The report of summed counts ``(measure, workflow, department, step, period, kind, days,
    flags, n)`` as a store gives them (``Store.counted``)."""
    total = Figures()
    by_workflow: dict[str, Figures] = {}
    by_department: dict[str, Figures] = {}
    by_period: dict[str, Figures] = {}
    steps: dict[tuple[str, str, str], StepFigures] = {}
    ratings = RatingFigures(rectification_known=workflow is None)
    for measure, wf, dept, step, when, kind, days, flags, n in rows:
        if measure in (t.STEP_TIME, t.CORRECTION) and step:
            found = steps.get((wf, step, dept))
            if found is None:
                found = steps[(wf, step, dept)] = StepFigures(wf, step, dept)
            if measure == t.STEP_TIME:
                found.time.histogram[days] = found.time.histogram.get(days, 0) + n
                found.met += n if kind == "met" else 0
                found.late += n if kind == "late" else 0
            else:
                found.corrections += n
        if measure == t.RATING and kind.isdigit() and int(kind) in LEVELS:
            ratings.levels[int(kind)] += n
        elif measure == t.RECTIFIED:
            ratings.rectified_on_time += n if kind == "met" else 0
            ratings.rectified_late += n if kind == "late" else 0
        elif measure in (t.RECEIVED, t.ACCEPTED, t.CORRECTION, t.DELIVERED):
            for figures in (total, by_workflow.setdefault(wf, Figures()),
                            by_department.setdefault(dept, Figures()),
                            by_period.setdefault(when, Figures())):
                figures.add(measure, kind, days, flags, n)
    ordered = tuple(sorted(steps.values(), key=lambda s: (s.workflow, s.step, s.department)))
    return Report(period, since, until, workflow, department, total, by_workflow,
                  by_department, dict(sorted(by_period.items())), ordered, ratings,
                  dict(names or {}), {k: dict(v) for k, v in (limits or {}).items()})


__all__ = ["BAD", "LEVELS", "PERIODS", "Distribution", "Figures", "RatingFigures", "Report",
           "StepFigures", "quantile", "report"]
