"""What every endpoint shares: the engine and authenticator the app was made with, the actor
behind the request, its language, typed JSON answers, and the ``Idempotency-Key`` and
``If-Match`` headers of an action."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from onething.cases.typed_json import public_json
from onething.messages.catalog import Message
from onething.web.problems import HttpProblem, language_of

if TYPE_CHECKING:
    from onething.cases.records import Actor, Case
    from onething.engine.engine import Engine
    from onething.web.identity import Authenticator

#: an entity tag as the server writes it: the case's version in quotes
_ETAG = re.compile(r'^\s*"(\d{1,18})"\s*$')


def engine_of(request: Request) -> Engine:
    """The engine the app serves."""
    engine: Engine = request.app.state.engine
    return engine


def current_actor(request: Request) -> Actor:
    """The person the host's authenticator says the request comes from; 401 when none."""
    authenticator: Authenticator = request.app.state.authenticator
    found = authenticator.identify(request)
    if found is None:
        raise HttpProblem(401, Message("refused.case.not_authenticated"))
    return found


def lang_of(request: Request) -> str:
    """The language the request asked for (``?lang=`` first, then ``Accept-Language``)."""
    asked = request.query_params.get("lang")
    return language_of(asked or request.headers.get("accept-language"))


EngineDep = Annotated["Engine", Depends(engine_of)]
ActorDep = Annotated["Actor", Depends(current_actor)]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=200,
    description="a fresh random id (a UUID) per request: a retry with the same key gets the "
    "first answer and changes nothing")]
IfMatch = Annotated[str | None, Header(
    alias="If-Match", description='the case version the request was made on, as its ETag '
    '("7"): on any other version the answer is 412 and nothing changes')]


def answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """``data`` as typed JSON (times in Asia/Shanghai, personal numbers masked)."""
    return JSONResponse(public_json(data), status_code=status, headers=headers)


def etag(version: int) -> str:
    """The entity tag of a case at ``version``."""
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` names (None: no header, or ``*``); 400 when it is not
    one of this server's entity tags."""
    if if_match is None or if_match.strip() == "*":
        return None
    found = _ETAG.match(if_match)
    if found is None:
        raise HttpProblem(400, Message("invalid.case.request", params={
            "detail": 'If-Match takes the case\'s ETag, e.g. "7"'}))
    return int(found.group(1))


@contextlib.contextmanager
def precondition(engine: Engine, case_id: str, if_match: str | None) -> Iterator[None]:
    """The block's action is taken only on the version ``If-Match`` names (the engine checks
    it inside the action's transaction, after answering a known idempotency key)."""
    version = expected_version(if_match)
    if version is None:
        yield
        return
    with engine.expecting(case_id, version):
        yield


def acted(engine: Engine, case_id: str, if_match: str | None,
          action: Callable[[], Case]) -> JSONResponse:
    """Run ``action`` under the request's precondition and answer with what came out:
    ``{acted_on, case, version, ended, delivery}`` — ``case`` is ``acted_on`` itself, or the
    follow-up case the action opened (a rectification, a revocation) — and its ETag."""
    with precondition(engine, case_id, if_match):
        case = action()
    body = {"acted_on": case_id, "case": case.id, "version": case.revision,
            "ended": case.ended, "delivery": case.delivery_kind}
    headers = {"ETag": etag(case.revision)} if case.id == case_id else {}
    return answer(body, headers=headers)
