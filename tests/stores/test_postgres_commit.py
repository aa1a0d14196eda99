"""The PostgreSQL store's common commit in one statement (onething.stores._postgres_commit)
writes exactly what the commit written one statement at a time writes: the same listing, work
items, events, status events and notifications, the same refusals, nothing on a conflict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.factories import START, sample_form, sample_materials, shipped

from onething.cases.records import Delivery, Event, applicant, officer, window
from onething.engine._listing import listing
from onething.engine.engine import Engine
from onething.errors import AlreadyDelivered, Conflict, UnknownCase
from onething.stores import _postgres_commit as one
from onething.workdays import FixedClock

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation", "w1")
#: every action of a startup case to its delivery, a refusal and a correction on the way
SCRIPT = [("accept", None, DESK), ("approve", "registration", officer("market_regulation", "r")),
          ("request_correction", "seal", officer("public_security", "p")),
          ("supplement", "seal", applicant("430381199001011234")),
          ("approve", "seal", officer("public_security", "p")),
          ("refuse", "tax", officer("tax", "t"))]
TYPES = ["submitted", "accepted", "item_decided", "correction_requested",
         "correction_supplemented", "delivered", "overdue"]
DEPARTMENTS = ["market_regulation", "public_security", "tax", "bank", "nowhere"]
WORKFLOWS = [STARTUP.id, "newborn"]


@pytest.fixture
def hall(pg_store: Any) -> Iterator[tuple[Engine, list[bool]]]:
    """An engine on PostgreSQL, and what each commit_one call returned (True: written in
    one statement; False: left to the sequential commit)."""
    engine = Engine(pg_store, clock=FixedClock(START))
    engine.deploy(STARTUP)
    taken: list[bool] = []
    real = one.commit_one

    def spy(*args: Any) -> bool:
        taken.append(real(*args))
        return taken[-1]

    mp = pytest.MonkeyPatch()
    mp.setattr(one, "commit_one", spy)
    yield engine, taken
    mp.undo()


def _rows(store: Any, case_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the tables hold of a case, its id taken out."""
    queries = {
        "listing": "SELECT status, lead, applicant, rank, submitted_key, intake_key, "
                   "notice_out, intake_warn_key, waiting, listed, version, ended, wake_at "
                   "FROM cases WHERE id = %s",
        "work": "SELECT step, department, position, assignee, rank, due_key, warn_key, "
                "submitted_key, provisional, paused FROM work_items WHERE case_id = %s "
                "ORDER BY step, department",
        "events": "SELECT seq, at, action, actor, step, data::text FROM events "
                  "WHERE case_id = %s ORDER BY seq",
        "status": "SELECT seq, at, type, code, workflow_id, workflow_version, step, "
                  "department, data, source_seq FROM status_events WHERE case_id = %s "
                  "ORDER BY seq",
        "notifications": "SELECT replace(id, case_id, '*'), subscription, seq, status, "
                         "next_attempt_at FROM notifications WHERE case_id = %s ORDER BY id",
        "delivery": "SELECT kind, at, method, items::text, notice::text FROM deliveries "
                    "WHERE case_id = %s",
        "outbox": "SELECT o.channel, o.payload::text, o.status, o.attempts, "
                  "o.next_attempt_at, o.claimed_until, o.last_error, o.result, "
                  "o.delivery_id = d.id FROM outbox o JOIN deliveries d ON d.case_id = "
                  "o.case_id WHERE o.case_id = %s ORDER BY o.channel"}
    with store._lock:
        conn = store._live()
        return {name: [tuple(str(v).replace(case_id, "*") for v in row)
                       for row in conn.execute(sql, (case_id,)).fetchall()]
                for name, sql in queries.items()}


def _counts(store: Any) -> Counter[tuple[Any, ...]]:
    """The statistics' counts appended so far (they belong to no case)."""
    with store._lock:
        return Counter(store._live().execute(
            "SELECT measure, workflow, department, step, day, week, kind, days, flags, n "
            "FROM stats_counts WHERE merged = 0").fetchall())


def _submit(engine: Engine) -> str:
    return engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                         actor=applicant("430381199001011234")).id


def test_one_statement_writes_what_the_sequential_commit_writes(
        hall: tuple[Engine, list[bool]]) -> None:
    engine, taken = hall
    engine.subscribe("all")
    engine.subscribe("tax", departments=["tax"])
    engine.subscribe("decisions", types=["item_decided", "accepted"], workflows=[STARTUP.id])
    engine.subscribe("elsewhere", workflows=["newborn"])
    fast, slow = _submit(engine), _submit(engine)
    notified: set[str] = set()
    fitted: list[str] = []  # the actions written in one statement (all, the delivery too)
    for step in range(len(SCRIPT)):  # after every action, not only at the end
        taken.clear()
        counted = _counts(engine.store)
        _run_one(engine, fast, step)
        on_its_own, counted_fast = list(taken), _counts(engine.store)
        with engine.batch():  # the same action in a batch's transaction: sequential
            _run_one(engine, slow, step)
        assert counted_fast - counted == _counts(engine.store) - counted_fast, SCRIPT[step]
        assert taken[len(on_its_own):] in ([], [False])
        written, expected = _rows(engine.store, fast), _rows(engine.store, slow)
        assert written == expected, SCRIPT[step]
        notified |= {row[1] for row in written["notifications"]}
        if on_its_own == [True]:
            fitted.append(f"{SCRIPT[step][0]} {SCRIPT[step][1]}")
    assert notified == {"all", "tax", "decisions"}
    assert fitted == [f"{action} {step}" for action, step, _ in SCRIPT]
    assert written["delivery"] and written["outbox"]  # the refusal delivered, and is sent


def _run_one(engine: Engine, case_id: str, index: int) -> None:
    action, step, actor = SCRIPT[index]
    if action == "accept":
        engine.accept(case_id, actor)
        return
    assert step is not None
    payload = {"reason": "arrears"} if action in ("refuse", "request_correction") else {}
    engine.act(case_id, step, action, actor, **payload)


def test_a_conflict_or_an_unknown_case_writes_nothing(hall: tuple[Engine, list[bool]]) -> None:
    engine, _taken = hall
    store = engine.store
    case_id = _submit(engine)
    engine.accept(case_id, DESK)
    before = _rows(store, case_id)
    case = store.load(case_id)
    moved = case.replace(version=case.version + 1)
    listed = listing(moved, engine.deployed(case.workflow_id, case.workflow_version),
                     engine.calendar)
    event = Event(case.events + 1, START, "approve", "someone", "registration", {})
    with store._lock:
        conn = store._live()
        with pytest.raises(Conflict):
            one.commit_one(conn, moved, case.version - 1, [event], None, listed, ())
        with pytest.raises(UnknownCase):
            one.commit_one(conn, moved.replace(id="nobody"), case.version, [event], None,
                           listed, ())
    assert _rows(store, case_id) == before


def test_a_second_delivery_writes_nothing(hall: tuple[Engine, list[bool]]) -> None:
    """The deliveries' unique case holds in the one statement too: a second delivery of a
    case (another process delivered it first) is refused as the sequential commit refuses
    it, and nothing of the statement stays."""
    engine, taken = hall
    store = engine.store
    case_id = _submit(engine)
    for index in range(len(SCRIPT)):  # the last refusal ends the case: its one delivery
        _run_one(engine, case_id, index)
    assert taken[-1] is True
    before = _rows(store, case_id)
    case = store.load(case_id)
    moved = case.replace(version=case.version + 1)
    listed = listing(moved, engine.deployed(case.workflow_id, case.workflow_version),
                     engine.calendar)
    event = Event(case.events + 1, START, "deliver", "someone", None, {})
    again = Delivery("another", case_id, "result", START, "window", (), {})
    with store._lock, pytest.raises(AlreadyDelivered):
        one.commit_one(store._live(), moved, case.version, [event], None, listed, (), again)
    assert _rows(store, case_id) == before


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subscriptions=st.lists(st.tuples(
    st.lists(st.sampled_from(TYPES), max_size=3, unique=True),
    st.lists(st.sampled_from(WORKFLOWS), max_size=2, unique=True),
    st.lists(st.sampled_from(DEPARTMENTS), max_size=3, unique=True)), max_size=4),
    steps=st.integers(1, len(SCRIPT)))
def test_notifications_are_those_the_subscriptions_want(
        hall: tuple[Engine, list[bool]],
        subscriptions: list[tuple[list[str], list[str], list[str]]], steps: int) -> None:
    engine, _taken = hall
    engine.store._conn.execute("DELETE FROM subscriptions")
    made = [engine.subscribe(f"s{i}", types=types, workflows=flows, departments=departments)
            for i, (types, flows, departments) in enumerate(subscriptions)]
    case_id = _submit(engine)
    for index in range(steps):
        _run_one(engine, case_id, index)
    wanted = {(event.seq, s.name) for event in engine.status_events(case_id) for s in made
              if s.wants(event)}
    got = {(n.event.seq, n.subscription) for n in engine.notifications(case_id=case_id)
           if n.event is not None}
    assert got == wanted


def test_the_statement_is_short_enough_for_psycopg_to_convert_once() -> None:
    """psycopg converts a statement's ``%(name)s`` placeholders once and remembers it only for
    a statement of at most 4,096 bytes and 50 parameters; a longer one is parsed again on
    every call (~40 us an action here, issue 20)."""
    from psycopg import _queries

    assert len(one.COMMIT_ONE.encode()) <= getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", 4096)
    assert one.COMMIT_ONE.count("%(") <= getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", 50)
