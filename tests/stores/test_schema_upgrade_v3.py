"""Schema 3 -> 4 (issue 16, a page of cases read from its rows alone): a database written by
the release with schema 3 (tests/stores/fixtures/schema_v3, made by its make.py on that
release), with live cases in every kind of position, gains ``cases.waiting`` filled from its
``work_items`` in the upgrade's one transaction — on SQLite and on PostgreSQL — so that its
cases stay listed, the lists show them as the release before showed them, and each filled
column is the very text the engine writes when it lists the case itself.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.stores.test_schema_upgrade import fixture_copy, fixture_wakes, schema_version
from tests.support.factories import ROOT

from onething.cases.listing import CaseQuery
from onething.cases.records import officer
from onething.engine.engine import Engine
from onething.stores import _sqlite_tables
from onething.stores._sqlite_tables import SCHEMA_VERSION
from onething.stores.base import Store
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, FixedClock

FIXTURES = ROOT / "tests" / "stores" / "fixtures" / "schema_v3"
WAKES = fixture_wakes(FIXTURES / "cases.sqlite3")
FACTS: dict[str, dict[str, Any]] = json.loads(
    (FIXTURES / "cases.json").read_text(encoding="utf-8"))
#: after every fixture case was written (2026-10-12) and before any of its timers is due
LATER = datetime(2026, 10, 12, 15, 0, tzinfo=SHANGHAI)


def case_of(label: str) -> str:
    return next(c for c, facts in FACTS.items() if facts["label"] == label)


@pytest.fixture(params=["sqlite", "postgres"])
def v3_database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """Which store, and where its copy of the schema-3 fixture is (not yet opened)."""
    return fixture_copy(request, tmp_path, FIXTURES)


def open_store(kind: str, where: str) -> Store:
    if kind == "sqlite":
        return SqliteStore(where)
    from onething.stores.postgres import PostgresStore

    return PostgresStore(where)


@pytest.fixture
def upgraded(v3_database: tuple[str, str]) -> Iterator[Store]:
    store = open_store(*v3_database)
    yield store
    store.close()


def raw(kind: str, where: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows read without onething, as an older release (or a person) would read them."""
    if kind == "sqlite":
        with sqlite3.connect(where) as db:
            return [tuple(r) for r in db.execute(sql).fetchall()]
    import psycopg

    with psycopg.connect(where, autocommit=True) as db:
        return [tuple(r) for r in db.execute(sql.encode()).fetchall()]


def listed_work(store: Store) -> dict[str, list[list[Any]]]:
    """Every work item each case's listing holds, in the fixture's terms."""
    return {listing.case_id: sorted(
        [w.step, w.department, w.position, w.assignee, w.priority,
         w.due.isoformat() if w.due else None,
         w.warn_from.isoformat() if w.warn_from else None, w.provisional, w.paused]
        for w in listing.work) for listing in store.search(CaseQuery(), limit=1000)}


def test_the_v3_fixture_is_a_schema_3_database() -> None:
    where = str(FIXTURES / "cases.sqlite3")
    assert raw("sqlite", where, "SELECT value FROM meta WHERE key = 'schema_version'") == \
        [("3",)]
    columns = [r[1] for r in raw("sqlite", where, "PRAGMA table_info(cases)")]
    assert "listed" in columns and "waiting" not in columns
    assert raw("sqlite", where, "SELECT count(*) FROM cases WHERE listed = 0") == [(0,)]
    assert raw("sqlite", where, "SELECT count(*) FROM work_items")[0][0] >= 10
    dump = (FIXTURES / "cases.pg.sql").read_text(encoding="utf-8")
    assert "'schema_version', '3'" in dump and "waiting text" not in dump.lower()
    labels = {facts["label"] for facts in FACTS.values()}
    assert {"intake", "correction", "parallel", "promised", "green_parallel", "claimed",
            "delivered"} <= labels


def test_v3_opens_as_the_latest_schema_with_every_case_listed_as_the_release_showed_it(
        upgraded: Store) -> None:
    assert schema_version(upgraded) == str(SCHEMA_VERSION)
    assert upgraded.unlisted() == []  # the upgrade filled the column: nothing to re-list
    assert listed_work(upgraded) == {c: facts["listed"] for c, facts in FACTS.items()}
    engine = Engine(upgraded, clock=FixedClock(LATER))
    holder = [w for c in engine.search(number=case_of("claimed")).items for w in c.waiting]
    assert [(w.step, w.assignee) for w in holder] == [("registration", "r1")]
    departments = sorted({d for facts in FACTS.values() for _, d in facts["queued"]})
    queued: dict[str, list[list[str]]] = {c: [] for c in FACTS}
    for department in departments:
        for item in engine.queue(department, limit=500).items:
            queued[item.case_id].append([item.step, department])
    assert {c: sorted(pairs) for c, pairs in queued.items()} == \
        {c: facts["queued"] for c, facts in FACTS.items()}


def test_v3_the_filled_column_is_what_the_engine_writes(v3_database: tuple[str, str]) -> None:
    kind, where = v3_database
    open_store(kind, where).close()
    filled = raw(kind, where, "SELECT id, waiting FROM cases ORDER BY id")
    assert all(text is not None for _, text in filled)
    raw_update(kind, where, "UPDATE cases SET listed = 0, waiting = NULL")
    store = open_store(kind, where)
    try:
        Engine(store, clock=FixedClock(LATER)).reindex()
        assert store.unlisted() == []
    finally:
        store.close()
    assert raw(kind, where, "SELECT id, waiting FROM cases ORDER BY id") == filled


def raw_update(kind: str, where: str, sql: str) -> None:
    if kind == "sqlite":
        with sqlite3.connect(where) as db:
            db.execute(sql)
        return
    import psycopg

    with psycopg.connect(where, autocommit=True) as db:
        db.execute(sql.encode())


def test_v3_cases_carry_on_and_their_listing_follows(upgraded: Store) -> None:
    engine = Engine(upgraded, clock=FixedClock(LATER))
    claimed = case_of("claimed")
    engine.act(claimed, "registration", "approve", officer("market_regulation", "r1"))
    after = {w.step for c in engine.search(number=claimed).items for w in c.waiting}
    assert "registration" not in after and after  # on to the parallel block
    assert set(after) == set(engine.waiting_on(claimed))


def _postgres_tables() -> Any:
    from onething.stores import _postgres_tables as module

    return module


def test_v3_a_failed_upgrade_leaves_the_database_as_it_was(
        v3_database: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    kind, where = v3_database
    columns = ("SELECT column_name FROM information_schema.columns WHERE table_name = 'cases' "
               "ORDER BY ordinal_position") if kind == "postgres" else \
        "SELECT name FROM pragma_table_info('cases')"
    before = (raw(kind, where, columns), raw(kind, where, "SELECT * FROM meta"),
              raw(kind, where, "SELECT id, version, listed FROM cases ORDER BY id"))
    tables = _sqlite_tables if kind == "sqlite" else _postgres_tables()
    real = tables.UPGRADES[3]

    def half_then_fail(db: Any) -> None:
        real(db)  # the column is added and filled ...
        raise RuntimeError("power cut in the middle of the upgrade")  # ... and then

    monkeypatch.setattr(tables, "UPGRADES", {**tables.UPGRADES, 3: half_then_fail})
    with pytest.raises(RuntimeError, match="power cut"):
        open_store(kind, where)
    assert (raw(kind, where, columns), raw(kind, where, "SELECT * FROM meta"),
            raw(kind, where, "SELECT id, version, listed FROM cases ORDER BY id")) == before
    monkeypatch.undo()
    store = open_store(kind, where)
    try:
        assert schema_version(store) == str(SCHEMA_VERSION) and store.unlisted() == []
        assert listed_work(store) == {c: facts["listed"] for c, facts in FACTS.items()}
    finally:
        store.close()


def test_v3_timers_still_due_after_the_upgrade(upgraded: Store) -> None:
    """The upgrade touches listings only: every case's timers and history are as written."""
    for case_id, facts in FACTS.items():
        case = upgraded.load(case_id)
        assert (case.version, case.events, list(case.marking)) == (
            facts["version"], facts["events"], facts["marking"]), case_id
        assert upgraded.wake(case_id) == WAKES.get(case_id), case_id
        assert (case_id in WAKES) == (facts["timers"] > 0), case_id
