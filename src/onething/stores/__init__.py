"""Where cases live: one :class:`~onething.stores.base.Store` protocol, three adapters.

- :class:`~onething.stores.memory.MemoryStore`: dicts in the process, for tests and sketches;
- :class:`~onething.stores.sqlite.SqliteStore`: the default, one SQLite file in WAL mode with
  ``synchronous=FULL``;
- :class:`~onething.stores.postgres.PostgresStore`: PostgreSQL through psycopg 3 (the
  ``postgres`` extra), for many engine processes on many machines sharing one database.

Each gives the same contract: a commit is atomic and versioned, a case has at most one
delivery (a UNIQUE constraint in both databases), and the library's tables carry a schema
version that a newer release upgrades and an older release refuses. A database that stays
locked through a store's retries ends in :class:`~onething.stores.base.StoreBusy`, never in the
driver's own error. The engine talks only to the protocol; :func:`open_store` picks the adapter
from a target string.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from onething.errors import StoreBusy, StoreCorrupt, StoreUnavailable
from onething.stores.base import redacted

if TYPE_CHECKING:
    from onething.stores.base import Store

__all__ = ["StoreBusy", "StoreCorrupt", "StoreUnavailable", "open_store"]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_url(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than an SQLite file."""
    return isinstance(target, str) and target.lower().startswith(_POSTGRES_SCHEMES)


def open_store(target: str | Path, *, synchronous: str = "FULL", create: bool = True) -> Store:
    """The store named by ``target``.

    ``postgresql://...`` or ``postgres://...`` opens a PostgreSQL database (needs
    ``pip install 'onething[postgres]'``); ``:memory:`` a private in-memory SQLite database;
    anything else an SQLite file at that path (``synchronous`` applies to SQLite only).
    With ``create=False`` a database without onething's tables (an SQLite file that does not
    exist) is refused with :class:`StoreUnavailable` instead of being made.
    """
    text = str(target)
    if is_url(target):
        try:
            from onething.stores.postgres import PostgresStore
        except ImportError as exc:
            if exc.name and not exc.name.startswith("psycopg"):
                raise
            raise ImportError(
                f"{redacted(text)} is a PostgreSQL database, which needs psycopg 3 ({exc}): "
                "pip install 'onething[postgres]'"
            ) from exc
        return PostgresStore(text, create=create)
    from onething.stores.sqlite import SqliteStore

    if text == ":memory:":
        return SqliteStore(":memory:")
    return SqliteStore(target, synchronous=synchronous, create=create)
