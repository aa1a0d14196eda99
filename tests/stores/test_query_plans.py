"""No queue or search reads the whole table (issue 16 item 3): the database's own plan for
every query the stores run (:mod:`onething.stores._listing_sql`) searches an index — checked
with EXPLAIN on SQLite and on PostgreSQL (sequential scans switched off, so that a query no
index can answer still shows one; on PostgreSQL the generic plan of the prepared statement,
the one the store's connection runs)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import START, sample_form, sample_materials, shipped
from tests.support.pgplans import generic_plan

from onething.cases.listing import CaseQuery, utc_key
from onething.engine.engine import Engine
from onething.stores import _listing_sql as sql
from onething.workdays import FixedClock

LATER = START + timedelta(days=3)
#: one applicant per case, as in a hall (most people have one or two cases)
APPLICANTS = [f"person-{n}" for n in range(12)]
KEY = utc_key(LATER)

#: (name, query, what the plan may do besides searching an index)
QUERIES: list[tuple[str, sql.Query, frozenset[str]]] = [
    ("queue", sql.queue("tax", None, None, 51), frozenset()),
    ("queue, next page", sql.queue("tax", None, (0, KEY, "c1", "tax"), 51), frozenset()),
    ("one officer's queue", sql.queue("tax", "wang", None, 51), frozenset()),
    ("one officer's next page", sql.queue("tax", "wang", (0, KEY, "c1", "tax"), 51),
     frozenset()),
    ("alerts", sql.alerts(LATER, None, None, 51), frozenset()),
    ("alerts, next page", sql.alerts(LATER, None, (KEY, "c1", "tax", "tax"), 51), frozenset()),
    ("a department's alerts", sql.alerts(LATER, "tax", None, 51), frozenset()),
    ("alert counts (the telemetry gauges)", sql.alert_counts(LATER), frozenset()),
    ("intake", sql.intake(None, None, 51), frozenset({"ordered:cases_intake_all"})),
    ("a window's intake", sql.intake("market_regulation", None, 51), frozenset()),
    ("intake, next page", sql.intake("market_regulation", (0, KEY, "c1"), 51), frozenset()),
    ("every case, first page", sql.search(CaseQuery(), None, 51),
     frozenset({"ordered:cases_submitted"})),
    ("every case, next page", sql.search(CaseQuery(), (KEY, "c1"), 51), frozenset()),
    ("by number", sql.search(CaseQuery(number="c1"), None, 51), frozenset()),
    ("by applicant", sql.search(CaseQuery(applicants=("s1.ab", "legacy.cd")), None, 51),
     frozenset({"sort"})),
    ("by workflow", sql.search(CaseQuery(workflow="enterprise-startup"), None, 51),
     frozenset()),
    ("by status", sql.search(CaseQuery(status="intake"), None, 51), frozenset()),
    ("by status, next page", sql.search(CaseQuery(status="intake"), (KEY, "c1"), 51),
     frozenset()),
    ("by department", sql.search(CaseQuery(department="tax"), None, 51),
     frozenset({"distinct"})),
    ("by step", sql.search(CaseQuery(step="tax"), None, 51), frozenset({"distinct"})),
    ("by department and step", sql.search(CaseQuery(department="tax", step="tax"), None, 51),
     frozenset({"distinct"})),
    ("by dates", sql.search(CaseQuery(submitted_from=date(2026, 9, 1),
                                      submitted_to=date(2026, 10, 1)), None, 51), frozenset()),
    ("by workflow, status and dates", sql.search(CaseQuery(
        workflow="enterprise-startup", status="intake", submitted_from=date(2026, 9, 1)),
        None, 51), frozenset()),
    ("unlisted cases", (sql.UNLISTED, [500]), frozenset({"ordered:cases_unlisted"})),
]
IDS = [q[0] for q in QUERIES]


def fill(store: Any) -> None:
    """A few cases in varied positions, so that the planner has rows to plan over (its
    statistics too: ANALYZE runs after)."""
    clock = FixedClock(START)
    engine = Engine(store, clock=clock)
    workflow = shipped("enterprise_startup.yaml")
    engine.deploy(workflow)
    for n in range(12):
        case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow),
                             applicant=APPLICANTS[n % len(APPLICANTS)])
        if n % 2:
            from onething.cases.records import window
            engine.accept(case.id, window(workflow.lead))
        clock.advance(timedelta(hours=5))


@pytest.fixture
def sqlite_plan(tmp_path: Path) -> Iterator[Callable[[str, list[Any]], str]]:
    from onething.stores.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "plans.sqlite3")
    fill(store)
    store._db.execute("ANALYZE")

    def plan(text: str, params: list[Any]) -> str:
        rows = store._db.execute(f"EXPLAIN QUERY PLAN {text}", params).fetchall()
        depth = {0: -1}
        lines = []
        for node, parent, _, detail in rows:  # indented by depth, as the sqlite3 shell does
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + str(detail))
        return "\n".join(lines)

    yield plan
    store.close()


@pytest.fixture
def postgres_plan(pg_store: Any) -> Iterator[Callable[[str, list[Any]], str]]:
    fill(pg_store)

    def plan(text: str, params: list[Any]) -> str:
        with pg_store._tx() as cur:  # the generic plan: the one the store's statement runs
            cur.execute("SET LOCAL enable_seqscan = off")
            return generic_plan(cur, text, params)

    yield plan


@pytest.mark.parametrize("name, query, allowed", QUERIES, ids=IDS)
def test_sqlite_searches_an_index_for_every_list(sqlite_plan: Callable[[str, list[Any]], str],
                                                 name: str, query: sql.Query,
                                                 allowed: frozenset[str]) -> None:
    plan = sqlite_plan(*query)
    top = plan.splitlines()
    for line in (raw.strip() for raw in plan.splitlines()):
        if line == "SCAN k":  # the page's keys (at most limit + 1), joined to their cases
            continue
        if line == "USE TEMP B-TREE FOR ORDER BY" and line in top and "SCAN k" in top:
            continue  # ... and put in order: limit + 1 rows, not every match
        if line.startswith("SCAN"):
            # only a list of every case (every case awaiting intake) may read its index in
            # order, LIMIT rows of it
            assert any(a.startswith("ordered:") and f"USING INDEX {a[8:]}" in line
                       for a in allowed), plan
        if "TEMP B-TREE FOR ORDER BY" in line:  # a sort reads every match before the first
            assert "sort" in allowed, plan
        if "TEMP B-TREE FOR DISTINCT" in line:
            assert "distinct" in allowed, plan
    assert "SEARCH" in plan or any(a.startswith("ordered:") for a in allowed), plan


@pytest.mark.parametrize("name, query, allowed", QUERIES, ids=IDS)
def test_postgres_searches_an_index_for_every_list(
        postgres_plan: Callable[[str, list[Any]], str], name: str, query: sql.Query,
        allowed: frozenset[str]) -> None:
    plan = postgres_plan(*query)
    assert "Seq Scan" not in plan, plan
    assert "Index" in plan, plan


def test_postgres_store_connections_run_the_generic_plans(pg_store: Any) -> None:
    """The plans checked above are the ones the store runs: each of its connections (the
    case numbers' too, and one opened again after a loss) asks for the generic plan, with no
    parallel workers."""
    def mode(conn: Any) -> tuple[str, str]:
        with conn.transaction():
            return (str(conn.execute("SHOW plan_cache_mode").fetchone()[0]),
                    str(conn.execute("SHOW max_parallel_workers_per_gather").fetchone()[0]))

    assert mode(pg_store._conn) == ("force_generic_plan", "0")
    again = pg_store._connect()
    try:
        assert mode(again) == ("force_generic_plan", "0")
    finally:
        again.close()


#: the queries partial indexes serve (schema 7), and the index each must read: the plan
#: tests above only ask for *an* index, and a department's queue index would do for these
PARTIAL: dict[str, str] = {
    "one officer's queue": "work_assignee", "one officer's next page": "work_assignee",
    "a department's alerts": "work_alerts", "alerts": "work_alerts_all",
    "alerts, next page": "work_alerts_all",
    "alert counts (the telemetry gauges)": "work_alerts_all"}


@pytest.mark.parametrize("name", sorted(PARTIAL))
def test_a_query_a_partial_index_serves_reads_it(
        sqlite_plan: Callable[[str, list[Any]], str],
        postgres_plan: Callable[[str, list[Any]], str], name: str) -> None:
    query = next(q for n, q, _ in QUERIES if n == name)
    used = re.compile(rf"\b{PARTIAL[name]}\b")
    for plan in (sqlite_plan(*query), postgres_plan(*query)):
        assert used.search(plan), plan
