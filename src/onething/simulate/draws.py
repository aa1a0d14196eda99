"""The random draws of a simulation, made with numpy for every case at once and reproducible
from the seed: each step's visit ``v`` has its own stream (seed, step, visit), drawn on
first use, so the same seed gives every case the same draws however the cases run — and a
test can read the draws a case was simulated with and drive a real case with them.

For one visit of one step, per case: the working days of its first work (``work``), whether
it asks for a correction (``corrected``), the applicant's answer (``reply``, at least one
working day) and the days after it (``after``), whether it starts a special procedure
(``special``) and its working days (``special_days``, at least one), and what the department
decides (``choice``: approve, refuse, one of its own outcomes or a send-back, by number). A
green-channel case's department days are ``green_factor`` times the usual before rounding.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from onething.language.model import Step, Workflow
from onething.language.time_check import OFFICE_DAY_HOURS
from onething.simulate.distributions import Distribution, Fixed, whole_days
from onething.simulate.durations import Durations, StepDurations, step_days

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Days = npt.NDArray[np.int64]
    Flags = npt.NDArray[np.bool_]

#: the choice of a department that approves (the others: REFUSE, then the step's outcomes,
#: then its send-back targets, in their order)
APPROVE, REFUSE = 0, 1
#: the streams of the intake times (the forms' is 3: onething.simulate.simulation)
_INTAKE = 1


@attrs.frozen
class Visit:
    """One visit of one step, drawn for every case (arrays indexed by case)."""

    work: Days
    corrected: Flags
    reply: Days
    after: Days
    special: Flags
    special_days: Days
    choice: npt.NDArray[np.int8]


class Draws:
    """Every draw of a simulation of ``cases`` cases from ``seed`` (a chunk of a larger run:
    the seed and the chunk's key)."""

    def __init__(self, workflow: Workflow, steps: tuple[Step, ...], durations: Durations,
                 cases: int, seed: int | tuple[int, ...], green: Flags,
                 hours_per_day: Decimal = OFFICE_DAY_HOURS) -> None:
        self.workflow = workflow
        self.steps = steps
        self.durations = durations
        self.cases = cases
        #: what every stream's key starts with: the seed (and a chunk's number)
        self.seed = (seed,) if isinstance(seed, int) else seed
        self.green = green
        self.hours = hours_per_day
        self._visits: dict[tuple[int, int], Visit] = {}
        self.days: list[Distribution] = [step_days(workflow, s, durations, hours_per_day)
                                         for s in steps]

    def rng(self, *key: int) -> np.random.Generator:
        """The stream of one kind of draw: ``key`` after the seed."""
        import numpy as np

        return np.random.default_rng([*self.seed, *key])

    def intake(self) -> Days:
        """Each case's working days from submission to acceptance."""
        rng = self.rng(_INTAKE)
        return whole_days(rng, self.durations.intake_days.sample(rng, self.cases))

    def visit(self, step: int, number: int) -> Visit:
        """The draws of visit ``number`` (from 0) of step ``step`` (its index)."""
        key = (step, number)
        found = self._visits.get(key)
        if found is None:
            found = self._visits[key] = self._draw(step, number)
        return found

    def _draw(self, step: int, number: int) -> Visit:
        import numpy as np

        n = self.cases
        rng = self.rng(10 + step, number)
        spec: StepDurations = self.durations.step(self.steps[step])
        factor = np.where(self.green, self.durations.green_factor, 1.0)
        work = whole_days(rng, self.days[step].sample(rng, n) * factor)
        correction = spec.correction
        corrected = rng.random(n) < (correction.probability if correction else 0.0)
        reply_days = correction.reply if correction else Fixed(1.0)
        reply = np.maximum(whole_days(rng, reply_days.sample(rng, n)), 1)
        after_days = correction.after if correction and correction.after else self.days[step]
        after = whole_days(rng, after_days.sample(rng, n) * factor)
        special_spec = spec.special
        special = rng.random(n) < (special_spec.probability if special_spec else 0.0)
        special_days = np.maximum(whole_days(rng, (special_spec.days if special_spec
                                                   else Fixed(1.0)).sample(rng, n)), 1)
        shares = [spec.refusal, *(p for _, p in spec.outcomes), *(p for _, p in spec.send_back)]
        edges = np.cumsum(shares)
        picked = rng.random(n)
        choice = np.where(picked < edges[-1] if len(edges) else False,
                          np.searchsorted(edges, picked, side="right") + 1, APPROVE)
        return Visit(work, corrected, reply, after, special, special_days,
                     choice.astype(np.int8))


__all__ = ["APPROVE", "REFUSE", "Draws", "Visit"]
