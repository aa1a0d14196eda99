"""The application ``onething serve`` runs, made from its settings in the environment (so that
each of several server processes makes its own): the database and the authenticator; and,
before any process starts, the database checked (for the demo: made, the shipped workflows
deployed)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from onething.privacy.masking import personal_logger

if TYPE_CHECKING:
    from fastapi import FastAPI

    from onething.engine.engine import Engine
    from onething.web.identity import Authenticator

#: the settings, as environment variables (set by ``onething serve``)
DB, AUTH, SECRET = "ONETHING_DB", "ONETHING_AUTH", "ONETHING_GATEWAY_SECRET"
#: ``json``: every server process logs JSON lines (``onething --log-format json serve``)
LOG_FORMAT = "ONETHING_LOG_FORMAT"
#: the loggers of the server in front, which log request lines: masked like ours
SERVER_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error")


def authenticator_from(kind: str, secret: str | None) -> Authenticator:
    """The authenticator ``--auth`` names: ``dev`` (the demo's people) or ``trusted-headers``
    (a sign-on gateway in front, with ``secret`` when given)."""
    from onething.web.identity import DevUsers, TrustedHeaders

    if kind == "trusted-headers":
        return TrustedHeaders(secret=secret or None)
    if kind == "dev":
        return DevUsers()
    raise ValueError(f"--auth is dev or trusted-headers, not {kind!r}")


def prepare(db: str, *, demo: bool) -> None:
    """Check the database can be served — and for the demo, make it and deploy the shipped
    workflows — once, before any server process starts."""
    from onething.engine.engine import Engine
    from onething.stores import open_store

    store = open_store(db, create=demo)
    try:
        if demo:
            deploy_shipped(Engine(store))
    finally:
        store.close()


def app_from_environment() -> FastAPI:
    """The application over the database :data:`DB` names, identity by :data:`AUTH` (each
    server process makes its own)."""
    from onething.engine.engine import Engine
    from onething.stores import open_store
    from onething.web.app import create_app

    for name in SERVER_LOGGERS:
        personal_logger(name)
    if os.environ.get(LOG_FORMAT, "").lower() == "json":
        from onething.telemetry import json_logging

        json_logging()
    store = open_store(os.environ.get(DB, "onething.sqlite3"), create=False)
    return create_app(Engine(store), authenticator_from(os.environ.get(AUTH, "dev"),
                                                        os.environ.get(SECRET)), pages=True)


def deploy_shipped(engine: Engine) -> None:
    """Deploy every workflow shipped with onething that is not deployed yet (the demo)."""
    from importlib import resources

    shipped = resources.files("onething") / "workflows"
    for entry in sorted(shipped.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            with resources.as_file(entry) as path:
                engine.deploy(path)
