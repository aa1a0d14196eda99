"""Checking a submission against the one form: every problem found in one pass (一次告知).

Materials are stored as a reference plus a hash. A caller gives each material either as its
reference (``"doc://plan"``) or as ``{"ref": "doc://plan", "sha256": "<64 hex digits>"}``, the
SHA-256 of the document's content; the case stores ``{"ref": ..., "sha256": ...}`` (the hash in
lower case, or None when only a reference was given). The document itself stays wherever the
reference points: the engine never reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from onething.cases.records import StoredMaterial
from onething.errors import Problem, ValueProblem
from onething.language.form_check import blank, check_fields, list_items, unknown_names
from onething.language.model import Field, Form
from onething.privacy.masking import mask, mask_text

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
#: how the command line writes a material's hash after its reference: ``ref#sha256=<hex>``
HASH_SUFFIX = re.compile(r"#sha256=([0-9a-fA-F]{64})$")
MATERIAL_HINT = ('give a reference ("doc://plan") or {"ref": "doc://plan", "sha256": '
                 '"<the SHA-256 of the document, 64 hexadecimal digits>"}')


@attrs.frozen
class CleanSubmission:
    """A submission that passed: cleaned values, stored materials, promised materials."""

    form: dict[str, Any]
    materials: dict[str, StoredMaterial]
    promised: tuple[str, ...]


def clean_material(raw: object) -> StoredMaterial:
    """A material as the case stores it: ``{"ref": str, "sha256": lower-case hex or None}``.

    ``raw`` is a reference, or a mapping with ``ref`` and (optionally) ``sha256``. Raises
    :class:`ValueProblem` (never quoting the reference, which may name a person).
    """
    if isinstance(raw, str):
        if not raw.strip():
            raise ValueProblem("has an empty reference", MATERIAL_HINT)
        _check_reference(raw)
        return {"ref": raw, "sha256": None}
    if not isinstance(raw, Mapping):
        raise ValueProblem("is neither a reference nor a mapping with 'ref' and 'sha256'",
                           MATERIAL_HINT)
    unknown = sorted(str(k) for k in raw if k not in ("ref", "sha256"))
    if unknown:
        raise ValueProblem(f"has unknown key(s) {mask_text(', '.join(unknown)[:80])}",
                           MATERIAL_HINT)
    ref, digest = raw.get("ref"), raw.get("sha256")
    if not isinstance(ref, str) or not ref.strip():
        raise ValueProblem("needs 'ref', the document's reference, as text", MATERIAL_HINT)
    _check_reference(ref)
    if digest is None:
        return {"ref": ref, "sha256": None}
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise ValueProblem("has a 'sha256' that is not 64 hexadecimal digits",
                           "the SHA-256 of the document's content, e.g. from sha256sum")
    return {"ref": ref, "sha256": digest.lower()}


#: the longest material reference accepted (a URL or a document store's id)
MAX_REFERENCE = 2_000


def _check_reference(ref: str) -> None:
    if len(ref) > MAX_REFERENCE:
        raise ValueProblem(f"has a reference of {len(ref):,} characters",
                           f"a reference is at most {MAX_REFERENCE:,} characters: a link to "
                           "the document, not the document")
    if any(ch < " " or "\ud800" <= ch <= "\udfff" for ch in ref):
        raise ValueProblem("has a reference with control characters or broken text",
                           MATERIAL_HINT)


def stored_material(value: object) -> StoredMaterial:
    """A material as stored by any release: a bare reference (before hashes) or the mapping."""
    if isinstance(value, Mapping):
        return {"ref": value.get("ref"), "sha256": value.get("sha256")}
    return {"ref": None if value is None else str(value), "sha256": None}


def check_submission(
    form_spec: Form, form: Mapping[str, Any], materials: Mapping[str, object] | None = None
) -> tuple[CleanSubmission | None, list[Problem]]:
    """Clean ``form`` and ``materials`` (each a reference or a mapping with ``ref`` and
    ``sha256``, as :func:`clean_material` reads it); return the result or *all* the
    problems."""
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
                problems.append(Problem(material.name, exc.message, exc.hint))
    promised = []
    for material in form_spec.materials:
        if not blank(given.get(material.name)):
            continue
        if material.deferrable is not None:
            promised.append(material.name)
        elif material.required:
            problems.append(Problem(material.name, "is a required material and is missing",
                                    material.label))
    if problems:
        return None, problems
    return CleanSubmission(clean, stored, tuple(promised)), []


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
