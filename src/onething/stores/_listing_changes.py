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

from onething.stores._listing_sql import LISTING_NAMES, SET_LISTING

#: the row's version, whether it was listed, then :data:`LISTING_NAMES` (read before the
#: update)
READ = f"SELECT version, listed, {', '.join(LISTING_NAMES)} FROM cases WHERE id = ?"
_SUBMITTED = LISTING_NAMES.index("submitted_key")
_WAITING = LISTING_NAMES.index("waiting")
#: a work item's key columns (the row is the case's: ``case_id`` is the first parameter)
DELETE_ONE = "DELETE FROM work_items WHERE case_id = ? AND step = ? AND department = ?"


def changed_columns(old: Sequence[Any], values: Sequence[Any]) -> tuple[str, list[Any]]:
    """The ``SET`` clause (from ``, ``, or empty) and parameters for the listing ``values``
    that differ from ``old`` (the row's ``listed`` flag then its :data:`LISTING_NAMES`;
    every column when the row is not listed yet)."""
    listed, *was = old
    if not listed:
        return ", " + SET_LISTING, list(values)
    changed = [(name, value) for name, before, value
               in zip(LISTING_NAMES, was, values, strict=True) if before != value]
    return "".join(f", {name} = ?" for name, _ in changed), [value for _, value in changed]


def work_changes(old: Sequence[Any], values: Sequence[Any], rows: list[tuple[Any, ...]]
                 ) -> tuple[bool, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """How to bring the case's work items from those ``old`` (as in :func:`changed_columns`)
    to ``rows`` (its new listing ``values``): whether to delete them all first, the
    (case_id, step, department) keys to delete, the rows to insert."""
    listed, *was = old
    waiting, submitted = was[_WAITING], was[_SUBMITTED]
    if not listed or waiting is None or submitted != values[_SUBMITTED]:
        return True, [], rows
    if waiting == values[_WAITING]:
        return False, [], []
    written = _written(waiting)
    if not rows or written is None:  # no items now, or the old ones unreadable: all go
        return True, [], rows
    case_id = rows[0][0]
    new = set(rows)
    gone: list[tuple[Any, ...]] = []
    kept: set[tuple[Any, ...]] = set()
    for step, department, position, assignee, rank, due, warn, provisional, paused in written:
        row = (case_id, step, department, position, assignee, rank, due, warn, submitted,
               provisional, paused)
        if row in new:
            kept.add(row)
        else:
            gone.append((case_id, step, department))
    return False, gone, [row for row in rows if row not in kept]


def _written(waiting: Any) -> list[tuple[Any, ...]] | None:
    """The work items a ``waiting`` column holds, each as its nine fields, or None when it
    holds anything else (a damaged page): the caller then rewrites the items whole, since the
    listing being written is the truth and ``waiting`` only the store's copy of the last."""
    try:
        items = json.loads(waiting)
    except (TypeError, ValueError):
        return None
    if not isinstance(items, list):
        return None
    written = []
    for item in items:
        if not isinstance(item, list) or len(item) != 9 \
                or any(isinstance(field, (list, dict)) for field in item):
            return None
        written.append(tuple(item))
    return written
