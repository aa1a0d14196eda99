"""Fixtures only: pinned clocks, an engine, each store in turn, the throwaway PostgreSQL server
(tests/support/pgserver.py) and the --run-slow switch. Helpers live in tests/support/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onething.engine.engine import Engine
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock
from tests.support.factories import START, STORE_KINDS

pytest_plugins = ["tests.support.pgserver", "tests.support.browser"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run long fuzz and soak tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long run: use --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def engine(clock: FixedClock) -> Engine:
    return Engine(clock=clock)


@pytest.fixture(params=STORE_KINDS)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each store in turn: memory, SQLite (a file) and PostgreSQL (a fresh database)."""
    if request.param == "memory":
        opened: Store = MemoryStore()
    elif request.param == "sqlite":
        opened = SqliteStore(tmp_path / "cases.sqlite3")
    else:
        opened = request.getfixturevalue("pg_store")
    yield opened
    opened.close()
