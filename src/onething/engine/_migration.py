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
            reason = _not_movable(case, target, reachable)
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

        _unit.run(engine, case_id, change)
        for what, reason in verdict:
            if what == "moved":
                moved.append(case_id)
            else:
                refused.append((case_id, reason))
    return Migration(tuple(moved), tuple(refused))


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
