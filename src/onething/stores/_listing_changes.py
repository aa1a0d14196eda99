"""What a new listing changes in a case's SQLite row and its work items, so that only that is
written (decision 0034).

SQLite rewrites an index entry for every column named in an ``UPDATE``'s ``SET``, whether or
not its value changed, and every index page so touched is a page the commit writes to the
log. A listing names nine columns that eight indexes of ``cases`` read, and six indexes read
the work items; an action changes few of them (the lead department, the work items of one
step). The store reads the row's listing inside its write transaction (the row is needed for
the update anyway), and writes the columns and work items that differ; the row's ``waiting``
column holds its work items as they were written, so the old ones need no read of their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

#: the listing columns of ``cases`` a listing writes, in the order of
#: :func:`~onething.stores._listing_sql.listing_values`
NAMES = ("status", "lead", "applicant", "rank", "submitted_key", "intake_key", "notice_out",
         "intake_warn_key", "waiting")
#: the row's version, whether it was listed, then :data:`NAMES` (read before the update)
READ = f"SELECT version, listed, {', '.join(NAMES)} FROM cases WHERE id = ?"
_SUBMITTED = NAMES.index("submitted_key")
_WAITING = NAMES.index("waiting")
#: a work item's key columns (the row is the case's: ``case_id`` is the first parameter)
DELETE_ONE = "DELETE FROM work_items WHERE case_id = ? AND step = ? AND department = ?"


def changed_columns(old: Sequence[Any] | None, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """The ``SET`` clause (from ``, ``, or empty) and parameters for the listing ``values``
    that differ from ``old`` (the row's ``listed`` flag then its :data:`NAMES`; None when the
    row is not known to be listed: every column is written)."""
    if old is None or not old[0]:
        return (", " + ", ".join(f"{name} = ?" for name in NAMES) + ", listed = 1",
                list(values))
    names, params = [], []
    for name, was, value in zip(NAMES, old[1:], values, strict=True):
        if was != value:
            names.append(name)
            params.append(value)
    return "".join(f", {name} = ?" for name in names), params


def work_changes(old: Sequence[Any] | None, values: Sequence[Any],
                 rows: list[tuple[Any, ...]]
                 ) -> tuple[bool, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """How to bring the case's work items from those ``old`` (as in :func:`changed_columns`)
    to ``rows`` (its new listing ``values``): whether to delete them all first, the
    (case_id, step, department) keys to delete, the rows to insert."""
    if old is None or not old[0] or old[1 + _WAITING] is None \
            or old[1 + _SUBMITTED] != values[_SUBMITTED]:
        return True, [], rows
    if old[1 + _WAITING] == values[_WAITING]:
        return False, [], []
    submitted = old[1 + _SUBMITTED]
    new = set(rows)
    case_id = rows[0][0] if rows else None
    gone: list[tuple[Any, ...]] = []
    kept: set[tuple[Any, ...]] = set()
    for step, department, position, assignee, rank, due, warn, provisional, paused \
            in json.loads(old[1 + _WAITING]):
        row = (case_id, step, department, position, assignee, rank, due, warn, submitted,
               provisional, paused)
        if row in new:
            kept.add(row)
        else:
            gone.append((step, department))
    if case_id is None:  # no items now: every old one goes
        return True, [], []
    return False, [(case_id, step, department) for step, department in gone], \
        [row for row in rows if row not in kept]
