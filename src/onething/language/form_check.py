"""The one definition of a valid form: which field values the engine accepts at submission,
and so which forms the proof explores (``language.form_space``).

:func:`check_fields` cleans every field of a submitted form and finds every problem at once;
a form is valid when it finds none. The engine's submission (``cases.forms``) and the proof's
form cells both ask it, so no form the proof explores is refused at the window and no form the
window accepts is missing from the proof.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from onething.errors import Problem, ValueProblem
from onething.language.conditions.evaluation import evaluate
from onething.language.model import Field, Form, Material
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
    if spec.type == "list":
        return clean_list(spec, raw)
    if blank(raw):
        return spec.default
    return clean_value(spec.type, raw, values=spec.values, minimum=spec.minimum,
                       maximum=spec.maximum, personal=spec.personal)


#: how many of a list's refused items a message names (the rest are counted)
_ITEMS_SHOWN = 5
#: the longest JSON text read as a list (the command line's spelling of a list)
_LIST_TEXT_MAX = 1_000_000


def clean_list(spec: Field, raw: object) -> list[Any] | None:
    """A ``list`` field's clean value: a list of clean values, or of clean records (every
    item field present, None where not given); None for no list or an empty one (an empty
    list is not an answer). The command line gives a list as JSON text. Every refused item
    is named in one :class:`ValueProblem` (item numbers count from 1)."""
    if isinstance(raw, str) and raw.strip():
        if len(raw) > _LIST_TEXT_MAX:
            raise ValueProblem(f"is {len(raw):,} characters of text", "a list is at most "
                               f"{_LIST_TEXT_MAX:,} characters of JSON",
                               code="submission.field.list_text_too_long",
                               params={"length": len(raw), "max": _LIST_TEXT_MAX})
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            raise ValueProblem("is text that is not a JSON list", _list_hint(spec),
                               code="submission.field.list_not_json") from None
    if blank(raw) or (isinstance(raw, (list, tuple)) and not raw):
        return None
    if not isinstance(raw, (list, tuple)):
        raise ValueProblem(f"is {type(raw).__name__}, not a list", _list_hint(spec),
                           code="submission.field.not_list")
    if not spec.min_items <= len(raw) <= spec.max_items:
        raise ValueProblem(f"has {len(raw):,} items", f"give {spec.min_items} to "
                           f"{spec.max_items} items" if spec.min_items else
                           f"give at most {spec.max_items} items",
                           code="submission.field.list_length",
                           params={"count": len(raw), "min": spec.min_items,
                                   "max": spec.max_items})
    clean: list[Any] = []
    refused: list[str] = []
    numbers: list[int] = []
    first: ValueProblem | None = None
    for number, item in enumerate(raw, start=1):
        try:
            clean.append(_clean_item(spec, item))
        except ValueProblem as exc:
            refused.append(f"item {number}{exc.message}" + (f" ({exc.hint})" if exc.hint
                                                            else ""))
            numbers.append(number)
            first = first or exc
    if first is not None:
        more = len(refused) - _ITEMS_SHOWN
        problem = first.ui if first.ui.subject else first.ui.about(spec.name)
        raise ValueProblem("; ".join(refused[:_ITEMS_SHOWN]) + (
            f"; and {more} more item(s)" if more > 0 else ""), _list_hint(spec),
            code="submission.field.list_items",
            params={"items": ", ".join(map(str, numbers[:20])) + (", ..." * (len(numbers) > 20)),
                    "first": numbers[0], "problem": problem})
    return clean


def _clean_item(spec: Field, item: object) -> Any:
    if not spec.records:
        if blank(item):
            raise ValueProblem(" is empty", code="submission.field.item_empty")
        try:
            return clean_field(spec.items[0], item)
        except ValueProblem as exc:
            raise ValueProblem(f" {exc.message}", exc.hint, code=exc.code,
                               params=exc.params) from None
    if not isinstance(item, Mapping):
        raise ValueProblem(f" is {type(item).__name__}, not a mapping of "
                           + ", ".join(f.name for f in spec.items),
                           code="submission.field.item_not_record",
                           params={"fields": ", ".join(f.name for f in spec.items)})
    found = [p._replace(message=p.message.replace("of this form", "of an item"))
             for p in unknown_names(item, {f.name for f in spec.items}, "field")]
    out: dict[str, Any] = {}
    for sub in spec.items:
        try:
            out[sub.name] = clean_field(sub, item.get(sub.name))
        except ValueProblem as exc:
            found.append(Problem.of_value(sub.name, exc, sub.label))
            continue
        if out[sub.name] is None and sub.required:
            found.append(Problem.of(sub.name, "is required", sub.label,
                                    code="submission.field.required",
                                    params={"label": sub.label or sub.name}))
    if found:
        first = found[0].coded()
        raise ValueProblem("".join(f", {p.name}: {p.message}" + (f" ({p.hint})" if p.hint
                                                                   else "") for p in found),
                           code=first.code, subject=first.subject, params=first.params)
    return out


def _list_hint(spec: Field) -> str:
    if spec.records:
        return "a list of items such as [{" + ", ".join(
            f'"{f.name}": ...' for f in spec.items) + "}]"
    return f"a list of {spec.items[0].type} values, e.g. [..., ...]"


def list_items(value: object) -> Sequence[Any]:
    """A list field's items (none when it has no value)."""
    return value if isinstance(value, list) else ()


def unknown_names(given: Mapping[Any, Any], known: set[str], what: str) -> list[Problem]:
    """A problem for each name in ``given`` that is not in ``known`` (a ``what`` of this
    form), with the closest known name as a hint."""
    problems = []
    for name in given:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1) \
                if isinstance(name, str) else []
            problems.append(Problem.of(
                shown_name(name), f"is not a {what} of this form",
                f"did you mean '{close[0]}'?" if close else "",
                code=(("submission.field.unknown_close" if close else "submission.field.unknown")
                      if what == "field" else ("submission.material.unknown_close" if close
                                               else "submission.material.unknown")),
                params={"close": close[0]} if close else None))
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
            problems.append(Problem.of_value(spec.name, exc, spec.label))
            refused.add(spec.name)
            clean[spec.name] = None
    for spec in form_spec.fields:
        if clean[spec.name] is not None or spec.name in refused:
            continue
        if spec.required:
            problems.append(Problem.of(spec.name, "is required", spec.label,
                                       code="submission.field.required",
                                       params={"label": spec.label or spec.name}))
        elif spec.required_if is not None and evaluate(spec.required_if.expr, clean):
            problems.append(Problem.of(spec.name, f"is required when "
                                       f"{mask_text(spec.required_if.text)}", spec.label,
                                       code="submission.field.required_when",
                                       params={"label": spec.label or spec.name,
                                               "condition": spec.required_if.text}))
    return clean, problems


def material_required(material: Material, clean: Mapping[str, Any]) -> bool:
    """Whether ``material`` must be handed in (or, when deferrable, promised) with the clean
    form ``clean``: always when required, when its ``required_if`` holds when it has one."""
    if material.required_if is not None:
        return bool(evaluate(material.required_if.expr, clean))
    return material.required


def accepts(form_spec: Form, values: Mapping[str, Any]) -> bool:
    """Whether ``values`` (clean values of every field) is a form the engine accepts as it
    is: :func:`check_fields` finds no problem and changes no value."""
    clean, problems = check_fields(form_spec, values)
    return not problems and all(
        type(clean[name]) is type(value) and clean[name] == value
        for name, value in values.items())


__all__ = ["accepts", "blank", "check_fields", "clean_field", "clean_list", "list_items",
           "material_required", "shown_name", "unknown_names"]
