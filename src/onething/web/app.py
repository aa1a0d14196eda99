"""The ASGI application of ``onething serve``: the JSON API (``/api/v1``) and the pages of the
hall, over one :class:`~onething.engine.engine.Engine`. A thin layer: every endpoint is one
call of the library, behind the library's rule of who may do it; what the layer adds is HTTP —
identity from the host's authenticator, problems (RFC 9457), ETags and ``If-Match``,
``Idempotency-Key``, a limit on the size of a request, and the OpenAPI 3.1 document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from onething.errors import OnethingError
from onething.messages.catalog import Message
from onething.web import api_actions, api_cases, api_hall
from onething.web.attempts import Attempts
from onething.web.guard import RequestGuard
from onething.web.identity import ACTOR_HEADER, DEV_HEADER, DevUsers
from onething.web.problems import PROBLEM_TYPE, HttpProblem, problem, request_errors
from onething.web.schemas import PROBLEM_ANSWER, component_schemas

if TYPE_CHECKING:
    from onething.engine.engine import Engine
    from onething.web.identity import Authenticator

API_VERSION = "1"


def create_app(engine: Engine, authenticator: Authenticator | None = None, *,
               pages: bool = True) -> FastAPI:
    """The application serving ``engine``: who asks is ``authenticator``'s to say (default:
    :class:`~onething.web.identity.DevUsers`, the demo's people — development only)."""
    app = FastAPI(title="onething", version=API_VERSION, docs_url=None,  # Swagger UI is
                  redoc_url=None, openapi_url="/api/v1/openapi.json",  # fetched from a CDN
                  summary="一件事一次办 — one form, one window, one delivery",
                  description="The HTTP API of onething (docs/http.md): every action, read, "
                  "queue, search, event feed and notice of the library. Errors are RFC 9457 "
                  "problems carrying the stable codes of docs/messages.md in Chinese and "
                  "English.")
    app.state.engine = engine
    app.state.authenticator = authenticator or DevUsers()
    app.state.attempts = Attempts()
    app.state.pages = pages
    app.add_middleware(RequestGuard)
    for router in (api_cases.router, api_actions.router, api_hall.router):
        app.include_router(router)
    if pages:
        from onething.web.pages import mount

        mount(app)
    _handle_errors(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI: documented override
    return app


def _handle_errors(app: FastAPI) -> None:
    def respond(request: Request, exc: BaseException,
                extra: dict[str, Any] | None = None) -> Response:
        from onething.web.plumbing import lang_of

        if app.state.pages and not request.url.path.startswith("/api/"):
            from onething.web.pages.render import refused as refused_page

            return refused_page(request, exc)
        status, body, headers = problem(exc, lang=lang_of(request), instance=request.url.path)
        body.update(extra or {})
        return JSONResponse(body, status_code=status, headers=headers,
                            media_type=PROBLEM_TYPE)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = request_errors(exc.errors())
        where = "; ".join(".".join(e["loc"]) + ": " + e["msg"] for e in errors[:5])
        return respond(request, HttpProblem(422, Message("invalid.case.request",
                                                         params={"detail": where})),
                       {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = "missing.case.not_found" if exc.status_code == 404 else "invalid.case.request"
        return respond(request, HttpProblem(exc.status_code, Message(code, params={
            "detail": f"{request.method} {request.url.path}: {exc.detail}"})))

    @app.exception_handler(HttpProblem)
    async def refused(request: Request, exc: HttpProblem) -> Response:
        return respond(request, exc)

    @app.exception_handler(OnethingError)
    async def failed(request: Request, exc: OnethingError) -> Response:
        return respond(request, exc)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(title=app.title, version=app.version, summary=app.summary,
                           description=app.description, routes=app.routes)
    wanted = {"problem"}
    for path in document.get("paths", {}).values():
        for operation in path.values():
            answers = operation.setdefault("responses", {})
            if "422" in answers:  # FastAPI's own validation error: ours is a problem
                answers["422"] = PROBLEM_ANSWER
            answers.setdefault("default", PROBLEM_ANSWER)
            wanted |= _refs(answers)
            operation["security"] = [] if operation.get("operationId", "").startswith(
                "lookup") else [{"actor": []}, {"devUser": []}]
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(component_schemas({n for n in wanted if n not in schemas}))
    components["securitySchemes"] = {
        "actor": {"type": "apiKey", "in": "header", "name": ACTOR_HEADER,
                  "description": "set by the government sign-on gateway in front: "
                  "ROLE:ID[@DEPARTMENT] (docs/http.md, Authentication)"},
        "devUser": {"type": "apiKey", "in": "header", "name": DEV_HEADER,
                    "description": "development mode only: a user of the demo list"},
    }
    app.openapi_schema = document
    return document


def _refs(value: Any) -> set[str]:
    prefix = "#/components/schemas/"
    if isinstance(value, dict):
        found = set()
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(prefix):
                found.add(item[len(prefix):])
            else:
                found |= _refs(item)
        return found
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value)) if value else set()
    return set()
