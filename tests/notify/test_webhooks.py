"""Status events out through a signed webhook (issue 17): the signatures are Standard Webhooks
1.0 (its reference vector verifies; tampering, another secret, a stale timestamp, a missing
header do not; HMAC-SM3 is a MAC of its own), each request is a CloudEvents 1.0 structured
event (checked by hand and by the CloudEvents SDK), and — the "done when" — a real HTTP
receiver that checks signatures and drops repeats by ``webhook-id`` processes each of a case's
status events exactly once and in order while the dispatcher runs as a separate process that is
killed with SIGKILL in the middle of a hand-over and started afresh, on SQLite and on
PostgreSQL. A 500 is retried after its back-off; a redirect is a failure too (regression: a
301/302/303 was followed with a GET whose 200 counted as delivered)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from onething.cases.records import applicant, window
from onething.cases.status import TYPE_PREFIX, StatusEvent
from onething.engine.engine import Engine
from onething.notify.channels import WebhookChannel, WebhookRefused
from onething.notify.envelope import body, envelope
from onething.notify.signing import HMAC_SHA256, HMAC_SM3, sign, sm3_available, verify
from onething.stores import open_store
from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.workdays import FixedClock
from tests.engine.test_status_events import EXPECTED, the_day
from tests.support.factories import START, sample_form, sample_materials, shipped

ROOT = Path(__file__).resolve().parents[2]
WORKER = "tests.notify.webhook_worker"
STARTUP = shipped("enterprise_startup.yaml")

#: the shared secret of the tests' receiver, and one it does not know
SECRET = "whsec_" + base64.b64encode(b"onething-test-webhook-secret-32b").decode()
OTHER = "whsec_" + base64.b64encode(b"not-the-receiver's-secret-at-all").decode()

# The Standard Webhooks reference vector, as every library of the standard tests its signing:
# github.com/standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py
# (test_sign_function), also libraries/go/webhook_test.go (TestWebhookSign) and
# libraries/javascript/src/webhook.test.ts — as read at the repository's commit
# b2fa7b8719fb75d326b591077f5d1b385cfcdfae.
REF_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
REF_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
REF_TIMESTAMP = 1614265330
REF_PAYLOAD = b'{"test": 2432232314}'
REF_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
#: the standard's tolerance for a timestamp (seconds either side of now)
FIVE_MINUTES = 5 * 60


def ref_headers(**changed: str | None) -> dict[str, str]:
    """The reference vector's headers, with some changed (None: left out)."""
    headers = {"webhook-id": REF_ID, "webhook-timestamp": str(REF_TIMESTAMP),
               "webhook-signature": REF_SIGNATURE}
    for name, value in changed.items():
        key = name.replace("_", "-")
        if value is None:
            del headers[key]
        else:
            headers[key] = value
    return headers


def rfc2104(digest: str, key: bytes, message: bytes) -> bytes:
    """HMAC written out from RFC 2104 over ``hashlib`` (independent of :mod:`hmac`)."""
    block = hashlib.new(digest).block_size
    if len(key) > block:
        key = hashlib.new(digest, key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.new(digest, bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.new(digest, bytes(k ^ 0x5C for k in key) + inner).digest()


# -- signing ------------------------------------------------------------------------------------


def test_the_standard_webhooks_reference_vector_signs_and_verifies() -> None:
    assert sign(REF_SECRET, REF_ID, REF_TIMESTAMP, REF_PAYLOAD, HMAC_SHA256) == ref_headers()
    assert sign(REF_SECRET, REF_ID, REF_TIMESTAMP, REF_PAYLOAD) == ref_headers()  # the default
    assert verify(REF_SECRET, ref_headers(), REF_PAYLOAD, HMAC_SHA256, now=REF_TIMESTAMP)
    # the key is the base64 after whsec_: given as raw bytes it signs alike
    raw = base64.b64decode(REF_SECRET.removeprefix("whsec_"))
    assert sign(raw, REF_ID, REF_TIMESTAMP, REF_PAYLOAD)["webhook-signature"] == REF_SIGNATURE
    # the helper the SM3 test relies on reproduces the vector too
    signed = f"{REF_ID}.{REF_TIMESTAMP}.".encode() + REF_PAYLOAD
    assert "v1," + base64.b64encode(rfc2104("sha256", raw, signed)).decode() == REF_SIGNATURE
    # HTTP header names are case-insensitive; a receiver gets them as the server spells them
    spelled = {k.title(): v for k, v in ref_headers().items()}
    assert verify(REF_SECRET, spelled, REF_PAYLOAD, now=REF_TIMESTAMP)
    # within the five minutes either side
    assert verify(REF_SECRET, ref_headers(), REF_PAYLOAD, now=REF_TIMESTAMP + FIVE_MINUTES - 1)
    assert verify(REF_SECRET, ref_headers(), REF_PAYLOAD, now=REF_TIMESTAMP - FIVE_MINUTES + 1)


REFUSED: dict[str, tuple[str, dict[str, str], bytes, float]] = {
    "tampered body": (REF_SECRET, ref_headers(), b'{"test": 2432232315}', REF_TIMESTAMP),
    "body with a space more": (REF_SECRET, ref_headers(), REF_PAYLOAD + b" ", REF_TIMESTAMP),
    "another secret": (OTHER, ref_headers(), REF_PAYLOAD, REF_TIMESTAMP),
    "timestamp older than five minutes": (REF_SECRET, ref_headers(), REF_PAYLOAD,
                                          REF_TIMESTAMP + FIVE_MINUTES + 1),
    "timestamp an hour old": (REF_SECRET, ref_headers(), REF_PAYLOAD, REF_TIMESTAMP + 3600),
    "timestamp five minutes ahead": (REF_SECRET, ref_headers(), REF_PAYLOAD,
                                     REF_TIMESTAMP - FIVE_MINUTES - 1),
    "no webhook-id": (REF_SECRET, ref_headers(webhook_id=None), REF_PAYLOAD, REF_TIMESTAMP),
    "no webhook-timestamp": (REF_SECRET, ref_headers(webhook_timestamp=None), REF_PAYLOAD,
                             REF_TIMESTAMP),
    "no webhook-signature": (REF_SECRET, ref_headers(webhook_signature=None), REF_PAYLOAD,
                             REF_TIMESTAMP),
    "another id": (REF_SECRET, ref_headers(webhook_id="msg_other"), REF_PAYLOAD,
                   REF_TIMESTAMP),
    "another timestamp": (REF_SECRET, ref_headers(webhook_timestamp=str(REF_TIMESTAMP + 1)),
                          REF_PAYLOAD, REF_TIMESTAMP),
    "timestamp not a number": (REF_SECRET, ref_headers(webhook_timestamp="yesterday"),
                               REF_PAYLOAD, REF_TIMESTAMP),
    "unknown version": (REF_SECRET, ref_headers(webhook_signature="v2" + REF_SIGNATURE[2:]),
                        REF_PAYLOAD, REF_TIMESTAMP),
    # the C# library's "partial signature" case
    "signature cut and padded": (REF_SECRET, ref_headers(
        webhook_signature="v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLawdd"),
        REF_PAYLOAD, REF_TIMESTAMP),
    "bare tag without its version": (REF_SECRET, ref_headers(
        webhook_signature=REF_SIGNATURE[3:]), REF_PAYLOAD, REF_TIMESTAMP),
    "empty signature": (REF_SECRET, ref_headers(webhook_signature=""), REF_PAYLOAD,
                        REF_TIMESTAMP),
}


@pytest.mark.parametrize("secret, headers, payload, now", REFUSED.values(), ids=REFUSED)
def test_a_request_that_was_not_signed_so_fails_verification(
        secret: str, headers: dict[str, str], payload: bytes, now: float) -> None:
    assert not verify(secret, headers, payload, HMAC_SHA256, now=now)


def test_several_signatures_pass_when_one_of_them_matches() -> None:
    """A sender rotating its secret signs with both: any one matching is enough."""
    other = sign(OTHER, REF_ID, REF_TIMESTAMP, REF_PAYLOAD)["webhook-signature"]
    for given in (f"{other} {REF_SIGNATURE}", f"{REF_SIGNATURE} {other}",
                  f"v1a,AAAA {other}  {REF_SIGNATURE} v2,{REF_SIGNATURE[3:]}"):
        assert verify(REF_SECRET, ref_headers(webhook_signature=given), REF_PAYLOAD,
                      now=REF_TIMESTAMP), given
    assert not verify(REF_SECRET, ref_headers(webhook_signature=f"{other} v1,AAAA"),
                      REF_PAYLOAD, now=REF_TIMESTAMP)
    # and the secret that made the other one verifies it among them
    assert verify(OTHER, ref_headers(webhook_signature=f"{REF_SIGNATURE} {other}"),
                  REF_PAYLOAD, now=REF_TIMESTAMP)


def test_verify_reads_the_wall_clock_when_no_moment_is_given() -> None:
    now = int(time.time())
    assert verify(SECRET, sign(SECRET, "c/1", now, b"{}"), b"{}")
    assert not verify(SECRET, sign(SECRET, "c/1", now - FIVE_MINUTES - 60, b"{}"), b"{}")


@pytest.mark.skipif(not sm3_available(), reason="this Python's OpenSSL has no SM3")
def test_hmac_sm3_signs_differently_and_verifies_only_as_sm3() -> None:
    # OpenSSL's sm3 is SM3: GB/T 32905-2016, example 1 ("abc")
    assert hashlib.new("sm3", b"abc").hexdigest() == \
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    now = 1_790_000_000
    payload = body(StatusEvent("c1", 1, START, "submitted", 1, "w", 1))
    sm3 = sign(SECRET, "c1/1", now, payload, HMAC_SM3)
    sha = sign(SECRET, "c1/1", now, payload, HMAC_SHA256)
    label, tag = sm3["webhook-signature"].split(",", 1)
    assert label == "v1-sm3" and sha["webhook-signature"].startswith("v1,")
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = b"c1/1.1790000000." + payload
    assert base64.b64decode(tag) == rfc2104("sm3", key, signed)
    assert base64.b64decode(tag) != base64.b64decode(sha["webhook-signature"][3:])
    assert sm3["webhook-id"] == sha["webhook-id"] == "c1/1"
    assert verify(SECRET, sm3, payload, HMAC_SM3, now=now)
    assert not verify(SECRET, sm3, payload, HMAC_SHA256, now=now)
    assert not verify(SECRET, sha, payload, HMAC_SM3, now=now)
    # an SM3 tag passed off under the v1 label is not a SHA-256 signature either
    assert not verify(SECRET, {**sm3, "webhook-signature": f"v1,{tag}"}, payload, now=now)
    assert not verify(SECRET, sm3, payload + b" ", HMAC_SM3, now=now)
    assert not verify(OTHER, sm3, payload, HMAC_SM3, now=now)
    assert not verify(SECRET, sm3, payload, HMAC_SM3, now=now + FIVE_MINUTES + 1)
    # both in one header (a receiver moving to SM3): each MAC finds its own
    both = {**sm3, "webhook-signature": f"{sha['webhook-signature']} {sm3['webhook-signature']}"}
    assert verify(SECRET, both, payload, HMAC_SM3, now=now)
    assert verify(SECRET, both, payload, HMAC_SHA256, now=now)


# -- a receiver ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the receiver got it, and what it answered."""

    id: str
    outcome: str  # processed, duplicate, failed (500), rejected (401) or redirected
    status: int
    headers: dict[str, str]
    payload: bytes


class Receiver:
    """A webhook receiver on 127.0.0.1 (a real HTTP server in a thread), as a platform would
    write one: it checks each request's signature (401 if it does not verify) and processes
    each ``webhook-id`` once — a repeat is answered 200 and dropped. To exercise a sender, it
    answers 500 to the first request of each id in ``fail_first``, and it holds the answer to
    the first request of ``hold`` after processing it (``held`` is set) until ``release``;
    with ``redirect`` it answers every POST with that status, pointing to a page that answers
    a GET with 200 (as a login page or a moved site would)."""

    def __init__(self, secret: str, fail_first: set[str] | None = None,
                 hold: str | None = None, redirect: int | None = None) -> None:
        self.secret = secret
        self.redirect = redirect
        self.fail_first = set(fail_first or ())
        self.hold = hold
        self.held = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.requests: list[Seen] = []  # every request, as it arrived
        self.processed: list[str] = []  # the ids processed, in order
        self._failed: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/onething"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def answer(self, headers: dict[str, str], payload: bytes) -> tuple[int, bool]:
        """The status to answer a request with, and whether to hold the answer."""
        with self.lock:
            ident = headers.get("webhook-id", "")
            if not verify(self.secret, headers, payload):
                outcome, status = "rejected", 401
            elif self.redirect is not None:
                outcome, status = "redirected", self.redirect
            elif ident in self.fail_first and ident not in self._failed:
                self._failed.add(ident)
                outcome, status = "failed", 500
            elif ident in self.processed:
                outcome, status = "duplicate", 200
            else:
                self.processed.append(ident)
                outcome, status = "processed", 200
            self.requests.append(Seen(ident, outcome, status, headers, payload))
            hold = outcome == "processed" and ident == self.hold
        return status, hold

    def seen(self, outcome: str | None = None) -> list[tuple[str, str]]:
        """(id, outcome) of every request so far (of one outcome)."""
        with self.lock:
            return [(s.id, s.outcome) for s in self.requests
                    if outcome is None or s.outcome == outcome]

    def first_processed(self, ident: str) -> Seen:
        with self.lock:
            return next(s for s in self.requests if s.id == ident and s.outcome == "processed")


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    """The request handler of ``receiver``'s server."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, hold = receiver.answer(headers, payload)
            if hold:  # processed, but the sender hears nothing until released
                receiver.held.set()
                receiver.release.wait(timeout=60)
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("location", "/moved")
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender is gone (killed while its request was held)

        def do_GET(self) -> None:
            with receiver.lock:
                receiver.requests.append(Seen("", "got", 200, dict(self.headers.items()), b""))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    """Start receivers (with the tests' secret); each is stopped at the end."""
    started: list[Receiver] = []

    def start(**options: Any) -> Receiver:
        receiver = Receiver(SECRET, **options)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# -- the envelope -------------------------------------------------------------------------------

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]{1,20}$")
SOURCE = "urn:onething:hall:430381"


def check_structured(document: dict[str, Any], event: StatusEvent) -> None:
    """``document`` is a CloudEvents 1.0 JSON event (structured mode) of ``event``."""
    attributes = {k: v for k, v in document.items() if k not in ("data", "data_base64")}
    for name in ("specversion", "id", "source", "type"):  # required
        assert isinstance(attributes.get(name), str) and attributes[name], name
    assert attributes["specversion"] == "1.0"
    # names are lower-case ASCII letters and digits; every value here is a non-empty string
    # (String, URI-reference and Timestamp attributes; JSON null would mean absent)
    assert all(ATTRIBUTE_NAME.match(name) for name in attributes), sorted(attributes)
    assert all(isinstance(v, str) and v for v in attributes.values()), attributes
    assert not re.search(r"\s", attributes["source"])  # a URI-reference
    assert attributes["id"] == event.id
    assert attributes["source"] == SOURCE
    assert attributes["type"] == TYPE_PREFIX + event.type
    assert attributes["subject"] == event.case_id
    assert RFC3339.match(attributes["time"]), attributes["time"]
    moment = datetime.fromisoformat(attributes["time"])
    assert moment.utcoffset() is not None and moment == event.at
    # data is JSON in the event itself (not a string holding JSON)
    assert attributes["datacontenttype"] == "application/json"
    assert isinstance(document["data"], dict) and "data_base64" not in document
    data = document["data"]
    assert (data["case"], data["seq"], data["status"], data["code"], data["step"],
            data["department"]) == (event.case_id, event.seq, event.type, event.code,
                                    event.step, event.department)


def cloudevents_sdk() -> Any:
    """The CloudEvents SDK's HTTP binding (2.x); a part of the ``test`` extra, so only skipped
    outside CI when it is missing."""
    if os.environ.get("CI") == "true":
        from cloudevents.core.bindings import http
        return http
    return pytest.importorskip("cloudevents.core.bindings.http",
                               reason="pip install 'cloudevents>=2.2' (the test extra)")


def test_each_posted_request_is_a_cloudevents_1_0_structured_event(
        receivers: Callable[..., Receiver]) -> None:
    sdk = cloudevents_sdk()
    clock = FixedClock(START)
    engine = Engine(MemoryStore(), clock=clock)
    engine.subscribe("province")
    case_id = the_day(engine, clock)
    receiver = receivers()
    channel = WebhookChannel(receiver.url, SECRET, source=SOURCE)
    handled = engine.dispatch_events({"province": channel})
    events = engine.status_events(case_id)
    assert [(e.type, e.code, e.step, e.department) for e in events] == EXPECTED
    assert len(handled) == len(EXPECTED)
    assert receiver.processed == [e.id for e in events]
    for event in events:
        seen = receiver.first_processed(event.id)
        assert seen.headers["content-type"].split(";")[0].strip() == \
            "application/cloudevents+json"
        assert "ce-id" not in seen.headers  # structured mode: the attributes are in the body
        assert seen.payload == body(event, SOURCE)
        document = json.loads(seen.payload)
        assert document == envelope(event, SOURCE)
        check_structured(document, event)
        # the CloudEvents SDK reads the request as it came over the wire (and validates it)
        parsed = sdk.from_http_event(sdk.HTTPMessage(seen.headers, seen.payload))
        assert (parsed.get_specversion(), parsed.get_id(), parsed.get_source(),
                parsed.get_type(), parsed.get_subject(), parsed.get_datacontenttype()) == \
            ("1.0", event.id, SOURCE, TYPE_PREFIX + event.type, case_id, "application/json")
        assert parsed.get_time() == event.at and parsed.get_time().utcoffset() is not None
        assert parsed.get_data() == document["data"]
        assert parsed.get_dataschema() is None
    assert {n.status for n in engine.notifications(case_id=case_id)} == {"sent"}


# -- a failing receiver -------------------------------------------------------------------------


def test_a_webhook_answering_500_then_200_processes_the_event_once(
        any_store: Store, receivers: Callable[..., Receiver]) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock)
    engine.deploy(STARTUP)
    engine.subscribe("province")
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                         actor=applicant("430381199001011234"))
    engine.accept(case.id, window("market_regulation", "w1"))
    first, second = f"{case.id}/1", f"{case.id}/2"
    receiver = receivers(fail_first={first})
    channels = {"province": WebhookChannel(receiver.url, SECRET)}

    handled = engine.dispatch_events(channels)  # at START: both due, the first answered 500
    assert [n.id for n in handled] == [f"{first}@province"]
    rows = {n.seq: n for n in engine.notifications(case_id=case.id)}
    assert (rows[1].status, rows[1].attempts) == ("pending", 1)
    assert "HTTP 500" in rows[1].last_error
    retry_at = rows[1].next_attempt_at
    assert retry_at is not None
    assert START + timedelta(seconds=15) <= retry_at <= START + timedelta(seconds=45)
    # in order: the second, due as well, waits behind the first, unsent
    assert (rows[2].status, rows[2].attempts) == ("pending", 0)
    assert rows[2].next_attempt_at is not None and rows[2].next_attempt_at <= START
    assert receiver.seen() == [(first, "failed")]

    assert engine.dispatch_events(channels, now=retry_at - timedelta(seconds=1)) == []
    handled = engine.dispatch_events(channels, now=retry_at)
    assert [n.id for n in handled] == [f"{first}@province", f"{second}@province"]
    rows = {n.seq: n for n in engine.notifications(case_id=case.id)}
    assert (rows[1].status, rows[1].attempts, rows[1].result) == ("sent", 2, "http 200")
    assert (rows[2].status, rows[2].attempts) == ("sent", 1)
    assert receiver.processed == [first, second]
    assert receiver.seen() == [(first, "failed"), (first, "processed"), (second, "processed")]
    assert engine.dispatch_events(channels, now=retry_at + timedelta(days=1)) == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failure_not_a_delivery(
        status: int, receivers: Callable[..., Receiver]) -> None:
    """Standard Webhooks 1.0, "Delivery success and failure": only a 2xx is a success, and a
    3xx is a failure (redirects are not followed: the URL is to be updated instead)."""
    receiver = receivers(redirect=status)
    event = StatusEvent("c1", 1, START, "submitted", 1, "w", 1)
    with pytest.raises(WebhookRefused, match=f"HTTP {status}"):
        WebhookChannel(receiver.url, SECRET).send(event, None)
    assert receiver.seen() == [("c1/1", "redirected")]


# -- done when: a killed dispatcher process --------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An SQLite file, or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "cases.sqlite3")
    url: str = request.getfixturevalue("pg_database")
    return url


def start_worker(target: str, receiver: Receiver, stop: Path, skew: float,
                 log: Path) -> subprocess.Popen[bytes]:
    """A dispatcher in a process of its own (tests/notify/webhook_worker.py)."""
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", WORKER, target, receiver.url, SECRET, str(stop), str(skew),
             "60"], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT)


def test_a_killed_dispatcher_loses_nothing_and_each_event_is_processed_once_in_order(
        store_target: str, receivers: Callable[..., Receiver], tmp_path: Path) -> None:
    store = open_store(store_target)
    workers: list[subprocess.Popen[bytes]] = []
    log = tmp_path / "workers.log"
    try:
        clock = FixedClock(START)
        engine = Engine(store, clock=clock)
        engine.subscribe("province")  # before the case: every one of its events is wanted
        case_id = the_day(engine, clock)
        ids = [f"{case_id}/{seq}" for seq in range(1, len(EXPECTED) + 1)]

        def rows() -> dict[int, tuple[str, int]]:
            return {n.seq: (n.status, n.attempts)
                    for n in engine.notifications(subscription="province", case_id=case_id)}

        listed = engine.notifications(subscription="province", case_id=case_id)
        assert [(n.event.type, n.event.code, n.event.step, n.event.department)
                for n in listed if n.event is not None] == EXPECTED
        assert rows() == {seq: ("pending", 0) for seq in range(1, 13)}

        # the receiver answers 500 to the first request of event 3, and holds its answer to
        # event 7 (processed: the platform has it) while the worker is killed
        receiver = receivers(fail_first={ids[2]}, hold=ids[6])
        # a forger who knows an event's id but not the secret is refused, and does not take
        # the id: the real event 12 is processed later all the same
        forged = StatusEvent(case_id, 12, START, "delivered", 11, STARTUP.id, 1)
        with pytest.raises(WebhookRefused, match="HTTP 401"):
            WebhookChannel(receiver.url, OTHER).send(forged, None)
        assert receiver.seen() == [(ids[11], "rejected")] and receiver.processed == []

        def show() -> str:
            return f"receiver saw {receiver.seen()}\nworkers said:\n{log.read_text()}"

        stop = tmp_path / "stop"
        first = start_worker(store_target, receiver, stop, 0, log)
        workers.append(first)
        assert wait_for(lambda: receiver.held.is_set() or first.poll() is not None, 30), show()
        assert receiver.held.is_set(), show()
        # event 7 is processed and its answer is in flight: kill the worker now
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
        receiver.release.set()
        assert receiver.processed == ids[:7], show()
        assert receiver.seen("failed") == [(ids[2], "failed")], show()
        # the store never heard of event 7's answer: it is still pending (claimed by the dead
        # worker for its lease; the attempt counted as it began), with everything after it
        # held back behind it
        assert rows() == {**{seq: ("sent", 2 if seq == 3 else 1) for seq in range(1, 7)},
                          7: ("pending", 1),
                          **{seq: ("pending", 0) for seq in range(8, 13)}}, show()

        # a fresh worker. The dead one's claim on event 7 lasts its lease (60 s from the
        # moment it dispatched as of); dispatch_events does not take a lease, so the new
        # worker dispatches as of two days on (its clock skewed): the lease is over, and event
        # 7 goes again — a repeat the receiver answers 200 and drops
        second = start_worker(store_target, receiver, stop, 2 * 86400, log)
        workers.append(second)
        assert wait_for(lambda: second.poll() is not None or
                        all(s == "sent" for s, _ in rows().values()), 30), show()
        stop.touch()
        assert second.wait(timeout=15) == 0, show()

        # every status event processed exactly once, in seq order
        assert receiver.processed == ids, show()
        # what went over the wire: the forgery, a 500 then its retry, and event 7 twice
        assert receiver.seen() == [
            (ids[11], "rejected"), (ids[0], "processed"), (ids[1], "processed"),
            (ids[2], "failed"), (ids[2], "processed"), *((i, "processed") for i in ids[3:7]),
            (ids[6], "duplicate"), *((i, "processed") for i in ids[7:])], show()
        # every request the workers made was signed with the secret and is the event's body
        events = {e.id: e for e in store.status_events(case_id)}
        for seen in receiver.requests[1:]:
            assert verify(SECRET, seen.headers, seen.payload), seen
            assert seen.payload == body(events[seen.id]), seen.id
        assert all(s.status == 401 for s in receiver.requests if s.outcome == "rejected")
        assert {s.id for s in receiver.requests if s.outcome == "rejected"} == {ids[11]}
        # every notification is sent; event 3 took two attempts, and so did event 7 (the
        # killed worker's began, and counts)
        final = rows()
        assert {status for status, _ in final.values()} == {"sent"}, final
        assert {seq: n for seq, (_, n) in final.items() if n != 1} == {3: 2, 7: 2}, final
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
        store.close()
