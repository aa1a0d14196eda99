"""Materials as documents in the language (issue 16 item 8): ``required_if`` on a material is
read and type-checked like a field's, with located diagnostics; the submission requires (or,
when deferrable, promises) the material exactly when the condition holds; an electronic
licence's identifier is checked conservatively and never reads as a personal number."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onething.cases.forms import check_submission, clean_material
from onething.errors import ValueProblem
from onething.language.checks import all_conditions
from onething.language.form_check import material_required
from onething.language.load import parse
from onething.privacy.masking import mask_text
from onething.soundness.proof import check, forms

BASE = """\
onething: 1
id: clinic
version: 1
title: Clinic
lead: health
form:
  fields:
    has_xray: {type: bool, default: false}
    chairs: {type: int, min: 1, max: 50}
  materials:
    permit: MATERIAL
steps:
  - id: registration
    department: health
    reads: [has_xray, chairs, permit]
    produces: [licence]
delivery:
  bundle: [licence]
"""


def loaded(material: str) -> tuple[str, list[tuple[str, int, int, str]]]:
    text = BASE.replace("MATERIAL", material)
    result = parse(text, "wf.yaml")
    return text, [(d.code, d.location.line, d.location.col, d.message)
                  for d in result.diagnostics]


def column(text: str, needle: str) -> tuple[int, int]:
    """The 1-based line and column of the first ``needle`` in ``text``."""
    at = text.index(needle)
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


def test_a_material_reads_its_condition_like_a_field() -> None:
    result = parse(BASE.replace("MATERIAL", "{required_if: \"has_xray and chairs >= 2\", "
                                "deferrable: 5 WD, source: 'local: 容缺'}"), "wf.yaml")
    assert result.ok and result.warnings == ()
    permit = result.unwrap().form.material("permit")
    assert permit is not None and not permit.required
    assert permit.required_if is not None and permit.required_if.text == \
        "has_xray and chairs >= 2"
    assert (permit.required_if, "'required_if' of material 'permit'") in \
        list(all_conditions(result.unwrap()))


def test_an_unknown_field_in_the_condition_is_located_at_its_name() -> None:
    text, found = loaded('{required_if: "has_xary"}')
    line, col = column(text, "has_xary")
    assert [(c, ln, co) for c, ln, co, _ in found] == [("unknown-field", line, col)]
    assert "'required_if' of material 'permit'" in found[0][3]


def test_a_wrongly_typed_condition_is_located() -> None:
    text, found = loaded("{required_if: \"chairs == 'many'\"}")
    assert [c for c, *_ in found] == ["expression-type"]
    assert found[0][1] == column(text, "chairs ==")[0]


def test_an_unreadable_condition_is_located() -> None:
    text, found = loaded('{required_if: "chairs >="}')
    assert [c for c, *_ in found] == ["bad-expression"]
    assert "'required_if' of the material 'permit'" in found[0][3]
    assert found[0][1] == column(text, "chairs >=")[0]


def test_required_true_beside_required_if_is_an_error_at_required_if() -> None:
    text, found = loaded("{required: true, required_if: has_xray}")
    line, col = column(text, "required_if")
    assert [(c, ln, co) for c, ln, co, _ in found] == [("bad-value", line, col)]
    assert "would never matter" in found[0][3]
    assert parse(BASE.replace("MATERIAL", "{required: false, required_if: has_xray, "
                              "deferrable: 2 WD}"), "wf.yaml").ok
    _, optional = loaded("{required: false, deferrable: 2 WD}")
    assert [c for c, *_ in optional if c != "unsourced-number"] == ["bad-value"]  # as before


def test_a_condition_over_a_field_a_step_sets_is_read_too_early() -> None:
    text = BASE.replace("MATERIAL", "{required_if: risky}").replace(
        "    produces: [licence]\n",
        "    produces: [licence]\n    sets: {risky: {type: bool}}\n")
    found = [d for d in parse(text, "wf.yaml").diagnostics if d.code == "set-field-read-early"]
    assert len(found) == 1 and "'required_if' of the material 'permit'" in found[0].message


def test_the_proof_is_unchanged_by_a_conditional_material() -> None:
    plain = parse(BASE.replace("MATERIAL", "{deferrable: 5 WD}"), "wf.yaml").unwrap()
    conditional = parse(BASE.replace("MATERIAL", "{required_if: has_xray, deferrable: 5 WD}"),
                        "wf.yaml").unwrap()
    assert forms(plain) == forms(conditional)
    report = check(conditional)
    assert report.decided and report.sound


WORKFLOW = parse(BASE.replace("MATERIAL", "{required_if: \"has_xray and chairs >= 2\"}"),
                 "wf.yaml").unwrap()
DEFERRABLE = parse(BASE.replace("MATERIAL", "{required_if: \"has_xray and chairs >= 2\", "
                                "deferrable: 5 WD}"), "wf.yaml").unwrap()


@given(has_xray=st.none() | st.booleans(), chairs=st.none() | st.integers(1, 50),
       brought=st.booleans(), deferrable=st.booleans())
def test_the_material_is_required_exactly_when_its_condition_holds(
        has_xray: bool | None, chairs: int | None, brought: bool, deferrable: bool) -> None:
    workflow = DEFERRABLE if deferrable else WORKFLOW
    form = {k: v for k, v in (("has_xray", has_xray), ("chairs", chairs)) if v is not None}
    holds = bool(has_xray) and chairs is not None and chairs >= 2
    clean, problems = check_submission(workflow.form, form,
                                       {"permit": "doc://p"} if brought else {})
    permit = workflow.form.material("permit")
    assert permit is not None
    assert material_required(permit, {"has_xray": has_xray or False, "chairs": chairs}) == holds
    missing = holds and not brought
    assert [p.name for p in problems] == (["permit"] if missing and not deferrable else [])
    if clean is not None:
        assert clean.promised == (("permit",) if missing else ())
        assert set(clean.materials) == ({"permit"} if brought else set())


IDENTIFIER = st.from_regex(r"[0-9A-Za-z](?:[0-9A-Za-z._-]{0,126}[0-9A-Za-z])?", fullmatch=True)


@given(licence=IDENTIFIER | st.text(max_size=140))
def test_an_accepted_licence_never_reads_as_a_personal_number(licence: str) -> None:
    try:
        stored = clean_material({"licence": licence})
    except ValueProblem as problem:
        # never echoed (a text of one or two characters may occur in any sentence)
        assert licence not in problem.message or len(licence.strip()) < 3
        return
    assert stored == {"ref": None, "sha256": None, "licence": licence}
    assert mask_text(licence) == licence and len(licence) <= 128


@pytest.mark.parametrize("licence", [
    "1.2.156.3005.2.11100000000013127D.91440300MA5EXAMPLE.0001",
    # region + date + serial: no identity number inside (none with its check character)
    "44030020230815000123", "GD-YYXK-2026_000123",
])
def test_national_identifiers_are_accepted_and_shown_as_they_are(licence: str) -> None:
    assert clean_material({"ref": "doc://p", "licence": licence})["licence"] == licence
    assert mask_text(f"xray_safety_permit={licence}") == f"xray_safety_permit={licence}"


def test_an_identifier_that_holds_a_holders_identity_number_is_refused() -> None:
    """A personal licence's identifier may embed its holder's number (review finding): such
    an identifier would be shown as it is, so it is refused."""
    with pytest.raises(ValueProblem, match="identity or phone number"):
        clean_material({"licence": "1.2.156.3005.2.11100000000013127D.110101199003078515.001"})


def test_a_material_mapping_needs_a_reference_or_a_licence() -> None:
    for raw in ({}, {"sha256": "0" * 64}, {"ref": "", "licence": None}):
        with pytest.raises(ValueProblem, match="'licence'"):
            clean_material(raw)
    assert clean_material({"licence": "A1", "sha256": "F" * 64}) == {
        "ref": None, "sha256": "f" * 64, "licence": "A1"}
    assert clean_material("doc://p") == {"ref": "doc://p", "sha256": None}  # as before
