"""The HTTP API on each store: one case from the one form to its one delivery, every answer
checked against the schema the served OpenAPI document declares for it; problems (RFC 9457)
with their codes in both languages; Idempotency-Key and If-Match (a known key is answered
before the version is checked); the request limits."""

from __future__ import annotations

from typing import Any

import pytest

from onething.stores.base import Store
from tests.support.web import (
    PARALLEL,
    app_on,
    as_,
    client,
    submission,
    submitted,
    validate,
)

ID_NUMBER = "430381199001011234"


@pytest.fixture
def api(any_store: Store) -> Any:
    return client(app_on(any_store))


def test_one_case_from_the_form_to_its_one_delivery(api: Any) -> None:
    document = api.get("/api/v1/openapi.json").json()
    answer = api.post("/api/v1/cases", json=submission(), headers=as_("zhang-san"))
    assert answer.status_code == 201
    validate(document, "submitted", answer.json())
    case_id = answer.json()["case"]
    assert answer.headers["Location"] == f"/api/v1/cases/{case_id}"
    assert answer.headers["ETag"] == '"0"'

    def step(path: str, user: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        done = api.post(f"/api/v1/cases/{case_id}/{path}", json=body, headers=as_(user))
        assert done.status_code == 200, done.text
        validate(document, "action", done.json())
        assert done.headers["ETag"] == f'"{done.json()["version"]}"'
        return dict(done.json())

    step("accept", "window-3")
    step("steps/registration/decide", "reg-01", {"outcome": "approve"})
    for name, officer in PARALLEL:
        step(f"steps/{name}/decide", officer, {"outcome": "approve"})
    last = step("deliver", "window-3")  # no body: as the form chose
    assert last["ended"] is True and last["delivery"] == "result"

    summary = api.get(f"/api/v1/cases/{case_id}", headers=as_("window-3"))
    validate(document, "status", summary.json())
    assert summary.json()["status"] == "ended"
    assert summary.headers["ETag"] == f'"{summary.json()["case_version"]}"'
    history = api.get(f"/api/v1/cases/{case_id}/history", headers=as_("zhang-san")).json()
    validate(document, "history", history)
    assert [e["action"] for e in history].count("deliver") == 1
    events = api.get(f"/api/v1/cases/{case_id}/events", headers=as_("zhang-san")).json()
    validate(document, "events", events)
    later = api.get(f"/api/v1/cases/{case_id}/events?after={events[1]['seq']}",
                    headers=as_("zhang-san")).json()
    assert later == events[2:]
    notices = api.get(f"/api/v1/cases/{case_id}/notices", headers=as_("zhang-san")).json()
    validate(document, "notices", notices)
    page = api.get(f"/api/v1/cases/{case_id}/notices/{notices[0]['number']}",
                   headers=as_("zhang-san"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    form = api.get(f"/api/v1/cases/{case_id}/form", headers=as_("window-3")).json()
    validate(document, "view", form)
    assert ID_NUMBER not in str(form) and form["fields"]["company_name"]
    records = api.get(f"/api/v1/cases/{case_id}/supervision", headers=as_("mr-chief")).json()
    validate(document, "supervision", records)
    assert records and all(r["case"] == case_id for r in records)


def test_the_queues_and_the_search_answer_as_declared(api: Any) -> None:
    document = api.get("/api/v1/openapi.json").json()
    answer = api.post("/api/v1/cases", json=submission(applicant=ID_NUMBER),
                      headers=as_("window-3"))  # the window submits for the applicant
    case_id = answer.json()["case"]
    intake = api.get("/api/v1/queues/intake/market_regulation", headers=as_("window-3"))
    validate(document, "queue", intake.json())
    assert [i["case_id"] for i in intake.json()["items"]] == [case_id]
    api.post(f"/api/v1/cases/{case_id}/accept", headers=as_("window-3"))
    work = api.get("/api/v1/queues/work/market_regulation", headers=as_("reg-01")).json()
    validate(document, "queue", work)
    assert [(i["case_id"], i["step"]) for i in work["items"]] == [(case_id, "registration")]
    alerts = api.get("/api/v1/queues/alerts/market_regulation", headers=as_("mr-chief")).json()
    validate(document, "queue", alerts)
    found = api.post("/api/v1/search", json={"applicant": ID_NUMBER},
                     headers=as_("window-3")).json()
    validate(document, "cases", found)
    assert [i["case_id"] for i in found["items"]] == [case_id]
    workflows = api.get("/api/v1/workflows", headers=as_("window-3")).json()
    validate(document, "workflows", workflows)
    assert [w["id"] for w in workflows] == ["enterprise-startup"]


def test_a_rejected_form_is_one_problem_listing_every_problem(api: Any) -> None:
    bad = submission()
    bad["form"] = {**bad["form"], "company_name": "", "legal_person_id": "12345"}
    answer = api.post("/api/v1/cases", json=bad, headers=as_("zhang-san"))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    validate(api.get("/api/v1/openapi.json").json(), "problem", body)
    assert body["code"] == "submission.case.rejected"
    assert body["type"] == "urn:onething:problem:submission.case.rejected"
    assert {p["name"] for p in body["problems"]} >= {"company_name", "legal_person_id"}
    assert body["text"]["zh"] == body["detail"] and body["text"]["en"]
    english = api.post("/api/v1/cases", json=bad,
                       headers=as_("zhang-san", **{"Accept-Language": "en-US,zh;q=0.5"}))
    assert english.json()["detail"] == body["text"]["en"]
    assert english.json()["title"] == "Unprocessable content"


@pytest.mark.parametrize(("request_", "status", "code"), [
    (("GET", "/api/v1/cases/nope", None), 404, "missing.case.unknown"),
    (("GET", "/api/v1/nowhere", None), 404, "missing.case.not_found"),
    (("POST", "/api/v1/cases", {"workflow": "nothing", "form": {}, "applicant": "a"}), 404,
     "missing.case.unknown_workflow"),
    (("POST", "/api/v1/cases", {"workflow": "x", "form": {}, "surplus": 1}), 422,
     "invalid.case.request"),
    (("POST", "/api/v1/cases", "not a form"), 422, "invalid.case.request"),
    (("DELETE", "/api/v1/cases", None), 405, "invalid.case.request"),
])
def test_every_error_is_a_problem_with_a_code(api: Any, request_: tuple[str, str, Any],
                                              status: int, code: str) -> None:
    method, path, body = request_
    answer = api.request(method, path, json=body, headers=as_("window-3"))
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code and answer.json()["status"] == status
    validate(api.get("/api/v1/openapi.json").json(), "problem", answer.json())


def test_no_identity_is_401_and_a_wrong_one_403_recorded(api: Any) -> None:
    case_id = submitted(api)
    nobody = api.post(f"/api/v1/cases/{case_id}/accept")
    assert nobody.status_code == 401 and nobody.json()["code"] == "refused.case.not_authenticated"
    unknown = api.post(f"/api/v1/cases/{case_id}/accept", headers=as_("somebody-else"))
    assert unknown.status_code == 401
    wrong = api.post(f"/api/v1/cases/{case_id}/accept", headers=as_("tax-01"))
    assert wrong.status_code == 403 and wrong.json()["code"] == "refused.case.not_window"
    history = api.get(f"/api/v1/cases/{case_id}/history", headers=as_("window-3")).json()
    assert [e["action"] for e in history] == ["submit", "refused_attempt"]


def test_a_stale_if_match_is_412_and_writes_nothing(api: Any) -> None:
    case_id = submitted(api)
    stale = api.post(f"/api/v1/cases/{case_id}/accept",
                     headers=as_("window-3", **{"If-Match": '"7"'}))
    assert stale.status_code == 412
    assert stale.json()["code"] == "refused.case.version_changed"
    assert stale.json()["current_version"] == 0 and stale.headers["ETag"] == '"0"'
    history = api.get(f"/api/v1/cases/{case_id}/history", headers=as_("window-3")).json()
    assert [e["action"] for e in history] == ["submit"]
    fresh = api.post(f"/api/v1/cases/{case_id}/accept",
                     headers=as_("window-3", **{"If-Match": '"0"'}))
    assert fresh.status_code == 200 and fresh.json()["version"] == 1
    assert api.post(f"/api/v1/cases/{case_id}/accept",
                    headers=as_("window-3", **{"If-Match": "*"})).status_code == 409
    malformed = api.post(f"/api/v1/cases/{case_id}/accept",
                         headers=as_("window-3", **{"If-Match": "W/\"1\""}))
    assert malformed.status_code == 400


def test_a_known_idempotency_key_is_answered_before_if_match(api: Any) -> None:
    case_id = submitted(api)
    headers = as_("window-3", **{"Idempotency-Key": "accept-1", "If-Match": '"0"'})
    first = api.post(f"/api/v1/cases/{case_id}/accept", headers=headers)
    assert first.status_code == 200
    again = api.post(f"/api/v1/cases/{case_id}/accept", headers=headers)  # "0" is stale now
    assert again.status_code == 200 and again.json() == first.json()
    history = api.get(f"/api/v1/cases/{case_id}/history", headers=as_("window-3")).json()
    assert [e["action"] for e in history] == ["submit", "accept"]
    other = api.post(f"/api/v1/cases/{case_id}/refuse-intake", json={"reason": "x"},
                     headers=as_("window-3", **{"Idempotency-Key": "accept-1"}))
    assert other.status_code == 422 and other.json()["code"] == "refused.case.key_reused"


def test_a_repeated_submission_with_its_key_opens_one_case(api: Any) -> None:
    headers = as_("zhang-san", **{"Idempotency-Key": "form-1"})
    first = api.post("/api/v1/cases", json=submission(), headers=headers)
    again = api.post("/api/v1/cases", json=submission(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()


def test_a_request_body_over_the_limit_is_413_before_it_is_read(api: Any) -> None:
    from onething.web.guard import MAX_BODY

    answer = api.post("/api/v1/cases", content=b"{" + b" " * MAX_BODY + b"}",
                      headers=as_("zhang-san", **{"content-type": "application/json"}))
    assert answer.status_code == 413 and answer.json()["code"] == "invalid.case.request"
    chunked = api.post("/api/v1/cases", content=iter([b" " * (MAX_BODY // 2)] * 3),
                       headers=as_("zhang-san", **{"content-type": "application/json"}))
    assert chunked.status_code == 413


def test_every_answer_carries_the_safe_headers(api: Any) -> None:
    for answer in (api.get("/api/v1/openapi.json"), api.get("/api/v1/cases/x"),
                   api.get("/")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_the_openapi_document_covers_every_operation_with_problems() -> None:
    from onething.stores.memory import MemoryStore

    api = client(app_on(MemoryStore()))
    document = api.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    operations = [(path, method, op) for path, item in document["paths"].items()
                  for method, op in item.items()]
    assert len(operations) >= 30
    for path, method, op in operations:
        assert op["responses"]["default"]["content"]["application/problem+json"], (path, method)
        assert "422" not in op["responses"] or "problem" in str(op["responses"]["422"])
        assert op.get("description") or op.get("summary"), (path, method)
    names = set(document["components"]["schemas"])
    referenced = {ref.rsplit("/", 1)[-1] for ref in _refs(document)}
    assert referenced <= names
    actions = [op for path, method, op in operations if "/cases/{case_id}/" in path
               and method == "post"]
    for op in actions:
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert {"Idempotency-Key", "If-Match"} <= headers, op["operationId"]


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "$ref"] + \
            [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_extensions_by_the_steps_supervisor_and_by_the_government_head(api: Any) -> None:
    case_id = submitted(api)
    api.post(f"/api/v1/cases/{case_id}/accept", headers=as_("window-3"))
    api.post(f"/api/v1/cases/{case_id}/steps/registration/decide", json={"outcome": "approve"},
             headers=as_("reg-01"))
    summary = api.get(f"/api/v1/cases/{case_id}", headers=as_("tax-chief")).json()
    offered = {(a["action"], a["step"], t["role"]) for a in summary["actions"] for t in a["who"]
               if a["action"] == "extend"}
    assert ("extend", "tax", "supervisor") in offered and ("extend", None, "government_head") \
        in offered
    step = api.post(f"/api/v1/cases/{case_id}/extend",
                    json={"step": "tax", "amount": "2 WD", "reason": "需现场核查"},
                    headers=as_("tax-chief"))
    assert step.status_code == 200, step.text
    case = api.post(f"/api/v1/cases/{case_id}/extend",
                    json={"amount": "15 WD", "reason": "联合办理，情况复杂"},
                    headers=as_("gov-head"))
    assert case.status_code == 200, case.text
    refused = api.post(f"/api/v1/cases/{case_id}/extend",
                       json={"amount": "15 WD", "reason": "x"}, headers=as_("mr-chief"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "refused.case.not_government_head"
    joint = api.get("/api/v1/queues/joint/enterprise-startup", headers=as_("gov-head")).json()
    assert [i["case_id"] for i in joint["items"]] == [case_id]


@pytest.mark.parametrize(("headers", "refused"), [
    ({}, False),  # a script or a server: no browser header
    ({"Origin": "http://testserver"}, False),
    ({"Origin": "http://evil.example"}, True),
    ({"Origin": "null"}, True),
    ({"Sec-Fetch-Site": "cross-site"}, True),
    ({"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}, False),
    ({"Origin": "https://hall.gov.example", "X-Forwarded-Host": "hall.gov.example"}, False),
])
def test_a_change_from_another_sites_page_is_refused(headers: dict[str, str],
                                                     refused: bool) -> None:
    from onething.stores.memory import MemoryStore

    api = client(app_on(MemoryStore()))
    answer = api.post("/api/v1/cases", json=submission(), headers=as_("zhang-san", **headers))
    if refused:
        assert answer.status_code == 403 and answer.json()["code"] == "refused.case.csrf"
    else:
        assert answer.status_code == 201, answer.text
    assert api.get("/api/v1/workflows", headers=as_("zhang-san", **headers)).status_code == 200


def test_the_lookup_code_is_for_the_lead_window_and_the_applicant(api: Any) -> None:
    document = api.get("/api/v1/openapi.json").json()
    case_id = submitted(api)
    api.post(f"/api/v1/cases/{case_id}/accept", headers=as_("window-3"))
    given = api.get(f"/api/v1/cases/{case_id}/lookup-code", headers=as_("window-3")).json()
    validate(document, "lookup_code", given)
    kept = api.get(f"/api/v1/cases/{case_id}/lookup-code", headers=as_("zhang-san")).json()
    assert given == kept
    refused = api.get(f"/api/v1/cases/{case_id}/lookup-code", headers=as_("reg-01"))
    assert refused.status_code == 403
    found = api.post("/api/v1/lookup", json={"case": case_id, "code": given["lookup_code"]})
    assert found.status_code == 200


def test_a_workflows_form_says_what_a_submission_holds(api: Any) -> None:
    document = api.get("/api/v1/openapi.json").json()
    form = api.get("/api/v1/workflows/enterprise-startup", headers=as_("zhang-san")).json()
    validate(document, "workflow", form)
    fields = {f["name"]: f for f in form["fields"]}
    assert fields["legal_person_id"]["personal"] and fields["company_name"]["required"]
    assert fields["company_type"]["values"] == ["limited_company", "sole_proprietorship",
                                                "partnership"]
    built = {f["name"]: submission()["form"][f["name"]] for f in form["fields"]
             if f["name"] in submission()["form"]}
    materials = {m["name"]: f"ref:{m['name']}" for m in form["materials"]}
    done = api.post("/api/v1/cases", json={"workflow": form["id"], "form": built,
                                           "materials": materials}, headers=as_("zhang-san"))
    assert done.status_code == 201, done.text
