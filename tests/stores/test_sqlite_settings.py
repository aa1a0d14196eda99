"""The settings a SQLite store opens its file with (docs/stores.md): WAL, the ``synchronous``
asked for (FULL unless told), foreign keys, and a checkpoint every
:data:`~onething.stores.sqlite.CHECKPOINT_PAGES` pages of log rather than SQLite's 1,000."""

from __future__ import annotations

from pathlib import Path

import pytest

from onething.stores.sqlite import CHECKPOINT_PAGES, SqliteStore


@pytest.mark.parametrize(("asked", "number"), [(None, 2), ("NORMAL", 1), ("FULL", 2)])
def test_a_store_opens_its_file_with_its_settings(tmp_path: Path, asked: str | None,
                                                  number: int) -> None:
    store = (SqliteStore(tmp_path / "s.sqlite3") if asked is None
             else SqliteStore(tmp_path / "s.sqlite3", synchronous=asked))
    try:
        def pragma(name: str) -> object:
            return store._db.execute(f"PRAGMA {name}").fetchone()[0]

        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == number
        assert pragma("foreign_keys") == 1
        assert pragma("wal_autocheckpoint") == CHECKPOINT_PAGES > 1000
    finally:
        store.close()
