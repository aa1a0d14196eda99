"""Every diagnostic the workflow loader emits: its code, exact location, message and hint.

Locations are 1-based ``line:col`` and were counted by hand from the documents below; a
diagnostic must point at the offending key or value, never at the start of the document.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.language.load import LoadResult, parse, read
from onething.language.location import Diagnostic, Severity
from onething.language.yamlsource import Limits

ROOT = Path(__file__).resolve().parents[2]
STARTUP = (ROOT / "workflows" / "enterprise_startup.yaml").read_text(encoding="utf-8")

# A small valid workflow; the numbers are its line numbers, for counting locations.
BASE_LINES = [
    "onething: 1",                                      # 1
    "id: demo",                                         # 2
    "version: 1",                                       # 3
    "title: Demo",                                      # 4
    "lead: market_regulation",                          # 5
    "form:",                                            # 6
    "  fields:",                                        # 7
    "    company_name: {type: string, required: true}",  # 8
    "    wants_mail: {type: bool, default: false}",     # 9
    "  materials:",                                     # 10
    "    charter: {label: 章程}",                        # 11
    "steps:",                                           # 12
    "  - id: registration",                             # 13
    "    department: market_regulation",                # 14
    "    reads: [company_name, charter]",               # 15
    "    produces: [licence]",                          # 16
    "  - id: seal",                                     # 17
    "    department: public_security",                  # 18
    "    when: wants_mail",                             # 19
    "    reads: [company_name]",                        # 20
    "    produces: [seal_set]",                         # 21
    "delivery:",                                        # 22
    "  bundle: [licence, seal_set]",                    # 23
    "  methods: [window, mail]",                        # 24
]  # fmt: skip
BASE = "\n".join(BASE_LINES) + "\n"

# A workflow with a parallel block (registration first, then seal and tax at once).
PARALLEL_LINES = [
    "onething: 1",                                      # 1
    "id: demo",                                         # 2
    "version: 1",                                       # 3
    "title: Demo",                                      # 4
    "lead: market_regulation",                          # 5
    "form:",                                            # 6
    "  fields:",                                        # 7
    "    company_name: {type: string, required: true}",  # 8
    "steps:",                                           # 9
    "  - id: registration",                             # 10
    "    department: market_regulation",                # 11
    "    reads: [company_name]",                        # 12
    "    produces: [licence]",                          # 13
    "  - parallel:",                                    # 14
    "      - id: seal",                                 # 15
    "        department: public_security",              # 16
    "        produces: [seal_set]",                     # 17
    "      - id: tax",                                  # 18
    "        department: tax",                          # 19
    "        produces: [tax_ukey]",                     # 20
    "delivery:",                                        # 21
    "  bundle: [licence, seal_set, tax_ukey]",          # 22
]  # fmt: skip
PARALLEL = "\n".join(PARALLEL_LINES) + "\n"


def edit(line: int, new: str, lines: list[str] = BASE_LINES) -> str:
    """The document with its ``line`` (1-based) replaced by ``new`` (which may hold breaks)."""
    changed = [*lines[: line - 1], new, *lines[line:]]
    return "\n".join(changed) + "\n"


def insert(after: int, new: str, lines: list[str] = BASE_LINES) -> str:
    """The document with ``new`` inserted after line ``after``."""
    return edit(after, f"{lines[after - 1]}\n{new}", lines)


def rendered(result: LoadResult) -> str:
    return "\n".join(d.render() for d in result.diagnostics)


def one(text: str, code: str, limits: Limits | None = None) -> Diagnostic:
    """The single diagnostic with ``code`` that loading ``text`` reports."""
    result = parse(text, "wf.yaml", limits) if limits else parse(text, "wf.yaml")
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, rendered(result)
    if found[0].severity is Severity.ERROR:
        assert not result.ok
    return found[0]


def check(
    d: Diagnostic,
    line: int,
    col: int,
    *names: str,
    hint: str = "",
    severity: Severity = Severity.ERROR,
) -> None:
    """``d`` is at ``line:col``, names every one of ``names`` and has a useful hint."""
    assert (d.location.file, d.location.line, d.location.col) == ("wf.yaml", line, col), d.render()
    assert d.severity is severity
    for name in names:
        assert name in d.message, d.render()
    assert d.hint.strip(), d.render()
    assert hint in d.hint, d.render()
    head = f"wf.yaml:{line}:{col}: {severity.value}[{d.code}]: {d.message}"
    assert d.render() == f"{head}\n  hint: {d.hint}"


def test_the_base_documents_are_valid_and_clean() -> None:
    for text in (BASE, PARALLEL):
        result = parse(text, "wf.yaml")
        assert result.ok, rendered(result)
        assert result.diagnostics == ()


# --- keys ----------------------------------------------------------------------------------


def test_unknown_key_at_top_level_suggests_the_right_key() -> None:
    d = one(edit(4, "titel: Demo"), "unknown-key")
    check(d, 4, 1, "'titel'", "the workflow", hint="did you mean 'title'?")


def test_unknown_key_in_a_step_suggests_the_right_key() -> None:
    d = one(edit(18, "    departmnt: public_security"), "unknown-key")
    check(d, 18, 5, "'departmnt'", "a step", hint="did you mean 'department'?")


def test_unknown_key_in_a_field_suggests_the_right_key() -> None:
    d = one(edit(8, "    company_name: {type: string, requird: true}"), "unknown-key")
    check(d, 8, 34, "'requird'", "the field 'company_name'", hint="did you mean 'required'?")


def test_unknown_key_in_the_delivery_suggests_the_right_key() -> None:
    d = one(edit(24, "  method: [window, mail]"), "unknown-key")
    check(d, 24, 3, "'method'", "the delivery", hint="did you mean 'methods'?")


def test_unknown_key_without_a_close_match_lists_the_keys() -> None:
    d = one(edit(4, "title: Demo\nzzz: 1"), "unknown-key")
    check(d, 5, 1, "'zzz'",
          hint="expected one of: clock, delivery, departments, description, escalation")


def test_missing_key_in_a_step_points_at_the_step() -> None:
    d = one(edit(14, "    title: 设立登记"), "missing-key")
    check(d, 13, 5, "'department'", "a step", hint="add 'department:'")


def test_missing_key_at_top_level_points_at_the_workflow() -> None:
    d = one(edit(5, "# no lead"), "missing-key")
    check(d, 1, 1, "'lead'", "the workflow", hint="add 'lead:'")


def test_missing_values_of_an_enum_field() -> None:
    d = one(edit(8, "    company_name: {type: enum}"), "missing-key")
    check(d, 8, 19, "'values'", "company_name", hint="values: [")


def test_missing_then_of_a_choice_arm() -> None:
    text = edit(17, "  - choice:\n      - when: wants_mail\n      - otherwise: []")
    d = one(text, "missing-key")
    check(d, 18, 9, "'when' and 'then'", hint="otherwise")


def test_duplicate_key_names_the_first_line() -> None:
    d = one(edit(4, "title: Demo\ntitle: Again"), "duplicate-key")
    check(d, 5, 1, "'title' twice", hint="line 4")


def test_duplicate_form_field_names_the_first_line() -> None:
    d = one(edit(9, "    company_name: {type: string}"), "duplicate-key")
    check(d, 9, 5, "'company_name'", "defined twice", hint="line 8")


def test_yaml_boolean_key_on_in_a_step() -> None:
    # PyYAML reads on/off/yes/no as booleans: 'on:' is not the word "on"
    d = one(edit(19, "    on: {approve: registration}"), "yaml-boolean-key")
    check(d, 19, 5, "'on'", "boolean", hint="goto: {approve: step_id}")


def test_yaml_boolean_key_as_a_form_field_name() -> None:
    d = one(edit(9, "    no: {type: bool}"), "yaml-boolean-key")
    check(d, 9, 5, "'no'", "the form fields", hint="quote the key ('no':)")


def test_yaml_boolean_key_elsewhere_says_to_quote_it() -> None:
    d = one(edit(24, "  methods: [window, mail]\n  yes: 1"), "yaml-boolean-key")
    check(d, 25, 3, "'yes'", "the delivery", hint="quote the key ('yes':)")
    assert "goto" not in d.hint


def test_a_key_that_is_not_a_word() -> None:
    d = one(edit(4, "title: Demo\n[a, b]: 1"), "bad-type")
    check(d, 5, 1, "a key of the workflow", hint="word")


# --- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "new", "at", "names", "hint"),
    [
        (3, "version: one", (3, 10), ("the version", "whole number"), "digits"),
        (20, "    reads: company_name", (20, 12), ("'reads' of step 'seal'", "list"),
         "[company_name]"),
        (17, "  - [seal]\n  - id: seal", (17, 5), ("a step", "mapping"), "'key: value'"),
        (9, "    wants_mail: {type: bool, personal: maybe}", (9, 40),
         ("'personal' of the field 'wants_mail'", "true or false"), "true or false"),
        (4, "title: [Demo]", (4, 8), ("the title", "text"), "text"),
        (11, "    charter: [章程]", (11, 14), ("the material 'charter'", "mapping"),
         "'key: value'"),
        (19, "    when: 12", (19, 11), ("'when' of step 'seal'", "condition"), "when:"),
    ],
    ids=["int", "list", "step", "bool", "text", "mapping", "condition"],
)
def test_bad_type(
    line: int, new: str, at: tuple[int, int], names: tuple[str, ...], hint: str
) -> None:
    check(one(edit(line, new), "bad-type"), *at, *names, hint=hint)


@pytest.mark.parametrize(
    ("line", "new", "at", "names", "hint"),
    [
        (2, "id: Demo Workflow", (2, 5), ("the workflow id", "'Demo Workflow'"),
         "enterprise-startup"),
        (8, "    company_name: {type: strng}", (8, 26), ("'strng'", "company_name"),
         "did you mean 'string'?"),
        (24, "  methods: [window, mial]", (24, 21), ("'mial'", "delivery method"),
         "did you mean 'mail'?"),
        (1, "onething: 2", (1, 11), ("language version 2",), "onething: 1"),
        (3, "version: 0", (3, 10), ("the version", "at least 1"), "e.g. 1"),
        (18, "    department: public_security\n    fee: free", (19, 10), ("fee", "'waived'"),
         "expected one of: charged, waived"),
        (9, "    wants_mail: {type: bool, default: sometimes}", (9, 39),
         ("default of the field 'wants_mail'", "'sometimes'"), "true/false"),
        (9, "    wants_mail: {type: bool, min: 1}", (9, 35), ("'min'", "wants_mail"),
         "it is bool"),
        # an impossible date is not a Python traceback (PyYAML would raise ValueError)
        (9, "    opened: {type: date, min: 2024-02-30}", (9, 31), ("'min'", "not a real date"),
         "YYYY-MM-DD"),
        (8, "    company_name: {type: string, values: [a]}", (8, 34), ("'values'", "enum"),
         "type: enum"),
        (9, "    wants_mail: {type: int, min: 5, max: 3}", (9, 42), ("'max'", "below its 'min'"),
         "swap them"),
        # at the key 'deferrable', the one to drop
        (11, "    charter: {required: false, deferrable: 5 WD}", (11, 32),
         ("the material 'charter'", "cannot be deferred"), "容缺受理"),
        (17, "  - choice:\n      - otherwise: []\n        when: wants_mail\n      - when: x\n"
         "        then: []", (18, 9), ("'otherwise' arm takes no 'when'",), "own"),
    ],
    ids=["name", "type", "method", "language", "version", "fee", "default", "bound", "date",
         "values", "min-max", "deferrable", "otherwise-when"],
)
def test_bad_value(
    line: int, new: str, at: tuple[int, int], names: tuple[str, ...], hint: str
) -> None:
    check(one(edit(line, new), "bad-value"), *at, *names, hint=hint)


def test_bad_value_of_a_number_too_long_to_read_is_not_a_traceback() -> None:
    # Python refuses int() of more than 4,300 digits with a ValueError
    d = one(edit(9, "    wants_mail: {type: int, default: " + "9" * 5000 + "}"), "bad-value")
    check(d, 9, 38, "the default of the field 'wants_mail'", "5,000 digits is too large",
          hint="at most 18 digits")
    d = one(edit(19, "    when: wants_mail == " + "9" * 5000), "bad-expression")
    check(d, 19, 11, "'when' of step 'seal'", "cannot read", hint="compares")


def test_bad_value_through_an_explicit_standard_tag_is_not_a_traceback() -> None:
    check(one(edit(1, "onething: !!int one"), "bad-type"), 1, 11, "whole number", hint="digits")
    check(one(edit(1, "onething: " + "9" * 5000), "bad-type"), 1, 11, "whole number")


def test_bad_duration() -> None:
    d = one(insert(21, "    time_limit: {committed: 3 days}"), "bad-duration")
    check(d, 22, 29, "the committed limit", "'days'", hint="20 WD")


def test_duplicate_entry() -> None:
    d = one(edit(20, "    reads: [company_name, company_name]"), "duplicate-entry")
    check(d, 20, 27, "'company_name' twice", "'reads' of step 'seal'", hint="once")


def test_duplicate_name_between_a_field_and_a_material() -> None:
    d = one(edit(11, "    company_name: {label: 名称}"), "duplicate-name")
    check(d, 11, 5, "'company_name'", "field and a material", hint="line 8")


# --- conditions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "at"),
    [
        ('    when: "wants_mail = true"', (19, 23)),
        ("    when: 'wants_mail = true'", (19, 23)),
        ("    when: wants_mail = true", (19, 22)),
        ('    when: "company_name == \\"x\\" and x = 1"', (19, 40)),
        ("    when: 'company_name == ''x'' and x = 1'", (19, 40)),
        ("    when: >-\n      wants_mail and\n      wants_mail = true", (21, 18)),
        ("    when: |\n      wants_mail = true", (20, 18)),
        ("    when: wants_mail and\n      wants_mail = true", (20, 18)),
    ],
    ids=["double-quoted", "single-quoted", "plain", "escapes", "doubled-quotes", "folded",
         "literal", "plain-multiline"],
)
def test_bad_expression_points_into_the_condition(new: str, at: tuple[int, int]) -> None:
    d = one(edit(19, new), "bad-expression")
    check(d, *at, "'when' of step 'seal'", "'='", hint="==")


def test_bad_expression_hint_from_the_condition_language() -> None:
    d = one(edit(19, '    when: "wants_mail => 1"'), "bad-expression")
    check(d, 19, 23, "'=>'", hint="write '>='")


def test_bad_expression_at_the_end_of_a_required_if() -> None:
    new = '    wants_mail: {type: bool, required_if: "company_name =="}'
    d = one(edit(9, new), "bad-expression")
    # the missing value is reported just past '==', at the closing quote
    check(d, 9, 59, "'required_if' of the field 'wants_mail'", "after '=='", hint="finish")


def test_bad_expression_nesting_too_deeply_is_not_a_recursion_error() -> None:
    for condition in ("(" * 400 + "wants_mail" + ")" * 400, "not " * 400 + "wants_mail"):
        d = one(edit(19, f'    when: "{condition}"'), "bad-expression")
        check(d, 19, 12, "nests too deeply", hint="50 levels")


def test_expression_type() -> None:
    d = one(edit(19, '    when: "company_name > 3"'), "expression-type")
    check(d, 19, 12, "'when' of step 'seal'", "'>'", "'company_name'", hint="==, !=")


def test_expression_type_points_at_the_offending_part() -> None:
    d = one(edit(19, "    when: wants_mail and company_name"), "expression-type")
    check(d, 19, 26, "'company_name' is a string field", hint="company_name == ...")


def test_expression_type_in_a_folded_condition() -> None:
    text = edit(19, "    when: >\n      wants_mail and\n      company_name > 3")
    check(one(text, "expression-type"), 21, 7, "'company_name'", hint="string fields")


def test_unknown_field_in_a_condition() -> None:
    d = one(edit(19, '    when: "wants_mial"'), "unknown-field")
    check(d, 19, 12, "'when' of step 'seal'", "'wants_mial'", hint="did you mean 'wants_mail'?")


def test_unknown_field_in_a_condition_after_others() -> None:
    d = one(edit(19, "    when: wants_mail or company_nam == 'x'"), "unknown-field")
    check(d, 19, 25, "'company_nam'", hint="did you mean 'company_name'?")


# --- cross references -------------------------------------------------------------------------


def test_duplicate_id() -> None:
    d = one(edit(17, "  - id: registration"), "duplicate-id")
    check(d, 17, 9, "'registration'", "twice", hint="line 13")


def test_unknown_step_in_a_goto() -> None:
    d = one(edit(19, "    goto: {refuse: registraton}"), "unknown-step")
    check(d, 19, 20, "'seal'", "'refuse'", "'registraton'", hint="did you mean 'registration'?")


def test_jump_out_of_a_parallel_branch() -> None:
    text = insert(17, "        goto: {refuse: registration}", PARALLEL_LINES)
    d = one(text, "jump-across-parallel")
    check(d, 18, 24, "'seal'", "'registration'", "parallel", hint="strand its siblings")


def test_jump_into_a_parallel_branch() -> None:
    text = insert(13, "    goto: {approve: tax}", PARALLEL_LINES)
    d = one(text, "jump-across-parallel")
    check(d, 14, 21, "'registration'", "'tax'", "parallel", hint="skip the fork")


def test_jump_between_parallel_branches() -> None:
    text = insert(17, "        goto: {approve: tax}", PARALLEL_LINES)
    check(one(text, "jump-across-parallel"), 18, 25, "'seal'", "'tax'")


def test_conflicting_outcome() -> None:
    d = one(edit(19, "    optional: true\n    goto: {refuse: registration}"), "conflicting-outcome")
    check(d, 20, 20, "'seal'", "optional", "'refuse'", hint="drop one of the two")


def test_unknown_field_read_by_a_step() -> None:
    d = one(edit(20, "    reads: [company_name, compnay_name]"), "unknown-field")
    check(d, 20, 27, "'seal'", "'compnay_name'", hint="did you mean 'company_name'?")


def test_unknown_field_read_by_the_delivery() -> None:
    d = one(insert(24, "  reads: [wants_mail, mail_address]"), "unknown-field")
    check(d, 25, 23, "the delivery", "'mail_address'", hint="form.fields")


def test_unproducible_item() -> None:
    d = one(edit(23, "  bundle: [licence, seal_set, licence_copy]"), "unproducible-item")
    check(d, 23, 31, "'licence_copy'", "no step produces", hint="did you mean 'licence'?")


def test_unused_field_is_a_warning_and_the_workflow_loads() -> None:
    text = insert(9, "    nickname: {type: string}")
    result = parse(text, "wf.yaml")
    assert result.ok, rendered(result)
    assert result.errors == ()
    (d,) = result.warnings
    assert d.code == "unused-field"
    check(d, 10, 5, "'nickname'", hint="'reads'", severity=Severity.WARNING)


def test_unused_material_is_a_warning_and_the_workflow_loads() -> None:
    text = insert(11, "    seal_photo:")
    result = parse(text, "wf.yaml")
    assert result.ok, rendered(result)
    (d,) = result.diagnostics
    assert d.code == "unused-material"
    check(d, 12, 5, "'seal_photo'", hint="'reads'", severity=Severity.WARNING)


def test_limit_order() -> None:
    d = one(insert(21, "    time_limit: {committed: 3 WD, statutory: 1 WD}"), "limit-order")
    check(d, 22, 17, "'seal'", "3 WD", "1 WD", hint="承诺时限")


# --- blocks -----------------------------------------------------------------------------------


def test_misplaced_otherwise() -> None:
    text = edit(17, "  - choice:\n      - otherwise: []\n      - when: wants_mail\n        then:\n"
                    "          - id: seal\n            department: public_security\n"
                    "            produces: [seal_set]", BASE_LINES[:21])
    text += "delivery:\n  bundle: [licence]\n"
    d = one(text, "misplaced-otherwise")
    check(d, 18, 9, "'otherwise'", "last", hint="move 'otherwise' to the end")


@pytest.mark.parametrize(
    ("new", "at", "names", "hint"),
    [
        ("  - parallel:\n      - id: seal\n        department: public_security", (18, 7),
         ("at least two branches",), "in sequence"),
        ("  - parallel:\n      - []\n      - id: seal\n        department: public_security",
         (18, 9), ("parallel branch is empty",), "remove the branch"),
        ("  - choice: []", (17, 13), ("no arms",), "'when'/'then'"),
        ("  - choice:\n      - otherwise: []", (18, 7), ("at least one 'when' arm",),
         "in sequence"),
    ],
    ids=["one-branch", "empty-branch", "no-arms", "only-otherwise"],
)
def test_empty_block(new: str, at: tuple[int, int], names: tuple[str, ...], hint: str) -> None:
    text = edit(17, new, BASE_LINES[:21]).replace("\n    when: wants_mail", "")
    text += "delivery:\n  bundle: [licence]\n"
    check(one(text, "empty-block"), *at, *names, hint=hint)


def test_empty_steps() -> None:
    text = "\n".join([*BASE_LINES[:11], "steps: []", "delivery:", "  bundle: []"]) + "\n"
    check(one(text, "empty-steps"), 12, 8, "no steps", hint="at least one step")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
def test_empty_file(text: str) -> None:
    check(one(text, "empty-file"), 1, 1, "no workflow", hint="example")


# --- YAML itself ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at", "names", "hint"),
    [
        (edit(17, "\t- id: seal"), (17, 1), ("'\\t'",), "spaces, not tabs"),
        (edit(20, "    reads: [company_name"), (21, 13), ("flow sequence",),
         "from line 20, column 12"),
        (edit(18, "   department: public_security"), (18, 4), ("block",), "indentation"),
        (edit(4, "title: Demo: Bad"), (4, 12), ("mapping values",), "quoted"),
        (edit(4, 'title: "Demo'), (25, 1), ("quoted scalar",), "from line 4, column 8"),
        (edit(4, "title: De\x00mo"), (4, 10), ("'\\x00'",), "control character"),
        (edit(4, 'title: "\\UFFFFFFFF"'), (4, 11), ("escape",), "\\U"),
        (BASE + "---\nmore: 1\n", (25, 1), ("single document",), "'---'"),
        (edit(4, "title: *nowhere"), (4, 8), ("undefined alias 'nowhere'",), "check"),
    ],
    ids=["tab", "unclosed-bracket", "indentation", "colon", "unclosed-quote", "nul",
         "escape", "two-documents", "alias"],
)
def test_yaml_syntax(text: str, at: tuple[int, int], names: tuple[str, ...], hint: str) -> None:
    check(one(text, "yaml-syntax"), *at, *names, hint=hint)


@pytest.mark.parametrize(
    ("new", "at", "names", "hint"),
    [
        ("title: !!python/object:os.system {}", (4, 8), ("python/object",), "remove the '!'"),
        ("title: !!python/object/apply:os.system [ls]", (4, 8), ("python/object/apply",),
         "remove the '!'"),
        ("title: !shout Demo", (4, 8), ("'!shout'",), "remove the '!'"),
        ("title: !!map Demo", (4, 8), ("map",), "remove the '!!' tag"),
        ("title: !!str {a: 1}", (4, 8), ("str",), "remove the '!!' tag"),
        ("<<: {title: Demo}", (4, 1), ("merge keys",), "write the keys out"),
    ],
    ids=["python-object", "python-apply", "local", "map-on-scalar", "str-on-mapping", "merge"],
)
def test_unknown_tag(new: str, at: tuple[int, int], names: tuple[str, ...], hint: str) -> None:
    check(one(edit(4, new), "unknown-tag"), *at, *names, hint=hint)


def test_too_deep() -> None:
    # the root mapping is level 1 and the n-th '[' is level n + 1 at column n + 3
    text = "a: " + "[" * 100 + "]" * 100 + "\n"
    check(one(text, "too-deep"), 1, 67, "deeper than 64 levels", hint="Limits.max_depth")


def test_too_deep_with_a_configured_limit() -> None:
    # form (1: the workflow, 2: form, 3: fields, 4: the key company_name)
    d = one(BASE, "too-deep", Limits(max_depth=3))
    check(d, 8, 5, "deeper than 3 levels", hint="flatten")


def test_too_deep_is_refused_quickly() -> None:
    text = "a: " + "[" * 50_000 + "]" * 50_000 + "\n"
    started = time.monotonic()
    check(one(text, "too-deep"), 1, 67, "deeper than 64 levels")
    assert time.monotonic() - started < 2


def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_too_many_nodes_refuses_a_billion_laughs_quickly() -> None:
    text = billion_laughs()
    started = time.monotonic()
    d = one(text, "too-many-nodes")
    assert time.monotonic() - started < 2
    # the budget runs out inside the expansion of the anchored list on line 1 (its second "lol")
    check(d, 1, 15, "more than 100,000 nodes", "alias bomb", hint="remove repeated aliases")


def test_too_many_nodes_with_a_configured_limit() -> None:
    # counted in document order: the workflow, then each key and value; the 11th is the lead
    d = one(BASE, "too-many-nodes", Limits(max_nodes=10))
    check(d, 5, 7, "more than 10 nodes", hint="Limits.max_nodes")


def test_too_many_nodes_in_a_huge_flat_list_is_refused_while_composing() -> None:
    text = "a: [" + ", ".join(["x"] * 2_000) + "]\n"
    # the workflow, the key a and the list are nodes 1 to 3; the 998th x (column 5 + 3 * 997)
    # is node 1,001
    d = one(text, "too-many-nodes", Limits(max_nodes=1_000))
    check(d, 1, 2996, "more than 1,000 nodes", hint="Limits.max_nodes")


def test_too_large() -> None:
    d = one(BASE, "too-large", Limits(max_bytes=100))
    size = len(BASE.encode("utf-8"))
    check(d, 1, 1, f"{size:,} bytes", "the limit is 100", hint="Limits.max_bytes")


def test_too_large_file_is_refused_with_its_real_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(BASE + "# padding\n" * 200, encoding="utf-8")
    result = read(path, Limits(max_bytes=1000))
    (d,) = result.diagnostics
    assert (d.code, d.location.file, d.location.line, d.location.col) == (
        "too-large", str(path), 1, 1)
    assert f"{path.stat().st_size:,} bytes; the limit is 1,000" in d.message
    assert "Limits.max_bytes" in d.hint


def test_encoding_points_at_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(edit(4, "title: 企业开办").encode("gbk"))
    result = read(path)
    (d,) = result.diagnostics
    assert not result.ok
    assert (d.code, d.location.file, d.location.line, d.location.col) == (
        "encoding", str(path), 4, 8)
    assert "not UTF-8" in d.message
    assert "UTF-8" in d.hint


def test_unreadable_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    result = read(path)
    (d,) = result.diagnostics
    assert not result.ok
    assert (d.code, d.location.file, d.severity) == ("unreadable", str(path), Severity.ERROR)
    # there is no text to point into: line and column 0 say "the file as a whole"
    assert (d.location.line, d.location.col) == (0, 0)
    assert d.render().startswith(f"{path}:0:0: error[unreadable]: ")
    assert "cannot read the file" in d.message
    assert "No such file" in d.message
    assert "path" in d.hint


@pytest.mark.parametrize("name", ["dir", "bad\x00name"])
def test_unreadable_directory_or_impossible_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / name if name == "dir" else f"{tmp_path}/{name}"
    if name == "dir":
        Path(path).mkdir()
    (d,) = read(path).diagnostics
    assert d.code == "unreadable"
    assert d.hint


# --- all problems at once ---------------------------------------------------------------------

MANY_PROBLEMS = """\
onething: 1
id: Demo
version: 1
titel: Demo
lead: market_regulation
form:
  fields:
    company_name: {type: strng, required: true}
    wants_mail: {type: bool, default: false}
    nickname: {type: string}
  materials:
    charter: {label: 章程}
steps:
  - id: registration
    department: market_regulation
    reads: [company_name, charter, compnay_name]
    produces: [licence]
  - id: registration
    department: public_security
    when: "wants_mail = true"
    time_limit: {committed: 3 WD, statutory: 1 WD}
    goto: {approve: sael}
    on: {refuse: registration}
    produces: [seal_set]
delivery:
  bundle: [licence, seal_set, stamp]
  methods: [window, pigeon]
"""


def test_every_problem_of_a_document_is_reported_at_once_sorted_by_location() -> None:
    result = parse(MANY_PROBLEMS, "wf.yaml")
    assert not result.ok
    found = [(d.code, d.location.line, d.location.col) for d in result.diagnostics]
    assert found == [
        ("missing-key", 1, 1),          # no title (it is misspelt)
        ("bad-value", 2, 5),            # id: Demo
        ("unknown-key", 4, 1),          # titel
        ("bad-value", 8, 26),           # type: strng
        ("unused-field", 9, 5),         # wants_mail (its only condition is broken)
        ("unused-field", 10, 5),        # nickname
        ("unknown-field", 16, 36),      # compnay_name
        ("duplicate-id", 18, 9),        # registration twice
        ("bad-expression", 20, 23),     # '=' in the condition
        ("limit-order", 21, 17),        # 3 WD > 1 WD
        ("unsourced-number", 21, 29),   # 3 WD: who set it?
        ("unsourced-number", 21, 46),   # 1 WD
        ("unknown-step", 22, 21),       # sael
        ("yaml-boolean-key", 23, 5),    # on:
        ("unproducible-item", 26, 31),  # stamp
        ("bad-value", 27, 21),          # pigeon
    ], rendered(result)  # fmt: skip
    locations = [d.location for d in result.diagnostics]
    assert locations == sorted(locations)
    for d in result.diagnostics:
        assert d.render().startswith(f"wf.yaml:{d.location.line}:{d.location.col}: ")
        assert d.hint
    # a field whose definition is wrong is not reported again where it is read
    unknown = [d for d in result.diagnostics if d.code == "unknown-field"]
    assert [d.message for d in unknown] == [
        "step 'registration' reads 'compnay_name', which the form does not have"
    ]
    assert unknown[0].hint == "did you mean 'company_name'?"


def test_the_workflow_is_unwrapped_only_when_valid() -> None:
    from onething.errors import WorkflowInvalid

    with pytest.raises(WorkflowInvalid) as caught:
        parse(MANY_PROBLEMS, "wf.yaml").unwrap()
    assert len(caught.value.diagnostics) == len(parse(MANY_PROBLEMS, "wf.yaml").errors)
    assert "wf.yaml:2:5: error[bad-value]" in str(caught.value)


# --- fuzzing ----------------------------------------------------------------------------------

STARTUP_LINES = STARTUP.splitlines(keepends=True)
YAML_SCALARS = [
    "", "~", "null", "yes", "on", "NO", "[]", "{}", "[a, [b]]", "{a: {b: c}}", "-1", "0", "0.5",
    "1e400", ".nan", "0x1F", "0o17", "1_000", "2024-02-30", "2024-01-01", "12:30:45", "'x'",
    '"x"', '"\\UFFFFFFFF"', '"\\q"', "!!int x", "!!bool maybe", "!!timestamp x", "!!map x",
    "!foo x", "&a x", "*a", "*nowhere", "|", ">-", "@", "`", "%", "?", "-", ": x", "a: b",
    "#", "'unterminated", '"unterminated', "[unclosed", "{unclosed", "9" * 5000,
    "not not not x", "x ==", "x = 1", "((x)", "x in []", "registration", "0.5 WD", "20 XD",
    "'x == " + "9" * 5000 + "'", "'" + "(" * 300 + "x" + ")" * 300 + "'", "'company_name > 3'",
    "needs_invoice and delivery_method == 'mial'", "'x' == 1", "tax", "seal", "waived",
    "企业", "\ufeff", "\u2028", "\x85", "\r",
]  # fmt: skip
SPECIALS = st.sampled_from(list(":-[]{}#&*!|>'\"%@`,? \t\n\r\\") + ["  ", ": ", "- ", "\x00"])


@st.composite
def mutated_startup(draw: st.DrawFn) -> str:
    lines = list(STARTUP_LINES)
    for _ in range(draw(st.integers(1, 5))):
        index = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(
            ["delete", "duplicate", "swap", "insert", "indent", "value", "inner"]
        ))
        line = lines[index]
        if op == "delete":
            del lines[index]
        elif op == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), line)
        elif op == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], line
        elif op == "insert":
            at = draw(st.integers(0, len(line)))
            chars = draw(st.lists(SPECIALS | st.characters(), min_size=1, max_size=6))
            lines[index] = line[:at] + "".join(chars) + line[at:]
        elif op == "indent":
            stripped = line.lstrip(" ")
            lines[index] = " " * draw(st.integers(0, 12)) + stripped
        elif op == "value":
            key, colon, _ = line.partition(": ")
            value = draw(st.sampled_from(YAML_SCALARS) | st.text(max_size=12))
            lines[index] = f"{key}{colon or ': '}{value}\n"
        else:
            # replace one value inside the line, e.g. in {type: int, default: 0}
            starts = [m.end() for m in re.finditer(r": |\[|, ", line)]
            if starts:
                start = draw(st.sampled_from(starts))
                end = re.compile(r"[,\]}\n]|$").search(line, start).start()
                value = draw(st.sampled_from(YAML_SCALARS))
                lines[index] = line[:start] + value + line[end:]
        if not lines:
            break
    return "".join(lines)


def assert_well_formed(text: str) -> None:
    result = parse(text, "wf.yaml")
    assert isinstance(result, LoadResult)
    assert result.ok == (result.workflow is not None)
    if result.ok:
        assert result.errors == ()
    else:
        assert result.errors
    line_count = len(text.splitlines()) + 1
    for d in result.diagnostics:
        assert d.code and d.message, d
        assert d.hint, d.render()
        assert d.location.file == "wf.yaml"
        assert 1 <= d.location.line <= line_count, (d.render(), line_count)
        assert d.location.col >= 1, d.render()
    locations = [d.location for d in result.diagnostics]
    assert locations == sorted(locations)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_startup())
def test_fuzz_mutated_workflow_never_raises(text: str) -> None:
    assert_well_formed(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(YAML_SCALARS) | SPECIALS | st.text(max_size=20), max_size=30).map(
        "".join
    )
    | st.text(max_size=300)
)
def test_fuzz_garbage_never_raises(text: str) -> None:
    assert_well_formed(text)


@pytest.mark.slow
@settings(max_examples=20_000, deadline=None)
@given(mutated_startup())
def test_fuzz_mutated_workflow_never_raises_long(text: str) -> None:
    assert_well_formed(text)


def test_bad_type_of_the_steps() -> None:
    text = "\n".join([*BASE_LINES[:11], "steps: registration", *BASE_LINES[21:]]) + "\n"
    check(one(text, "bad-type"), 12, 8, "steps", "list of steps", hint="- id:")


def test_bad_type_of_the_form_fields() -> None:
    text = edit(7, "  fields: [company_name]", [*BASE_LINES[:7], *BASE_LINES[9:]])
    check(one(text, "bad-type"), 7, 11, "form fields", "mapping", hint="name: {...}")


def test_every_code_the_loader_emits_is_tested_here() -> None:
    sources = "".join((ROOT / "src" / "onething" / "language" / name).read_text(encoding="utf-8")
                      for name in ("load.py", "checks.py", "yamlsource.py", "opens_check.py",
                                   "sources.py", "time_check.py"))
    emitted = set(re.findall(r'(?:self\.error|Diagnostic)\(\s*"([a-z-]+)"', sources))
    # built in an expression: unused-{kind}, and expression-type for a condition's types
    emitted = (emitted - {"unused-"}) | {"unused-field", "unused-material", "expression-type"}
    this = Path(__file__).read_text(encoding="utf-8")
    assert len(emitted) == 58
    assert {code for code in emitted if f'"{code}"' not in this} == set()


def test_departments_name_only_the_workflows_own_departments() -> None:
    """``departments:`` gives display names; a misspelt id is an error at the id (the real
    department would stay without its name), a department left unnamed a warning."""
    named = insert(5, "departments:\n  market_regulation: 市场监管局\n  public_security: 公安局")
    result = parse(named, "wf.yaml")
    assert result.ok and result.diagnostics == (), rendered(result)
    workflow = result.unwrap()
    assert workflow.department_titles == (("market_regulation", "市场监管局"),
                                          ("public_security", "公安局"))
    assert workflow.department_title("public_security") == "公安局"
    assert workflow.department_title("tax") == "tax"  # not named: its id
    typo = insert(5, "departments:\n  market_regulation: 市场监管局\n  public_securty: 公安局")
    check(one(typo, "unknown-department"), 8, 3, "public_securty", "not a department",
          hint="did you mean 'public_security'?")
    check(one(typo, "unnamed-department"), 6, 1, "'public_security'",
          hint="public_security:", severity=Severity.WARNING)
    partial = insert(5, "departments:\n  public_security: 公安局")
    warned = one(partial, "unnamed-department")
    check(warned, 6, 1, "'market_regulation'", hint="market_regulation:",
          severity=Severity.WARNING)
    assert parse(partial, "wf.yaml").ok  # a warning: people read the id meanwhile
    blank = insert(5, "departments:\n  market_regulation: ' '\n  public_security: 公安局")
    check(one(blank, "bad-value"), 7, 22, "display name", "blank", hint="税务局")
    listed = insert(5, "departments: [market_regulation]")
    check(one(listed, "bad-type"), 6, 14, "departments", "mapping", hint="tax: 税务局")
    twice = insert(5, "departments:\n  public_security: 公安局\n  public_security: 公安")
    check(one(twice, "duplicate-key"), 8, 3, "public_security", "twice", hint="line 7")
    unread = parse(named.replace("department: public_security", "departmnt: public_security"),
                   "wf.yaml")  # the step's department did not read: its name is no guess
    assert "unknown-department" not in {d.code for d in unread.diagnostics}, rendered(unread)


def test_the_government_of_joint_handling_may_be_named() -> None:
    joint = insert(5, JOINT.rstrip("\n") + "\ndepartments: {market_regulation: 市场监管局, "
                   "public_security: 公安局, county: 县人民政府}")
    result = parse(joint, "wf.yaml")
    assert not [d for d in result.diagnostics if "department" in d.code], rendered(result)
    assert result.unwrap().department_title("county") == "县人民政府"
    single = insert(5, "departments: {market_regulation: 市场监管局, public_security: 公安局, "
                    "government: 人民政府}")
    check(one(single, "unknown-department"), 6, 63, "'government'",
          hint="expected one of: market_regulation, public_security")


def test_promise_too_long() -> None:
    text = """onething: 1
id: promise
version: 1
title: promise
lead: hall
form:
  materials:
    lease: {deferrable: 5 WD}
steps:
  - id: check
    department: hall
    reads: [lease]
    time_limit: {committed: 3 WD}
delivery:
  bundle: []
"""
    [d] = [d for d in parse(text, "wf.yaml").diagnostics if d.code == "promise-too-long"]
    check(d, 8, 5, "'lease'", "5 WD", "3 WD", "'check'", hint="deferrable")


def test_silence_without_limit() -> None:
    text = """onething: 1
id: silence
version: 1
title: silence
lead: hall
steps:
  - id: review
    department: fire
    silence: approve
delivery:
  bundle: []
"""
    [d] = [d for d in parse(text, "wf.yaml").diagnostics if d.code == "silence-without-limit"]
    check(d, 9, 14, "'review'", "time_limit", hint="time_limit")


def test_sign_off_with_commitment() -> None:
    text = """onething: 1
id: joint
version: 1
title: joint
lead: hall
steps:
  - id: review
    department: fire
    commitment: true
    sign_off: {by: [fire, planning], need: all}
delivery:
  bundle: []
"""
    [d] = [d for d in parse(text, "wf.yaml").diagnostics
           if d.code == "sign-off-with-commitment"]
    check(d, 9, 17, "'review'", "commitment", hint="sign_off")


SEND_BACK = """onething: 1
id: rework
version: 1
title: rework
lead: hall
form: {}
steps:
  - parallel:
      - {id: fire, department: fire}
      - [{id: plan, department: planning}, {id: plan_filing, department: planning}]
  - id: review
    department: hall
    send_back: {to: [plan], others: keep}
  - {id: issue, department: hall}
delivery:
  bundle: []
"""


def coded(text: str, code: str) -> list[Diagnostic]:
    """The diagnostics of ``text`` with ``code``."""
    return [d for d in parse(text, "wf.yaml").diagnostics if d.code == code]


def test_send_back_loads_and_says_what_is_done_again() -> None:
    workflow = parse(SEND_BACK, "wf.yaml").unwrap()
    assert workflow.rework == {"review": {"plan": ("plan", "plan_filing")}}
    redo = parse(SEND_BACK.replace("others: keep", "others: redo"), "wf.yaml").unwrap()
    assert redo.rework == {"review": {"plan": ("plan", "plan_filing", "fire")}}


def test_send_back_placement_not_after_a_block() -> None:
    text = SEND_BACK.replace("  - {id: issue, department: hall}\n", "").replace(
        "  - id: review\n", "  - {id: issue, department: hall}\n  - id: review\n")
    [d] = coded(text, "send-back-placement")
    check(d, 14, 16, "'review'", "not a parallel block", hint="right after the parallel block")


def test_send_back_placement_reached_by_a_jump() -> None:
    text = SEND_BACK.replace("  - {id: issue, department: hall}",
                             "  - {id: issue, department: hall, goto: {refuse: review}}")
    [d] = coded(text, "send-back-placement")
    check(d, 14, 50, "'issue'", "'review'", "sends back", hint="through its block")


def test_send_back_placement_with_sign_off() -> None:
    text = SEND_BACK.replace("    send_back:", "    sign_off: {by: [hall, fire], need: all}\n"
                             "    send_back:")
    [d] = coded(text, "send-back-placement")
    check(d, 14, 16, "'review'", "several signers", hint="one department")


def test_send_back_target_outside_the_block_or_unknown() -> None:
    [d] = coded(SEND_BACK.replace("to: [plan]", "to: [issue]"),
                             "send-back-target")
    check(d, 13, 16, "'review'", "'issue'", "directly in a branch", hint="nested block")
    [d] = coded(SEND_BACK.replace("to: [plan]", "to: [plam]"), "send-back-target")
    check(d, 13, 16, "'plam'", "not a step", hint="did you mean 'plan'?")


def test_send_back_bad_values() -> None:
    [d] = coded(SEND_BACK.replace("others: keep", "others: kept"), "bad-value")
    check(d, 13, 37, "'others'", "keep or redo", hint="keep")
    assert coded(SEND_BACK.replace("to: [plan]", "to: []"), "bad-value")
    assert coded(SEND_BACK.replace("{to: [plan], others: keep}", "{others: keep}"),
                              "missing-key")


NAMED = """onething: 1
id: clinic
version: 1
title: clinic
lead: health
form:
  fields:
    beds: {type: int, required: true}
steps:
  - {id: first, department: health}
  - id: review
    department: health
    sets:
      risk_level: {type: enum, values: [low, high]}
    outcomes:
      site_visit: {goto: inspection}
  - {id: desk, department: health, when: "risk_level == 'low'"}
  - {id: inspection, department: health, reads: [risk_level]}
delivery:
  bundle: []
"""


def test_named_outcomes_and_set_fields_load() -> None:
    workflow = parse(NAMED, "wf.yaml").unwrap()
    review = workflow.step("review")
    assert [o.name for o in review.outcomes] == ["site_visit"]
    assert review.jumps == (("site_visit", "inspection"),)
    assert workflow.set_fields["risk_level"][1] == "review"


def test_reserved_outcome() -> None:
    [d] = coded(NAMED.replace("site_visit:", "approve:"), "reserved-outcome")
    check(d, 16, 7, "'approve'", "action of its own", hint="site_visit")


def test_set_field_placement() -> None:
    text = NAMED.replace("    sets:\n", "    optional: true\n    sets:\n")
    [d] = coded(text, "set-field-placement")
    check(d, 15, 7, "'review'", "risk_level", "optional", hint="top level")
    nested = NAMED.replace("  - id: review\n    department: health\n    sets:",
                           "  - parallel:\n    - {id: other, department: fire}\n"
                           "    - id: review\n      department: health\n      sets:").replace(
        "      risk_level: {type", "        risk_level: {type").replace(
        "    outcomes:\n      site_visit: {goto: inspection}\n", "")
    [d] = coded(nested, "set-field-placement")
    check(d, 16, 9, "'review'", "inside a block", hint="top level")


def test_set_field_read_early() -> None:
    text = NAMED.replace("  - {id: first, department: health}",
                         "  - {id: first, department: health, when: \"risk_level == 'high'\"}")
    [d] = coded(text, "set-field-read-early")
    check(d, 10, 44, "'first'", "'risk_level'", "'review'", hint="after 'review'")


def test_set_field_skipped() -> None:
    text = NAMED.replace("  - {id: first, department: health}",
                         "  - {id: first, department: health, goto: {refuse: desk}}")
    [d] = coded(text, "set-field-skipped")
    check(d, 10, 52, "'first'", "'desk'", "past 'review'", hint="one side")
    back = NAMED.replace("reads: [risk_level]}",
                         "reads: [risk_level], goto: {refuse: first}}")
    [d] = coded(back, "set-field-skipped")
    check(d, 18, 78, "'inspection'", "back to or before 'review'", hint="one side")


def test_outcomes_of_a_signed_step_conflict() -> None:
    text = NAMED.replace("    outcomes:\n", "    sign_off: {by: [health, fire], need: all}\n"
                         "    outcomes:\n")
    [d] = coded(text, "conflicting-outcome")
    check(d, 17, 7, "'review'", "several signers", "site_visit", hint="one department")


FOREACH = """onething: 1
id: fleet
version: 1
title: fleet
lead: hall
form:
  fields:
    vehicles:
      type: list
      max_items: 5
      item: {plate: {type: string, required: true}}
steps:
  - {id: inspection, department: transport, reads: [vehicles], foreach: vehicles}
delivery:
  bundle: []
"""


def test_foreach_over_what_is_not_a_list_field() -> None:
    [d] = coded(FOREACH.replace("foreach: vehicles", "foreach: vehicle"), "foreach-field")
    check(d, 13, 73, "'inspection'", "'vehicle'", "not a list field",
          hint="did you mean 'vehicles'?")


def test_foreach_with_another_kind_of_decision() -> None:
    text = FOREACH.replace("foreach: vehicles}",
                           "foreach: vehicles, sign_off: {by: [transport, police], need: all}}")
    [d] = coded(text, "foreach-placement")
    check(d, 13, 93, "'inspection'", "'sign_off'", hint="one kind of decision")


ITEM = "      item: {plate: {type: string, required: true}}\n"


@pytest.mark.parametrize(("change", "into", "code", "words"), [
    ("      max_items: 5\n", "", "missing-key", "needs 'item' and 'max_items'"),
    ("max_items: 5", "max_items: 501", "bad-value", "more than 500"),
    ("max_items: 5", "max_items: 5\n      min_items: 6", "bad-value", "above its 'max_items'"),
    (ITEM, "      item: {plates: {type: list, max_items: 2, item: {type: string}}}\n",
     "bad-value", "itself a list"),
    ("max_items: 5", "max_items: 5\n      values: [a]", "bad-value", "'values' does not apply"),
    (ITEM, "      item: 3\n", "bad-type", "'item' of the list field"),
])
def test_a_list_field_is_declared_with_its_items_and_bound(change: str, into: str, code: str,
                                                            words: str) -> None:
    found = coded(FOREACH.replace(change, into), code)
    assert any(words in d.message for d in found), [d.render() for d in found]


def test_a_condition_asks_a_list_only_whether_it_was_given() -> None:
    text = FOREACH.replace("foreach: vehicles}", "when: \"vehicles == 'x'\"}")
    [d] = coded(text, "expression-type")
    assert "only asks whether it was given" in d.message and "vehicles != null" in d.hint
    assert not coded(FOREACH.replace("foreach: vehicles}", "when: vehicles != null}"),
                     "expression-type")
    [d] = coded(FOREACH.replace("max_items: 5", "max_items: 5\n      min: 1"), "bad-value")
    assert "'min' does not apply" in d.message


OPENS = """onething: 1
id: staged
version: 1
title: staged
lead: hall
form:
  fields:
    project: {type: string, required: true}
steps:
  - id: permits
    department: hall
    opens: {workflow: stage-permit, form: {name: project}}
delivery:
  bundle: []
"""


def test_opens_loads_without_its_child() -> None:
    step = parse(OPENS, "wf.yaml").unwrap().step("permits")
    assert step.opens is not None and step.opens.form == (("name", "project"),)
    assert step.opens.waits_for == "result"


def test_opens_with_another_decision() -> None:
    [d] = coded(OPENS.replace("    opens:", "    silence: approve\n    time_limit: {committed: "
                              "3 WD}\n    opens:"), "opens-placement")
    check(d, 12, 14, "'permits'", "'silence'", hint="its children's deliveries decide it")


def test_opens_its_own_workflow() -> None:
    [d] = coded(OPENS.replace("workflow: stage-permit", "workflow: staged"), "opens-workflow")
    check(d, 12, 12, "'permits'", "'staged'", hint="another workflow")


def test_opens_fills_from_what_the_case_does_not_have() -> None:
    [d] = coded(OPENS.replace("name: project}", "name: projet}"), "opens-form")
    check(d, 12, 12, "'permits'", "'name'", "'projet'", hint="did you mean 'project'?")
    [d] = coded(OPENS.replace("name: project}", "name: item.plate}"), "opens-form")
    assert "not a field or material of the item" in d.message and "foreach" in d.hint


# -- where numbers come from, and whether the limits can be kept (issue 15 items 10, 11) ------

SOURCED = """onething: 1
id: sourced
version: 1
title: sourced
lead: hall
{handling}time_limit: {case_limit}
clock: {clock}
form:
  fields:
    name: {{type: string, required: true}}
steps:
  - id: first
    department: hall
    reads: [name]
    time_limit: {first}
  - parallel:
      - id: second
        department: tax
        reads: [name]
        time_limit: {second}
      - id: third
        department: seal
        reads: [name]
        time_limit: {{committed: 4 WH, source: "local: hall rule"}}
delivery:
  bundle: []
"""
OK_CASE = '{committed: 10 WD, statutory: 20 WD, source: {committed: "local: hall rule", ' \
          'statutory: "statute: 行政许可法 art. 42"}}'
OK_FIRST = '{committed: 2 WD, statutory: 5 WD, source: {committed: "policy: target", ' \
           'statutory: "statute: 条例 art. 19"}}'
OK_SECOND = '{committed: 3 WD, source: "assumption: nobody says"}'


def sourced(handling: str = "", case_limit: str = OK_CASE, clock: str = "{}",
            first: str = OK_FIRST, second: str = OK_SECOND) -> LoadResult:
    return parse(SOURCED.format(handling=handling, case_limit=case_limit, clock=clock,
                                first=first, second=second), "wf.yaml")


def codes(result: LoadResult) -> list[tuple[str, int]]:
    return [(d.code, d.location.line) for d in result.diagnostics]


def test_a_workflow_whose_every_number_is_sourced_has_nothing_to_say() -> None:
    result = sourced()
    assert result.ok and result.diagnostics == (), rendered(result)


def test_every_number_without_a_source_or_a_kind_is_a_located_warning() -> None:
    result = sourced(first="{committed: 2 WD, statutory: 5 WD}",
                     second='{committed: 3 WD, source: "城市规定"}')
    assert result.ok  # warnings: the workflow still runs
    assert codes(result) == [("unsourced-number", 15), ("unsourced-number", 15),
                             ("source-kind", 20)], rendered(result)
    warning = result.diagnostics[0]
    assert warning.severity is Severity.WARNING and "'committed: 2 WD' has no source" \
        in warning.message and "statute:" in warning.hint


def test_a_statutory_limit_cites_a_statute() -> None:
    result = sourced(first='{committed: 2 WD, statutory: 5 WD, source: "政策：国办发〔2018〕32号"}')
    assert codes(result) == [("statutory-source", 15)], rendered(result)
    assert "cites a policy, not a statute" in result.diagnostics[0].message
    # a step's own source covers its time limit, in English or Chinese
    covered = parse(SOURCED.format(handling="", case_limit=OK_CASE, clock="{}",
                                   first="{committed: 2 WD}\n    source: \"地方：规定\"",
                                   second=OK_SECOND), "wf.yaml")
    assert covered.diagnostics == (), rendered(covered)


def test_a_source_mapping_names_the_numbers_of_its_mapping() -> None:
    result = sourced(second='{committed: 3 WD, source: {statutory: "statute: x"}}')
    assert ("source-key", 20) in codes(result) and ("unsourced-number", 20) in codes(result)


def test_a_statutory_limit_the_critical_path_exceeds_is_an_error_naming_the_path() -> None:
    # first 5 + second's 3 (its committed, no statutory) = 8 WD against 6
    result = sourced(case_limit='{statutory: 6 WD, source: "statute: x"}')
    assert not result.ok
    assert codes(result) == [("limit-unmet", 6)], rendered(result)
    message = result.diagnostics[0].message
    assert "statutory limit of 6 WD" in message and "first -> second takes 8 WD" in message
    assert "by 2 WD" in result.diagnostics[0].hint


def test_a_committed_limit_the_critical_path_exceeds_is_a_warning() -> None:
    result = sourced(case_limit='{committed: 4 WD, source: "local: x"}')
    assert result.ok and codes(result) == [("committed-unmet", 6)], rendered(result)
    assert "first -> second takes 5 WD" in result.diagnostics[0].message


def test_working_hours_count_on_the_critical_path() -> None:
    # third's 4 WH (0.62 of a 6.5 h office day) beats second's 0.5 WD
    result = sourced(case_limit='{committed: 2.5 WD, source: "local: x"}',
                     second='{committed: 0.5 WD, source: "local: x"}')
    assert codes(result) == [("committed-unmet", 6)], rendered(result)
    assert "first -> third takes 2.62 WD" in result.diagnostics[0].message


JOINT = 'handling: {mode: joint, government: county, source: "statute: 行政许可法 art. 42(2)"}\n'


def test_joint_handling_needs_its_source_and_caps_the_case_limit_at_45_wd() -> None:
    result = sourced(handling="handling: {mode: joint}\n")
    assert codes(result) == [("handling-source", 6)], rendered(result)
    over = sourced(handling=JOINT, case_limit='{statutory: 60 WD, source: "statute: x"}')
    assert codes(over) == [("joint-limit", 7)], rendered(over)
    assert "at most 45 WD" in over.diagnostics[0].message
    unset = sourced(handling=JOINT, case_limit='{committed: 10 WD, source: "local: x"}')
    assert unset.ok, rendered(unset)
    workflow = unset.unwrap()
    assert workflow.handling.joint and workflow.handling.government == "county"
    assert str(workflow.time_limit.statutory) == "45 WD"  # the law's, when not given
    mode = sourced(handling="handling: {mode: jointly}\n")
    assert codes(mode) == [("bad-value", 6)]


def test_extensions_are_bounded_by_the_handling() -> None:
    single = sourced(clock='{case_extension: 15 WD, source: "statute: x"}')
    assert codes(single) == [("extension-limit", 7)], rendered(single)
    assert "joint" in single.diagnostics[0].hint
    assert sourced(handling=JOINT, clock='{case_extension: 15 WD, source: "statute: x"}').ok
    twenty = '{case_extension: 20 WD, source: "statute: x"}'
    assert codes(sourced(handling=JOINT, clock=twenty)) == [("extension-limit", 8)]
    twelve = '{extension: 12 WD, source: "statute: x"}'
    assert codes(sourced(clock=twelve)) == [("extension-limit", 7)]


# -- review of the above: paths not every case takes, nested stages, natural days -------------

BASE_DOC = """onething: 1
id: w
version: 1
title: w
lead: hall
{head}form:
  fields:
    x: {{type: int, required: true}}
steps:
{steps}delivery:
  bundle: []
"""


def doc(steps: str, head: str = "") -> LoadResult:
    return parse(BASE_DOC.format(head=head, steps=steps), "wf.yaml")


STATUTE = 'source: "statute: x"'


def test_steps_that_exclude_each_other_put_a_limit_at_risk_not_out_of_reach() -> None:
    """Regression (review): two steps with opposite conditions were added up and the
    workflow refused, though every case takes one of them."""
    steps = (f"  - {{id: b, department: d, reads: [x], when: 'x > 0', "
             f"time_limit: {{statutory: 9 WD, {STATUTE}}}}}\n"
             f"  - {{id: c, department: d, reads: [x], when: 'x <= 0', "
             f"time_limit: {{statutory: 9 WD, {STATUTE}}}}}\n")
    result = doc(steps, f"time_limit: {{statutory: 10 WD, {STATUTE}}}\n")
    assert result.ok and codes(result) == [("limit-at-risk", 6)], rendered(result)
    assert "may miss its statutory limit of 10 WD" in result.diagnostics[0].message
    assert "not every case takes" in result.diagnostics[0].message
    # a step every case takes makes it certain
    sure = steps + ("  - {id: e, department: d, reads: [x], "
                    f"time_limit: {{statutory: 11 WD, {STATUTE}}}}}\n")
    assert codes(doc(sure, f"time_limit: {{statutory: 10 WD, {STATUTE}}}\n")) == [
        ("limit-unmet", 6)]


def test_a_stage_inside_a_parallel_block_is_judged_too() -> None:
    """Regression (review): only top-level stages were judged, and a nested stage's declared
    limit hid its steps from the case's path."""
    steps = ("  - parallel:\n"
             "      - - stage:\n"
             "            id: inner\n"
             "            lead: d\n"
             f"            time_limit: {{statutory: 1 WD, {STATUTE}}}\n"
             "            steps:\n"
             "              - {id: slow, department: d, reads: [x], "
             f"time_limit: {{statutory: 18 WD, {STATUTE}}}}}\n"
             "      - {id: other, department: e, reads: [x], "
             f"time_limit: {{statutory: 1 WD, {STATUTE}}}}}\n")
    result = doc(steps, f"time_limit: {{statutory: 5 WD, {STATUTE}}}\n")
    assert codes(result) == [("limit-unmet", 6), ("limit-unmet", 15)], rendered(result)
    assert "stage 'inner'" in result.diagnostics[1].message


def test_natural_days_make_a_limit_at_risk_never_certain() -> None:
    """Regression (review): 20 ND passed against an 18 WD step (20 natural days hold about
    14 working days) and a 7 ND step was refused against 5 WD."""
    case = f"time_limit: {{statutory: 20 ND, {STATUTE}}}\n"
    step = ("  - {id: s, department: d, reads: [x], "
            f"time_limit: {{statutory: 18 WD, {STATUTE}}}}}\n")
    assert codes(doc(step, case)) == [("limit-at-risk", 6)]
    week = f"  - {{id: s, department: d, reads: [x], time_limit: {{statutory: 7 ND, {STATUTE}}}}}\n"
    result = doc(week, f"time_limit: {{statutory: 5 WD, {STATUTE}}}\n")
    assert result.ok and codes(result) == [("limit-at-risk", 6)]
    assert "natural days" in result.diagnostics[0].message


def test_extensions_are_counted_in_working_days_and_old_bounds_are_never_loosened() -> None:
    from onething.cases.policy import policy_of

    clock = f"clock: {{case_extension: 5 ND, extension: 3 ND, {STATUTE}}}\n"
    step = "  - {id: s, department: d, reads: [x]}\n"
    result = doc(step, clock)
    assert [(d.code, "working days" in d.message) for d in result.diagnostics] == [
        ("extension-limit", True), ("extension-limit", True)], rendered(result)
    old = parse(BASE_DOC.format(head=clock, steps=step), "wf.yaml", deployed=True)
    policy = policy_of(old.unwrap())
    assert (str(policy.extension_max), str(policy.case_extension_max)) == ("3 ND", "5 ND")
    joint = doc(step, 'handling: {mode: joint, source: "statute: x"}\n'
                      f"time_limit: {{statutory: 30 ND, {STATUTE}}}\n")
    assert codes(joint) == [("joint-limit", 7)]


def test_every_number_is_source_checked_in_list_branches_and_in_any_case() -> None:
    """Regression (review): numbers in a branch written as a list of steps, and numbers in
    lower case, escaped the source check."""
    steps = ("  - parallel:\n"
             "      - - {id: a, department: d, reads: [x], time_limit: {committed: 2 WD}}\n"
             "      - {id: b, department: e, reads: [x], time_limit: {committed: 2 wd}}\n")
    assert codes(doc(steps)) == [("unsourced-number", 11), ("unsourced-number", 12)]


def test_a_source_above_names_the_numbers_it_covers_below() -> None:
    head = ("green_channel:\n  when: x > 5\n  milestones: {arrange: 1 WD, feedback: 3 WD}\n"
            '  source: {arrange: "local: a", feedback: "local: b"}\n')
    result = doc("  - {id: s, department: d, reads: [x]}\n", head)
    assert result.diagnostics == (), rendered(result)


def test_the_case_commits_to_no_more_than_the_law_allows_joint_handling() -> None:
    head = ('handling: {mode: joint, source: "statute: x"}\n'
            'time_limit: {committed: 50 WD, source: "local: x"}\n')
    assert ("limit-order", 7) in codes(doc("  - {id: s, department: d, reads: [x]}\n", head))


def test_the_source_of_joint_handling_says_what_it_is() -> None:
    head = 'handling: {mode: joint, source: "行政许可法 art. 42(2)"}\n'
    assert codes(doc("  - {id: s, department: d, reads: [x]}\n", head)) == [
        ("source-kind", 6)]


def test_the_delivery_period_is_at_most_the_laws_ten_working_days() -> None:
    step = "  - {id: s, department: d, reads: [x]}\n"
    assert doc(step, f"clock: {{deliver_within: 3 WD, {STATUTE}}}\n").ok
    assert codes(doc(step, f"clock: {{deliver_within: 12 WD, {STATUTE}}}\n")) == [
        ("delivery-limit", 6)]
    assert codes(doc(step, f"clock: {{deliver_within: 10 ND, {STATUTE}}}\n")) == [
        ("delivery-limit", 6)]


@pytest.mark.parametrize("name", ["opened", "child_delivered", "commitment_confirmed",
                                  "commitment_revoked", "warning", "overdue",
                                  "promise_due_soon", "correction_notice", "deliver"])
def test_every_history_action_of_the_engine_is_a_reserved_outcome(name: str) -> None:
    """Regression (found while mapping the history to status events): a step's outcome named
    like a line the engine writes itself ('opened', 'commitment_revoked', ...) made its
    history mean two things."""
    [d] = coded(NAMED.replace("site_visit:", f"{name}:"), "reserved-outcome")
    assert f"'{name}'" in d.message
