"""The JSON Schemas of the API's answers in its OpenAPI document: the very files that
describe the command line's ``--format json`` (``onething/cli/schemas``) where the answer is the
same, and the server's own (``onething/web/schemas``: actions, problems, lookups). Each file's
``$defs`` are hoisted into ``components/schemas`` (a ``#/$defs`` reference means the file's
root, which inside an OpenAPI document is the document's)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from onething.web.problems import PROBLEM_TYPE


@cache
def _file(name: str) -> dict[str, Any]:
    for package in ("web", "cli"):  # onething.cli itself is not imported for its files
        found = resources.files("onething").joinpath(package, "schemas", f"{name}.json")
        if found.is_file():
            data: dict[str, Any] = json.loads(found.read_text(encoding="utf-8"))
            return data
    raise LookupError(f"no schema {name!r}")  # a bug: every name used has its file


def _ref(ref: str, name: str, others: set[str]) -> str:
    if ref.startswith("#/$defs/"):
        return f"#/components/schemas/{name}.{ref[len('#/$defs/'):]}"
    if ref.endswith(".json") and "/" not in ref:  # another file: its component
        others.add(ref[:-len(".json")])
        return f"#/components/schemas/{ref[:-len('.json')]}"
    return ref


def _rewrite(value: Any, name: str, others: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _ref(v, name, others) if k == "$ref" and isinstance(v, str)
                else _rewrite(v, name, others) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, name, others) for v in value]
    return value


def component_schemas(names: set[str]) -> dict[str, Any]:
    """``components/schemas`` for the named schema files and those they refer to, their
    ``$defs`` hoisted."""
    found: dict[str, Any] = {}
    todo = set(names)
    while todo:
        name = todo.pop()
        others: set[str] = set()
        data = _rewrite(dict(_file(name)), name, others)
        for key, definition in data.pop("$defs", {}).items():
            found[f"{name}.{key}"] = definition
        data.pop("$schema", None)
        data.pop("$id", None)
        found[name] = data
        todo |= others - set(found)
    return dict(sorted(found.items()))


def ok(name: str, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """An endpoint's answer: schema file ``name`` for ``status``, problems otherwise."""
    return {status: {"description": _file(name).get("title", name),
                     "content": {"application/json": {
                         "schema": {"$ref": f"#/components/schemas/{name}"}}}},
            "default": PROBLEM_ANSWER}


#: every error: an RFC 9457 problem
PROBLEM_ANSWER: dict[str, Any] = {
    "description": "an RFC 9457 problem: the status, the stable code and the message in "
    "both languages (docs/http.md)",
    "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/problem"}}},
}
