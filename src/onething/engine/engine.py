"""The executor: submit a case, act on it, and end it with exactly one delivery.

:class:`Engine` is a thin facade: each method checks what it was given and hands the work to
one private module — the actions of the case net (``_actions``), opening cases
(``_submission``), follow-ups after a delivery (``_follow_ups``), time (``_time``), versions
(``_migration``), reading (``_queries``), erasure and the outbox — all of which change cases only
through the unit of work (``_unit``): load, a pure change, its wake, one commit, retried.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from onething.cases import clocks as clk
from onething.cases.intake import ASKED
from onething.cases.listing import Page
from onething.cases.records import (
    SYSTEM,
    Actor,
    Case,
    Delivery,
    Event,
    GivenMaterial,
    OutboxItem,
    applicant,
)
from onething.cases.retention import DEFAULT_RETENTION, Retention
from onething.cases.rules import People
from onething.cases.summary import CaseSummary
from onething.cases.timers import Timer
from onething.engine import (
    _agents,
    _assignment,
    _follow_ups,
    _hall,
    _migration,
    _queries,
    _settle,
    _submission,
    _summary,
    _time,
    _unit,
)
from onething.engine._actions import Wanted, fixed, net_change
from onething.engine._child_deploys import check_opening
from onething.engine._deployments import Deployed, deployed_of, shipped_data, stored_workflow
from onething.engine._erasure import erase_case
from onething.engine._hall import CaseItem, QueueItem, Waiting
from onething.engine._migration import Migration
from onething.engine._notices import Noticing
from onething.engine._notify import Notifying
from onething.engine._numbers import CaseNumbers, random_id
from onething.engine._outbox import PARENT_CHANNEL, Channel, dispatch
from onething.engine._queries import CaseView
from onething.engine._reading import Reading
from onething.engine._statistics import Counting
from onething.engine._supervision import Supervising
from onething.engine._time import Firing, aware
from onething.engine._unit import request_key
from onething.errors import DeployRefused, InvalidArgument, UnknownWorkflow, Unsound
from onething.language.load import read
from onething.language.model import Workflow
from onething.privacy.masking import clip
from onething.privacy.pseudonyms import Pseudonyms
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.workdays import Clock, Duration, SystemClock, WorkCalendar

__all__ = ["CaseItem", "CaseView", "Deployed", "Engine", "Firing", "Migration", "Page", "QueueItem",
           "Waiting", "shipped_data"]


class Engine(Notifying, Noticing, Supervising, Reading, Counting):
    """Runs cases of deployed workflows against a :class:`~onething.stores.base.Store`.

    ``pseudonyms`` is the host's key for recording applicants and agents
    (:mod:`onething.privacy.pseudonyms`); without it, ``$ONETHING_PSEUDONYM_KEYS``, else a key the
    store keeps (development only: see docs/roles.md).
    """

    def __init__(self, store: Store | None = None, clock: Clock | None = None,
                 new_id: Callable[[], str] | CaseNumbers | None = None, *,
                 prove: bool = True,
                 calendar: WorkCalendar | None = None,
                 channels: Mapping[str, Channel] | None = None,
                 pseudonyms: Pseudonyms | None = None) -> None:
        self.prove = prove
        self.channels: dict[str, Channel] = dict(channels or {})
        self.channels.setdefault(PARENT_CHANNEL, _settle.ParentChannel(self))
        self.store: Store = store if store is not None else MemoryStore()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.calendar = calendar if calendar is not None else WorkCalendar()
        self.new_id: Callable[..., str] = new_id.bind(self.store, self.clock) \
            if isinstance(new_id, CaseNumbers) else new_id or random_id
        self._pseudonyms = pseudonyms
        self._people: People | None = None
        self._deployed: dict[tuple[str, int], Deployed] = {}

    @property
    def people(self) -> People:
        """How this engine writes down and recognises the people behind actions."""
        if self._people is None:
            keys = self._pseudonyms or Pseudonyms.from_environment() \
                or Pseudonyms({"s1": self.store.secret("pseudonym-key")})
            self._people = People(keys)
        return self._people

    # -- workflows ---------------------------------------------------------------------------

    def deploy(self, workflow: Workflow | str | Path) -> Deployed:
        """Prove, compile and record a workflow version. An unsound workflow is refused
        (:class:`~onething.errors.Unsound`, with the checker's report); a changed file needs
        a new version number."""
        if not isinstance(workflow, Workflow):
            workflow = read(workflow).unwrap()
        if self.prove:
            from onething.soundness.proof import check

            report = check(workflow)
            if not report.sound:
                raise Unsound(report)
        check_opening(self, workflow, self.prove)
        key = (workflow.id, workflow.version)
        known = self._deployed.get(key)
        if known is not None and known.workflow.content_hash != workflow.content_hash:
            raise DeployRefused(
                f"{workflow.id} version {workflow.version} is deployed already with different "
                "content; give the changed workflow a new version number"
            )
        self.store.put_definition(workflow.id, workflow.version, workflow.content_hash,
                                  workflow.text)
        if known is None:
            known = deployed_of(workflow)
            self._deployed[key] = known
        return known

    def deployed(self, workflow_id: str, version: int | None = None) -> Deployed:
        """A deployed version (the latest when ``version`` is None), loaded from the store."""
        if version is None:
            version = self.store.latest_version(workflow_id)
            if version is None:
                raise UnknownWorkflow(f"no workflow '{clip(workflow_id, 80)}' is deployed")
        key = (workflow_id, version)
        if key not in self._deployed:
            stored = self.store.get_definition(workflow_id, version)
            if stored is None:
                raise UnknownWorkflow(f"{clip(workflow_id, 80)} version {version} is not "
                                      "deployed")
            self._deployed[key] = deployed_of(stored_workflow(workflow_id, version, *stored))
        return self._deployed[key]

    def child_delivered(self, child: Case, now: datetime) -> None:
        """A child case (子流程) has delivered: settle its parent's step now (the outbox's
        ``parent`` channel settles it again if this fails)."""
        _settle.after_delivery(self, child, now)

    @contextlib.contextmanager
    def batch(self) -> Iterator[Engine]:
        """Group commit for bulk work (imports, simulations, a day's backlog): every action
        in the block is checked and applied exactly as on its own, but the store writes them
        in one transaction when the block ends. If the block raises, none of its actions is
        written; an action refused inside (and caught) changes nothing and leaves the others.
        Actions are acknowledged only when the block has ended::

            with engine.batch():
                for case_id in backlog:
                    engine.accept(case_id, desk)
        """
        with self.store.batch():
            yield self

    # -- submission ----------------------------------------------------------------------------

    def submit(self, workflow_id: str, form: Mapping[str, Any],
               materials: Mapping[str, GivenMaterial] | None = None, *,
               actor: Actor | None = None,
               applicant: str | None = None, version: int | None = None,
               idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """Validate the whole form at once and open a case awaiting the window's intake.

        The case records its applicant as the host identified them — ``applicant`` (an ID
        number, a 统一社会信用代码, or the sign-on's subject id), or the acting applicant's
        own id — as a pseudonym. A window or agent submitting for someone passes
        ``applicant``. With an ``idempotency_key``, a retried submission returns the first
        case. Without ``actor`` the applicant submits (the one ``applicant`` names)."""
        who = actor if actor is not None else _default_applicant(applicant or "applicant")
        return _submission.submit(self, workflow_id, form, materials, who, applicant, version,
                                  idempotency_key, aware(now))

    # -- actions of the case net -----------------------------------------------------------------

    def accept(self, case_id: str, actor: Actor, *, idempotency_key: str | None = None,
               now: datetime | None = None) -> Case:
        """The window accepts the case (受理); with materials promised, on the promise."""
        return self._perform(case_id, fixed("accept"), "accept", None, actor, idempotency_key, now)

    def refuse_intake(self, case_id: str, actor: Actor, reason: str, *,
                      refer_to: str | None = None,
                      idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """The window refuses to accept the case (不予受理): the case ends with a refusal.
        ``refer_to`` names the organ to apply to when the matter is not this one's
        (行政许可法 art. 32 (二)); the event's ``receipt`` holds what the 不予受理决定书 says."""
        extra = {"refer_to": _follow_ups.free_text(refer_to, "refer_to")} \
            if refer_to is not None else {}
        return self._perform(case_id, fixed("refuse_intake"), "refuse_intake", None, actor,
                             idempotency_key, now, reason=reason, **extra)

    def request_intake_correction(self, case_id: str, actor: Actor,
                                  items: Mapping[str, str] | Iterable[str], *,
                                  reason: str = "", idempotency_key: str | None = None,
                                  now: datetime | None = None) -> Case:
        """一次性告知: the window's one notice at intake of *every* missing or deficient item
        (行政许可法 art. 32 (四)) — ``items`` names materials and fields of the form, each
        with what is wrong (a mapping) or without (a list of names). The window's time to
        answer stops until the applicant answers (:meth:`supplement`, without a step); a
        second notice is refused; unanswered within ``answer_intake_correction_within`` the
        case ends by termination (docs/decisions/0018-one-shot-notice-at-intake.md)."""
        return self._perform(case_id, fixed("request_intake_correction"),
                             "request_intake_correction", None, actor, idempotency_key, now,
                             reason=reason, items=_follow_ups.notice_items(items))

    def act(self, case_id: str, step: str, outcome: str, actor: Actor,
            reason: str = "", *, fields: Mapping[str, Any] | None = None,
            item: int | None = None,
            idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """A department's outcome on its step: approve, refuse, request_correction, a named
        outcome of the step (``outcomes:``), ... ``fields`` are the values a step that
        declares ``sets:`` gives with every decision that goes on. On a step done item by
        item (``foreach:``) approve and refuse decide one ``item`` (its number, from 1): the
        step is approved once every item is, refused at the first refused item."""
        extra: dict[str, Any] = {"sets": dict(fields)} if isinstance(fields, Mapping) else \
            {"sets": fields} if fields is not None else {}
        if item is not None:
            extra["item"] = item
        return self._perform(case_id, fixed(outcome, step), outcome, step, actor,
                             idempotency_key, now, reason=reason, **extra)

    def send_back(self, case_id: str, step: str, actor: Actor, *, to: str | None = None,
                  reason: str,
                  idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """退回重审: the department of ``step`` (the step right after a parallel block that
        declares ``send_back``) sends the block's step ``to`` back to be done again, saying
        why (``to`` may be left out when the step names one). The block runs again — ``to``'s
        branch from that step, the other branches kept or started over as the workflow
        declares — and the case comes back to ``step``."""
        if to is not None and not isinstance(to, str):
            raise InvalidArgument(f"'to' names a step, not a {type(to).__name__}",
                                  "the id of a step of the block before, e.g. to='fire_review'")
        return self._perform(case_id, fixed("send_back", step, to), "send_back", step, actor,
                             idempotency_key, now, reason=reason, to=to)

    def start_special_procedure(self, case_id: str, step: str, actor: Actor, *, kind: str,
                                expected: str | Duration, reason: str = "",
                                idempotency_key: str | None = None,
                                now: datetime | None = None) -> Case:
        """The step's department starts a special procedure (特别程序, 行政许可法 art. 45):
        ``kind`` is one of :data:`~onething.cases.special_procedures.KINDS` (``hearing``,
        ``expert_review``, ...) and ``expected`` the time it needs (``"20 WD"``), which the
        applicant is told in writing. The step's clock pauses; the procedure's own clock
        runs against ``expected`` and escalates when it is overdue."""
        return self._perform(case_id, fixed("start_special_procedure", step),
                             "start_special_procedure", step, actor, idempotency_key, now,
                             reason=reason, kind=kind, expected=str(expected))

    def supplement(self, case_id: str, actor: Actor, *, step: str | None = None,
                   fields: Mapping[str, Any] | None = None,
                   materials: Mapping[str, GivenMaterial] | None = None,
                   idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """The applicant answers a correction request on ``step``; without ``step``, answers
        the window's notice at intake (一次性告知) while it is out, else brings promised
        materials."""
        for given, what in ((fields, "fields"), (materials, "materials")):
            if given is not None and not isinstance(given, Mapping):
                raise InvalidArgument(f"{what} are a mapping of names to values, not a "
                               f"{type(given).__name__}")
        action = "supplement" if step else "supplement_material"
        pick = fixed(action, step) if step else _material_or_intake
        return self._perform(case_id, pick, action, step, actor,
                             idempotency_key, now, fields=dict(fields or {}),
                             materials=dict(materials or {}))

    def withdraw(self, case_id: str, actor: Actor, reason: str = "", *,
                 idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """The applicant withdraws (撤回): allowed until the delivery, never after."""
        return self._perform(case_id, fixed("withdraw"), "withdraw", None, actor,
                             idempotency_key, now, reason=reason)

    def deliver(self, case_id: str, actor: Actor, method: str | None = None, *,
                idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """The window hands over the bundled result (统一出件) by one of the methods."""
        return self._perform(case_id, fixed("deliver"), "deliver", None, actor,
                             idempotency_key, now, method=method)

    def expire(self, case_id: str, timer: str, step: str | None = None) -> Case:
        """Fire a case-ending timer now (``correction_expired``, ``promise_expired`` or
        ``intake_correction_expired``)."""
        if timer not in ("correction_expired", "promise_expired", "intake_correction_expired"):
            raise InvalidArgument(f"only a case-ending timer can be fired by hand, not {timer!r}",
                                  "correction_expired or promise_expired; the others fire "
                                  "when they are due (engine.tick)")
        return self._perform(case_id, fixed(timer, step), timer, step, SYSTEM, None, None)

    def _perform(self, case_id: str, pick: Callable[[Case], Wanted], action: str,
                 step: str | None, actor: Actor, idempotency_key: str | None,
                 now: datetime | None, **payload: Any) -> Case:
        for name, value in (("the action", action), ("the step", step)):
            if value is not None and not isinstance(value, str):
                raise InvalidArgument(f"{name} is named by its id, not a "
                                      f"{type(value).__name__}", "e.g. 'approve', 'review'")
        reason = payload.get("reason")
        if reason is not None:
            payload["reason"] = _follow_ups.free_text(reason, "a reason")
        who = self.people.text(actor)
        key = request_key(idempotency_key, action, step, case_id, who, payload)
        result = _unit.run(self, case_id, net_change(self, pick, actor, payload), key=key,
                                now=aware(now), attempt=(action, step, who))
        assert result is not None
        return result

    # -- after the delivery, and the people on a case ------------------------------------------

    def evaluate(self, case_id: str, rating: int, actor: Actor, comment: str = "", *,
                 idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """好差评: the applicant rates a delivered case 1-5, once (一事一评). A bad rating
        (1 or 2) opens a rectification follow-up case linked to this one, with its own limit
        and its own single delivery; the rated case itself never changes or delivers again.
        Returns the follow-up case, or the rated case when there is none."""
        return _follow_ups.evaluate(self, case_id, rating, actor, comment, idempotency_key,
                                    aware(now))

    def verify_commitment(self, case_id: str, step: str, ok: bool, actor: Actor,
                          reason: str = "", *, idempotency_key: str | None = None,
                          now: datetime | None = None) -> Case:
        """告知承诺制: the department's later check of a step approved on commitment.

        ``ok`` confirms the approval. A failed check revokes it: before the delivery the case
        ends with the item's refusal (the one delivery, a refusal notice giving ``reason``);
        after a result was delivered, a revocation case linked to this one is opened (the
        delivered case never changes) and returned. A commitment is verified once."""
        return _follow_ups.verify_commitment(self, case_id, step, ok, actor, reason,
                                             idempotency_key, aware(now))

    def authorize_agent(self, case_id: str, agent_id: str, actor: Actor, *,
                        idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """The applicant (or the lead window, for a 帮办代办 handler) lets an agent act for
        the applicant: supplement, bring promised materials, withdraw, see and rate the case.
        The agent is recorded as a pseudonym."""
        return _agents.authorize_agent(self, case_id, agent_id, actor, idempotency_key,
                                       aware(now))

    def claim(self, case_id: str, step: str, actor: Actor, *,
              idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """An officer of a department ``step`` waits on now takes it: until it is released or
        its turn ends, only they or a supervisor of that department decide it there
        (docs/roles.md). Claiming what one holds changes nothing; what another holds, refused."""
        return _assignment.claim(self, case_id, step, actor, idempotency_key, aware(now))

    def release(self, case_id: str, step: str, actor: Actor, *,
                idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """The officer holding ``step`` at their department, or a supervisor of it, lets it go:
        any officer of the department may take or decide it again."""
        return _assignment.release(self, case_id, step, actor, idempotency_key, aware(now))

    def assign(self, case_id: str, step: str, officer_id: str, actor: Actor, *,
               idempotency_key: str | None = None, now: datetime | None = None) -> Case:
        """A supervisor gives ``step``, waiting on their department, to the officer with staff
        id ``officer_id`` there — a reassignment when another officer holds it."""
        return _assignment.assign(self, case_id, step, officer_id, actor, idempotency_key,
                                  aware(now))

    def view(self, case_id: str, actor: Actor) -> CaseView:
        """What ``actor`` may see of the case's form and materials (一次采集, no
        over-sharing): a department sees what its steps read; the applicant, their agents,
        the lead window and its supervisors see everything. A refusal is recorded."""
        return _queries.view(self, case_id, actor)

    def erase(self, case_id: str, actor: Actor, now: datetime | None = None, *,
              retention: str | Retention = DEFAULT_RETENTION,
              idempotency_key: str | None = None) -> Case:
        """Erase a delivered case's personal data once its retention period has passed,
        keeping the audit skeleton (:mod:`onething.engine._erasure`)."""
        return erase_case(self, case_id, actor, retention=retention, now=now,
                          idempotency_key=idempotency_key)

    # -- time ---------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None, limit: int = 1000) -> list[Firing]:
        """Fire every timer due at ``now`` (page by page of ``limit`` due cases, until none is
        due); idempotent, and safe to run concurrently. Each firing is its own transaction and
        fails on its own: a failed one is returned with its ``error``, the others fire."""
        return _time.tick(self, now, limit)

    def timers(self, case_id: str) -> list[Timer]:
        """The case's pending timers, earliest first: what a tick would fire, and when."""
        return _time.pending(self, case_id)

    def extend(self, case_id: str, step: str | None, amount: str | Duration, actor: Actor,
               reason: str, *, idempotency_key: str | None = None,
               now: datetime | None = None) -> Case:
        """Approve an extension of a limit (行政许可法 art. 42): a reason, an approver of the
        step's own department, bounded. ``step`` None extends the case's own limit."""
        return _time.extend(self, case_id, step, amount, actor, reason, idempotency_key,
                            aware(now))

    def record_milestone(self, case_id: str, step: str, milestone: str, actor: Actor,
                         note: str = "", *, idempotency_key: str | None = None,
                         now: datetime | None = None) -> Case:
        """A department shows a milestone on its step (green channel: arrange/feedback/...)."""
        return _time.record_milestone(self, case_id, step, milestone, actor, note,
                                      idempotency_key, aware(now))

    def refresh_calendar(self, calendar: WorkCalendar) -> list[str]:
        """Adopt newer calendar data, recompute open cases' due dates, recount statistics."""
        return _time.refresh_calendar(self, calendar)

    def clocks(self, case_id: str, now: datetime | None = None) -> list[clk.ClockView]:
        """Every clock of the case with its due dates and status (normal/warning/overdue)."""
        return _queries.clocks(self, case_id, aware(now) or self.clock.now())

    # -- versions and the outbox -------------------------------------------------------------------

    def migrate(self, workflow_id: str, to_version: int, *, from_version: int | None = None,
                dry_run: bool = False) -> Migration:
        """Move undelivered cases to another deployed version, where that is safe.

        A case moves only when its configuration is a valid position of the new version:
        every place it holds exists there and the whole configuration is reachable there for
        the case's form. Otherwise it stays, and is listed with the reason. Delivered cases
        never move. Each case is checked and moved in one versioned transaction."""
        return _migration.migrate(self, workflow_id, to_version, from_version, dry_run)

    def dispatch(self, now: datetime | None = None, limit: int = 100) -> list[OutboxItem]:
        """Hand due deliveries to their channels (at least once, keyed by the delivery id)."""
        return dispatch(self.store, self.channels, aware(now) or self.clock.now(), limit)

    # -- reading -------------------------------------------------------------------------------

    def case(self, case_id: str) -> Case:
        """The case as stored."""
        return self.store.load(case_id)

    def history(self, case_id: str) -> list[Event]:
        """Every event of the case, in order."""
        return self.store.history(case_id)

    def delivery(self, case_id: str) -> Delivery | None:
        """The case's one delivery, once it has it."""
        return self.store.delivery(case_id)

    def queue(self, department: str, now: datetime | None = None, *,
              assignee: str | None = None, after: str | None = None,
              limit: int = 50) -> Page[QueueItem]:
        """A page of the work waiting on ``department`` (only what the officer ``assignee``
        holds, when given): green-channel cases first, then by due date, earliest first;
        each item's status (normal, warning, overdue, paused) at ``now``. ``after`` is the
        previous page's ``next`` cursor."""
        return _hall.queue(self, department, aware(now) or self.clock.now(),
                           assignee=assignee, after=after, limit=limit)

    def alerts(self, department: str | None = None, now: datetime | None = None, *,
               after: str | None = None, limit: int = 50) -> Page[QueueItem]:
        """A page of the work in warning or overdue at ``now`` — a supervisor's list (of
        ``department``, or of every department) — the earliest warning first."""
        return _hall.alerts(self, aware(now) or self.clock.now(), department=department,
                            after=after, limit=limit)

    def intake_queue(self, department: str | None = None, now: datetime | None = None, *,
                     after: str | None = None, limit: int = 50) -> Page[CaseItem]:
        """A page of the cases awaiting intake (受理) at ``department``'s window (every
        window's when None): green channel first, then by the art. 32 deemed-acceptance day."""
        return _hall.intake_queue(self, aware(now) or self.clock.now(),
                                  department=department, after=after, limit=limit)

    def search(self, *, number: str | None = None, applicant: str | None = None,
               workflow: str | None = None, status: str | None = None,
               department: str | None = None, step: str | None = None,
               submitted_from: date | None = None, submitted_to: date | None = None,
               after: str | None = None, limit: int = 50,
               now: datetime | None = None) -> Page[CaseItem]:
        """A page of the cases matching every filter given, newest first: by case number,
        applicant (their ID number or 统一社会信用代码, matched through its pseudonyms),
        workflow, status (``intake``, ``in_progress`` or a delivery kind), the department or
        step a case waits on now, and the submission dates (inclusive)."""
        return _hall.search(self, aware(now) or self.clock.now(), number=number,
                            applicant=applicant, workflow=workflow, status=status,
                            department=department, step=step,
                            submitted_from=submitted_from, submitted_to=submitted_to,
                            after=after, limit=limit)

    def reindex(self) -> int:
        """List every case stored before listings existed (after an upgrade from schema 2;
        queues and search do it by themselves); returns how many were listed."""
        return _hall.reindex(self)

    def summary(self, case_id: str, now: datetime | None = None) -> CaseSummary:
        """Where the case stands, as a clerk reads it (docs/api/face.rst): status, waiting
        steps with departments and holders, promises, corrections and commitments with their
        dates, clocks, and the actions possible now with who may take each; no form value."""
        return _summary.summary(self, case_id, aware(now) or self.clock.now())

    def possible(self, case_id: str) -> list[str]:
        """What can happen to the case now, as event labels (``approve seal``, ...)."""
        return _queries.possible(self, case_id)

    def waiting_on(self, case_id: str) -> list[str]:
        """The steps currently awaiting a department (or the applicant's correction)."""
        return _queries.waiting_on(self, case_id)


def _material_or_intake(case: Case) -> Wanted:
    """A supplement without a step: the answer to the notice at intake while it is out."""
    return Wanted("supplement_intake" if ASKED in case.marking else "supplement_material")


def _default_applicant(ident: str = "applicant") -> Actor:
    return applicant(ident)
