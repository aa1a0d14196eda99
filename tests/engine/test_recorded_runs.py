"""Issue 20's safety net: the recorded runs (tests/support/recorded_runs.py) played again on
each store make what they made when the record was written, before the hot path was reworked —
the same timers fire at the same instants, and every case's decoded record, history, status
events, delivery and clocks are equal."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support import recorded_runs
from tests.support.factories import STORE_KINDS

from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore


@pytest.fixture(params=STORE_KINDS)
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """A factory of fresh, empty stores of one kind (one per recorded workflow)."""
    if request.param == "memory":
        yield MemoryStore
        return
    if request.param == "sqlite":
        numbers = itertools.count()
        yield lambda: SqliteStore(tmp_path / f"run{next(numbers)}.sqlite3")
        return
    import psycopg

    from onething.stores.postgres import PostgresStore

    url: str = request.getfixturevalue("pg_url")
    made: list[str] = []

    def fresh() -> Store:
        name = f"r_{uuid.uuid4().hex}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return PostgresStore(url.rsplit("/", 1)[0] + "/" + name)

    yield fresh
    with psycopg.connect(url, autocommit=True) as admin:
        for name in made:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_recorded_runs_make_what_they_made(new_store: Callable[[], Store]) -> None:
    expected = recorded_runs.read()
    played = recorded_runs.record(new_store)
    assert sorted(played) == sorted(expected)
    for workflow, run in expected.items():
        now = played[workflow]
        assert now["fired"] == run["fired"], f"{workflow}: the timers that fired differ"
        assert len(now["cases"]) == len(run["cases"])
        for was, made in zip(run["cases"], now["cases"], strict=True):
            for part in ("case", "history", "status", "delivery", "clocks"):
                assert made[part] == was[part], _first_difference(
                    f"{workflow} {was['case']['id']} {part}", was[part], made[part])


def test_the_record_holds_timers_of_every_kind_and_every_ending() -> None:
    """The record is worth comparing against: ladders, signals and the law's timers fired in
    it, and its cases ended in every way."""
    record = recorded_runs.read()
    fired = {f[2] for run in record.values() for f in run["fired"]}
    assert {"deemed_acceptance", "deemed_approval", "correction_expired", "warning", "overdue",
            "reminder", "supervision"} <= fired
    kinds = {c["delivery"]["kind"] for run in record.values() for c in run["cases"]
             if c["delivery"]}
    assert {"result", "refusal", "termination"} <= kinds


def _first_difference(where: str, was: Any, made: Any, path: str = "") -> str:
    if isinstance(was, dict) and isinstance(made, dict):
        for key in sorted(set(was) | set(made), key=str):
            if was.get(key) != made.get(key):
                return _first_difference(where, was.get(key), made.get(key), f"{path}.{key}")
    if isinstance(was, list) and isinstance(made, list) and len(was) == len(made):
        for i, (a, b) in enumerate(zip(was, made, strict=True)):
            if a != b:
                return _first_difference(where, a, b, f"{path}[{i}]")
    return f"{where}{path}: recorded {was!r}, now {made!r}"
