"""The checks of a step that opens child cases (子流程, ``opens:``): on its own workflow — where
it may stand, and that what fills each child field is a field, material or item field of this
case — and against the child workflow, once it is known (at deployment): every field the
child needs is filled, always, with values the child accepts, so opening a child never fails.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import NamedTuple

from onething.language.location import Diagnostic
from onething.language.model import Field, Material, Step, Workflow
from onething.language.step_keys import ITEM_PREFIX

#: keys a step that opens child cases cannot also have: its children decide it
EXCLUSIVE = ("sign_off", "outcomes", "sets", "commitment", "silence", "send_back")


class Source(NamedTuple):
    """What fills a child's field or material: its definition here, and whether every case
    has a value for it (a required field, a required material that cannot be promised)."""

    spec: Field | Material
    always: bool


def source_of(workflow: Workflow, step: Step, name: str) -> Source | None:
    """The field, material or item field ``name`` names in ``workflow`` for ``step`` (None
    when it names nothing)."""
    listed = workflow.form.field(step.foreach) if step.foreach else None
    if listed is not None and listed.type == "list":
        if name == ITEM_PREFIX and not listed.records:
            return Source(listed.items[0], True)
        if name.startswith(ITEM_PREFIX + "."):
            sub = next((f for f in listed.items if f.name == name[len(ITEM_PREFIX) + 1:]), None)
            return Source(sub, sub.required or sub.default is not None) if sub else None
    field = workflow.form.field(name)
    if field is not None:
        return Source(field, field.required or field.default is not None)
    material = workflow.form.material(name)
    if material is not None:
        return Source(material, material.required and material.deferrable is None)
    return None


def read_by(step: Step) -> set[str]:
    """The names of this case's fields and materials the step passes to its children."""
    if step.opens is None:
        return set()
    return {src for _, src in step.opens.form if not src.startswith(ITEM_PREFIX)}


def check_step(workflow: Workflow, step: Step) -> Iterator[Diagnostic]:
    """Problems of a step that opens child cases, within its own workflow."""
    opens = step.opens
    if opens is None:
        return
    clash = next((key for key in EXCLUSIVE if getattr(step, key)), None)
    if clash:
        yield Diagnostic("opens-placement", f"step '{step.id}' is decided by the child cases "
                         f"it opens and cannot also have '{clash}'", step.where(clash),
                         "its children's deliveries decide it: keep the other decision on "
                         "a step of its own")
    if opens.workflow == workflow.id:
        yield Diagnostic("opens-workflow", f"step '{step.id}' opens cases of its own workflow "
                         f"'{workflow.id}'", opens.location, "a child is another workflow")
    names = sorted(workflow.form.names)
    for child_name, src in opens.form:
        if source_of(workflow, step, src) is None:
            where = "the item" if src.startswith(ITEM_PREFIX + ".") or src == ITEM_PREFIX \
                else "the form"
            hint = (f"'item.<field>' names a field of each item of '{step.foreach}'"
                    if step.foreach else "'item' needs foreach: <list field> on the step") \
                if where == "the item" and src not in names else _close(src, names)
            yield Diagnostic("opens-form", f"step '{step.id}' fills the child's '{child_name}' "
                             f"from '{src}', which is not a field or material of {where}",
                             opens.location, hint or "name a field or material of the form")


def check_child(workflow: Workflow, step: Step, child: Workflow) -> list[Diagnostic]:
    """Problems of filling ``child``'s form from ``workflow`` as ``step`` says: unknown child
    names, sources of another kind or type, values the child could refuse, and what the
    child requires left unfilled."""
    opens = step.opens
    assert opens is not None
    at = opens.location
    out: list[Diagnostic] = []
    filled = dict(opens.form)
    for child_name, src in opens.form:
        target: Field | Material | None = child.form.field(child_name) or \
            child.form.material(child_name)
        source = source_of(workflow, step, src)
        if target is None:
            out.append(Diagnostic("opens-form", f"'{child.id}' has no field or material "
                                  f"'{child_name}' for step '{step.id}' to fill", at,
                                  _close(child_name, sorted(child.form.names))
                                  or f"the fields of '{child.id}' are listed in its form"))
        elif source is not None:
            problem = _mismatch(source.spec, target)
            if problem:
                out.append(Diagnostic("opens-form", f"step '{step.id}' fills '{child.id}'s "
                                      f"'{child_name}' from '{src}', but {problem}", at,
                                      "fill it from a field of the same type and range"))
    needs: list[Field | Material] = [*child.form.fields, *child.form.materials]
    for need in needs:
        needed = (need.required or need.required_if is not None) and (
            isinstance(need, Field) or need.deferrable is None)
        if not needed or (isinstance(need, Field) and need.default is not None):
            continue
        source = source_of(workflow, step, filled[need.name]) if need.name in filled else None
        if source is None or not source.always:
            why = "does not fill" if need.name not in filled else \
                f"fills from '{filled[need.name]}', which a case may leave empty"
            out.append(Diagnostic("opens-form", f"'{child.id}' requires '{need.name}', which "
                                  f"step '{step.id}' {why}", at,
                                  f"fill it under opens: {{form: {{{need.name}: ...}}}} from "
                                  "a required field or material"))
    return out


def _mismatch(source: Field | Material, target: Field | Material) -> str:
    if isinstance(source, Material) or isinstance(target, Material):
        if isinstance(source, Material) and isinstance(target, Material):
            return ("it may be promised (容缺), and a child is opened with what the case holds"
                    if source.deferrable is not None else "")
        return "a field and a material are not filled from each other"
    if source.personal and not target.personal:
        return f"it is personal data and '{target.name}' is not marked personal: it would " \
            "show unmasked"
    if source.type != target.type or source.type == "list":
        return (f"it is {source.type} and '{target.name}' is {target.type}"
                if source.type != target.type else
                "a list is not passed on: open one child per item with foreach")
    if target.values is not None and not set(source.values or ()) <= set(target.values):
        return f"'{target.name}' does not accept every value of the source"
    low, high = source.minimum, source.maximum
    if target.minimum is not None and (low is None or low < target.minimum):
        return f"'{target.name}' accepts nothing below {target.minimum}"
    if target.maximum is not None and (high is None or high > target.maximum):
        return f"'{target.name}' accepts nothing above {target.maximum}"
    return ""


def _close(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else ""


__all__ = ["EXCLUSIVE", "Source", "check_child", "check_step", "read_by", "source_of"]
