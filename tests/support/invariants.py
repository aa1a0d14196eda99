"""Invariants the kill and load tests check on a whole database after the storm."""

from __future__ import annotations

from onething.stores.base import Store


def follow_ups_open_once(store: Store) -> None:
    """Every rectification case hangs on exactly one rating of its case, and each rated case
    opened exactly one (never an orphan, never two)."""
    cases = {c: store.load(c) for c in store.case_ids()}
    opened = [c for c in cases.values() if c.workflow_id == "rectification"]
    for follow_up in opened:
        origin = cases[follow_up.origin]
        ratings = [e for e in store.history(origin.id)
                   if e.action == "evaluated"]
        assert [e.data["follow_up"] for e in ratings] == [follow_up.id]
        assert origin.follow_ups == (follow_up.id,)
    rated = [c for c in cases.values() if c.rating is not None]
    assert len(rated) == len(opened)
