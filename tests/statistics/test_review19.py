"""Regressions from the review of the statistics (issue 19), each failing before its fix."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from onething.cases import tallies as t
from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import InvalidArgument
from onething.language.load import parse
from onething.stores.memory import MemoryStore
from onething.workdays import SHANGHAI, FixedClock
from tests.support.factories import START, sample_materials
from tests.support.stats_oracle import FORM, OFFICE, PARALLEL, STARTUP


def counts(store: MemoryStore) -> Counter[tuple[object, ...]]:
    return Counter({row[:8]: row[8] for row in store.counted("day")})


def delivered(engine: Engine, clock: FixedClock, middle: object = None) -> str:
    desk, reg = window(STARTUP.lead, "w1"), officer("market_regulation", "r1")
    case = engine.submit(STARTUP.id, FORM, sample_materials(STARTUP), actor=applicant())
    engine.accept(case.id, desk)
    if callable(middle):
        middle(case.id)
    engine.act(case.id, "registration", "approve", reg)
    for step, department in PARALLEL:
        engine.act(case.id, step, "approve", officer(department, "o1"))
    engine.deliver(case.id, desk, "mail")
    return case.id


def flags_of(store: MemoryStore) -> int:
    [key] = [k for k in counts(store) if k[0] == t.DELIVERED]
    return int(key[7])  # type: ignore[call-overload]


def test_instant_means_delivered_the_day_it_was_accepted() -> None:
    """即办 was 'no working day used': a case accepted on Friday and delivered on Saturday,
    or one whose correction took two days, counted as 即办."""
    friday = FixedClock(datetime(2026, 9, 11, 16, 0, tzinfo=SHANGHAI))
    store = MemoryStore()
    engine = Engine(store, clock=friday)
    engine.deploy(STARTUP)
    delivered(engine, friday, lambda _: friday.advance(timedelta(days=1)))
    assert not flags_of(store) & t.INSTANT
    same_day = FixedClock(datetime(2026, 9, 14, 10, 0, tzinfo=SHANGHAI))
    store = MemoryStore()
    engine = Engine(store, clock=same_day)
    engine.deploy(STARTUP)
    delivered(engine, same_day, lambda _: same_day.advance(timedelta(hours=3)))
    assert flags_of(store) & t.INSTANT


def test_a_withdrawal_after_acceptance_is_in_no_rate() -> None:
    store = MemoryStore()
    engine = Engine(store, clock=FixedClock(START))
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, FORM, sample_materials(STARTUP), actor=applicant())
    engine.accept(case.id, window(STARTUP.lead))
    engine.withdraw(case.id, applicant())
    total = engine.statistics().total
    assert total.delivered == {"withdrawal": 1}
    assert (total.handled, total.on_time, total.first_time, total.instant) == (0, 0, 0, 0)
    assert total.on_time_rate is None and total.lead.count == 0


def test_rectifications_are_counted_on_the_day_of_their_bad_rating() -> None:
    """The share rectified on time was rectifications delivered in the period over bad
    ratings given in it: two rectified in a period with one bad rating gave 200%."""
    clock = FixedClock(START)
    engine = Engine(MemoryStore(), clock=clock)
    engine.deploy(STARTUP)
    follow_ups = [engine.evaluate(delivered(engine, clock), 1, applicant()) for _ in range(2)]
    clock.advance(timedelta(days=10))
    for follow_up in follow_ups:
        engine.accept(follow_up.id, window(OFFICE))
        engine.act(follow_up.id, "verification", "approve", officer(OFFICE))
        engine.act(follow_up.id, "rectification", "approve", officer(OFFICE))
        engine.deliver(follow_up.id, window(OFFICE))
    engine.evaluate(delivered(engine, clock), 2, applicant())
    later = engine.statistics(since=clock.now().date() - timedelta(days=2)).ratings
    assert (later.bad, later.rectified_on_time, later.rectified_rate) == (1, 0, 0.0)
    first = engine.statistics(until=START.date()).ratings
    assert (first.bad, first.rectified_on_time, first.rectified_rate) == (2, 2, 1.0)
    assert engine.statistics(workflow="rectification").ratings.rectified_rate is None


def test_a_migrated_case_is_recounted_under_the_department_of_its_day() -> None:
    store = MemoryStore()
    engine = Engine(store, clock=FixedClock(START))
    engine.deploy(STARTUP)
    old = STARTUP.version
    text = STARTUP.text.replace(f"version: {old}", f"version: {old + 1}").replace(
        "lead: market_regulation", "lead: service_centre").replace(
        "departments:\n", "departments:\n  service_centre: 政务服务中心\n")
    engine.deploy(parse(text, "v2.yaml").unwrap())
    case = engine.submit(STARTUP.id, FORM, sample_materials(STARTUP), actor=applicant(),
                         version=old)
    engine.accept(case.id, window("market_regulation"))
    assert engine.migrate(STARTUP.id, old + 1).moved == (case.id,)
    kept = counts(store)
    engine.recount()
    assert counts(store) == kept
    assert {k[2] for k in kept} == {"market_regulation"}


@pytest.mark.parametrize("moment", [datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI),
                                    datetime(2026, 9, 30)])
def test_a_moment_is_not_taken_for_a_day(moment: datetime) -> None:
    with pytest.raises(InvalidArgument, match="a day, not a moment"):
        Engine(MemoryStore()).statistics(since=moment)
    assert Engine(MemoryStore()).statistics(since=date(2026, 9, 30)).total.received == 0
