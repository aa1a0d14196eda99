"""The statistics kept in SQL against brute force (issue 19 item 1): a varied hall of cases —
corrections, refusals at intake and in a parallel block, cases left open or deemed accepted,
deliveries on time and late, ratings and rectifications — counted change by change on each of
the three stores, then every figure of the report compared with what reading every case gives;
and the counts made again from the cases (``recount``) equal to the counts the changes made."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.cases.records import applicant
from onething.cases.statistics import Distribution, quantile
from onething.engine.engine import Engine
from onething.errors import InvalidArgument
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.workdays import FixedClock
from tests.support.factories import START, sample_materials
from tests.support.stats_oracle import FORM, STARTUP, brute, hall, nearest_rank


def test_every_figure_equals_brute_force_over_all_cases(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    hall(engine, clock, seed=19, cases=45)
    expected = brute(engine)
    report = engine.statistics(period="day")
    total = report.total
    assert total.received == sum(expected["received"].values()) >= 45
    assert {d: f.received for d, f in report.periods.items() if f.received} == \
        dict(expected["received"])
    assert {d: f.accepted for d, f in report.periods.items() if f.accepted} == \
        dict(expected["accepted"])
    assert total.deemed == expected["deemed"] > 0
    assert total.green == expected["green"]
    assert total.delivered == dict(expected["delivered"])
    assert {d: sum(f.delivered.values()) for d, f in report.periods.items()
            if f.delivered} == dict(expected["delivered_days"])
    for name in ("handled", "on_time", "late", "early", "first_time", "instant"):
        assert getattr(total, name) == expected[name], name
    assert total.late > 0 and total.on_time > 0 and total.first_time < total.handled
    assert total.lead.histogram == dict(expected["lead"])
    lead = [d for d, n in expected["lead"].items() for _ in range(n)]
    assert (total.lead.median, total.lead.p90, total.lead.p99) == tuple(
        nearest_rank(lead, q) for q in (0.5, 0.9, 0.99))
    assert total.lead.mean == pytest.approx(sum(lead) / len(lead))
    assert {s.step: s.corrections for s in report.steps if s.corrections} == \
        dict(expected["corrections"])
    assert {(s.workflow, s.step): dict(s.time.histogram) for s in report.steps if s.ended} == \
        {k: dict(v) for k, v in expected["steps"].items()}
    assert {(s.step, state): n for s in report.steps for state, n in
            (("met", s.met), ("late", s.late)) if n} == \
        {k: v for k, v in expected["step_states"].items() if k[1] in ("met", "late")}
    assert {d: f.received for d, f in report.departments.items() if f.received} == \
        dict(expected["departments"])
    assert total.delivered.get("withdrawal", 0) > 0  # withdrawn after acceptance: no rate
    assert {k: v for k, v in report.ratings.levels.items() if v} == dict(expected["ratings"])
    assert (report.ratings.rectified_on_time, report.ratings.rectified_late) == (
        expected["rectified"]["met"], expected["rectified"]["late"])
    # the same counts made again from the cases and their status events
    before = sorted(any_store.counted("day"))
    assert engine.recount() == len(any_store.case_ids())
    assert sorted(any_store.counted("day")) == before


def test_a_scope_counts_only_its_days_workflow_and_department(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    hall(engine, clock, seed=7, cases=20)
    every = engine.statistics(period="day")
    days = sorted(d for d, f in every.periods.items() if f.received)
    middle = days[len(days) // 2]
    early = engine.statistics(period="day", until=middle)
    late = engine.statistics(period="day", since=date.fromisoformat(middle) + timedelta(1))
    assert early.total.received + late.total.received == every.total.received
    assert max(early.periods) <= middle < min(late.periods)
    one = engine.statistics(workflow="enterprise-startup", period="all")
    assert one.total.received == every.workflows["enterprise-startup"].received == 20
    assert sum(f.received for f in every.workflows.values()) == every.total.received
    assert one.ratings.rectified_rate is None  # not known for one workflow (docstring)
    tax = engine.statistics(department="tax", period="all")
    assert {s.department for s in tax.steps} == {"tax"} and tax.total.received == 0
    weekly = engine.statistics(period="week")
    assert all(date.fromisoformat(w).weekday() == 0 for w in weekly.periods)
    assert sum(f.received for f in weekly.periods.values()) == every.total.received
    assert engine.statistics(period="month").total == engine.statistics(period="year").total


@pytest.mark.parametrize("kwargs", [
    {"period": "fortnight"}, {"since": "2026-13-01"}, {"since": date(2026, 5, 2),
                                                        "until": date(2026, 5, 1)},
    {"workflow": ""}, {"department": 7}, {"until": 20260501}])
def test_bad_arguments_are_refused_with_a_clear_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        Engine(MemoryStore()).statistics(**kwargs)  # type: ignore[arg-type]


def test_an_empty_store_reports_no_rates_rather_than_zero() -> None:
    report = Engine(MemoryStore()).statistics()
    assert report.total.on_time_rate is None and report.total.lead.median is None
    assert report.ratings.rectified_rate is None and report.to_json()["steps"] == []


@given(st.dictionaries(st.integers(0, 400), st.integers(1, 50), min_size=1),
       st.floats(0.0, 1.0))
def test_quantiles_from_counts_are_the_nearest_rank_of_the_values(
        histogram: dict[int, int], share: float) -> None:
    values = [d for d, n in histogram.items() for _ in range(n)]
    assert quantile(histogram, share) == nearest_rank(values, share)
    spread = Distribution(histogram)
    assert spread.median is not None and min(values) <= spread.median <= max(values)
    assert spread.p90 is not None and spread.p99 is not None
    assert spread.median <= spread.p90 <= spread.p99


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(1, 12))
def test_counts_kept_change_by_change_equal_a_recount(seed: int, cases: int) -> None:
    store = MemoryStore()
    clock = FixedClock(START)
    engine = Engine(store, clock=clock)
    hall(engine, clock, seed=seed, cases=cases)
    kept = Counter({row[:8]: row[8] for row in store.counted("day")})
    engine.recount()
    assert Counter({row[:8]: row[8] for row in store.counted("day")}) == kept
    assert engine.statistics().workflows["enterprise-startup"].received == cases


def test_nothing_personal_is_counted_or_reported(any_store: Store) -> None:
    import json

    from tests.support.stats_oracle import FORM

    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    hall(engine, clock, seed=2, cases=8)
    text = json.dumps([any_store.counted("day"), engine.statistics().to_json()],
                      ensure_ascii=False)
    pseudonyms = {engine.case(c).applicant for c in any_store.case_ids()} - {""}
    assert pseudonyms and not any(p in text for p in pseudonyms)
    for value in (FORM["legal_person_id"], FORM["legal_person_phone"], FORM["company_name"],
                  FORM["legal_person_name"], FORM["business_address"]):
        assert str(value) not in text


def test_a_calendar_refresh_counts_the_working_days_again() -> None:
    from onething.workdays import WorkCalendar
    from onething.workdays.overrides import CalendarOverrides

    clock = FixedClock(START)
    store = MemoryStore()
    engine = Engine(store, clock=clock)
    hall(engine, clock, seed=19, cases=45)  # into 2027: no official data yet, projected
    before = sorted(store.counted("day"))
    table = CalendarOverrides.from_yaml(
        "official_years: [2027]\n"
        "days_off: [2027-01-01, {from: 2027-01-18, to: 2027-01-29, reason: 假设的长假}]\n",
        source="notice-2027.yaml")
    engine.refresh_calendar(WorkCalendar(table))
    after = sorted(store.counted("day"))
    assert after != before  # ended clocks across those days lost working days
    expected = brute(engine)  # read on the new calendar
    report = engine.statistics(period="day")
    assert report.total.lead.histogram == dict(expected["lead"])
    assert {(s.workflow, s.step): dict(s.time.histogram) for s in report.steps if s.ended} == \
        {k: dict(v) for k, v in expected["steps"].items()}
    assert (report.total.on_time, report.total.late) == (expected["on_time"], expected["late"])


def test_changes_append_their_counts_and_a_merge_sums_them_per_key(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    hall(engine, clock, seed=4, cases=10)
    engine.submit("enterprise-startup", FORM, sample_materials(STARTUP), actor=applicant())
    appended = sorted(any_store.counted("day"))
    while any_store.merge_counts(limit=7):  # a bounded share at a time
        pass
    assert sorted(any_store.counted("day")) == appended  # the same sums, merged or not
    if not isinstance(any_store, MemoryStore):
        keys = any_store._fetch(  # type: ignore[attr-defined]
            "SELECT count(*), count(DISTINCT measure || workflow || department || step || day "
            "|| kind || days || '/' || flags), sum(merged) FROM stats_counts", [])[0]
        assert keys[0] == keys[1] == keys[2]  # one merged row per key, nothing left unmerged


def test_a_report_writes_nothing(tmp_path: Path) -> None:
    """A report reads: it neither merges nor waits for a writer (a batch holding SQLite's
    write lock)."""
    import sqlite3

    from onething.stores.sqlite import SqliteStore

    clock = FixedClock(START)
    store = SqliteStore(tmp_path / "hall.sqlite3")
    engine = Engine(store, clock=clock)
    hall(engine, clock, seed=4, cases=6)
    engine.submit("enterprise-startup", FORM, sample_materials(STARTUP), actor=applicant())
    reader = Engine(SqliteStore(tmp_path / "hall.sqlite3"), clock=clock)
    writer = sqlite3.connect(tmp_path / "hall.sqlite3", timeout=0.1)
    writer.execute("BEGIN IMMEDIATE")  # another process's long batch
    try:
        assert reader.statistics(period="all").workflows["enterprise-startup"].received == 7
    finally:
        writer.rollback()
