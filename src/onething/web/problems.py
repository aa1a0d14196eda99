"""Every error the server answers, as an RFC 9457 problem (``application/problem+json``): its
HTTP status, the stable code of the message catalog (docs/messages.md) with the message in
both languages, the detail in the language the request asked for — never a traceback, never
a personal number."""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from onething.errors import (
    ActionRefused,
    Conflict,
    IdempotencyMismatch,
    NotAuthorized,
    OnethingError,
    StoreBusy,
    StoreCorrupt,
    StoreUnavailable,
    SubmissionRejected,
    UnknownCase,
    UnknownWorkflow,
    VersionChanged,
    masked,
)
from onething.messages.catalog import Message, language
from onething.privacy.masking import clip, personal_logger

#: the media type of every error answer
PROBLEM_TYPE = "application/problem+json"
#: a problem's ``type``: this prefix and its code (a name, not an address to fetch)
TYPE_PREFIX = "urn:onething:problem:"

log = personal_logger("onething.web")

_TITLES = {
    400: ("请求有误", "Bad request"), 401: ("未认证", "Not authenticated"),
    403: ("无权办理", "Forbidden"), 404: ("未找到", "Not found"),
    405: ("不支持该方法", "Method not allowed"), 409: ("无法办理", "Conflict"),
    412: ("案件已更新", "Precondition failed"), 413: ("内容过大", "Content too large"),
    415: ("内容类型不支持", "Unsupported media type"),
    422: ("内容有误", "Unprocessable content"), 428: ("缺少前提条件", "Precondition required"),
    429: ("尝试次数过多", "Too many requests"), 500: ("内部错误", "Internal server error"),
    503: ("暂不可用", "Service unavailable"),
}


class HttpProblem(Exception):
    """An answer the HTTP layer itself refuses with (no identity, a failed lookup, a form
    without its CSRF token, ...): a status, a catalog message and extra headers."""

    def __init__(self, status: int, message: Message, headers: dict[str, str] | None = None
                 ) -> None:
        super().__init__(message.code)
        self.status, self.message, self.headers = status, message, headers or {}


def status_of(exc: BaseException) -> int:
    """The HTTP status an error is answered with (docs/http.md)."""
    if isinstance(exc, HttpProblem):
        return exc.status
    if isinstance(exc, VersionChanged):
        return 412
    if isinstance(exc, (SubmissionRejected, IdempotencyMismatch)):
        return 422
    if isinstance(exc, NotAuthorized):
        return 403
    if isinstance(exc, (ActionRefused, Conflict)):
        return 409
    if isinstance(exc, (UnknownCase, UnknownWorkflow)):
        return 404
    if isinstance(exc, (StoreBusy, StoreUnavailable, StoreCorrupt)):
        return 503
    if isinstance(exc, (OnethingError, ValueError)):
        return 400
    return 500


def message_of(exc: BaseException) -> Message:
    """The catalog message an error is told with."""
    if isinstance(exc, HttpProblem):
        return exc.message
    ui = getattr(exc, "ui", None)
    if isinstance(ui, Message):
        return ui
    if isinstance(exc, UnknownCase):
        return Message("missing.case.unknown", str(exc.args[0]) if exc.args else "")
    if isinstance(exc, UnknownWorkflow):
        return Message("missing.case.unknown_workflow", str(exc.args[0]) if exc.args else "")
    if isinstance(exc, StoreBusy):
        return Message("busy.case.store_busy")
    if isinstance(exc, Conflict):
        return Message("busy.case.conflict")
    if isinstance(exc, (StoreUnavailable, StoreCorrupt)):
        return Message("broken.case.store", params={"detail": clip(exc, 300)})
    if isinstance(exc, (OnethingError, ValueError)):
        return Message("invalid.case.request", params={"detail": clip(exc, 300)})
    return Message("broken.case.internal", params={"detail": "-"})


def problem(exc: BaseException, *, lang: str, instance: str) -> tuple[int, dict[str, Any],
                                                                     dict[str, str]]:
    """``(status, body, headers)`` of the problem answering ``exc``; an unexpected error is
    logged (masked) under an error id the answer quotes."""
    status = status_of(exc)
    message = message_of(exc)
    headers = dict(exc.headers) if isinstance(exc, HttpProblem) else {}
    if status == 500:
        error_id = uuid.uuid4().hex[:12]
        message = Message("broken.case.internal", params={"detail": error_id})
        log.error("error %s answering %s:\n%s", error_id, masked(instance),
                  masked("".join(traceback.format_exception(exc))))
    if isinstance(exc, StoreBusy):
        headers["Retry-After"] = "1"
    zh_title, en_title = _TITLES.get(status, ("错误", "Error"))
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + message.code, "title": zh_title if lang == "zh" else en_title,
        "status": status, "detail": message.text(lang), "instance": masked(instance),
        **message.to_json(),
    }
    if isinstance(exc, SubmissionRejected):
        body["problems"] = [p.to_json() for p in exc.problems]
    elif isinstance(exc, ActionRefused):
        body["message"], body["hint"] = exc.message, exc.hint
    if isinstance(exc, VersionChanged):
        body["current_version"] = exc.current
        headers["ETag"] = f'"{exc.current}"'  # what to read, or to retry with
    return status, body, headers


def request_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A malformed request's errors (from the body's validation) as where and what — never the
    value given, which may be a personal number."""
    return [{"loc": [masked(str(part)) for part in e.get("loc", ())],
             "type": str(e.get("type", "")), "msg": masked(str(e.get("msg", "")))}
            for e in errors]


def language_of(accept_language: str | None) -> str:
    """The catalog language a request asked for (``Accept-Language``, by weight, each tag
    read as the catalogs read one): ``en`` when English comes before Chinese, else Chinese,
    the default."""
    best: tuple[float, int, str] | None = None
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        try:
            weight = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
            lang = language(tag)
        except ValueError:
            continue
        if best is None or (weight, -index) > (best[0], best[1]):
            best = (weight, -index, lang)
    return best[2] if best is not None else language()
