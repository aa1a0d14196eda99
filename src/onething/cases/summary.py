"""A case summary (:meth:`onething.Engine.summary`): where a case stands, as a clerk and the
applicant read it — plain frozen records, every step, department, material and outcome with its
Chinese title beside its id.

A summary is applicant-safe: it holds no form value and no material reference at all, only
names, dates and the free text officers wrote (a correction's reasons, masked like every reason
the engine records). What an actor may see of the form itself is :meth:`onething.Engine.view`.
Times are aware; :meth:`CaseSummary.to_json` gives typed JSON (ISO 8601 in Asia/Shanghai,
docs/decisions/0020-typed-json.md), what ``onething status --format json`` prints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from onething.cases.typed_json import record_json


@attrs.frozen
class Taker:
    """Who may take an action: a ``role`` (``applicant``, ``agent``, ``window``,
    ``department``, ``supervisor``, ``government_head``) with its title, and for staff the
    department with its display name. ``officer`` is the officer who claimed the step in that
    department, when one has: then only they decide it there. ``agent`` stands for the agents
    the applicant (or the lead window) authorized."""

    role: str
    title: str
    department: str | None = None
    department_title: str | None = None
    officer: str | None = None


@attrs.frozen
class PossibleAction:
    """One action possible now (one entry per action and step; the engine's timers are not
    listed), with everyone who may take it. ``to`` lists the steps a send-back (退回重审) may
    send back to."""

    action: str
    title: str
    step: str | None
    step_title: str | None
    who: tuple[Taker, ...]
    to: tuple[str, ...] = ()


@attrs.frozen
class StepDepartment:
    """A department acting on a waiting step: its display name, the officer who claimed the
    step there (if any) and, in a round several sign, its vote once it signed."""

    department: str
    title: str
    officer: str | None = None
    vote: str | None = None


@attrs.frozen
class Round:
    """A step decided by a round — ``kind`` ``signers`` (several departments sign),
    ``experts`` (an expert panel) or ``items`` (item by item) —: the votes so far, and who has
    yet to sign, departments or items (``item 2``); for an expert panel only the count of
    open seats is known (``open`` is empty)."""

    kind: str
    kind_title: str
    approvals: int
    refusals: int
    need: int
    seats: int
    open: tuple[str, ...] = ()


@attrs.frozen
class ChildCase:
    """A child case (子流程) a step opened, and how it ended (None while it runs)."""

    case_id: str
    step: str
    step_title: str
    delivery: str | None
    delivery_title: str | None = None


@attrs.frozen
class Decision:
    """A step decided so far: its department's outcome (``approve``, ``refuse``,
    ``send_back`` or an outcome the step names) with its title; ``deemed`` when the step was
    deemed approved on its department's silence."""

    step: str
    title: str
    department: str
    department_title: str
    outcome: str
    outcome_title: str
    deemed: bool = False


@attrs.frozen
class WaitingStep:
    """A step the case is at: ``position`` is ``deciding`` (with its department),
    ``correction`` (with the applicant), ``special_procedure`` or ``children``."""

    step: str
    title: str
    position: str
    position_title: str
    departments: tuple[StepDepartment, ...]
    round: Round | None = None


@attrs.frozen
class PromisedMaterial:
    """A material promised at submission (容缺受理): the promise's limit and the day it is
    due (None until the case is accepted: the promise counts from acceptance)."""

    material: str
    title: str
    within: str
    due: datetime | None
    provisional: bool = False


@attrs.frozen
class NoticeItem:
    """One item a notice names: a material or field, its title and what is wrong with it."""

    item: str
    title: str
    reason: str


@attrs.frozen
class PendingCorrection:
    """A correction awaiting the applicant: a step's (``step``), or the window's one notice
    at intake (``step`` None, its ``items`` listed). ``text`` is what the department wrote;
    ``answer_by`` when the answer is due (the case ends by termination after it). In a block
    that asks together the notice goes out once no step of it still decides: until then
    ``notice_out`` is False and no answer is due yet."""

    step: str | None
    title: str
    department: str
    department_title: str
    text: str
    items: tuple[NoticeItem, ...]
    asked_at: datetime | None
    notice_out: bool
    answer_by: datetime | None
    provisional: bool = False


@attrs.frozen
class CommitmentSummary:
    """A step approved on the applicant's commitment (告知承诺): ``pending`` until its
    department verifies it by ``verify_by``, then ``confirmed`` or ``revoked``."""

    step: str
    title: str
    department: str
    department_title: str
    state: str
    state_title: str
    verify_by: datetime | None


@attrs.frozen
class ClockSummary:
    """A clock: ``state`` (``running``, ``paused``, ``stopped``) and ``status`` against its
    limit (``normal``, ``warning``, ``overdue``; once stopped ``met`` or ``late``), with its
    due dates (an approved extension included; a paused clock's move with the pause)."""

    clock: str
    title: str
    step: str | None
    state: str
    state_title: str
    status: str
    status_title: str
    started: datetime
    committed_due: datetime | None
    statutory_due: datetime | None
    paused_reason: str | None
    extension: str | None
    provisional: bool


@attrs.frozen
class DeliverySummary:
    """The case's one delivery: its kind, when, how and the items handed over."""

    kind: str
    title: str
    at: datetime
    method: str | None
    method_title: str | None
    items: tuple[str, ...]


@attrs.frozen
class SentBack:
    """A step that sent a step of the block before it back (退回重审) and waits for it."""

    step: str
    title: str
    to: str | None
    to_title: str | None


@attrs.frozen
class CaseSummary:
    """Where a case stands: its workflow's title, its ``status`` (``submitted``,
    ``under_intake``, ``in_progress``, ``ended`` with its ``delivery``), the steps it waits
    on and those decided, promised materials, pending corrections, commitments, every clock,
    the actions possible now with who may take each, and the child cases its steps opened.
    ``origin`` is the case that opened this one (a child
    case, with ``parent_step``) or that it follows up (a rectification or revocation);
    ``follow_ups`` the cases opened from it. No form value appears in it."""

    case_id: str
    workflow_id: str
    version: int
    #: the case's revision (its version without the refused attempts its history records: its
    #: ETag over HTTP, what ``If-Match`` names)
    case_version: int
    title: str
    lead: str
    lead_title: str
    status: str
    status_title: str
    green_channel: bool
    submitted_at: datetime | None
    accepted_at: datetime | None
    waiting: tuple[WaitingStep, ...]
    decided: tuple[Decision, ...]
    promised: tuple[PromisedMaterial, ...]
    corrections: tuple[PendingCorrection, ...]
    commitments: tuple[CommitmentSummary, ...]
    clocks: tuple[ClockSummary, ...]
    actions: tuple[PossibleAction, ...]
    sent_back: tuple[SentBack, ...]
    children: tuple[ChildCase, ...]
    delivery: DeliverySummary | None
    origin: str | None
    parent_step: str | None
    follow_ups: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The summary as typed JSON (``status --format json``): times ISO 8601 in
        Asia/Shanghai, absent values null."""
        return record_json(self)


__all__ = ["CaseSummary", "ChildCase", "ClockSummary", "CommitmentSummary", "Decision",
           "DeliverySummary", "NoticeItem", "PendingCorrection", "PossibleAction",
           "PromisedMaterial", "Round", "SentBack", "StepDepartment", "Taker", "WaitingStep"]
