"""Schema 4 -> 5 (issue 19, statistics): a database written by the release with schema 4
(tests/stores/fixtures/schema_v4, made by its make.py on that release) gains the statistics'
counts table, marked stale; the engine counts every case from its status events before it
first answers a report — and what it counts is what the changes would have counted one by one
had the counts existed when the cases were written (the same cases written again through
today's engine, on the memory store).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.stores.test_schema_upgrade import fixture_copy, schema_version
from tests.stores.test_schema_upgrade_v3 import open_store, raw
from tests.support.factories import ROOT

from onething.cases.records import officer
from onething.engine.engine import Engine
from onething.stores._sqlite_tables import SCHEMA_VERSION
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.workdays import SHANGHAI, FixedClock

FIXTURES = ROOT / "tests" / "stores" / "fixtures" / "schema_v4"
FACTS: dict[str, dict[str, Any]] = json.loads(
    (FIXTURES / "cases.json").read_text(encoding="utf-8"))
LATER = datetime(2026, 10, 12, 15, 0, tzinfo=SHANGHAI)


def written_again() -> MemoryStore:
    """The fixture's cases written by today's engine (so counted change by change)."""
    spec = importlib.util.spec_from_file_location("schema_v4_make", FIXTURES / "make.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    store = _ReleaseFour()
    assert module.write(store) is not None
    return store


class _ReleaseFour(MemoryStore):
    """A memory store answering the script's count of each case's timer rows (kept by
    schema 4 and 5 only; not what these tests compare)."""

    def timers(self, case_id: str) -> list[object]:
        return []


@pytest.fixture(params=["sqlite", "postgres"])
def v4_database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    return fixture_copy(request, tmp_path, FIXTURES)


@pytest.fixture
def upgraded(v4_database: tuple[str, str]) -> Iterator[Store]:
    store = open_store(*v4_database)
    yield store
    store.close()


def test_the_v4_fixture_is_a_schema_4_database() -> None:
    where = str(FIXTURES / "cases.sqlite3")
    assert raw("sqlite", where, "SELECT value FROM meta WHERE key = 'schema_version'") == \
        [("4",)]
    tables = {r[0] for r in raw("sqlite", where,
                                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "stats_counts" not in tables and "work_items" in tables
    assert {f["label"] for f in FACTS.values()} >= {"delivered", "refused", "refused_intake"}


def test_v4_opens_as_the_latest_schema_with_its_counts_stale(upgraded: Store) -> None:
    assert schema_version(upgraded) == str(SCHEMA_VERSION)
    assert upgraded.counts_stale()
    assert upgraded.counted("all") == []


def test_v4_the_first_report_counts_every_case_as_its_changes_would_have(
        upgraded: Store) -> None:
    engine = Engine(upgraded, clock=FixedClock(LATER))
    report = engine.statistics(period="day")
    assert not upgraded.counts_stale()
    assert sorted(upgraded.counted("day")) == sorted(written_again().counted("day"))
    delivered = [f for f in FACTS.values() if f["ended"]]
    assert report.total.received == len(FACTS)
    assert sum(report.total.delivered.values()) == len(delivered)
    assert report.total.delivered == {
        kind: sum(1 for f in delivered if f["delivery"] == kind)
        for kind in {f["delivery"] for f in delivered}}


def test_v4_cases_carry_on_and_are_counted_once(upgraded: Store) -> None:
    engine = Engine(upgraded, clock=FixedClock(LATER))
    first = engine.statistics(period="all").total
    case_id = next(c for c, f in FACTS.items() if f["label"] == "registration")
    engine.act(case_id, "registration", "refuse", officer("market_regulation", "r1"),
               reason="test")
    after = engine.statistics(period="all").total
    assert sum(after.delivered.values()) == sum(first.delivered.values()) + 1
    assert after.received == first.received  # the recount ran once, before the first report


def test_v4_a_failed_upgrade_leaves_the_database_as_it_was(
        v4_database: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    kind, where = v4_database
    from tests.stores.test_schema_upgrade_v3 import _postgres_tables

    from onething.stores import _sqlite_tables
    tables = _sqlite_tables if kind == "sqlite" else _postgres_tables()
    real = tables.UPGRADES[4]

    def half_then_fail(db: Any) -> None:
        real(db)
        raise RuntimeError("power cut in the middle of the upgrade")

    before = raw(kind, where, "SELECT * FROM meta ORDER BY key")
    monkeypatch.setattr(tables, "UPGRADES", {**tables.UPGRADES, 4: half_then_fail})
    with pytest.raises(RuntimeError, match="power cut"):
        open_store(kind, where)
    assert raw(kind, where, "SELECT * FROM meta ORDER BY key") == before
    monkeypatch.undo()
    store = open_store(kind, where)
    try:
        assert schema_version(store) == str(SCHEMA_VERSION) and store.counts_stale()
    finally:
        store.close()
