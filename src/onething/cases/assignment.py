"""Assignment inside a department (issue 16 item 4): who holds a step there — an officer who
claimed it, or one a supervisor assigned — and what holding means for everyone else.

A case keeps its claims in :attr:`~onething.cases.records.Case.assigned`, ``{step:
{department: officer id}}``. While an officer holds a step at their department, only they — or
a supervisor of that department, stepping in — decide it there, record its milestones and let
it go; the other officers of the department are refused (``NotAuthorized``). A step nobody holds
is any officer's of the department, as before (docs/roles.md).

A claim lasts while the step waits on its department. It ends, in the same change, when the
step is decided (a redo, after a send-back or a jump back to the step, starts unclaimed), when
the department has signed its part of a jointly signed step, when the step leaves the case's
position any other way (a migration) and when the case ends (:func:`kept`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from onething.cases import sign_off as sign
from onething.cases.records import Actor, Case, Event, Role
from onething.errors import NotAuthorized
from onething.language.model import Workflow
from onething.privacy.masking import mask_text

#: the history's words for a change of holder
CLAIMED, RELEASED, ASSIGNED, REASSIGNED = "claimed", "released", "assigned", "reassigned"
HOLDING = frozenset({CLAIMED, RELEASED, ASSIGNED, REASSIGNED})
#: the actions that decide a step whatever it names (a step's own ``outcomes:`` decide it
#: too); the engine's table of department outcomes (``_actions.OUTCOMES``) has these keys
DECIDING = frozenset({"approve", "approve_on_commitment", "refuse", "revoke_commitment",
                      "deemed_approval", "send_back"})


def holder(case: Case, step: str, department: str | None) -> str | None:
    """The id of the officer holding ``step`` at ``department``, or None when nobody does."""
    return case.assigned.get(step, {}).get(department or "")


def officer_text(department: str, officer: str) -> str:
    """The holder as messages and the history name staff: ``department:wang@tax`` (masked)."""
    return mask_text(f"department:{officer}@{department}")


def stands_in(case: Case, step: str, actor: Actor, departments: Collection[str]) -> bool:
    """Whether ``actor`` is a supervisor of one of ``departments`` where someone holds
    ``step``: the supervisor then acts on it in the holder's place."""
    return actor.role is Role.SUPERVISOR and actor.department in departments \
        and holder(case, step, actor.department) is not None


def check_holder(case: Case, step: str, actor: Actor) -> None:
    """Refuse an officer acting on ``step`` while another officer of their department holds
    it (an unclaimed step, or one they hold, is theirs to act on)."""
    held = holder(case, step, actor.department)
    if held is None or actor.role is not Role.DEPARTMENT or held == actor.id:
        return
    department = actor.department or ""
    raise NotAuthorized(
        f"'{step}' is held at {department} by {officer_text(department, held)} "
        f"({mask_text(str(actor))} may not act on it)",
        f"the holder acts on it or releases it; a supervisor of {department} may act on it "
        "or reassign it", code="refused.step.held_by_other", subject=step,
        params={"department": department, "holder": held, "actor": str(actor)})


def kept(case: Case, workflow: Workflow, positions: Collection[str],
         events: Sequence[Event]) -> dict[str, dict[str, str]] | None:
    """The claims of ``case`` (a change's result, with ``events`` its new history lines) that
    outlive the change, or None when they all do. A claim ends when the case ended, when its
    step is no longer in ``positions`` or was decided by one of ``events``, and when its
    department has signed its part of the step's round."""
    if not case.assigned:
        return None
    if case.ended:
        return {}
    out: dict[str, dict[str, str]] = {}
    for step, held in case.assigned.items():
        if step not in positions:
            continue
        spec = workflow.step(step)
        if any(e.step == step and (e.action in DECIDING or spec.outcome(e.action) is not None)
               for e in events):
            continue  # decided: a redo starts unclaimed
        signed = {s["signer"] for s in sign.signed(case.outcomes.get(step))} \
            if spec.sign_off is not None and spec.sign_off.by else set()
        still = {d: o for d, o in held.items() if d in spec.signers and d not in signed}
        if still:
            out[step] = still
    return None if out == case.assigned else out
