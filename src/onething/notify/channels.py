"""The channels status events go out on. A channel's ``send(event, recipient)`` hands one
event over and returns a receipt, or raises to have it tried again later; the event's id is the
idempotency key (a receiver drops a repeat). ``needs_recipient`` asks the dispatcher for the
applicant's phone, looked up from the case when the event is sent (never stored with it).

* :class:`LogChannel`: the event on the ``onething.notify`` log (nothing personal).
* :class:`WebhookChannel`: an HTTP POST of the CloudEvents envelope, signed like Standard
  Webhooks (:mod:`onething.notify.signing`: HMAC-SHA256, or HMAC-SM3).
* :class:`SmsChannel`: a short Chinese (or English) text through an :class:`SmsGateway` — the
  host's provider; :class:`RecordingGateway` is the test double.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from onething.cases.status import StatusEvent
from onething.cases.titles import date_title
from onething.errors import InvalidArgument
from onething.notify.envelope import DEFAULT_SOURCE, body
from onething.notify.signing import HMAC_SHA256, Mac, secret_bytes, sign
from onething.privacy.masking import mask_text, personal_logger

log = personal_logger("onething.notify")


class EventChannel(Protocol):
    """Something that carries status events out (see the module docstring)."""

    def send(self, event: StatusEvent, recipient: str | None) -> str:
        """Hand ``event`` over; return a receipt. Raise to have it tried again later."""


class LogChannel:
    """The event on the log: its id, type, code, step and department."""

    needs_recipient = False

    def send(self, event: StatusEvent, recipient: str | None) -> str:
        """Log ``event``; the receipt names it."""
        log.info("status event %s: %s (code %s) at %s/%s", event.id, event.type, event.code,
                 event.step or "-", event.department or "-")
        return f"logged:{event.id}"


class WebhookRefused(Exception):
    """The receiver answered with an HTTP error (tried again later)."""


Post = Callable[[str, bytes, dict[str, str], float], int]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery (Standard Webhooks: only 2xx succeeds):
    following it would GET another page and count its 200 as the event received."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(url: str, payload: bytes, headers: dict[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as answer:  # the host's own URL
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@attrs.define
class WebhookChannel:
    """POST each event's CloudEvents envelope (``application/cloudevents+json``) to ``url``,
    signed with ``secret`` (``whsec_<base64>``) by ``mac``; a 2xx answer is a receipt, any
    other answer or a network failure is tried again later."""

    url: str
    secret: str | bytes
    mac: Mac = HMAC_SHA256
    source: str = DEFAULT_SOURCE
    timeout: float = 10.0
    post: Post = _post
    clock: Callable[[], float] = time.time
    needs_recipient = False

    def __attrs_post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise InvalidArgument(f"a webhook URL starts with http:// or https://, not "
                                  f"{mask_text(self.url)[:40]!r}", "give the receiver's URL")
        secret_bytes(self.secret)  # refused now rather than at the first event

    def send(self, event: StatusEvent, recipient: str | None) -> str:
        """POST ``event``'s envelope, signed; :class:`WebhookRefused` unless answered 2xx."""
        payload = body(event, self.source)
        headers = {"content-type": "application/cloudevents+json; charset=utf-8",
                   **sign(self.secret, event.id, int(self.clock()), payload, self.mac)}
        try:
            status = self.post(self.url, payload, headers, self.timeout)
        except OSError as exc:
            raise WebhookRefused(f"{type(exc).__name__}: {exc}") from None
        if not 200 <= status < 300:
            raise WebhookRefused(f"the receiver answered HTTP {status}")
        return f"http {status}"


class SmsGateway(Protocol):
    """The host's SMS provider: send ``text`` to ``phone`` once per ``key`` (a repeated key
    is a repeat of the same message, to be dropped); return the provider's receipt."""

    def send(self, phone: str, text: str, key: str) -> str:
        """Send one message."""


@attrs.define
class RecordingGateway:
    """A gateway that sends nothing: it keeps each message (once per key) for tests and
    demonstrations, and can be told to fail the next ``failures`` sends."""

    sent: dict[str, tuple[str, str]] = attrs.field(factory=dict)
    failures: int = 0

    def send(self, phone: str, text: str, key: str) -> str:
        """Keep the message (once per ``key``), or fail while ``failures`` are left."""
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("the SMS gateway did not answer")
        self.sent.setdefault(key, (phone, text))
        return f"recorded:{key}"


#: what an SMS says for each status event type, by language (``{case}`` the case number;
#: ``{date}`` the date that matters; ``{sign}`` the sender's signature); a type without a
#: text sends nothing
SMS_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "submitted": "【{sign}】您的办件（编号{case}）已收到，请留意受理结果。",
        "intake_correction_requested": "【{sign}】您的办件{case}需补正材料，请于{date}前按"
                                       "一次性告知书补齐。",
        "accepted": "【{sign}】您的办件{case}已受理，承诺办结日期{date}。",
        "deemed_accepted": "【{sign}】您的办件{case}已受理（逾期视为受理），承诺办结日期{date}。",
        "intake_refused": "【{sign}】您的办件{case}不予受理，请查看不予受理决定书。",
        "correction_requested": "【{sign}】您的办件{case}需补正材料，请查看一次性补正告知书。",
        "special_procedure_started": "【{sign}】您的办件{case}进入特别程序，所需时间不计入"
                                     "办理时限，预计{date}结束。",
        "extended": "【{sign}】您的办件{case}办理期限已依法延长，新的办结日期{date}。",
        "promise_due_soon": "【{sign}】您的办件{case}容缺承诺的材料请于{date}前补交。",
        "delivered:result": "【{sign}】您的办件{case}已办结，请按约定方式领取结果。",
        "delivered:refusal": "【{sign}】您的办件{case}已办结，结果为不予许可，请查看决定书。",
        "delivered:withdrawal": "【{sign}】您的办件{case}已撤回。",
        "delivered:termination": "【{sign}】您的办件{case}已终止办理。",
    },
    "en": {
        "submitted": "[{sign}] Your application {case} has been received.",
        "intake_correction_requested": "[{sign}] Application {case}: please complete the "
                                       "materials by {date} (see the one-time notice).",
        "accepted": "[{sign}] Application {case} accepted; due by {date}.",
        "deemed_accepted": "[{sign}] Application {case} deemed accepted; due by {date}.",
        "intake_refused": "[{sign}] Application {case} was not accepted; see the decision.",
        "correction_requested": "[{sign}] Application {case}: a correction is needed; see "
                                "the notice.",
        "special_procedure_started": "[{sign}] Application {case} is in a special procedure "
                                     "(not counted in the time limit), expected to end "
                                     "{date}.",
        "extended": "[{sign}] The time limit of application {case} was extended to {date}.",
        "promise_due_soon": "[{sign}] Application {case}: the promised materials are due by "
                            "{date}.",
        "delivered:result": "[{sign}] Application {case} is complete; collect the result as "
                            "agreed.",
        "delivered:refusal": "[{sign}] Application {case} is complete: not granted; see the "
                             "decision.",
        "delivered:withdrawal": "[{sign}] Application {case} has been withdrawn.",
        "delivered:termination": "[{sign}] Application {case} has been closed.",
    },
}
#: which date an SMS of each type names
_DATES = {"intake_correction_requested": "answer_by", "accepted": "committed_due",
          "deemed_accepted": "committed_due", "special_procedure_started": "expected_end",
          "extended": "due", "promise_due_soon": "due"}


def sms_text(event: StatusEvent, lang: str = "zh", sign: str = "一件事",
             texts: Mapping[str, Mapping[str, str]] = SMS_TEXTS) -> str | None:
    """What an SMS says of ``event`` (None: this type sends none)."""
    chosen = texts.get(lang) or texts["zh"]
    if event.type == "delivered" and event.data.get("accepted") is False \
            and event.data.get("kind") == "refusal":
        return None  # refused at intake: its own text said so, and there is no decision
    key = f"delivered:{event.data.get('kind')}" if event.type == "delivered" else event.type
    template = chosen.get(key)
    if template is None:
        return None
    data: dict[str, Any] = event.data
    when = data.get(_DATES.get(event.type, ""))
    if event.type in ("accepted", "deemed_accepted") and not when:
        when = data.get("statutory_due")
    return template.format(sign=sign, case=event.case_id, date=date_title(when, lang))


@attrs.define
class SmsChannel:
    """Each event with a text (:data:`SMS_TEXTS`) as an SMS to the applicant's phone, through
    ``gateway``; events without a text are handed over as sent, with nothing sent."""

    gateway: SmsGateway
    lang: str = "zh"
    sign: str = "一件事"
    texts: Mapping[str, Mapping[str, str]] = SMS_TEXTS
    needs_recipient = True

    def send(self, event: StatusEvent, recipient: str | None) -> str:
        """Text ``recipient`` what ``event`` says (nothing for a type without a text)."""
        text = sms_text(event, self.lang, self.sign, self.texts)
        if text is None:
            return f"no text for {event.type}"
        if recipient is None:
            return "no phone number: nothing sent"
        return self.gateway.send(recipient, text, event.id)
