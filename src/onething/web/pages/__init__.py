"""The pages of the hall, server-rendered in Chinese (docs/http.md, "Pages"): the window, the
department, the supervisor and the applicant. A page does nothing the API does not: every
action a page form takes calls the API's own endpoint function (:mod:`.actions`), so the two
cannot drift apart."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def mount(app: FastAPI) -> None:
    """Add the pages and their static files (vendored: no CDN) to ``app``."""
    from onething.web.pages import applicant, cases, hall

    static = resources.files("onething") / "web" / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (hall, cases, applicant):
        app.include_router(module.router)
