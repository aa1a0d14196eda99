"""A recount (after an upgrade, after a calendar refresh) counts every case exactly once, even
while the hall works: reports asking at once on a stale database recount once, and the changes
committed while a recount reads are neither lost nor counted twice (review findings: two
concurrent recounts doubled the counts on PostgreSQL; submissions made during one were lost on
SQLite)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from onething.cases.records import applicant
from onething.engine.engine import Engine
from onething.stores.base import Store
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock
from tests.support.factories import START, sample_materials
from tests.support.stats_oracle import FORM, STARTUP, hall


def stale(store: Store) -> None:
    """Mark the counts stale as the schema-5 upgrade does."""
    with store._status_tx() as (run, _):  # type: ignore[attr-defined]
        run("INSERT INTO meta (key, value) VALUES ('stats_counts', 'stale')", ())


def kept(store: Store) -> Counter[tuple[object, ...]]:
    return Counter({row[:8]: row[8] for row in store.counted("day")})


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Store, Store, Store]:
    """Three stores on one database: what three processes of a hall would hold."""
    if request.param == "sqlite":
        path = tmp_path / "hall.sqlite3"
        return SqliteStore(path), SqliteStore(path), SqliteStore(path)
    from onething.stores.postgres import PostgresStore

    url = request.getfixturevalue("pg_database")
    return PostgresStore(url), PostgresStore(url), PostgresStore(url)


def test_reports_asking_at_once_on_a_stale_database_recount_once(
        database: tuple[Store, Store, Store]) -> None:
    first, second, third = database
    clock = FixedClock(START)
    engine = Engine(first, clock=clock)
    hall(engine, clock, seed=8, cases=25)
    before = kept(first)
    stale(first)
    readers = [Engine(store, clock=clock) for store in (second, third)]
    answers: list[int] = []
    threads = [threading.Thread(target=lambda e=e: answers.append(
        e.statistics(period="all").total.received)) for e in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [sum(before[k] for k in before if k[0] == "received")] * 2
    assert kept(first) == before and not first.counts_stale()


def test_changes_made_while_a_recount_reads_are_counted_once(
        database: tuple[Store, Store, Store]) -> None:
    first, second, _ = database
    clock = FixedClock(START)
    engine = Engine(first, clock=clock)
    hall(engine, clock, seed=9, cases=20)
    window = Engine(second, clock=clock)
    done = threading.Event()

    def submitting() -> None:
        while not done.is_set():
            window.submit(STARTUP.id, FORM, sample_materials(STARTUP), actor=applicant())

    worker = threading.Thread(target=submitting)
    worker.start()
    try:
        for _ in range(3):
            engine.recount()
    finally:
        done.set()
        worker.join(60)
    during = kept(first)
    engine.recount()  # with nothing running: every case once
    assert during == kept(first)
