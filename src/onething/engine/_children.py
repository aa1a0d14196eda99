"""子流程: opening the child cases of a step that declares ``opens`` when a case reaches it.

The children are built inside the change that moves the case onto the step and committed in
the same transaction (as follow-ups are: :mod:`onething.engine._unit`), so a crash or a retry
never opens them twice or loses them. Each child is an application of its own: it starts at
intake, its own window accepts it, and it ends with its own single delivery; what its
delivery does to the parent is :mod:`onething.engine._settle`'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from onething.cases.children import WAITING, fill
from onething.cases.records import SYSTEM, Case
from onething.engine._submission import build
from onething.engine._unit import Entry, NewCase
from onething.errors import ActionRefused, SubmissionRejected, UnknownWorkflow
from onething.language.form_check import list_items
from onething.language.model import Step
from onething.language.opens_check import check_child
from onething.net.model import PlaceRole

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed


def open_children(engine: EngineContext, deployed: Deployed, before: Case, new: Case,
                  now: datetime, decided: str | None = None) -> tuple[list[NewCase],
                                                                     list[Entry]]:
    """The child cases of every step ``new`` has just reached that opens some — ``decided``
    is the step the action decided, which its own jump may bring the case back to — and an
    ``opened`` history line for each such step; the step's record lists its children."""
    workflow = deployed.workflow
    if not workflow.opening_steps:
        return [], []
    was, at = deployed.positions(before.marking), deployed.positions(new.marking)
    created: list[NewCase] = []
    entries: list[Entry] = []
    for sid in workflow.opening_steps:
        if at.get(sid) is not PlaceRole.STEP or (was.get(sid) is PlaceRole.STEP
                                                 and sid != decided):
            continue
        step = workflow.step(sid)
        opens = step.opens
        assert opens is not None
        child = _child_deployed(engine, deployed, step)
        names = frozenset(f.name for f in child.workflow.form.fields)
        items = list_items(new.form.get(step.foreach)) if step.foreach else [None]
        opened = []
        for item in items:
            form, materials = fill(opens, new.form, new.materials, names, item)
            try:
                made = build(engine, child, form, materials, who=str(SYSTEM),
                             applicant=new.applicant, agents=new.agents, now=now,
                             origin=new.id)
            except SubmissionRejected as rejected:
                raise ActionRefused(f"a child case of '{sid}' cannot be opened: "
                                    f"{rejected.problems[0].name} "
                                    f"{rejected.problems[0].message}",
                                    "the workflows' forms do not fit: deploy them again "
                                    "to see the problem", code="refused.step.child_refused",
                                    subject=sid,
                                    params={"problem": rejected.problems[0].coded()}) from None
            made.case.parent_step = sid
            made.case.priority = max(made.case.priority, new.priority)  # 绿色通道 carries on
            made.events[0].data["parent"] = {"case": new.id, "step": sid}
            created.append(made)
            opened.append(made.case.id)
        new.outcomes[sid] = {"outcome": WAITING, "children": opened, "ended": {}}
        entries.append(("opened", str(SYSTEM), sid, {
            "children": opened, "workflow": f"{child.workflow.id}@{child.workflow.version}"}))
    return created, entries


def _child_deployed(engine: EngineContext, deployed: Deployed, step: Step) -> Deployed:
    """The deployed workflow ``step`` opens cases of, checked to fit this one."""
    opens = step.opens
    assert opens is not None
    try:
        child = engine.deployed(opens.workflow, opens.version)
    except UnknownWorkflow:
        raise ActionRefused(f"'{step.id}' opens cases of '{opens.workflow}', which is not "
                            "deployed", f"deploy '{opens.workflow}' first",
                            code="refused.step.child_not_deployed", subject=step.id,
                            params={"workflow": opens.workflow}) from None
    problems = check_child(deployed.workflow, step, child.workflow)
    if problems:
        raise ActionRefused(f"'{step.id}' cannot open cases of {child.workflow.id}@"
                            f"{child.workflow.version}: {problems[0].message}",
                            problems[0].hint, code="refused.step.child_misfit", subject=step.id,
                            params={"workflow": f"{child.workflow.id}@{child.workflow.version}",
                                    "problem": problems[0].to_message()})
    return child


__all__ = ["open_children"]
