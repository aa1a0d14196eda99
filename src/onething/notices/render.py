"""Rendering a written notice: its document data, the case's workflow (titles, department
names) and the applicant's identity number — unmasked only when the notice is rendered for its
owner, the applicant — through a Jinja2 template (autoescaped) to one HTML page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from onething.cases.documents import TITLES, Document
from onething.cases.records import Case
from onething.cases.titles import date_title, duration_title
from onething.errors import InvalidArgument
from onething.language.model import Workflow
from onething.privacy.masking import mask

#: the languages a notice is rendered in (Chinese by default)
LANGS = ("zh", "en")
#: the form field types that hold an applicant's identity number
IDENTITY_TYPES = ("id_card", "uscc")


@functools.lru_cache(maxsize=8)
def _environment(folder: str | None) -> Any:
    import jinja2

    loaders: list[Any] = [jinja2.PackageLoader("onething.notices", "templates")]
    if folder is not None:
        loaders.insert(0, jinja2.FileSystemLoader(folder))
    return jinja2.Environment(loader=jinja2.ChoiceLoader(loaders),
                              autoescape=jinja2.select_autoescape(["html", "j2"],
                                                                   default_for_string=True),
                              trim_blocks=True,
                              lstrip_blocks=True)


def identity_of(case: Case, workflow: Workflow,
                is_applicants: Callable[[str], bool]) -> str | None:
    """The applicant's own identity number: the ID card or 统一社会信用代码 field whose value
    ``is_applicants`` (their pseudonym matches it) — not another person's on the same form (a
    newborn's mother when the father applies); None when none is (an erased case)."""
    for field in workflow.form.fields:
        value = case.form.get(field.name)
        if field.type in IDENTITY_TYPES and isinstance(value, str) and value \
                and is_applicants(value):
            return value
    return None


def render(document: Document, case: Case, workflow: Workflow, *, for_owner: bool,
           identity: str | None = None, lang: str = "zh",
           templates: str | Path | None = None, lookup_code: str | None = None) -> str:
    """The document as one HTML page, naming the applicant by ``identity`` (their
    :func:`identity_of`): whole only ``for_owner``, masked for anyone else. An acceptance
    notice prints ``lookup_code``, with which the case's progress is looked up."""
    if lang not in LANGS:
        raise InvalidArgument(f"a notice is rendered in {' or '.join(LANGS)}, not {lang!r}")
    if identity is not None and not for_owner:
        identity = mask("id_card", identity, personal=True)
    env = _environment(str(templates) if templates is not None else None)

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    def department(code: str | None) -> str:
        return workflow.department_title(code) if code else "—"

    template = env.get_template(f"{document.kind}.html.j2")
    return str(template.render(
        doc=document, data=document.data, case=case.id, lang=lang, t=t,
        title=TITLES[document.kind][0 if lang == "zh" else 1],
        organ=department(document.data.get("organ")), workflow=document.data.get("workflow"),
        identity=identity, department=department, erased=case.erased,
        lookup_code=lookup_code,
        day=lambda value: date_title(value, lang), limit=lambda text: (
            duration_title(str(text)) if lang == "zh" and text else str(text or "—"))))
