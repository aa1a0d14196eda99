"""The JSON Schema (draft 2020-12) of the workflow language, shipped as ``spec/schema.json``.

Editors use it to complete and check workflow files: a file that starts with
``# yaml-language-server: $schema=<path or URL of schema.json>`` gets completion and help
in any editor running the YAML language server. The schema covers the shape of a workflow
(keys, types, names, durations, blocks); the loader (:mod:`onething.language.load`) remains the
authority and also checks what a schema cannot express, such as unique step ids, jump
targets, the names a step reads and the types in conditions.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMA_FILE = "schema.json"


def schema_text() -> str:
    """The schema as JSON text, exactly as shipped."""
    return resources.files("onething.language").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The schema as a fresh dict (callers may change it freely)."""
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded
