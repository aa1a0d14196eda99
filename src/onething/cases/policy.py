"""A workflow's clock policy: what its YAML declares under ``clock:`` and ``escalation:``."""

from __future__ import annotations

from onething.cases.clocks import ClockPolicy
from onething.language.model import Workflow


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
        extension_max=rules.extension,
        case_extension_max=rules.case_extension,
    )
