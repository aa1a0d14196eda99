"""子流程 at deployment: a workflow that opens child cases is deployed only when every child
workflow it opens is deployed, proven sound and fits it, and when no chain of workflows
opens itself again; a new version of a child is deployed only when every
deployed parent that opens its latest version still fits it (decision 0016). So opening a
child never fails on its form, and a parent's step is always decided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onething.errors import UnknownWorkflow, WorkflowInvalid
from onething.language.location import Diagnostic, Location
from onething.language.model import Step, Workflow
from onething.language.opens_check import check_child

if TYPE_CHECKING:
    from onething.engine._context import EngineContext


def check_opening(engine: EngineContext, workflow: Workflow, prove: bool) -> None:
    """Refuse (:class:`WorkflowInvalid`, located) to deploy ``workflow`` when a workflow it
    opens is missing, unsound, does not fit, or opens ``workflow`` again; or when it is a
    new version of a child that a deployed parent opens (unpinned) and no longer fits."""
    problems: list[Diagnostic] = []
    for sid in workflow.opening_steps:
        problems += _as_parent(engine, workflow, workflow.step(sid), prove)
    problems += _as_child(engine, workflow)
    if problems:
        raise WorkflowInvalid(problems)


def _as_parent(engine: EngineContext, workflow: Workflow, step: Step,
               prove: bool) -> list[Diagnostic]:
    opens = step.opens
    assert opens is not None
    try:
        child = engine.deployed(opens.workflow, opens.version).workflow
    except UnknownWorkflow:
        return [Diagnostic("opens-workflow", f"step '{step.id}' opens cases of "
                           f"'{opens.workflow}'" + (f" version {opens.version}"
                                                     if opens.version else "")
                           + ", which is not deployed", opens.location,
                           f"deploy '{opens.workflow}' first (onething deploy orders the files "
                           "it is given so)")]
    cycle = _opens_again(engine, child, workflow.id, [workflow.id, child.id])
    if cycle:
        return [Diagnostic("opens-workflow", f"step '{step.id}' opens '{child.id}', and "
                           + " → ".join(cycle) + " opens it again: cases would open cases "
                           "without end", opens.location, "break the chain")]
    return check_child(workflow, step, child) + _delivers(step, child, prove, opens.location)


def _as_child(engine: EngineContext, child: Workflow) -> list[Diagnostic]:
    """Deployed parents whose latest version opens ``child``'s latest (or this) version and
    would not fit it. (Whether ``child`` is sound is its own deployment's proof.)"""
    store = engine.store
    if store.latest_version(child.id) is None:
        return []
    out: list[Diagnostic] = []
    for wid in store.workflow_ids():
        latest = store.latest_version(wid)
        stored = store.get_definition(wid, latest) if latest is not None else None
        if wid == child.id or stored is None or child.id not in stored[1]:
            continue  # only a workflow whose text names the child can open it
        parent = engine.deployed(wid, latest).workflow
        for sid in parent.opening_steps:
            step = parent.step(sid)
            opens = step.opens
            assert opens is not None
            if opens.workflow != child.id or opens.version not in (None, child.version):
                continue
            found = check_child(parent, step, child)
            out += [Diagnostic(d.code, f"{parent.id}@{parent.version} opens the latest "
                               f"'{child.id}' at step '{sid}' and would not fit version "
                               f"{child.version}: {d.message}", child.location,
                               f"pin 'version:' under that step's opens, or deploy a version "
                               f"of {parent.id} that fits first") for d in found]
    return out


def _delivers(step: Step, child: Workflow, prove: bool,
              location: Location) -> list[Diagnostic]:
    """The child is proven sound (deployed by an engine that does not prove, it may not be):
    then it always ends with one delivery, and a result is one of its ends — a workflow
    that never reaches its result is stuck, which the proof refuses."""
    if not prove:
        return []
    from onething.soundness.proof import check

    if check(child).sound:
        return []
    return [Diagnostic("opens-workflow", f"step '{step.id}' opens '{child.id}', which is not "
                       "proven sound: a child that can get stuck leaves the step undecided",
                       location, f"run onething check on {child.id}")]


def _opens_again(engine: EngineContext, workflow: Workflow, target: str,
                 path: list[str]) -> list[str]:
    """The chain of workflows from ``workflow`` that opens ``target`` again, if any."""
    for sid in workflow.opening_steps:
        opens = workflow.step(sid).opens
        assert opens is not None
        if opens.workflow == target:
            return [*path, target]
        if opens.workflow in path:
            continue
        try:
            nxt = engine.deployed(opens.workflow, opens.version).workflow
        except UnknownWorkflow:
            continue
        found = _opens_again(engine, nxt, target, [*path, nxt.id])
        if found:
            return found
    return []


__all__ = ["check_opening"]
