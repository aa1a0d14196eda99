"""Checking a submission against the one form: every problem found in one pass (一次告知).

Materials are stored as a reference plus a hash. A caller gives each material either as its
reference (``"doc://plan"``) or as ``{"ref": "doc://plan", "sha256": "<64 hex digits>"}``, the
SHA-256 of the document's content; the case stores ``{"ref": ..., "sha256": ...}`` (the hash in
lower case, or None when only a reference was given). The document itself stays wherever the
reference points: the engine never reads it.

A material may instead, or as well, name an electronic licence (电子证照) by its identifier
(GB/T 36904 证照标识): ``{"licence": "1.2.156.3005.2...."}``, with or without ``ref``. The
case then also stores ``"licence"``; a material without one stores no such key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from onething.cases.records import StoredMaterial
from onething.cases.typed_json import typed_fields
from onething.errors import Problem, ValueProblem
from onething.language.form_check import (
    blank,
    check_fields,
    list_items,
    material_required,
    unknown_names,
)
from onething.language.model import Field, Form, Workflow
from onething.privacy.masking import clip, mask, mask_text
from onething.privacy.numbers import holds_personal_number

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
#: how the command line writes a material's hash after its reference: ``ref#sha256=<hex>``
HASH_SUFFIX = re.compile(r"#sha256=([0-9a-fA-F]{64})$")
MATERIAL_HINT = ('give a reference ("doc://plan") or {"ref": "doc://plan", "sha256": '
                 '"<the SHA-256 of the document, 64 hexadecimal digits>"}, and/or an '
                 'electronic licence as {"licence": "<its GB/T 36904 identifier>"}')
#: what a material's mapping may hold
MATERIAL_KEYS = ("ref", "sha256", "licence")
#: the longest electronic-licence identifier accepted (GB/T 36904 证照标识 are far shorter)
MAX_LICENCE = 128
#: an electronic-licence identifier: ASCII letters and digits, with '.', '-' and '_' between
#: them (the national identifiers are dotted, e.g. ``1.2.156.3005.2.<type>.<issuer>.<no>``)
_LICENCE = re.compile(r"[0-9A-Za-z](?:[0-9A-Za-z._-]*[0-9A-Za-z])?")
LICENCE_HINT = ("an electronic licence (电子证照) identifier is its GB/T 36904 证照标识: at most "
                f"{MAX_LICENCE} ASCII letters, digits, '.', '-' and '_', e.g. "
                "1.2.156.3005.2.11100000000013127D.001")


@attrs.frozen
class CleanSubmission:
    """A submission that passed: cleaned values, stored materials, promised materials."""

    form: dict[str, Any]
    materials: dict[str, StoredMaterial]
    promised: tuple[str, ...]


def clean_material(raw: object) -> StoredMaterial:
    """A material as the case stores it: ``{"ref": str or None, "sha256": lower-case hex or
    None}``, with ``"licence"`` when an electronic licence is named.

    ``raw`` is a reference, or a mapping with ``ref`` and/or ``licence`` and (optionally)
    ``sha256``. Raises :class:`ValueProblem` (never quoting the reference or identifier).
    """
    if isinstance(raw, str):
        if not raw.strip():
            raise ValueProblem("has an empty reference", MATERIAL_HINT,
                               code="submission.material.empty_reference")
        _check_reference(raw)
        return {"ref": raw, "sha256": None}
    if not isinstance(raw, Mapping):
        raise ValueProblem("is neither a reference nor a mapping with 'ref' and 'sha256'",
                           MATERIAL_HINT, code="submission.material.not_a_reference")
    unknown = sorted(str(k) for k in raw if k not in MATERIAL_KEYS)
    if unknown:
        raise ValueProblem(f"has unknown key(s) {mask_text(', '.join(unknown)[:80])}",
                           MATERIAL_HINT, code="submission.material.unknown_keys",
                           params={"keys": clip(", ".join(unknown), 80)})
    ref, digest, licence = raw.get("ref"), raw.get("sha256"), raw.get("licence")
    if licence is not None:
        check_licence(licence)
    if ref is not None or licence is None:
        if not isinstance(ref, str) or not ref.strip():
            raise ValueProblem("needs 'ref', the document's reference, as text, or "
                               "'licence', an electronic licence's identifier", MATERIAL_HINT,
                               code="submission.material.no_reference")
        _check_reference(ref)
    if digest is not None and (not isinstance(digest, str) or not _SHA256.fullmatch(digest)):
        raise ValueProblem("has a 'sha256' that is not 64 hexadecimal digits",
                           "the SHA-256 of the document's content, e.g. from sha256sum",
                           code="submission.material.bad_sha256")
    stored: StoredMaterial = {"ref": ref, "sha256": None if digest is None else digest.lower()}
    if licence is not None:
        stored["licence"] = licence
    return stored


def check_licence(licence: object) -> str:
    """``licence`` when it is an electronic licence's identifier as :data:`_LICENCE` reads
    it; else :class:`ValueProblem` (never quoting it). An identifier is not a personal
    number: one that reads as an identity or mobile number (which output would mask) is
    refused, so a stored identifier always shows as it is."""
    if not isinstance(licence, str) or not licence.strip():
        raise ValueProblem("has a 'licence' that is not an identifier as text", LICENCE_HINT,
                           code="submission.material.licence_not_text")
    if len(licence) > MAX_LICENCE:
        raise ValueProblem(f"has a 'licence' of {len(licence):,} characters", LICENCE_HINT,
                           code="submission.material.licence_too_long",
                           params={"length": len(licence), "max": MAX_LICENCE})
    if not _LICENCE.fullmatch(licence):
        raise ValueProblem("has a 'licence' with characters an identifier does not have",
                           LICENCE_HINT, code="submission.material.licence_characters")
    if mask_text(licence) != licence or holds_personal_number(licence):
        raise ValueProblem("has a 'licence' that reads as an identity or phone number",
                           LICENCE_HINT, code="submission.material.licence_personal")
    return licence


#: the longest material reference accepted (a URL or a document store's id)
MAX_REFERENCE = 2_000


def _check_reference(ref: str) -> None:
    if len(ref) > MAX_REFERENCE:
        raise ValueProblem(f"has a reference of {len(ref):,} characters",
                           f"a reference is at most {MAX_REFERENCE:,} characters: a link to "
                           "the document, not the document",
                           code="submission.material.reference_too_long",
                           params={"length": len(ref), "max": MAX_REFERENCE})
    if any(ch < " " or "\ud800" <= ch <= "\udfff" for ch in ref):
        raise ValueProblem("has a reference with control characters or broken text",
                           MATERIAL_HINT, code="submission.material.reference_control")


def stored_material(value: object) -> StoredMaterial:
    """A material as stored by any release: a bare reference (before hashes) or the mapping
    (with ``licence`` since electronic licences)."""
    if isinstance(value, Mapping):
        stored: StoredMaterial = {"ref": value.get("ref"), "sha256": value.get("sha256")}
        if value.get("licence"):
            stored["licence"] = value["licence"]
        return stored
    return {"ref": None if value is None else str(value), "sha256": None}


def check_submission(
    form_spec: Form, form: Mapping[str, Any], materials: Mapping[str, object] | None = None
) -> tuple[CleanSubmission | None, list[Problem]]:
    """Clean ``form`` and ``materials`` (each a reference or a mapping with ``ref``,
    ``sha256`` and ``licence``, as :func:`clean_material` reads it); return the result or
    *all* the problems. A material with ``required_if`` is required, or promised when it is
    deferrable, only when its condition holds on the clean form."""
    clean, problems = check_fields(form_spec, form)
    given = dict(materials or {})
    problems += unknown_names(given, {m.name for m in form_spec.materials}, "material")
    stored: dict[str, StoredMaterial] = {}
    for material in form_spec.materials:
        raw = given.get(material.name)
        if not blank(raw):
            try:
                stored[material.name] = clean_material(raw)
            except ValueProblem as exc:
                problems.append(Problem.of_value(material.name, exc, material.label))
    promised = []
    for material in form_spec.materials:
        if not blank(given.get(material.name)) or not material_required(material, clean):
            continue
        if material.deferrable is not None:  # promised only when it is required
            promised.append(material.name)
        elif material.required_if is not None:
            problems.append(Problem.of(material.name, "is a required material when "
                                       f"{mask_text(material.required_if.text)}, and is "
                                       "missing", material.label,
                                       code="submission.material.missing_when",
                                       params={"label": material.label or material.name,
                                               "condition": material.required_if.text}))
        else:
            problems.append(Problem.of(material.name, "is a required material and is missing",
                                       material.label, code="submission.material.missing",
                                       params={"label": material.label or material.name}))
    if problems:
        return None, problems
    return CleanSubmission(clean, stored, tuple(promised)), []


def check_correction(
    form_spec: Form, form: Mapping[str, Any], materials: Mapping[str, object],
    promised: tuple[str, ...],
) -> tuple[CleanSubmission | None, list[Problem]]:
    """:func:`check_submission` for a correction of an accepted case: ``form`` and
    ``materials`` as they stand with the correction, ``promised`` what was promised (容缺)
    at acceptance. A material the corrected form now requires (its ``required_if`` holds)
    must come with the correction: a promise is made only before acceptance."""
    clean, problems = check_submission(form_spec, form, materials)
    if clean is None:
        return None, problems
    late = [m for m in form_spec.materials if m.name in clean.promised
            and m.name not in promised]
    if late:
        return None, [Problem.of(m.name, f"is a required material when "
                                 f"{mask_text(m.required_if.text if m.required_if else '')}, "
                                 "which the correction makes hold, and is missing",
                                 "bring it with the correction: a material is promised (容缺) "
                                 "only before the case is accepted",
                                 code="submission.material.missing_after_correction",
                                 params={"label": m.label or m.name, "condition": m.required_if.text
                                         if m.required_if else ""}) for m in late]
    return clean, []


def masked_form(form_spec: Form, form: Mapping[str, Any]) -> dict[str, str]:
    """The form with personal values masked, for display (``id_card`` and ``phone`` fields and
    every field marked ``personal: true``); any other value passes
    :func:`~onething.language.values.mask_text`, so a number typed into a free-text field is
    masked too."""
    out = {}
    for spec in form_spec.fields:
        value = form.get(spec.name)
        if value is None:
            continue
        out[spec.name] = _masked_list(spec, value) if spec.type == "list" else \
            _masked(spec, value)
    return out


def _masked(spec: Field, value: object) -> str:
    return mask(spec.type, value, personal=True) if spec.personal else mask_text(str(value))


def _masked_list(spec: Field, value: object) -> str:
    """A list field's items, numbered from 1, each value masked by its item field's rule:
    ``1) plate=京A12345, owner_id=110***********1234; 2) ...``."""
    shown = []
    for number, item in enumerate(list_items(value), start=1):
        if spec.records and isinstance(item, Mapping):
            text = ", ".join(f"{sub.name}={_masked(sub, item[sub.name])}"
                             for sub in spec.items if item.get(sub.name) is not None)
        else:
            text = _masked(spec.items[0], item)
        shown.append(f"{number}) {text}")
    return "; ".join(shown)


def material_hashes(materials: Mapping[str, Any]) -> dict[str, str | None]:
    """Each material's hash (what may be shown and what erasure keeps), never its reference."""
    return {name: stored_material(value)["sha256"] for name, value in materials.items()}


def material_licences(materials: Mapping[str, Any]) -> dict[str, str]:
    """The electronic-licence identifier of each material that names one (erasure drops
    them with the references)."""
    return {name: licence for name, value in materials.items()
            if (licence := stored_material(value).get("licence"))}


def view_specs(workflow: Workflow) -> tuple[Field, ...]:
    """The fields a case's view shows: the form's, then those its steps set."""
    return (*workflow.form.fields, *(f for f, _ in workflow.set_fields.values()))


def view_json(case_id: str, workflow: Workflow, seen: Mapping[str, Any]) -> dict[str, Any]:
    """What someone may see of a case (``Engine.view``) as typed JSON: its fields typed by
    their specs (personal values masked), its materials' hashes and electronic licences
    (``onething view --format json``, ``GET /api/v1/cases/{id}/form``)."""
    return {"case": case_id, "fields": typed_fields(view_specs(workflow), seen["fields"]),
            "materials": material_hashes(seen["materials"]),
            "licences": material_licences(seen["materials"])}
