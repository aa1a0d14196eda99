"""A SQLite batch writes each case row once (onething.stores._deferred_rows, decision 0031).

Inside ``engine.batch()`` the SQLite store holds the write lock, so a case's later commits in
the batch leave its row (state, listing, work items) to be written once, when the batch ends
or before anything reads the database. What the database holds afterwards, and what every
read inside the batch sees, must be what unbatched actions give.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.stores.test_batch import (
    DESK,
    PARALLEL,
    STARTUP,
    apply,
    engine_on,
    groups_of,
    submitted,
)
from tests.support.factories import START, TEST_KEYS

from onething.cases.notifications import Subscription
from onething.cases.records import officer
from onething.engine.engine import Engine
from onething.errors import Conflict, StoreCorrupt, StoreUnavailable
from onething.stores import _deferred_rows
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock

#: every table a case's actions write, read back whole (ids are the same in both runs)
TABLES = {
    "cases": "SELECT * FROM cases ORDER BY id",
    "work_items": "SELECT * FROM work_items ORDER BY case_id, step, department",
    "events": "SELECT * FROM events ORDER BY case_id, seq",
    "status_events": "SELECT * FROM status_events ORDER BY case_id, seq",
    # the counts' rows are summed: their order says nothing
    "stats_counts": "SELECT * FROM stats_counts ORDER BY measure, workflow, department, step, "
                    "day, week, kind, days, flags, n, merged",
    "notifications": "SELECT * FROM notifications ORDER BY id",
    "deliveries": "SELECT * FROM deliveries ORDER BY case_id",
    "outbox": "SELECT * FROM outbox ORDER BY id",
}


def tables(store: SqliteStore) -> dict[str, list[Any]]:
    return {name: store._fetch(sql, []) for name, sql in TABLES.items()}


def numbered(store: SqliteStore) -> Engine:
    """An engine whose cases are numbered c0, c1, ... (two runs make the same rows)."""
    counter = iter(range(10_000))
    engine = Engine(store, clock=FixedClock(START), pseudonyms=TEST_KEYS,
                    new_id=lambda: f"c{next(counter)}")
    engine.deploy(STARTUP)
    return engine


def look(engine: Engine, case_id: str) -> Any:
    """What reads of the database inside a batch see: the case's wake, its history, the
    queues and a search."""
    queues = {department: [(item.case_id, item.step) for item in
                           engine.queue(department, START).items]
              for department in ("market_regulation", "tax", "bank")}
    found = [(item.case_id, item.status, item.waiting) for item in
             engine.search(workflow=STARTUP.id, now=START).items]
    return (engine.store.wake(case_id), len(engine.history(case_id)), queues, found)


ACTIONS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(
    ["accept", "registration", *PARALLEL, "deliver", "withdraw", "look", "subscribe"]),
    st.booleans()), max_size=30)


@settings(max_examples=40, deadline=None)
@given(ACTIONS)
def test_a_batch_leaves_the_rows_unbatched_actions_leave(script: list) -> None:  # type: ignore[type-arg]
    runs = []
    for batched in (False, True):
        store = SqliteStore(":memory:")
        engine = numbered(store)
        ids = submitted(engine, 3)
        seen: list[Any] = []
        for group in groups_of(script):
            with engine.batch() if batched else contextlib.nullcontext():
                _apply(engine, ids, group, seen)
        runs.append((tables(store), seen))
        store.close()
    assert runs[0] == runs[1]


def _apply(engine: Engine, ids: list[str], group: list[tuple[int, str]],
           seen: list[Any]) -> None:
    """test_batch's actions, and reads of the database and subscriptions between them."""
    for which, action in group:
        if action == "look":
            seen.append(look(engine, ids[which]))
        elif action == "subscribe":  # the batch's later actions notify it too
            types = () if which == 0 else ("item_decided", "delivered")
            engine.store.subscribe(Subscription(f"hook{len(seen)}", types))
            seen.append(action)
        else:
            apply(engine, ids, [(which, action)])


def _case_updates(store: SqliteStore) -> list[str]:
    """The statements that update a case row, traced from now on."""
    traced: list[str] = []
    store._db.set_trace_callback(
        lambda sql: traced.append(sql) if sql.startswith("UPDATE cases") else None)
    return traced


def test_a_case_driven_through_a_batch_writes_its_row_twice(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "rows.sqlite3")
    engine = engine_on(store)
    case_id = submitted(engine, 1)[0]
    updates = _case_updates(store)
    with engine.batch():
        engine.accept(case_id, DESK)
        engine.act(case_id, "registration", "approve", officer("market_regulation"))
        for step, department in PARALLEL.items():
            engine.act(case_id, step, "approve", officer(department))
    # the first action's versioned update, and the last state when the batch ends
    assert len(updates) == 2
    updates.clear()
    engine.deliver(case_id, DESK)  # outside a batch: every commit writes its row
    assert len(updates) == 1
    assert engine.case(case_id).ended and store.load(case_id).ended


def test_a_stale_commit_inside_a_batch_is_a_conflict_and_writes_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "stale.sqlite3")
    engine = engine_on(store)
    case_id = submitted(engine, 1)[0]
    with engine.batch():
        engine.accept(case_id, DESK)
        held = store.load(case_id)
        engine.act(case_id, "registration", "approve", officer("market_regulation"))
        with pytest.raises(Conflict):  # the row waits: the version is checked in the batch
            store.commit(held.replace(version=held.version + 1), held.version, [], wake=None)
    assert [e.action for e in engine.history(case_id)] == ["submit", "accept", "approve"]
    assert store.load(case_id).version == 2


def test_a_held_row_failing_to_be_written_spoils_the_batch(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever asks for the held rows (a read inside the batch, or its end), the disk's
    error is the store's, and nothing of the batch reaches the file."""
    path = tmp_path / "spoiled.sqlite3"
    store = SqliteStore(path)
    engine = engine_on(store)
    case_id = submitted(engine, 1)[0]
    real = _deferred_rows.update_case

    def failing(db: sqlite3.Connection, *args: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(StoreUnavailable, match="half-way"), engine.batch():
        engine.accept(case_id, DESK)
        engine.act(case_id, "registration", "approve", officer("market_regulation"))
        monkeypatch.setattr(_deferred_rows, "update_case", failing)
        with pytest.raises(StoreUnavailable, match="is full"):
            store.latest_version(STARTUP.id)  # a read: the held row is written first
    monkeypatch.setattr(_deferred_rows, "update_case", real)
    with pytest.raises(StoreUnavailable, match="is full"), engine.batch():
        engine.accept(case_id, DESK)
        engine.act(case_id, "registration", "approve", officer("market_regulation"))
        monkeypatch.setattr(_deferred_rows, "update_case", failing)  # when the batch ends
    monkeypatch.setattr(_deferred_rows, "update_case", real)
    other = SqliteStore(path)  # nothing of either batch reached the file
    assert other.load(case_id).version == 0
    assert [e.action for e in other.history(case_id)] == ["submit"]
    assert store.load(case_id).version == 0
    other.close()


def test_a_batch_whose_commit_fails_ends_in_the_stores_error(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "commit.sqlite3")
    engine = engine_on(store)
    case_id = submitted(engine, 1)[0]

    def no_commit(action: int, first: str | None, *_: Any) -> int:
        if action == sqlite3.SQLITE_TRANSACTION and first == "COMMIT":
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    with pytest.raises((StoreCorrupt, StoreUnavailable)), engine.batch():  # not sqlite3's
        engine.accept(case_id, DESK)
        store._db.set_authorizer(no_commit)
    store._db.set_authorizer(None)
    assert store.load(case_id).version == 0


def test_a_commit_without_a_listing_leaves_the_held_one(tmp_path: Path) -> None:
    """Store.commit may be given no listing (the row's stays as it is): inside a batch the
    listing an earlier commit left waiting is written all the same."""
    runs = []
    for batched in (False, True):
        store = SqliteStore(tmp_path / f"listing-{batched}.sqlite3")
        engine = numbered(store)
        case_id = submitted(engine, 1)[0]
        store.commit = _third_without_listing(store.commit)  # type: ignore[method-assign]
        with engine.batch() if batched else contextlib.nullcontext():
            engine.accept(case_id, DESK)
            engine.act(case_id, "registration", "approve", officer("market_regulation"))
            engine.act(case_id, "tax", "approve", officer("tax"))  # written without a listing
        runs.append(tables(store))
        store.close()
    assert runs[0] == runs[1]
    assert ("registration",) not in [row[1:2] for row in runs[1]["work_items"]]


def _third_without_listing(commit: Callable[..., None]) -> Callable[..., None]:
    calls = []

    def without(*args: Any, **given: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            given["listing"] = None
        commit(*args, **given)
    return without


def test_the_held_row_is_the_stores_copy_not_the_callers(tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite3"
    store = SqliteStore(path)
    engine = engine_on(store)
    case_id = submitted(engine, 1)[0]
    with engine.batch():
        engine.accept(case_id, DESK)
        returned = engine.act(case_id, "registration", "approve", officer("market_regulation"))
        returned.priority = 7  # the caller's object: not what the store holds
    other = SqliteStore(path)
    assert other.load(case_id).priority == store.load(case_id).priority == 0
    other.close()


def test_another_thread_waits_for_the_batch_and_does_not_write_into_it(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "threads.sqlite3")
    engine = engine_on(store)
    case_id = submitted(engine, 1)[0]
    done = threading.Event()

    def other_thread() -> None:  # the same case, whose row the batch holds
        engine.act(case_id, "tax", "approve", officer("tax"))
        done.set()

    with engine.batch():
        engine.accept(case_id, DESK)
        engine.act(case_id, "registration", "approve", officer("market_regulation"))
        worker = threading.Thread(target=other_thread)
        worker.start()
        assert not done.wait(0.3)  # it waits for the batch's lock
    worker.join(10)
    assert done.is_set()
    other = SqliteStore(tmp_path / "threads.sqlite3")
    assert other.load(case_id).version == store.load(case_id).version == 3
    assert [e.action for e in other.history(case_id)][-1] == "approve"
    other.close()


def test_a_subscription_made_inside_a_batch_is_notified_of_the_actions_after_it(
        tmp_path: Path) -> None:
    """A subscription made in the middle of a batch is notified of the actions after it,
    whose case rows wait, as without a batch."""
    runs = []
    for batched in (False, True):
        store = SqliteStore(tmp_path / f"subscribed-{batched}.sqlite3")
        engine = engine_on(store)
        case_id = submitted(engine, 1)[0]
        with engine.batch() if batched else contextlib.nullcontext():
            engine.accept(case_id, DESK)
            engine.act(case_id, "registration", "approve", officer("market_regulation"))
            store.subscribe(Subscription("hook", ("item_decided",)))
            engine.act(case_id, "tax", "approve", officer("tax"))
        runs.append([(n.subscription, n.seq) for n in store.notifications()])
        store.close()
    assert runs[0] == runs[1] and len(runs[1]) == 1
