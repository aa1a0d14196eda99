"""Where the engine reads the time: the system clock, or a fixed clock for tests and demos; the
calendar's zone."""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from onething.errors import CalendarError

SHANGHAI = ZoneInfo("Asia/Shanghai")
"""The time zone every deadline is expressed in."""


_UTC = dt.UTC


@runtime_checkable
class Clock(Protocol):
    """Source of the current instant; inject one wherever "now" matters."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The wall clock, in Asia/Shanghai. The only place this module reads real time."""

    def now(self) -> dt.datetime:
        """The current instant in Asia/Shanghai."""
        return dt.datetime.now(SHANGHAI)


class FixedClock:
    """A clock that stands still until told to move; for tests and replays."""

    def __init__(self, at: dt.datetime) -> None:
        self._at = _require_aware(at, "FixedClock")

    def now(self) -> dt.datetime:
        """The instant the clock is set to."""
        return self._at

    def set(self, at: dt.datetime) -> None:
        """Move the clock to ``at`` (timezone-aware)."""
        self._at = _require_aware(at, "FixedClock.set")

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self._at = self._at + delta

    def __repr__(self) -> str:
        return f"FixedClock({self._at.isoformat()})"


def _require_aware(at: dt.datetime, what: str) -> dt.datetime:
    if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise CalendarError(f"{what} needs a timezone-aware datetime, got {at!r}")
    return at


def local_text(moment: dt.datetime) -> str:
    """``moment`` as people at the hall read it: Shanghai time with its zone
    (``2026-10-08 12:00 +0800``)."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M %z")
