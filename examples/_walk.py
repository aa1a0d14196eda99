"""Shared by the example scripts: take a case through every waiting step to its delivery."""

from __future__ import annotations

from datetime import timedelta

from onething import Engine, FixedClock, Workflow, officer, timeline, window


def walk_to_delivery(engine: Engine, clock: FixedClock, workflow: Workflow, case_id: str,
                     method: str | None = None, on_commitment: tuple[str, ...] = ()) -> None:
    """Each department approves its waiting step, an hour apart; then the window delivers.
    Steps named in ``on_commitment`` approve on the applicant's commitment (告知承诺)."""
    for _ in range(100):
        waiting = engine.waiting_on(case_id)
        if not waiting:
            break
        step = workflow.step(waiting[0])
        clock.advance(timedelta(hours=1))
        outcome = "approve_on_commitment" if step.id in on_commitment else "approve"
        engine.act(case_id, step.id, outcome, officer(step.department, "officer"))
    clock.advance(timedelta(minutes=30))
    engine.deliver(case_id, window(workflow.lead, "window"), method)


def show(engine: Engine, case_id: str) -> None:
    """Print the case's timeline, its clocks and its one delivery."""
    print("\n".join(timeline(engine.history(case_id))))
    for view in engine.clocks(case_id):
        due = view.committed_due
        print(f"  clock {view.key:<32} {view.status.value:<7} "
              + (f"committed due {due.deadline:%Y-%m-%d %H:%M}" if due else ""))
    delivery = engine.delivery(case_id)
    print(f"one delivery: {delivery.kind} by {delivery.method}: {', '.join(delivery.items)}")
