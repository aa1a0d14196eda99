"""The keys a step may carry beyond its basics, as values: several signers (``sign_off``),
approval on silence (``silence``), its own outcomes (``outcomes``), sending back into the
block before it (``send_back``), child cases of another workflow (``opens``), and the names
and types those keys allow."""

from __future__ import annotations

import attrs

from onething.language.location import UNKNOWN, Location

#: names a step's own outcomes (``outcomes:``) may not take: every action and event the engine
#: already knows, and the words of its own moves, so a history line never means two things
RESERVED_OUTCOMES = frozenset({
    "accept", "agent_authorized", "approve", "approve_on_commitment", "authorize_agent",
    "calendar_refreshed", "correction_expired", "correction_notice", "deemed_acceptance",
    "deemed_approval", "deliver", "delivered", "end_special_procedure", "enter", "erased",
    "escalated", "evaluate", "evaluated", "extend", "extended", "fork",
    "intake_correction_expired", "join", "migrated", "milestone", "milestone_missed",
    "outcome", "skip", "promise_expired", "record_milestone", "refuse", "refuse_intake",
    "refused_attempt", "request_correction", "request_intake_correction", "revoke_commitment",
    "send_back", "signed_off", "signing", "start_special_procedure", "submit", "supplement",
    "supplement_intake", "supplement_material", "verify_commitment", "withdraw",
    # who holds a step inside its department (onething.cases.assignment)
    "assign", "assigned", "claim", "claimed", "reassigned", "release", "released",
    # child cases, commitments verified after approval, and the signals of a clock or a
    # promise to the people outside (onething.cases.status)
    "opened", "child_delivered", "commitment_confirmed", "commitment_revoked", "warning",
    "overdue", "promise_due_soon",
})
#: what a step that opens child cases waits for: a result from every child, or every child's
#: one delivery whatever its kind
WAITS_FOR = ("result", "delivery")
#: how ``opens: {form: ...}`` names a field of the item a child is opened for
ITEM_PREFIX = "item"
#: the types of the fields a step sets: values a department decides, never personal data
SET_FIELD_TYPES = ("bool", "enum", "int", "decimal")


@attrs.frozen
class SignOff:
    """A step decided by several signers (联合踏勘, 联合验收, expert review): each department in
    ``by`` signs once, or — for an expert panel — ``experts`` distinct officers of the step's
    department do. ``need`` approvals decide the step approved; once so many have refused that
    ``need`` can no longer be reached it is refused; the signers still out are then cancelled."""

    by: tuple[str, ...] = ()
    experts: int = 0
    need: int = 1
    source: str = ""
    location: Location = UNKNOWN

    @property
    def seats(self) -> int:
        """How many sign: the departments listed, or the experts on the panel."""
        return len(self.by) or self.experts


@attrs.frozen
class Silence:
    """逾期未反馈视为同意: when the step's own limit passes with no decision, it is deemed
    approved (its items are produced as for ``approve``). Only approval may be deemed: a
    refusal must be written with its reasons (行政许可法 art. 38)."""

    outcome: str = "approve"
    source: str = ""
    location: Location = UNKNOWN


@attrs.frozen
class NamedOutcome:
    """A decision of its own beyond approve and refuse (``site_visit``, ``desk_approval``):
    the step is decided — recorded under this name, nothing produced — and the case goes on to
    ``goto`` (a step in the same parallel branch, or outside all of them) or, without one, to
    what follows the step."""

    name: str
    goto: str | None = None
    title: str = ""
    location: Location = UNKNOWN


@attrs.frozen
class SendBack:
    """退回重审: the step that follows a parallel block may send one of the block's
    departments back to a step of its branch (``to`` names the steps it may send back to).
    The block runs again until every branch has finished; the other branches keep their
    results (``others: keep``) or start over from their first step (``others: redo``:
    the whole block is done again)."""

    to: tuple[str, ...] = ()
    others: str = "keep"
    source: str = ""
    location: Location = UNKNOWN


@attrs.frozen
class Opens:
    """子流程: the step opens child cases of the workflow ``workflow`` — one, or one per item
    of the step's ``foreach`` list — each filled from this case (``form``: each child field or
    material with the name of this case's field or material, or ``item.<field>`` / ``item``
    for the item it is opened for). Each child is a case of its own, with its own single
    delivery. The step is decided by the children's deliveries: approved when every child
    delivered a result (``waits_for: result``; refused at the first child that ends without
    one) or when every child has delivered, whatever its kind (``waits_for: delivery``)."""

    workflow: str
    version: int | None = None
    form: tuple[tuple[str, str], ...] = ()
    waits_for: str = "result"
    source: str = ""
    location: Location = UNKNOWN
