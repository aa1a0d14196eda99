"""Idempotent actions and the outbox: a retried request changes nothing; deliveries go out."""

from __future__ import annotations

import pytest

from conftest import sample_form, sample_materials, shipped
from onething.engine.engine import Engine
from onething.engine.errors import IdempotencyMismatch
from onething.engine.records import OutboxItem, applicant, officer, window
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
