"""One contract for every store: memory, SQLite and PostgreSQL behave the same.

The PostgreSQL cases run on a throwaway server (tests/support/pgserver.py); without the server
binaries they are skipped with the reason in the summary, and under CI=true they fail instead.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import attrs
import pytest
from tests.support.factories import ROOT, TEST_KEYS, sample_form, sample_materials, shipped

from onething.cases.records import (
    Case,
    Delivery,
    Event,
    OutboxItem,
    applicant,
    case_from_json,
    case_to_json,
    officer,
    window,
)
from onething.engine.engine import Engine
from onething.errors import (
    AlreadyDelivered,
    CaseEnded,
    Conflict,
    DeployRefused,
    StoreCorrupt,
    StoreUnavailable,
    UnknownCase,
)
from onething.stores import open_store
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, FixedClock

pytest_plugins = ["tests.support.pgserver"]

T0 = datetime(2026, 9, 30, 9, 0, 0, 123456, tzinfo=SHANGHAI)
KINDS = ["memory", "sqlite", "postgres"]


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        opened: Store = MemoryStore()
    elif request.param == "sqlite":
        opened = SqliteStore(tmp_path / "store.sqlite3")
    else:
        opened = request.getfixturevalue("pg_store")
    yield opened
    opened.close()


# -- records -----------------------------------------------------------------------------------


def full_case(case_id: str = "c1", version: int = 0) -> Case:
    """A case with every field set, non-JSON form values, and keys in a telling order."""
    return case_from_json({
        "id": case_id, "workflow_id": "enterprise-startup", "workflow_version": 3,
        "content_hash": "sha256:abc", "version": version,
        "created_at": T0.isoformat(), "updated_at": (T0 + timedelta(minutes=5)).isoformat(),
        "marking": ["registration:active", "materials:promised"],
        "form": {"registered_capital": {"$decimal": "100.50"},
                 "company_name": "湘乡市一件事科技有限公司", "founded": {"$date": "2026-01-05"},
                 "employees": 5, "needs_invoice": True, "mail_address": None},
        "materials": {"articles": "file://a.pdf", "address_proof": "file://b.pdf"},
        "promised": ["bank_letter"], "produced": ["business_licence"],
        "outcomes": {"registration": {"outcome": "approve", "by": "officer"},
                     "case": {"outcome": "pending"}},
        "delivery_kind": None, "events": 1,
        "clocks": {"registration": {"started": T0.isoformat(), "paused_since": None,
                                    "finished": None, "escalated": [0]},
                   "case": {"started": T0.isoformat(), "paused_since": None,
                            "finished": None, "escalated": []}},
        "accepted_at": (T0 + timedelta(minutes=10)).isoformat(),
        "calendar_version": "2026.1", "priority": 1,
    })


def advanced(case: Case, minutes: int = 1, **changes: Any) -> Case:
    """The case one version later."""
    return attrs.evolve(case, version=case.version + 1,
                        updated_at=case.updated_at + timedelta(minutes=minutes), **changes)


def event(seq: int, action: str = "act", minutes: int = 0) -> Event:
    return Event(seq, T0 + timedelta(minutes=minutes), action, "department:wang@tax", "tax",
                 {"outcome": action, "fields": ["b", "a"], "nested": {"z": 1, "a": 2}})


def wake(hours: float) -> datetime:
    """A case's wake, ``hours`` after T0."""
    return T0 + timedelta(hours=hours)


def delivery(case_id: str, ident: str = "d1", kind: str = "result") -> Delivery:
    return Delivery(ident, case_id, kind, T0 + timedelta(hours=1), "mail",
                    ("business_licence", "seal_set"), {"title": "企业开办", "fee": "waived"})


def outbox_item(d: Delivery, channel: str = "post", at: datetime | None = None) -> OutboxItem:
    return OutboxItem(f"{d.id}:{channel}", d.id, d.case_id, channel,
                      {"delivery": d.id, "kind": d.kind, "items": list(d.items)},
                      next_attempt_at=at)


def as_json(case: Case) -> str:
    """The whole case as text, so that key order counts too."""
    return json.dumps(case_to_json(case), ensure_ascii=False)


# -- definitions -------------------------------------------------------------------------------


def test_definitions(store: Store) -> None:
    assert store.latest_version("w") is None
    assert store.get_definition("w", 1) is None
    store.put_definition("w", 1, "h1", "id: w\nversion: 1\n")
    store.put_definition("w", 1, "h1", "id: w\nversion: 1\n")  # the same again: fine
    with pytest.raises(DeployRefused, match="new version number"):
        store.put_definition("w", 1, "h2", "changed")
    assert store.get_definition("w", 1) == ("h1", "id: w\nversion: 1\n")
    store.put_definition("w", 3, "h3", "three")
    store.put_definition("w", 2, "h2", "two")
    store.put_definition("other", 9, "h9", "nine")
    assert store.latest_version("w") == 3
    assert store.latest_version("other") == 9
    assert store.get_definition("w", 2) == ("h2", "two")


# -- cases -------------------------------------------------------------------------------------


def test_create_and_load_round_trip_a_full_case(store: Store) -> None:
    case = full_case()
    store.create(case, [event(1, "submit")])
    loaded = store.load("c1")
    assert as_json(loaded) == as_json(case)
    assert loaded.form["registered_capital"] == Decimal("100.50")
    assert loaded.form["founded"].isoformat() == "2026-01-05"
    assert list(loaded.form) == list(case.form)
    assert list(loaded.clocks) == ["registration", "case"]
    assert list(loaded.outcomes) == ["registration", "case"]
    assert loaded.created_at == T0 and loaded.created_at.utcoffset() == timedelta(hours=8)
    assert loaded.updated_at == case.updated_at
    assert loaded.accepted_at == case.accepted_at
    assert store.case_ids() == ["c1"]
    with pytest.raises(Conflict):
        store.create(full_case(), [event(1, "submit")])
    with pytest.raises(UnknownCase):
        store.load("nope")


def test_case_ids_are_oldest_first(store: Store) -> None:
    for case_id in ("m", "b", "z", "a"):
        store.create(full_case(case_id), [event(1)])
    assert store.case_ids() == ["m", "b", "z", "a"]


def test_commit_is_versioned(store: Store) -> None:
    case = full_case()
    store.create(case, [event(1)])
    new = advanced(case, marking=("tax:active",), produced=("business_licence", "seal_set"))
    new.form = {**new.form, "employees": 6}
    store.commit(new, 0, [event(2)])
    loaded = store.load("c1")
    assert loaded.version == 1 and loaded.marking == ("tax:active",)
    assert as_json(loaded) == as_json(new)
    with pytest.raises(Conflict):
        store.commit(advanced(case), 0, [event(2)])  # stale: the case is at version 1 now
    with pytest.raises(UnknownCase):
        store.commit(advanced(full_case("ghost")), 0, [event(1)])
    assert store.load("c1").version == 1
    assert [e.seq for e in store.history("c1")] == [1, 2]


def test_events_come_back_in_order(store: Store) -> None:
    case = full_case()
    first = [event(1, "submit")]
    store.create(case, first)
    later = [event(2, "accept", 10), event(3, "approve", 20), event(4, "delivered", 20)]
    store.commit(advanced(case), 0, later)
    history = store.history("c1")
    assert history == first + later
    assert [list(e.data["nested"]) for e in history] == [["z", "a"]] * 4
    store.create(full_case("quiet"), [])
    assert store.history("quiet") == []
    with pytest.raises(UnknownCase):
        store.history("nope")


def test_one_delivery_per_case_and_a_refused_second_writes_nothing(store: Store) -> None:
    case = full_case()
    store.create(case, [event(1)], wake(5))
    first = delivery("c1")
    done = advanced(case, delivery_kind="result")
    store.commit(done, 0, [event(2, "delivered")], first, None, [outbox_item(first)])
    assert store.delivery("c1") == first
    assert store.delivery("nope") is None
    before = (as_json(store.load("c1")), store.history("c1"), store.outbox("c1"))

    second = delivery("c1", "d2", "refusal")
    with pytest.raises(AlreadyDelivered):
        store.commit(advanced(done), 1, [event(3, "delivered")], second, wake(9),
                     [outbox_item(second)], ("k-second", "fp"))
    assert (as_json(store.load("c1")), store.history("c1"), store.outbox("c1")) == before
    assert store.load("c1").version == 1
    assert store.delivery("c1") == first
    assert store.wake("c1") is None
    assert store.idempotent("k-second") is None


def test_wakes_are_set_on_commit_and_come_due_earliest_first(store: Store) -> None:
    a, b, c, d = full_case("a"), full_case("b"), full_case("c"), full_case("d")
    store.create(a, [event(1)], wake(1))
    store.create(b, [event(1)], wake(2.5))
    store.create(c, [event(1)])  # nothing pending
    store.create(d, [event(1)], wake(2.5))  # the same moment as b: by id
    assert store.wake("a") == wake(1) and store.wake("c") is None
    with pytest.raises(UnknownCase):
        store.wake("nope")
    assert store.due_cases(T0 + timedelta(hours=2, minutes=30)) == ["a", "b", "d"]
    assert store.due_cases(T0 + timedelta(hours=2)) == ["a"]
    assert store.due_cases(T0 + timedelta(hours=10), limit=2) == ["a", "b"]
    assert store.due_cases(T0) == []

    a1 = advanced(a)
    store.commit(a1, 0, [event(2)], wake=wake(7))
    assert store.wake("a") == wake(7)
    assert store.due_cases(T0 + timedelta(days=2)) == ["b", "d", "a"]
    store.commit(advanced(a1), 1, [event(3)])  # no wake: nothing pending any more
    assert store.wake("a") is None
    assert store.due_cases(T0 + timedelta(days=2)) == ["b", "d"]
    # a re-plan sets the wake only at the version it was planned for
    assert not store.replan("b", 5, wake(0.5))
    assert store.wake("b") == wake(2.5)
    assert store.replan("b", 0, wake(0.5)) and store.wake("b") == wake(0.5)
    assert not store.replan("nope", 0, wake(1))


def test_idempotency_keys(store: Store) -> None:
    case = full_case()
    store.create(case, [event(1)], idempotency=("k-submit", "fp-submit"))
    fingerprint, first = store.idempotent("k-submit")
    assert fingerprint == "fp-submit" and as_json(first) == as_json(case)
    new = advanced(case)
    store.commit(new, 0, [event(2)], idempotency=("k-accept", "fp-accept"))
    fingerprint, snapshot = store.idempotent("k-accept")
    assert fingerprint == "fp-accept" and snapshot.version == 1
    assert as_json(snapshot) == as_json(new)
    assert store.idempotent("never") is None

    with pytest.raises(Conflict):  # a used key: nothing of the commit is written
        store.commit(advanced(new), 1, [event(3)], idempotency=("k-accept", "other"))
    assert store.load("c1").version == 1 and len(store.history("c1")) == 2
    assert store.idempotent("k-accept")[0] == "fp-accept"
    with pytest.raises(Conflict):  # a used key on create: no case either
        store.create(full_case("c2"), [event(1)], idempotency=("k-submit", "again"))
    with pytest.raises(UnknownCase):
        store.load("c2")


def test_outbox_claims_leases_and_hand_overs(store: Store) -> None:
    case = full_case()
    store.create(case, [event(1)])
    d = delivery("c1")
    done = advanced(case, delivery_kind="result")
    later = done.updated_at + timedelta(hours=1)
    items = [outbox_item(d, "post"), outbox_item(d, "sms", later)]
    store.commit(done, 0, [event(2)], d, None, items)
    now = done.updated_at

    claimed = store.claim_outbox(now, lease_seconds=60)
    assert [i.id for i in claimed] == ["d1:post"]  # sms is not due yet
    item = claimed[0]
    assert (item.delivery_id, item.case_id, item.channel, item.status, item.attempts) == \
        ("d1", "c1", "post", "pending", 0)
    assert item.payload == items[0].payload and item.next_attempt_at == done.updated_at
    assert store.claim_outbox(now + timedelta(seconds=59), lease_seconds=60) == []  # leased
    again = store.claim_outbox(now + timedelta(seconds=61), lease_seconds=60)  # lease over
    assert [i.id for i in again] == ["d1:post"]
    store.finish_outbox("d1:post", sent=True, result="receipt-1")
    assert store.claim_outbox(now + timedelta(days=1), limit=1) == [
        attrs.evolve(items[1], status="pending")]  # sent is done; limit 1 gives only sms

    retry_at = now + timedelta(days=2)
    store.finish_outbox("d1:sms", sent=False, error="timeout", retry_at=retry_at)
    assert store.claim_outbox(retry_at - timedelta(seconds=1)) == []
    retried = store.claim_outbox(retry_at)
    assert [(i.id, i.attempts, i.last_error, i.next_attempt_at) for i in retried] == \
        [("d1:sms", 1, "timeout", retry_at)]
    store.finish_outbox("d1:sms", sent=False, error="gone")  # no retry_at: give up
    assert store.claim_outbox(now + timedelta(days=30)) == []

    final = {i.id: i for i in store.outbox("c1")}
    assert list(final) == ["d1:post", "d1:sms"]
    assert (final["d1:post"].status, final["d1:post"].attempts, final["d1:post"].result) == \
        ("sent", 1, "receipt-1")
    assert (final["d1:sms"].status, final["d1:sms"].attempts, final["d1:sms"].last_error) == \
        ("failed", 2, "gone")
    assert store.outbox("nope") == []


# -- schema versions ---------------------------------------------------------------------------


def newer_schema_sqlite(tmp_path: Path) -> Callable[[], object]:
    path = tmp_path / "store.sqlite3"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    return lambda: SqliteStore(path)


def newer_schema_postgres(url: str) -> Callable[[], object]:
    import psycopg

    from onething.stores.postgres import PostgresStore

    PostgresStore(url).close()
    with psycopg.connect(url) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    return lambda: PostgresStore(url)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_newer_schema_is_refused_clearly(kind: str, request: pytest.FixtureRequest,
                                           tmp_path: Path) -> None:
    if kind == "sqlite":
        reopen = newer_schema_sqlite(tmp_path)
    else:
        reopen = newer_schema_postgres(request.getfixturevalue("pg_database"))
    with pytest.raises(StoreCorrupt, match=r"newer onething \(schema 99\).*upgrade onething"):
        reopen()


def test_postgres_upgrades_an_older_schema(pg_database: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    from onething.stores import _postgres_tables as postgres
    from onething.stores.postgres import PostgresStore

    PostgresStore(pg_database).close()
    runs: list[int] = []

    def add_note(cur: object) -> None:
        runs.append(1)
        cur.execute("ALTER TABLE cases ADD COLUMN note TEXT")  # type: ignore[attr-defined]

    now = postgres.SCHEMA_VERSION
    monkeypatch.setattr(postgres, "SCHEMA_VERSION", now + 1)
    monkeypatch.setattr(postgres, "UPGRADES", {**postgres.UPGRADES, now: add_note})
    PostgresStore(pg_database).close()
    PostgresStore(pg_database).close()  # upgraded once only
    assert runs == [1]
    with psycopg.connect(pg_database) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                          ).fetchall() == [(str(now + 1),)]
        assert db.execute("SELECT note FROM cases").fetchall() == []


# -- opening by name ---------------------------------------------------------------------------


def test_open_store_picks_the_adapter(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    memory = open_store(":memory:")
    assert isinstance(memory, SqliteStore) and memory.path == ":memory:"
    memory.close()
    on_file = open_store(tmp_path / "cases.sqlite3", synchronous="NORMAL")
    assert isinstance(on_file, SqliteStore) and (tmp_path / "cases.sqlite3").exists()
    on_file.close()
    url = request.getfixturevalue("pg_database")
    from onething.stores.postgres import PostgresStore

    for target in (url, url.replace("postgresql://", "postgres://", 1)):
        store = open_store(target)
        assert isinstance(store, PostgresStore)
        store.close()


def test_open_store_says_how_to_get_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "onething.stores.postgres", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'onething\[postgres\]'") as caught:
        open_store("postgresql://clerk:secret@db.example/cases")
    assert "secret" not in str(caught.value)


# -- PostgreSQL only: many workers ------------------------------------------------------------


@pytest.fixture
def two_stores(pg_database: str) -> Iterator[tuple[Store, Store]]:
    from onething.stores.postgres import PostgresStore

    a, b = PostgresStore(pg_database), PostgresStore(pg_database)
    yield a, b
    a.close()
    b.close()


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each result or exception, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_stores_committing_one_version_give_one_success_one_conflict(
        two_stores: tuple[Store, Store]) -> None:
    a, b = two_stores
    case = full_case()
    a.create(case, [event(1)])
    for version in range(15):
        current = a.load("c1")
        assert current.version == version
        new = advanced(current)
        outcomes = race(lambda s=a, n=new, v=version: s.commit(n, v, [event(v + 2)]),
                        lambda s=b, n=new, v=version: s.commit(n, v, [event(v + 2)]))
        assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "NoneType"]
    assert [e.seq for e in b.history("c1")] == list(range(1, 17))


def test_concurrent_claims_never_hand_out_a_row_twice(two_stores: tuple[Store, Store]) -> None:
    a, b = two_stores
    case = full_case()
    for n in range(120):
        a.create(full_case(f"w{n:03}"), [event(1)], wake(n / 10))
    a.create(case, [event(1)])
    d = delivery("c1")
    items = [outbox_item(d, f"ch{n:03}") for n in range(120)]
    a.commit(advanced(case, delivery_kind="result"), 0, [event(2)], d, None, items)
    now = T0 + timedelta(days=1)

    def drain(claim: Callable[[], list[Any]]) -> list[str]:
        got: list[str] = []
        while batch := claim():
            got += [getattr(row, "id", row) for row in batch]
        return got

    for claim in (lambda s: s.claim_outbox(now, limit=7), lambda s: s.claim_due(now, 7)):
        first, second = race(lambda c=claim: drain(lambda: c(a)),
                             lambda c=claim: drain(lambda: c(b)))
        assert not set(first) & set(second)
        assert len(first) + len(second) == 120 == len(set(first) | set(second))


def test_claim_due_leases_cases_on_postgres(pg_store: Store) -> None:
    case = full_case()
    pg_store.create(case, [event(1)], wake(1))
    pg_store.create(full_case("c2"), [event(1)], wake(2))
    now = T0 + timedelta(hours=1)
    assert pg_store.claim_due(now) == ["c1"]
    assert pg_store.claim_due(now + timedelta(seconds=29)) == []  # leased for 30 s
    assert pg_store.due_cases(now) == ["c1"]  # reading claims none
    later = now + timedelta(hours=1)
    assert pg_store.claim_due(later) == ["c1", "c2"]
    # a commit that keeps the wake keeps the claim; one that moves it ends the claim
    pg_store.commit(advanced(case), 0, [event(2)], wake=wake(1))
    assert pg_store.claim_due(later) == []
    pg_store.commit(advanced(advanced(case)), 1, [event(3)], wake=wake(1.5))
    assert pg_store.claim_due(later) == ["c1"]
    assert pg_store.replan("c2", 0, wake(1.75))  # a re-plan that moves it, too
    assert pg_store.claim_due(later) == ["c2"]


def test_a_lost_connection_is_opened_again(pg_store: Store, pg_url: str) -> None:
    import psycopg

    pg_store.create(full_case(), [event(1)])
    pid = pg_store._conn.info.backend_pid
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StoreUnavailable, match="stopped answering"):
        pg_store.load("c1")
    assert pg_store.load("c1").version == 0


# -- the engine on every store ----------------------------------------------------------------

STARTUP = shipped("enterprise_startup.yaml")
PARALLEL = {"seal": "public_security", "tax": "tax", "social_insurance": "human_resources",
            "medical_insurance": "medical_security", "housing_fund": "housing_fund_centre",
            "bank_appointment": "bank"}


def enterprise_case(store: Store) -> dict[str, Any]:
    """One enterprise start-up from the form to the delivery and its hand-over; what the
    store shows of it afterwards."""
    clock = FixedClock(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI))
    ids = count(1)
    engine = Engine(store, clock=clock, new_id=lambda: f"case-{next(ids)}",
                    pseudonyms=TEST_KEYS)
    engine.deploy(ROOT / "workflows" / "enterprise_startup.yaml")
    desk = window("market_regulation")
    form, materials = sample_form(STARTUP), sample_materials(STARTUP)
    case = engine.submit("enterprise-startup", form, materials, idempotency_key="submit-1")
    again = engine.submit("enterprise-startup", form, materials, idempotency_key="submit-1")
    assert again.id == case.id
    clock.advance(timedelta(minutes=10))
    engine.accept(case.id, desk)
    clock.advance(timedelta(days=9))  # past the 1 WD committed limit (after National Day)
    fired = engine.tick()
    assert fired
    engine.act(case.id, "registration", "approve", officer("market_regulation"))
    for step, department in PARALLEL.items():
        clock.advance(timedelta(minutes=25))
        engine.act(case.id, step, "approve", officer(department))
    engine.deliver(case.id, desk, "mail")
    with pytest.raises(CaseEnded):
        engine.deliver(case.id, desk, "window")
    with pytest.raises(CaseEnded):
        engine.withdraw(case.id, applicant())
    handed = engine.dispatch()
    assert [i.status for i in store.outbox(case.id)] == ["sent"] * len(handed)
    final = engine.case(case.id)
    assert final.ended and store.wake(case.id) is None
    history = engine.history(case.id)
    assert [e.seq for e in history] == list(range(1, final.events + 1))
    return {
        "case": as_json(final),
        "history": [(e.seq, e.at.isoformat(), e.action, e.actor, e.step,
                     json.dumps(e.data, ensure_ascii=False, default=str)) for e in history],
        "clocks": [(v.key, v.status.value) for v in engine.clocks(case.id)],
        "delivery": engine.delivery(case.id),
        "fired": sorted(f.timer.id for f in fired),
        "outbox": [(i.id, i.status, i.attempts, i.payload) for i in store.outbox(case.id)],
    }


@pytest.fixture(scope="module")
def on_memory() -> dict[str, Any]:
    return enterprise_case(MemoryStore())


def test_the_engine_runs_a_case_the_same_on_every_store(
        store: Store, on_memory: dict[str, Any]) -> None:
    seen = enterprise_case(store)
    assert seen["delivery"].kind == "result"
    for key in on_memory:
        assert seen[key] == on_memory[key], key


def test_the_engine_on_postgres_writes_one_delivery_row(pg_store: Store) -> None:
    import psycopg

    seen = enterprise_case(pg_store)
    with psycopg.connect(pg_store.conninfo) as db:
        rows = db.execute("SELECT case_id, kind FROM deliveries").fetchall()
        events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    assert rows == [("case-1", "result")]
    assert events == len(seen["history"])


def test_times_are_the_same_instants_in_every_store(store: Store) -> None:
    """Stores may hand times back in another zone (SQLite: UTC for wakes and the outbox,
    PostgreSQL: Asia/Shanghai) but always as the same instants."""
    store.create(full_case(), [event(1)], wake(1))
    stored = store.wake("c1")
    assert stored == (T0 + timedelta(hours=1)).astimezone(UTC)
    assert stored is not None and stored.utcoffset() is not None


def test_every_store_refuses_a_commit_for_the_same_reason(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """Regression (issue 20 review: PostgreSQL's pipelined commit read the database's refusals
    in another order): a stale version is a Conflict even when a second delivery or a taken key
    rides along, an unknown case is UnknownCase whatever else is wrong, and a second delivery
    under the same delivery id (the engine names them ``D-<case>``) is AlreadyDelivered. A
    refusal is an everyday event under concurrency: raised, never logged as a warning (psycopg's
    note that an aborted pipeline ended uncleanly is dropped)."""
    import logging

    caplog.set_level(logging.WARNING)
    case = full_case()
    store.create(case, [event(1)], wake(1), ("k-taken", "fp"))
    done = advanced(case, delivery_kind="result")
    store.commit(done, 0, [event(2, "delivered")], delivery("c1", "D-c1"))
    with pytest.raises(Conflict):
        store.commit(advanced(case), 0, [], delivery("c1", "D-c2"))  # stale, no events
    with pytest.raises(Conflict):
        store.commit(advanced(case), 0, [event(2)], delivery("c1", "D-c2"))
    with pytest.raises(UnknownCase):
        store.commit(advanced(full_case("ghost")), 0, [], idempotency=("k-taken", "fp"))
    with pytest.raises(UnknownCase):
        store.commit(advanced(full_case("ghost")), 0, [], delivery("ghost", "D-ghost"))
    with pytest.raises(AlreadyDelivered):
        store.commit(advanced(done), 1, [event(3)], delivery("c1", "D-c1", "refusal"))
    with pytest.raises(Conflict):
        store.commit(advanced(done), 1, [event(3)], idempotency=("k-taken", "fp"))
    assert store.load("c1").version == 1 and store.delivery("c1").id == "D-c1"
    assert [e.seq for e in store.history("c1")] == [1, 2]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

