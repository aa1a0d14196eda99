"""The SQLite store writes only what a listing changes (onething.stores._listing_changes,
decision 0034): after any sequence of listings, the case's row and work items are what the
last listing says, and an unchanged column or work item is not written again."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.stores.test_batch import engine_on, submitted

from onething.cases.listing import Listing, WorkItem
from onething.cases.records import Case
from onething.errors import Conflict, UnknownCase
from onething.stores import _listing_sql as listed
from onething.stores._listing_sql import LISTING_NAMES
from onething.stores.sqlite import SqliteStore
from onething.workdays.clock import SHANGHAI

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
MOMENTS = st.one_of(st.none(), st.integers(0, 5).map(lambda d: BASE + timedelta(days=d)))
ITEMS = st.builds(
    lambda key, position, priority, due, warn, assignee, provisional, paused: (key, dict(
        position=position, priority=priority, due=due, warn_from=warn, assignee=assignee,
        provisional=provisional, paused=paused)),
    st.sampled_from([("review", "market"), ("review", "tax"), ("seal", "police"),
                     ("ukey", "tax")]),
    st.sampled_from(["承办", "审核"]), st.integers(0, 2), MOMENTS, MOMENTS,
    st.sampled_from([None, "li", "wang"]), st.booleans(), st.booleans())
LISTINGS = st.builds(
    lambda status, lead, applicant, priority, intake, notice, items, warn: (dict(
        status=status, lead=lead, applicant=applicant, priority=priority,
        intake_due=intake, notice_out=notice, intake_warn=warn), dict(items)),
    st.sampled_from(["intake", "in_progress", "delivered"]), st.sampled_from(["market", "tax"]),
    st.sampled_from(["p1", "p2"]), st.integers(0, 2), MOMENTS, st.booleans(),
    st.lists(ITEMS, max_size=4), MOMENTS)


def listing_for(case: Case, drawn: tuple[dict[str, Any], dict[Any, dict[str, Any]]]) -> Listing:
    fields, items = drawn
    work = tuple(WorkItem(case.id, step, department, **item)
                 for (step, department), item in sorted(items.items()))
    return Listing(case.id, case.workflow_id, submitted_at=BASE, work=work, **fields)


def row_of(store: SqliteStore, case_id: str) -> tuple[list[Any], list[Any]]:
    columns = store._fetch(f"SELECT {', '.join(LISTING_NAMES)}, listed FROM cases WHERE id = ?",
                           [case_id])
    work = store._fetch(f"SELECT {listed.WORK_COLUMNS} FROM work_items WHERE case_id = ? "
                        "ORDER BY step, department", [case_id])
    return [tuple(r) for r in columns], [tuple(r) for r in work]


def expected(listing: Listing) -> tuple[list[Any], list[Any]]:
    rows = listed.work_rows(listing)
    return [(*listed.listing_values(listing, rows), 1)], sorted(rows)


@pytest.fixture(scope="module")
def store_and_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[SqliteStore, Case]:
    store = SqliteStore(tmp_path_factory.mktemp("changes") / "s.sqlite3")
    engine = engine_on(store)
    return store, store.load(submitted(engine, 1)[0])


@settings(max_examples=60, deadline=None)
@given(st.lists(LISTINGS, min_size=1, max_size=8))
def test_the_row_and_work_items_are_what_the_last_listing_says(
        store_and_case: tuple[SqliteStore, Case], drawn: list[Any]) -> None:
    store, first = store_and_case
    case = store.load(first.id)
    for one in drawn:
        listing = listing_for(case, one)
        new = case.replace(version=case.version + 1)
        store.commit(new, case.version, [], listing=listing)
        assert row_of(store, case.id) == expected(listing)
        case = new


def traced(store: SqliteStore) -> list[str]:
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    return statements


def test_an_unchanged_column_or_work_item_is_not_written_again(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    case = store.load(submitted(engine_on(store), 1)[0])
    items = {("review", "market"): dict(position="承办", priority=0, due=BASE, warn_from=None),
             ("seal", "police"): dict(position="承办", priority=0, due=BASE, warn_from=None)}
    fields = dict(status="in_progress", lead="market", applicant="p1", priority=0)
    first = case.replace(version=case.version + 1)
    store.commit(first, case.version, [], listing=listing_for(case, (fields, items)))
    statements = traced(store)
    second = first.replace(version=first.version + 1)
    store.commit(second, first.version, [], listing=listing_for(case, (
        {**fields, "lead": "tax"},
        {**items, ("seal", "police"): dict(position="承办", priority=0, due=None,
                                              warn_from=None)})))
    update = next(s for s in statements if s.startswith("UPDATE cases"))
    assert " lead = " in update and " status = " not in update and " applicant = " not in update
    work = [s for s in statements if "work_items" in s]
    assert len(work) == 2 and "'seal'" in work[0] and "'seal'" in work[1]  # one out, one in
    assert row_of(store, case.id) == expected(listing_for(case, ({**fields, "lead": "tax"}, {
        **items, ("seal", "police"): dict(position="承办", priority=0, due=None,
                                           warn_from=None)})))
    statements.clear()
    third = second.replace(version=second.version + 1)
    store.commit(third, second.version, [], listing=listing_for(case, ({**fields, "lead": "tax"}, {
        **items, ("seal", "police"): dict(position="承办", priority=0, due=None,
                                           warn_from=None)})))
    assert not [s for s in statements if "work_items" in s]


def test_a_stale_or_unknown_case_writes_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    case = store.load(submitted(engine_on(store), 1)[0])
    listing = listing_for(case, (dict(status="in_progress", lead="tax", applicant="p",
                                      priority=0), {}))
    before = row_of(store, case.id)
    with pytest.raises(Conflict):
        store.commit(case.replace(version=case.version + 2), case.version + 1, [],
                     listing=listing)
    with pytest.raises(UnknownCase):
        store.commit(case.replace(id="nobody", version=1), 0, [], listing=listing)
    assert row_of(store, case.id) == before


def test_a_row_listed_before_its_waiting_column_is_rewritten_whole(tmp_path: Path) -> None:
    """A row an older release listed may have no ``waiting`` column yet: its work items are
    then replaced whole, not diffed against nothing."""
    path = tmp_path / "s.sqlite3"
    store = SqliteStore(path)
    case = store.load(submitted(engine_on(store), 1)[0])
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO work_items (case_id, step, department, position, rank, due_key, "
                "submitted_key, provisional, paused) VALUES (?, 'old', 'x', '承办', 0, 'z', "
                "'z', 0, 0)", (case.id,))
    raw.execute("UPDATE cases SET waiting = NULL WHERE id = ?", (case.id,))
    raw.commit()
    raw.close()
    listing = listing_for(case, (dict(status="in_progress", lead="tax", applicant="p",
                                      priority=0), {}))
    store.commit(case.replace(version=case.version + 1), case.version, [], listing=listing)
    assert row_of(store, case.id) == expected(listing)


@pytest.mark.parametrize("damaged", ["{", "", "[1]", '[["a"]]', '{"a": 1}', "null", "7",
                                     '"text"', '[["s", "d", [1], 0, 0, "z", null, 0, 0]]'])
def test_a_damaged_waiting_column_is_rewritten_whole(tmp_path: Path, damaged: str) -> None:
    """``waiting`` is the store's own copy of the work items as written; when the file holds
    something else there (a damaged page), the items are replaced whole from the listing,
    and the action is not refused for it."""
    path = tmp_path / "s.sqlite3"
    store = SqliteStore(path)
    case = store.load(submitted(engine_on(store), 1)[0])
    fields = dict(status="in_progress", lead="tax", applicant="p", priority=0)
    first = case.replace(version=case.version + 1)
    store.commit(first, case.version, [], listing=listing_for(case, (fields, {
        ("seal", "police"): dict(position="承办", priority=0, due=BASE, warn_from=None)})))
    raw = sqlite3.connect(path)
    raw.execute("UPDATE cases SET waiting = ? WHERE id = ?", (damaged, case.id))
    raw.commit()
    raw.close()
    listing = listing_for(case, (fields, {("review", "market"): dict(
        position="承办", priority=0, due=BASE, warn_from=None)}))
    store.commit(first.replace(version=first.version + 1), first.version, [], listing=listing)
    assert row_of(store, case.id) == expected(listing)
