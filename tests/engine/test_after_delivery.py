"""After its delivery a case may gain only its rating, a commitment verification, its erasure,
the link to a follow-up, and — capped — refused attempts (issue 12 item 8; docs/guarantees.md).
Every refusal of every operation is recorded the same way."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.scenarios import ACTORS, delivered, fresh

from onething.engine._unit import REFUSALS_KEPT
from onething.engine.engine import Engine
from onething.errors import ActionRefused, OnethingError

#: what a delivered case's history may still gain
AFTER_DELIVERY = {"evaluated", "commitment_confirmed", "commitment_revoked", "erased",
                  "refused_attempt"}

Operation = Callable[[Engine, str, Any], Any]
OPERATIONS: dict[str, Operation] = {
    "accept": lambda e, c, a: e.accept(c, a),
    "refuse_intake": lambda e, c, a: e.refuse_intake(c, a, "不全"),
    "approve": lambda e, c, a: e.act(c, "permit", "approve", a),
    "refuse": lambda e, c, a: e.act(c, "sign", "refuse", a, "不符"),
    "request_correction": lambda e, c, a: e.act(c, "sign", "request_correction", a, "补"),
    "special": lambda e, c, a: e.start_special_procedure(c, "sign", a, kind="hearing",
                                                         expected="10 WD", reason="听证"),
    "supplement": lambda e, c, a: e.supplement(c, a, step="sign"),
    "supplement_material": lambda e, c, a: e.supplement(c, a, materials={"x": "doc://x"}),
    "withdraw": lambda e, c, a: e.withdraw(c, a, "不办了"),
    "deliver": lambda e, c, a: e.deliver(c, a),
    "evaluate": lambda e, c, a: e.evaluate(c, 4, a),
    "verify_ok": lambda e, c, a: e.verify_commitment(c, "permit", True, a),
    "verify_failed": lambda e, c, a: e.verify_commitment(c, "permit", False, a, "虚假"),
    "authorize_agent": lambda e, c, a: e.authorize_agent(c, "new-agent", a),
    "view": lambda e, c, a: e.view(c, a),
    "extend": lambda e, c, a: e.extend(c, "sign", "5 WD", a, "复杂"),
    "extend_case": lambda e, c, a: e.extend(c, None, "5 WD", a, "复杂"),
    "erase_early": lambda e, c, a: e.erase(c, a),
    "erase": lambda e, c, a: e.erase(c, a, retention="0 days"),
    "tick": lambda e, c, a: e.tick(),
}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(OPERATIONS)), st.sampled_from(sorted(ACTORS))),
                min_size=1, max_size=40))
def test_a_delivered_case_gains_only_what_may_follow_a_delivery(
        script: list[tuple[str, str]]) -> None:
    engine = fresh()
    case_id = delivered(engine)
    delivered_at = len(engine.history(case_id))
    for operation, who in script:
        with contextlib.suppress(OnethingError):
            OPERATIONS[operation](engine, case_id, ACTORS[who])
    history = engine.history(case_id)
    later = history[delivered_at:]
    assert {e.action for e in later} <= AFTER_DELIVERY, [e.action for e in later]
    assert sum(e.action == "delivered" for e in history) == 1
    assert sum(e.action == "refused_attempt" for e in later) <= REFUSALS_KEPT
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    case = engine.case(case_id)
    assert case.ended and case.delivery_kind == "result"


def test_refused_attempts_are_capped_so_spam_cannot_grow_a_history() -> None:
    engine = fresh()
    case_id = delivered(engine)
    before = len(engine.history(case_id))
    for _ in range(REFUSALS_KEPT * 5):
        with pytest.raises(ActionRefused):
            engine.withdraw(case_id, ACTORS["stranger"])
    history = engine.history(case_id)
    assert len(history) == before + REFUSALS_KEPT
    assert engine.case(case_id).refused == REFUSALS_KEPT


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_refusal_of_every_operation_is_recorded_alike(operation: str) -> None:
    if operation in ("tick", "view"):
        return  # a tick refuses nothing; view is checked in test_roles with the others
    engine = fresh()
    case_id = delivered(engine)
    outsider = ACTORS["other_window"]
    before = len(engine.history(case_id))
    try:
        OPERATIONS[operation](engine, case_id, outsider)
    except ActionRefused as refused:
        last = engine.history(case_id)[-1]
        assert len(engine.history(case_id)) == before + 1
        assert last.action == "refused_attempt" and last.actor == str(outsider)
        assert last.data["why"] == refused.message
    else:  # pragma: no cover - the outsider may do nothing on this case
        raise AssertionError(f"{operation} by {outsider} was not refused")
