"""Typed JSON for the views the engine returns and the CLI prints (docs/decisions/0020).

Whole numbers are JSON numbers, booleans are ``true``/``false``, absent values are ``null``;
times are ISO 8601 with their offset, always in Asia/Shanghai (``2026-10-08T09:00:00+08:00``);
dates are ``YYYY-MM-DD``; decimals are their exact text in plain notation (``"1.50"``, never
``1.5`` nor ``"1.5E+3"``), because a JSON number is read as a binary double by most
consumers and an amount of money or area must keep every digit. Personal values stay masked
text whatever their field's type: masking wins over typing.

:func:`json_value` refuses what it does not know rather than printing its ``str()``, so a
view that grows a new kind of value fails loudly instead of turning into a string.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs

from onething.language.model import Field, Form
from onething.privacy.masking import SENSITIVE_TYPES, mask, mask_text, masked_value
from onething.workdays import SHANGHAI


def moment_json(value: dt.datetime) -> str:
    """A time as ISO 8601 in Asia/Shanghai with its offset; a naive time is refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"a time without its zone cannot be shown: {value.isoformat()}")
    return value.astimezone(SHANGHAI).isoformat()


def stored_moment_json(text: str | None) -> str | None:
    """A time a case stored as ISO 8601 text, shown in Asia/Shanghai (None stays None)."""
    return None if text is None else moment_json(dt.datetime.fromisoformat(text))


def decimal_json(value: Decimal) -> str:
    """A decimal as its exact text in plain notation (``Decimal("1.5E+3")`` is ``"1500"``)."""
    return format(value, "f")


def json_value(value: Any) -> Any:
    """``value`` as typed JSON-ready data: see the module's rules.

    Mappings, lists, tuples and attrs records are converted item by item (a record becomes a
    mapping of its fields); enums become their value; values stored tagged
    (``{"$decimal": "1.5"}``, ``{"$date": "2026-01-05"}``, :func:`~onething.cases.records.
    to_jsonable`) become their text. Raises :class:`TypeError` for anything else.
    """
    if isinstance(value, Enum):  # first: a StrEnum is a str too
        return json_value(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dt.datetime):
        return moment_json(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return decimal_json(value)
    if isinstance(value, Mapping):
        if len(value) == 1 and ("$decimal" in value or "$date" in value):
            return next(iter(value.values()))
        return {str(json_value(k)): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if attrs.has(type(value)):
        return record_json(value)
    raise TypeError(f"no typed JSON for a {type(value).__name__}; add it to json_value")


def record_json(record: Any) -> dict[str, Any]:
    """An attrs record as typed JSON: a mapping of its fields (:func:`json_value`)."""
    if not attrs.has(type(record)):
        raise TypeError(f"{type(record).__name__} is not an attrs record")
    return {a.name: json_value(getattr(record, a.name)) for a in attrs.fields(type(record))}


def typed_form(form_spec: Form, form: Mapping[str, Any]) -> dict[str, Any]:
    """The case's form as typed JSON, personal values masked (what ``status`` shows).

    An ``int`` field is a JSON integer, a ``bool`` field a boolean, a ``date`` field
    ``YYYY-MM-DD``, a ``decimal`` field its exact text; a ``list`` field is an array of its
    items (each a mapping of its item fields for a list of records). ``id_card`` and ``phone``
    fields and fields marked ``personal: true`` are masked text; any other value whose text
    holds an identity or mobile number (a number typed where a number was asked) is shown as
    its masked text too. Fields without a value (erased, or never given) are left out.
    """
    return typed_fields(form_spec.fields, form)


def typed_fields(fields: tuple[Field, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    """Values of ``fields`` as typed JSON by the rules of :func:`typed_form` (a form's, or the
    fields a step sets); stored tags (``{"$decimal": ...}``) are read first."""
    out: dict[str, Any] = {}
    for spec in fields:
        value = values.get(spec.name)
        if value is None:
            continue
        if spec.type == "list":
            out[spec.name] = [_typed_item(spec, item) for item in _items(value)]
        else:
            out[spec.name] = _typed(spec, value)
    return out


def _items(value: object) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _typed_item(spec: Field, item: object) -> Any:
    if spec.records and isinstance(item, Mapping):
        return {sub.name: _typed(sub, item[sub.name]) for sub in spec.items
                if item.get(sub.name) is not None}
    return _typed(spec.items[0], item)


def _typed(spec: Field, value: object) -> Any:
    """One value of ``spec``: typed, unless it is personal (then masked text)."""
    if spec.personal or spec.type in SENSITIVE_TYPES:
        return mask(spec.type, value, personal=True) if spec.personal else mask_text(str(value))
    if isinstance(value, bool):
        return value
    typed = json_value(value)
    text = typed if isinstance(typed, str) else str(typed)
    hidden = mask_text(text)
    if hidden != text:  # a personal number where a number was asked: masking wins
        return hidden
    return typed


def scrubbed(data: Any) -> Any:
    """``data`` with identity and phone numbers masked in every text in it (form values are
    masked by field already; this catches free text such as reasons, and a personal number
    given where a number was asked)."""
    if isinstance(data, dict):
        return {scrubbed(k): scrubbed(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [scrubbed(v) for v in data]
    return masked_value(data)


def public_json(data: Any) -> Any:
    """What the command line and the HTTP server print: :func:`json_value` of ``data``,
    :func:`scrubbed`."""
    return scrubbed(json_value(data))
