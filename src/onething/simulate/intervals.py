"""Sets of pauses, one per simulated case, as numpy arrays: ``starts`` and ``ends`` of shape
(cases, k), in working-day ordinals.

A pause runs from the day it starts (a department's act, or a timer at the end of the day) to
the day it ends (an applicant's answer or a special procedure's end, which come first in their
day), so it is non-empty exactly when ``start < end``, and — as the engine counts a clock's
pauses (``onething.cases.clocks``) — it removes every working day from its first to its last,
both included. The empty pause is ``(EMPTY, -EMPTY)``; an open-ended one ends at ``OPEN``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Days = npt.NDArray[np.int64]

#: the start of an empty pause (and minus its end)
EMPTY = 1 << 40
#: the end of a pause that lasts until whatever comes (a branch that has finished)
OPEN = 1 << 39


@attrs.frozen
class Pauses:
    """One set of pauses per case (rows), as columns of starts and ends."""

    starts: Days
    ends: Days

    @classmethod
    def none(cls, cases: int) -> Pauses:
        """No pause for any of ``cases`` cases."""
        import numpy as np

        return cls(np.empty((cases, 0), dtype=np.int64), np.empty((cases, 0), dtype=np.int64))

    @classmethod
    def one(cls, starts: Days, ends: Days, where: npt.NDArray[np.bool_]) -> Pauses:
        """One pause ``starts[i]..ends[i]`` for the cases ``where`` holds, none elsewhere."""
        import numpy as np

        return cls(np.where(where, starts, EMPTY)[:, None],
                   np.where(where, ends, -EMPTY)[:, None])

    @property
    def cases(self) -> int:
        """How many cases (rows)."""
        return int(self.starts.shape[0])

    def __or__(self, other: Pauses) -> Pauses:
        """Both sets of pauses, case by case."""
        import numpy as np

        return Pauses(np.hstack([self.starts, other.starts]),
                      np.hstack([self.ends, other.ends])).compact()

    def __and__(self, other: Pauses) -> Pauses:
        """The moments in a pause of both, case by case (every pair of pauses overlapped)."""
        import numpy as np

        if not self.starts.shape[1] or not other.starts.shape[1]:
            return Pauses.none(self.cases)
        starts = np.maximum(self.starts[:, :, None], other.starts[:, None, :])
        ends = np.minimum(self.ends[:, :, None], other.ends[:, None, :])
        rows = self.cases
        return Pauses(starts.reshape(rows, -1), ends.reshape(rows, -1)).compact()

    def take(self, rows: npt.NDArray[np.intp]) -> Pauses:
        """The pauses of the cases ``rows``."""
        return Pauses(self.starts[rows], self.ends[rows])

    def starting_before(self, days: Days) -> Pauses:
        """Only the pauses that start before ``days`` (one day per case)."""
        import numpy as np

        keep = self.starts < days[:, None]
        return Pauses(np.where(keep, self.starts, EMPTY),
                      np.where(keep, self.ends, -EMPTY)).compact()

    def compact(self) -> Pauses:
        """The same pauses with the empty ones dropped and as few columns as the busiest
        case needs."""
        import numpy as np

        full = self.starts < self.ends
        width = int(full.sum(axis=1).max()) if full.size else 0
        if width == self.starts.shape[1]:
            return self
        order = np.argsort(~full, axis=1, kind="stable")[:, :width]
        starts = np.take_along_axis(self.starts, order, axis=1)
        ends = np.take_along_axis(self.ends, order, axis=1)
        kept = np.take_along_axis(full, order, axis=1)
        return Pauses(np.where(kept, starts, EMPTY), np.where(kept, ends, -EMPTY))

    def days_within(self, after: Days, until: Days) -> Days:
        """Per case, the working days ``d`` with ``after < d <= until`` inside one of its
        pauses or more (each day once) — pauses that start on ``until`` or later left out:
        what decides a case on a day comes before anything else of that day."""
        import numpy as np

        if not self.starts.shape[1]:
            return np.zeros(self.cases, dtype=np.int64)
        live = (self.starts < self.ends) & (self.starts < until[:, None])
        low = np.maximum(self.starts, after[:, None] + 1)
        high = np.minimum(self.ends, until[:, None])
        live &= low <= high
        low = np.where(live, low, EMPTY)
        high = np.where(live, high, -EMPTY)
        order = np.argsort(low, axis=1)
        low = np.take_along_axis(low, order, axis=1)
        high = np.take_along_axis(high, order, axis=1)
        reach = np.maximum.accumulate(high, axis=1)
        before = np.hstack([np.full((self.cases, 1), -EMPTY, dtype=np.int64), reach[:, :-1]])
        counted = np.maximum(high - np.maximum(low, before + 1) + 1, 0)
        return np.asarray(np.where(low < EMPTY, counted, 0).sum(axis=1), dtype=np.int64)


__all__ = ["EMPTY", "OPEN", "Pauses"]
