"""The shipped JSON Schema: valid, matching the shipped workflows, and agreeing with the loader."""

from __future__ import annotations

import copy
import datetime
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.language.load import parse
from onething.language.schema import schema, schema_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "src" / "onething" / "language" / "schema.json"
WORKFLOWS = sorted((ROOT / "workflows").glob("*.yaml"))
MODELINE = "# yaml-language-server: $schema=../src/onething/language/schema.json"

VALIDATOR = jsonschema.Draft202012Validator(schema())


def load_yaml(text: str) -> Any:
    """``yaml.safe_load``, with dates turned back into the ISO text editors see (YAML 1.2)."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value

    return plain(yaml.safe_load(text))


def schema_errors(document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATOR.iter_errors(document)
    ]


def dump(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def loader_errors(text: str) -> list[str]:
    result = parse(text)
    return [d.render() for d in result.errors] if not result.ok else []


# -- the schema itself -----------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema()["$id"] and schema()["title"]


def test_schema_text_is_the_shipped_file() -> None:
    assert schema_text() == SCHEMA_FILE.read_text(encoding="utf-8")
    assert schema() == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    mine = schema()
    mine["title"] = "changed"
    assert schema()["title"] != "changed"


def _properties(node: Any, path: str = "#") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}/properties/{name}", sub
        for key, sub in node.items():
            yield from _properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            yield from _properties(sub, f"{path}/{index}")


def test_every_property_has_a_description() -> None:
    missing = [
        path
        for path, sub in _properties(schema())
        if sub is not False
        and "/then/" not in path
        and "/if/" not in path
        and "/contains/" not in path
        and not sub.get("description")
    ]
    assert missing == []
    for name, sub in schema()["$defs"].items():
        assert sub.get("description"), name


# -- the shipped workflows -------------------------------------------------------------------


def test_there_are_shipped_workflows() -> None:
    assert WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_shipped_workflow_validates(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert schema_errors(load_yaml(text)) == []
    assert loader_errors(text) == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_shipped_workflow_names_the_schema(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == MODELINE
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target.is_file()
    assert target.samefile(SCHEMA_FILE)


# -- broken documents: both reject -----------------------------------------------------------

BASE: dict[str, Any] = {
    "onething": 1,
    "id": "demo",
    "version": 1,
    "title": "示例一件事",
    "lead": "market_regulation",
    "departments": {"market_regulation": "市场监管局", "tax": "税务局"},
    "time_limit": {"committed": "1 WD", "statutory": "20 WD"},
    "form": {
        "fields": {
            "name": {"type": "string", "required": True, "label": "名称"},
            "kind": {"type": "enum", "values": ["a", "b"], "default": "a"},
            "count": {"type": "int", "min": 0, "max": 10},
            "flag": {"type": "bool", "default": False},
        },
        "materials": {
            "proof": None,
            "extra": {"required": False},
            "late": {"deferrable": "0.5 WD"},
        },
    },
    "steps": [
        {
            "id": "first",
            "department": "market_regulation",
            "reads": ["name", "kind", "proof", "extra", "late"],
            "produces": ["licence"],
            "time_limit": {"committed": "0.5 wd", "statutory": "20 WD"},
        },
        {
            "parallel": [
                {
                    "id": "seal",
                    "department": "public_security",
                    "reads": ["name"],
                    "produces": ["seal"],
                    "fee": "waived",
                },
                [
                    {
                        "id": "tax",
                        "department": "tax",
                        "when": "flag",
                        "reads": ["count"],
                        "goto": {"refuse": "tax2"},
                    },
                    {"id": "tax2", "department": "tax"},
                ],
            ]
        },
        {
            "choice": [
                {"when": "kind == 'a'", "then": [{"id": "a_step", "department": "x"}]},
                {"otherwise": []},
            ]
        },
    ],
    "delivery": {"bundle": ["licence", "seal"], "methods": ["window", "mail"], "fee": "waived"},
}

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting the value at a '/'-separated path (list indexes as numbers)."""

    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split("/")]
        node: Any = doc
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split("/")]
        node: Any = doc
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


BROKEN: dict[str, Mutation] = {
    "unknown key in a step": _set("steps/0/department_name", "tax"),
    "enum field without values": _drop("form/fields/kind/values"),
    "bad duration unit": _set("steps/0/time_limit/committed", "3 days"),
    "duration without unit": _set("time_limit/statutory", 20),
    "zero duration": _set("time_limit/committed", "0 WD"),
    "parallel with one branch": _set("steps/1/parallel", [{"id": "solo", "department": "tax"}]),
    "choice arm with neither when nor otherwise": _set("steps/2/choice/0", {"then": []}),
    "choice arm with when but no then": _set("steps/2/choice/0", {"when": "flag"}),
    "otherwise arm with a when": _set("steps/2/choice/1", {"when": "flag", "otherwise": []}),
    "choice with only otherwise": _set("steps/2/choice", [{"otherwise": []}]),
    "choice with two otherwise arms": _set(
        "steps/2/choice", [{"when": "flag", "then": []}, {"otherwise": []}, {"otherwise": []}]
    ),
    "empty choice": _set("steps/2/choice", []),
    "bad delivery method": _set("delivery/methods", ["window", "courier"]),
    "no delivery method": _set("delivery/methods", []),
    "delivery without bundle": _drop("delivery/bundle"),
    "unknown delivery key": _set("delivery/address", "x"),
    "unknown top-level key": _set("owner", "x"),
    "missing lead": _drop("lead"),
    "language version 2": _set("onething", 2),
    "version 0": _set("version", 0),
    "workflow id with capitals": _set("id", "Demo"),
    "step id with a dash": _set("steps/0/id", "first-step"),
    "step without department": _drop("steps/0/department"),
    "bad step fee": _set("steps/0/fee", "free"),
    "bad delivery fee": _set("delivery/fee", "free"),
    "unknown field type": _set("form/fields/name/type", "text"),
    "values on a string field": _set("form/fields/name/values", ["a"]),
    "min on a string field": _set("form/fields/name/min", 1),
    "int default that is not a number": _set("form/fields/count/default", "many"),
    "bool default that is not a bool": _set("form/fields/flag/default", "maybe"),
    "null default": _set("form/fields/name/default", None),
    "required that is not a bool": _set("form/fields/name/required", "yes please"),
    "unknown field key": _set("form/fields/name/hint", "x"),
    "bad field name": _set("form/fields/1name", {"type": "string"}),
    "unknown material key": _set("form/materials/proof", {"optional": True}),
    "deferrable optional material": _set(
        "form/materials/extra", {"required": False, "deferrable": "5 WD"}
    ),
    "unknown form key": _set("form/documents", {}),
    "form that is not a mapping": _set("form", []),
    "no steps": _set("steps", []),
    "step that is a string": _set("steps/0", "first"),
    "reads that is a string": _set("steps/0/reads", "name"),
    "reads listing a name twice": _set("steps/0/reads", ["name", "name"]),
    "read name with a space": _set("steps/0/reads", ["legal person"]),
    "when that is a number": _set("steps/0/when", 3),
    "empty condition": _set("steps/2/choice/0/when", "  "),
    "goto with an unknown outcome": _set("steps/0/goto", {"correct": "first"}),
    "goto that is null": _set("steps/0/goto", None),
    "optional step jumping on refuse": _set("steps/1/parallel/1/0/optional", True),
    "parallel with an extra key": _set("steps/1/id", "par"),
    "empty parallel branch list": _set("steps/1/parallel/1", []),
    "unknown time-limit key": _set("time_limit/maximum", "30 WD"),
    "enum field with empty values": _set("form/fields/spare", {"type": "enum", "values": []}),
    "enum field with null values": _set("form/fields/spare", {"type": "enum", "values": None}),
    "department name that is a list": _set("departments", {"tax": ["税务局"]}),
    "department id with capitals": _set("departments", {"Tax": "税务局"}),
    "blank department name": _set("departments", {"tax": " "}),
    "departments that are a list": _set("departments", ["tax"]),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_document_is_rejected_by_both(name: str) -> None:
    document = copy.deepcopy(BASE)
    BROKEN[name](document)
    text = dump(document)
    assert schema_errors(load_yaml(text)), "the schema accepts it"
    assert not parse(text).ok, "the loader accepts it"


def test_base_document_is_accepted_by_both() -> None:
    text = dump(BASE)
    assert schema_errors(load_yaml(text)) == []
    assert loader_errors(text) == []


# -- generated valid workflows: both accept --------------------------------------------------

CONDITIONS = st.sampled_from(
    [
        "flag",
        "not flag",
        "kind == 'a'",
        "kind in ['a', 'b']",
        "count > 3",
        "count >= 1 and flag",
        "kind != 'b' or not flag",
        True,
        False,
    ]
)
TEXT = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]), min_size=0, max_size=12
)
DEPARTMENTS = st.sampled_from(["market_regulation", "tax", "public_security", "bank", "d1"])
NAME_RE = r"[a-z][a-z0-9_]{0,6}"
ANCHORS: dict[str, Any] = {
    "flag": {"type": "bool"},
    "kind": {"type": "enum", "values": ["a", "b", "c"]},
    "count": {"type": "int"},
}
VALUE_FOR = {
    "string": TEXT,
    "int": st.integers(0, 100),
    "decimal": st.sampled_from([0, 1.5, "2.25", 7]),
    "bool": st.booleans(),
    "date": st.sampled_from(["2021-02-03", "2024-03-01"]),
    "id_card": st.just("11010519491231002X"),
    "phone": st.sampled_from(["13800138000", "+86 139 1234 5678"]),
}
BOUNDS = {"int": (0, 100), "decimal": (0, "10.5"), "date": ("2020-01-01", "2030-12-31")}


@st.composite
def durations(draw: st.DrawFn, at_most: tuple[float, str] | None = None) -> tuple[float, str]:
    unit = draw(st.sampled_from(["WD", "ND", "WH", "NH"]))
    amount = draw(st.sampled_from([0.5, 1, 2, 5, 20]))
    if at_most is not None and at_most[1] == unit:
        amount = min(amount, at_most[0])
    return amount, unit


def spell(duration: tuple[float, str], case: str) -> str:
    amount, unit = duration
    spelled = {
        "upper": unit,
        "lower": unit.lower(),
        "mixed": unit[0] + unit[1].lower(),
        "tight": unit,
    }[case]
    return f"{amount:g}{spelled}" if case == "tight" else f"{amount:g} {spelled}"


@st.composite
def time_limits(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    statutory = draw(durations())
    case = st.sampled_from(["upper", "lower", "mixed", "tight"])
    if draw(st.booleans()):
        out["statutory"] = spell(statutory, draw(case))
    if draw(st.booleans()):
        out["committed"] = spell(draw(durations(at_most=statutory)), draw(case))
    if draw(st.booleans()):
        out["source"] = draw(TEXT)
    return out


@st.composite
def fields(draw: st.DrawFn) -> dict[str, Any]:
    out = copy.deepcopy(ANCHORS)
    for index in range(draw(st.integers(0, 4))):
        ftype = draw(st.sampled_from([*VALUE_FOR, "enum"]))
        field: dict[str, Any] = {"type": ftype}
        if ftype == "enum":
            values = draw(
                st.lists(
                    st.from_regex(NAME_RE, fullmatch=True), min_size=1, max_size=4, unique=True
                )
            )
            field["values"] = values
            if draw(st.booleans()):
                field["default"] = draw(st.sampled_from(values))
        elif draw(st.booleans()):
            field["default"] = draw(VALUE_FOR[ftype])
        if ftype in BOUNDS and draw(st.booleans()):
            field["min"], field["max"] = BOUNDS[ftype]
        for key, strategy in (
            ("required", st.booleans()),
            ("personal", st.booleans()),
            ("label", TEXT),
            ("required_if", CONDITIONS),
        ):
            if draw(st.booleans()):
                field[key] = draw(strategy)
        out[f"x{index}_{ftype}"] = field
    return out


@st.composite
def materials(draw: st.DrawFn) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for index in range(draw(st.integers(0, 3))):
        material: dict[str, Any] | None = None
        if draw(st.booleans()):
            material = {}
            required = draw(st.sampled_from([None, True, False]))
            if required is not None:
                material["required"] = required
            if required is not False and draw(st.booleans()):
                material["deferrable"] = spell(draw(durations()), "upper")
            if draw(st.booleans()):
                material["label"] = draw(TEXT)
        out[f"m{index}"] = material
    return out or draw(st.sampled_from([None, {}]))


STEP = st.fixed_dictionaries(
    {"department": DEPARTMENTS},
    optional={
        "title": TEXT,
        "reads": st.lists(st.sampled_from(list(ANCHORS)), unique=True, max_size=3),
        "time_limit": time_limits(),
        "optional": st.booleans(),
        "when": CONDITIONS,
        "fee": st.sampled_from(["waived", "charged"]),
        "source": TEXT,
        "description": TEXT,
    },
)


def _parallel(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    branch = st.one_of(children, st.lists(children, min_size=1, max_size=3))
    return st.builds(lambda bs: {"parallel": bs}, st.lists(branch, min_size=2, max_size=3))


def _choice(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    arms = st.lists(
        st.builds(lambda c, t: {"when": c, "then": t}, CONDITIONS, st.lists(children, max_size=2)),
        min_size=1,
        max_size=3,
    )
    otherwise = st.one_of(st.none(), st.lists(children, max_size=2))
    return st.builds(
        lambda a, o: {"choice": a + ([{"otherwise": o}] if o is not None else [])},
        arms,
        otherwise,
    )


BLOCK = st.recursive(STEP, lambda c: st.one_of(_parallel(c), _choice(c)), max_leaves=8)


def _steps(block: Any, scope: tuple[int, ...], out: list[tuple[dict[str, Any], tuple]]) -> None:
    """Collect every step dict with its parallel scope (choices open no scope)."""
    if isinstance(block, list):
        for item in block:
            _steps(item, scope, out)
    elif "parallel" in block:
        for index, branch in enumerate(block["parallel"]):
            _steps(branch, (*scope, id(block), index), out)
    elif "choice" in block:
        for arm in block["choice"]:
            _steps(arm.get("then", arm.get("otherwise")), scope, out)
    else:
        out.append((block, scope))


@st.composite
def workflows(draw: st.DrawFn) -> dict[str, Any]:
    steps = copy.deepcopy(draw(st.lists(BLOCK, min_size=1, max_size=3)))
    found: list[tuple[dict[str, Any], tuple]] = []
    _steps(steps, (), found)
    for index, (step, _) in enumerate(found):
        step["id"] = f"s{index}"
        if draw(st.booleans()):
            step["produces"] = [f"r{index}"]
    for step, scope in found:
        peers = [s["id"] for s, other in found if other == scope]
        outcomes = ["approve"] if step.get("optional") else ["approve", "refuse"]
        jumps = draw(st.dictionaries(st.sampled_from(outcomes), st.sampled_from(peers), max_size=2))
        if jumps:
            step["goto"] = jumps
    produced = [r for s, _ in found for r in s.get("produces", [])]
    document: dict[str, Any] = {
        "onething": 1,
        "id": draw(st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)),
        "version": draw(st.integers(1, 1000)),
        "title": draw(TEXT),
        "lead": draw(DEPARTMENTS),
        "form": {"fields": draw(fields()), "materials": draw(materials())},
        "steps": steps,
        "delivery": {
            "bundle": draw(st.lists(st.sampled_from(produced), unique=True)) if produced else [],
        },
    }
    delivery = document["delivery"]
    if draw(st.booleans()):
        delivery["methods"] = draw(
            st.lists(st.sampled_from(["window", "mail", "electronic"]), min_size=1, unique=True)
        )
    if draw(st.booleans()):
        delivery["fee"] = draw(st.sampled_from(["waived", "charged"]))
    if draw(st.booleans()):
        delivery["reads"] = draw(st.lists(st.sampled_from(list(ANCHORS)), unique=True))
    for key, strategy in (("time_limit", time_limits()), ("source", TEXT), ("description", TEXT)):
        if draw(st.booleans()):
            document[key] = draw(strategy)
    if "statutory" in document.get("time_limit", {}):
        # a statutory case limit the steps' critical path exceeds is an error (limit-unmet):
        # these documents are about the grammar, so the case limit is out of reach
        document["time_limit"]["statutory"] = "1000 WD"
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflows())
def test_generated_workflows_are_accepted_by_both(document: dict[str, Any]) -> None:
    text = dump(document)
    assert schema_errors(load_yaml(text)) == []
    assert loader_errors(text) == []


def test_durations_match_the_loader_grammar() -> None:
    pattern = re.compile(schema()["$defs"]["duration"]["pattern"])
    good = ["20 WD", "0.5 WD", " 10 nd ", "4wh", "2 Nh", "1.0 WD", "00.10 WD"]
    bad = ["0 WD", "0.0 WD", "1. WD", ".5 WD", "20", "20 days", "-1 WD", "1 W D", ""]
    for text in good:
        assert pattern.search(text), text
        assert parse(dump(_with_limit(text))).ok, text
    for text in bad:
        assert not pattern.search(text), text
        assert not parse(dump(_with_limit(text))).ok, text


def _with_limit(text: str) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    document["time_limit"] = {"committed": text}
    return document
