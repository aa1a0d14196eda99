"""Every store counts the work in warning or overdue per department (``alert_counts``, what
the telemetry gauges read) as its alerts list shows it and as the case records say — in one
query over the alerts' index (tests/stores/test_query_plans.py checks the plan)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from tests.support.alerting import alerts_by_hand, busy_hall, twins
from tests.support.factories import START

from onething.engine.engine import Engine
from onething.stores.base import Store
from onething.workdays import FixedClock

#: from the first submission to well past every limit, every six hours
MOMENTS = [START + timedelta(hours=6 * n) for n in range(0, 4 * 24, 5)]


def listed(store: Store, now: object) -> dict[tuple[str, str], int]:
    """The count the alerts list gives: a case once per department, overdue first."""
    worst: dict[tuple[str, str], str] = {}
    for item in store.alerts(now, limit=10_000):  # type: ignore[arg-type]
        status = item.status(now)  # type: ignore[arg-type]
        if worst.get((item.department, item.case_id)) != "overdue":
            worst[item.department, item.case_id] = status
    return dict(Counter((d, s) for (d, _), s in worst.items()))


def test_alert_counts_agree_with_the_alerts_list_and_the_case_records(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    busy_hall(engine, clock, [1, 2, 3, 4, 0, 5, 1, 2, 3, 1, 4, 2])
    twins(engine, clock, 3)
    seen = set()
    for now in MOMENTS:
        counts = any_store.alert_counts(now)
        assert counts == listed(any_store, now) == alerts_by_hand(engine, now), now
        assert all(n > 0 for n in counts.values())
        seen |= {status for _, status in counts}
    assert seen == {"warning", "overdue"}  # the moments cover both
    # and a case with one step of a department overdue and another in warning
    assert any(len({i.status(now) for i in any_store.alerts(now) if i.department == "dept"
                    and i.case_id == case_id}) == 2
               for now in MOMENTS for case_id in any_store.case_ids())


def test_no_alerts_in_an_empty_store_or_before_any_warning(any_store: Store) -> None:
    assert any_store.alert_counts(START) == {}
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    busy_hall(engine, clock, [0, 4, 5])  # awaiting intake, paused, delivered: never alerting
    assert any_store.alert_counts(START + timedelta(days=60)) == {}
