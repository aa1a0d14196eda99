"""Messages a UI can use: every submission problem, action refusal and workflow diagnostic as
a :class:`Message` with a stable code, a kind, its subject and parameters, rendered in Chinese
(the default) or English from the gettext catalogs shipped in this package (docs/messages.md,
docs/decisions/0021-message-catalogs.md)."""

from __future__ import annotations

from onething.messages.catalog import (
    DEFAULT_LANG,
    KINDS,
    LANGS,
    Message,
    codes,
    kind_of,
    language,
    template,
)

__all__ = ["DEFAULT_LANG", "KINDS", "LANGS", "Message", "codes", "kind_of", "language",
           "template"]
