"""Many clients at once: nothing acknowledged is lost, and the database's own "busy" errors
never reach a caller.

8 threads and 4 processes submit cases and act on their own and each other's cases at the same
time (tests/support/load_driver.py), on one SQLite file and on a real PostgreSQL server (at its
default isolation, and at SERIALIZABLE, where the server refuses colliding transactions). Afterwards
every acknowledged request is in the history at the position its answer gave, every history is
complete, and every case driven to its end has exactly one delivery. The only errors clients
may see are the library's typed ones: refusals, and :class:`~onething.stores.base.StoreBusy`
when a lock is held longer than the store's whole retry budget (forced below, never seen under
load). ``--run-slow`` runs the same with many more cases.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from tests.support.factories import ROOT, sample_form, sample_materials, shipped
from tests.support.invariants import follow_ups_open_once
from tests.support.load_driver import PARALLEL, work

from onething.cases.records import officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused, OnethingError, StoreBusy, StoreCorrupt
from onething.stores import base, open_store
from onething.stores.sqlite import SqliteStore

WORKFLOW_FILE = ROOT / "workflows" / "enterprise_startup.yaml"
STARTUP = shipped("enterprise_startup.yaml")
DRIVER = "tests.support.load_driver"
SERIALIZABLE = "options=-c%20default_transaction_isolation%3Dserializable"


@pytest.fixture(params=["sqlite", "postgres", "postgres-serializable"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "cases.sqlite3")
    url = request.getfixturevalue("pg_database")
    return f"{url}?{SERIALIZABLE}" if request.param.endswith("serializable") else url


def slow(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--run-slow"))


def deploy(db: str) -> None:
    store = open_store(db)
    try:
        Engine(store).deploy(STARTUP)
    finally:
        store.close()


class Tally:
    """What the clients reported, thread-safely."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lines: list[dict] = []

    def __call__(self, line: dict) -> None:
        with self.lock:
            self.lines.append(line)

    def of(self, kind: str) -> list[list]:
        return [line[kind] for line in self.lines if kind in line]


def finish(db: str) -> int:
    """Drive every case to its end in one client; how many it still had to deliver."""
    store = open_store(db)
    engine = Engine(store)
    finished = 0
    try:
        for case_id in store.case_ids():
            if store.delivery(case_id) is not None or \
                    store.load(case_id).workflow_id != STARTUP.id:
                continue
            finished += 1
            for action, step in [("accept", None), ("approve", "registration"),
                                 *(("approve", s) for s in PARALLEL), ("deliver", None)]:
                try:
                    if action == "accept":
                        engine.accept(case_id, window(STARTUP.lead))
                    elif action == "deliver":
                        engine.deliver(case_id, window(STARTUP.lead))
                    else:
                        engine.act(case_id, step, action,
                                   officer(PARALLEL.get(step, STARTUP.lead)))
                except ActionRefused:
                    continue
    finally:
        store.close()
    return finished


def check(db: str, tally: Tally, clients: int) -> dict[str, int]:
    """The database against what the clients were told; returns counts for the record."""
    errors = tally.of("error")
    assert not errors, "clients saw errors:\n" + "\n".join(map(repr, errors[:10]))
    acks = tally.of("ack")
    submitted = {a[0] for a in acks if a[1] == "submit"}
    assert submitted, "no submission was acknowledged"
    finished = finish(db)
    store = open_store(db)
    try:
        by_workflow = defaultdict(set)
        for case_id in store.case_ids():
            by_workflow[store.load(case_id).workflow_id].add(case_id)
        # no case lost, none that nobody was told of
        assert by_workflow[STARTUP.id] == submitted
        # every rating told of opened the one rectification of its case
        rated = dict(tally.of("rated"))
        assert all(store.load(c).follow_ups == (f,) for c, f in rated.items())
        # (a client may withdraw and rate a rectification case too: it is the applicant's)
        linked = {f for c in store.case_ids() for f in store.load(c).follow_ups}
        assert by_workflow["rectification"] == linked
        follow_ups_open_once(store)
        histories = {case_id: store.history(case_id) for case_id in store.case_ids()}
        # an acknowledged request is in the history where its answer said it was
        for case_id, action, step, _version, events, _key, _who in acks:
            got = {e.seq: e for e in histories[case_id]}
            mine = [got[n] for n in (events, events - 1) if n in got]
            assert any(e.action == action and e.step == step for e in mine), \
                f"acknowledged {action} {step or ''} of {case_id} (event {events}) is lost"
        # two different requests were never told they made the same version of a case
        told: dict[tuple[str, int], set[object]] = defaultdict(set)
        for case_id, action, step, version, _events, key, who in acks:
            if action != "submit":
                told[(case_id, version)].add(key or (action, step, who, version))
        assert [k for k, requests in told.items() if len(requests) > 1] == []
        deliveries = Counter()
        for case_id in submitted:
            events = histories[case_id]
            case = store.load(case_id)
            assert [e.seq for e in events] == list(range(1, case.events + 1))
            assert case.ended
            deliveries[case_id] = sum(e.action == "delivered" for e in events)
            delivery = store.delivery(case_id)
            assert delivery is not None
            withdrawn = any(a[0] == case_id and a[1] == "withdraw" for a in acks)
            delivered = any(a[0] == case_id and a[1] == "deliver" for a in acks)
            assert not (withdrawn and delivered), f"{case_id} was withdrawn and delivered"
            if withdrawn:
                assert delivery.kind == "withdrawal"
        assert set(deliveries.values()) == {1}, "a case without exactly one delivery"
    finally:
        store.close()
    return {"clients": clients, "cases": len(submitted), "acks": len(acks),
            "rated": len(tally.of("rated")),
            "refused": len(tally.of("refused")), "conflicts": len(tally.of("conflict")),
            "finished_afterwards": finished}


@pytest.fixture
def retries(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every retry a store makes after a busy refusal (the attempt numbers)."""
    made: list[int] = []
    real = base.backoff

    def counted(attempt: int) -> float:
        made.append(attempt)
        return real(attempt)

    monkeypatch.setattr(base, "backoff", counted)
    return made


def test_eight_threads(db: str, request: pytest.FixtureRequest, retries: list[int]) -> None:
    deploy(db)
    cases = 150 if slow(request) else 4  # --run-slow: 1,200 cases per database
    tally = Tally()
    shared = Engine(open_store(db))  # four threads share one store, four have their own
    threads = [threading.Thread(target=work, args=(db, STARTUP, f"t{n}", cases, f"seed{n}",
                                                   tally, shared if n < 4 else None))
               for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shared.store.close()
    figures = check(db, tally, 8)
    print(f"\n{request.node.name}: {figures}, store retries {len(retries)}")


def test_four_processes(db: str, request: pytest.FixtureRequest) -> None:
    deploy(db)
    cases = 300 if slow(request) else 5  # --run-slow: 1,200 cases per database
    procs = [subprocess.Popen([sys.executable, "-m", DRIVER, db, str(WORKFLOW_FILE), f"p{n}",
                               str(cases), f"seed{n}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
             for n in range(4)]
    tally = Tally()
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        for line in out.splitlines():
            tally(json.loads(line))
    figures = check(db, tally, 4)
    print(f"\n{request.node.name}: {figures}")


# -- a lock held longer than the retry budget: StoreBusy, never the driver's error ---------------


def submitted(store: object) -> tuple[Engine, str]:
    engine = Engine(store)
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    return engine, case.id


def test_sqlite_write_lock_held_elsewhere_ends_in_store_busy(tmp_path: Path,
                                                             retries: list[int]) -> None:
    path = tmp_path / "cases.sqlite3"
    engine, case_id = submitted(SqliteStore(path, busy_timeout_ms=10, retries=2))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        with pytest.raises(StoreBusy) as caught:
            engine.accept(case_id, window(STARTUP.lead))
        assert isinstance(caught.value, OnethingError)
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        message = str(caught.value)
        assert str(path) in message and "locked" in message and "3 attempts" in message
        assert "nothing was written" in message
        assert retries == [1, 2]
        # readers are not blocked by a writer (WAL): the case is as it was
        assert engine.case(case_id).version == 0
        with pytest.raises(StoreBusy):
            engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
        with pytest.raises(StoreBusy):  # opening a store writes its schema: also retried
            SqliteStore(path, busy_timeout_ms=10, retries=0)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [e.action for e in engine.history(case_id)] == ["submit"]
    assert len(engine.store.case_ids()) == 1
    engine.accept(case_id, window(STARTUP.lead))
    assert [e.action for e in engine.history(case_id)] == ["submit", "accept"]
    engine.store.close()


def test_sqlite_lock_released_within_the_budget_is_waited_for(tmp_path: Path,
                                                               retries: list[int]) -> None:
    path = tmp_path / "cases.sqlite3"
    engine, case_id = submitted(SqliteStore(path, busy_timeout_ms=20, retries=50))
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("ROLLBACK"))
    release.start()
    try:
        assert engine.accept(case_id, window(STARTUP.lead)).version == 1
    finally:
        release.join()
        other.close()
    assert retries, "the lock was released before the store had to retry"
    engine.store.close()


def test_other_sqlite_errors_are_not_retried(tmp_path: Path, retries: list[int]) -> None:
    store = SqliteStore(tmp_path / "cases.sqlite3")
    store._db.execute("DROP TABLE idempotency")  # a damaged database is no busy database
    with pytest.raises(StoreCorrupt, match="no such table"):
        store.idempotent("key")
    assert retries == []
    store.close()


def test_postgres_row_lock_held_elsewhere_ends_in_store_busy(
        pg_database: str, retries: list[int]) -> None:
    import psycopg

    from onething.stores.postgres import PostgresStore

    engine, case_id = submitted(PostgresStore(pg_database, lock_timeout_ms=20, retries=2))
    other = psycopg.connect(pg_database)
    other.execute("SELECT 1 FROM cases WHERE id = %s FOR UPDATE", (case_id,))
    try:
        with pytest.raises(StoreBusy) as caught:
            engine.accept(case_id, window(STARTUP.lead))
        assert isinstance(caught.value.__cause__, psycopg.errors.LockNotAvailable)
        assert "3 attempts" in str(caught.value) and "LockNotAvailable" in str(caught.value)
        assert retries == [1, 2]
        assert engine.case(case_id).version == 0  # readers do not wait for row locks
    finally:
        other.rollback()
        other.close()
    engine.accept(case_id, window(STARTUP.lead))
    assert [e.action for e in engine.history(case_id)] == ["submit", "accept"]
    engine.store.close()


def test_postgres_serialization_failure_is_retried(pg_database: str,
                                                   retries: list[int]) -> None:
    """At SERIALIZABLE, a commit that waited on a row another transaction then changed is
    refused by the server; the store runs it again and the caller sees only success."""
    import psycopg

    from onething.stores.postgres import PostgresStore

    url = f"{pg_database}?{SERIALIZABLE}"
    engine, case_id = submitted(PostgresStore(url))
    other = psycopg.connect(pg_database)
    other.execute("UPDATE cases SET updated_at = updated_at WHERE id = %s", (case_id,))
    outcome: list[object] = []
    acting = threading.Thread(target=lambda: outcome.append(
        engine.accept(case_id, window(STARTUP.lead))))
    acting.start()
    try:
        waiting = 0
        while waiting == 0 and acting.is_alive():  # until the accept waits for the row lock
            time.sleep(0.02)
            waiting = other.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]
        other.commit()
    finally:
        acting.join()
        other.close()
    assert len(outcome) == 1 and outcome[0].version == 1
    assert retries, "the server did not refuse the waiting commit"
    assert [e.action for e in engine.history(case_id)] == ["submit", "accept"]
    engine.store.close()
