"""Rendering a page: the templates (Jinja2, autoescaped), what every page shows (who is signed
in, the navigation of their role, the form token), CSRF protection of every form, and a
refusal turned into a message on the page instead of an error page."""

from __future__ import annotations

import hmac
import secrets
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from onething.cases import titles as zh
from onething.cases.records import Actor, Role
from onething.messages.catalog import Message
from onething.privacy.masking import mask_text
from onething.web.problems import HttpProblem, message_of, status_of

#: the cookie holding the form token (double submit: every form carries it back)
CSRF_COOKIE, CSRF_FIELD = "onething_csrf", "csrf"

_env: Environment | None = None


def environment() -> Environment:
    """The templates' environment (made once)."""
    global _env
    if _env is None:
        folder = resources.files("onething") / "web" / "templates"
        _env = Environment(loader=FileSystemLoader(str(folder)),
                           autoescape=select_autoescape(default=True), trim_blocks=True,
                           lstrip_blocks=True)
        _env.filters["masked"] = mask_text
        _env.filters["when"] = _when
        _env.filters["status_title"] = lambda v: zh.LISTED.get(v, v)
        _env.filters["clock_status"] = lambda v: zh.CLOCK_STATUSES.get(
            v, zh.CLOCK_STATES.get(v, v))  # a queue's paused item: the clock's state
        _env.globals["titles"] = zh
    return _env


def _when(value: Any) -> str:
    if value is None:
        return "—"
    from onething.workdays import SHANGHAI

    return f"{value.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def identity(request: Request) -> Actor | None:
    """Who the host says is signed in, or None."""
    found: Actor | None = request.app.state.authenticator.identify(request)
    return found


def csrf_token(request: Request) -> str:
    """The form token of this browser (made on its first page)."""
    token = request.cookies.get(CSRF_COOKIE)
    if token is None or len(token) != 43:
        token = getattr(request.state, "csrf", None) or secrets.token_urlsafe(32)
        request.state.csrf = token
    return token


async def checked_form(request: Request) -> dict[str, Any]:
    """The posted form, after its token is checked against the browser's cookie (403
    otherwise: a form another site made the browser post)."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(given, str) or cookie is None or not hmac.compare_digest(given, cookie):
        raise HttpProblem(403, Message("refused.case.csrf"))
    return {key: form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key)
            for key in set(form.keys())}


#: a handler's posted form, its token checked (read on the event loop; the handler, a plain
#: function, runs in the thread pool, so a store that waits stops nothing else)
PostedForm = Annotated[dict[str, Any], Depends(checked_form)]


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered for this request, with the form token set."""
    actor = identity(request)
    token = csrf_token(request)
    html = environment().get_template(template).render(
        request=request, actor=actor, role=actor.role.value if actor else None,
        who=who_title(actor), csrf=token, dev=request.app.state.authenticator.kind == "dev",
        flash=request.query_params.get("done"), **context)
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


def refused(request: Request, exc: BaseException, template: str = "problem.html",
            **context: Any) -> HTMLResponse:
    """A page saying why the request was refused, in Chinese, with its code."""
    message = message_of(exc)
    problems = [p.text("zh") for p in getattr(exc, "problems", ())]
    answer = page(request, template, status=status_of(exc), problem=message.text("zh"),
                  code=message.code, problems=problems, **context)
    if isinstance(exc, HttpProblem):  # Retry-After, ...
        answer.headers.update(exc.headers)
    return answer


def back_to(path: str, done: str | None = None) -> RedirectResponse:
    """After a form: to ``path`` (303, so a refresh does not post again)."""
    from urllib.parse import quote

    return RedirectResponse(path + (f"?done={quote(done)}" if done else ""), status_code=303)


def who_title(actor: Actor | None) -> str:
    """How the page names the signed-in person: 窗口 window-3（市场监管局）..."""
    if actor is None:
        return ""
    role = zh.ROLES.get(actor.role.value, actor.role.value)
    where = f"（{actor.department}）" if actor.department else ""
    shown = actor.id if actor.role not in (Role.APPLICANT, Role.AGENT) else mask_text(actor.id)
    return f"{role} {shown}{where}"
