"""Section 1's second table: what an action's bookkeeping costs, measured by leaving it out.

A side here is the engine of section 1 with some of what every action keeps for the people of
the hall left out while it is timed: the *listing* (the case's queue rows and the statistics'
tallies, ``onething.engine._unit.listing``) and the *status events* (``status_events``, with
the tallies they carry). What stays is the action's core: load, authorize, fire the machine,
clocks, the wake, the history line, commit. The leaving out is an instrument of this benchmark
only (the module names are swapped for the timed run, then put back); nothing ships without its
bookkeeping. It answers one question with figures of the same run: how far below the action's
core would a goal have to be met.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from onething.engine import _unit

#: what each side leaves out: (listing, status events)
LEFT_OUT = {
    "no listing": (True, False),
    "no status events": (False, True),
    "core": (True, True),
}


@contextlib.contextmanager
def left_out(listing: bool, status: bool) -> Iterator[None]:
    """The engine without its listing and/or its status events while the block runs."""
    kept = _unit.listing, _unit.status_events

    def no_listing(*_: Any, **__: Any) -> None:
        return None

    def no_status(*_: Any, **__: Any) -> list[Any]:
        return []

    if listing:
        _unit.listing = no_listing  # type: ignore[assignment]
    if status:
        _unit.status_events = no_status
    try:
        yield
    finally:
        _unit.listing, _unit.status_events = kept


def without(listing: bool, status: bool, run: Callable[[int], float]) -> Callable[[int], float]:
    """A side: ``run`` (a section 1 driver: its cases submitted, untimed, then driven, timed)
    with the listing and/or the status events left out while it runs."""
    def side(cases: int) -> float:
        with left_out(listing, status):
            return run(cases)
    return side
