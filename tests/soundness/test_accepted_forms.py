"""The proof explores exactly the forms the engine accepts (issue 14, item 1).

Each test here failed before the proof and submission shared one definition of a valid form:
a step or branch reachable only by a form the engine refuses was called reachable (a false
"sound"), a workflow was called stuck for a form the engine refuses (a false alarm), and a
literal spelled as an applicant might type it never matched the value the engine keeps.
"""

from __future__ import annotations

import pytest
from tests.support.factories import shipped

from onething.cases.records import officer, window
from onething.engine.engine import Engine
from onething.language.load import parse
from onething.language.model import Workflow
from onething.soundness.proof import check
from onething.soundness.report import Rule

HEAD = """\
onething: 1
id: forms
version: 1
title: forms
lead: a
form:
  fields:
{fields}
steps:
{steps}
delivery:
  bundle: []
  methods: [window]
"""


def workflow(fields: str, steps: str) -> Workflow:
    indent = lambda text, n: "\n".join(" " * n + line for line in text.strip("\n").splitlines())  # noqa: E731
    return parse(HEAD.format(fields=indent(fields, 4), steps=indent(steps, 2))).unwrap()


def rules(wf: Workflow) -> dict[Rule, list[str]]:
    report = check(wf)
    assert report.decided
    out: dict[Rule, list[str]] = {}
    for v in report.violations:
        out.setdefault(v.rule, []).append(v.message)
    return out


# -- dead steps and branches behind what submission refuses -------------------------------------

DEAD = [
    pytest.param("age: {type: int, required: true, min: 18, max: 60}", "age < 18", id="int-min"),
    pytest.param("age: {type: int, required: true, min: 18, max: 60}", "age > 60", id="int-max"),
    pytest.param("capital: {type: decimal, required: true, min: 0}", "capital < 0",
                 id="decimal-min"),
    pytest.param("ratio: {type: decimal, required: true}",
                 "ratio > 0.00000000001 and ratio < 0.00000000009", id="decimal-places"),
    pytest.param("capital: {type: decimal, required: true}", "capital > 100000000000000000000",
                 id="decimal-limit"),
    pytest.param("n: {type: int, required: true}", "n > 9223372036854775807", id="int-limit"),
    pytest.param("start: {type: date, required: true, min: '2020-01-01'}",
                 "start < '2019-12-31'", id="date-min"),
    pytest.param("start: {type: date, required: true, max: '2030-12-31'}",
                 "start >= '2031-01-01'", id="date-max"),
    pytest.param("kind: {type: enum, values: [shop, farm], required: true}\n"
                 "licence: {type: string, required_if: \"kind == 'shop'\"}",
                 "kind == 'shop' and licence == null", id="required-if"),
    pytest.param("kind: {type: enum, values: [shop, farm]}\n"
                 "licence: {type: string, required_if: \"kind == 'shop'\"}",
                 "licence == null and kind != null and kind != 'farm'", id="required-if-chain"),
]


@pytest.mark.parametrize(("fields", "when"), DEAD)
def test_a_step_only_a_refused_form_reaches_is_dead(fields: str, when: str) -> None:
    wf = workflow(fields, f"""
- id: first
  department: a
- id: odd
  department: b
  when: "{when}"
""")
    found = rules(wf)
    assert Rule.DEAD_STEP in found, found
    assert any("'odd'" in m for m in found[Rule.DEAD_STEP])


@pytest.mark.parametrize(("fields", "when"), DEAD)
def test_a_choice_arm_only_a_refused_form_takes_is_dead(fields: str, when: str) -> None:
    wf = workflow(fields, f"""
- choice:
    - when: "{when}"
      then:
        - id: odd
          department: b
    - otherwise:
        - id: usual
          department: a
""")
    found = rules(wf)
    assert Rule.DEAD_STEP in found or Rule.DEAD_BRANCH in found, found


# -- no false alarm for a form the engine refuses ----------------------------------------------

COVERED = [
    pytest.param("age: {type: int, required: true, min: 0}", ["age >= 0"], id="int-min"),
    pytest.param("age: {type: int, required: true, min: 0, max: 150}",
                 ["age < 18", "age >= 18 and age <= 150"], id="int-range"),
    pytest.param("start: {type: date, required: true, min: '2020-01-01'}",
                 ["start >= '2020-01-01'"], id="date-min"),
    pytest.param("share: {type: decimal, required: true, min: 0, max: 1}",
                 ["share <= 0.5", "share > 0.5 and share <= 1"], id="decimal-range"),
    pytest.param("big: {type: bool, required: true}\n"
                 "plan: {type: string, required_if: big}",
                 ["plan != null", "not big"], id="required-if"),
    pytest.param("n: {type: int, required: true}",
                 ["n <= 9223372036854775807 and n >= -9223372036854775807"], id="int-limit"),
]


@pytest.mark.parametrize(("fields", "arms"), COVERED)
def test_no_stuck_verdict_for_forms_the_engine_refuses(fields: str, arms: list[str]) -> None:
    body = "\n".join(f"""\
    - when: "{arm}"
      then:
        - id: s{i}
          department: a""" for i, arm in enumerate(arms))
    wf = workflow(fields, "- choice:\n" + body)
    report = check(wf)
    assert report.decided and report.sound, "\n".join(v.render() for v in report.violations)


# -- literals read as values are ---------------------------------------------------------------

def test_a_phone_literal_is_read_as_a_submitted_phone_number() -> None:
    wf = workflow("phone: {type: phone, required: true}", """
- id: first
  department: a
- id: vip
  department: b
  when: "phone == '+86 138-0013-8000'"
""")
    assert Rule.DEAD_STEP not in rules(wf)
    engine = Engine()
    engine.deploy(wf)
    case = engine.submit("forms", {"phone": "13800138000"})
    engine.accept(case.id, window("a"))
    engine.act(case.id, "first", "approve", officer("a"))
    assert "approve vip" in engine.possible(case.id)


def test_an_identity_number_literal_with_a_lower_case_x() -> None:
    wf = workflow("who: {type: id_card, required: true}", """
- id: first
  department: a
  when: "who in ['11010519491231002x']"
- id: rest
  department: b
""")
    engine = Engine()
    engine.deploy(wf)
    case = engine.submit("forms", {"who": "11010519491231002X"})
    engine.accept(case.id, window("a"))
    assert "approve first" in engine.possible(case.id)


@pytest.mark.parametrize(("field", "literal", "said"), [
    ("{type: phone}", "'12345'", "not a mainland mobile number"),
    ("{type: id_card}", "'110105194912310021'", "check character"),
    ("{type: int, min: 0}", "-1", "at least 0"),
    ("{type: int, max: 10}", "11", "at most 10"),
    ("{type: decimal}", "0.00000000001", "decimal point"),
    ("{type: date, min: '2020-01-01'}", "'2019-01-01'", "on or after"),
    ("{type: string}", "'  '", "blank answer"),
    ("{type: uscc}", "'91350100M000100Y44'", "check character"),
])
def test_a_literal_no_value_can_equal_is_a_located_error(field: str, literal: str,
                                                         said: str) -> None:
    text = HEAD.format(fields=f"    f: {field}", steps=f"""\
  - id: first
    department: a
    when: "f == {literal}"
""")
    result = parse(text, "forms.yaml")
    errors = [d for d in result.diagnostics if d.code == "impossible-literal"]
    assert result.workflow is None and len(errors) == 1, result.diagnostics
    assert errors[0].location.line == 12 and said in errors[0].message


def test_ordering_against_any_threshold_is_allowed() -> None:
    wf = workflow("f: {type: int, required: true, min: 0}", """
- id: first
  department: a
  when: "f > -5"
- id: rest
  department: b
""")
    assert Rule.ALWAYS_TRUE in rules(wf)


def test_a_blank_enum_value_is_refused_where_it_is_written() -> None:
    result = parse(HEAD.format(fields="    kind: {type: enum, values: [shop, ' ']}",
                               steps="  - id: first\n    department: a"), "forms.yaml")
    assert result.workflow is None
    assert any(d.code == "bad-value" and "blank" in d.message and d.location.line == 8
               for d in result.diagnostics), result.diagnostics


def test_the_shipped_workflows_stay_sound() -> None:
    for name in ("enterprise_startup.yaml", "restaurant_opening.yaml"):
        assert check(shipped(name)).sound


# -- forms that do not multiply ---------------------------------------------------------------


def test_unrelated_thresholds_are_not_multiplied() -> None:
    """Five integer fields with two thresholds each: 3**5 kinds of form, decided (before,
    the product of every field's representatives made the proof give up)."""
    fields = "\n".join(f"n{i}: {{type: int, required: true, min: 0}}" for i in range(5))
    steps = "\n".join(f"""\
- choice:
    - when: "n{i} < 10"
      then: [{{id: small{i}, department: a}}]
    - when: "n{i} >= 10 and n{i} < 100"
      then: [{{id: medium{i}, department: a}}]
    - otherwise: [{{id: large{i}, department: a}}]""" for i in range(5))
    report = check(workflow(fields, steps))
    assert report.decided and report.sound and report.forms == 3**5


def flags(k: int, extra: str = "") -> Workflow:
    fields = "\n".join(f"f{i}: {{type: bool, required: true}}" for i in range(k))
    steps = "- {id: first, department: a}\n" + "\n".join(
        f"- {{id: s{i}, department: a, when: f{i}}}" for i in range(k))
    return workflow(fields, steps + extra)


def test_independent_conditions_are_chosen_where_they_are_read() -> None:
    """Thirteen optional steps on thirteen yes/no fields: 8,192 kinds of form, decided, and
    each further step adds the same few states (the choices are made one after the other and
    forgotten once read, not multiplied)."""
    report = check(flags(13))
    assert report.decided and report.sound and report.forms == 2**13
    states = [check(flags(k)).states for k in (11, 12, 13)]
    assert states[2] - states[1] == states[1] - states[0] > 0


def test_a_counterexample_holds_the_values_chosen_on_its_way() -> None:
    """The loop behind the ninth flag is found, and its form sets that flag (the value chosen
    where it was read), so the trace replays under the form it shows."""
    loop = "\n- {id: again, department: a, when: f8, goto: {approve: again}}"
    report = check(flags(13, loop))
    assert report.decided
    stuck = [v for v in report.violations if v.rule is Rule.STUCK]
    assert stuck and stuck[0].form["f8"] is True
    taken = [e.transition for e in stuck[0].trace]
    assert "approve:again" in taken
    for i in range(13):
        assert stuck[0].form[f"f{i}"] is (f"approve:s{i}" in taken), i


def test_undecided_states_the_real_number_of_kinds_of_form() -> None:
    """Conditions read inside the branches of a parallel block are fixed before the case
    starts (each branch is explored once for all its visits): thirteen of them are too many,
    and the note says how many there are."""
    fields = "\n".join(f"f{i}: {{type: bool, required: true}}" for i in range(13))
    arms = "\n".join(f"    - {{id: s{i}, department: a, when: f{i}}}" for i in range(13))
    report = check(workflow(fields, "- {id: first, department: a}\n- parallel:\n" + arms))
    assert not report.decided and "8,192 kinds of form" in report.note
    assert report.forms == 2**13


def test_a_branch_is_explored_once_per_value_of_what_it_reads(monkeypatch) -> None:
    """Two branches, each reading a field of its own (2 x 2 kinds of form, fixed per form as
    they are read inside a parallel block): each branch is explored once per value of its own
    field — 2 + 2 explorations — not once per form (8); the verdict is unchanged."""
    from onething.soundness import explore as explore_module

    fields = "a: {type: bool, required: true}\nb: {type: bool, required: true}"
    steps = """\
- parallel:
    - {id: x, department: d, when: a}
    - {id: y, department: d, when: b}"""
    calls: list[object] = []
    original = explore_module.Explorer.explore

    def counting(self, scope, start, goal):  # type: ignore[no-untyped-def]
        if scope is not None:
            calls.append(scope)
        return original(self, scope, start, goal)

    monkeypatch.setattr(explore_module.Explorer, "explore", counting)
    report = check(workflow(fields, steps), merge_forms=False)
    assert report.decided and report.sound and report.forms == 4
    assert len(calls) == 4
