"""The one definition of a valid form: which field values the engine accepts at submission,
and so which forms the proof explores (``language.form_space``).

:func:`check_fields` cleans every field of a submitted form and finds every problem at once;
a form is valid when it finds none. The engine's submission (``cases.forms``) and the proof's
form cells both ask it, so no form the proof explores is refused at the window and no form the
window accepts is missing from the proof.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from onething.errors import Problem, ValueProblem
from onething.language.conditions.evaluation import evaluate
from onething.language.model import Field, Form
from onething.language.values import clean_value
from onething.privacy.masking import mask_text


def blank(value: object) -> bool:
    """Whether a submitted value counts as not given: nothing, or text of only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def shown_name(name: object) -> str:
    """A name a caller gave (a field or material that may not exist) as a message shows it:
    at most 60 characters, broken text escaped, numbers masked."""
    text = name if isinstance(name, str) else repr(name)
    text = text[:60].encode("utf-8", "backslashreplace").decode("utf-8")
    return mask_text("".join(ch if ch >= " " else f"\\x{ord(ch):02x}" for ch in text))


def clean_field(spec: Field, raw: object) -> Any:
    """One field's clean value: its default when ``raw`` is blank, else ``raw`` cleaned
    (raises :class:`ValueProblem` for a value the field refuses)."""
    if blank(raw):
        return spec.default
    return clean_value(spec.type, raw, values=spec.values, minimum=spec.minimum,
                       maximum=spec.maximum, personal=spec.personal)


def unknown_names(given: Mapping[Any, Any], known: set[str], what: str) -> list[Problem]:
    """A problem for each name in ``given`` that is not in ``known`` (a ``what`` of this
    form), with the closest known name as a hint."""
    problems = []
    for name in given:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1) \
                if isinstance(name, str) else []
            problems.append(Problem(shown_name(name), f"is not a {what} of this form",
                                    f"did you mean '{close[0]}'?" if close else ""))
    return problems


def check_fields(form_spec: Form, form: Mapping[Any, Any]) -> tuple[dict[str, Any],
                                                                      list[Problem]]:
    """Clean every field of ``form``: the clean values (None where a value was refused) and
    every problem (unknown fields, refused values, missing required fields, fields required
    by a ``required_if`` that holds)."""
    problems = unknown_names(form, {f.name for f in form_spec.fields}, "field")
    clean: dict[str, Any] = {}
    refused: set[str] = set()
    for spec in form_spec.fields:
        try:
            clean[spec.name] = clean_field(spec, form.get(spec.name))
        except ValueProblem as exc:
            problems.append(Problem(spec.name, exc.message, exc.hint))
            refused.add(spec.name)
            clean[spec.name] = None
    for spec in form_spec.fields:
        if clean[spec.name] is not None or spec.name in refused:
            continue
        if spec.required:
            problems.append(Problem(spec.name, "is required", spec.label))
        elif spec.required_if is not None and evaluate(spec.required_if.expr, clean):
            problems.append(Problem(spec.name, f"is required when {spec.required_if.text}",
                                    spec.label))
    return clean, problems


def accepts(form_spec: Form, values: Mapping[str, Any]) -> bool:
    """Whether ``values`` (clean values of every field) is a form the engine accepts as it
    is: :func:`check_fields` finds no problem and changes no value."""
    clean, problems = check_fields(form_spec, values)
    return not problems and all(
        type(clean[name]) is type(value) and clean[name] == value
        for name, value in values.items())


__all__ = ["accepts", "blank", "check_fields", "clean_field", "shown_name", "unknown_names"]
