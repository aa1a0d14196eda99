"""A workflow's clock policy: what its YAML declares under ``clock:`` and ``escalation:``."""

from __future__ import annotations

from onething.cases.clocks import ClockPolicy
from onething.language.handling import DELIVERY, SINGLE_EXTENSION
from onething.language.model import Workflow
from onething.workdays import Duration


def policy_of(workflow: Workflow) -> ClockPolicy:
    """The clock rules of ``workflow`` (the law's defaults where it declares none)."""
    rules = workflow.clock
    return ClockPolicy(
        count_from=rules.count_from,
        correction=rules.correction,
        answer_within=rules.answer_correction_within,
        intake_notice_within=rules.intake_notice_within,
        answer_intake_within=rules.answer_intake_correction_within,
        warn_before=rules.warn_before,
        ladder=workflow.escalation,
        # never beyond 行政许可法 art. 42, whatever a definition deployed before said
        extension_max=_within(rules.extension, SINGLE_EXTENSION),
        case_extension_max=_within(rules.case_extension, workflow.handling.case_extension),
        deliver_within=_within(rules.deliver_within, DELIVERY),
    )


def _within(declared: Duration | None, bound: Duration) -> Duration:
    """The declared bound of an extension, or the law's when it declares none or more; a bound
    in another unit stays (and no extension counted in working days fits it), so a definition
    deployed before the law's bounds were checked is never loosened."""
    if declared is None:
        return bound
    if declared.unit is bound.unit and declared.amount > bound.amount:
        return bound
    return declared  # another unit: the engine refuses every extension it cannot count
