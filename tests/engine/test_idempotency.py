"""Idempotent actions and the outbox: a retried request changes nothing; deliveries go out."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.factories import sample_form, sample_materials, shipped

from onething.cases.records import SYSTEM, OutboxItem, applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import IdempotencyMismatch
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation")
STORES = [MemoryStore, lambda: SqliteStore(":memory:")]


@pytest.mark.parametrize("make", STORES)
def test_a_retried_submission_returns_the_first_case(make: object, clock: object) -> None:
    engine = Engine(make(), clock=clock)
    engine.deploy(STARTUP)
    args = (STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    first = engine.submit(*args, idempotency_key="req-1")
    again = engine.submit(*args, idempotency_key="req-1")
    assert again.id == first.id
    assert engine.store.case_ids() == [first.id]
    with pytest.raises(IdempotencyMismatch):
        engine.submit(STARTUP.id, {**sample_form(STARTUP), "employees": 9},
                      sample_materials(STARTUP), idempotency_key="req-1")


@pytest.mark.parametrize("make", STORES)
def test_a_retried_action_changes_nothing(make: object, clock: object) -> None:
    engine = Engine(make(), clock=clock)
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, DESK, idempotency_key="acc-1")
    first = engine.act(case.id, "registration", "approve", officer("market_regulation"),
                       idempotency_key="act-1")
    again = engine.act(case.id, "registration", "approve", officer("market_regulation"),
                       idempotency_key="act-1")
    assert again.version == first.version and again.marking == first.marking
    assert [e.action for e in engine.history(case.id)] == ["submit", "accept", "approve"]
    with pytest.raises(IdempotencyMismatch):
        engine.act(case.id, "registration", "refuse", officer("market_regulation"),
                   idempotency_key="act-1")


class Flaky:
    """A channel that fails a given number of times, then records what it sent."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[str] = []

    def send(self, item: OutboxItem) -> str:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("post office unreachable")
        self.sent.append(item.delivery_id)
        return f"EMS-{item.delivery_id}"


@pytest.mark.parametrize("make", STORES)
def test_the_delivery_goes_out_through_the_outbox_at_least_once(make: object,
                                                                clock: object) -> None:
    post = Flaky(failures=2)
    engine = Engine(make(), clock=clock, channels={"post": post})
    engine.deploy(STARTUP)
    form = {**sample_form(STARTUP), "delivery_method": "mail", "mail_address": "湘乡市一号"}
    case = engine.submit(STARTUP.id, form, sample_materials(STARTUP))
    engine.withdraw(case.id, applicant(), "changed plans")
    [item] = engine.store.outbox(case.id)
    assert (item.channel, item.status, item.delivery_id) == ("post", "pending", f"D-{case.id}")
    assert "legal_person_id" not in str(item.payload)
    from datetime import timedelta

    assert len(engine.dispatch()) == 1
    assert engine.dispatch() == []  # not due again until the back-off passes
    assert len(engine.dispatch(clock.now() + timedelta(minutes=1))) == 1
    assert len(engine.dispatch(clock.now() + timedelta(minutes=7))) == 1
    [item] = engine.store.outbox(case.id)
    assert (item.status, item.attempts, item.result) == ("sent", 3, f"EMS-D-{case.id}")
    assert post.sent == [f"D-{case.id}"]
    assert engine.dispatch(clock.now() + timedelta(days=1)) == []


# -- every action takes a key (issue 12 item 10) -------------------------------------------------

def _every_action() -> dict[str, tuple[Any, Any, Any]]:
    from tests.support.scenarios import (
        ACTORS,
        accepted,
        correcting,
        delivered,
        in_block,
        on_commitment,
        ready,
        submitted,
    )

    lead, step = ACTORS["lead_window"], ACTORS["step_officer"]
    owner, boss = ACTORS["owner"], ACTORS["step_supervisor"]
    return {  # setup, the action with a key, the same key with other arguments
        "accept": (submitted, lambda e, c, k: e.accept(c, lead, idempotency_key=k),
                   lambda e, c, k: e.accept(c, ACTORS["other_window"], idempotency_key=k)),
        "refuse_intake": (submitted,
                          lambda e, c, k: e.refuse_intake(c, lead, "a", idempotency_key=k),
                          lambda e, c, k: e.refuse_intake(c, lead, "b", idempotency_key=k)),
        "act": (in_block, lambda e, c, k: e.act(c, "permit", "approve", step, idempotency_key=k),
                lambda e, c, k: e.act(c, "permit", "refuse", step, "x", idempotency_key=k)),
        "supplement": (correcting, lambda e, c, k: e.supplement(c, owner, step="permit",
                                                                idempotency_key=k),
                       lambda e, c, k: e.supplement(c, owner, step="permit",
                                                    fields={"name": "改"}, idempotency_key=k)),
        "withdraw": (accepted, lambda e, c, k: e.withdraw(c, owner, "a", idempotency_key=k),
                     lambda e, c, k: e.withdraw(c, owner, "b", idempotency_key=k)),
        "deliver": (ready, lambda e, c, k: e.deliver(c, lead, idempotency_key=k),
                    lambda e, c, k: e.deliver(c, ACTORS["other_window"], idempotency_key=k)),
        "evaluate": (delivered, lambda e, c, k: e.evaluate(c, 1, owner, "差", idempotency_key=k),
                     lambda e, c, k: e.evaluate(c, 5, owner, idempotency_key=k)),
        "verify_commitment": (on_commitment, lambda e, c, k: e.verify_commitment(
            c, "permit", True, step, idempotency_key=k), lambda e, c, k: e.verify_commitment(
            c, "permit", False, step, "假", idempotency_key=k)),
        "authorize_agent": (accepted, lambda e, c, k: e.authorize_agent(
            c, "a1", owner, idempotency_key=k), lambda e, c, k: e.authorize_agent(
            c, "a2", owner, idempotency_key=k)),
        "extend": (in_block, lambda e, c, k: e.extend(c, "permit", "5 WD", boss, "复杂",
                                                      idempotency_key=k),
                   lambda e, c, k: e.extend(c, "permit", "6 WD", boss, "复杂",
                                            idempotency_key=k)),
        "erase": (delivered, lambda e, c, k: e.erase(c, SYSTEM, retention="0 days",
                                                     idempotency_key=k),
                  lambda e, c, k: e.erase(c, SYSTEM, retention="1 days", idempotency_key=k)),
    }


@pytest.mark.parametrize("action", sorted(_every_action()))
def test_every_action_takes_an_idempotency_key(action: str) -> None:
    from tests.support.scenarios import fresh

    from onething.errors import InvalidArgument

    setup, do, other = _every_action()[action]
    engine = fresh()
    case_id = setup(engine)
    first = do(engine, case_id, "key-1")
    history = engine.history(case_id)
    again = do(engine, case_id, "key-1")
    assert (again.id, again.version) == (first.id, first.version)
    assert engine.history(case_id) == history  # the retry changed nothing
    with pytest.raises(IdempotencyMismatch):
        other(engine, case_id, "key-1")
    for bad in ("", "   ", "k" * 201):
        with pytest.raises(InvalidArgument):
            do(engine, case_id, bad)
    assert engine.history(case_id)[: len(history)] == history


def test_record_milestone_takes_an_idempotency_key() -> None:
    from tests.support.factories import START

    from onething.workdays import FixedClock

    green = shipped("major_project_green_channel.yaml")
    engine = Engine(clock=FixedClock(START))
    engine.deploy(green)
    form = {"project_name": "一号工程", "project_category": "industry", "investment": "5000",
            "key_project": True, "site_area": "100", "contact_phone": "13800138000"}
    case = engine.submit(green.id, form, {m.name: "doc://m" for m in green.form.materials})
    engine.accept(case.id, window(green.lead))
    desk = officer(green.lead)
    first = engine.record_milestone(case.id, "eligibility", "arrange", desk, idempotency_key="m")
    again = engine.record_milestone(case.id, "eligibility", "arrange", desk, idempotency_key="m")
    assert again.version == first.version
    with pytest.raises(IdempotencyMismatch):
        engine.record_milestone(case.id, "eligibility", "feedback", desk, idempotency_key="m")
