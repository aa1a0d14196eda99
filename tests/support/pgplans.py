"""The plan PostgreSQL runs a store's statement with: the generic plan of the prepared
statement (the store's connections ask for it: ``plan_cache_mode = force_generic_plan``), read
with ``PREPARE`` and ``EXPLAIN EXECUTE`` (PostgreSQL 15 has no ``EXPLAIN (GENERIC_PLAN)``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from onething.stores._listing_sql import for_postgres


def numbered(sql: str) -> str:
    """``sql`` (``?`` placeholders) with PostgreSQL's ``$1``, ``$2``, ... instead."""
    count = iter(range(1, 10_000))
    return re.sub(r"%s", lambda _: f"${next(count)}", for_postgres(sql))


def generic_plan(cur: Any, sql: str, params: Sequence[Any], options: str = "") -> str:
    """The generic plan of ``sql`` run with ``params`` (``options``: EXPLAIN's, such as
    ``ANALYZE, BUFFERS``), on the cursor's connection, inside its current transaction or
    session."""
    cur.execute("SET plan_cache_mode = force_generic_plan")
    cur.execute("SET max_parallel_workers_per_gather = 0")  # as the store's connections
    cur.execute(f"PREPARE onething_plan AS {numbered(sql)}".encode())
    try:
        from psycopg import sql as pgsql

        values = pgsql.SQL(", ").join(pgsql.Literal(v) for v in params).as_string(cur)
        explain = f"EXPLAIN ({options}) " if options else "EXPLAIN "
        cur.execute(f"{explain}EXECUTE onething_plan ({values})".encode())
        return "\n".join(r[0] for r in cur.fetchall())
    finally:
        cur.execute("DEALLOCATE onething_plan")
