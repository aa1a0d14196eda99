"""Schema 6 -> 7 (issue 20, fewer pages a commit, decision 0034): a database written by the
release with schema 6 (tests/stores/fixtures/schema_v6, made by its make.py on that release)
keeps every work item row; the officers' own queues and the alerts read partial indexes; on
SQLite ``work_items`` is a table ``WITHOUT ROWID``; and every list shows what the release
before showed.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.stores.test_schema_upgrade import fixture_copy, schema_version
from tests.stores.test_schema_upgrade_v3 import _postgres_tables, listed_work, open_store, raw
from tests.support.factories import ROOT

from onething.engine.engine import Engine
from onething.stores import _sqlite_tables
from onething.stores._listing_sql import WORK_COLUMNS
from onething.stores._sqlite_tables import SCHEMA_VERSION
from onething.stores._upgrades import PARTIAL_INDEXES
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

FIXTURES = ROOT / "tests" / "stores" / "fixtures" / "schema_v6"
FACTS: dict[str, dict[str, Any]] = json.loads(
    (FIXTURES / "cases.json").read_text(encoding="utf-8"))
LATER = datetime(2026, 10, 12, 15, 0, tzinfo=SHANGHAI)
WORK = f"SELECT {WORK_COLUMNS} FROM work_items ORDER BY case_id, step, department"


@pytest.fixture(params=["sqlite", "postgres"])
def v6_database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    return fixture_copy(request, tmp_path, FIXTURES)


def _definitions(kind: str, where: str) -> dict[str, str]:
    """The CREATE text of ``work_items`` and of each index on it."""
    if kind == "sqlite":
        return dict(raw(kind, where, "SELECT name, sql FROM sqlite_master WHERE tbl_name = "
                                     "'work_items' AND sql IS NOT NULL"))
    return dict(raw(kind, where, "SELECT indexname, indexdef FROM pg_indexes "
                                 "WHERE tablename = 'work_items'"))


def test_the_v6_fixture_is_a_schema_6_database_with_full_indexes() -> None:
    where = str(FIXTURES / "cases.sqlite3")
    assert raw("sqlite", where, "SELECT value FROM meta WHERE key = 'schema_version'") == \
        [("6",)]
    made = _definitions("sqlite", where)
    assert "WITHOUT ROWID" not in made["work_items"]
    assert all("WHERE" not in made[name] for name in PARTIAL_INDEXES)
    assert len(raw("sqlite", where, WORK)) >= 10
    assert [f["mine"] for f in FACTS.values() if f["mine"]] == [[["registration",
                                                                  "market_regulation"]]]


def test_v6_opens_as_the_latest_schema_its_rows_and_lists_as_they_were(
        v6_database: tuple[str, str]) -> None:
    kind, where = v6_database
    before = raw(kind, where, WORK)
    store = open_store(kind, where)
    try:
        assert schema_version(store) == str(SCHEMA_VERSION) == "7"
        made = _definitions(kind, where)
        for name in PARTIAL_INDEXES:
            assert "WHERE" in made[name] and "IS NOT NULL" in made[name], name
        if kind == "sqlite":  # PostgreSQL keeps its tables as heaps
            assert made["work_items"].endswith("WITHOUT ROWID")
        assert raw(kind, where, WORK) == before
        _lists_as_the_release_showed_them(store)
    finally:
        store.close()


def _lists_as_the_release_showed_them(store: Store) -> None:
    assert listed_work(store) == {c: facts["listed"] for c, facts in FACTS.items()}
    engine = Engine(store, clock=FixedClock(LATER))
    departments = sorted({d for facts in FACTS.values() for _, d in facts["queued"]})
    queued: dict[str, list[list[str]]] = {c: [] for c in FACTS}
    for department in departments:
        for item in engine.queue(department, limit=500).items:
            queued[item.case_id].append([item.step, department])
    assert {c: sorted(pairs) for c, pairs in queued.items()} == \
        {c: facts["queued"] for c, facts in FACTS.items()}
    mine = {c: [[i.step, i.department] for i in
                engine.queue("market_regulation", assignee="r1").items if i.case_id == c]
            for c in FACTS}
    assert mine == {c: facts["mine"] for c, facts in FACTS.items()}
    for case_id, facts in FACTS.items():
        wake = store.wake(case_id)
        assert (wake.astimezone(SHANGHAI).isoformat() if wake else None) == facts["wake"]


def test_v6_a_failed_upgrade_leaves_the_database_as_it_was(
        v6_database: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    kind, where = v6_database
    tables = _sqlite_tables if kind == "sqlite" else _postgres_tables()
    real = tables.UPGRADES[6]

    def half_then_fail(db: Any) -> None:
        real(db)
        raise RuntimeError("power cut in the middle of the upgrade")

    made, rows = _definitions(kind, where), raw(kind, where, WORK)
    monkeypatch.setattr(tables, "UPGRADES", {**tables.UPGRADES, 6: half_then_fail})
    with pytest.raises(RuntimeError, match="power cut"):
        open_store(kind, where)
    assert (_definitions(kind, where), raw(kind, where, WORK)) == (made, rows)
    assert raw(kind, where, "SELECT value FROM meta WHERE key = 'schema_version'") == [("6",)]
    monkeypatch.undo()
    store = open_store(kind, where)
    try:
        assert schema_version(store) == str(SCHEMA_VERSION)
    finally:
        store.close()
