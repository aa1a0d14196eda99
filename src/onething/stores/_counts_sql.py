"""The statistics' counts (:mod:`onething.cases.tallies`) as the two databases keep them: each
change appends its counts in its own transaction, and before a report reads them the rows
appended since the last merge are summed into one row per key — so a report reads the counts,
whose number is bounded by the days, workflows, steps and working-day values seen, never every
case.

SQL here is written with ``?`` placeholders (the PostgreSQL store turns them into ``%s``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from onething.cases.tallies import Tally, week_of

#: the key of a count: the fields of a :class:`~onething.cases.tallies.Tally`
KEY = "measure, workflow, department, step, day, kind, days, flags"
_VALUES = "measure, workflow, department, step, day, week, kind, days, flags, merged, n"

_COLUMNS = """measure TEXT NOT NULL, workflow TEXT NOT NULL, department TEXT NOT NULL,
    step TEXT NOT NULL, day TEXT NOT NULL, week TEXT NOT NULL, kind TEXT NOT NULL,
    days INTEGER NOT NULL, flags INTEGER NOT NULL, merged INTEGER NOT NULL, n BIGINT NOT NULL"""

#: the table: a change *appends* its counts (``merged = 0``: no row is shared by two changes,
#: so concurrent changes, and a long batch, never wait on each other for a count); merging
#: sums them into one row per key (``merged = 1``, unique) before a report reads the table
TABLES = (f"CREATE TABLE IF NOT EXISTS stats_counts ({_COLUMNS})",
          f"CREATE UNIQUE INDEX IF NOT EXISTS stats_merged ON stats_counts ({KEY}) "
          "WHERE merged = 1",
          "CREATE INDEX IF NOT EXISTS stats_unmerged ON stats_counts (merged) WHERE merged = 0")

#: append a change's counts
ADD = f"INSERT INTO stats_counts ({_VALUES}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)"
#: add summed counts to their key's one merged row
MERGE = (f"INSERT INTO stats_counts ({_VALUES}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) "
         f"ON CONFLICT ({KEY}) WHERE merged = 1 DO UPDATE SET n = stats_counts.n + excluded.n")

#: the ``meta`` row saying the counts must be made again from the cases (after an upgrade)
STALE_KEY = "stats_counts"
STALE = "stale"

#: how each period groups a day (``YYYY-MM-DD``)
PERIODS = {"day": "day", "week": "week", "month": "substr(day, 1, 7)",
           "year": "substr(day, 1, 4)", "all": "substr(day, 1, 0)"}

#: a summed count as reports read it: the key with the period in place of the day, and n
Row = tuple[str, str, str, str, str, str, int, int, int]


def add_rows(counts: Iterable[Tally]) -> list[tuple[Any, ...]]:
    """The parameters of :data:`ADD` (and :data:`MERGE`) for ``counts``, equal keys summed
    first."""
    summed: dict[Tally, int] = {}
    for tally in counts:
        summed[tally] = summed.get(tally, 0) + 1
    return [(t.measure, t.workflow, t.department, t.step, t.day, week_of(t.day), t.kind,
             t.days, t.flags, n) for t, n in summed.items()]


def summed(period: str, since: str | None, until: str | None, workflow: str | None,
           department: str | None) -> tuple[str, list[Any]]:
    """The statement (and its parameters) summing the counts per key and ``period``, of the
    days from ``since`` to ``until`` (both included, ISO dates; None: unbounded), of one
    workflow and one department when given."""
    where, params = [], []
    for clause, value in (("day >= ?", since), ("day <= ?", until),
                          ("workflow = ?", workflow), ("department = ?", department)):
        if value is not None:
            where.append(clause)
            params.append(value)
    group = PERIODS[period]
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    return (f"SELECT measure, workflow, department, step, {group} AS period, kind, days, "
            f"flags, SUM(n) FROM stats_counts {condition}"
            f"GROUP BY measure, workflow, department, step, {group}, kind, days, flags "
            "HAVING SUM(n) <> 0", params)


def unmerged(row_name: str) -> str:
    """Take at most ``?`` of the counts appended since the last merge (``RETURNING``: the rows
    deleted are the rows summed, whatever is appended meanwhile); ``row_name`` names a row
    (SQLite ``rowid``, PostgreSQL ``ctid``)."""
    return (f"DELETE FROM stats_counts WHERE {row_name} IN (SELECT {row_name} FROM "
            "stats_counts WHERE merged = 0 LIMIT ?) RETURNING measure, workflow, department, "
            "step, day, week, kind, days, flags, n")


def summed_rows(found: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows of :func:`unmerged` summed per key: the parameters of :data:`MERGE`."""
    sums: dict[tuple[Any, ...], int] = {}
    for row in found:
        key = tuple(row[:9])
        sums[key] = sums.get(key, 0) + int(row[9])
    return [(*key, n) for key, n in sums.items() if n != 0]


def rows_of(found: Sequence[Sequence[Any]]) -> list[Row]:
    """Rows as :data:`Row` tuples (the databases' integers as Python ints)."""
    return [(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), int(r[6]),
             int(r[7]), int(r[8])) for r in found]


def period_of(day: str, period: str) -> str:
    """What :func:`summed` groups ``day`` under (the memory store's twin of the SQL)."""
    if period == "week":
        return week_of(day)
    return {"day": day, "month": day[:7], "year": day[:4], "all": ""}[period]


__all__ = ["ADD", "KEY", "MERGE", "PERIODS", "STALE", "STALE_KEY", "TABLES", "Row", "add_rows",
           "period_of", "rows_of", "summed", "summed_rows", "unmerged"]
