"""子流程: deciding a parent's step from its children's deliveries.

When a child case delivers, its parent's step is settled: right after the child's commit,
and again by the outbox (:mod:`onething.engine._outbox`): the child's delivery commits with an
outbox row for the ``parent`` channel, which :class:`ParentChannel` drains by settling. The
decision is a function of the children's stored deliveries (each written once, never
changed), so settling is idempotent: a crash between the child's commit and its parent's,
or a retry, or two children delivering at once, decides the step exactly once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from onething.cases import children as kids
from onething.cases.records import SYSTEM, Case, OutboxItem
from onething.engine import _unit
from onething.engine._actions import Wanted, fire
from onething.engine._unit import Change, advance
from onething.privacy.masking import personal_logger

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed

log = personal_logger("onething.engine")


def settle(engine: EngineContext, parent_id: str, step_id: str,
           now: datetime | None = None) -> Case | None:
    """Record the deliveries of ``step_id``'s children on case ``parent_id`` and decide the
    step when they settle it; nothing when the parent has ended or the step no longer waits."""
    def change(case: Case, deployed: Deployed, at: datetime) -> Change | None:
        record = case.outcomes.get(step_id)
        if case.ended or record is None or record.get("outcome") != kids.WAITING:
            return None
        children: list[str] = list(record["children"])
        known: dict[str, str] = dict(record.get("ended") or {})
        ended = dict(known)
        for child in children:
            if child not in ended:
                delivery = engine.store.delivery(child)
                if delivery is not None:
                    ended[child] = delivery.kind
        if ended == known:
            return None
        opens = deployed.workflow.step(step_id).opens
        assert opens is not None
        decided = kids.verdict(opens.waits_for, children, ended)
        if decided is None:
            outcomes = dict(case.outcomes)
            outcomes[step_id] = {**record, "ended": ended}
            return advance(case, at, ("child_delivered", str(SYSTEM), step_id, {
                "ended": {c: k for c, k in ended.items() if c not in known}}),
                outcomes=outcomes)
        moved = fire(engine, case, deployed, Wanted(decided, step_id), SYSTEM,
                     {"reason": kids.reason(children, ended)}, at)
        moved.events[0].data["children"] = ended
        record = moved.case.outcomes[step_id]
        if record.get("outcome") != kids.WAITING:  # else its own jump opened new children
            moved.case.outcomes[step_id] = {**record, "children": children, "ended": ended}
        return moved
    return _unit.run(engine, parent_id, change, now=now, action="settle")


class ParentChannel:
    """The ``parent`` channel: settles the parent's step of a child that delivered."""

    def __init__(self, engine: EngineContext) -> None:
        self.engine = engine

    def send(self, item: OutboxItem) -> str:
        """Settle the parent named in ``item`` (idempotent); the receipt says what it did."""
        parent, step = item.payload["parent"], item.payload["step"]
        settled = settle(self.engine, parent, step)
        return f"settled {parent} {step}" if settled is not None else f"{parent} {step}: no change"


def after_delivery(engine: EngineContext, child: Case, now: datetime | None) -> None:
    """Settle a child's parent right after the child's delivery committed; a failure is
    logged and left to the outbox, which settles it again."""
    if child.origin is None or child.parent_step is None:
        return
    try:
        settle(engine, child.origin, child.parent_step, now)
    except Exception:  # the outbox row settles it later: never lost
        log.exception("case %s: settling parent %s after a child's delivery failed; the "
                      "outbox will retry", child.id, child.origin)


__all__ = ["ParentChannel", "after_delivery", "settle"]
