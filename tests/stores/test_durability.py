"""Nothing acknowledged is lost and nothing is delivered twice: SIGKILL and many workers.

Every test runs on SQLite and on a real PostgreSQL server (started by tests/support/pgserver.py).
The default run kills a few times; `--run-slow` kills hundreds of times (300 clients and 200
workers per database).
"""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from tests.support.factories import ROOT, sample_form, sample_materials, shipped
from tests.support.invariants import follow_ups_open_once

from onething.cases.records import officer, window
from onething.engine.engine import Engine
from onething.stores import open_store
from onething.workdays import SHANGHAI, FixedClock

STARTUP = shipped("enterprise_startup.yaml")
DRIVER = "tests.support.crash_driver"
PAST = dt.datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "cases.sqlite3")
    return request.getfixturevalue("pg_database")


def deliveries_per_case(db: str) -> Counter[str]:
    store = open_store(db)
    try:
        counts: Counter[str] = Counter()
        for case_id in store.case_ids():
            counts[case_id] = sum(e.action == "delivered" for e in store.history(case_id))
        return counts
    finally:
        store.close()


def test_acknowledged_actions_survive_sigkill(db_url: str, request: pytest.FixtureRequest
                                              ) -> None:
    rounds = 300 if request.config.getoption("--run-slow") else 4
    rng = random.Random(7)
    acked: list[tuple[str, str]] = []
    for n in range(rounds):  # each seed runs twice: the second retries the killed first
        proc = subprocess.Popen(
            [sys.executable, "-m", DRIVER, db_url, str(ROOT / "workflows" /
                                                      "enterprise_startup.yaml"), "40",
             f"r{n // 2}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        time.sleep(rng.uniform(1.0, 3.0))
        proc.send_signal(signal.SIGKILL)
        output, _ = proc.communicate()
        acked += [tuple(line.split()[1:3]) for line in output.splitlines()
                  if line.startswith("ACK ")]
    assert acked, "the driver acknowledged nothing before it was killed"
    store = open_store(db_url)
    try:
        for case_id, what in acked:
            action, _, step = what.partition(":")
            events = store.history(case_id)
            assert any(e.action == action and (e.step or "") == step for e in events), \
                f"acknowledged {what} of {case_id} is lost"
        follow_ups_open_once(store)
    finally:
        store.close()
    assert max(deliveries_per_case(db_url).values()) <= 1


def prepare(db: str, cases: int) -> list[str]:
    """Cases whose correction went unanswered long ago: each has a due timer to fire."""
    clock = FixedClock(PAST)
    store = open_store(db)
    engine = Engine(store, clock=clock)
    engine.deploy(STARTUP)
    ids = []
    for _ in range(cases):
        case = engine.submit(STARTUP.id, {**sample_form(STARTUP), "delivery_method": "mail",
                                          "mail_address": "湘乡市一号"},
                             sample_materials(STARTUP))
        engine.accept(case.id, window(STARTUP.lead))
        engine.act(case.id, "registration", "request_correction", officer(STARTUP.lead))
        ids.append(case.id)
    store.close()
    return ids


def settled(db: str, ids: list[str]) -> bool:
    """Every case delivered and every delivery handed over (reading only: claims nothing)."""
    store = open_store(db)
    try:
        return all(store.delivery(case_id) is not None
                   and all(item.status == "sent" for item in store.outbox(case_id))
                   for case_id in ids)
    finally:
        store.close()


def worker(db: str, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "onething", "worker", "--db", db,
                             "--interval", "0.05", "--for", str(seconds)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def check_once_each(db: str, ids: list[str]) -> None:
    store = open_store(db)
    try:
        for case_id in ids:
            events = store.history(case_id)
            timers = [e.data["timer"] for e in events if "timer" in e.data]
            assert len(timers) == len(set(timers)), f"a timer of {case_id} fired twice"
            assert sum(e.action == "delivered" for e in events) == 1, f"{case_id}: not 1"
            assert store.delivery(case_id).kind == "termination"
            [item] = store.outbox(case_id)
            assert item.status == "sent"
    finally:
        store.close()


def test_workers_killed_at_random_lose_nothing_and_timers_still_fire(
        db_url: str, request: pytest.FixtureRequest) -> None:
    ids = prepare(db_url, 150)
    rng = random.Random(11)
    kills = 0
    for _ in range(200 if request.config.getoption("--run-slow") else 6):
        proc = worker(db_url, 30)
        time.sleep(rng.uniform(0.2, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        if settled(db_url, ids):
            break
    final = worker(db_url, 60)
    deadline = time.monotonic() + 60
    while not settled(db_url, ids) and time.monotonic() < deadline:
        time.sleep(0.2)
    final.send_signal(signal.SIGTERM)
    final.wait(timeout=30)
    assert kills >= 1
    check_once_each(db_url, ids)


@pytest.mark.parametrize("cases", [2000])
def test_four_workers_over_two_thousand_cases(pg_database: str, cases: int) -> None:
    ids = prepare(pg_database, cases)
    workers = [worker(pg_database, 300) for _ in range(4)]
    deadline = time.monotonic() + 300
    while not settled(pg_database, ids) and time.monotonic() < deadline:
        time.sleep(0.5)
    for proc in workers:
        proc.send_signal(signal.SIGTERM)
    errors = [proc.communicate(timeout=60)[1] for proc in workers]
    assert all(proc.returncode == 0 for proc in workers), errors
    check_once_each(pg_database, ids)


def test_two_departments_acting_at_once_both_commit(db_url: str) -> None:
    """Two officers approve different parallel steps of one case at the same moment: one
    commits first, the other's version check fails and it is retried automatically."""
    import threading

    from onething.errors import CaseEnded

    store = open_store(db_url)
    engine = Engine(store)
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, window(STARTUP.lead))
    engine.act(case.id, "registration", "approve", officer(STARTUP.lead))
    store.close()
    pairs = [("seal", "public_security"), ("tax", "tax"), ("social_insurance",
                                                             "human_resources")]
    barrier = threading.Barrier(len(pairs) + 1)
    errors: list[BaseException] = []

    def approve(step: str, department: str) -> None:
        own = open_store(db_url)
        try:
            barrier.wait()
            Engine(own).act(case.id, step, "approve", officer(department))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            own.close()

    def refuse() -> None:
        own = open_store(db_url)
        try:
            barrier.wait()
            Engine(own).act(case.id, "housing_fund", "refuse", officer("housing_fund_centre"),
                            "缴存信息不符")
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=approve, args=p) for p in pairs]
    threads.append(threading.Thread(target=refuse))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = open_store(db_url)
    try:
        history = store.history(case.id)
        decided = {e.step for e in history if e.action in ("approve", "refuse")}
        # the refusal ended the case; each approval either committed before it or was told
        # clearly that the case had ended - nothing else
        assert all(isinstance(e, CaseEnded) for e in errors), errors
        assert "housing_fund" in decided
        assert len(decided) + len(errors) == 1 + len(pairs) + 1
        assert sum(e.action == "delivered" for e in history) == 1
    finally:
        store.close()
