"""Authorization over HTTP, for every operation the OpenAPI document lists: the identity the
host's authenticator gives reaches the library's rule (docs/roles.md) — on a case where the
action is possible, a person who may not is answered 403 with the rule's code and the person
who may is let through; a request without an identity is 401.

Three actions need a workflow feature the enterprise start-up does not have (a send-back, a
commitment, green-channel milestones): over HTTP they are checked for 401 and for letting the
allowed person reach the engine (409: not possible on this case); the engine's roles matrix
(tests/engine/test_roles.py) tries them, like every action, as every kind of actor."""

from __future__ import annotations

import re
from typing import Any

import pytest

from onething.stores.memory import MemoryStore
from tests.support.web import PARALLEL, PEOPLE, app_on, as_, client, submission

#: (method, path, body, who may not, who may, the case's state): {case} and {number} are
#: filled in; "" for who may not: nobody signed in is the only refusal checked
TABLE: list[tuple[str, ...] | tuple[Any, ...]] = [
    ("post", "/api/v1/cases", "submission", "tax-01", "zhang-san"),
    ("get", "/api/v1/cases/{case}", None, "stranger", "zhang-san"),
    ("get", "/api/v1/cases/{case}/form", None, "stranger", "window-3"),
    ("get", "/api/v1/cases/{case}/history", None, "outsider", "reg-01"),
    ("get", "/api/v1/cases/{case}/events", None, "stranger", "zhang-san"),
    ("get", "/api/v1/cases/{case}/notices", None, "outsider", "zhang-san"),
    ("get", "/api/v1/cases/{case}/notices/{number}", None, "stranger", "zhang-san"),
    ("get", "/api/v1/cases/{case}/supervision", None, "stranger", "mr-chief"),
    ("get", "/api/v1/cases/{case}/lookup-code", None, "reg-01", "window-3"),
    ("post", "/api/v1/cases/{case}/accept", None, "tax-01", "window-3", "submitted"),
    ("post", "/api/v1/cases/{case}/refuse-intake", {"reason": "r"}, "reg-01", "window-3",
     "submitted"),
    ("post", "/api/v1/cases/{case}/intake-correction", {"items": {"address_proof": "x"}},
     "zhang-san", "window-3", "submitted"),
    ("post", "/api/v1/cases/{case}/steps/registration/decide", {"outcome": "approve"},
     "tax-01", "reg-01", "accepted"),
    ("post", "/api/v1/cases/{case}/steps/registration/send-back", {"reason": "r"},
     "", "reg-01", "accepted"),
    ("post", "/api/v1/cases/{case}/steps/registration/special-procedure",
     {"kind": "hearing", "expected": "5 WD"}, "tax-01", "reg-01", "accepted"),
    ("post", "/api/v1/cases/{case}/steps/registration/verify-commitment", {"ok": True},
     "", "reg-01", "accepted"),
    ("post", "/api/v1/cases/{case}/steps/registration/claim", None, "tax-01", "reg-01",
     "accepted"),
    ("post", "/api/v1/cases/{case}/steps/registration/release", None, "tax-01", "reg-01",
     "claimed"),
    ("post", "/api/v1/cases/{case}/steps/registration/assign", {"officer": "reg-02"},
     "reg-01", "mr-chief", "accepted"),
    ("post", "/api/v1/cases/{case}/steps/registration/milestones", {"milestone": "arrange"},
     "", "reg-01", "accepted"),
    ("post", "/api/v1/cases/{case}/extend", {"amount": "5 WD", "step": "registration",
                                             "reason": "r"}, "reg-01", "mr-chief", "accepted"),
    ("post", "/api/v1/cases/{case}/supplement", {"step": "registration",
                                                 "materials": {"address_proof": "ref:new"}},
     "stranger", "zhang-san", "correction"),
    ("post", "/api/v1/cases/{case}/withdraw", {"reason": "r"}, "stranger", "zhang-san",
     "submitted"),
    ("post", "/api/v1/cases/{case}/deliver", {}, "tax-01", "window-3", "approved"),
    ("post", "/api/v1/cases/{case}/evaluate", {"rating": 5}, "stranger", "zhang-san",
     "delivered"),
    ("post", "/api/v1/cases/{case}/agents", {"agent": "agent-9"}, "stranger", "zhang-san",
     "submitted"),
    ("post", "/api/v1/cases/{case}/erase", None, "tax-01", "mr-chief", "delivered"),
    ("get", "/api/v1/workflows", None, "", "window-3"),
    ("get", "/api/v1/workflows/enterprise-startup", None, "", "zhang-san"),
    ("get", "/api/v1/queues/intake/market_regulation", None, "reg-01", "window-3"),
    ("get", "/api/v1/queues/work/market_regulation", None, "window-3", "reg-01"),
    ("get", "/api/v1/queues/alerts/market_regulation", None, "reg-01", "mr-chief"),
    ("get", "/api/v1/queues/joint/enterprise-startup", None, "mr-chief", "gov-head"),
    ("post", "/api/v1/search", {"number": "x"}, "zhang-san", "window-3"),
    ("get", "/api/v1/statistics", None, "window-3", "mr-chief"),
]
#: open to anybody (the lookup checks its code, under its attempt limit)
OPEN = {("post", "/api/v1/lookup")}


@pytest.fixture(scope="module")
def api() -> Any:
    return client(app_on(MemoryStore(), authenticator=PEOPLE))


def case_in(api: Any, state: str) -> str:
    """A new case brought to ``state`` through the API."""
    case_id = str(api.post("/api/v1/cases", json=submission(),
                           headers=as_("zhang-san")).json()["case"])

    def do(path: str, user: str, body: Any = None) -> None:
        done = api.post(f"/api/v1/cases/{case_id}/{path}", json=body, headers=as_(user))
        assert done.status_code == 200, done.text

    if state == "submitted":
        return case_id
    do("accept", "window-3")
    if state == "claimed":
        do("steps/registration/claim", "reg-01")
    elif state == "correction":
        do("steps/registration/decide", "reg-01", {"outcome": "request_correction",
                                                     "reason": "unsigned"})
    elif state in ("approved", "delivered"):
        do("steps/registration/decide", "reg-01", {"outcome": "approve"})
        for step, officer_id in PARALLEL:
            do(f"steps/{step}/decide", officer_id, {"outcome": "approve"})
        if state == "delivered":
            do("deliver", "window-3", {})
    return case_id


def _call(api: Any, case_id: str, method: str, path: str, body: Any, user: str) -> Any:
    number = "-"
    if "{number}" in path:
        number = api.get(f"/api/v1/cases/{case_id}/notices",
                         headers=as_("zhang-san")).json()[0]["number"]
    url = path.replace("{case}", case_id).replace("{number}", number)
    payload = body
    if body == "submission":  # staff submit for the applicant they name
        payload = submission() if user in ("zhang-san", "") else submission(applicant="li-si")
    headers = as_(user) if user else {}
    return api.request(method.upper(), url, json=payload, headers=headers)


def test_the_table_covers_every_operation_of_the_document(api: Any) -> None:
    document = api.get("/api/v1/openapi.json").json()
    listed = {(method, path.replace("{case_id}", "{case}"))
              for path, item in document["paths"].items() for method in item}
    table = {(row[0], re.sub(r"/enterprise-startup$", "/{workflow_id}",
                             re.sub(r"/(market_regulation)$", "/{department}",
                                    row[1].replace("/registration/", "/{step}/"))))
             for row in TABLE}
    assert listed - OPEN == table


@pytest.mark.parametrize("row", TABLE, ids=[f"{row[0]} {row[1]}" for row in TABLE])
def test_who_may_not_is_refused_and_who_may_is_let_through(api: Any, row: tuple[Any, ...]
                                                           ) -> None:
    method, path, body, refused, allowed = row[:5]
    state = row[5] if len(row) > 5 else "accepted"
    case_id = case_in(api, state)
    nobody = _call(api, case_id, method, path, body, "")
    assert nobody.status_code == 401, nobody.text
    if refused:
        answer = _call(api, case_id, method, path, body, refused)
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"].startswith("refused.") and \
            ".not_" in answer.json()["code"], answer.json()["code"]
    let_through = _call(api, case_id, method, path, body, allowed)
    assert let_through.status_code not in (401, 403), let_through.text
    if refused:  # on the case where the action is possible, the allowed person acts
        assert let_through.status_code < 300 or path.endswith("/erase"), let_through.text
