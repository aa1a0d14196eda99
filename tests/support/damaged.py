"""Databases damaged by hand for the hostile-input tests: a case on a fresh SQLite file or
PostgreSQL database, and SQL run on it behind the store's back (open it again with
:func:`tests.support.factories.reopened`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from onething.engine.engine import Engine
from onething.language.model import Workflow
from onething.stores.base import Store
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock
from tests.support.factories import START, sample_form, sample_materials


def one_case(kind: str, workflow: Workflow, tmp_path: Path,
             request: pytest.FixtureRequest) -> tuple[Store, str]:
    """A store of ``kind`` (``sqlite`` or ``postgres``) holding one submitted case."""
    store = SqliteStore(tmp_path / "cases.sqlite3") if kind == "sqlite" \
        else request.getfixturevalue("pg_store")
    engine = Engine(store, clock=FixedClock(START))
    engine.deploy(workflow)
    return store, engine.submit(workflow.id, sample_form(workflow),
                                sample_materials(workflow)).id


def run_raw(store: Any, sql: str, params: tuple[Any, ...] = (), read: str | None = None
            ) -> Any:
    """Run ``sql`` on the store's database over a connection of its own (``?`` placeholders
    on both databases); the first value ``read`` selects afterwards, if given."""
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store.path) as raw:
            raw.execute(sql, params)
            return raw.execute(read).fetchone()[0] if read else None
    import psycopg

    with psycopg.connect(store.conninfo) as raw:
        raw.execute(sql.replace("?", "%s"), params)
        return raw.execute(read).fetchone()[0] if read else None

