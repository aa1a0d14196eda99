"""A step done item by item (``foreach:``): one decision per item of a list field (per
vehicle, per employee), kept as a round like a sign-off (``cases.sign_off``).

Each item is decided once per round, approved or refused; the step is approved when every
item is, and refused at the first refused item (the items still undecided are cancelled: the
step's refusal is the one answer). A correction clears the round, as for a sign-off: after the
applicant's supplement, which may change the list, every item is decided again. The case net
treats the step as one decision (decision 0015), exactly as it does a signed step: every
complete round decides the step, and both answers are reachable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onething.cases.sign_off import SIGNING, has_signed
from onething.errors import ActionRefused
from onething.language.form_check import list_items
from onething.language.model import Step, Workflow
from onething.language.step_keys import SignOff


def item_name(number: int) -> str:
    """How an item is named in a round and in the history: ``item 2`` (counting from 1)."""
    return f"item {number}"


def round_rule(workflow: Workflow, step_id: str | None, form: Mapping[str, Any]
               ) -> SignOff | None:
    """The rule that decides ``step_id`` by a round: its ``sign_off``, or for a step done
    item by item every item of the list in ``form`` (all must approve); None for a step one
    decision decides (and for a list with no items left)."""
    if step_id is None or step_id not in workflow.round_steps:
        return None
    step = workflow.step(step_id)
    if step.sign_off is not None:
        return step.sign_off
    count = len(list_items(form.get(step.foreach or "")))
    if not count:
        return None
    return SignOff(by=tuple(item_name(i) for i in range(1, count + 1)), need=count)


def signer(step: Step, rule: SignOff, department: str, officer: str, item: object,
           record: Mapping[str, Any] | None) -> str:
    """Who decides in this round: for a step done item by item the item given (its number,
    from 1; refused when it is decided already), else the signing department or the expert
    officer."""
    if step.foreach is None:  # an item number on such a step is refused before (fire)
        return department if rule.by else officer
    count = rule.seats
    number = _number(item)
    if number is None or not 1 <= number <= count:
        raise ActionRefused(f"'{step.id}' is decided item by item: say which item of "
                            f"'{step.foreach}' this decision is for",
                            f"give the item's number, 1 to {count}",
                            code="refused.step.item_unnamed", subject=step.id,
                            params={"list": step.foreach, "count": count})
    name = item_name(number)
    if has_signed(record, name):
        raise ActionRefused(f"{name} of '{step.id}' is decided already in this round",
                            "each item is decided once; a correction starts the round again",
                            code="refused.step.item_decided", subject=step.id,
                            params={"item": number})
    return name


def after_supplement(workflow: Workflow, before: Mapping[str, Any], after: Mapping[str, Any],
                     outcomes: dict[str, dict[str, Any]]) -> list[str]:
    """The steps whose round starts again because a supplement changed their list (their
    half-decided round is dropped from ``outcomes``: the item numbers decided so far named
    other items). Refused when the supplement would empty, or give, an optional list a step
    is skipped or entered on: the case's route is fixed by the form it was accepted with
    (decision 0003), and a correction may change a list's items, not whether it was given."""
    restarted = []
    for step in workflow.iter_steps():
        name = step.foreach
        if name is None or before.get(name) == after.get(name):
            continue
        if workflow.list_given(step) is not None and \
                (before.get(name) is None) != (after.get(name) is None):
            raise ActionRefused(
                f"whether '{name}' is given decides whether '{step.id}' is done: a correction "
                "may change its items, not " + ("empty it" if after.get(name) is None
                                                else "give it now"),
                "correct the items; to drop every item, withdraw and apply again",
                code="refused.field.list_route", subject=name, params={"step": step.id})
        record = outcomes.get(step.id)
        if record is not None and record.get("outcome") == SIGNING:
            outcomes.pop(step.id)
            restarted.append(step.id)
    return restarted


def _number(item: object) -> int | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item
    if isinstance(item, str) and item.strip().isascii() and item.strip().isdigit():
        return int(item.strip())
    return None


__all__ = ["after_supplement", "item_name", "round_rule", "signer"]
