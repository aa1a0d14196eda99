"""Who may see the hall's lists (cases/hall_access.py), the authenticators (identity is the
host's: a gateway's header, trusted only with its secret when one is set; the development
list), and the attempt limit of the progress lookup."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onething.cases.hall_access import may_search, may_see_alerts, may_see_intake, may_see_queue
from onething.cases.records import Actor, Role, agent, applicant, officer, supervisor, window
from onething.errors import NotAuthorized
from onething.stores.memory import MemoryStore
from onething.web.attempts import PER_CASE, PER_CLIENT, WINDOW, Attempts
from onething.web.identity import ACTOR_HEADER, GATEWAY_HEADER, TrustedHeaders, actor_from_text
from tests.support.web import app_on, as_, client, submission

HEAD = Actor(Role.GOVERNMENT_HEAD, "h", "government")
PEOPLE = [applicant("a"), agent("b"), window("tax", "w"), officer("tax", "o"),
          supervisor("tax", "s"), window("bank", "w"), officer("bank", "o"),
          supervisor("bank", "s"), HEAD]


@pytest.mark.parametrize(("rule", "allowed"), [
    (may_see_queue, {"department:o@tax", "supervisor:s@tax"}),
    (may_see_intake, {"window:w@tax", "supervisor:s@tax"}),
    (may_see_alerts, {"supervisor:s@tax"}),
])
def test_a_departments_lists_are_its_staffs(rule: Any, allowed: set[str]) -> None:
    for person in PEOPLE:
        if str(person) in allowed:
            rule(person, "tax")
        else:
            with pytest.raises(NotAuthorized) as refused:
                rule(person, "tax")
            assert refused.value.code == "refused.case.not_hall_staff"
            assert refused.value.params["department"] == "tax"


def test_the_search_is_the_windows_and_the_supervisors() -> None:
    for person in PEOPLE:
        if person.role in (Role.WINDOW, Role.SUPERVISOR):
            may_search(person)
        else:
            with pytest.raises(NotAuthorized, match="may not search"):
                may_search(person)


class _Request:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.cookies: dict[str, str] = {}


def _lower(headers: dict[str, str]) -> Any:
    class Headers(dict[str, str]):
        def get(self, key: str, default: Any = None) -> Any:
            return super().get(key.lower(), default)
    request = _Request(headers)
    request.headers = Headers(request.headers)
    return request


def test_trusted_headers_name_the_person_only_with_the_gateways_secret() -> None:
    open_ = TrustedHeaders()
    assert open_.identify(_lower({ACTOR_HEADER: "window:li@tax"})) == window("tax", "li")
    assert open_.identify(_lower({})) is None
    guarded = TrustedHeaders(secret="s3cret")
    assert guarded.identify(_lower({ACTOR_HEADER: "window:li@tax"})) is None
    assert guarded.identify(_lower({ACTOR_HEADER: "window:li@tax",
                                    GATEWAY_HEADER: "wrong"})) is None
    assert guarded.identify(_lower({ACTOR_HEADER: "window:li@tax",
                                    GATEWAY_HEADER: "s3cret"})) == window("tax", "li")


@pytest.mark.parametrize("text", ["", "window:li", "system:tick", "nobody:x@y", "department",
                                  "applicant:", "%FF%FE", "window:@tax"])
def test_a_header_that_names_nobody_is_no_identity(text: str) -> None:
    assert actor_from_text(text) is None


def test_a_percent_encoded_name_is_read_as_utf8() -> None:
    assert actor_from_text("window:%E6%9D%8E@tax") == window("tax", "李")


def test_over_http_a_gateway_header_without_its_secret_is_401() -> None:
    api = client(app_on(MemoryStore(), authenticator=TrustedHeaders(secret="s3cret")))
    headers = {ACTOR_HEADER: "applicant:zhang"}
    refused = api.post("/api/v1/cases", json=submission(), headers=headers)
    assert refused.status_code == 401
    done = api.post("/api/v1/cases", json=submission(),
                    headers={**headers, GATEWAY_HEADER: "s3cret"})
    assert done.status_code == 201
    dev = api.post("/api/v1/cases", json=submission(), headers=as_("zhang-san"))
    assert dev.status_code == 401  # the development list is not this server's


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_past_the_limit_wait_until_the_window_has_passed() -> None:
    clock = Clock()
    attempts = Attempts(clock)
    keys = {"case:x": PER_CASE, "client:1": PER_CLIENT}
    for _ in range(PER_CASE):
        assert attempts.wait(keys) == 0
        attempts.failed(*keys)
        clock.now += 1
    wait = attempts.wait(keys)
    assert 0 < wait <= WINDOW
    clock.now += wait
    assert attempts.wait(keys) == 0
    assert attempts.wait({"case:other": PER_CASE}) == 0


@given(st.lists(st.floats(min_value=0, max_value=3 * WINDOW), max_size=40))
def test_never_more_than_the_limit_within_any_window(gaps: list[float]) -> None:
    clock = Clock()
    attempts = Attempts(clock)
    tried: list[float] = []
    for gap in gaps:
        clock.now += gap
        if attempts.wait({"k": 3}) == 0:
            attempts.failed("k")
            tried.append(clock.now)
    for start in tried:
        assert sum(1 for t in tried if start <= t < start + WINDOW) <= 3


def test_the_lookup_over_http_counts_failures_and_answers_unknown_cases_alike() -> None:
    app = app_on(MemoryStore())
    api = client(app)
    case_id = api.post("/api/v1/cases", json=submission(), headers=as_("zhang-san")).json()["case"]
    code = app.state.engine.lookup_code(case_id)
    found = api.post("/api/v1/lookup", json={"case": case_id, "code": code.lower()})
    assert found.status_code == 200 and found.json()["summary"]["case_id"] == case_id
    unknown = api.post("/api/v1/lookup", json={"case": "no-such", "code": code})
    wrong = api.post("/api/v1/lookup", json={"case": case_id, "code": "AAAAA-AAAAA"})
    assert unknown.status_code == wrong.status_code == 403
    assert unknown.json()["detail"] == wrong.json()["detail"]
    for _ in range(PER_CASE - 1):
        api.post("/api/v1/lookup", json={"case": case_id, "code": "AAAAA-AAAAA"})
    limited = api.post("/api/v1/lookup", json={"case": case_id, "code": code})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.json()["code"] == "refused.case.too_many_attempts"
