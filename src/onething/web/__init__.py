"""``onething serve``: the HTTP API and the pages of the hall over the library (docs/http.md).

Needs the web extra: ``pip install 'onething[web]'``. :func:`create_app` makes the ASGI
application over an engine; identity comes from an authenticator the host chooses
(:mod:`onething.web.identity`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onething.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from onething.web.app import create_app

        return create_app
    raise AttributeError(f"module 'onething.web' has no attribute {name!r}")
