"""Schema 5 -> 6 (issue 20, timers derived): a database written by the release with schema 5
(tests/stores/fixtures/schema_v5, made by its make.py on that release) keeps, per case, only
its wake — the earliest of the timer rows that release stored — and drops the timer rows; the
timers the engine plans from each upgraded case are the very rows the release stored, and a
tick fires exactly those of them that are due.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.stores.test_schema_upgrade import fixture_copy, schema_version
from tests.stores.test_schema_upgrade_v3 import _postgres_tables, open_store, raw
from tests.support.factories import ROOT

from onething.engine.engine import Engine
from onething.stores import _sqlite_tables
from onething.stores._sqlite_tables import SCHEMA_VERSION
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

FIXTURES = ROOT / "tests" / "stores" / "fixtures" / "schema_v5"
FACTS: dict[str, dict[str, Any]] = json.loads(
    (FIXTURES / "cases.json").read_text(encoding="utf-8"))
#: after every fixture case was written (2026-10-12, from 09:00), a few warnings due
LATER = datetime(2026, 10, 12, 15, 0, tzinfo=SHANGHAI)


@pytest.fixture(params=["sqlite", "postgres"])
def v5_database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    return fixture_copy(request, tmp_path, FIXTURES)


@pytest.fixture
def upgraded(v5_database: tuple[str, str]) -> Any:
    store = open_store(*v5_database)
    yield store
    store.close()


def _stored(case_id: str) -> list[list[Any]]:
    return FACTS[case_id]["timers"]


def test_the_v5_fixture_is_a_schema_5_database_with_timer_rows() -> None:
    where = str(FIXTURES / "cases.sqlite3")
    assert raw("sqlite", where, "SELECT value FROM meta WHERE key = 'schema_version'") == \
        [("5",)]
    rows = raw("sqlite", where, "SELECT count(*) FROM timers")[0][0]
    assert rows == sum(len(f["timers"]) for f in FACTS.values()) > 100
    labels = {f["label"] for f in FACTS.values() if not f["timers"]}
    assert labels == {"delivered", "refused", "refused_intake"}


def test_v5_opens_as_the_latest_schema_each_case_waking_at_its_first_timer(
        upgraded: Store, v5_database: tuple[str, str]) -> None:
    assert schema_version(upgraded) == str(SCHEMA_VERSION)
    kind, where = v5_database
    table = "to_regclass('timers')" if kind == "postgres" else \
        "(SELECT name FROM sqlite_master WHERE name = 'timers')"
    assert raw(kind, where, f"SELECT {table}") == [(None,)]  # the rows are gone
    for case_id in FACTS:
        first = min((datetime.fromisoformat(t[4]) for t in _stored(case_id)), default=None)
        assert upgraded.wake(case_id) == first, case_id
        case = upgraded.load(case_id)
        assert (case.version, case.events) == (FACTS[case_id]["version"],
                                               FACTS[case_id]["events"]), case_id


def test_v5_the_timers_planned_from_each_case_are_the_rows_the_release_stored(
        upgraded: Store) -> None:
    engine = Engine(upgraded, clock=FixedClock(LATER))
    for case_id in FACTS:
        planned = [[t.id, t.kind, t.name, t.step, t.due_at.astimezone(SHANGHAI).isoformat()]
                   for t in engine.timers(case_id)]
        assert planned == _stored(case_id), case_id


def test_v5_a_tick_fires_exactly_the_stored_timers_that_are_due(upgraded: Store) -> None:
    engine = Engine(upgraded, clock=FixedClock(LATER))
    due = {t[0] for case_id in FACTS for t in _stored(case_id)
           if datetime.fromisoformat(t[4]) <= LATER}
    fired = engine.tick(LATER)
    assert due and all(f.fired for f in fired)
    assert {f.timer.id for f in fired} == due
    assert engine.tick(LATER) == []  # nothing fires twice


def test_v5_a_failed_upgrade_leaves_the_database_as_it_was(
        v5_database: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    kind, where = v5_database
    tables = _sqlite_tables if kind == "sqlite" else _postgres_tables()
    real = tables.UPGRADES[5]

    def half_then_fail(db: Any) -> None:
        real(db)
        raise RuntimeError("power cut in the middle of the upgrade")

    before = raw(kind, where, "SELECT count(*) FROM timers")
    monkeypatch.setattr(tables, "UPGRADES", {**tables.UPGRADES, 5: half_then_fail})
    with pytest.raises(RuntimeError, match="power cut"):
        open_store(kind, where)
    assert raw(kind, where, "SELECT count(*) FROM timers") == before
    assert raw(kind, where, "SELECT value FROM meta WHERE key = 'schema_version'") == [("5",)]
    monkeypatch.undo()
    store = open_store(kind, where)
    try:
        assert schema_version(store) == str(SCHEMA_VERSION)
    finally:
        store.close()
