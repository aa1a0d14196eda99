"""What every request and answer passes through before the application: a request that
changes something and comes from another site's page is refused (403 ``refused.case.csrf``:
its ``Origin`` is not this server, or the browser says ``Sec-Fetch-Site: cross-site``) — the
API's defence against cross-site requests, the pages' besides their form token; a request body
larger than :data:`MAX_BODY` is refused (413) — read up to the limit and no further, whether its
length was declared or it came in chunks; any error the application did not answer becomes a
problem (500, logged masked under an error id — never a traceback to the client nor an
unmasked one in the log); and every answer carries the headers that keep a browser from
sniffing, framing or leaking it."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onething.messages.catalog import Message as CatalogMessage
from onething.web.problems import PROBLEM_TYPE, HttpProblem, problem

#: the largest request body read: a form with its materials' references is far smaller
MAX_BODY = 1024 * 1024
#: the methods that change nothing (the others are refused from another site's page)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: the headers every answer carries
SAFE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make forms post Origin: null
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
     b"script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
]


class RequestGuard:
    """ASGI middleware: the body limit, the last answer to an error, and the safe headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if scope.get("method") not in SAFE_METHODS and _cross_site(headers):
            await _problem(scope, send, HttpProblem(403, CatalogMessage("refused.case.csrf")))
            return
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            await _too_large(scope, send)
            return
        body = await _read(receive)
        if body is None:
            await _too_large(scope, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the disconnect, when it comes

        started = False

        async def guarded(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in SAFE_HEADERS if h[0] not in names)]
            await send(message)

        try:
            await self.app(scope, replay, guarded)
        except Exception as exc:  # what no handler answered: a bug, told as a problem
            if not started:
                await _problem(scope, send, exc)
            else:
                problem(exc, lang="zh", instance=str(scope.get("path", "")))  # logs it


def _cross_site(headers: dict[bytes, bytes]) -> bool:
    """Whether a browser says the request comes from another site's page (a script or a
    server sends neither header: it is not refused)."""
    if headers.get(b"sec-fetch-site", b"").lower() == b"cross-site":
        return True
    origin = headers.get(b"origin")
    if origin is None:
        return False
    host = origin.split(b"://", 1)[-1].rstrip(b"/").lower()
    served = {headers.get(b"host", b"").lower(), headers.get(b"x-forwarded-host", b"").lower()}
    return host not in served - {b""}


async def _read(receive: Receive) -> bytes | None:
    """The whole request body, or None past :data:`MAX_BODY` (nothing more is read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away: the app sees an empty body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _too_large(scope: Scope, send: Send) -> None:
    await _problem(scope, send, HttpProblem(413, CatalogMessage("invalid.case.request", params={
        "detail": f"the request body is larger than {MAX_BODY // 1024} KiB"})))


async def _problem(scope: Scope, send: Send, exc: BaseException) -> None:
    status, body, extra = problem(exc, lang="zh", instance=str(scope.get("path", "")))
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers: list[Any] = [(b"content-type", PROBLEM_TYPE.encode()),
                          (b"content-length", str(len(data)).encode()), *SAFE_HEADERS,
                          *((k.lower().encode(), v.encode()) for k, v in extra.items())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
