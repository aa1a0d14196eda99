"""Moving undelivered cases to another deployed version of their workflow, where that is safe.

Each case is checked and moved in one versioned transaction: an action that lands between the
check and the move makes the move conflict and be checked again, so a case never ends on a
version that lacks its position, and a delivered case never gains a ``migrated`` event.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from onething.cases.forms import check_submission
from onething.cases.records import SYSTEM, Case
from onething.engine import _unit
from onething.engine._unit import Change, advance
from onething.language.location import UNKNOWN
from onething.language.model import Workflow
from onething.net.model import STEP_ROLES, PlaceRole
from onething.net.semantics import form_guard, reachable_set

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed


@attrs.frozen
class Migration:
    """Which cases moved to the new version, and which stayed and why."""

    moved: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]


def migrate(engine: EngineContext, workflow_id: str, to_version: int, from_version: int | None,
            dry_run: bool) -> Migration:
    """Move (or, dry, list) the undelivered cases of ``workflow_id`` to ``to_version``."""
    target = engine.deployed(workflow_id, to_version)
    reachable: dict[tuple[bool, ...], set[int] | None] = {}
    moved: list[str] = []
    refused: list[tuple[str, str]] = []
    for case_id in engine.store.case_ids():
        verdict: list[tuple[str, str]] = []

        def change(case: Case, deployed: Deployed, at: datetime,
                   verdict: list[tuple[str, str]] = verdict) -> Change | None:
            verdict.clear()
            if case.workflow_id != workflow_id or case.workflow_version == to_version \
                    or (from_version is not None and case.workflow_version != from_version) \
                    or case.ended:
                return None
            reason = _not_movable(case, target, reachable) or _mid_round(case, deployed,
                                                                        target)
            if reason:
                verdict.append(("refused", reason))
                return None
            verdict.append(("moved", ""))
            if dry_run:
                return None
            workflow = target.workflow
            return advance(case, at, ("migrated", str(SYSTEM), None,
                                      {"from": case.workflow_version, "to": workflow.version,
                                       "content_hash": workflow.content_hash}),
                           workflow_version=workflow.version,
                           content_hash=workflow.content_hash)

        _unit.run(engine, case_id, change, action="migrate")
        for what, reason in verdict:
            if what == "moved":
                moved.append(case_id)
            else:
                refused.append((case_id, reason))
    return Migration(tuple(moved), tuple(refused))


def _mid_round(case: Case, source: Deployed, target: Deployed) -> str:
    """A round the new version would read differently: a step waiting for a correction whose
    block asks together in one version and not the other (the notice and its answer-by clock
    would not match), or a round of sign-offs under a different rule."""
    old, new = source.workflow, target.workflow
    before, after = _set_fields(old), _set_fields(new)
    if before != after:
        # a field set before the case's position, or set differently, would be read unset
        # or with a value of another kind: what the proof of the new version assumes fails
        return (f"version {new.version} sets fields differently ("
                + ", ".join(sorted(set(before) ^ set(after) or after))
                + "); its cases cannot move")
    positions = source.positions(case.marking)
    for step, role in positions.items():
        if role is PlaceRole.CORRECTION and \
                old.correction_groups.get(step) != new.correction_groups.get(step):
            return (f"'{step}' waits for a correction that version {new.version} would notify "
                    "differently (corrections: each / together); migrate after the answer")
    for step, role in positions.items():
        if role in STEP_ROLES and step in new.opening_steps and \
                (case.outcomes.get(step) or {}).get("outcome") != "waiting":
            return (f"'{step}' opens child cases in version {new.version}, and the case stands "
                    "at it without any; migrate after the step is decided")
    for step, record in case.outcomes.items():
        if record.get("outcome") == "signing" and step in new.round_steps and \
                _rule(old, step) != _rule(new, step):
            return (f"'{step}' is half signed under a sign_off or foreach that version "
                    f"{new.version} changes; migrate after the step is decided")
        if record.get("outcome") == "waiting" and (
                step not in new.opening_steps or _opens(new, step) != _opens(old, step)):
            return (f"'{step}' waits for child cases that version {new.version} would open "
                    "differently; migrate after they have delivered")
        if record.get("outcome") == "signing" and step not in new.round_steps:
            return (f"'{step}' is half signed and version {new.version} has no sign_off or "
                    "foreach for it; migrate after the step is decided")
    return ""


def _set_fields(workflow: Workflow) -> dict[str, tuple[object, str]]:
    """The fields the workflow's steps set, each with its definition and its step."""
    return {name: (attrs.evolve(field, location=UNKNOWN), step)
            for name, (field, step) in workflow.set_fields.items()}


def _opens(workflow: Workflow, step: str) -> object:
    opens = workflow.step(step).opens
    return attrs.evolve(opens, location=UNKNOWN) if opens is not None else None


def _rule(workflow: Workflow, step: str) -> tuple[object, ...]:
    rule = workflow.step(step).sign_off
    return (rule.by, rule.experts, rule.need) if rule is not None else (
        "foreach", workflow.step(step).foreach)


def _not_movable(case: Case, target: Deployed,
                 reachable: dict[tuple[bool, ...], set[int] | None]) -> str:
    compiled = target.compiled
    missing = [p for p in case.marking if p not in compiled.place_index]
    if missing:
        return "version {} has no position {}".format(
            target.workflow.version, ", ".join(missing))
    _, problems = check_submission(target.workflow.form, case.form, case.materials)
    if problems and not case.promised:
        return "its form is not valid for version {}: {}".format(
            target.workflow.version, "; ".join(p.render() for p in problems))
    guard = form_guard(case.facts())
    key = tuple(guard(t) for t in compiled.net.transitions if t.guard)
    if key not in reachable:
        reachable[key] = reachable_set(compiled.semantics, guard)
    positions = reachable[key]
    if positions is None:
        return f"version {target.workflow.version} is too large to confirm the position"
    if compiled.marking_of(case.marking) not in positions:
        return f"its configuration is not reachable in version {target.workflow.version}"
    return ""
