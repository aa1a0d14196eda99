"""The message catalogs (gettext ``.po``, read with Babel) and the :class:`Message` record.

A message's code is stable: ``submission.field.required``, ``refused.step.not_department``,
or a workflow diagnostic's own code (``bad-value``). Its kind is in the code: the middle part
of a dotted code (field, material, step or case), and ``workflow`` for a diagnostic. The
catalogs map each code to a template in one language, with ``{name}`` placeholders filled
from the message's parameters and ``{subject}`` from its subject; ``{label}`` is the label of
the field or material the form gives (its name when there is none). Chinese is the
default.

Babel is imported, and a catalog read, only when a message is first rendered; each catalog is
read once per process.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from types import MappingProxyType
from typing import Any, TypeAlias

from onething.privacy.masking import clip, mask_text, personal_logger

#: the languages the catalogs hold, the default first
LANGS = ("zh", "en")
#: what a UI reads unless it asks for another language: 一件事一次办 is a Chinese service
DEFAULT_LANG = "zh"
#: what a message is about: a form's field or material, a step, the case, a workflow file
KINDS = ("field", "material", "step", "case", "workflow")
#: the gettext domain: ``locale/<lang>/LC_MESSAGES/onething.po``
DOMAIN = "onething"
#: the longest text a parameter keeps (a list of names, a reason)
PARAM_MAX = 500

#: a placeholder in a template: ``{name}`` (no format specification)
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

Param: TypeAlias = "str | int | Message"


def kind_of(code: str) -> str:
    """The kind ``code`` is about: the middle part of a dotted code
    (``refused.step.not_department`` is about a step); a workflow diagnostic's code
    (``bad-value``, without dots) is about the workflow."""
    parts = code.split(".")
    if len(parts) == 1 and code:
        return "workflow"
    if len(parts) == 3 and parts[1] in KINDS[:4] and all(parts):
        return parts[1]
    raise ValueError(f"{clip(code, 80)!r} is not a message code: write family.kind.name with a "
                     f"kind of {', '.join(KINDS[:4])}, or a diagnostic's code")


def language(lang: str | None = None) -> str:
    """The catalog for ``lang``: ``zh`` or ``en``, read from a tag such as ``zh-CN``,
    ``zh_Hans`` or ``en-US``; None is the default, Chinese."""
    if lang is None:
        return DEFAULT_LANG
    primary = re.split(r"[-_.@]", str(lang).strip().lower(), maxsplit=1)[0]
    if primary not in LANGS:
        raise ValueError(f"no messages in {clip(lang, 20)!r}: the catalogs hold "
                         + ", ".join(LANGS))
    return primary


@functools.cache
def _catalog(lang: str) -> Mapping[str, str]:
    """Code -> template of one language, read once (fuzzy or empty entries do not count)."""
    from babel.messages.pofile import read_po

    path = resources.files(__package__).joinpath("locale", lang, "LC_MESSAGES",
                                                  f"{DOMAIN}.po")
    with path.open("rb") as handle:
        catalog = read_po(handle, domain=DOMAIN)
    return MappingProxyType({str(m.id): str(m.string) for m in catalog
                             if m.id and isinstance(m.id, str) and m.string and not m.fuzzy})


def _template_of(code: str, lang: str) -> str | None:
    """``code``'s template in ``lang`` (else in another language), or None — also when the
    catalogs cannot be read: a message must render whatever happened to them (it is how a
    refusal reaches the person), so that failure is logged once and the code is shown."""
    try:
        catalog = _catalog(lang)
        return catalog.get(code) or next(
            (_catalog(other)[code] for other in LANGS if code in _catalog(other)), None)
    except (ImportError, OSError, ValueError, LookupError) as exc:  # UnicodeError is one
        _unreadable(f"{type(exc).__name__}: {clip(exc, 200)}")
        return None


@functools.cache
def _unreadable(why: str) -> None:
    personal_logger("onething.messages").error(
        "the message catalogs cannot be read (%s): messages show their codes", why)


def codes(lang: str | None = None) -> frozenset[str]:
    """Every code the catalog of ``lang`` holds."""
    return frozenset(_catalog(language(lang)))


def template(code: str, lang: str | None = None) -> str:
    """The template of ``code`` in ``lang`` (KeyError when the catalog lacks it)."""
    return _catalog(language(lang))[code]


def placeholders(text: str) -> frozenset[str]:
    """The names a template fills in: ``{subject}``, ``{limit}``, ..."""
    return frozenset(_PLACEHOLDER.findall(text))


def _param(value: object) -> Param:
    """A parameter as a message keeps it: a nested message, a whole number, or text; masked
    (a personal number given as a number becomes its masked text) and at most
    :data:`PARAM_MAX` characters."""
    if isinstance(value, Message):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 64:
            return f"(a number of about {value.bit_length() * 0.30103:,.0f} digits)"
        return value if mask_text(str(value)) == str(value) else mask_text(str(value))
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return clip(text.encode("utf-8", "replace").decode("utf-8"), PARAM_MAX)  # masked, then cut


@dataclass(frozen=True)
class Message:
    """One thing a UI says: a stable ``code`` (its ``kind`` is part of it), the ``subject``
    it is about (a field's or material's name, a step's id, a case's id, a location in a
    workflow file) and the ``params`` its text quotes. The subject and every parameter are
    masked when the message is made: they never hold an identity or phone number."""

    code: str
    subject: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        kind_of(self.code)  # a malformed code is a bug: refuse it where it is made
        object.__setattr__(self, "subject", _param(str(self.subject)))
        object.__setattr__(self, "params", MappingProxyType(
            {str(k): _param(v) for k, v in self.params.items()}))

    def __hash__(self) -> int:
        return hash((self.code, self.subject, tuple(sorted(self.params.items(),
                                                           key=lambda item: item[0]))))

    @property
    def kind(self) -> str:
        """``field``, ``material``, ``step``, ``case`` or ``workflow``."""
        return kind_of(self.code)

    def about(self, subject: str) -> Message:
        """The same message about another subject (a value's problem about its field)."""
        return replace(self, subject=subject)

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default Chinese), its placeholders filled, masked."""
        lang = language(lang)
        values = {k: v.text(lang) if isinstance(v, Message) else str(v)
                  for k, v in self.params.items()}
        values["subject"] = str(self.subject)
        values.setdefault("label", str(self.subject))  # a field without a label: its name
        found = _template_of(self.code, lang)
        if found is None:  # a code no catalog has (a host's own), or catalogs that cannot
            # be read (Babel missing, a damaged file): say what we have, never fail
            return mask_text(" ".join(filter(None, (self.code, str(self.subject)))))
        return mask_text(_PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)),
                                          found))

    def to_json(self) -> dict[str, Any]:
        """``{"code", "kind", "subject", "params", "text": {"zh": ..., "en": ...}}``: what a
        UI needs to show the message in either language or to build its own."""
        return {"code": self.code, "kind": self.kind, "subject": self.subject,
                "params": {k: v.to_json() if isinstance(v, Message) else v
                           for k, v in self.params.items()},
                "text": {lang: self.text(lang) for lang in LANGS}}


__all__ = ["DEFAULT_LANG", "DOMAIN", "KINDS", "LANGS", "Message", "Param", "codes", "kind_of",
           "language", "placeholders", "template"]
