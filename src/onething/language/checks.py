"""Cross-reference checks over a whole workflow: ids, jumps, reads, conditions, the bundle."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping

from onething.language import conditions as exprs
from onething.language import opens_check
from onething.language.location import Diagnostic, Location, Severity
from onething.language.model import (
    JUMP_OUTCOMES,
    Block,
    Choice,
    Condition,
    Field,
    Material,
    Parallel,
    Stage,
    Step,
    StepSequence,
    TimeLimit,
    Workflow,
    branch_of,
    iter_steps,
    send_back_block,
    sequences,
)
from onething.language.time_check import stages
from onething.language.yamlsource import SourceLines

Scope = tuple[tuple[int, int], ...]


def check_workflow(
    workflow: Workflow,
    delivery_items: Mapping[str, Location] | None = None,
    *,
    broken: Collection[str] = (),
) -> list[Diagnostic]:
    """Every cross-reference problem of ``workflow`` (errors and warnings).

    ``delivery_items`` locates the delivery's list entries (``"bundle:seal_set"``,
    ``"reads:mail_address"``); without it they are reported at the delivery. ``broken``
    names fields, materials and items whose definitions were already reported as wrong:
    references to them are not reported again.
    """
    out: list[Diagnostic] = []
    items = delivery_items or {}
    broken = frozenset(broken)
    scopes = dict(step_scopes(workflow.steps))
    steps = list(workflow.iter_steps())
    out += _duplicate_ids(steps)
    out += _jumps(steps, scopes)
    out += _reads(workflow, steps, items, broken)
    out += _conditions(workflow, broken)
    out += _bundle(workflow, steps, items, broken)
    out += _unused(workflow, steps)
    out += _limits(workflow, steps)
    out += _promises(workflow, steps)
    out += _send_backs(workflow.steps, steps)
    out += _set_fields(workflow, steps)
    out += _foreach(workflow, steps, broken)
    for step in steps:
        out += opens_check.check_step(workflow, step)
    return out


def _foreach(workflow: Workflow, steps: list[Step], broken: frozenset[str]
             ) -> Iterator[Diagnostic]:
    """A step done item by item goes over a list field of the form, and decides each item
    by approve or refuse alone."""
    lists = [f.name for f in workflow.form.fields if f.type == "list"]
    for step in steps:
        if step.foreach is None:
            continue
        where = step.where("foreach")
        if step.foreach not in lists and step.foreach not in broken:
            yield Diagnostic("foreach-field", f"step '{step.id}' goes item by item over "
                             f"'{step.foreach}', which is not a list field of the form", where,
                             _close(step.foreach, lists) or
                             "declare it in the form with type: list")
        clash = next((key for key in ("sign_off", "outcomes", "sets", "commitment")
                      if getattr(step, key)), "")
        if clash:
            yield Diagnostic("foreach-placement", f"step '{step.id}' decides each item of "
                             f"'{step.foreach}' by approve or refuse and cannot also have "
                             f"'{clash}'", step.where(clash),
                             "give the step one kind of decision: item by item, or the other")


def step_scopes(block: object, scope: Scope = ()) -> Iterator[tuple[str, Scope]]:
    """Each step id with its parallel scope: the (block, branch) path that encloses it."""
    if isinstance(block, Step):
        yield block.id, scope
    elif isinstance(block, StepSequence):
        for item in block.items:
            yield from step_scopes(item, scope)
    elif isinstance(block, Parallel):
        for index, branch in enumerate(block.branches):
            yield from step_scopes(branch, (*scope, (id(block), index)))
    elif isinstance(block, Choice):
        for arm in block.branches:
            yield from step_scopes(arm.body, scope)
    elif isinstance(block, Stage):
        yield from step_scopes(block.body, scope)


def _close(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _duplicate_ids(steps: list[Step]) -> Iterator[Diagnostic]:
    first: dict[str, Step] = {}
    for step in steps:
        if step.id in first:
            yield Diagnostic(
                "duplicate-id", f"the step id '{step.id}' is used twice", step.where("id"),
                f"the first is at line {first[step.id].location.line}; step ids must be unique",
            )
        else:
            first[step.id] = step


def _jumps(steps: list[Step], scopes: dict[str, Scope]) -> Iterator[Diagnostic]:
    ids = [s.id for s in steps]
    for step in steps:
        for outcome, target in step.jumps:
            where = step.jump_location(outcome)
            if outcome not in JUMP_OUTCOMES and not step.outcome(outcome):
                continue
            if target not in scopes:
                yield Diagnostic(
                    "unknown-step", f"step '{step.id}' jumps on '{outcome}' to '{target}', "
                    "which is not a step", where, _close(target, ids) or "jump to a step id",
                )
            elif scopes[target] != scopes[step.id]:
                yield Diagnostic(
                    "jump-across-parallel",
                    f"step '{step.id}' jumps on '{outcome}' to '{target}' across the boundary "
                    "of a parallel branch",
                    where,
                    "a jump must stay inside its own parallel branch (or outside all of them): "
                    "leaving a branch would strand its siblings, entering one would skip the "
                    "fork",
                )
        if step.sign_off is not None and step.outcomes:
            yield Diagnostic(
                "conflicting-outcome",
                f"step '{step.id}' is decided by several signers and also has outcomes of its "
                f"own ({', '.join(o.name for o in step.outcomes)})",
                step.outcomes[0].location,
                "signers approve or refuse; give the outcomes to a step one department decides",
            )
        if step.optional and step.jump("refuse"):
            yield Diagnostic(
                "conflicting-outcome",
                f"step '{step.id}' is optional and also jumps on 'refuse'",
                step.key_locations.get("goto:refuse", step.where("goto")),
                "an optional step's refusal just lets the case go on; drop one of the two",
            )


def _reads(
    workflow: Workflow, steps: list[Step], items: Mapping[str, Location], broken: frozenset[str]
) -> Iterator[Diagnostic]:
    known = workflow.form.names | workflow.set_fields.keys() | broken
    names = sorted(known)
    for name in workflow.delivery.reads:
        if name not in known:
            yield Diagnostic(
                "unknown-field", f"the delivery reads '{name}', which the form does not have",
                items.get(f"reads:{name}", workflow.delivery.location),
                _close(name, names) or "add it under form.fields or form.materials",
            )
    for step in steps:
        for name in step.reads:
            if name not in known and name != step.foreach:  # foreach-field says it
                yield Diagnostic(
                    "unknown-field",
                    f"step '{step.id}' reads '{name}', which the form does not have",
                    step.key_locations.get(f"reads:{name}", step.where("reads")),
                    _close(name, names) or "add it under form.fields or form.materials",
                )


def _conditions(workflow: Workflow, broken: frozenset[str]) -> Iterator[Diagnostic]:
    fields = workflow.condition_fields
    lines = SourceLines(workflow.text)
    for cond, what in all_conditions(workflow):
        if exprs.fields(cond.expr) & broken:
            continue
        for problem in exprs.typecheck(cond.expr, fields):
            yield Diagnostic(
                problem.code if problem.code in ("unknown-field", "impossible-literal")
                else "expression-type",
                f"{what}: {problem.message}",
                lines.in_value(cond.location, cond.text, problem.offset),
                problem.hint or "see the condition language in docs/language.md",
            )


def all_conditions(workflow: Workflow) -> Iterator[tuple[Condition, str]]:
    """Every condition in the workflow with a phrase naming where it is."""
    for f in workflow.form.fields:
        if f.required_if is not None:
            yield f.required_if, f"'required_if' of field '{f.name}'"
    for m in workflow.form.materials:
        if m.required_if is not None:
            yield m.required_if, f"'required_if' of material '{m.name}'"
    if workflow.green_channel is not None:
        yield workflow.green_channel.when, "'when' of the green channel"
    yield from _block_conditions(workflow.steps)
    for step in workflow.iter_steps():
        given = workflow.list_given(step)
        if given is not None:
            yield given, f"'foreach' of step '{step.id}'"


def _block_conditions(block: object) -> Iterator[tuple[Condition, str]]:
    if isinstance(block, Step):
        if block.when is not None:
            yield block.when, f"'when' of step '{block.id}'"
        if block.commitment is not None and block.commitment.when is not None:
            yield block.commitment.when, f"'when' of the commitment of step '{block.id}'"
    elif isinstance(block, StepSequence):
        for item in block.items:
            yield from _block_conditions(item)
    elif isinstance(block, Parallel):
        for branch in block.branches:
            yield from _block_conditions(branch)
    elif isinstance(block, Choice):
        for arm in block.branches:
            if arm.when is not None:
                yield arm.when, "a choice 'when'"
            yield from _block_conditions(arm.body)
    elif isinstance(block, Stage):
        yield from _block_conditions(block.body)


def _bundle(
    workflow: Workflow, steps: list[Step], items: Mapping[str, Location], broken: frozenset[str]
) -> Iterator[Diagnostic]:
    produced = sorted({item for s in steps for item in s.produces})
    for item in workflow.delivery.bundle:
        if item not in produced and item not in broken:
            yield Diagnostic(
                "unproducible-item",
                f"the delivery bundles '{item}', which no step produces",
                items.get(f"bundle:{item}", workflow.delivery.location),
                _close(item, produced) or "add it to some step's 'produces' or drop it",
            )


def _unused(workflow: Workflow, steps: list[Step]) -> Iterator[Diagnostic]:
    used = {name for s in steps for name in s.reads} | set(workflow.delivery.reads)
    used |= {name for s in steps for name in opens_check.read_by(s)}
    for cond, _ in all_conditions(workflow):
        used |= exprs.fields(cond.expr)
    items: list[Field | Material] = [*workflow.form.fields, *workflow.form.materials]
    for item in items:
        if item.name not in used:
            kind = "field" if isinstance(item, Field) else "material"
            yield Diagnostic(
                f"unused-{kind}",
                f"no step reads the {kind} '{item.name}'", item.location,
                "collect only what some department needs (一次采集): add it to a step's "
                f"'reads', or remove the {kind}",
                Severity.WARNING,
            )


def _promises(workflow: Workflow, steps: list[Step]) -> Iterator[Diagnostic]:
    """A 容缺 promise may not outlast the committed limit of a step that reads the material."""
    for material in workflow.form.materials:
        promise = material.deferrable
        if promise is None:
            continue
        for step in steps:
            limit = step.time_limit.committed if step.time_limit else None
            if material.name not in step.reads or limit is None or limit.unit != promise.unit:
                continue
            if promise.amount > limit.amount:
                yield Diagnostic(
                    "promise-too-long",
                    f"the material '{material.name}' may be promised for {promise}, longer "
                    f"than the {limit} committed by step '{step.id}', which reads it",
                    material.location,
                    "a 容缺 promise may not exceed the committed limit of the item (容缺受理 "
                    "rules, e.g. 台州, 民政): shorten 'deferrable'",
                )


def _limits(workflow: Workflow, steps: list[Step]) -> Iterator[Diagnostic]:
    """A committed limit no longer than the statutory one: a step's, a stage's, the case's
    (under joint handling the statutory 45 WD holds even when not written)."""
    owners: list[tuple[Step | Stage | None, TimeLimit | None]] = [
        (step, step.time_limit) for step in steps]
    owners += [(stage, stage.time_limit) for stage in stages(workflow.steps)]
    owners.append((None, workflow.time_limit))
    for owner, limit in owners:
        if limit is None or limit.committed is None or limit.statutory is None:
            continue
        same_unit = limit.committed.unit == limit.statutory.unit
        if same_unit and limit.committed.amount > limit.statutory.amount:
            yield Diagnostic(
                "limit-order",
                f"{_owner(owner)} commits to {limit.committed}, longer than its statutory "
                f"{limit.statutory}",
                limit.location,
                "the committed limit (承诺时限) may only shorten the statutory one (法定时限)",
            )


def _owner(owner: Step | Stage | None) -> str:
    if owner is None:
        return "the case"
    return f"{'step' if isinstance(owner, Step) else 'stage'} '{owner.id}'"


def _send_backs(top: StepSequence, steps: list[Step]) -> Iterator[Diagnostic]:
    """``send_back`` stands right after a parallel block, names steps at the top of its
    branches, and its step is reached only through that block (no jump leads to it)."""
    ids = [s.id for s in steps]
    senders: set[str] = set()
    for seq in sequences(top):
        for index, sender in enumerate(seq.items):
            if not isinstance(sender, Step) or sender.send_back is None:
                continue
            where = sender.where("send_back")
            block = send_back_block(seq, index)
            if block is None:
                yield Diagnostic(
                    "send-back-placement", f"step '{sender.id}' sends back into the parallel "
                    "block right before it, but the item before it is not a parallel block",
                    where, "put the step right after the parallel block whose departments it "
                    "may send back")
                continue
            senders.add(sender.id)
            if sender.sign_off is not None:
                yield Diagnostic(
                    "send-back-placement", f"step '{sender.id}' is decided by several signers "
                    "and cannot also send a department back", where,
                    "let one department decide the step that sends back")
            for target in sender.send_back.to:
                target_step = next((s for s in steps if s.id == target), None)
                if target_step is not None and target_step.send_back is not None:
                    yield Diagnostic(
                        "send-back-target", f"step '{sender.id}' sends back to '{target}', "
                        "which itself sends back into the block before it", where,
                        f"'{target}' must be reached through its own block: send back to a "
                        "step before it in its branch")
                    continue
                if branch_of(block, target) is not None:
                    continue
                known = target in ids
                yield Diagnostic(
                    "send-back-target", f"step '{sender.id}' sends back to '{target}', which "
                    + ("does not stand directly in a branch of the block before it" if known
                       else "is not a step"),
                    where, "name a step that stands directly in one of the block's branches "
                    "(not inside a nested block or stage)" if known
                    else _close(target, ids) or "name a step of the block before it")
    for step in steps:
        for outcome, target in step.jumps:
            if target in senders:
                yield Diagnostic(
                    "send-back-placement", f"step '{step.id}' jumps on '{outcome}' to "
                    f"'{target}', which sends back into the block before it",
                    step.jump_location(outcome),
                    f"'{target}' must be reached through its block: jump to a step before "
                    "the block (the block then runs again), or let the send-back do it")


def _top_items(top: StepSequence) -> list[Block]:
    """The workflow's top-level blocks, with the blocks of its top-level stages in their place."""
    out: list[Block] = []
    for item in top.items:
        out += list(item.body.items) if isinstance(item, Stage) else [item]
    return out


def _set_fields(workflow: Workflow, steps: list[Step]) -> Iterator[Diagnostic]:
    """A field a step sets is set on every way to what reads it, once: the step stands at the
    top level (not inside a block), every decision that goes on sets it, nothing before the
    step reads it, and no jump passes the step by or comes back to it."""
    setters = {s.id: s for s in steps if s.sets}
    if not setters:
        return
    known = workflow.form.names
    first: dict[str, str] = {}
    for step in setters.values():
        for field in step.sets:
            if field.name in known:
                yield Diagnostic("duplicate-name", f"step '{step.id}' sets '{field.name}', "
                                 "which is a field or material of the form", field.location,
                                 "the applicant fills the form; name the step's field apart")
            elif field.name in first:
                yield Diagnostic("duplicate-name", f"step '{step.id}' sets '{field.name}', "
                                 f"which step '{first[field.name]}' sets already",
                                 field.location, "a field is set by one step, once")
            first.setdefault(field.name, step.id)
    shadowing = {f.name for s in setters.values() for f in s.sets if f.name in known}
    readable = workflow.set_fields.keys() - shadowing
    items = _top_items(workflow.steps)
    index: dict[str, int] = {}
    for i, item in enumerate(items):
        for inner in iter_steps(item):
            index[inner.id] = i
    for sid, step in setters.items():
        top = isinstance(items[index[sid]], Step)
        why = ("stands inside a block" if not top else "is optional" if step.optional
               else "is skipped when its 'when' does not hold" if step.when is not None
               else "jumps on refuse" if step.jump("refuse") else
               "is decided by several signers" if step.sign_off is not None else
               "can be deemed approved by a timer" if step.silence is not None else
               "sends back into a block" if step.send_back is not None else "")
        if why:
            yield Diagnostic(
                "set-field-placement", f"step '{step.id}' sets "
                f"{', '.join(f.name for f in step.sets)} but {why}", step.where("sets"),
                "a step that sets fields stands at the top level of the steps, and every "
                "decision that goes on past it gives their values")
    early = [(f.required_if, f"'required_if' of the {kind} '{f.name}'")
             for kind, entries in (("field", workflow.form.fields),
                                   ("material", workflow.form.materials))
             for f in entries if f.required_if is not None]
    if workflow.green_channel is not None:
        early.append((workflow.green_channel.when, "the green channel's 'when'"))
    for condition, what in early:  # read at submission, before any step has decided
        for name in sorted(exprs.fields(condition.expr) & readable):
            yield Diagnostic(
                "set-field-read-early", f"{what} reads '{name}', which step "
                f"'{workflow.set_fields[name][1]}' sets only after the submission",
                condition.location, "conditions read at submission read the applicant's form")
    for i, item in enumerate(items):
        for condition, what in _block_conditions(item):
            for name in sorted(exprs.fields(condition.expr) & readable):
                setter = workflow.set_fields[name][1]
                if i <= index[setter]:
                    yield Diagnostic(
                        "set-field-read-early", f"{what} reads '{name}', which step "
                        f"'{setter}' sets only later", condition.location,
                        f"read '{name}' only in the blocks after '{setter}'")
        for inner in iter_steps(item):
            for name in inner.reads:
                if name not in readable:
                    continue
                setter = workflow.set_fields[name][1]
                if i <= index[setter]:
                    yield Diagnostic(
                        "set-field-read-early", f"step '{inner.id}' reads '{name}', which "
                        f"step '{setter}' sets only later",
                        inner.key_locations.get(f"reads:{name}", inner.where("reads")),
                        f"read '{name}' only in the steps after '{setter}'")
    for step in steps:
        for outcome, target in step.jumps:
            if target not in index:
                continue
            here, there = index[step.id], index[target]
            for sid in setters:
                k = index[sid]
                if here < k < there or (here >= k >= there):
                    yield Diagnostic(
                        "set-field-skipped", f"step '{step.id}' jumps on '{outcome}' to "
                        f"'{target}', " + ("past" if here < k else "back to or before")
                        + f" '{sid}', which sets "
                        f"{', '.join(f.name for f in setters[sid].sets)}",
                        step.jump_location(outcome),
                        "what a step sets is set once, on every way on: jump within one "
                        "side of it")
