"""Random forms and the conditions that read them, for checking that the proof's forms and
the engine's submission agree (tests/soundness/test_forms_agree.py).

:func:`form_workflows` draws a workflow whose form has one to four fields of every type — with
``required``, ``default``, ``min``/``max`` and ``required_if`` drawn at random — and one to three
``when`` steps whose conditions read them; :func:`raw_values` draws what an applicant might type
into each field: valid values in every spelling submission accepts (``+86`` phones, a lower-case
``x``, integers as text, decimals with trailing zeros) and values it refuses.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from onething.language.model import Field, Workflow

TYPES = ("int", "decimal", "date", "string", "enum", "bool", "phone", "id_card", "uscc", "list")
#: the items a generated list field holds: one value, or a small record (as YAML flow text)
ITEMS = ("{type: int, min: 0, max: 5}", "{type: id_card}",
         "{plate: {type: string, required: true}, tons: {type: decimal, min: 0}}")
ENUM = ("shop", "farm", "mill")
PHONES = ("13800138000", "+86 138 0013 8000", "138-0013-8000", "13912345678", "8613912345678")
IDS = ("11010519491231002X", "11010519491231002x", "430381199001011234")
USCCS = ("91350100M000100Y43", "91350100m000100y43", "91110000MA0000000H")
BAD = {"phone": ("12345", "+1 555 0100"), "id_card": ("110105194912310021",),
       "uscc": ("91350100M000100Y44",)}
TEXTS = ("x", "y", "张三")
BASE_DAY = date(2024, 3, 1)


def _number(draw: st.DrawFn, kind: str) -> Any:
    if kind == "int":
        return draw(st.integers(-4, 4))
    return draw(st.sampled_from([Decimal("-1.5"), Decimal("0"), Decimal("0.5"), Decimal("2"),
                                 Decimal("0.0000000001"), Decimal("3.25")]))


def _day(draw: st.DrawFn) -> date:
    return BASE_DAY + timedelta(days=draw(st.integers(-3, 3)))


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, str)):
        return f"'{value}'"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@st.composite
def _field(draw: st.DrawFn, name: str, earlier: list[tuple[str, str, dict[str, Any]]]
           ) -> tuple[str, str, dict[str, Any]]:
    kind = draw(st.sampled_from(TYPES))
    spec: dict[str, Any] = {"type": kind}
    if kind == "list":
        spec["item"] = draw(st.sampled_from(ITEMS))
        spec["max_items"] = draw(st.integers(1, 3))
        spec["min_items"] = draw(st.integers(0, spec["max_items"]))
        if draw(st.booleans()):
            spec["required"] = True
        return name, kind, spec
    if kind == "enum":
        spec["values"] = list(ENUM[: draw(st.integers(1, 3))])
    if kind in ("int", "decimal", "date") and draw(st.booleans()):
        low = _day(draw) if kind == "date" else _number(draw, kind)
        spec["min"] = low
        if draw(st.booleans()):
            spec["max"] = low + (timedelta(days=draw(st.integers(0, 3))) if kind == "date"
                                 else draw(st.integers(0, 3)))
    required = draw(st.booleans())
    if required:
        spec["required"] = True
    elif draw(st.integers(0, 3)) == 0:
        spec["default"] = _default(kind, spec)
    elif earlier and draw(st.booleans()):
        other, condition = draw(_condition(earlier))
        spec["required_if"] = condition
        del other
    return name, kind, spec


def _default(kind: str, spec: dict[str, Any]) -> Any:
    if "min" in spec:
        return spec["min"]
    return {"int": 1, "decimal": Decimal("0.5"), "date": BASE_DAY, "string": "x",
            "enum": spec.get("values", ENUM)[0], "bool": False, "phone": PHONES[0],
            "id_card": IDS[0], "uscc": USCCS[0]}[kind]


@st.composite
def _atom(draw: st.DrawFn, field: tuple[str, str, dict[str, Any]]) -> str:
    name, kind, spec = field
    nullable = not spec.get("required") and "default" not in spec
    if kind == "list":  # a condition asks a list only whether it was given
        return f"{name} {draw(st.sampled_from(['==', '!=']))} null" if nullable else "true"
    if nullable and draw(st.integers(0, 4)) == 0:
        return f"{name} {draw(st.sampled_from(['==', '!=']))} null"
    if kind == "bool":
        return draw(st.sampled_from([name, f"not {name}", f"{name} == false"]))
    if kind in ("int", "decimal", "date"):
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        value = _day(draw) if kind == "date" else _number(draw, kind)
        if op in ("==", "!=") and not _inside(value, spec):
            op = "<"  # equality with a value the field refuses is an error (tested apart)
        return f"{name} {op} {_literal(value)}"
    pool = {"string": TEXTS, "enum": tuple(spec.get("values", ENUM)), "phone": PHONES,
            "id_card": IDS, "uscc": USCCS}[kind]
    if draw(st.booleans()):
        return f"{name} {draw(st.sampled_from(['==', '!=']))} '{draw(st.sampled_from(pool))}'"
    picked = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
    negated = "not in" if draw(st.booleans()) else "in"
    return f"{name} {negated} [{', '.join(repr(p) for p in picked)}]"


def _inside(value: Any, spec: dict[str, Any]) -> bool:
    return ("min" not in spec or value >= spec["min"]) and \
        ("max" not in spec or value <= spec["max"])


@st.composite
def _condition(draw: st.DrawFn, fields: list[tuple[str, str, dict[str, Any]]]
               ) -> tuple[str, str]:
    picked = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=2))
    atoms = [draw(_atom(f)) for f in picked]
    joined = f" {draw(st.sampled_from(['and', 'or']))} ".join(f"({a})" for a in atoms)
    if draw(st.integers(0, 3)) == 0:
        joined = f"not ({joined})"
    return picked[0][0], joined


@st.composite
def form_workflows(draw: st.DrawFn) -> str:
    """The YAML of a workflow with a random form and ``when`` steps reading it."""
    fields: list[tuple[str, str, dict[str, Any]]] = []
    for index in range(draw(st.integers(1, 4))):
        fields.append(draw(_field(f"f{index}", fields)))
    lines = ["onething: 1", "id: forms", "version: 1", "title: forms", "lead: a",
             "form:", "  fields:"]
    for name, _, spec in fields:
        parts = []
        for key, value in spec.items():
            if key == "values":
                parts.append(f"values: [{', '.join(value)}]")
            elif key == "item":
                parts.append(f"item: {value}")
            elif key == "required_if":
                parts.append(f'required_if: "{value}"')
            else:
                parts.append(f"{key}: {_literal(value)}")
        lines.append(f"    {name}: {{{', '.join(parts)}}}")
    lines += ["steps:", "  - id: first", "    department: a"]
    for index in range(draw(st.integers(1, 3))):
        _, condition = draw(_condition(fields))
        lines += [f"  - id: s{index}", "    department: a", f'    when: "{condition}"']
    lines += ["delivery:", "  bundle: []", "  methods: [window]"]
    return "\n".join(lines) + "\n"


@st.composite
def raw_values(draw: st.DrawFn, workflow: Workflow) -> dict[str, Any]:
    """What an applicant might submit for each field (accepted spellings and refused
    values; some fields left out)."""
    form: dict[str, Any] = {}
    for spec in workflow.form.fields:
        if draw(st.integers(0, 5)) == 0:
            continue
        form[spec.name] = draw(_raw(spec))
    return form


def _raw(spec: Field) -> st.SearchStrategy[Any]:
    kind = spec.type
    blank = st.sampled_from(["", "  "])
    if kind == "list":
        item: st.SearchStrategy[Any] = st.fixed_dictionaries(
            {sub.name: _raw(sub) for sub in spec.items}) if spec.records else _raw(spec.items[0])
        lists = st.lists(item, max_size=spec.max_items + 1)
        return st.one_of(lists, lists.map(list).map(lambda v: v[:1]), st.just([]), st.none(),
                         st.just("not a list"), st.just({"plate": "x"}))
    if kind == "int":
        base = st.integers(-6, 6)
        return st.one_of(base, base.map(str), st.just(2**63), blank)
    if kind == "decimal":
        return st.one_of(st.decimals(Decimal(-3), Decimal(4), places=2),
                         st.sampled_from([Decimal("0.50"), "2.000", 0.5, Decimal("0.0000000001"),
                                          Decimal("0.00000000001"), "1e3", 1]), blank)
    if kind == "date":
        days = st.integers(-5, 5).map(lambda n: BASE_DAY + timedelta(days=n))
        return st.one_of(days, days.map(date.isoformat), st.just("2024-02-30"))
    if kind == "bool":
        return st.sampled_from([True, False, "yes", "no", "1", "0", "maybe"])
    if kind == "enum":
        return st.sampled_from([*ENUM, "Shop", " shop"])
    if kind == "string":
        return st.one_of(st.sampled_from(TEXTS), st.text(max_size=3), blank)
    pools = {"phone": PHONES, "id_card": IDS, "uscc": USCCS}
    return st.sampled_from([*pools[kind], *BAD[kind]])
