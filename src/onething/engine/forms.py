"""Checking a submission against the one form: every problem found in one pass (一次告知)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import attrs

from onething.engine.errors import Problem
from onething.spec import expr as exprs
from onething.spec.model import Form
from onething.spec.values import ValueProblem, clean_value, mask


@attrs.frozen
class CleanSubmission:
    """A submission that passed: cleaned values, material references, promised materials."""

    form: dict[str, Any]
    materials: dict[str, str]
    promised: tuple[str, ...]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_submission(
    form_spec: Form, form: Mapping[str, Any], materials: Mapping[str, str] | None = None
) -> tuple[CleanSubmission | None, list[Problem]]:
    """Clean ``form`` and ``materials``; return the result or *all* the problems."""
    problems: list[Problem] = []
    known = {f.name for f in form_spec.fields}
    for name in form:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            problems.append(Problem(name, "is not a field of this form",
                                    f"did you mean '{close[0]}'?" if close else ""))
    clean: dict[str, Any] = {}
    for spec in form_spec.fields:
        raw = form.get(spec.name)
        if _blank(raw):
            clean[spec.name] = spec.default
            continue
        try:
            clean[spec.name] = clean_value(spec.type, raw, values=spec.values,
                                           minimum=spec.minimum, maximum=spec.maximum)
        except ValueProblem as exc:
            problems.append(Problem(spec.name, exc.message, exc.hint))
            clean[spec.name] = None
    for spec in form_spec.fields:
        if clean.get(spec.name) is not None or spec.name in {p.name for p in problems}:
            continue
        if spec.required:
            problems.append(Problem(spec.name, "is required", _label_hint(spec.label)))
        elif spec.required_if is not None and exprs.evaluate(spec.required_if.expr, clean):
            problems.append(Problem(spec.name, f"is required when {spec.required_if.text}",
                                    _label_hint(spec.label)))
    given = dict(materials or {})
    names = {m.name for m in form_spec.materials}
    for name in given:
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            problems.append(Problem(name, "is not a material of this form",
                                    f"did you mean '{close[0]}'?" if close else ""))
    promised = []
    for material in form_spec.materials:
        if not _blank(given.get(material.name)):
            continue
        if material.deferrable is not None:
            promised.append(material.name)
        elif material.required:
            problems.append(Problem(material.name, "is a required material and is missing",
                                    _label_hint(material.label)))
    if problems:
        return None, problems
    refs = {k: str(v) for k, v in given.items() if not _blank(v)}
    return CleanSubmission(clean, refs, tuple(promised)), []


def _label_hint(label: str) -> str:
    return f"{label}" if label else ""


def masked_form(form_spec: Form, form: Mapping[str, Any]) -> dict[str, str]:
    """The form with personal values masked, for display."""
    out = {}
    for spec in form_spec.fields:
        value = form.get(spec.name)
        if value is None:
            continue
        out[spec.name] = mask(spec.type, value) if spec.personal else str(value)
    return out
