"""Identifiers hold no personal numbers (issue 12 item 6): applicants and agents are stored as
pseudonyms, idempotency keys as digests, staff ids that hold a personal number are refused,
free text is masked on the way in — and erasure unlinks the pseudonyms from the case's rows.

Checked on the raw rows of every table, SQLite and PostgreSQL, and through the API on memory.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from typing import Any

import pytest
from tests.support.factories import START
from tests.support.scenarios import MARKET, PERMIT

from onething.cases.records import SYSTEM, agent, applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import InvalidArgument
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock

OWNER = "430381199001011234"
HELPER = "13912345678"
OTHER = "11010519491231002X"


def digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) for ch in text
                   if unicodedata.decimal(ch, None) is not None)


def rows(store: Store) -> list[str]:
    """Every row of every table, as text (the API's view for the memory store)."""
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store.path) as db:
            tables = [r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            return [json.dumps(row, ensure_ascii=False, default=str) for table in tables
                    for row in db.execute(f"SELECT * FROM {table}")]
    if isinstance(store, MemoryStore):
        from onething.cases.records import case_to_json

        out = []
        for case_id in store.case_ids():
            out.append(json.dumps(case_to_json(store.load(case_id)), default=str))
            out += [repr(e) for e in store.history(case_id)]
        out += [repr(k) + repr(v) for k, v in store._keys.items()]
        return out
    import psycopg

    with psycopg.connect(store.conninfo) as db:  # type: ignore[attr-defined]
        tables = [r[0] for r in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        return [json.dumps(row, ensure_ascii=False, default=str) for table in tables
                for row in db.execute(f"SELECT * FROM {table}")]


def lifecycle(engine: Engine) -> tuple[str, str]:
    """A case of a person known by ID number, with an agent known by phone number, keys and
    reasons quoting both; delivered, verified false (a revocation) and rated badly."""
    engine.deploy(PERMIT)
    owner = applicant(OWNER)
    case = engine.submit("permit", {"name": "小店"}, actor=owner,
                         idempotency_key=f"submit-{OWNER}")
    engine.authorize_agent(case.id, HELPER, owner, idempotency_key=f"agent-{HELPER}")
    engine.accept(case.id, window("window_office"), idempotency_key=f"accept {HELPER}")
    with pytest.raises(Exception):  # noqa: B017 - any refusal: it is recorded
        engine.withdraw(case.id, applicant(OTHER), f"I am {OTHER}, call {HELPER}")
    engine.act(case.id, "check_in", "approve", officer("window_office"))
    engine.act(case.id, "permit", "request_correction", MARKET,
               f"the seal of {OWNER} is missing; call {HELPER}")
    engine.supplement(case.id, agent(HELPER), step="permit", idempotency_key=f"s-{OWNER}")
    engine.act(case.id, "permit", "approve_on_commitment", MARKET)
    engine.act(case.id, "sign", "approve", officer("city"))
    engine.deliver(case.id, window("window_office"), idempotency_key=f"d-{OWNER}")
    revocation = engine.verify_commitment(case.id, "permit", False, MARKET,
                                          f"false: {OWNER} has a record",
                                          idempotency_key=f"v-{HELPER}")
    engine.evaluate(case.id, 1, agent(HELPER), f"slow, {HELPER}", idempotency_key=f"e-{OWNER}")
    return case.id, revocation.id


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_no_identifier_holds_a_personal_number_and_erasure_unlinks_the_case(
        kind: str, tmp_path: Any, request: pytest.FixtureRequest) -> None:
    store: Store = MemoryStore() if kind == "memory" else SqliteStore(
        tmp_path / "c.sqlite3") if kind == "sqlite" else request.getfixturevalue("pg_store")
    engine = Engine(store, clock=FixedClock(START))
    case_id, _ = lifecycle(engine)
    owner_alias = engine.people.pseudonym(OWNER)
    helper_alias = engine.people.pseudonym(HELPER)
    texts = [t for t in rows(store) if '"name": "小店"' not in t and "小店" not in t]
    for text in texts:  # every row but those holding the form itself (the case record)
        for number in (OWNER, HELPER, OTHER):
            assert number not in digits(text), text[:300]
    assert any(owner_alias in t for t in texts) and any(helper_alias in t for t in texts)

    engine.erase(case_id, SYSTEM, retention="0 days")
    case = engine.case(case_id)
    assert case.applicant == "" and case.agents == () and case.erased
    own_rows = [t for t in rows(store) if case_id in t and '"origin"' not in t
                and "original_case" not in t]
    for text in own_rows:
        assert owner_alias not in text and helper_alias not in text, text[:300]
        for number in (OWNER, HELPER, OTHER):
            assert number not in digits(text), text[:300]
    history = engine.history(case_id)
    assert history[0].actor == "applicant:erased" and history[-1].action == "erased"
    if kind != "memory":
        store.close()


@pytest.mark.parametrize("staff", [
    officer("market", OWNER), window("window_office", f"clerk-{HELPER}"),
    officer(f"dept{HELPER}"),
])
def test_a_staff_id_that_holds_a_personal_number_is_refused(staff: Any) -> None:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(PERMIT)
    case = engine.submit("permit", {"name": "小店"})
    with pytest.raises(InvalidArgument, match="staff id"):
        engine.accept(case.id, staff)
    assert [e.action for e in engine.history(case.id)] == ["submit"]


def test_keys_are_kept_as_digests_and_still_answer_retries() -> None:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(PERMIT)
    first = engine.submit("permit", {"name": "小店"}, idempotency_key=f"submit-{OWNER}")
    again = engine.submit("permit", {"name": "小店"}, idempotency_key=f"submit-{OWNER}")
    assert again.id == first.id
    keys = list(engine.store._keys)  # type: ignore[attr-defined]
    assert keys and all(k.startswith("sha256:") and OWNER not in k for k in keys)


def test_the_follow_ups_carry_their_own_link_to_the_person(tmp_path: Any) -> None:
    engine = Engine(SqliteStore(tmp_path / "c.sqlite3"), clock=FixedClock(START))
    case_id, revocation = lifecycle(engine)
    follow_up = engine.case(revocation)
    assert follow_up.origin == case_id
    assert follow_up.applicant == engine.people.pseudonym(OWNER)
    assert follow_up.form["found_by"] == str(MARKET)
    assert engine.history(revocation)[0].actor == str(SYSTEM)
