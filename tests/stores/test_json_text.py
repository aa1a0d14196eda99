"""The stores' JSON text (onething.stores._json_text): written by orjson, it is the text the
standard library writes for every value the standard library can write (compact, UTF-8, keys
in order), so switching writers changed no stored byte, and it reads back as the value."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onething.stores._json_text import json_text, json_text_any, json_text_with

STDLIB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
STDLIB_ANY = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode

#: what the stores write: text (any code point JSON can carry), integers of every size,
#: booleans, None, and lists and mappings of them (keys text or integers)
SCALARS = st.none() | st.booleans() | st.integers() | st.text() | st.text(
    alphabet=st.characters(blacklist_categories=()))  # lone surrogates too
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text() | st.integers(), inner, max_size=4), max_leaves=20)


@given(VALUES)
def test_the_text_is_the_standard_librarys(value: Any) -> None:
    assert json_text(value) == STDLIB(value)
    assert json_text_any(value) == STDLIB_ANY(value)
    assert json.loads(json_text(value)) == json.loads(STDLIB(value))


@given(st.datetimes(timezones=st.just(UTC)) | st.datetimes())
def test_what_json_cannot_hold_goes_to_default_as_before(moment: datetime) -> None:
    value = {"at": moment, "in": [moment, timedelta(days=1)]}
    assert json_text_any(value) == STDLIB_ANY(value)
    iso = json_text_with(datetime.isoformat)
    assert iso([moment]) == json.dumps([moment.isoformat()], ensure_ascii=False)


def test_what_json_cannot_hold_is_refused_without_a_default() -> None:
    with pytest.raises(TypeError):
        json_text({"at": datetime(2026, 1, 1)})
    with pytest.raises(TypeError):
        json_text({(1, 2): "a tuple key"})
