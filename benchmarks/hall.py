"""Section 9: queues and search at 10k, 100k and 1M cases (issue 16 item 3).

Goal: a page of 50 costs the same at 10k, 100k and 1M cases (<= 1.25x from the smallest to the
largest) and at most 3x a raw indexed SELECT of the same rows in the same run.

One database per kind (an SQLite file; a PostgreSQL database on a throwaway server, started
with tests/support/pgserver.py) is made by opening the store (its schema and indexes), then
filled FAST: synthetic cases inserted directly (SQLite ``executemany`` in one transaction,
PostgreSQL ``COPY``), their listing columns and work items filled as
:func:`onething.stores._listing_sql.listing_values` and ``work_rows`` fill them (rank is
-priority, moments are :func:`~onething.cases.listing.utc_key` texts). The database grows
10k -> 100k -> 1M by inserting the difference, ANALYZE (PostgreSQL: VACUUM ANALYZE) after each
growth, and a copy is kept at each size, so that every size is measured side by side in the
same rounds: the size ratios, like the ratios to the raw SELECT, compare moments of one run.

Each list is timed through the store method the engine calls (``work_queue``, ``alerts``,
``intake_queue``, ``search``: the query, the work items of the listed cases, decoding) and as
a hand-written raw SELECT of the same columns with the same WHERE, ORDER BY and LIMIT (executed
and fetched, nothing decoded), on a connection of its own; the department queue is also timed
end to end through ``Engine.queue`` (cursor, items with their status).

    PYTHONPATH=src .venv/bin/python -m benchmarks.hall [--quick]
"""

from __future__ import annotations

import gc
import json
import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from benchmarks.common import ROOT, cores, cpu_name, verdict
from onething.cases.listing import NO_DUE, CaseQuery, utc_key
from onething.cases.records import window
from onething.engine.engine import Engine
from onething.language.load import load, parse
from onething.language.model import Workflow
from onething.stores import _listing_sql as listed
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, FixedClock

SIZES = (10_000, 100_000, 1_000_000)
PAGE = 50
#: "now" for every list (the alerts' moment, the engine's clock)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
SCALE_GOAL = 1.25
RAW_GOAL = 3.0
#: cases generated and inserted at a time (both databases get the same chunk)
CHUNK = 50_000

#: status, share of the cases (percent), submitted within (days before NOW: from, to)
STATUSES = (("intake", 5, (0, 10)), ("in_progress", 45, (0, 120)),
            ("result", 40, (7, 730)), ("refusal", 5, (7, 730)),
            ("withdrawal", 3, (2, 730)), ("termination", 2, (30, 730)))
GREEN = 0.03  # share of green-channel cases (priority 1, rank -1)
NOTICE_OUT = 0.10  # share of intake cases whose one notice (一次性告知) is out
APPLICANTS_PER_CASE = 0.7  # distinct applicants per case: most have one case, some several
OFFICERS = 4  # officers per department holding work (40% of the items are held)

#: the shipped workflows, and how often each is applied for (weights)
SHIPPED = {"construction_gov_investment.yaml": 3, "enterprise_startup.yaml": 18,
           "major_project_green_channel.yaml": 2, "newborn.yaml": 14,
           "restaurant_opening.yaml": 12, "retirement.yaml": 10}
#: four more, smaller ones on the same 20 departments: id, lead, steps (id, department), weight
EXTRA = (("business-licence-change", "market_regulation",
          (("change_review", "market_regulation"), ("tax_update", "tax"),
           ("seal_update", "public_security")), 12),
         ("housing-fund-transfer", "housing_fund_centre",
          (("transfer_review", "housing_fund_centre"), ("bank_transfer", "bank")), 10),
         ("medical-reimbursement", "medical_security",
          (("claim_review", "medical_security"), ("hospital_check", "health"),
           ("payment", "bank")), 12),
         ("demolition-permit", "housing_construction",
          (("site_check", "urban_management"), ("permit", "housing_construction"),
           ("archives", "urban_archives")), 6))

#: what the lists are asked for
DEPARTMENT = "market_regulation"
WINDOW = "market_regulation"
WORKFLOW = "restaurant-opening"

CASE_COLUMNS = ("id, workflow_id, workflow_version, content_hash, version, state, created_at, "
                "updated_at, ended, status, lead, applicant, rank, submitted_key, intake_key, "
                "notice_out, waiting, listed")


def _extra_text(workflow_id: str, lead: str, steps: Sequence[tuple[str, str]]) -> str:
    lines = ["onething: 1", f"id: {workflow_id}", "version: 1", f"title: {workflow_id}",
             f"lead: {lead}", "form:", "  fields:",
             "    company: {type: string, required: true}", "steps:"]
    lines += [f"  - {{id: {s}, department: {d}, reads: [company], produces: [{s}_item]}}"
              for s, d in steps]
    lines += ["delivery:", f"  bundle: [{steps[0][0]}_item]", "  methods: [window, mail]"]
    return "\n".join(lines) + "\n"


def workflows() -> list[tuple[Workflow, int]]:
    """The ten workflows cases are made of, each with its weight."""
    out = [(load(ROOT / "workflows" / name), weight) for name, weight in SHIPPED.items()]
    out += [(parse(_extra_text(i, lead, steps)).unwrap(), weight)
            for i, lead, steps, weight in EXTRA]
    return out


# -- synthetic cases ---------------------------------------------------------------------------


@dataclass
class Template:
    """One workflow as the generator uses it: the keys of its deployment, its steps, and the
    stored state of a real case made through the Engine (split around the applicant)."""

    workflow_id: str
    version: int
    content_hash: str
    lead: str
    steps: list[tuple[str, str]]
    #: (phase, priority) -> (state before the applicant, state after it)
    states: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)


def templates(work: Path, chosen: list[tuple[Workflow, int]]) -> list[Template]:
    """A real case of each workflow, submitted (intake) and accepted (in progress), made
    through the Engine in a scratch database: the states every synthetic case copies."""
    from tests.support.factories import sample_form, sample_materials

    path = work / "templates.sqlite3"
    store = SqliteStore(path, synchronous="NORMAL")
    engine = Engine(store, clock=FixedClock(NOW))
    made: list[tuple[Workflow, str, str]] = []
    for workflow, _ in chosen:
        engine.deploy(workflow)
        waiting = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
        going = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
        engine.accept(going.id, window(workflow.lead))
        made.append((workflow, waiting.id, going.id))
    store.close()
    db = sqlite3.connect(path)
    out = []
    for workflow, waiting, going in made:
        rows = {r[0]: r[1:] for r in db.execute(
            "SELECT id, workflow_version, content_hash, state, applicant FROM cases "
            "WHERE id IN (?, ?)", (waiting, going))}
        version, content_hash = rows[waiting][0], rows[waiting][1]
        steps = [(s.id, d) for s in workflow.iter_steps() if s.opens is None
                 for d in s.signers]
        template = Template(workflow.id, version, content_hash, workflow.lead, steps)
        for phase, case_id in (("intake", waiting), ("in_progress", going), ("done", going)):
            state = json.loads(rows[case_id][2])
            if phase == "done":
                state["delivery_kind"] = "result"
            for priority in (0, 1):
                state["priority"] = priority
                state["applicant"] = "@applicant@"
                text = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
                before, after = text.split("@applicant@")
                template.states[(phase, priority)] = (before, after)
        out.append(template)
    db.close()
    return out


_DAY_PREFIX: dict[int, str] = {}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _stamp(seconds: int, suffix: str) -> str:
    """``seconds`` since the epoch as fixed-width text: the day's prefix is remembered."""
    day, rest = divmod(seconds, 86400)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")
    return f"{prefix}{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}{suffix}"


def key(seconds: int) -> str:
    """As :func:`onething.cases.listing.utc_key` writes the moment."""
    return _stamp(seconds, ".000000Z")


def local_text(seconds: int) -> str:
    """As the stores write ``created_at``: ISO text in Asia/Shanghai."""
    return _stamp(seconds + 8 * 3600, "+08:00")


def pseudonym(n: int) -> str:
    """An applicant's pseudonym, shaped like the engine's (``s1.`` and 24 hex digits)."""
    return f"s1.{(n * 0x9E3779B97F4A7C15 + 0x5DEECE66D) % (1 << 96):024x}"


#: the applicant searched for: three cases (the first three made), at every size
PERSON = pseudonym(10**12)

CaseRow = tuple[Any, ...]
WorkRow = tuple[Any, ...]


class Synthetic:
    """Cases of the hall, deterministic for a seed: ``chunk(n, pool)`` makes the next ``n``
    (cases rows in :data:`CASE_COLUMNS` order, work item rows in ``WORK_COLUMNS`` order),
    their applicants drawn from ``pool`` pseudonyms."""

    def __init__(self, chosen: list[Template], weights: list[int], seed: int = 16) -> None:
        self.templates = chosen
        self.weights = weights
        self.rng = Random(seed)
        self.now = int(NOW.timestamp())
        self.serials: dict[str, int] = {}
        self.made = 0
        self.first_id = ""
        moment = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)  # the texts are the stores' texts
        assert key(int(moment.timestamp())) == utc_key(moment)
        assert local_text(int(moment.timestamp())) == moment.astimezone(SHANGHAI).isoformat()

    def chunk(self, count: int, pool: int) -> tuple[list[CaseRow], list[WorkRow]]:
        rng = self.rng
        cases: list[CaseRow] = []
        work: list[WorkRow] = []
        picks = rng.choices(self.templates, self.weights, k=count)
        kinds = rng.choices(STATUSES, [s[1] for s in STATUSES], k=count)
        for template, (status, _, (newest, oldest)) in zip(picks, kinds, strict=True):
            submitted = self.now - rng.randrange(newest * 86400, oldest * 86400 + 1)
            day = local_text(submitted)[:10].replace("-", "")
            serial = self.serials[day] = self.serials.get(day, 0) + 1
            case_id = f"430381-{day}-{serial:06d}"
            priority = 1 if rng.random() < GREEN else 0
            # the first three cases are one applicant's, searched for at every size
            applicant = PERSON if self.made + len(cases) < 3 else pseudonym(rng.randrange(pool))
            submitted_key = key(submitted)
            waiting = "[]"
            intake_key = None
            notice_out = 0
            if status == "intake":
                phase, version, updated, ended = "intake", 0, submitted, 0
                if rng.random() < NOTICE_OUT:
                    notice_out, version = 1, 1
                    intake_key = NO_DUE
                else:
                    intake_key = key(submitted + 7 * 86400)
            elif status == "in_progress":
                phase, version, ended = "in_progress", rng.randrange(1, 9), 0
                updated = min(self.now, submitted + rng.randrange(0, 20 * 86400))
                first = len(work)
                steps = rng.sample(template.steps,
                                   min(len(template.steps), rng.choice((1, 1, 1, 2, 2, 3))))
                for step, department in steps:
                    draw = rng.random()
                    position = ("step" if draw < 0.90 else "correction" if draw < 0.96
                                else "corrected" if draw < 0.98 else "special")
                    paused = position in ("correction", "special") and rng.random() < 0.5
                    assignee = (f"{department}-{rng.randrange(OFFICERS):02d}"
                                if rng.random() < 0.4 else None)
                    if paused:
                        due_key, warn_key = NO_DUE, None
                    else:
                        due = submitted + rng.randrange(2 * 86400, 60 * 86400)
                        due_key, warn_key = key(due), key(due - 3 * 86400)
                    work.append((case_id, step, department, position, assignee, -priority,
                                 due_key, warn_key, submitted_key,
                                 int(rng.random() < 0.01), int(paused)))
                waiting = listed.waiting_text(work[first:])
            else:
                phase, version, ended = "done", rng.randrange(5, 16), 1
                updated = min(self.now, submitted + rng.randrange(86400, 40 * 86400))
            before, after = template.states[(phase, priority)]
            state = before + applicant + after
            if phase == "done" and status != "result":
                state = state.replace('"delivery_kind":"result"',
                                      f'"delivery_kind":"{status}"', 1)
            cases.append((case_id, template.workflow_id, template.version,
                          template.content_hash, version, state, local_text(submitted),
                          local_text(updated), ended, status, template.lead, applicant,
                          -priority, submitted_key, intake_key, notice_out, waiting, 1))
        if not self.first_id and cases:
            self.first_id = cases[0][0]
        self.made += count
        return cases, work


# -- the two databases -------------------------------------------------------------------------


class SqliteSide:
    """The SQLite file being grown, and a copy of it at each size."""

    name = "SQLite"

    def __init__(self, work: Path, chosen: list[Workflow]) -> None:
        self.work = work
        self.path = work / "hall.sqlite3"
        store = SqliteStore(self.path)  # the schema and every index, as the store makes them
        engine = Engine(store, clock=FixedClock(NOW))
        for workflow in chosen:
            engine.deploy(workflow)
        store.close()
        self.load_seconds = 0.0
        self.analyze_seconds = 0.0
        self._db: sqlite3.Connection | None = None

    def begin(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -1000000")  # 1 GB: the indexes stay in memory
        db.execute("BEGIN")
        self._db = db

    def insert(self, cases: list[CaseRow], work: list[WorkRow]) -> None:
        assert self._db is not None
        began = time.perf_counter()
        marks = ", ".join("?" * len(CASE_COLUMNS.split(", ")))
        self._db.executemany(f"INSERT INTO cases ({CASE_COLUMNS}) VALUES ({marks})", cases)
        self._db.executemany(listed.INSERT_WORK, work)
        self.load_seconds += time.perf_counter() - began

    def finish(self, size: int) -> str:
        """Commit, ANALYZE, and keep a copy of the file at this size (its path)."""
        assert self._db is not None
        began = time.perf_counter()
        self._db.execute("COMMIT")
        self.load_seconds += time.perf_counter() - began
        began = time.perf_counter()
        self._db.execute("ANALYZE")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()
        self._db = None
        self.analyze_seconds += time.perf_counter() - began
        copy = self.work / f"hall-{size}.sqlite3"
        shutil.copyfile(self.path, copy)
        return str(copy)

    def open(self, where: str) -> tuple[Any, Callable[[str, list[Any]], list[Any]], Any]:
        """(store, raw fetch, closer) on the copy at ``where``."""
        store = SqliteStore(where)
        raw = sqlite3.connect(where, isolation_level=None, check_same_thread=False)

        def fetch(sql: str, params: list[Any]) -> list[Any]:
            return raw.execute(sql, params).fetchall()

        def close() -> None:
            store.close()
            raw.close()

        return store, fetch, close

    def settle(self) -> None:
        pass

    def explain(self, where: str, sql: str, params: list[Any]) -> str:
        db = sqlite3.connect(where)
        try:
            return "\n".join(str(r[-1]) for r in
                             db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
        finally:
            db.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


class PostgresSide:
    """The PostgreSQL database being grown, and a copy (``CREATE DATABASE ... TEMPLATE``) at
    each size."""

    name = "PostgreSQL"

    def __init__(self, server_url: str, chosen: list[Workflow]) -> None:
        import psycopg

        from onething.stores.postgres import PostgresStore

        self.server_url = server_url
        self.base = "hall_" + uuid.uuid4().hex[:8]
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {self.base}")
            self.version = admin.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        self.url = self._url(self.base)
        store = PostgresStore(self.url)
        engine = Engine(store, clock=FixedClock(NOW))
        for workflow in chosen:
            engine.deploy(workflow)
        store.close()
        self.load_seconds = 0.0
        self.analyze_seconds = 0.0
        self._conn: Any = None

    def _url(self, name: str) -> str:
        return self.server_url.rsplit("/", 1)[0] + "/" + name

    def begin(self) -> None:
        import psycopg

        self._conn = psycopg.connect(self.url)

    def insert(self, cases: list[CaseRow], work: list[WorkRow]) -> None:
        began = time.perf_counter()
        with self._conn.cursor() as cur:
            with cur.copy(f"COPY cases ({CASE_COLUMNS}) FROM STDIN") as copy:
                for row in cases:  # ``ended`` is a boolean here
                    copy.write_row((*row[:8], bool(row[8]), *row[9:]))
            with cur.copy(f"COPY work_items ({listed.WORK_COLUMNS}) FROM STDIN") as copy:
                for row in work:
                    copy.write_row(row)
        self.load_seconds += time.perf_counter() - began

    def finish(self, size: int) -> str:
        import psycopg

        began = time.perf_counter()
        self._conn.commit()
        self._conn.close()
        self._conn = None
        self.load_seconds += time.perf_counter() - began
        began = time.perf_counter()
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute("VACUUM ANALYZE cases")
            db.execute("VACUUM ANALYZE work_items")
        self.analyze_seconds += time.perf_counter() - began
        name = f"{self.base}_{size}"
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {self.base}")
        return self._url(name)

    def open(self, where: str) -> tuple[Any, Callable[[str, list[Any]], list[Any]], Any]:
        import psycopg

        from onething.stores.postgres import PostgresStore

        store = PostgresStore(where)
        raw = psycopg.connect(where, autocommit=True)
        raw.execute("SET plan_cache_mode = force_generic_plan")  # as the store's connection
        raw.execute("SET max_parallel_workers_per_gather = 0")

        def fetch(sql: str, params: list[Any]) -> list[Any]:
            return raw.execute(listed.for_postgres(sql).encode(), params).fetchall()

        def close() -> None:
            store.close()
            raw.close()

        return store, fetch, close

    def settle(self) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True) as admin:
            admin.execute("CHECKPOINT")

    def explain(self, where: str, sql: str, params: list[Any]) -> str:
        import psycopg
        from tests.support.pgplans import generic_plan

        with psycopg.connect(where, autocommit=True) as db, db.cursor() as cur:
            return generic_plan(cur, sql, params, "ANALYZE, COSTS OFF")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


# -- the lists ---------------------------------------------------------------------------------

WORK = ("case_id, step, department, position, assignee, rank, due_key, warn_key, "
        "submitted_key, provisional, paused")
#: a case list's columns: the case and, in ``waiting``, the steps it waits on (as the store
#: reads them: a case list shows what each case waits on)
CASE = ("c.id, c.workflow_id, c.status, c.lead, c.applicant, c.rank, c.submitted_key, "
        "c.intake_key, c.notice_out, c.intake_warn_key, c.waiting")
Fetch = Callable[[str, list[Any]], list[Any]]


@dataclass
class Probe:
    """One list: the store call, the SQL the store runs for it (``query``, with ``?``), the
    hand-written raw SELECT of the same rows, and whether it lists work items or cases."""

    name: str
    store: Callable[[Any], Sequence[Any]]
    query: listed.Query
    sql: str
    params: list[Any]
    of_work: bool
    engine: Callable[[Engine], Any] | None = None

    def keys(self, items: Sequence[Any]) -> list[Any]:
        """What identifies each listed item, in order (to check the store's rows are the raw
        ones): work items; a case list's cases with their waiting steps."""
        if self.of_work:
            return [(i.case_id, i.step, i.department) for i in items]
        return [(i.case_id, [(w.step, w.department) for w in i.work]) for i in items]

    def raw_keys(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        if self.of_work:
            return [tuple(r[:3]) for r in rows]
        return [(r[0], [(w[0], w[1]) for w in json.loads(r[10])]) for r in rows]

    def store_sql(self, fetch: Fetch) -> None:
        """The store's SQL alone, as it runs it, nothing decoded."""
        fetch(*self.query)


def probes(fetch: Fetch, first_id: str) -> list[Probe]:
    """The lists timed at one size, their parameters found in that database (``fetch``)."""
    now_key = utc_key(NOW)
    depth = fetch("SELECT count(*) FROM work_items WHERE department = ?", [DEPARTMENT])[0][0]
    middle = tuple(fetch("SELECT rank, due_key, case_id, step FROM work_items "
                         "WHERE department = ? ORDER BY rank, due_key, case_id, step "
                         "LIMIT 1 OFFSET ?", [DEPARTMENT, depth // 2])[0])
    officer = f"{DEPARTMENT}-00"
    applicants = (PERSON, "legacy." + "0" * 24)  # the engine asks for the legacy one too
    month = (date(2025, 12, 1), date(2025, 12, 31))
    bounds = [utc_key(listed.day_start(month[0], 0)), utc_key(listed.day_start(month[1], 1))]

    def work(name: str, call: Callable[[Any], Sequence[Any]], query: listed.Query,
             where: str, params: list[Any], order: str,
             engine: Callable[[Engine], Any] | None = None) -> Probe:
        return Probe(name, call, query, f"SELECT {WORK} FROM work_items WHERE {where} "
                     f"ORDER BY {order} LIMIT ?", [*params, PAGE], True, engine)

    def cases(name: str, call: Callable[[Any], Sequence[Any]], query: listed.Query,
              where: str, params: list[Any], order: str) -> Probe:
        return Probe(name, call, query, f"SELECT {CASE} FROM cases c WHERE "
                                        f"{where} ORDER BY {order} LIMIT ?",
                     [*params, PAGE], False)

    def search(name: str, filters: CaseQuery, where: str, params: list[Any],
               by_work: bool = False) -> Probe:
        condition = f" WHERE {where}" if where else ""
        if by_work:  # the page's keys, then their cases: one index range and 50 lookups
            assert not where.startswith("c.")  # (a filter on the case would join the cases)
            sql = (f"SELECT {CASE}, k.sort_key, k.sort_id FROM (SELECT DISTINCT "
                   "w.submitted_key AS sort_key, w.case_id AS sort_id FROM work_items w"
                   f"{condition} ORDER BY sort_key DESC, "
                   "sort_id DESC LIMIT ?) k JOIN cases c ON c.id = k.sort_id "
                   "ORDER BY k.sort_key DESC, k.sort_id DESC")
        else:
            sql = (f"SELECT {CASE}, c.submitted_key AS sort_key, c.id AS sort_id "
                   f"FROM cases c{condition} "
                   "ORDER BY c.submitted_key DESC, c.id DESC LIMIT ?")
        return Probe(name, lambda s: s.search(filters, limit=PAGE),
                     listed.search(filters, None, PAGE), sql, [*params, PAGE],
                     False)

    queue_order = "rank, due_key, case_id, step"
    alert_order = "warn_key, case_id, step, department"
    intake_order = "c.rank, c.intake_key, c.id"
    return [
        work("department queue, first page",
             lambda s: s.work_queue(DEPARTMENT, limit=PAGE),
             listed.queue(DEPARTMENT, None, None, PAGE), "department = ?", [DEPARTMENT],
             queue_order, engine=lambda e: e.queue(DEPARTMENT, NOW, limit=PAGE).items),
        work(f"department queue, a deep page (after item {depth // 2:,} of {depth:,})",
             lambda s: s.work_queue(DEPARTMENT, after=middle, limit=PAGE),
             listed.queue(DEPARTMENT, None, middle, PAGE),
             "department = ? AND (rank, due_key, case_id, step) > (?, ?, ?, ?)",
             [DEPARTMENT, *middle], queue_order),
        work("one officer's queue",
             lambda s: s.work_queue(DEPARTMENT, assignee=officer, limit=PAGE),
             listed.queue(DEPARTMENT, officer, None, PAGE), "department = ? AND assignee = ?",
             [DEPARTMENT, officer], queue_order),
        work("alerts, every department", lambda s: s.alerts(NOW, limit=PAGE),
             listed.alerts(NOW, None, None, PAGE), "warn_key <= ?", [now_key], alert_order),
        work("alerts, one department",
             lambda s: s.alerts(NOW, department=DEPARTMENT, limit=PAGE),
             listed.alerts(NOW, DEPARTMENT, None, PAGE), "warn_key <= ? AND department = ?",
             [now_key, DEPARTMENT], alert_order),
        cases("intake queue, one window", lambda s: s.intake_queue(lead=WINDOW, limit=PAGE),
              listed.intake(WINDOW, None, PAGE), "c.status = 'intake' AND c.lead = ?",
              [WINDOW], intake_order),
        cases("intake queue, every window", lambda s: s.intake_queue(limit=PAGE),
              listed.intake(None, None, PAGE), "c.status = 'intake'", [], intake_order),
        search("search by number", CaseQuery(number=first_id), "c.id = ?", [first_id]),
        search("search by applicant (3 cases)", CaseQuery(applicants=applicants),
               "c.applicant IN (?, ?)", list(applicants)),
        search("search by status (in_progress, 45%)", CaseQuery(status="in_progress"),
               "c.status = ?", ["in_progress"]),
        search("search by workflow and status (in_progress)",
               CaseQuery(workflow=WORKFLOW, status="in_progress"),
               "c.workflow_id = ? AND c.status = ?", [WORKFLOW, "in_progress"]),
        search("search by workflow and a rare status (refusal, 5%)",
               CaseQuery(workflow=WORKFLOW, status="refusal"),
               "c.workflow_id = ? AND c.status = ?", [WORKFLOW, "refusal"]),
        search("search by department (work waiting there)", CaseQuery(department=DEPARTMENT),
               "w.department = ?", [DEPARTMENT], by_work=True),
        search("search by submission dates (one month)",
               CaseQuery(submitted_from=month[0], submitted_to=month[1]),
               "c.submitted_key >= ? AND c.submitted_key < ?", bounds),
        search("search, every case (first page)", CaseQuery(), "", []),
    ]


# -- timing ------------------------------------------------------------------------------------


def race(contenders: dict[Any, Callable[[], object]], rounds: int,
         warm: int = 5) -> dict[Any, float]:
    """Median seconds of each contender, called once each per round, in alternating rounds
    (so that a busy moment of the machine falls on all alike), after ``warm`` calls each."""
    for run in contenders.values():
        for _ in range(warm):
            run()
    gc.collect()
    samples: dict[Any, list[float]] = {k: [] for k in contenders}
    clock = time.perf_counter
    for _ in range(rounds):
        for k, run in contenders.items():
            began = clock()
            run()
            samples[k].append(clock() - began)
    return {k: statistics.median(v) for k, v in samples.items()}


@dataclass
class Opened:
    size: int
    where: str
    store: Any
    fetch: Fetch
    close: Callable[[], None]
    engine: Engine
    probes: list[Probe]


@dataclass
class Result:
    """What one database's table says."""

    rows: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    worst_scale: float = 0.0
    worst_raw: float = 0.0
    #: the same, for a first read (nothing decoded remembered)
    worst_first_scale: float = 0.0
    worst_first_raw: float = 0.0
    #: the store's SQL alone over the raw SELECT, at the largest size, per list
    sql_to_raw: list[float] = field(default_factory=list)


def measure(side: Any, copies: dict[int, str], first_id: str, rounds: int) -> Result:
    """Time every list at every size of one database, side by side."""
    opened = []
    for size, where in copies.items():
        store, fetch, close = side.open(where)
        engine = Engine(store, clock=FixedClock(NOW))
        opened.append(Opened(size, where, store, fetch, close, engine,
                             probes(fetch, first_id)))
    sizes = [o.size for o in opened]
    small, large = sizes[0], sizes[-1]
    out = Result()
    try:
        for index in range(len(opened[0].probes)):
            contenders: dict[Any, Callable[[], object]] = {}
            firsts: dict[Any, Callable[[], object]] = {}
            counts = []
            for o in opened:
                p = o.probes[index]
                got = p.keys(p.store(o.store))
                if got != p.raw_keys(o.fetch(p.sql, p.params)):
                    raise AssertionError(f"{side.name} {o.size:,}: {p.name}: the store and "
                                         "the raw SELECT listed different rows")
                counts.append(len(got))
                contenders[(o.size, "store")] = lambda p=p, o=o: p.store(o.store)
                firsts[(o.size, "first")] = lambda p=p, o=o: (listed.forget(),
                                                              p.store(o.store))
                contenders[(o.size, "sql")] = lambda p=p, o=o: p.store_sql(o.store._fetch)
                contenders[(o.size, "raw")] = lambda p=p, o=o: o.fetch(p.sql, p.params)
                firsts[(o.size, "raw beside first")] = contenders[(o.size, "raw")]
                if p.engine is not None:
                    contenders[(o.size, "engine")] = lambda p=p, o=o: p.engine(o.engine)
            t = race(contenders, rounds)
            # apart: a first read forgets what every other read would find remembered
            t.update(race(firsts, rounds))
            last = opened[-1].probes[index]
            raw_scale = t[(large, "raw")] / t[(small, "raw")]
            sql_to_raw = t[(large, "sql")] / t[(large, "raw")]
            out.sql_to_raw.append(sql_to_raw)
            first_scale = t[(large, "first")] / t[(small, "first")]
            first_raw = max(t[(s, "first")] / t[(s, "raw beside first")] for s in sizes)
            out.worst_first_scale = max(out.worst_first_scale, first_scale)
            out.worst_first_raw = max(out.worst_first_raw, first_raw)
            first = (f"{_mark(first_scale, SCALE_GOAL)} | "
                     f"{_mark(t[(large, 'first')] / t[(large, 'raw beside first')], RAW_GOAL)}")
            for kind in ["store"] + (["engine"] if last.engine else []):
                scale = t[(large, kind)] / t[(small, kind)]
                to_raw = t[(large, kind)] / t[(large, "raw")]
                out.worst_scale = max(out.worst_scale, scale)
                out.worst_raw = max(out.worst_raw, *(t[(s, kind)] / t[(s, "raw")]
                                                     for s in sizes))
                label = last.name if kind == "store" else \
                    f"`Engine.queue`: {last.name}, end to end"
                if any(c != PAGE for c in counts):
                    label += f" ({'/'.join(str(c) for c in counts)} rows)"
                cells = " | ".join(f"{t[(s, kind)] * 1e3:.3f}" for s in sizes)
                out.rows.append(
                    f"| {label} | {cells} | {_mark(scale, SCALE_GOAL)} | {raw_scale:.2f}x | "
                    f"{t[(large, 'raw')] * 1e3:.3f} | {sql_to_raw:.2f}x | "
                    f"{_mark(to_raw, RAW_GOAL)} | {first if kind == 'store' else '-- | --'} |")
            # the plan, where a page grows with the cases or the query itself costs
            raw_ms = t[(large, "raw")] * 1e3
            if (t[(large, "store")] / t[(small, "store")] > SCALE_GOAL or raw_ms > 2
                    or (raw_scale > SCALE_GOAL and raw_ms > 0.5)):
                out.plans.append(
                    f"{side.name}, {last.name}: the raw SELECT takes "
                    f"{t[(large, 'raw')] * 1e3:.2f} ms at {_size(large)}, {raw_scale:.2f}x "
                    f"its time at {_size(small)}. Its plan at {_size(large)}:\n\n      "
                    + side.explain(opened[-1].where, last.sql, last.params)
                    .replace("\n", "\n      "))
    finally:
        for o in opened:
            o.close()
    return out


def table(result: Result, sizes: Sequence[int]) -> list[str]:
    small, large = _size(sizes[0]), _size(sizes[-1])
    head = ("| list (page of 50) | " + " | ".join(f"{_size(s)} ms" for s in sizes)
            + f" | {large} / {small} | raw {large} / {small} | raw at {large}, ms | "
            f"store's SQL alone / raw at {large} | store / raw at {large} | "
            f"first read {large} / {small} | first read / raw at {large} |")
    return [f"Goal: flat from {small} to {large} (<= {SCALE_GOAL}x): "
            f"{verdict(result.worst_scale <= SCALE_GOAL)} (worst {result.worst_scale:.2f}x). "
            f"Goal: <= {RAW_GOAL:.0f}x the raw SELECT: {verdict(result.worst_raw <= RAW_GOAL)} "
            f"(worst {result.worst_raw:.2f}x, at any size; the store's SQL alone, without "
            f"decoding, is {min(result.sql_to_raw):.2f}x to {max(result.sql_to_raw):.2f}x "
            f"the raw SELECT at {large}). A first read (nothing decoded remembered): "
            f"{result.worst_first_scale:.2f}x from {small} to {large}, "
            f"{verdict(result.worst_first_scale <= SCALE_GOAL)}; at worst "
            f"{result.worst_first_raw:.2f}x the raw SELECT, "
            f"{verdict(result.worst_first_raw <= RAW_GOAL)}.", "",
            head, "| --- |" + " ---: |" * (len(sizes) + 7), *result.rows]


def _mark(value: float, goal: float) -> str:
    return f"{value:.2f}x" if value <= goal else f"**{value:.2f}x**"


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


# -- the section -------------------------------------------------------------------------------


def build(sides: list[Any], sizes: Sequence[int], generator: Synthetic,
          timings: dict[str, float]) -> list[dict[int, str]]:
    """Grow every side to each size in turn (the same cases in each); the copies' places."""
    copies: list[dict[int, str]] = [{} for _ in sides]
    for size in sizes:
        for side in sides:
            side.begin()
        while generator.made < size:
            began = time.perf_counter()
            count = min(CHUNK, size - generator.made)
            cases, work = generator.chunk(count, max(1, int(size * APPLICANTS_PER_CASE)))
            timings["generate"] = timings.get("generate", 0.0) + time.perf_counter() - began
            for side in sides:
                side.insert(cases, work)
        for side, kept in zip(sides, copies, strict=True):
            kept[size] = side.finish(size)
        timings[f"to {_size(size)}"] = time.perf_counter() - timings["began"]
    return copies


def hall_section(quick: bool, sizes: Sequence[int] | None = None,
                 rounds: int | None = None) -> list[str]:
    sizes = sizes or (SIZES[:2] if quick else SIZES)
    rounds = rounds or (25 if quick else 80)
    chosen = workflows()
    work = Path(tempfile.mkdtemp(prefix="onething-hall-"))
    server = None
    sides: list[Any] = []
    skipped = ""
    timings: dict[str, float] = {"began": time.perf_counter()}
    try:
        made = templates(work, chosen)
        generator = Synthetic(made, [w for _, w in chosen])
        sides.append(SqliteSide(work, [w for w, _ in chosen]))
        server, skipped = _postgres()
        if server is not None:
            sides.append(PostgresSide(server.url, [w for w, _ in chosen]))
        copies = build(sides, sizes, generator, timings)
        for side in sides:  # what the load left to write goes to disk before any timing
            side.settle()
        os.sync()
        built = time.perf_counter() - timings["began"]
        tables: list[str] = []
        plans: list[str] = []
        for side, kept in zip(sides, copies, strict=True):
            began = time.perf_counter()
            result = measure(side, kept, generator.first_id, rounds)
            timings[f"measure {side.name}"] = time.perf_counter() - began
            title = f"SQLite {sqlite3.sqlite_version}" if side.name == "SQLite" else \
                f"PostgreSQL {side.version} (a throwaway server, default settings)"
            tables += [f"**{title}**, ms per page (medians of {rounds} alternating rounds):",
                       "", *table(result, sizes), ""]
            plans += result.plans
        took = time.perf_counter() - timings["began"]
        out = [f"Measured {date.today().isoformat()} on {platform.machine()} ({cpu_name()}, "
               f"{cores()} cores); {'`--quick`' if quick else 'full'} run of this section, "
               f"{took:.0f} s.", "",
               f"Goal (issue 16): a page of {PAGE} costs the same at {_size(sizes[0])} and "
               f"{_size(sizes[-1])} cases (<= {SCALE_GOAL}x) and at most {RAW_GOAL:.0f}x a "
               "raw indexed SELECT of the same rows, measured side by side in one run.", "",
               *tables]
        if skipped:
            out += [f"PostgreSQL skipped: {skipped}", ""]
        out += _how(sizes, sides, timings, built, rounds)
        out += ["", *WHY]
        if plans:
            out += ["", "Where a page grows with the cases or its query itself costs (a raw "
                    "SELECT over 2 ms), the database's plan of it:", ""]
            out += [f"- {n}" for n in plans]
        return out
    finally:
        for side in sides:
            side.close()
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


#: what the tables above rest on (revise it with the stores)
WHY = [
    "What the figures rest on:",
    "",
    "- *The raw SELECT reads the same rows the store answers with*: a work-item list's items; "
    "a case list's cases with the steps each waits on (`cases.waiting`, read as text), in "
    "one statement, as the store reads them. On PostgreSQL its connection plans as the "
    "store's does (`plan_cache_mode = force_generic_plan`, no parallel workers). So "
    "*store / raw* is the store's own cost: the transaction around each read (PostgreSQL) "
    "and decoding the rows into "
    "records. Decoded rows are remembered by their content (a hall re-reads the same pages "
    "all day; a changed row is another key): *store* is a page read again, *first read* a "
    "page read with nothing remembered, every moment and row decoded.",
    "- *What the first figures of issue 16 missed, and what changed*: decoding parsed each "
    "moment with `strptime` (70% of a search); a search by a workflow and a rare status read "
    "rows one by one on SQLite (built without STAT4, it cannot tell the status is rare), now "
    "one range of `cases (workflow_id, status, submitted_key, id)`; a search by department "
    "on PostgreSQL ran DISTINCT over every column with parallel workers, now DISTINCT over "
    "the page's keys in a subquery holding the LIMIT, then 50 primary-key probes; a case "
    "list read each case's work items through a join to `work_items` (50 more index "
    "descents a page), now from the case row (`cases.waiting`, schema 4).",
    "- *PostgreSQL's growth from 10k to 100k*: the lists touched the same pages at every "
    "size (EXPLAIN BUFFERS) and still took 1.3 to 1.8x longer from 100k on. The cause was "
    "the server's plan cache: on `auto` it kept the generic plan of a prepared statement at "
    "10k but, from 100k on, planned every call again for its values (0.05 to 0.3 ms a "
    "call). The store's connections now ask for the generic plan, the same index range "
    "(decision 0022).",
]


def _postgres() -> tuple[Any, str]:
    try:
        from tests.support.pgserver import PgServer, find_bindir
    except ImportError as exc:  # pytest missing
        return None, f"tests/support/pgserver.py could not be imported ({exc})."
    bindir = find_bindir()
    if bindir is None:
        return None, "no PostgreSQL server binaries (initdb, pg_ctl) were found."
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "psycopg 3 is not installed (`pip install -e '.[postgres]'`)."
    server = PgServer(bindir)
    try:
        server.start()
    except Exception as exc:
        server.stop()
        return None, f"the throwaway server failed ({type(exc).__name__}: {str(exc)[:200]})."
    return server, ""


def _how(sizes: Sequence[int], sides: list[Any], timings: dict[str, float], built: float,
         rounds: int) -> list[str]:
    shares = ", ".join(f"{s} {p}%" for s, p, _ in STATUSES)
    loads = "; ".join(f"{side.name}: inserting {side.load_seconds:.0f} s, "
                      f"{'ANALYZE' if side.name == 'SQLite' else 'VACUUM ANALYZE'} "
                      f"{side.analyze_seconds:.0f} s" for side in sides)
    steps = ", ".join(f"{k} at {v:.0f} s" for k, v in timings.items()
                      if k.startswith("to "))
    large = _size(sizes[-1])
    return [
        "Columns: ms per page at each size; the largest size over the smallest, for the "
        "store and for the raw SELECT (a raw SELECT that grows as much points at the query "
        "or its index, not at the store); the raw SELECT's own time; the store's SQL alone "
        f"(the same statements through the store's connection, work items of listed cases "
        f"included, nothing decoded) and the whole store call, each over the raw SELECT at "
        f"{large}. **Bold**: over the goal. The store call is what the engine calls: "
        "`work_queue`, `alerts`, `intake_queue`, `search` (their query, the work items of "
        "the listed cases, decoding the rows). The raw SELECT is hand-written with the same "
        "columns, WHERE, ORDER BY and LIMIT, on a connection of its own, executed and "
        "fetched, nothing decoded; the store's rows were checked to be its rows. "
        "`Engine.queue` asks the store for 51 rows (to know whether a next page exists) and "
        "makes the items (with their status) and the cursor. Rows: items on the page at "
        "each size, where not 50.",
        "",
        f"The data: {', '.join(_size(s) for s in sizes)} cases of 10 workflows (the 6 shipped "
        f"and 4 smaller ones) on their 20 departments; statuses {shares} (intake submitted "
        "within the last 10 days, in progress within 120, delivered over two years); 1-3 "
        "work items per case in progress (a tenth of them at a correction, corrected or "
        f"special procedure, some of those paused; 40% held by one of {OFFICERS} officers "
        f"of the department); {GREEN:.0%} green channel; about {APPLICANTS_PER_CASE:.1f} "
        "distinct applicants per case (pseudonym-like strings; the one searched for has 3 "
        "cases at every size); case numbers `430381-YYYYMMDD-NNNNNN`. Each case row "
        "carries the stored state of a real case of its workflow made through the Engine "
        "(0.5 to 1.3 KB, its applicant changed); listing columns and work items are filled as "
        "the stores write them; no events or timers (no list reads them). One database per "
        f"kind is grown {' -> '.join(_size(s) for s in sizes)} by inserting the difference "
        "(SQLite: executemany in one transaction; PostgreSQL: COPY), ANALYZE after each "
        "growth (PostgreSQL: VACUUM ANALYZE), and a copy kept at each size; every list is "
        "then timed at every size in the same alternating rounds, after a warm-up.",
        "",
        f"Building took {built:.0f} s ({steps}; generating the rows "
        f"{timings.get('generate', 0):.0f} s; {loads}); measuring "
        + ", ".join(f"{k[8:]} {v:.0f} s" for k, v in timings.items()
                    if k.startswith("measure ")) + f" ({rounds} rounds).",
    ]


if __name__ == "__main__":
    import sys

    print("\n".join(hall_section("--quick" in sys.argv)))
