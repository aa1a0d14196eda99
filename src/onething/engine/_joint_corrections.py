"""The engine's side of blocks that ask for corrections together: the one notice when the last
step of the block has decided or asked, and the one answer that resumes every step that asked
(:mod:`onething.cases.joint_corrections` says when; decision 0012 why the proof holds)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from onething.cases import clocks as clk
from onething.cases import joint_corrections as joint
from onething.cases.records import SYSTEM, Case, Event
from onething.engine._unit import Change, Entry
from onething.errors import ActionRefused
from onething.privacy.masking import clip

if TYPE_CHECKING:
    from onething.engine._deployments import Deployed

#: fires the supplement of one step on a case with a payload (the action's own fire)
Fire = Callable[[Case, str, Mapping[str, Any]], Change]


def notices(deployed: Deployed, case: Case, new: Case, now: datetime) -> list[Entry]:
    """The notices an action sends: for each block whose last deciding step just decided or
    asked, one notice listing every step that asked; their answer-by clocks start now."""
    out: list[Entry] = []
    before = deployed.positions(case.marking)
    after = deployed.positions(new.marking)
    for group in joint.groups(deployed.workflow.correction_groups):
        if joint.notice_out(group, after) and not joint.notice_out(group, before):
            steps = joint.asked(group, after)
            for step in steps:
                clock = clk.own(new.clocks, step)
                clock["notice_at"] = now.isoformat()
            out.append(("correction_notice", str(SYSTEM), None,
                        {"steps": steps, "block": list(group)}))
    return out


def answer(case: Case, deployed: Deployed, asked_step: str, payload: Mapping[str, Any],
           fire: Fire) -> Change:
    """The applicant's one answer to a block's notice: every step that asked resumes, each
    with the fields it reads (a field no asking step reads is refused)."""
    group = deployed.workflow.correction_groups[asked_step]
    positions = deployed.positions(case.marking)
    if not joint.asked(group, positions):
        raise ActionRefused("no correction of this block waits for an answer",
                            "the departments have not asked for one, or it was answered",
                            code="refused.step.no_joint_correction", subject=asked_step)
    if not joint.notice_out(group, positions):
        waiting = joint.deciding(group, positions)
        raise ActionRefused("the block's one correction notice is not out yet",
                            "still deciding: " + (", ".join(waiting) or "nothing asked"),
                            code="refused.step.joint_notice_pending", subject=asked_step,
                            params={"deciding": ", ".join(waiting)})
    steps = joint.asked(group, positions)
    if asked_step not in steps:
        raise ActionRefused(f"'{asked_step}' asked for no correction",
                            "the notice lists: " + ", ".join(steps),
                            code="refused.step.not_asked", subject=asked_step,
                            params={"steps": ", ".join(steps)})
    reads = {s: _rewrites(deployed, s) for s in steps}
    fields = dict(payload.get("fields") or {})
    everything = frozenset().union(*reads.values())
    outside = sorted(str(n) for n in set(fields) - everything)
    if outside:
        raise ActionRefused("the answer may change only what the steps that asked read",
                            f"'{', '.join(clip(n, 40) for n in outside)}' is read by none "
                            f"of {', '.join(steps)}", code="refused.step.joint_answer_unread",
                            subject=asked_step,
                            params={"names": ", ".join(clip(n, 40) for n in outside),
                                    "steps": ", ".join(steps)})
    current, events = case, list[Event]()
    ordered = [asked_step, *(s for s in steps if s != asked_step)]
    for index, step in enumerate(ordered):
        # the whole answer is applied (and checked) at once, with the first step resumed
        part = {**payload, "fields": fields, "answers_for": everything} if index == 0 else \
            {**payload, "fields": {}, "materials": {}}
        change = fire(current, step, part)
        current, events = change.case, events + change.events
    return Change(current.replace(version=case.version + 1), events)


def _rewrites(deployed: Deployed, step: str) -> frozenset[str]:
    for t in deployed.compiled.net.transitions:
        if t.action == "supplement" and t.step == step:
            return t.rewrites
    return frozenset()


__all__ = ["answer", "notices"]
