"""Group commit (``engine.batch()``): many actions, one transaction, same results.

Inside a batch every action is checked and applied as on its own; the store writes them all
when the block ends, or none of them if it raises. Each write inside stays atomic: a refused
or conflicting one leaves the others in place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import START, TEST_KEYS, sample_form, sample_materials, shipped

from onething.cases.records import applicant, case_to_json, officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused, CaseEnded, Conflict, NotAuthorized, StoreUnavailable
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock

STARTUP = shipped("enterprise_startup.yaml")
DESK = window(STARTUP.lead)
PARALLEL = {"seal": "public_security", "tax": "tax", "social_insurance": "human_resources",
            "medical_insurance": "medical_security", "housing_fund": "housing_fund_centre",
            "bank_appointment": "bank"}


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        opened: Store = MemoryStore()
    elif request.param == "sqlite":
        opened = SqliteStore(tmp_path / "batch.sqlite3")
    else:
        opened = request.getfixturevalue("pg_store")
    yield opened
    if request.param != "postgres":
        opened.close()


def engine_on(store: Store) -> Engine:
    engine = Engine(store, clock=FixedClock(START))
    engine.deploy(STARTUP)
    return engine


def submitted(engine: Engine, count: int) -> list[str]:
    return [engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP)).id
            for _ in range(count)]


def run_to_delivery(engine: Engine, case_id: str) -> None:
    engine.accept(case_id, DESK)
    engine.act(case_id, "registration", "approve", officer("market_regulation"))
    for step, department in PARALLEL.items():
        engine.act(case_id, step, "approve", officer(department))
    engine.deliver(case_id, DESK)


def snapshot(engine: Engine, case_id: str) -> str:
    state = {"case": case_to_json(engine.case(case_id)),
             "history": [(e.seq, e.action, e.actor, e.step, e.data)
                         for e in engine.history(case_id)],
             "delivery": engine.delivery(case_id) is not None,
             "outbox": len(engine.store.outbox(case_id)),
             "status": [(e.seq, e.type) for e in engine.store.status_events(case_id)]}
    return json.dumps(state, sort_keys=True, ensure_ascii=False, default=str)


def test_a_batch_writes_every_action_and_each_case_is_delivered_once(store: Store) -> None:
    engine = engine_on(store)
    ids = submitted(engine, 5)
    with engine.batch():
        for case_id in ids:
            run_to_delivery(engine, case_id)
            assert engine.case(case_id).ended  # visible inside the block
    for case_id in ids:
        assert engine.delivery(case_id).kind == "result"
        assert sum(e.action == "delivered" for e in engine.history(case_id)) == 1
        assert len(engine.store.outbox(case_id)) == 1


def test_a_batch_that_raises_writes_nothing(store: Store) -> None:
    engine = engine_on(store)
    ids = submitted(engine, 3)
    before = {case_id: snapshot(engine, case_id) for case_id in ids}
    with pytest.raises(RuntimeError, match="power cut"), engine.batch():
        for case_id in ids:
            run_to_delivery(engine, case_id)
        engine.accept(submitted(engine, 1)[0], DESK, idempotency_key="late")
        raise RuntimeError("power cut")
    for case_id in ids:
        assert snapshot(engine, case_id) == before[case_id]
    assert len(engine.store.case_ids()) == 3
    assert engine.store.idempotent("late") is None


def test_a_refused_or_conflicting_action_inside_leaves_the_others(store: Store) -> None:
    engine = engine_on(store)
    first, second = submitted(engine, 2)
    with engine.batch():
        engine.accept(first, DESK)
        with pytest.raises(ActionRefused):
            engine.act(first, "tax", "approve", officer("tax"))  # registration comes first
        with pytest.raises(NotAuthorized):
            engine.accept(second, applicant())
        run_to_delivery(engine, second)
        with pytest.raises(CaseEnded):
            engine.deliver(second, DESK)
    assert engine.case(first).marking == ("open", "step:registration")
    refused = [e.data["action"] for e in engine.history(second) if e.action == "refused_attempt"]
    assert refused == ["accept", "deliver"]  # every refusal is recorded, each on its own
    assert sum(e.action == "delivered" for e in engine.history(second)) == 1


def test_a_write_failing_half_way_spoils_the_batch(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An action of a case (no delivery, no new case, no idempotency key) is written in a
    batch without a savepoint of its own: its first write is the versioned update, refused
    with nothing written. Should a later write fail all the same (here the disk, after the
    update), the half-written action must not be committed with the others: the batch ends
    in StoreUnavailable and nothing of it is written."""
    import onething.stores.sqlite as sqlite_module

    engine = engine_on(SqliteStore(tmp_path / "spoiled.sqlite3"))
    first, second, third = submitted(engine, 3)
    before = {case_id: snapshot(engine, case_id) for case_id in (first, second, third)}
    real = sqlite_module.insert_events

    def failing(db: object, case_id: str, events: object) -> None:
        if case_id == second:
            raise sqlite3.OperationalError("disk I/O error")
        real(db, case_id, events)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite_module, "insert_events", failing)
    with pytest.raises(StoreUnavailable, match="half-way"), engine.batch():
        engine.accept(first, DESK)
        with pytest.raises(StoreUnavailable):
            engine.accept(second, DESK)  # its case row was updated, its event was not
        engine.accept(third, DESK)
    monkeypatch.undo()
    for case_id in (first, second, third):
        assert snapshot(engine, case_id) == before[case_id]


def test_a_conflict_without_a_savepoint_leaves_the_batch_whole(tmp_path: Path) -> None:
    """The versioned update refused (another writer moved the case on) wrote nothing: the
    batch goes on and commits the others."""
    store = SqliteStore(tmp_path / "conflict.sqlite3")
    engine = engine_on(store)
    first, second = submitted(engine, 2)
    stale = store.load(first)
    with engine.batch():
        engine.accept(first, DESK)
        moved = stale.replace(version=stale.version + 1)
        with pytest.raises(Conflict):
            store.commit(moved, stale.version, [], wake=None)
        engine.accept(second, DESK)
    assert engine.case(first).marking == engine.case(second).marking != stale.marking
    assert [e.action for e in engine.history(first)] == ["submit", "accept"]
    store.close()


def test_other_connections_see_a_batch_only_when_it_ends(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    engine = engine_on(SqliteStore(path))
    case_id = submitted(engine, 1)[0]
    other = SqliteStore(path, busy_timeout_ms=50, retries=0)
    with engine.batch():
        engine.accept(case_id, DESK)
        assert other.load(case_id).version == engine.case(case_id).version - 1
    assert other.load(case_id).version == engine.case(case_id).version
    other.close()


ACTIONS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(
    ["accept", "registration", *PARALLEL, "deliver", "withdraw"]), st.booleans()), max_size=25)


@settings(max_examples=40, deadline=None)
@given(ACTIONS)
def test_batched_and_unbatched_runs_end_in_the_same_state(script: list) -> None:  # type: ignore[type-arg]
    results = []
    for batched in (False, True):
        counter = iter(range(10_000))
        engine = Engine(SqliteStore(":memory:"), clock=FixedClock(START), pseudonyms=TEST_KEYS,
                        new_id=lambda counter=counter: f"c{next(counter)}")
        engine.deploy(STARTUP)
        ids = submitted(engine, 3)
        for group in groups_of(script):
            if batched:
                with engine.batch():
                    apply(engine, ids, group)
            else:
                apply(engine, ids, group)
        results.append([snapshot(engine, case_id) for case_id in ids])
    assert results[0] == results[1]


def groups_of(script: list[tuple[int, str, bool]]) -> list[list[tuple[int, str]]]:
    """A script's (case, action) pairs, cut into groups where it says so."""
    groups: list[list[tuple[int, str]]] = [[]]
    for which, action, cut in script:
        groups[-1].append((which, action))
        if cut:
            groups.append([])
    return groups


def apply(engine: Engine, ids: list[str], group: list[tuple[int, str]]) -> None:
    """Each action of ``group`` on its case (a refusal is recorded and passed over)."""
    for which, action in group:
        case_id = ids[which]
        try:
            if action == "accept":
                engine.accept(case_id, DESK)
            elif action == "deliver":
                engine.deliver(case_id, DESK)
            elif action == "withdraw":
                engine.withdraw(case_id, applicant(), "changed my mind")
            else:
                department = PARALLEL.get(action, "market_regulation")
                engine.act(case_id, action, "approve", officer(department))
        except (ActionRefused, CaseEnded):
            pass


def test_a_store_never_serves_a_case_another_connection_changed(tmp_path: Path) -> None:
    path = tmp_path / "two.sqlite3"
    mine, theirs = engine_on(SqliteStore(path)), engine_on(SqliteStore(path))
    case_id = submitted(mine, 1)[0]
    assert mine.case(case_id).version == 0  # remembered by this store now
    theirs.accept(case_id, DESK)
    theirs.act(case_id, "registration", "approve", officer("market_regulation"))
    seen = mine.case(case_id)
    assert seen.version == theirs.case(case_id).version == 2
    assert seen.marking == theirs.case(case_id).marking
    # and the timers they re-planned are the ones this store sees and keeps
    mine.act(case_id, "tax", "approve", officer("tax"))
    assert mine.timers(case_id) == theirs.timers(case_id)
    assert [t.step for t in theirs.timers(case_id)].count("tax") == 0


def test_a_rolled_back_batch_leaves_nothing_remembered(tmp_path: Path) -> None:
    path = tmp_path / "rollback.sqlite3"
    mine, theirs = engine_on(SqliteStore(path)), engine_on(SqliteStore(path))
    case_id = submitted(mine, 1)[0]
    with pytest.raises(RuntimeError), mine.batch():
        mine.accept(case_id, DESK)
        raise RuntimeError("undo")
    theirs.refuse_intake(case_id, DESK, "incomplete")  # the same version number again
    seen = mine.case(case_id)
    assert (seen.version, seen.delivery_kind) == (1, "refusal")
    with pytest.raises(CaseEnded):
        mine.act(case_id, "registration", "approve", officer("market_regulation"))
