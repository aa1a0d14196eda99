"""Schema upgrades (issue 12 item 12): a database written by the release with schema 1, with
live cases in every kind of position (tests/stores/fixtures/schema_v1, made by its make.py on that
release), is upgraded in one transaction when a newer onething opens it — on SQLite and on
PostgreSQL — and its cases carry on to their one delivery.

Schema 2 -> 3 (issue 16, listings): a database written by the release with schema 2
(tests/stores/fixtures/schema_v2, made by its make.py on that release) gains the listing
columns and ``work_items``; its cases stay unlisted until an engine lists them, and then the
queues, the intake queue and search show them as the release before showed them.

Every later change to the schema adds its own upgrade step, its own fixture written by the
release before it, and its own test here.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import ROOT

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import IdempotencyMismatch, NotAuthorized, StoreCorrupt
from onething.stores import _sqlite_tables, _upgrades
from onething.stores._sqlite_tables import SCHEMA_VERSION
from onething.stores.base import Store
from onething.stores.sqlite import SqliteStore
from onething.workdays import SHANGHAI, FixedClock

FIXTURES = ROOT / "tests" / "stores" / "fixtures" / "schema_v1"
FACTS: dict[str, dict[str, Any]] = json.loads((FIXTURES / "cases.json").read_text())
LATER = datetime(2026, 10, 30, 9, 0, tzinfo=SHANGHAI)
PARALLEL = [("seal", "public_security"), ("tax", "tax"), ("social_insurance", "human_resources"),
            ("medical_insurance", "medical_security"), ("housing_fund", "housing_fund_centre"),
            ("bank_appointment", "bank")]
FORM = {
    "company_name": "湘乡市一件事科技有限公司", "company_type": "limited_company",
    "registered_capital": "100", "legal_person_name": "张三",
    "legal_person_id": "430381199001011234", "legal_person_phone": "13800138000",
    "business_address": "湖南省湘乡市东山街道一号", "employees": 5, "needs_invoice": True,
    "delivery_method": "mail", "mail_address": "湖南省湘乡市东山街道一号",
}
MATERIALS = {"articles_of_association": "file://a.pdf", "address_proof": "file://b.pdf"}


def case_of(label: str) -> str:
    return next(c for c, facts in FACTS.items() if facts["label"] == label)


@pytest.fixture
def sqlite_v1(tmp_path: Path) -> Path:
    path = tmp_path / "v1.sqlite3"
    shutil.copy(FIXTURES / "cases.sqlite3", path)
    return path


def fixture_wakes(path: Path) -> dict[str, datetime]:
    """Each case's earliest timer in a fixture written before schema 6 (which keeps only
    that, as the case's wake): what the upgrade must find for it."""
    with sqlite3.connect(path) as raw:
        rows = raw.execute("SELECT case_id, MIN(due_at) FROM timers GROUP BY case_id")
        return {c: datetime.strptime(due, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
                for c, due in rows}


def load_dump(url: str, dump: Path) -> None:
    """Load a fixture's ``pg_dump`` into the database at ``url`` (without psql's
    backslash commands)."""
    import psycopg

    text = dump.read_text(encoding="utf-8")
    script = "\n".join(line for line in text.splitlines() if not line.startswith("\\"))
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(script)  # type: ignore[arg-type]


def fixture_copy(request: pytest.FixtureRequest, tmp_path: Path,
                 fixtures: Path) -> tuple[str, str]:
    """Which store (``request.param``: sqlite or postgres), and where its copy of the
    fixture database in ``fixtures`` is (not yet opened)."""
    if request.param == "sqlite":
        path = tmp_path / f"{fixtures.name}.sqlite3"
        shutil.copy(fixtures / "cases.sqlite3", path)
        return "sqlite", str(path)
    url = request.getfixturevalue("pg_database")
    load_dump(url, fixtures / "cases.pg.sql")
    return "postgres", url


@pytest.fixture
def postgres_v1(pg_database: str) -> str:
    load_dump(pg_database, FIXTURES / "cases.pg.sql")
    return pg_database


@pytest.fixture(params=["sqlite", "postgres"])
def upgraded(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "sqlite":
        store: Store = SqliteStore(request.getfixturevalue("sqlite_v1"))
    else:
        from onething.stores.postgres import PostgresStore

        store = PostgresStore(request.getfixturevalue("postgres_v1"))
    yield store
    store.close()


def schema_version(store: Store) -> str:
    if isinstance(store, SqliteStore):
        return store._db.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                                 ).fetchone()[0]
    # in one of the store's own transactions: a statement on its connection outside one
    # would leave a transaction open, and every later write of the store a savepoint in it
    with store._tx() as cur:  # type: ignore[attr-defined]
        cur.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        return cur.fetchone()[0]


def test_the_fixture_is_a_schema_1_database() -> None:
    with sqlite3.connect(FIXTURES / "cases.sqlite3") as raw:
        assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                           ).fetchone() == ("1",)
        actors = {r[0] for r in raw.execute("SELECT actor FROM events")}
    assert "applicant:zhang" in actors  # schema 1 stored the applicant's id as given
    assert "'schema_version', '1'" in (FIXTURES / "cases.pg.sql").read_text()


def test_every_case_reads_as_it_was_written(upgraded: Store) -> None:
    assert schema_version(upgraded) == str(SCHEMA_VERSION)
    assert sorted(upgraded.case_ids()) == sorted(FACTS)
    for case_id, facts in FACTS.items():
        case = upgraded.load(case_id)
        assert (case.version, case.events, list(case.marking), case.ended,
                case.delivery_kind) == (facts["version"], facts["events"], facts["marking"],
                                        facts["ended"], facts["delivery"])
        history = upgraded.history(case_id)
        assert [e.seq for e in history] == list(range(1, facts["events"] + 1))
        assert case.applicant == _upgrades.legacy_pseudonym("zhang")
        assert all(not e.actor.startswith("applicant:zhang") for e in history)
    assert upgraded.delivery(case_of("delivered")).kind == "result"
    assert upgraded.delivery(case_of("refused")).kind == "refusal"
    assert upgraded.outbox(case_of("delivered"))


def test_keys_are_digests_and_old_requests_are_never_done_twice(upgraded: Store) -> None:
    engine = Engine(upgraded, clock=FixedClock(LATER))
    assert upgraded.idempotent("k-1") is None  # the key itself is no longer stored
    found = upgraded.idempotent(_upgrades.key_digest("k-1"))
    assert found is not None and found[1].id == case_of("intake")
    with pytest.raises(IdempotencyMismatch):  # a retry across the upgrade: refused, not redone
        engine.submit("enterprise-startup", FORM, MATERIALS, actor=applicant("zhang"),
                      idempotency_key="k-1")
    assert sorted(upgraded.case_ids()) == sorted(FACTS)


def test_live_cases_carry_on_to_their_one_delivery(upgraded: Store) -> None:
    engine = Engine(upgraded, clock=FixedClock(LATER))
    desk, registrar = window("market_regulation", "w9"), officer("market_regulation", "r9")
    # a correction pending: only the applicant who submitted may answer it
    corrected = case_of("correction")
    with pytest.raises(NotAuthorized):
        engine.supplement(corrected, applicant("li"), step="registration")
    engine.supplement(corrected, applicant("zhang"), step="registration")
    engine.act(corrected, "registration", "approve", registrar)
    # inside the parallel block: the rest approve, the window delivers once
    for case_id in (corrected, case_of("parallel")):
        for step, department in PARALLEL:
            if step in engine.waiting_on(case_id):
                engine.act(case_id, step, "approve", officer(department))
        engine.deliver(case_id, desk)
        assert engine.delivery(case_id).kind == "result"
    # accepted on a promise (容缺): the promise can still be kept
    promised = case_of("promised")
    engine.supplement(promised, applicant("zhang"),
                      materials={m: "file://late.pdf" for m in upgraded.load(promised).promised})
    assert upgraded.load(promised).promised == ()
    # awaiting intake: its stored timer (written by schema 1) still makes it deemed accepted
    fired = engine.tick(LATER)
    intake = case_of("intake")
    assert any(f.case_id == intake and f.fired for f in fired)
    assert "registration" in engine.waiting_on(intake)
    for case_id in FACTS:
        history = engine.history(case_id)
        assert sum(e.action == "delivered" for e in history) <= 1
        assert [e.seq for e in history] == list(range(1, len(history) + 1))


def test_cases_upgraded_from_schema_1_are_listed_too(upgraded: Store) -> None:
    assert sorted(upgraded.unlisted()) == sorted(FACTS)
    engine = Engine(upgraded, clock=FixedClock(LATER))
    assert sorted(c.case_id for c in engine.search(limit=100).items) == sorted(FACTS)
    assert [c.case_id for c in engine.intake_queue().items] == [case_of("intake")]
    assert {i.case_id for i in engine.queue("market_regulation").items} == \
        {case_of("registration"), case_of("correction")}
    assert {c.case_id for c in engine.search(applicant="zhang", limit=100).items} == set(FACTS)
    assert upgraded.unlisted() == []


def test_an_upgrade_runs_once(sqlite_v1: Path) -> None:
    SqliteStore(sqlite_v1).close()
    with sqlite3.connect(sqlite_v1) as raw:
        first = raw.execute("SELECT state FROM cases ORDER BY id").fetchall()
    store = SqliteStore(sqlite_v1)
    assert schema_version(store) == str(SCHEMA_VERSION)
    store.close()
    with sqlite3.connect(sqlite_v1) as raw:
        assert raw.execute("SELECT state FROM cases ORDER BY id").fetchall() == first


def test_a_failed_upgrade_leaves_the_database_as_it_was(sqlite_v1: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from onething.stores import _sqlite_tables as module

    with sqlite3.connect(sqlite_v1) as raw:
        before = raw.execute("SELECT id, state FROM cases ORDER BY id").fetchall()

    def half_then_fail(db: sqlite3.Connection) -> None:
        db.execute("UPDATE cases SET state = '{}'")
        raise RuntimeError("power cut in the middle of the upgrade")

    monkeypatch.setattr(module, "UPGRADES", {1: half_then_fail})
    with pytest.raises(RuntimeError, match="power cut"):
        SqliteStore(sqlite_v1)
    with sqlite3.connect(sqlite_v1) as raw:
        assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                           ).fetchone() == ("1",)
        assert raw.execute("SELECT id, state FROM cases ORDER BY id").fetchall() == before
    monkeypatch.undo()
    store = SqliteStore(sqlite_v1)
    assert schema_version(store) == str(SCHEMA_VERSION) and len(store.case_ids()) == len(FACTS)
    store.close()


def test_personal_numbers_in_old_rows_are_masked_by_the_upgrade(upgraded: Store) -> None:
    for case_id in FACTS:
        for event in upgraded.history(case_id):
            assert "13800138000" not in event.actor + json.dumps(event.data)
    engine = Engine(upgraded, clock=FixedClock(LATER + timedelta(days=1)))
    assert engine.history(case_of("refused"))[-1].action == "delivered"


# -- schema 2 -> 3: listings (issue 16) --------------------------------------------------------

FIXTURES_V2 = ROOT / "tests" / "stores" / "fixtures" / "schema_v2"
WAKES_V2 = fixture_wakes(FIXTURES_V2 / "cases.sqlite3")
FACTS_V2: dict[str, dict[str, Any]] = json.loads(
    (FIXTURES_V2 / "cases.json").read_text(encoding="utf-8"))
#: after every fixture case was written (2026-10-12) and before any of its timers is due
LATER_V2 = datetime(2026, 10, 14, 10, 0, tzinfo=SHANGHAI)
#: after the art. 32 deemed acceptance of the intake cases (2026-10-19), before the intake
#: notice's answer is due (2026-11-02)
DEEMED_V2 = datetime(2026, 10, 20, 10, 0, tzinfo=SHANGHAI)
INTAKE_LABELS = ("intake", "intake_notice", "green_intake")
LISTING_COLUMNS = ("status", "lead", "applicant", "rank", "submitted_key", "intake_key",
                   "notice_out", "listed")
GREEN_PARALLEL = [("joint_review", "development_reform"),
                  ("joint_site_survey", "natural_resources"),
                  ("joint_drawing_review", "drawing_review_centre"),
                  ("environmental_approval", "ecology_environment")]


def v2_case(label: str) -> str:
    return next(c for c, facts in FACTS_V2.items() if facts["label"] == label)


@pytest.fixture
def sqlite_v2(tmp_path: Path) -> Path:
    path = tmp_path / "v2.sqlite3"
    shutil.copy(FIXTURES_V2 / "cases.sqlite3", path)
    return path


@pytest.fixture
def postgres_v2(pg_database: str) -> str:
    load_dump(pg_database, FIXTURES_V2 / "cases.pg.sql")
    return pg_database


def open_v2(kind: str, where: Path | str) -> Store:
    if kind == "sqlite":
        return SqliteStore(where)
    from onething.stores.postgres import PostgresStore

    return PostgresStore(str(where))


@pytest.fixture(params=["sqlite", "postgres"])
def v2_database(request: pytest.FixtureRequest) -> tuple[str, Path | str]:
    """Which store, and where its copy of the schema-2 fixture is (not yet opened)."""
    return request.param, request.getfixturevalue(f"{request.param}_v2")


@pytest.fixture
def upgraded_v2(v2_database: tuple[str, Path | str]) -> Iterator[Store]:
    store = open_v2(*v2_database)
    yield store
    store.close()


def raw_state(kind: str, where: Path | str) -> dict[str, Any]:
    """What an older release would see of the database, read without onething: the schema
    version, the columns of ``cases``, whether ``work_items`` exists, and every case row."""
    if kind == "sqlite":
        with sqlite3.connect(where) as raw:
            return {
                "version": raw.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                                       ).fetchone()[0],
                "columns": [r[1] for r in raw.execute("PRAGMA table_info(cases)")],
                "work_items": raw.execute("SELECT count(*) FROM sqlite_master WHERE "
                                          "name = 'work_items'").fetchone()[0] > 0,
                "cases": raw.execute("SELECT id, version, state FROM cases ORDER BY id"
                                     ).fetchall(),
            }
    import psycopg

    with psycopg.connect(str(where), autocommit=True) as raw:
        return {
            "version": raw.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                                   ).fetchone()[0],  # type: ignore[index]
            "columns": [tuple(r) for r in raw.execute(  # the upgrade changes id's collation
                "SELECT column_name, collation_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = 'cases' "
                "ORDER BY ordinal_position")],
            "work_items": raw.execute("SELECT to_regclass('public.work_items') IS NOT NULL"
                                      ).fetchone()[0],  # type: ignore[index]
            "cases": raw.execute("SELECT id, version, state::text FROM cases ORDER BY id"
                                 ).fetchall(),
        }


def departments(engine: Engine) -> list[str]:
    """Every department with a step in a workflow the fixture's cases run."""
    found: dict[str, None] = {}
    for facts in FACTS_V2.values():
        found.update(dict.fromkeys(engine.deployed(facts["workflow"]).workflow.departments))
    return sorted(found)


def every_page(fetch: Any, **kwargs: Any) -> list[Any]:
    """Every item of a listing, page after page (small pages: the cursors are read too)."""
    items: list[Any] = []
    after = None
    while True:
        page = fetch(after=after, limit=2, **kwargs)
        items += page.items
        if page.next is None:
            return items
        after = page.next


def queued(engine: Engine) -> dict[str, set[tuple[str, str]]]:
    """The (step, department) pairs each case has in the departments' queues."""
    out: dict[str, set[tuple[str, str]]] = {case_id: set() for case_id in FACTS_V2}
    for department in departments(engine):
        items = every_page(engine.queue, department=department)
        assert [i.priority for i in items] == sorted((i.priority for i in items),
                                                     reverse=True)  # green channel first
        assert len({(i.case_id, i.step) for i in items}) == len(items)  # none shown twice
        for item in items:
            assert item.department == department
            out[item.case_id].add((item.step, department))
    return out


def assert_queues_agree_with_the_cases(engine: Engine) -> dict[str, set[tuple[str, str]]]:
    """Each case is in the queues of exactly the steps it waits on (``waiting_on``)."""
    now = queued(engine)
    for case_id in FACTS_V2:
        assert {step for step, _ in now[case_id]} == set(engine.waiting_on(case_id)), case_id
    return now


def test_the_v2_fixture_is_a_schema_2_database() -> None:
    state = raw_state("sqlite", FIXTURES_V2 / "cases.sqlite3")
    assert state["version"] == "2"
    assert not set(LISTING_COLUMNS) & set(state["columns"]) and not state["work_items"]
    assert sorted(r[0] for r in state["cases"]) == sorted(FACTS_V2)
    dump = (FIXTURES_V2 / "cases.pg.sql").read_text(encoding="utf-8")
    assert "'schema_version', '2'" in dump and "work_items" not in dump
    labels = {facts["label"] for facts in FACTS_V2.values()}
    assert {"intake", "intake_notice", "green_intake", "registration", "correction",
            "parallel", "promised", "delivered", "refused"} <= labels
    assert len({facts["workflow"] for facts in FACTS_V2.values()}) >= 2


def test_v2_opens_as_the_latest_schema_with_every_case_as_written(upgraded_v2: Store) -> None:
    assert schema_version(upgraded_v2) == str(SCHEMA_VERSION)
    assert sorted(upgraded_v2.case_ids()) == sorted(FACTS_V2)
    for case_id, facts in FACTS_V2.items():
        case = upgraded_v2.load(case_id)
        assert (case.workflow_id, case.version, case.events, list(case.marking), case.ended,
                case.delivery_kind, case.priority) == (
            facts["workflow"], facts["version"], facts["events"], facts["marking"],
            facts["ended"], facts["delivery"], facts["priority"]), case_id
        history = upgraded_v2.history(case_id)
        assert [e.seq for e in history] == list(range(1, facts["events"] + 1))
        assert upgraded_v2.wake(case_id) == WAKES_V2.get(case_id), case_id
        assert (case_id in WAKES_V2) == (facts["timers"] > 0), case_id
    kinds = {label: getattr(upgraded_v2.delivery(v2_case(label)), "kind", None)
             for label in ("delivered", "refused", "refused_intake", "to_deliver")}
    assert kinds == {"delivered": "result", "refused": "refusal",
                     "refused_intake": "refusal", "to_deliver": None}
    assert upgraded_v2.outbox(v2_case("delivered"))
    found = upgraded_v2.idempotent(_upgrades.key_digest("k2-1"))
    assert found is not None and found[1].id == v2_case("intake")
    # the upgrade cannot list a case: every one waits for the engine
    assert sorted(upgraded_v2.unlisted()) == sorted(FACTS_V2)


def test_v2_cases_are_listed_and_shown_as_the_release_before_showed_them(
        upgraded_v2: Store) -> None:
    assert sorted(upgraded_v2.unlisted()) == sorted(FACTS_V2)
    engine = Engine(upgraded_v2, clock=FixedClock(LATER_V2))
    found = every_page(engine.search)
    assert sorted(c.case_id for c in found) == sorted(FACTS_V2)  # each once
    for item in found:
        facts = FACTS_V2[item.case_id]
        status = facts["delivery"] or ("intake" if facts["label"] in INTAKE_LABELS
                                       else "in_progress")
        assert (item.workflow_id, item.status, item.priority) == (
            facts["workflow"], status, facts["priority"]), item.case_id
        assert item.lead == engine.deployed(facts["workflow"]).workflow.lead
        assert sorted([w.step, w.department] for w in item.waiting) == facts["queued"]
    intake = every_page(engine.intake_queue)
    assert sorted(c.case_id for c in intake) == sorted(v2_case(x) for x in INTAKE_LABELS)
    assert intake[0].case_id == v2_case("green_intake")  # green channel first
    assert {c.case_id for c in intake if c.notice_out} == {v2_case("intake_notice")}
    assert {c.case_id: c.intake_status for c in intake}[v2_case("intake_notice")] == "paused"
    for label in ("intake", "green_intake"):  # the art. 32 day: the timer schema 2 stored
        deemed = [t.due_at for t in engine.timers(v2_case(label))
                  if t.name == "deemed_acceptance"]
        assert deemed == [WAKES_V2[v2_case(label)]]
        assert [c.intake_due for c in intake if c.case_id == v2_case(label)] == deemed
    now = assert_queues_agree_with_the_cases(engine)
    assert {c: sorted(map(list, pairs)) for c, pairs in now.items()} == \
        {c: facts["queued"] for c, facts in FACTS_V2.items()}
    # search by what a case waits on, and by the day it was submitted (all on 2026-10-12)
    for department in departments(engine):
        assert {c.case_id for c in every_page(engine.search, department=department)} == \
            {c for c, pairs in now.items() if any(d == department for _, d in pairs)}
    assert {c.case_id for c in every_page(engine.search, step="registration")} == \
        {v2_case("registration"), v2_case("correction")}
    day = LATER_V2.date() - timedelta(days=2)
    assert len(every_page(engine.search, submitted_from=day, submitted_to=day)) == \
        len(FACTS_V2)
    assert every_page(engine.search, submitted_to=day - timedelta(days=1)) == []
    assert every_page(engine.search, submitted_from=day + timedelta(days=1)) == []
    # long after every due date, the supervisor's list holds every step with one
    late = LATER_V2 + timedelta(days=365)
    due = {(i.case_id, i.step, i.department) for d in departments(engine)
           for i in every_page(engine.queue, department=d) if i.due is not None}
    assert {(i.case_id, i.step, i.department)
            for i in every_page(engine.alerts, now=late)} == due
    assert (v2_case("parallel"), "social_insurance", "human_resources") in due
    mine = {c.case_id for c in every_page(engine.search, applicant="zhang")}
    theirs = {c.case_id for c in every_page(engine.search, applicant="wang")}
    assert theirs == {c for c, f in FACTS_V2.items()
                      if f["workflow"] == "major-project-green-channel"}
    assert mine == set(FACTS_V2) - theirs
    assert upgraded_v2.unlisted() == []
    for case_id, facts in FACTS_V2.items():  # listing is not a change of the case
        assert upgraded_v2.load(case_id).version == facts["version"]
        assert upgraded_v2.wake(case_id) == WAKES_V2.get(case_id), case_id


def _tripwire(*_: Any) -> None:
    raise AssertionError("the upgrade ran on a database already upgraded")


def test_v2_an_upgrade_runs_once(v2_database: tuple[str, Path | str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    kind, where = v2_database
    open_v2(kind, where).close()
    first = raw_state(kind, where)
    assert first["version"] == str(SCHEMA_VERSION)
    tables = _sqlite_tables if kind == "sqlite" else _postgres_tables()
    monkeypatch.setattr(tables, "UPGRADES", {n: _tripwire for n in tables.UPGRADES})
    store = open_v2(kind, where)
    try:
        assert schema_version(store) == str(SCHEMA_VERSION)
        Engine(store, clock=FixedClock(LATER_V2)).reindex()
        assert store.unlisted() == []
    finally:
        store.close()
    store = open_v2(kind, where)  # a third open keeps the listing the engine wrote
    try:
        assert store.unlisted() == []
        assert raw_state(kind, where)["columns"] == first["columns"]
    finally:
        store.close()


def _postgres_tables() -> Any:
    from onething.stores import _postgres_tables as module

    return module


def test_v2_a_failed_upgrade_leaves_the_database_as_it_was(
        v2_database: tuple[str, Path | str], monkeypatch: pytest.MonkeyPatch) -> None:
    kind, where = v2_database
    before = raw_state(kind, where)
    tables = _sqlite_tables if kind == "sqlite" else _postgres_tables()
    real = tables.UPGRADES[2]

    def half_then_fail(db: Any) -> None:
        real(db)  # the columns are added ...
        raise RuntimeError("power cut in the middle of the upgrade")  # ... and then

    monkeypatch.setattr(tables, "UPGRADES", {**tables.UPGRADES, 2: half_then_fail})
    with pytest.raises(RuntimeError, match="power cut"):
        open_v2(kind, where)
    assert raw_state(kind, where) == before
    monkeypatch.undo()
    store = open_v2(kind, where)
    try:
        assert schema_version(store) == str(SCHEMA_VERSION)
        assert sorted(store.unlisted()) == sorted(FACTS_V2)
    finally:
        store.close()


def test_v2_an_upgrade_failing_after_its_step_leaves_the_database_as_it_was(
        v2_database: tuple[str, Path | str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The step's work and the new tables and indexes commit together, or not at all."""
    kind, where = v2_database
    before = raw_state(kind, where)
    tables = _sqlite_tables if kind == "sqlite" else _postgres_tables()
    # the last statement of the new schema fails (the table exists already)
    monkeypatch.setattr(tables, "SCHEMA",
                        tables.SCHEMA + "CREATE TABLE definitions (workflow_id TEXT);\n")
    if kind == "sqlite":
        refused: type[Exception] = StoreCorrupt
    else:
        from psycopg import errors as pg_errors

        refused = pg_errors.DuplicateTable
    with pytest.raises(refused, match="definitions"):
        open_v2(kind, where)
    assert raw_state(kind, where) == before
    monkeypatch.undo()
    store = open_v2(kind, where)
    try:
        assert schema_version(store) == str(SCHEMA_VERSION)
        assert sorted(store.unlisted()) == sorted(FACTS_V2)
    finally:
        store.close()


def test_v2_live_cases_carry_on_to_their_one_delivery(upgraded_v2: Store) -> None:
    engine = Engine(upgraded_v2, clock=FixedClock(LATER_V2))
    desk, registrar = window("market_regulation", "w9"), officer("market_regulation", "r9")
    hall, approval = window("administrative_approval", "w9"), officer("administrative_approval")
    zhang = applicant("zhang")
    # a decision before any queue or search: its commit lists the case
    registration = v2_case("registration")
    engine.act(registration, "registration", "approve", registrar)
    assert registration not in upgraded_v2.unlisted()
    assert len(upgraded_v2.unlisted()) == len(FACTS_V2) - 1
    now = assert_queues_agree_with_the_cases(engine)  # lists the others
    assert now[registration] == set(PARALLEL)  # the decided step left market_regulation's
    assert registration not in {i.case_id for i in every_page(engine.queue,
                                                               department="market_regulation")}
    # the window's notice at intake answered, then the case accepted: out of the intake queue
    noticed = v2_case("intake_notice")
    engine.supplement(noticed, zhang, materials={"address_proof": "file://new.pdf"})
    engine.accept(noticed, desk)
    assert noticed not in {c.case_id for c in every_page(engine.intake_queue)}
    # a correction pending: answered and decided
    corrected = v2_case("correction")
    engine.supplement(corrected, zhang, step="registration")
    engine.act(corrected, "registration", "approve", registrar)
    now = assert_queues_agree_with_the_cases(engine)
    assert now[noticed] == {("registration", "market_regulation")}
    assert now[corrected] == set(PARALLEL)
    # a green-channel case in its parallel block: the rest decide, the approval bureau next
    green = v2_case("green_parallel")
    for step, department in GREEN_PARALLEL:
        if step in engine.waiting_on(green):
            engine.act(green, step, "approve", officer(department))
    lead = [(i.case_id, i.step, i.priority)
            for i in every_page(engine.queue, department="administrative_approval")]
    assert (green, "joint_decision", 1) in lead[:2]  # with the other green case, first
    assert {c for c, _, _ in lead} == {green, v2_case("green_eligibility")}
    engine.act(green, "joint_decision", "approve", approval)
    # then each carries on to its one delivery
    for case_id, window_of in ((registration, desk), (corrected, desk), (green, hall),
                               (v2_case("parallel"), desk), (v2_case("to_deliver"), desk)):
        for step, department in PARALLEL:
            if step in engine.waiting_on(case_id):
                engine.act(case_id, step, "approve", officer(department))
        engine.deliver(case_id, window_of)
        delivery = engine.delivery(case_id)
        assert delivery is not None and delivery.kind == "result"
    now = assert_queues_agree_with_the_cases(engine)
    done = {registration, corrected, green, v2_case("parallel"), v2_case("to_deliver")}
    assert all(not now[c] for c in done)
    results = {c.case_id for c in every_page(engine.search, status="result")}
    assert results == done | {v2_case("delivered")}
    for case_id in FACTS_V2:
        history = engine.history(case_id)
        assert sum(e.action == "delivered" for e in history) <= 1
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert upgraded_v2.unlisted() == []


def test_v2_timers_written_by_schema_2_still_fire_and_move_the_listing(
        upgraded_v2: Store) -> None:
    engine = Engine(upgraded_v2, clock=FixedClock(DEEMED_V2))
    fired = {f.case_id for f in engine.tick(DEEMED_V2) if f.fired}
    deemed = {v2_case("intake"), v2_case("green_intake")}
    assert deemed <= fired
    assert [c.case_id for c in every_page(engine.intake_queue)] == [v2_case("intake_notice")]
    now = assert_queues_agree_with_the_cases(engine)
    assert now[v2_case("intake")] == {("registration", "market_regulation")}
    assert now[v2_case("green_intake")] == {("eligibility", "administrative_approval")}
