"""The distributions a durations file gives a step's working days (and a numeric form field's
values): fixed, uniform, triangular, lognormal (by its median and 90th percentile) and
empirical (observed values with their counts). Each draws an array of floats with numpy.

Working days are whole days on the case clock, so a drawn duration is rounded *stochastically*
(:func:`whole_days`): 2.4 WD is 2 days 60% of the time and 3 days 40%, which keeps the mean,
and a whole number stays itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import attrs

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: the standard normal's 90th percentile: a lognormal's sigma is ln(p90 / median) / this
Z90 = 1.2815515655446004
#: the kinds of distribution, as a durations file names them
KINDS = ("fixed", "uniform", "triangular", "lognormal", "empirical")


class Distribution(Protocol):
    """Draws values (working days, or a number of a form field)."""

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` values drawn with ``rng``."""
        ...

    @property
    def mean(self) -> float:
        """The distribution's mean."""
        ...

    def describe(self) -> str:
        """The distribution as a durations file writes it (``triangular 3/6/10``)."""
        ...

    def scaled(self, factor: float) -> Distribution:
        """The distribution of ``factor`` times a value of this one."""
        ...


@attrs.frozen
class Fixed:
    """Always ``value``."""

    value: float

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` copies of the value."""
        import numpy as np

        return np.full(n, self.value, dtype=np.float64)

    @property
    def mean(self) -> float:
        """The value."""
        return self.value

    def describe(self) -> str:
        """``fixed 3``."""
        return f"fixed {_num(self.value)}"

    def scaled(self, factor: float) -> Fixed:
        """``factor`` times the value."""
        return Fixed(self.value * factor)


@attrs.frozen
class Uniform:
    """Every value from ``low`` to ``high`` equally likely."""

    low: float
    high: float

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` uniform draws."""
        return rng.uniform(self.low, self.high, n)

    @property
    def mean(self) -> float:
        """The midpoint."""
        return (self.low + self.high) / 2

    def describe(self) -> str:
        """``uniform 1..5``."""
        return f"uniform {_num(self.low)}..{_num(self.high)}"

    def scaled(self, factor: float) -> Uniform:
        """The bounds times ``factor``."""
        return Uniform(self.low * factor, self.high * factor)


@attrs.frozen
class Triangular:
    """Between ``low`` and ``high``, most often ``mode``."""

    low: float
    mode: float
    high: float

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` triangular draws (a degenerate triangle is its one value)."""
        import numpy as np

        if self.high <= self.low:
            return np.full(n, self.low, dtype=np.float64)
        return rng.triangular(self.low, self.mode, self.high, n)

    @property
    def mean(self) -> float:
        """(low + mode + high) / 3."""
        return (self.low + self.mode + self.high) / 3

    def describe(self) -> str:
        """``triangular 3/6/10`` (min/mode/max)."""
        return f"triangular {_num(self.low)}/{_num(self.mode)}/{_num(self.high)}"

    def scaled(self, factor: float) -> Triangular:
        """Every point times ``factor``."""
        return Triangular(self.low * factor, self.mode * factor, self.high * factor)


@attrs.frozen
class LogNormal:
    """A right-skewed duration given by its median and its 90th percentile (``p90``)."""

    median: float
    p90: float

    @property
    def sigma(self) -> float:
        """The underlying normal's standard deviation."""
        return math.log(self.p90 / self.median) / Z90

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` lognormal draws."""
        return rng.lognormal(math.log(self.median), self.sigma, n)

    @property
    def mean(self) -> float:
        """median * exp(sigma^2 / 2)."""
        return self.median * math.exp(self.sigma ** 2 / 2)

    def describe(self) -> str:
        """``lognormal median 5, p90 12``."""
        return f"lognormal median {_num(self.median)}, p90 {_num(self.p90)}"

    def scaled(self, factor: float) -> LogNormal:
        """Median and p90 times ``factor``."""
        return LogNormal(self.median * factor, self.p90 * factor)


@attrs.frozen
class Empirical:
    """Observed values with how often each was seen (``{3: 10, 4: 25}``): what a store's
    history gives."""

    counts: tuple[tuple[float, float], ...]

    @classmethod
    def of(cls, counts: Mapping[int, int] | Mapping[float, float]) -> Empirical:
        """From a mapping value -> count (values in order)."""
        return cls(tuple(sorted((float(k), float(v)) for k, v in counts.items())))

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` values, each as often as its count says."""
        import numpy as np

        values = np.array([v for v, _ in self.counts], dtype=np.float64)
        weights = np.array([w for _, w in self.counts], dtype=np.float64)
        return values[rng.choice(len(values), n, p=weights / weights.sum())]

    @property
    def mean(self) -> float:
        """The weighted mean."""
        total = sum(w for _, w in self.counts)
        return sum(v * w for v, w in self.counts) / total

    def describe(self) -> str:
        """``empirical over 3..9 (120 observations)``."""
        low, high = self.counts[0][0], self.counts[-1][0]
        seen = sum(w for _, w in self.counts)
        return f"empirical over {_num(low)}..{_num(high)} ({_num(seen)} observations)"

    def scaled(self, factor: float) -> Empirical:
        """Every value times ``factor``."""
        return Empirical(tuple((v * factor, w) for v, w in self.counts))


def default_for(limit: float) -> Triangular:
    """What a step without an entry takes: its committed limit as a triangle 0.3, 0.6 and 1.0
    times the limit (docs/simulation.md)."""
    return Triangular(0.3 * limit, 0.6 * limit, limit)


def whole_days(rng: np.random.Generator,
               values: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Drawn working days as whole days, rounded stochastically (the mean is kept; a whole
    number stays itself); never below 0."""
    import numpy as np

    clipped = np.maximum(values, 0.0)
    return np.floor(clipped + rng.random(len(values))).astype(np.int64)


def _num(value: float) -> str:
    return f"{value:g}"


__all__ = ["KINDS", "Z90", "Distribution", "Empirical", "Fixed", "LogNormal", "Triangular",
           "Uniform", "default_for", "whole_days"]
