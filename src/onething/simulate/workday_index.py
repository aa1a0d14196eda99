"""The working days of the real calendar from a start date, numbered: day 0 is the first
working day on or after the start, and a case's working-day ordinal maps to its date by one
array lookup (adding N working days is adding N). Built once per calendar and start from
:class:`~onething.workdays.WorkCalendar` (its lenient twin: a year without official holiday
data is projected, and the index says which dates rest on a projection).
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import TYPE_CHECKING

from onething.errors import InvalidArgument

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from onething.workdays import WorkCalendar

#: the longest span the index reaches (about forty years of working days)
MAX_DAYS = 10_000


class WorkdayIndex:
    """Working days from ``start`` on ``calendar``, numbered from 0."""

    def __init__(self, calendar: WorkCalendar, start: dt.date) -> None:
        self.calendar = calendar.lenient()
        self.start = start
        self._dates: list[dt.date] = []
        self._provisional: list[bool] = []
        self._next = start

    def _extend(self, count: int) -> None:
        if count > MAX_DAYS:
            raise InvalidArgument(f"the simulation reaches {count:,} working days from "
                                  f"{self.start}: more than the {MAX_DAYS:,} it counts",
                                  "fewer cases, more arrivals per day, or shorter durations")
        day = self._next
        while len(self._dates) < count:
            info = self.calendar.day_kind(day)
            if info.working:
                self._dates.append(day)
                self._provisional.append(info.provisional)
            day += dt.timedelta(days=1)
        self._next = day

    def date(self, ordinal: int) -> dt.date:
        """The date of working day ``ordinal``."""
        self._extend(ordinal + 1)
        return self._dates[ordinal]

    def dates(self, ordinals: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
        """The dates of many working days at once (numpy ``datetime64[D]``)."""
        import numpy as np

        if not len(ordinals):
            return np.array([], dtype="datetime64[D]")
        self._extend(int(ordinals.max()) + 1)
        table = np.array(self._dates, dtype="datetime64[D]")
        return table[ordinals]

    def provisional(self, ordinals: npt.NDArray[np.int64]) -> bool:
        """Whether any of these working days rests on a projected year."""
        import numpy as np

        if not len(ordinals):
            return False
        self._extend(int(ordinals.max()) + 1)
        return bool(np.array(self._provisional, dtype=bool)[np.unique(ordinals)].any())

    def ordinal(self, day: dt.date) -> int:
        """The ordinal of working day ``day`` (a day off: the next working day's)."""
        if day < self.start:
            raise InvalidArgument(f"{day} is before the index's start {self.start}")
        while not self._dates or self._dates[-1] < day:
            self._extend(len(self._dates) + 64)
        return bisect.bisect_left(self._dates, day)


__all__ = ["MAX_DAYS", "WorkdayIndex"]
