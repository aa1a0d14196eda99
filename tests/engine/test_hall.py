"""The hall's lists (issue 16 items 1-3): every queue and search page, walked page by page,
is exactly the brute-force filter of every case (tests/support/hall_oracle.py), on the three
stores, whatever happened to the cases before."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import hall_oracle as oracle
from tests.support.factories import START, perform, sample_form, sample_materials, shipped
from tests.support.scenarios import OWNER_ID

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused, CaseEnded, InvalidArgument
from onething.net.semantics import form_guard
from onething.stores.base import Store
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock

WORKFLOWS = [shipped(n) for n in ("enterprise_startup.yaml", "restaurant_opening.yaml",
                                  "major_project_green_channel.yaml")]
APPLICANTS = (OWNER_ID, "91350100M000100Y43", "110101199003074477")
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])


def walk(fetch: object, limit: int) -> list[object]:
    """Every item of a list, page by page, checking that no page is longer than asked."""
    out: list[object] = []
    cursor = None
    for _ in range(1000):
        page = fetch(after=cursor, limit=limit)  # type: ignore[operator]
        assert len(page.items) <= limit
        out += page.items
        cursor = page.next
        if cursor is None:
            return out
    raise AssertionError("the pages never end")


def as_items(items: list[object]) -> list[oracle.Item]:
    return [(i.case_id, i.step, i.department, i.position, i.priority, i.due, i.status,
             i.assignee) for i in items]  # type: ignore[attr-defined]


def departments(engine: Engine) -> set[str]:
    return {s.department for w in WORKFLOWS for s in w.iter_steps()} | {
        d for w in WORKFLOWS for s in w.iter_steps() for d in s.signers}


def check_every_list(engine: Engine, limit: int) -> None:
    now = engine.clock.now()
    for department in sorted(departments(engine)):
        got = walk(functools.partial(engine.queue, department, now), limit)
        assert as_items(got) == oracle.queue(engine, department, now), department
    got = walk(lambda **k: engine.alerts(None, now, **k), limit)
    assert sorted(as_items(got)) == oracle.alerts(engine, now)
    warn = [i.warn_from for i in got]  # type: ignore[attr-defined]
    assert warn == sorted(warn)
    for lead in (None, "market_regulation"):
        got = walk(functools.partial(engine.intake_queue, lead, now), limit)
        assert [(c.case_id, c.intake_due, c.notice_out) for c in got] == \
            oracle.intake_queue(engine, lead)  # type: ignore[attr-defined]
    got = walk(lambda **k: engine.search(now=now, **k), limit)
    assert [c.case_id for c in got] == oracle.search(engine, now)  # type: ignore[attr-defined]


@pytest.fixture
def hall(any_store: Store) -> Engine:
    engine = Engine(any_store, clock=FixedClock(START))
    for workflow in WORKFLOWS:
        engine.deploy(workflow)
    return engine


def step_once(engine: Engine, pick: int, hours: int) -> None:
    """One thing happening in the hall: a submission, an action on a case, time passing."""
    ids = engine.store.case_ids()
    kind = pick % 7
    if kind == 0 or not ids:
        workflow = WORKFLOWS[pick % len(WORKFLOWS)]
        engine.submit(workflow.id, sample_form(workflow),
                      sample_materials(workflow, promise=pick % 3 == 0),
                      applicant=APPLICANTS[pick % len(APPLICANTS)])
    elif kind == 1:
        engine.clock.advance(timedelta(hours=hours * 5))  # type: ignore[attr-defined]
        engine.tick()
    else:
        case = engine.case(ids[pick % len(ids)])
        if case.ended:
            return
        deployed = engine.deployed(case.workflow_id, case.workflow_version)
        possible = set(engine.possible(case.id))
        compiled = deployed.compiled
        enabled = [t for t in compiled.enabled(compiled.marking_of(case.marking),
                                               form_guard(case.facts()))
                   if t.label in possible and t.action != "withdraw"]
        if enabled:
            with contextlib.suppress(ActionRefused, CaseEnded):
                perform(engine, case.id, deployed.workflow, enabled[pick % len(enabled)])
        engine.clock.advance(timedelta(minutes=hours * 7 + 1))  # type: ignore[attr-defined]


@SLOW
@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 30)), min_size=3,
                max_size=25), st.integers(1, 4))
def test_every_list_is_the_brute_force_filter_of_every_case(
        hall: Engine, moves: list[tuple[int, int]], limit: int) -> None:
    for pick, hours in moves:
        step_once(hall, pick, hours)
    check_every_list(hall, limit)


def test_search_finds_by_number_applicant_workflow_status_step_and_dates(hall: Engine) -> None:
    clock = hall.clock
    first = hall.submit(WORKFLOWS[0].id, sample_form(WORKFLOWS[0]),
                        sample_materials(WORKFLOWS[0]), applicant=APPLICANTS[0]).id
    clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    second = hall.submit(WORKFLOWS[1].id, sample_form(WORKFLOWS[1]),
                         sample_materials(WORKFLOWS[1]), applicant=APPLICANTS[1]).id
    hall.accept(second, window(WORKFLOWS[1].lead))
    assert [c.case_id for c in hall.search(number=first).items] == [first]
    assert [c.case_id for c in hall.search(applicant=APPLICANTS[0]).items] == [first]
    spaced = " ".join(APPLICANTS[1][i:i + 6] for i in range(0, 18, 6)).lower()
    assert [c.case_id for c in hall.search(applicant=spaced).items] == [second]
    assert [c.case_id for c in hall.search(workflow=WORKFLOWS[1].id).items] == [second]
    assert [c.case_id for c in hall.search(status="intake").items] == [first]
    assert [c.case_id for c in hall.search(status="in_progress").items] == [second]
    day = START.date()
    assert [c.case_id for c in hall.search(submitted_to=day).items] == [first]
    assert [c.case_id for c in hall.search(submitted_from=day + timedelta(days=1)).items] \
        == [second]
    waiting = hall.waiting_on(second)
    assert [c.case_id for c in hall.search(step=waiting[0]).items] == [second]
    assert hall.search(applicant=APPLICANTS[2]).items == ()


def test_the_applicant_is_indexed_by_pseudonym_only(tmp_path: Path) -> None:
    path = tmp_path / "cases.sqlite3"
    engine = Engine(SqliteStore(path), clock=FixedClock(START))
    engine.deploy(WORKFLOWS[0])
    case = engine.submit(WORKFLOWS[0].id, sample_form(WORKFLOWS[0]),
                         sample_materials(WORKFLOWS[0]), applicant=APPLICANTS[1])
    engine.store.close()
    with sqlite3.connect(path) as db:
        listed = db.execute("SELECT status, lead, applicant, rank, submitted_key, intake_key "
                            "FROM cases").fetchall() + db.execute(
                                "SELECT * FROM work_items").fetchall()
    assert case.applicant and [row[2] for row in listed[:1]] == [case.applicant]
    assert APPLICANTS[1] not in repr(listed)


def test_a_cursor_or_a_page_size_that_is_not_ours_is_refused(hall: Engine) -> None:
    for bad in ("nonsense", "W10=", "WyJhIiwgMV0", "x" * 5000):
        with pytest.raises(InvalidArgument, match="cursor"):
            hall.queue("market_regulation", after=bad)
    for size in (0, -1, 501, True, 2.5):
        with pytest.raises(InvalidArgument, match="page"):
            hall.search(limit=size)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="date"):
        hall.search(submitted_from="2026-10-01")  # type: ignore[arg-type]


def test_a_decided_step_leaves_its_queue_in_the_same_commit(hall: Engine) -> None:
    workflow = WORKFLOWS[0]
    case_id = hall.submit(workflow.id, sample_form(workflow), sample_materials(workflow),
                          applicant=APPLICANTS[0]).id
    assert [c.case_id for c in hall.intake_queue().items] == [case_id]
    hall.accept(case_id, window(workflow.lead))
    assert hall.intake_queue().items == ()
    [item] = hall.queue("market_regulation").items
    assert (item.case_id, item.step) == (case_id, "registration")
    hall.act(case_id, "registration", "approve", officer("market_regulation"))
    assert hall.queue("market_regulation").items == ()
    assert {i.department for d in departments(hall)
            for i in hall.queue(d).items} >= {"tax", "public_security"}


def test_the_warning_and_overdue_marks_follow_the_clock(hall: Engine) -> None:
    workflow = WORKFLOWS[0]
    case_id = hall.submit(workflow.id, sample_form(workflow), sample_materials(workflow),
                          applicant=APPLICANTS[0]).id
    hall.accept(case_id, window(workflow.lead))
    [item] = hall.queue("market_regulation").items
    assert item.due is not None and item.warn_from is not None
    assert item.warn_from < item.due
    before = hall.queue("market_regulation", item.warn_from - timedelta(seconds=1)).items[0]
    at = hall.queue("market_regulation", item.warn_from).items[0]
    late = hall.queue("market_regulation", item.due + timedelta(seconds=1)).items[0]
    assert (before.status, at.status, late.status) == ("normal", "warning", "overdue")
    assert [i.case_id for i in hall.alerts(now=item.warn_from).items] == [case_id]
    assert hall.alerts(now=item.warn_from - timedelta(seconds=1)).items == ()
    assert [c.status.value for c in hall.clocks(case_id, item.warn_from)
            if c.key == "registration"] == ["warning"]
    assert [c.status.value for c in hall.clocks(case_id, item.warn_from - timedelta(
        seconds=1)) if c.key == "registration"] == ["normal"]


def test_an_applicant_with_a_malformed_identity_is_a_clear_error(hall: Engine) -> None:
    with pytest.raises(InvalidArgument):
        hall.search(applicant="")
    assert hall.search(applicant=APPLICANTS[0]).items == ()
    assert applicant(APPLICANTS[0])  # the actor helper takes the same text


def test_a_case_that_cannot_be_listed_leaves_the_others_listed(
        caplog: pytest.LogCaptureFixture) -> None:
    from onething.stores.memory import MemoryStore

    store = MemoryStore()
    old = Engine(store, clock=FixedClock(START))
    old.deploy(WORKFLOWS[0])
    kept = old.submit(WORKFLOWS[0].id, sample_form(WORKFLOWS[0]),
                      sample_materials(WORKFLOWS[0]), applicant=APPLICANTS[0])
    orphan = kept.replace(id="orphan", workflow_id="gone")
    store.create(orphan, [])  # as an upgraded database holds it: no listing, no workflow
    store._listings.pop(kept.id)  # and a case from before listings existed
    engine = Engine(store, clock=FixedClock(START))
    assert [c.case_id for c in engine.search().items] == [kept.id]
    assert "orphan cannot be listed" in caplog.text
    assert store.unlisted() == ["orphan"]
