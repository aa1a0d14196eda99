"""Source locations and the diagnostics that point at them."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from onething.messages import Message


@attrs.frozen(order=True)
class Location:
    """A position in a source file: 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def shifted(self, offset: int) -> Location:
        """The location ``offset`` characters further on the same line."""
        return Location(self.file, self.line, self.col + offset)


UNKNOWN = Location("<unknown>", 0, 0)


#: a diagnostic quotes what it found; longer text is cut (a hostile file may alias one huge
#: value in thousands of places, and each diagnostic would hold a copy)
MAX_MESSAGE = 400


def _short(text: str) -> str:
    if len(text) <= MAX_MESSAGE:
        return text
    return f"{text[:MAX_MESSAGE - 40]}… ({len(text):,} characters)"


class Severity(StrEnum):
    """How bad a diagnostic is: errors make a workflow invalid, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Diagnostic:
    """One located problem: ``file:line:col: error[CODE]: message`` plus a hint."""

    code: str
    message: str = attrs.field(converter=_short)
    location: Location = attrs.field()
    hint: str = attrs.field(default="", converter=_short)
    severity: Severity = Severity.ERROR

    def render(self) -> str:
        """The one-line form (plus an indented hint line when there is one)."""
        head = f"{self.location}: {self.severity.value}[{self.code}]: {self.message}"
        return f"{head}\n  hint: {self.hint}" if self.hint else head

    def to_message(self) -> Message:
        """The diagnostic as a catalog message: its code, kind ``workflow``, the location as
        its subject, and the file, line, column and the English ``detail`` (the located
        message) as parameters (docs/messages.md)."""
        from onething.messages import Message

        return Message(self.code, str(self.location), {
            "file": self.location.file, "line": self.location.line, "col": self.location.col,
            "detail": self.message})

    def text(self, lang: str | None = None) -> str:
        """The catalog message in ``lang`` (``zh``, the default, or ``en``)."""
        return self.to_message().text(lang)

    def to_json(self) -> dict[str, object]:
        """The diagnostic as JSON-ready data (``check --format json``): the located English
        message and hint, and the catalog message's kind, subject, parameters and text."""
        message = self.to_message().to_json()
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "file": self.location.file,
            "line": self.location.line,
            "col": self.location.col,
            "kind": message["kind"],
            "subject": message["subject"],
            "params": message["params"],
            "text": message["text"],
        }
