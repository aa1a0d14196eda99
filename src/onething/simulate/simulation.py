"""``simulate``: a Monte Carlo of a workflow's cases — its real structure, forms drawn for its
conditions, each step's working days drawn from the durations — on the real calendar from a
start date, and the :class:`Simulation` it gives: every case's lead time on the case clock,
how it ended, the steps on its critical path, and each stage's time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from onething.errors import InvalidArgument
from onething.language.model import Stage, Step, Workflow
from onething.language.time_check import OFFICE_DAY_HOURS, working_days
from onething.simulate.draws import Draws
from onething.simulate.durations import Durations, limit_days
from onething.simulate.forms import Forms, draw_forms
from onething.simulate.program import Compiled, compile_workflow
from onething.simulate.run import CUT, REFUSED, RESULT, TERMINATED, Policy, Runner
from onething.simulate.workday_index import WorkdayIndex
from onething.workdays import Duration, WorkCalendar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Days = npt.NDArray[np.int64]

#: the most cases one simulation runs
MAX_CASES = 10_000_000
#: visits of one step before a case that keeps coming back to it is cut off
MAX_VISITS = 20
#: cases simulated together: a larger run goes chunk by chunk (memory stays bounded), each
#: chunk after the first with random streams of its own
CHUNK = 100_000
CHUNK_KEY = 1_000_000
#: how each case ended, by the codes of :mod:`onething.simulate.run`
OUTCOMES = {RESULT: "result", REFUSED: "refusal", TERMINATED: "termination", CUT: "unfinished"}


@attrs.frozen
class Simulation:
    """The simulated cases: per case (arrays indexed by case) the working-day ordinals of its
    submission, acceptance and the day every decision was made, its lead time on the case
    clock (working days, pauses left out), how it ended (:data:`OUTCOMES`), its critical path
    (bits by step index) and its time in each stage (-1: not through the stage).

    ``forms`` and ``draws`` are those of the first :data:`CHUNK` cases (the cases a test
    replays); ``green`` says for every case whether it is a green-channel case."""

    workflow: Workflow
    durations: Durations
    compiled: Compiled
    cases: int
    seed: int
    start: dt.date
    index: WorkdayIndex
    forms: Forms | None
    draws: Draws | None
    submitted: Days
    accepted: Days
    counted_from: Days
    decided: Days
    lead: Days
    outcome: npt.NDArray[np.int8]
    critical: npt.NDArray[np.uint64]
    stage_days: Days
    green: npt.NDArray[np.bool_]
    step_runs: Days
    step_days: npt.NDArray[np.float64]
    #: what the report should say besides its figures: (Chinese, English)
    notes: tuple[tuple[str, str], ...]

    @property
    def steps(self) -> tuple[Step, ...]:
        """The workflow's steps, in the order of the step indexes."""
        return self.compiled.steps

    @property
    def stages(self) -> tuple[Stage, ...]:
        """The workflow's stages, in order."""
        return self.compiled.stages

    @property
    def done(self) -> npt.NDArray[np.bool_]:
        """The cases decided — every decision made, or refused — whose lead time counts."""
        import numpy as np

        return np.isin(self.outcome, (RESULT, REFUSED))

    def on_critical_path(self, step: int) -> npt.NDArray[np.bool_]:
        """Per case, whether step number ``step`` is on its critical path."""
        import numpy as np

        word = self.critical[:, step // 64]
        return np.asarray((word >> np.uint64(step % 64)) & np.uint64(1) == 1, dtype=bool)

    def case_limit(self, which: str) -> float | None:
        """The case's ``committed`` or ``statutory`` limit in working days (None: none, or
        not in working days)."""
        limit = self.workflow.time_limit
        return _wd(getattr(limit, which)) if limit is not None else None

    def stage_limit(self, stage: int) -> float | None:
        """Stage ``stage``'s committed limit in working days (None: none)."""
        limit = self.stages[stage].time_limit
        return _wd(limit.committed if limit else None)

    def decided_dates(self) -> npt.NDArray[np.datetime64]:
        """The date every decision was made on, per case."""
        return self.index.dates(self.decided)


def _wd(limit: Duration | None) -> float | None:
    if limit is None or limit.unit.value != "WD":
        return None
    days = working_days(limit)
    return float(days) if days is not None else None


def simulate(workflow: Workflow, cases: int, *, durations: Durations | None = None,
             start: dt.date | None = None, seed: int = 0,
             calendar: WorkCalendar | None = None,
             observed: Mapping[str, Mapping[int, int]] | None = None,
             max_visits: int = MAX_VISITS) -> Simulation:
    """Simulate ``cases`` cases of ``workflow``.

    ``durations`` say how long each step takes and how often what happens (default: each
    step's committed limit as a triangle 0.3 / 0.6 / 1.0 times it); ``observed`` — a store's
    history, ``{step: {working days: cases}}`` (:meth:`Engine.observed_step_days`) — gives
    the steps they leave out empirical days. Cases arrive from ``start`` (else the durations'
    ``start``, else today), ``arrivals`` each working day, on ``calendar`` (default: the
    shipped holiday data). The same ``seed`` gives the same cases.
    """
    try:
        import numpy as np
    except ImportError:
        raise InvalidArgument("simulating needs numpy", "pip install 'onething[report]'") \
            from None
    if isinstance(cases, bool) or not isinstance(cases, int) or not 1 <= cases <= MAX_CASES:
        raise InvalidArgument(f"cases is a whole number from 1 to {MAX_CASES:,}, not {cases!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgument(f"seed is a whole number from 0, not {seed!r}")
    durations = durations or Durations()
    if observed:
        durations = durations.fitted(observed, workflow)
    first = start or durations.start or dt.date.today()
    calendar = calendar or WorkCalendar()
    compiled = compile_workflow(workflow)
    parts = [_chunk(workflow, compiled, durations, calendar, seed, number, low,
                    min(low + CHUNK, cases), max_visits)
             for number, low in enumerate(range(0, cases, CHUNK))]
    joined = {name: np.concatenate([getattr(p, name) for p in parts])
              for name in ("submitted", "accepted", "counted_from", "decided", "lead",
                           "outcome", "critical", "stage_days", "green")}
    deemed = sum(p.deemed for p in parts)
    notes = list(compiled.notes)
    if deemed:
        within = workflow.clock.intake_notice_within
        notes.append((f"{deemed:,} 件在 {within} 内未受理，视为受理（行政许可法第三十二条），"
                       "时限自申请之日起算",
                       f"{deemed:,} cases not accepted within {within} were deemed accepted "
                       "then (行政许可法 art. 32): their clock counts from the submission"))
    for step, days in zip(compiled.steps, parts[0].silence, strict=True):
        if days is not None:
            notes.append((f"步骤 {step.id} 逾期 {days} 个工作日未反馈视为同意",
                          f"step '{step.id}' is deemed approved on silence after its limit, "
                          f"{days} WD"))
    return Simulation(workflow, durations, compiled, cases, seed, first,
                      WorkdayIndex(calendar, first), parts[0].forms, parts[0].draws,
                      joined["submitted"], joined["accepted"], joined["counted_from"],
                      joined["decided"], joined["lead"], joined["outcome"],
                      joined["critical"], joined["stage_days"], joined["green"],
                      np.sum([p.step_runs for p in parts], axis=0),
                      np.sum([p.step_days for p in parts], axis=0),
                      tuple(notes))


@attrs.frozen
class _Part:
    """One chunk of a simulation: its cases' arrays, and (kept for the first) its draws."""

    submitted: Days
    accepted: Days
    counted_from: Days
    decided: Days
    lead: Days
    outcome: npt.NDArray[np.int8]
    critical: npt.NDArray[np.uint64]
    stage_days: Days
    green: npt.NDArray[np.bool_]
    step_runs: Days
    step_days: npt.NDArray[np.float64]
    deemed: int
    silence: tuple[int | None, ...]
    forms: Forms | None
    draws: Draws | None


def _chunk(workflow: Workflow, compiled: Compiled, durations: Durations,
           calendar: WorkCalendar, seed: int, number: int, low: int, high: int,
           max_visits: int) -> _Part:
    """Simulate cases ``low`` to ``high`` (chunk ``number``: its own random streams)."""
    import numpy as np

    cases = high - low
    streams = (seed,) if number == 0 else (seed, CHUNK_KEY + number)
    green = workflow.green_channel.when.expr if workflow.green_channel is not None else None
    forms = draw_forms(workflow, compiled.conditions, green, durations.forms,
                       durations.green_share, np.random.default_rng([*streams, 3]), cases)
    draws = Draws(workflow, compiled.steps, durations, cases, streams, forms.green,
                  calendar.office_hours.hours)
    clock = workflow.clock
    policy = Policy(restart=clock.correction == "restart",
                    answer_within=_whole(clock.answer_correction_within),
                    intake_within=_whole(clock.intake_notice_within))
    silence = tuple(_silence(step) for step in compiled.steps)
    runner = Runner(compiled.steps, len(compiled.stages), draws, forms.truth, policy, silence,
                    max_visits)
    submitted = np.floor(np.arange(low, high) / durations.arrivals).astype(np.int64)
    intake = draws.intake()
    window = policy.intake_within
    deemed = intake > window if window is not None else np.zeros(cases, dtype=bool)
    accepted = submitted + (np.where(deemed, window, intake) if window is not None else intake)
    counted_from = np.where(deemed, submitted, accepted)
    flow = runner.run(compiled.program, np.arange(cases), accepted)
    pauses = flow.waits | flow.specials
    lead = flow.end - counted_from - pauses.days_within(counted_from, flow.end)
    stage_days = np.full((cases, len(compiled.stages)), -1, dtype=np.int64)
    for stage in range(len(compiled.stages)):
        began, ended = runner.stage_start[:, stage], runner.stage_end[:, stage]
        through = (began >= 0) & (ended >= 0)
        used = ended - began - pauses.days_within(began, ended)
        stage_days[:, stage] = np.where(through, used, -1)
    kept = number == 0
    return _Part(submitted, accepted, counted_from, flow.end, lead, flow.outcome,
                 flow.critical, stage_days, forms.green, runner.step_runs, runner.step_days,
                 int(deemed.sum()), silence, forms if kept else None, draws if kept else None)


def _whole(limit: Duration | None) -> int | None:
    """A clock rule's limit in whole working days (None: none)."""
    if limit is None:
        return None
    days = working_days(limit)
    return math.ceil(days) if days is not None else None


def _silence(step: Step) -> int | None:
    """The working days after which a step deemed approved on silence is approved."""
    if step.silence is None:
        return None
    days = limit_days(step, OFFICE_DAY_HOURS)
    return math.ceil(days) if days is not None else None


def percentiles(values: npt.NDArray[Any], *points: float) -> list[float]:
    """The ``points`` (0..100) percentiles of ``values``, each an observed value."""
    import numpy as np

    if not len(values):
        return [math.nan for _ in points]
    return [float(v) for v in np.percentile(values, points, method="inverted_cdf")]


__all__ = ["MAX_CASES", "MAX_VISITS", "OUTCOMES", "Simulation", "percentiles", "simulate"]
