"""Schema upgrades (issue 12 item 12): a database written by the release with schema 1, with
live cases in every kind of position (tests/stores/fixtures/schema_v1, made by its make.py on that
release), is upgraded in one transaction when a newer onething opens it — on SQLite and on
PostgreSQL — and its cases carry on to their one delivery.

Every later change to the schema adds its own upgrade step, its own fixture written by the
release before it, and its own test here.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import ROOT

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import IdempotencyMismatch, NotAuthorized
from onething.stores import _upgrades
from onething.stores._sqlite_tables import SCHEMA_VERSION
from onething.stores.base import Store
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, FixedClock

FIXTURES = ROOT / "tests" / "stores" / "fixtures" / "schema_v1"
FACTS: dict[str, dict[str, Any]] = json.loads((FIXTURES / "cases.json").read_text())
LATER = datetime(2026, 10, 30, 9, 0, tzinfo=SHANGHAI)
PARALLEL = [("seal", "public_security"), ("tax", "tax"), ("social_insurance", "human_resources"),
            ("medical_insurance", "medical_security"), ("housing_fund", "housing_fund_centre"),
            ("bank_appointment", "bank")]
FORM = {
    "company_name": "湘乡市一件事科技有限公司", "company_type": "limited_company",
    "registered_capital": "100", "legal_person_name": "张三",
    "legal_person_id": "430381199001011234", "legal_person_phone": "13800138000",
    "business_address": "湖南省湘乡市东山街道一号", "employees": 5, "needs_invoice": True,
    "delivery_method": "mail", "mail_address": "湖南省湘乡市东山街道一号",
}
MATERIALS = {"articles_of_association": "file://a.pdf", "address_proof": "file://b.pdf"}


def case_of(label: str) -> str:
    return next(c for c, facts in FACTS.items() if facts["label"] == label)


@pytest.fixture
def sqlite_v1(tmp_path: Path) -> Path:
    path = tmp_path / "v1.sqlite3"
    shutil.copy(FIXTURES / "cases.sqlite3", path)
    return path


@pytest.fixture
def postgres_v1(pg_database: str) -> str:
    import psycopg

    text = (FIXTURES / "cases.pg.sql").read_text(encoding="utf-8")
    script = "\n".join(line for line in text.splitlines() if not line.startswith("\\"))
    with psycopg.connect(pg_database, autocommit=True) as db:
        db.execute(script)  # type: ignore[arg-type]
    return pg_database


@pytest.fixture(params=["sqlite", "postgres"])
def upgraded(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "sqlite":
        store: Store = SqliteStore(request.getfixturevalue("sqlite_v1"))
    else:
        from onething.stores.postgres import PostgresStore

        store = PostgresStore(request.getfixturevalue("postgres_v1"))
    yield store
    store.close()


def schema_version(store: Store) -> str:
    if isinstance(store, SqliteStore):
        return store._db.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                                 ).fetchone()[0]
    return store._conn.execute(  # type: ignore[attr-defined]
        "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]


def test_the_fixture_is_a_schema_1_database() -> None:
    with sqlite3.connect(FIXTURES / "cases.sqlite3") as raw:
        assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                           ).fetchone() == ("1",)
        actors = {r[0] for r in raw.execute("SELECT actor FROM events")}
    assert "applicant:zhang" in actors  # schema 1 stored the applicant's id as given
    assert "'schema_version', '1'" in (FIXTURES / "cases.pg.sql").read_text()


def test_every_case_reads_as_it_was_written(upgraded: Store) -> None:
    assert schema_version(upgraded) == str(SCHEMA_VERSION)
    assert sorted(upgraded.case_ids()) == sorted(FACTS)
    for case_id, facts in FACTS.items():
        case = upgraded.load(case_id)
        assert (case.version, case.events, list(case.marking), case.ended,
                case.delivery_kind) == (facts["version"], facts["events"], facts["marking"],
                                        facts["ended"], facts["delivery"])
        history = upgraded.history(case_id)
        assert [e.seq for e in history] == list(range(1, facts["events"] + 1))
        assert case.applicant == _upgrades.legacy_pseudonym("zhang")
        assert all(not e.actor.startswith("applicant:zhang") for e in history)
    assert upgraded.delivery(case_of("delivered")).kind == "result"
    assert upgraded.delivery(case_of("refused")).kind == "refusal"
    assert upgraded.outbox(case_of("delivered"))


def test_keys_are_digests_and_old_requests_are_never_done_twice(upgraded: Store) -> None:
    engine = Engine(upgraded, clock=FixedClock(LATER))
    assert upgraded.idempotent("k-1") is None  # the key itself is no longer stored
    found = upgraded.idempotent(_upgrades.key_digest("k-1"))
    assert found is not None and found[1].id == case_of("intake")
    with pytest.raises(IdempotencyMismatch):  # a retry across the upgrade: refused, not redone
        engine.submit("enterprise-startup", FORM, MATERIALS, actor=applicant("zhang"),
                      idempotency_key="k-1")
    assert sorted(upgraded.case_ids()) == sorted(FACTS)


def test_live_cases_carry_on_to_their_one_delivery(upgraded: Store) -> None:
    engine = Engine(upgraded, clock=FixedClock(LATER))
    desk, registrar = window("market_regulation", "w9"), officer("market_regulation", "r9")
    # a correction pending: only the applicant who submitted may answer it
    corrected = case_of("correction")
    with pytest.raises(NotAuthorized):
        engine.supplement(corrected, applicant("li"), step="registration")
    engine.supplement(corrected, applicant("zhang"), step="registration")
    engine.act(corrected, "registration", "approve", registrar)
    # inside the parallel block: the rest approve, the window delivers once
    for case_id in (corrected, case_of("parallel")):
        for step, department in PARALLEL:
            if step in engine.waiting_on(case_id):
                engine.act(case_id, step, "approve", officer(department))
        engine.deliver(case_id, desk)
        assert engine.delivery(case_id).kind == "result"
    # accepted on a promise (容缺): the promise can still be kept
    promised = case_of("promised")
    engine.supplement(promised, applicant("zhang"),
                      materials={m: "file://late.pdf" for m in upgraded.load(promised).promised})
    assert upgraded.load(promised).promised == ()
    # awaiting intake: its stored timer (written by schema 1) still makes it deemed accepted
    fired = engine.tick(LATER)
    intake = case_of("intake")
    assert any(f.case_id == intake and f.fired for f in fired)
    assert "registration" in engine.waiting_on(intake)
    for case_id in FACTS:
        history = engine.history(case_id)
        assert sum(e.action == "delivered" for e in history) <= 1
        assert [e.seq for e in history] == list(range(1, len(history) + 1))


def test_an_upgrade_runs_once(sqlite_v1: Path) -> None:
    SqliteStore(sqlite_v1).close()
    with sqlite3.connect(sqlite_v1) as raw:
        first = raw.execute("SELECT state FROM cases ORDER BY id").fetchall()
    store = SqliteStore(sqlite_v1)
    assert schema_version(store) == str(SCHEMA_VERSION)
    store.close()
    with sqlite3.connect(sqlite_v1) as raw:
        assert raw.execute("SELECT state FROM cases ORDER BY id").fetchall() == first


def test_a_failed_upgrade_leaves_the_database_as_it_was(sqlite_v1: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from onething.stores import _sqlite_tables as module

    with sqlite3.connect(sqlite_v1) as raw:
        before = raw.execute("SELECT id, state FROM cases ORDER BY id").fetchall()

    def half_then_fail(db: sqlite3.Connection) -> None:
        db.execute("UPDATE cases SET state = '{}'")
        raise RuntimeError("power cut in the middle of the upgrade")

    monkeypatch.setattr(module, "UPGRADES", {1: half_then_fail})
    with pytest.raises(RuntimeError, match="power cut"):
        SqliteStore(sqlite_v1)
    with sqlite3.connect(sqlite_v1) as raw:
        assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                           ).fetchone() == ("1",)
        assert raw.execute("SELECT id, state FROM cases ORDER BY id").fetchall() == before
    monkeypatch.undo()
    store = SqliteStore(sqlite_v1)
    assert schema_version(store) == str(SCHEMA_VERSION) and len(store.case_ids()) == len(FACTS)
    store.close()


def test_personal_numbers_in_old_rows_are_masked_by_the_upgrade(upgraded: Store) -> None:
    for case_id in FACTS:
        for event in upgraded.history(case_id):
            assert "13800138000" not in event.actor + json.dumps(event.data)
    engine = Engine(upgraded, clock=FixedClock(LATER + timedelta(days=1)))
    assert engine.history(case_of("refused"))[-1].action == "delivered"
