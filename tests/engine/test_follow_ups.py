"""Follow-up cases are opened exactly once: with the event that opens them, in one transaction
(issue 12 item 2). Concurrent ratings or verifications, and a retry after a lost answer, never
open two; a second rating or verification of the same thing is refused and recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from tests.support.factories import START, sample_form, sample_materials, shipped
from tests.support.racing import AfterRead
from tests.support.scenarios import MARKET, WORKFLOW

from onething.cases.records import Case, applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused
from onething.language.load import parse
from onething.stores.base import Store
from onething.workdays import FixedClock

STARTUP = shipped("enterprise_startup.yaml")
PERMIT = parse(WORKFLOW, "permit.yaml").unwrap()


class Gate(AfterRead):
    """A store whose first ``n`` reads of a case wait for each other, so that ``n`` requests
    read the same version of the case before any of them commits."""

    def __init__(self, inner: Store, n: int) -> None:
        super().__init__(inner)
        self._barrier = threading.Barrier(n, timeout=10)
        self._left = n
        self._lock = threading.Lock()

    def after_read(self) -> None:
        with self._lock:
            wait, self._left = self._left > 0, self._left - 1
        if wait:
            self._barrier.wait()


class LostAnswer:
    """A store whose next commit is written but whose answer is lost (the client sees an
    error, as after a crash or a dropped connection, and retries)."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.lose = False

    def commit(self, *args: Any, **kwargs: Any) -> None:
        self._inner.commit(*args, **kwargs)
        if self.lose:
            self.lose = False
            raise ConnectionError("the answer was lost")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def delivered_startup(engine: Engine) -> str:
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, window(STARTUP.lead))
    engine.withdraw(case.id, applicant())
    return case.id


def delivered_permit(engine: Engine) -> str:
    engine.deploy(PERMIT)
    case = engine.submit("permit", {"name": "小店"})
    engine.accept(case.id, window("window_office"))
    engine.act(case.id, "check_in", "approve", officer("window_office"))
    engine.act(case.id, "permit", "approve_on_commitment", MARKET)
    engine.act(case.id, "sign", "approve", officer("city"))
    engine.deliver(case.id, window("window_office"))
    return case.id


def opened(store: Store, workflow_id: str) -> list[str]:
    return [c for c in store.case_ids() if store.load(c).workflow_id == workflow_id]


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except Exception as exc:  # the outcome is what the test compares
            results[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_bad_ratings_at_once_open_one_rectification(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = delivered_startup(engine)
    gated = Engine(Gate(any_store, 2), clock=FixedClock(START))
    results = race([lambda: gated.evaluate(case_id, 1, applicant(), "差"),
                    lambda: gated.evaluate(case_id, 2, applicant(), "不满意")])
    assert sum(isinstance(r, Case) for r in results) == 1, results
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], ActionRefused)
    assert "rated already" in str(refused[0])
    assert len(opened(any_store, "rectification")) == 1
    history = engine.history(case_id)
    assert [e.action for e in history].count("evaluated") == 1
    assert history[-1].action == "refused_attempt" and history[-1].data["action"] == "evaluate"
    link = next(e.data["follow_up"] for e in history if e.action == "evaluated")
    assert any_store.load(link).origin == case_id
    assert engine.case(case_id).follow_ups == (link,)


def test_a_rating_retried_after_a_lost_answer_opens_one_rectification(
        any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = delivered_startup(engine)
    lossy = LostAnswer(any_store)
    client = Engine(lossy, clock=FixedClock(START))
    lossy.lose = True
    with pytest.raises(ConnectionError):
        client.evaluate(case_id, 1, applicant(), "差", idempotency_key="rate-1")
    follow_up = client.evaluate(case_id, 1, applicant(), "差", idempotency_key="rate-1")
    assert opened(any_store, "rectification") == [follow_up.id]
    assert follow_up.origin == case_id


def test_two_failed_verifications_at_once_open_one_revocation(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = delivered_permit(engine)
    gated = Engine(Gate(any_store, 2), clock=FixedClock(START))
    results = race([lambda: gated.verify_commitment(case_id, "permit", False, MARKET, "假"),
                    lambda: gated.verify_commitment(case_id, "permit", False, MARKET, "虚假")])
    assert sum(isinstance(r, Case) for r in results) == 1, results
    assert len(opened(any_store, "revocation")) == 1
    history = engine.history(case_id)
    assert [e.action for e in history].count("commitment_revoked") == 1
    assert history[-1].action == "refused_attempt"
    assert history[-1].data["action"] == "verify_commitment"


def test_a_verification_retried_after_a_lost_answer_opens_one_revocation(
        any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = delivered_permit(engine)
    lossy = LostAnswer(any_store)
    client = Engine(lossy, clock=FixedClock(START))
    lossy.lose = True
    with pytest.raises(ConnectionError):
        client.verify_commitment(case_id, "permit", False, MARKET, "假", idempotency_key="v-1")
    follow_up = client.verify_commitment(case_id, "permit", False, MARKET, "假",
                                         idempotency_key="v-1")
    assert opened(any_store, "revocation") == [follow_up.id]


def test_a_follow_up_is_written_with_its_event_or_not_at_all(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = delivered_startup(engine)

    class Refusing:
        def __init__(self, inner: Store) -> None:
            self._inner = inner

        def commit(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("the database went away before the commit")

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

    with pytest.raises(ConnectionError):
        Engine(Refusing(any_store), clock=FixedClock(START)).evaluate(case_id, 1, applicant())
    assert opened(any_store, "rectification") == []
    assert "evaluated" not in [e.action for e in engine.history(case_id)]
