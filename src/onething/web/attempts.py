"""The attempt limit of the applicant's progress lookup: failures are counted per case number
and per client address over a sliding window, and past the limit the lookup is refused (429)
until the window has passed — so a lookup code (50 bits) cannot be guessed by trying.

Counts are kept in the server process: behind a load balancer with N processes a client gets
at most N times the limit, still about 2**50 / (N * 20 * 96) days of trying per case."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: failed lookups allowed per case number, and per client address, in a window
PER_CASE, PER_CLIENT = 5, 20
#: the window, in seconds
WINDOW = 15 * 60
#: the most keys remembered (the oldest forgotten first), so the counts cannot grow unbounded
MAX_KEYS = 100_000


class Attempts:
    """Failures per key (a case number, a client address) within the last :data:`WINDOW`
    seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.get(key)
        if found is None:
            return deque()
        while found and found[0] <= now - WINDOW:
            found.popleft()
        if not found:
            del self._failures[key]
        return found

    def wait(self, keys: dict[str, int]) -> int:
        """Seconds until a key over its limit (key -> limit) may try again; 0 when none is."""
        now = self._clock()
        longest = 0
        with self._lock:
            for key, limit in keys.items():
                found = self._recent(key, now)
                if len(found) >= limit:
                    longest = max(longest, int(found[len(found) - limit] + WINDOW - now) + 1)
        return longest

    def failed(self, *keys: str) -> None:
        """Count a failure against each key."""
        now = self._clock()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)
            while len(self._failures) > MAX_KEYS:
                del self._failures[next(iter(self._failures))]
