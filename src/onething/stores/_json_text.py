"""JSON text as the stores write it on every action: compact, UTF-8, keys in their order.

orjson writes it (a case's state: ~1.6 us instead of the standard library's ~10 us,
docs/decisions/0028-orjson.md). Where orjson and the standard library would write different
text for the same value, orjson is told to hand the value to ``default`` as the standard
library does (times, dataclasses), and what orjson refuses outright (an integer beyond 64
bits, a lone surrogate, a key that is not text or a number) is written by the standard
library, exactly as before. So text, integers, booleans, None, lists and mappings - all the
stores write, forms keeping decimals as text - come out as the standard library wrote them
(tests/stores/test_json_text.py); a float may be spelled differently (``1e-7``, not
``1e-07``: the same number), and a NaN, which JSON cannot hold, is written as null.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | \
    orjson.OPT_PASSTHROUGH_DATACLASS


def json_text_with(default: Callable[[Any], Any] | None = None) -> Callable[[Any], str]:
    """A writer of compact JSON text, what JSON cannot hold written as ``default`` turns it
    (``TypeError`` without one)."""
    fallback = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                                check_circular=False, default=default)

    def write(value: Any) -> str:
        try:
            return orjson.dumps(value, default=default, option=_OPTIONS).decode()
        except orjson.JSONEncodeError:
            return fallback.encode(value)

    return write


#: ``value`` as compact JSON text (``TypeError`` for what JSON cannot hold)
json_text = json_text_with()
#: ``value`` as compact JSON text, what JSON cannot hold written as its ``str``
json_text_any = json_text_with(str)
