"""The fields a step sets (``sets:``): given by its department with every decision that goes
on, checked as the form's fields are, kept with the step's outcome, read by later conditions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onething.cases.records import to_jsonable
from onething.errors import ActionRefused, ValueProblem
from onething.language.form_check import clean_field, shown_name, unknown_names
from onething.language.model import Step


def clean_sets(step: Step, action: str, given: object) -> dict[str, Any]:
    """The values ``step`` sets with ``action``, clean and ready to store (JSON); refuse a
    missing, unknown or unacceptable one, or values given to a step that sets none."""
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise ActionRefused(f"the fields '{step.id}' sets are a mapping of names to values, "
                            f"not a {type(given).__name__}", code="refused.step.sets_not_mapping",
                            subject=step.id)
    if not step.sets:
        if given:
            raise ActionRefused(f"'{step.id}' sets no fields",
                                "give fields only to a step that declares 'sets:'",
                               code="refused.step.sets_nothing", subject=step.id)
        return {}
    known = {f.name for f in step.sets}
    unknown = unknown_names(given, known, "field")
    if unknown:
        raise ActionRefused(f"'{unknown[0].name}' is not a field '{step.id}' sets",
                            unknown[0].hint or "it sets: " + ", ".join(sorted(known)),
                            code="refused.step.sets_unknown", subject=step.id,
                            params={"field": unknown[0].name, "known": ", ".join(sorted(known))})
    missing = [f.name for f in step.sets if f.name not in given or given[f.name] is None]
    if missing:
        raise ActionRefused(f"'{action} {step.id}' sets {', '.join(missing)}: give "
                            + ("it" if len(missing) == 1 else "them"),
                            f"fields={{{', '.join(f'{m!r}: ...' for m in missing)}}}",
                            code="refused.step.sets_missing", subject=step.id,
                            params={"fields": ", ".join(missing)})
    out: dict[str, Any] = {}
    for spec in step.sets:
        try:
            out[spec.name] = to_jsonable(clean_field(spec, given[spec.name]))
        except ValueProblem as exc:
            raise ActionRefused(f"'{shown_name(spec.name)}' set by '{step.id}': {exc.message}",
                                exc.hint, code="refused.step.sets_value", subject=step.id,
                                params={"field": spec.name,
                                        "problem": exc.ui.about(spec.name)}) from None
    return out


def shown(values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored step values as a person or JSON reads them (decimals as their text)."""
    return {k: v["$decimal"] if isinstance(v, dict) and "$decimal" in v else v
            for k, v in values.items()}
