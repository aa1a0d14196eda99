"""The settings a SQLite store opens its file with (docs/stores.md): WAL, the ``synchronous``
asked for (FULL unless told), foreign keys, and a checkpoint every
:data:`~onething.stores.sqlite.CHECKPOINT_PAGES` pages of log: 10,000 on NORMAL, SQLite's own
1,000 on FULL (decision 0034)."""

from __future__ import annotations

from pathlib import Path

import pytest

from onething.stores.sqlite import CHECKPOINT_PAGES, SqliteStore


@pytest.mark.parametrize(("asked", "number", "pages"),
                         [(None, 2, 1000), ("NORMAL", 1, 10_000), ("FULL", 2, 1000),
                          ("EXTRA", 3, 1000)])
def test_a_store_opens_its_file_with_its_settings(tmp_path: Path, asked: str | None,
                                                  number: int, pages: int) -> None:
    store = (SqliteStore(tmp_path / "s.sqlite3") if asked is None
             else SqliteStore(tmp_path / "s.sqlite3", synchronous=asked))
    try:
        def pragma(name: str) -> object:
            return store._db.execute(f"PRAGMA {name}").fetchone()[0]

        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == number
        assert pragma("foreign_keys") == 1
        assert pragma("wal_autocheckpoint") == pages == CHECKPOINT_PAGES[asked or "FULL"]
    finally:
        store.close()
