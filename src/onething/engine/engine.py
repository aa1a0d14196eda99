"""The executor: submit a case, act on it, and end it with exactly one delivery."""

from __future__ import annotations

import contextlib
import copy
import difflib
import hashlib
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from onething.calendar import Clock, SystemClock, WorkCalendar
from onething.engine import clocks as clk
from onething.engine.clocks import ClockPolicy
from onething.engine.dispatch import Channel, LoggingChannel, outbox_for, retry_delay
from onething.engine.erasure import DEFAULT_RETENTION, Retention, erase_case
from onething.engine.errors import (
    ActionRefused,
    AlreadyDelivered,
    CaseEnded,
    Conflict,
    DeployRefused,
    IdempotencyMismatch,
    NotAuthorized,
    OnethingError,
    Problem,
    SubmissionRejected,
    UnknownWorkflow,
    Unsound,
)
from onething.engine.forms import check_submission, clean_material
from onething.engine.notices import build_notice
from onething.engine.policy import policy_of
from onething.engine.records import (
    SYSTEM,
    Actor,
    Case,
    Delivery,
    Event,
    OutboxItem,
    Role,
    applicant,
)
from onething.engine.timers import Timer, plan
from onething.machine.compile import CompiledWorkflow, Fired, NotEnabled, compile_net
from onething.net.build import build_net
from onething.net.model import STEP_ROLES, Transition
from onething.net.model import Actor as Performer
from onething.net.model import Role as PlaceRole
from onething.net.semantics import form_guard, reachable_set
from onething.spec import expr as exprs
from onething.spec.duration import Duration
from onething.spec.load import parse, read
from onething.spec.model import Step, Workflow
from onething.spec.values import ValueProblem, mask_text
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.verify.check import check

RETRIES = 5


@attrs.frozen
class Deployed:
    """A deployed workflow version: its definition and its compiled machine."""

    workflow: Workflow
    compiled: CompiledWorkflow
    policy: ClockPolicy = attrs.field(factory=ClockPolicy)
    #: place name -> (step, role) for every place that belongs to a step
    step_roles: dict[str, tuple[str, PlaceRole]] = attrs.field(init=False, eq=False)
    #: each step's committed and statutory limit
    limits: dict[str, tuple[Duration | None, Duration | None]] = attrs.field(init=False,
                                                                              eq=False)
    #: (action, step) -> the transitions that action may mean
    actions: dict[tuple[str, str | None], tuple[Transition, ...]] = attrs.field(init=False,
                                                                                 eq=False)
    _positions: dict[tuple[str, ...], dict[str, PlaceRole]] = attrs.field(
        init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        net = self.compiled.net
        roles = {p.name: (p.step, p.role) for p in net.places
                 if p.step and p.role in STEP_ROLES}
        limits = {}
        for step in self.workflow.iter_steps():
            limit = step.time_limit
            limits[step.id] = (limit.committed, limit.statutory) if limit else (None, None)
        actions: dict[tuple[str, str | None], list[Transition]] = {}
        for t in net.transitions:
            if t.action is not None:
                actions.setdefault((t.action, t.step), []).append(t)
        object.__setattr__(self, "step_roles", roles)
        object.__setattr__(self, "limits", limits)
        object.__setattr__(self, "actions", {k: tuple(v) for k, v in actions.items()})
        object.__setattr__(self, "_positions", {})

    @property
    def key(self) -> tuple[str, int]:
        return (self.workflow.id, self.workflow.version)

    def positions(self, marking: tuple[str, ...]) -> dict[str, PlaceRole]:
        """Each step present in a case's marking with the role of its position (remembered:
        do not change the result)."""
        known = self._positions.get(marking)
        if known is None:
            known = clk.step_positions(self.step_roles, marking)
            if len(self._positions) >= 65_536:
                self._positions.clear()
            self._positions[marking] = known
        return known


class Engine:
    """Runs cases of deployed workflows against a :class:`~onething.stores.base.Store`."""

    def __init__(self, store: Store | None = None, clock: Clock | None = None,
                 new_id: Callable[[], str] | None = None, *, verify: bool = True,
                 calendar: WorkCalendar | None = None,
                 channels: Mapping[str, Channel] | None = None) -> None:
        self.verify = verify
        self.channels: dict[str, Channel] = dict(channels or {})
        self.store: Store = store if store is not None else MemoryStore()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.calendar = calendar if calendar is not None else WorkCalendar()
        self._new_id = new_id or (lambda: uuid.uuid4().hex[:16])
        self._deployed: dict[tuple[str, int], Deployed] = {}

    # -- workflows ---------------------------------------------------------------------------

    def deploy(self, workflow: Workflow | str | Path) -> Deployed:
        """Prove, compile and record a workflow version.

        An unsound workflow is refused (:class:`~onething.engine.errors.Unsound`, with the
        checker's report); a changed file needs a new version number.
        """
        if not isinstance(workflow, Workflow):
            workflow = read(workflow).unwrap()
        if self.verify:
            report = check(workflow)
            if not report.sound:
                raise Unsound(report)
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
            known = _deployed(workflow)
            self._deployed[key] = known
        return known

    def deployed(self, workflow_id: str, version: int | None = None) -> Deployed:
        """A deployed version (the latest when ``version`` is None), loaded from the store."""
        if version is None:
            version = self.store.latest_version(workflow_id)
            if version is None:
                raise UnknownWorkflow(f"no workflow '{workflow_id}' is deployed")
        key = (workflow_id, version)
        if key not in self._deployed:
            stored = self.store.get_definition(workflow_id, version)
            if stored is None:
                raise UnknownWorkflow(f"{workflow_id} version {version} is not deployed")
            workflow = parse(stored[1], f"<{workflow_id}@{version}>").unwrap()
            self._deployed[key] = _deployed(workflow)
        return self._deployed[key]

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

    def erase(self, case_id: str, actor: Actor, now: datetime | None = None, *,
              retention: str | Retention = DEFAULT_RETENTION) -> Case:
        """Erase a delivered case's personal data once its retention period has passed,
        keeping the audit skeleton (:mod:`onething.engine.erasure`)."""
        return erase_case(self, case_id, actor, retention=retention, now=now)

    # -- submission ----------------------------------------------------------------------------

    def submit(self, workflow_id: str, form: Mapping[str, Any],
               materials: Mapping[str, str] | None = None, *, actor: Actor | None = None,
               version: int | None = None, idempotency_key: str | None = None) -> Case:
        """Validate the whole form at once and open a case awaiting the window's intake.

        With an ``idempotency_key``, a retried submission returns the first case.
        """
        actor = actor or applicant()
        fingerprint = ""
        if idempotency_key is not None:
            fingerprint = _fingerprint("submit", workflow_id, version, dict(form),
                                       dict(materials or {}), str(actor))
            first = self._replayed(idempotency_key, fingerprint)
            if first is not None:
                return first
        deployed = self.deployed(workflow_id, version)
        workflow = deployed.workflow
        clean, problems = check_submission(workflow.form, form, materials)
        if clean is None:
            raise SubmissionRejected(problems)
        now = self.clock.now()
        compiled = deployed.compiled
        case = Case(
            id=self._new_id(), workflow_id=workflow.id, workflow_version=workflow.version,
            content_hash=workflow.content_hash,
            marking=compiled.names_of(compiled.semantics.initial),
            form=clean.form, materials=clean.materials, promised=clean.promised,
            created_at=now, updated_at=now, events=1,
            priority=int(workflow.green_channel is not None
                         and exprs.evaluate(workflow.green_channel.when.expr, clean.form)),
        )
        event = Event(1, now, "submit", str(actor), data={
            "fields": sorted(k for k, v in clean.form.items() if v is not None),
            "materials": sorted(clean.materials), "promised": list(clean.promised),
            "workflow": f"{workflow.id}@{workflow.version}",
            "content_hash": workflow.content_hash,
            "green_channel": bool(case.priority),
        })
        key = (idempotency_key, fingerprint) if idempotency_key is not None else None
        try:
            self.store.create(case, [event],
                              plan(case, workflow, deployed.policy, self.calendar, now), key)
        except Conflict:
            first = self._replayed(idempotency_key, fingerprint) if idempotency_key else None
            if first is None:
                raise
            return first
        return case

    def _replayed(self, key: str, fingerprint: str) -> Case | None:
        """The first result of a request already made with ``key`` (or an error if the
        key came with different arguments)."""
        found = self.store.idempotent(key)
        if found is None:
            return None
        if found[0] != fingerprint:
            raise IdempotencyMismatch(
                f"the idempotency key {key!r} was used for a different request",
                "use a new key for a new request")
        return found[1]

    # -- actions -------------------------------------------------------------------------------

    def accept(self, case_id: str, actor: Actor, *, idempotency_key: str | None = None) -> Case:
        """The window accepts the case (受理); with materials promised, on the promise."""
        def pick(case: Case, _: Deployed) -> Wanted:
            return Wanted("accept", None, "accept:promise" if case.promised else "accept")
        return self._perform(case_id, pick, actor, idempotency_key=idempotency_key)

    def refuse_intake(self, case_id: str, actor: Actor, reason: str, *,
                      idempotency_key: str | None = None) -> Case:
        """The window refuses to accept the case (不予受理): the case ends with a refusal."""
        return self._perform(case_id, _wanted("refuse_intake"), actor, reason=reason,
                             idempotency_key=idempotency_key)

    def act(self, case_id: str, step: str, outcome: str, actor: Actor,
            reason: str = "", *, idempotency_key: str | None = None) -> Case:
        """A department's outcome on its step: approve, refuse, request_correction, ..."""
        return self._perform(case_id, _wanted(outcome, step), actor, reason=reason, step=step,
                             idempotency_key=idempotency_key)

    def supplement(self, case_id: str, actor: Actor, *, step: str | None = None,
                   fields: Mapping[str, Any] | None = None,
                   materials: Mapping[str, str] | None = None,
                   idempotency_key: str | None = None) -> Case:
        """The applicant answers a correction request on ``step``, or brings promised
        materials (without ``step``)."""
        wanted = _wanted("supplement", step) if step else _wanted("supplement_material")
        return self._perform(case_id, wanted, actor, step=step,
                             fields=dict(fields or {}), materials=dict(materials or {}),
                             idempotency_key=idempotency_key)

    def withdraw(self, case_id: str, actor: Actor, reason: str = "", *,
                 idempotency_key: str | None = None) -> Case:
        """The applicant withdraws (撤回): allowed until the delivery, never after."""
        return self._perform(case_id, _wanted("withdraw"), actor, reason=reason,
                             idempotency_key=idempotency_key)

    def deliver(self, case_id: str, actor: Actor, method: str | None = None, *,
                idempotency_key: str | None = None) -> Case:
        """The window hands over the bundled result (统一出件) by one of the methods."""
        return self._perform(case_id, _wanted("deliver"), actor, method=method,
                             idempotency_key=idempotency_key)

    def expire(self, case_id: str, timer: str, step: str | None = None) -> Case:
        """Fire a case-ending timer now (``correction_expired`` or ``promise_expired``)."""
        return self._perform(case_id, _wanted(timer, step), SYSTEM, step=step)

    # -- versions -----------------------------------------------------------------------------

    def migrate(self, workflow_id: str, to_version: int, *, from_version: int | None = None,
                dry_run: bool = False) -> Migration:
        """Move undelivered cases to another deployed version, where that is safe.

        A case moves only when its configuration is a valid position of the new version:
        every place it holds exists there and the whole configuration is reachable there for
        the case's form. Otherwise it stays, and is listed with the reason. Cases that are
        delivered never move.
        """
        target = self.deployed(workflow_id, to_version)
        moved, refused = [], []
        self._reachable: dict[tuple[bool, ...], set[int] | None] = {}
        for case_id in self.store.case_ids():
            case = self.store.load(case_id)
            if case.workflow_id != workflow_id or case.workflow_version == to_version:
                continue
            if from_version is not None and case.workflow_version != from_version:
                continue
            if case.ended:
                continue
            reason = self._not_movable(case, target)
            if reason:
                refused.append((case_id, reason))
                continue
            if not dry_run:
                self._commit(case_id, lambda c, d: self._moved(c, target))
            moved.append(case_id)
        return Migration(tuple(moved), tuple(refused))

    def _not_movable(self, case: Case, target: Deployed) -> str:
        compiled = target.compiled
        missing = [p for p in case.marking if p not in compiled.place_index]
        if missing:
            return "version {} has no position {}".format(
                target.workflow.version, ", ".join(missing))
        _, problems = check_submission(target.workflow.form, case.form, case.materials)
        if problems and not case.promised:
            return "its form is not valid for version {}: {}".format(
                target.workflow.version, "; ".join(p.render() for p in problems))
        guard = form_guard(case.form)
        key = tuple(guard(t) for t in compiled.net.transitions if t.guard)
        if key not in self._reachable:
            self._reachable[key] = reachable_set(compiled.semantics, guard)
        positions = self._reachable[key]
        if positions is None:
            return f"version {target.workflow.version} is too large to confirm the position"
        if compiled.marking_of(case.marking) not in positions:
            return f"its configuration is not reachable in version {target.workflow.version}"
        return ""

    def _moved(self, case: Case, target: Deployed) -> Change:
        now = self.clock.now()
        new = attrs.evolve(case, workflow_version=target.workflow.version,
                           content_hash=target.workflow.content_hash,
                           version=case.version + 1, updated_at=now, events=case.events + 1)
        event = Event(case.events + 1, now, "migrated", str(SYSTEM), None,
                      {"from": case.workflow_version, "to": target.workflow.version,
                       "content_hash": target.workflow.content_hash})
        return new, [event], None

    # -- dispatch -----------------------------------------------------------------------------

    def dispatch(self, now: datetime | None = None, limit: int = 100) -> list[OutboxItem]:
        """Hand due deliveries to their channels (at least once, keyed by the delivery id)."""
        now = now or self.clock.now()
        handled = []
        for item in self.store.claim_outbox(now, limit):
            channel = self.channels.get(item.channel) or self.channels.get("*") \
                or LoggingChannel()
            try:
                receipt = channel.send(item)
            except Exception as exc:  # a channel's failure is recorded and retried, never lost
                delay = retry_delay(item.attempts)
                self.store.finish_outbox(item.id, sent=False,
                                         error=mask_text(f"{type(exc).__name__}: {exc}"),
                                         retry_at=now + delay if delay else None)
            else:
                self.store.finish_outbox(item.id, sent=True, result=str(receipt))
            handled.append(item)
        return handled

    # -- time ---------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None, limit: int = 1000) -> list[Firing]:
        """Fire every timer due at ``now``; idempotent, and safe to run concurrently.

        Each firing is its own transaction with the case: a timer already fired, or no longer
        pending (the case moved on), fires nothing.
        """
        now = now or self.clock.now()
        firings = []
        for timer in self.store.claim_timers(now, limit):
            try:
                case = self._commit(timer.case_id,
                                    lambda c, d, t=timer: self._fire(c, d, t, now))
            except ActionRefused:
                continue
            if case is not None:
                firings.append(Firing(timer, case.id))
        return firings

    def _fire(self, case: Case, deployed: Deployed, timer: Timer,
              now: datetime) -> Change | None:
        pending = plan(case, deployed.workflow, deployed.policy, self.calendar, now)
        if timer.id not in {t.id for t in pending} or timer.due_at > now:
            return None
        if timer.kind == "milestone":
            new = attrs.evolve(case, clocks=copy.deepcopy(case.clocks),
                               version=case.version + 1, updated_at=now,
                               events=case.events + 1)
            new.clocks[timer.step]["milestones"][timer.name] = "missed"
            event = Event(case.events + 1, now, "escalated", str(SYSTEM), timer.step,
                          {"action": "milestone_missed", "milestone": timer.name,
                           "to": "supervisor", "timer": timer.id,
                           "within": timer.data["within"]})
            return new, [event], None
        if timer.kind == "escalation":
            new = attrs.evolve(case, clocks=copy.deepcopy(case.clocks),
                               version=case.version + 1, updated_at=now,
                               events=case.events + 1)
            clock = new.clocks[timer.data["clock"]]
            clock["escalated"] = [*clock["escalated"], timer.data["rung"]]
            to = timer.data["to"]
            if to == "department":
                to = deployed.workflow.step(timer.step).department if timer.step \
                    else deployed.workflow.lead
            elif to == "lead":
                to = deployed.workflow.lead
            event = Event(case.events + 1, now, "escalated", str(SYSTEM), timer.step,
                          {"action": timer.name, "to": to,
                           "due": timer.data["due"], "after": timer.data["after"],
                           "timer": timer.id})
            return new, [event], None
        wanted = Wanted(timer.name, timer.step)
        change = self._change(case, deployed, wanted, SYSTEM, {"reason": _TIMER_REASONS.get(
            timer.name, timer.name)})
        change[1][0].data["timer"] = timer.id
        return change

    def extend(self, case_id: str, step: str | None, amount: str | Duration, actor: Actor,
               reason: str) -> Case:
        """Approve an extension of a limit (行政许可法 art. 42): a reason, an approver, bounded.

        ``step`` None extends the case's own limit (joint handling: 45 + 15 WD).
        """
        extra = amount if isinstance(amount, Duration) else Duration.parse(amount)
        if actor.role is not Role.SUPERVISOR:
            raise NotAuthorized("an extension needs a supervisor's approval",
                                "act as supervisor:<name>@<department>")
        if not reason.strip():
            raise ActionRefused("an extension needs a reason", "the applicant is told why")

        def change(case: Case, deployed: Deployed) -> Change:
            key = step or clk.CASE
            if case.ended:
                raise CaseEnded(_ended_message(case))
            clock = case.clocks.get(key)
            if clock is None or clock["finished"] is not None:
                raise ActionRefused(f"'{key}' has no running clock to extend")
            if clock.get("extension"):
                raise ActionRefused(f"'{key}' has been extended already",
                                    "the law allows one extension")
            bound = deployed.policy.case_extension_max if step is None \
                else deployed.policy.extension_max
            if extra.unit != bound.unit or extra.amount > bound.amount:
                raise ActionRefused(f"an extension of {extra} exceeds the bound of {bound}",
                                    "行政许可法 art. 42: +10 WD, joint handling +15 WD")
            now = self.clock.now()
            new = attrs.evolve(case, clocks=copy.deepcopy(case.clocks), updated_at=now,
                               version=case.version + 1, events=case.events + 1)
            new.clocks[key]["extension"] = str(extra)
            event = Event(case.events + 1, now, "extended", str(actor), step,
                          {"by": str(extra), "reason": mask_text(reason)})
            return new, [event], None

        result = self._commit(case_id, change)
        assert result is not None
        return result

    def evaluate(self, case_id: str, rating: int, actor: Actor, comment: str = "") -> Case:
        """好差评: the applicant rates a delivered case 1-5, once (一事一评). A bad rating
        (1 or 2) opens a rectification follow-up case linked to this one, with its own limit
        and its own single delivery; the rated case itself never changes or delivers again.
        Returns the follow-up case, or the rated case when there is none."""
        comment = mask_text(comment)
        if not 1 <= rating <= 5:
            raise ActionRefused(f"a rating is 1 to 5, got {rating}",
                                "5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
        follow_up: list[Case] = []

        def change(case: Case, deployed: Deployed) -> Change:
            if not case.ended:
                raise ActionRefused("a case is rated after its delivery")
            allowed = actor.role is Role.APPLICANT or (actor.role is Role.AGENT
                                                       and actor.id in case.agents)
            if not allowed:
                raise NotAuthorized(f"only the applicant rates the case ({actor} may not)")
            if any(e.action == "evaluated" for e in self.store.history(case.id)):
                raise ActionRefused("this case has been rated already (一事一评)")
            now = self.clock.now()
            data: dict[str, Any] = {"rating": rating}
            if comment:
                data["comment"] = comment
            if rating <= 2:
                if not follow_up:  # opened once, even if this commit is retried
                    follow_up.append(self._open_rectification(case, deployed, rating,
                                                              comment))
                data["follow_up"] = follow_up[-1].id
            new = attrs.evolve(case, version=case.version + 1, updated_at=now,
                               events=case.events + 1)
            return new, [Event(case.events + 1, now, "evaluated", str(actor), None, data)], None

        rated = self._commit(case_id, change)
        assert rated is not None
        return follow_up[-1] if follow_up else rated

    def _open_rectification(self, case: Case, deployed: Deployed, rating: int,
                            comment: str) -> Case:
        if self.store.latest_version("rectification") is None:
            self.deploy(shipped_data("rectification.yaml"))
        return self.submit("rectification", {
            "original_case": case.id, "department": deployed.workflow.lead,
            "rating": rating, "comment": comment}, actor=SYSTEM)

    def verify_commitment(self, case_id: str, step: str, ok: bool, actor: Actor,
                          reason: str = "", *, idempotency_key: str | None = None) -> Case:
        """告知承诺制: the department's later check of a step approved on commitment.

        ``ok`` confirms the approval. A failed check revokes it: before the delivery the case
        ends with the item's refusal (the one delivery, a refusal notice giving ``reason``);
        after a result was delivered, a revocation case linked to this one is opened (the
        delivered case never changes) and returned. A commitment is verified once.
        """
        reason = mask_text(reason)
        if not ok and not reason:
            raise ActionRefused("a revocation needs the reason (what did not match the "
                                "commitment)", "pass reason=...")
        case = self.store.load(case_id)
        if not case.ended and not ok:
            return self._perform(case_id, _wanted("revoke_commitment", step), actor,
                                 reason=reason, step=step, idempotency_key=idempotency_key)
        follow_up: list[Case] = []

        def change(case: Case, deployed: Deployed) -> Change:
            workflow = deployed.workflow
            if step not in {s.id for s in workflow.iter_steps()}:
                raise ActionRefused(f"'{step}' is not a step of {workflow.id}",
                                    _hint_steps(workflow, step))
            department = workflow.step(step).department
            if actor.role is not Role.DEPARTMENT or actor.department != department:
                raise NotAuthorized(f"only {department} verifies the commitment of '{step}' "
                                    f"({actor} may not)")
            if not _pending_commitment(case, step):
                raise ActionRefused(f"step '{step}' has no commitment awaiting verification",
                                    "a commitment is verified once, after "
                                    "approve_on_commitment")
            if case.ended and case.delivery_kind != "result":
                raise CaseEnded(_ended_message(case) + "; there is no approval to verify")
            if not case.ended and not ok:  # became open again between load and commit
                raise Conflict(f"case {case_id} changed; try again")
            now = self.clock.now()
            new = attrs.evolve(case, outcomes=copy.deepcopy(case.outcomes), updated_at=now,
                               version=case.version + 1, events=case.events + 1)
            new.outcomes[step]["commitment"] = "confirmed" if ok else "revoked"
            data: dict[str, Any] = {"ok": ok}
            if reason:
                data["reason"] = reason
            if not ok:
                if not follow_up:  # opened once, even if this commit is retried
                    follow_up.append(self._open_revocation(case, workflow.step(step),
                                                           reason, actor))
                data["follow_up"] = follow_up[-1].id
            action = "commitment_confirmed" if ok else "commitment_revoked"
            return new, [Event(case.events + 1, now, action, str(actor), step, data)], None

        key = None
        if idempotency_key is not None:
            key = (idempotency_key,
                   _fingerprint(case_id, str(actor), step, ok, reason, "verify"))
        verified = self._commit(case_id, change, key)
        assert verified is not None
        if follow_up:
            return follow_up[-1]
        if ok:
            return verified
        # a retry answered from its key: the revocation case the first request opened
        opened = [e.data["follow_up"] for e in self.store.history(case_id)
                  if e.action == "commitment_revoked" and e.step == step]
        return self.store.load(opened[-1]) if opened else verified

    def _open_revocation(self, case: Case, step: Step, reason: str, actor: Actor) -> Case:
        if self.store.latest_version("revocation") is None:
            self.deploy(shipped_data("revocation.yaml"))
        return self.submit("revocation", {
            "original_case": case.id, "step": step.id, "department": step.department,
            "reason": reason, "found_by": str(actor)}, actor=SYSTEM)

    def _check_commitment(self, workflow: Workflow, transition: Transition,
                          case: Case) -> None:
        step = workflow.step(transition.step)
        if transition.action == "revoke_commitment":
            if not _pending_commitment(case, step.id):
                raise ActionRefused(f"step '{step.id}' has no commitment awaiting "
                                    "verification", "only an approval on commitment can be "
                                    "revoked, and only once")
            return
        terms = step.commitment
        if terms is not None and terms.when is not None \
                and not exprs.evaluate(terms.when.expr, case.form):
            raise ActionRefused(f"this applicant may not commit for '{step.id}': "
                                f"{terms.when.text} does not hold",
                                "decide with approve (or refuse) after the full review")

    def _commitment_terms(self, step: Step, now: datetime) -> dict[str, Any]:
        terms: dict[str, Any] = {"commitment": "pending"}
        within = step.commitment.verify_within if step.commitment else None
        if within is not None:
            terms["verify_by"] = self.calendar.add(now, within).deadline.isoformat()
        return terms

    def authorize_agent(self, case_id: str, agent_id: str, actor: Actor) -> Case:
        """The applicant (or the lead window, for a 帮办代办 handler) lets an agent act for
        the applicant: supplement, bring promised materials, withdraw."""

        def change(case: Case, deployed: Deployed) -> Change:
            lead = deployed.workflow.lead
            allowed = actor.role is Role.APPLICANT or (
                actor.role in (Role.WINDOW, Role.SUPERVISOR) and actor.department == lead)
            if not allowed:
                raise NotAuthorized(f"only the applicant or the {lead} window may authorize "
                                    f"an agent ({actor} may not)")
            if case.ended:
                raise CaseEnded(_ended_message(case))
            now = self.clock.now()
            new = attrs.evolve(case, agents=tuple(dict.fromkeys([*case.agents, agent_id])),
                               version=case.version + 1, updated_at=now,
                               events=case.events + 1)
            event = Event(case.events + 1, now, "agent_authorized", str(actor), None,
                          {"agent": agent_id})
            return new, [event], None

        result = self._commit(case_id, change)
        assert result is not None
        return result

    def view(self, case_id: str, actor: Actor) -> dict[str, Any]:
        """What ``actor`` may see of the case's form and materials (一次采集, no
        over-sharing): a department sees what its steps read; the applicant, their agents,
        the lead window and supervisors see everything."""
        case = self.store.load(case_id)
        workflow = self.deployed(case.workflow_id, case.workflow_version).workflow
        if actor.role is Role.DEPARTMENT:
            names = {n for s in workflow.iter_steps() if s.department == actor.department
                     for n in s.reads}
        elif actor.role is Role.APPLICANT or (actor.role is Role.AGENT
                                              and actor.id in case.agents) or (
                actor.role in (Role.WINDOW, Role.SUPERVISOR)
                and actor.department == workflow.lead):
            names = workflow.form.names
        else:
            raise NotAuthorized(f"{actor} may not see case {case_id}")
        return {"fields": {k: v for k, v in case.form.items() if k in names},
                "materials": {k: v for k, v in case.materials.items() if k in names}}

    def record_milestone(self, case_id: str, step: str, milestone: str,
                         actor: Actor, note: str = "") -> Case:
        """A department shows a milestone on its step (green channel: arrange/feedback/...)."""

        note = mask_text(note)

        def change(case: Case, deployed: Deployed) -> Change:
            if case.ended:
                raise CaseEnded(_ended_message(case))
            department = deployed.workflow.step(step).department
            if actor.role is not Role.DEPARTMENT or actor.department != department:
                raise NotAuthorized(f"only {department} records milestones of '{step}'")
            clock = case.clocks.get(step)
            marks = (clock or {}).get("milestones")
            if clock is None or clock["finished"] is not None or marks is None:
                raise ActionRefused(f"step '{step}' has no open milestones",
                                    "milestones apply to green-channel cases' running steps")
            if milestone not in marks:
                raise ActionRefused(f"'{milestone}' is not a milestone",
                                    "milestones: " + ", ".join(marks))
            now = self.clock.now()
            new = attrs.evolve(case, clocks=copy.deepcopy(case.clocks), updated_at=now,
                               version=case.version + 1, events=case.events + 1)
            new.clocks[step]["milestones"][milestone] = now.isoformat()
            event = Event(case.events + 1, now, "milestone", str(actor), step,
                          {"milestone": milestone, **({"note": note} if note else {})})
            return new, [event], None

        result = self._commit(case_id, change)
        assert result is not None
        return result

    def queue(self, department: str, now: datetime | None = None) -> list[QueueItem]:
        """A department's work: green-channel cases first, then by due date (oldest first)."""
        now = now or self.clock.now()
        items = []
        for case_id in self.store.case_ids():
            case = self.store.load(case_id)
            if case.ended:
                continue
            deployed = self.deployed(case.workflow_id, case.workflow_version)
            for step, role in deployed.positions(case.marking).items():
                if deployed.workflow.step(step).department != department:
                    continue
                clock = case.clocks.get(step)
                view = clk.view(self.calendar, step, clock, now, deployed.policy) \
                    if clock else None
                due = (view.committed_due or view.statutory_due) if view else None
                items.append(QueueItem(case.id, step, case.priority, role.value,
                                       due.deadline if due else None,
                                       view.status.value if view else "normal"))
        far = datetime.max.replace(tzinfo=now.tzinfo)
        return sorted(items, key=lambda i: (-i.priority, i.due or far, i.case_id))

    def clocks(self, case_id: str, now: datetime | None = None) -> list[clk.ClockView]:
        """Every clock of the case with its due dates and status (normal/warning/overdue)."""
        case = self.store.load(case_id)
        policy = self.deployed(case.workflow_id, case.workflow_version).policy
        now = now or self.clock.now()
        return [clk.view(self.calendar, key, clock, now, policy)
                for key, clock in case.clocks.items()]

    def refresh_calendar(self, calendar: WorkCalendar) -> list[str]:
        """Adopt newer calendar data; recompute open cases' due dates and record the change."""
        old, self.calendar = self.calendar, calendar
        changed = []
        for case_id in self.store.case_ids():
            case = self.store.load(case_id)
            if case.ended or not case.clocks:
                continue
            if self._commit(case_id, lambda c, d: self._recompute(c, d, old)) is not None:
                changed.append(case_id)
        return changed

    def _recompute(self, case: Case, deployed: Deployed, old: WorkCalendar) -> Change | None:
        now = self.clock.now()
        moves = {}
        for key, clock in case.clocks.items():
            for which in ("committed", "statutory"):
                before = clk.due(old, clock, which, now, deployed.policy)
                after = clk.due(self.calendar, clock, which, now, deployed.policy)
                if before is not None and after is not None and (
                        before.deadline != after.deadline or before.provisional
                        != after.provisional):
                    moves[f"{key} {which}"] = {
                        "from": before.date.isoformat(), "to": after.date.isoformat(),
                        "provisional": after.provisional}
        if not moves and case.calendar_version == self.calendar.data_version:
            return None
        new = attrs.evolve(case, version=case.version + 1, updated_at=now,
                           calendar_version=self.calendar.data_version, events=case.events + 1)
        event = Event(case.events + 1, now, "calendar_refreshed", str(SYSTEM), None,
                      {"calendar": self.calendar.data_version, "due_dates": moves})
        return new, [event], None

    # -- reading -------------------------------------------------------------------------------

    def case(self, case_id: str) -> Case:
        return self.store.load(case_id)

    def history(self, case_id: str) -> list[Event]:
        return self.store.history(case_id)

    def delivery(self, case_id: str) -> Delivery | None:
        return self.store.delivery(case_id)

    def possible(self, case_id: str) -> list[str]:
        """What can happen to the case now, as event labels (``approve seal``, ...)."""
        case = self.store.load(case_id)
        if case.ended:
            return []
        compiled = self.deployed(case.workflow_id, case.workflow_version).compiled
        marking = compiled.marking_of(case.marking)
        return [t.label for t in compiled.enabled(marking, form_guard(case.form))
                if t.action != "revoke_commitment" or _pending_commitment(case, t.step)]

    def waiting_on(self, case_id: str) -> list[str]:
        """The steps currently awaiting a department (or the applicant's correction)."""
        case = self.store.load(case_id)
        compiled = self.deployed(case.workflow_id, case.workflow_version).compiled
        return [p.step for p in compiled.net.places
                if p.name in case.marking and p.step and p.role in _ACTIVE]

    # -- the one path every action takes --------------------------------------------------------

    def _perform(self, case_id: str, pick: Callable[[Case, Deployed], Wanted], actor: Actor,
                 idempotency_key: str | None = None, **payload: Any) -> Case:
        if payload.get("reason"):
            payload["reason"] = mask_text(str(payload["reason"]))

        def change(case: Case, deployed: Deployed) -> Change:
            try:
                return self._change(case, deployed, pick(case, deployed), actor, payload)
            except NotAuthorized as refused:
                self._record_refusal(case_id, pick, actor, refused)
                raise
        key = None
        if idempotency_key is not None:
            fingerprint = _fingerprint(case_id, str(actor), payload,
                                       getattr(pick, "wanted", pick.__qualname__))
            key = (idempotency_key, fingerprint)
        result = self._commit(case_id, change, key)
        assert result is not None
        return result

    def _commit(self, case_id: str, change: Callable[[Case, Deployed], Change | None],
                key: tuple[str, str] | None = None) -> Case | None:
        """Load, change, re-plan timers, commit; retried while another action got there first.

        With an idempotency ``key``, a request already committed returns its first result.
        """
        for attempt in range(RETRIES):
            if key is not None:
                first = self._replayed(*key)
                if first is not None:
                    return first
            case = self.store.load(case_id)
            deployed = self.deployed(case.workflow_id, case.workflow_version)
            outcome = change(case, deployed)
            if outcome is None:
                return None
            new, events, delivery = outcome
            timers = plan(new, deployed.workflow, deployed.policy, self.calendar,
                          self.clock.now())
            outbox = outbox_for(delivery) if delivery is not None else None
            try:
                self.store.commit(new, case.version, events, delivery, timers, outbox, key)
            except AlreadyDelivered:
                raise CaseEnded(f"case {case_id} has been delivered already",
                                "a case has exactly one delivery") from None
            except Conflict:
                if attempt == RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.002 * 2 ** attempt))  # others got there first
                continue
            return new
        raise Conflict(f"case {case_id} kept changing; try again")  # pragma: no cover

    def _record_refusal(self, case_id: str, pick: Callable[[Case, Deployed], Wanted],
                        actor: Actor, refused: NotAuthorized) -> None:
        """Put a refused attempt in the case's history (it changes nothing else)."""
        def change(case: Case, deployed: Deployed) -> Change:
            wanted = pick(case, deployed)
            now = self.clock.now()
            new = attrs.evolve(case, version=case.version + 1, updated_at=now,
                               events=case.events + 1)
            event = Event(case.events + 1, now, "refused_attempt", str(actor), wanted.step,
                          {"action": wanted.action, "why": refused.message})
            return new, [event], None
        with contextlib.suppress(OnethingError):  # the refusal is what the caller must see
            self._commit(case_id, change)

    def _change(self, case: Case, deployed: Deployed, wanted: Wanted, actor: Actor,
                payload: dict[str, Any]) -> tuple[Case, list[Event], Delivery | None]:
        workflow, compiled = deployed.workflow, deployed.compiled
        if case.ended:
            raise CaseEnded(_ended_message(case), "nothing about a delivered case may change")
        marking = compiled.marking_of(case.marking)
        transition = self._resolve(deployed, wanted, marking, case)
        if transition is None:
            raise ActionRefused(f"'{wanted.label}' is not an action of {workflow.id}",
                                _hint_steps(workflow, wanted.step))
        self._authorize(workflow, transition, actor, case)
        if transition.action in _COMMITMENT_ACTIONS:
            self._check_commitment(workflow, transition, case)
        now = self.clock.now()
        # form and materials are replaced, never changed, by the actions that change them
        new = case.replace(outcomes=dict(case.outcomes), updated_at=now,
                           version=case.version + 1)
        data: dict[str, Any] = {}
        if transition.action == "supplement":
            self._apply_fields(workflow, transition, new, payload, data)
        if transition.action == "supplement_material":
            self._apply_materials(new, payload, data)
        try:
            fired = compiled.fire(marking, transition, form_guard(new.form))
        except NotEnabled:
            raise ActionRefused(
                f"'{transition.label}' is not possible now",
                "possible now: " + (", ".join(
                    t.label for t in compiled.enabled(marking, form_guard(case.form))
                ) or "nothing"),
            ) from None
        if transition.action == "deliver":
            data["method"] = self._method(workflow, case, payload.get("method"))
        if payload.get("reason"):
            data["reason"] = payload["reason"]
        if transition.step and transition.action in _OUTCOMES:
            outcome = _OUTCOMES[transition.action]
            record = {"outcome": outcome, "reason": payload.get("reason", ""),
                      "by": sys.intern(str(actor))}
            if transition.action in ("approve", "refuse") and not record["reason"]:
                # records are replaced, never changed: equal ones are one object
                record = _shared(record)
            new.outcomes[transition.step] = record
            if transition.action == "approve_on_commitment":
                new.outcomes[transition.step].update(
                    self._commitment_terms(workflow.step(transition.step), now))
                if "verify_by" in new.outcomes[transition.step]:
                    data["verify_by"] = new.outcomes[transition.step]["verify_by"]
            if transition.action == "revoke_commitment":
                new.outcomes[transition.step]["commitment"] = "revoked"
            if outcome == "approve":
                step = workflow.step(transition.step)
                new.produced = tuple(dict.fromkeys([*new.produced, *step.produces]))
        moved = [t.name for t in fired.transitions[1:]]
        if moved:
            data["then"] = moved
        new.marking = compiled.names_of(fired.marking)
        self._follow_clocks(deployed, case, new, fired, now, data)
        seq = case.events
        events = [Event(seq + 1, now, transition.action or transition.name, str(actor),
                        transition.step, data)]
        delivery = None
        kinds = [t.delivers for t in fired.transitions if t.delivers is not None]
        if kinds:
            active = {p.step for p in compiled.net.places
                      if p.step and p.role in _ACTIVE and p.name in case.marking}
            delivery = self._delivery(workflow, new, kinds[0].value, active, transition,
                                      data.get("method"), payload.get("reason", ""), now)
            new.delivery_kind = delivery.kind
            events.append(Event(seq + 2, now, "delivered", str(SYSTEM), None,
                                {"kind": delivery.kind, "delivery": delivery.id,
                                 "items": list(delivery.items)}))
        new.events = seq + len(events)
        return new, events, delivery

    def _follow_clocks(self, deployed: Deployed, case: Case, new: Case, fired: Fired,
                       now: datetime, data: dict[str, Any]) -> None:
        """Start, pause, resume and stop clocks as the action moved the case."""
        new.clocks = dict(case.clocks)  # copy on write: clk.follow copies what it changes
        before = deployed.positions(case.marking)
        after = deployed.positions(new.marking)
        changes = clk.follow(new.clocks, before, after, now, deployed.limits, deployed.policy)
        green = deployed.workflow.green_channel
        if new.priority and green is not None:
            for key, what in changes:
                if what in ("started", "restarted") and key != clk.CASE:
                    new.clocks[key]["milestones"] = {name: None for name, _ in green.milestones}
        if any(t.action in ("accept", "deemed_acceptance") for t in fired.transitions):
            new.accepted_at = now
            new.calendar_version = self.calendar.data_version
            limit = deployed.workflow.time_limit
            new.clocks[clk.CASE] = clk.new_clock(
                now, limit.committed if limit else None, limit.statutory if limit else None)
            changes.append((clk.CASE, "started"))
        if any(t.delivers is not None for t in fired.transitions):
            for key, clock in new.clocks.items():
                if clock["finished"] is None:
                    clk.finish(clk.own(new.clocks, key), now)
        else:
            clk.follow_case(new.clocks, after, now)
        if changes:
            data["clocks"] = [f"{key} {what}" for key, what in changes]

    @staticmethod
    def _resolve(deployed: Deployed, wanted: Wanted, marking: int,
                 case: Case) -> Transition | None:
        """The transition meant by an action: the enabled one if any, else any match."""
        matching = [t for t in deployed.actions.get((wanted.action, wanted.step), ())
                    if wanted.name is None or t.name == wanted.name]
        if len(matching) <= 1:
            return matching[0] if matching else None
        semantics = deployed.compiled.semantics
        return next(semantics.enabled(marking, form_guard(case.form), matching), matching[0])

    def _delivery(self, workflow: Workflow, case: Case, kind: str, active: set[str],
                  transition: Transition, method: str | None, reason: str,
                  now: datetime) -> Delivery:
        items = tuple(i for i in workflow.delivery.bundle if i in case.produced) \
            if kind == "result" else ()
        notice = build_notice(workflow, case, kind, active, items, reason,
                              transition.step if kind != "result" else None)
        return Delivery(f"D-{case.id}", case.id, kind, now,
                        method or self._method(workflow, case, None), items, notice)

    def _method(self, workflow: Workflow, case: Case, method: str | None) -> str:
        methods = workflow.delivery.methods
        chosen = method or case.form.get("delivery_method") or methods[0]
        if chosen not in methods:
            raise ActionRefused(f"'{chosen}' is not a delivery method of {workflow.id}",
                                "use one of: " + ", ".join(methods))
        return str(chosen)

    def _apply_fields(self, workflow: Workflow, transition: Transition, case: Case,
                      payload: dict[str, Any], data: dict[str, Any]) -> None:
        fields = payload.get("fields") or {}
        outside = sorted(set(fields) - set(transition.rewrites))
        if outside:
            raise ActionRefused(
                f"a correction of '{transition.step}' may change only what the step reads",
                f"'{', '.join(outside)}' is not read by '{transition.step}'",
            )
        merged = {**case.form, **fields}
        clean, problems = check_submission(workflow.form, merged, case.materials)
        if clean is None:
            raise SubmissionRejected(problems)
        case.form = clean.form
        case.materials = {**case.materials,
                          **_clean_materials(payload.get("materials") or {})}
        data["fields"] = sorted(fields)
        data["materials"] = sorted(payload.get("materials") or {})

    def _apply_materials(self, case: Case, payload: dict[str, Any],
                         data: dict[str, Any]) -> None:
        given = _clean_materials({k: v for k, v in (payload.get("materials") or {}).items()
                                  if v})
        missing = [m for m in case.promised if m not in given]
        if missing:
            raise ActionRefused("the promised materials are not all here",
                                "still missing: " + ", ".join(missing))
        case.materials = {**case.materials, **given}
        data["materials"] = sorted(given)
        case.promised = ()

    def _authorize(self, workflow: Workflow, transition: Transition, actor: Actor,
                   case: Case) -> None:
        performer = transition.actor
        if performer is Performer.DEPARTMENT:
            step = workflow.step(transition.step)
            if actor.role is not Role.DEPARTMENT or actor.department != step.department:
                raise NotAuthorized(
                    f"only {step.department} decides on '{step.id}' ({actor} may not)",
                    f"act as department:<officer>@{step.department}",
                )
        elif performer is Performer.WINDOW:
            if actor.role is not Role.WINDOW or actor.department != workflow.lead:
                raise NotAuthorized(
                    f"only the {workflow.lead} window may {transition.action} ({actor} may not)",
                    f"act as window:<clerk>@{workflow.lead}",
                )
        elif performer is Performer.APPLICANT:
            agent = actor.role is Role.AGENT and actor.id in case.agents
            if actor.role is not Role.APPLICANT and not agent:
                raise NotAuthorized(f"only the applicant or an agent they authorized may "
                                    f"{transition.action} ({actor} may not)",
                                    "the applicant authorizes an agent with authorize_agent")
        elif performer is Performer.TIMER and actor.role is not Role.SYSTEM:
            raise NotAuthorized(f"'{transition.action}' is fired by the engine's timers")


_ACTIVE = STEP_ROLES
#: department outcomes recorded per step, as the outcome they stand for
_OUTCOMES = {"approve": "approve", "approve_on_commitment": "approve", "refuse": "refuse",
             "revoke_commitment": "refuse"}
_COMMITMENT_ACTIONS = frozenset({"approve_on_commitment", "revoke_commitment"})


_SHARED: dict[tuple[str, str], dict[str, str]] = {}


def _shared(record: dict[str, str]) -> dict[str, str]:
    """One object for each (outcome, actor) without a reason: most steps' records."""
    key = (record["outcome"], record["by"])
    if len(_SHARED) >= 4096 and key not in _SHARED:
        return record
    return _SHARED.setdefault(key, record)


def _pending_commitment(case: Case, step: str | None) -> bool:
    """True while ``step`` was approved on commitment and not yet verified."""
    return bool(step) and case.outcomes.get(step, {}).get("commitment") == "pending"

_TIMER_REASONS = {
    "correction_expired": "the correction was not answered within its limit",
    "promise_expired": "the promised materials did not arrive within the promise (容缺)",
    "deemed_acceptance": "no notice within the intake limit (行政许可法 art. 32): accepted",
}


@attrs.frozen
class Migration:
    """Which cases moved to the new version, and which stayed and why."""

    moved: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]


@attrs.frozen
class QueueItem:
    """One step waiting in a department's queue."""

    case_id: str
    step: str
    priority: int
    position: str
    due: datetime | None
    status: str


@attrs.frozen
class Firing:
    """A timer that fired on a tick."""

    timer: Timer
    case_id: str


def shipped_data(name: str) -> Path:
    """A workflow that ships inside the package (the rectification follow-up)."""
    with resources.as_file(resources.files("onething") / "data" / name) as path:
        return Path(path)


def _deployed(workflow: Workflow) -> Deployed:
    return Deployed(workflow, compile_net(build_net(workflow)), policy_of(workflow))


Change = tuple[Case, list[Event], Delivery | None]


@attrs.frozen
class Wanted:
    """An action as asked for: its name, its step, and (rarely) the exact variant."""

    action: str
    step: str | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        return f"{self.action} {self.step}" if self.step else self.action


def _wanted(action: str, step: str | None = None) -> Callable[[Case, Deployed], Wanted]:
    def pick(case: Case, deployed: Deployed) -> Wanted:
        return Wanted(action, step)
    pick.wanted = (action, step)  # type: ignore[attr-defined]
    return pick


def _clean_materials(given: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    """Brought materials as the case stores them (reference and hash), every problem at once."""
    out, problems = {}, []
    for name, raw in given.items():
        try:
            out[name] = clean_material(raw)
        except ValueProblem as problem:
            problems.append(Problem(name, problem.message, problem.hint))
    if problems:
        raise SubmissionRejected(problems)
    return out


def _fingerprint(*parts: Any) -> str:
    """A stable digest of a request's arguments (for idempotency keys); any value a caller
    can pass is digested (lone surrogates, ints too long for ``str``, unknown objects)."""
    try:
        text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    except (ValueError, TypeError):
        text = json.dumps(_digestible(parts), sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _digestible(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value.bit_length() <= 1_000 else f"int:{value:x}"
    if isinstance(value, Mapping):
        return {str(k): _digestible(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_digestible(v) for v in value]
    return value


def _ended_message(case: Case) -> str:
    at = ""
    for step, outcome in case.outcomes.items():
        if outcome["outcome"] == "refuse" and case.delivery_kind == "refusal":
            at = f" at step {step}"
    return f"case {case.id} ended by {case.delivery_kind}{at}"


def _hint_steps(workflow: Workflow, step: str | None) -> str:
    ids = [s.id for s in workflow.iter_steps()]
    if step and step not in ids:
        close = difflib.get_close_matches(step, ids, n=1)
        if close:
            return f"did you mean step '{close[0]}'?"
        return "steps: " + ", ".join(ids)
    return ("outcomes: approve, refuse, request_correction, start_special_procedure, "
            "end_special_procedure")
