"""The one form as a page posts it: text boxes, choices and yes/no, read back into the values
the library's form checks take (text for every type: the library reads numbers, decimals,
dates and yes/no from text), and the library's problems put beside the field they are about.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onething.errors import SubmissionRejected
    from onething.language.model import Field, Workflow

#: the prefixes of a field's and a material's input names (no clash with csrf, key, ...)
FIELD, MATERIAL = "f.", "m."


def posted_text(value: Any) -> str:
    """A posted value as trimmed text (the last of several; empty when absent)."""
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value or "").strip()


def field_value(spec: Field, posted: Mapping[str, Any]) -> Any:
    """One field's posted value, or None when left empty: a list field is one item a line."""
    raw = posted.get(FIELD + spec.name)
    if spec.type == "list":
        lines = [line.strip() for line in posted_text(raw).splitlines() if line.strip()]
        return lines or None
    text = posted_text(raw)
    return text or None


def form_values(workflow: Workflow, posted: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values from a posted page: every field given, by name."""
    found = {}
    for spec in workflow.form.fields:
        value = field_value(spec, posted)
        if value is not None:
            found[spec.name] = value
    return found


def material_values(workflow: Workflow, posted: Mapping[str, Any]) -> dict[str, Any]:
    """The materials' references from a posted page (a material left empty: not given; if it
    may be promised, it is promised — 容缺)."""
    found = {}
    for material in workflow.form.materials:
        text = posted_text(posted.get(MATERIAL + material.name))
        if text:
            found[material.name] = text
    return found


def problems_by_name(rejected: SubmissionRejected) -> dict[str, list[str]]:
    """The problems of a rejected form in Chinese, by the field or material they are about."""
    found: dict[str, list[str]] = {}
    for problem in rejected.problems:
        found.setdefault(problem.name, []).append(problem.text("zh"))
    return found


def kept_for_correction(workflow: Workflow, posted: Mapping[str, Any]) -> dict[str, Any]:
    """What a rejected form shows again for correction: everything typed but the personal
    values (identity and phone numbers, fields marked ``personal``, and any value holding such
    a number), which are typed again rather than written back into the page."""
    from onething.privacy.masking import SENSITIVE_TYPES, mask_text

    personal = {FIELD + f.name for f in workflow.form.fields
                if f.type in SENSITIVE_TYPES or f.personal}
    return {k: v for k, v in posted.items() if k not in personal and k != "applicant"
            and mask_text(posted_text(v)) == posted_text(v)}  # a number typed anywhere
