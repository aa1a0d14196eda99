"""An adversarial review of the HTTP layer (docs/http.md, docs/roles.md): each test here
states what the contract promises and fails while the server does otherwise. Each docstring
says what is wrong and why it matters."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from onething.web.attempts import PER_CASE
from onething.web.identity import ACTOR_HEADER, TrustedHeaders
from tests.support.web import (
    PARALLEL,
    PEOPLE,
    FormPoster,
    app_on,
    as_,
    client,
    submission,
    submitted,
    validate,
)

ID_NUMBER, PHONE = "430381199001011234", "13800138000"


# -- authorization ----------------------------------------------------------------------------


def test_an_applicant_cannot_submit_a_case_in_another_persons_name() -> None:
    """roles.md: an applicant submits *their own* case; only an agent or the lead window
    submits for ``applicant``. But ``POST /api/v1/cases`` passes the body's ``applicant``
    straight to ``Engine.submit``, which records it whoever asks
    (engine/_submission.py: ``if applicant is not None: pseudonym = ...`` before looking at
    the actor's role). So the citizen signed in as zhang-san files a case in li-si's name:
    li-si "owns" it (reads it, withdraws it, rates it) and zhang-san, who filed it, cannot
    read it. Over a gateway the applicant's identity is the ID number the sign-on
    authenticated, so this lets anybody file applications under somebody else's ID number.
    The page form does the same (the ``applicant`` box is only hidden for applicants)."""
    api = client(app_on(MemoryStore(), authenticator=PEOPLE))
    answer = api.post("/api/v1/cases", json=submission(applicant="li-si"),
                      headers=as_("zhang-san"))
    if answer.status_code == 201:  # accepted: then it must be zhang-san's own case
        case_id = answer.json()["case"]
        assert api.get(f"/api/v1/cases/{case_id}", headers=as_("stranger")).status_code == 403
        assert api.get(f"/api/v1/cases/{case_id}",
                       headers=as_("zhang-san")).status_code == 200
    else:
        assert answer.status_code in (400, 403), answer.text
        assert answer.headers["content-type"] == "application/problem+json"


def test_the_my_cases_page_lists_cases_only_to_their_applicant() -> None:
    """``/my`` is the applicants' page (docs/http.md), but ``pages/applicant.py:my_cases``
    checks no role: it searches ``applicant=actor.id`` for whoever is signed in. A window
    clerk of another department (or an agent, or any staff member) whose id happens to be an
    applicant's identity gets that applicant's list of cases — case numbers, matters,
    statuses, dates — though the case itself is refused to them (403). The list must be the
    applicant's only (or the cases the agent was authorized for)."""
    api = client(app_on(MemoryStore(), authenticator=TrustedHeaders()))
    done = api.post("/api/v1/cases", json=submission(),
                    headers={ACTOR_HEADER: "applicant:zhang-san"})
    case_id = done.json()["case"]
    clerk = {ACTOR_HEADER: "window:zhang-san@bank"}
    assert api.get(f"/cases/{case_id}", headers=clerk).status_code == 403  # may not read it
    listed = api.get("/my", headers=clerk)
    assert case_id not in listed.text, "a bank clerk sees the applicant's cases on /my"


def test_a_refused_read_does_not_make_the_staffs_if_match_stale() -> None:
    """An ETag is the case's version and ``If-Match`` guards against *someone changing the
    case* (docs/http.md). But a refused read — any signed-in person who may not read the case
    opening ``GET /api/v1/cases/{id}`` — is recorded as a ``refused_attempt`` that moves the
    version (engine ``_reading.readable`` -> ``record_refusal`` -> a commit). So a stranger
    (any citizen with a sign-on) who knows a case number can, by merely trying to look at
    it, make every open page and every ``If-Match`` of the staff fail with 412 "案件已被更新"
    — over and over — and grow the case's history without bound, though nothing about the
    case changed. The precondition must compare something a refusal does not move (or a
    refusal must not bump the version)."""
    api = client(app_on(MemoryStore(), authenticator=PEOPLE))
    case_id = submitted(api)
    etag = api.get(f"/api/v1/cases/{case_id}", headers=as_("window-3")).headers["ETag"]
    assert api.get(f"/api/v1/cases/{case_id}", headers=as_("stranger")).status_code == 403
    accepted = api.post(f"/api/v1/cases/{case_id}/accept",
                        headers=as_("window-3", **{"If-Match": etag}))
    assert accepted.status_code == 200, accepted.json().get("detail")


# -- CSRF ---------------------------------------------------------------------------------------


def test_the_api_does_not_act_for_a_browser_cookie_without_a_token() -> None:
    """Pages are protected by a form token (docs/http.md: "a form another site makes the
    browser post is refused 403 refused.case.csrf"), but ``DevUsers.identify``
    (web/identity.py) reads the sign-in *cookie* for every request, the API's included, and
    the API's actions take no token. The body-less actions (accept, claim, release, erase)
    accept any content type, so a plain HTML form on another page of the same site (any
    other port on localhost in development; a sibling sub-domain behind a gateway whose
    session is a cookie) makes a signed-in clerk's browser accept (受理) a case — starting
    its legal clocks — without them knowing. The API should take the person only from the
    header (a script's), or refuse a cookie-only request without the token."""
    api = client(app_on(MemoryStore(), authenticator=PEOPLE))
    case_id = submitted(api)
    browser = FormPoster(api)
    browser.sign_in("window-3")
    forged = api.post(f"/api/v1/cases/{case_id}/accept", data={"x": "1"},
                      headers={"Origin": "http://127.0.0.1:3000"})
    assert forged.status_code in (401, 403), forged.text
    history = api.get(f"/api/v1/cases/{case_id}/history", headers=as_("window-3")).json()
    assert "accept" not in [e["action"] for e in history]


# -- personal numbers on pages ------------------------------------------------------------------


def test_a_rejected_form_does_not_write_back_a_personal_number_typed_in_free_text() -> None:
    """docs/http.md: "A rejected form shows again what was typed, except personal values
    (identity and phone numbers), which are typed again rather than written back into the
    page". ``pages/forms.py:kept_for_correction`` only drops the fields *typed* id_card or
    phone (and ``personal``): a phone number typed in the address box, or an ID number in the
    company name or a material's reference, is written back unmasked into the page's
    ``value=`` — though everywhere else (the case page, the form API, the history) the same
    text is shown masked. The page must not carry a personal number however it was typed."""
    browser = FormPoster(client(app_on(MemoryStore(), authenticator=PEOPLE)))
    browser.sign_in("window-3")
    given = submission()
    form = {f"f.{k}": str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in given["form"].items()}
    form.update({f"m.{k}": str(v) for k, v in given["materials"].items()})
    form.update({"f.business_address": f"联系电话 {PHONE}", "f.company_name": f"ID {ID_NUMBER}",
                 "f.employees": "not a number", "applicant": "zhang-san", "key": "k"})
    page = browser.post("/window/new/enterprise-startup", form)
    assert page.status_code == 422
    assert PHONE not in page.text and ID_NUMBER not in page.text


@pytest.mark.parametrize(("path", "data"), [
    ("/lookup", {"case": ID_NUMBER, "code": "AAAAA-AAAAA"}),
    ("/search", {"number": ID_NUMBER}),
])
def test_the_lookup_and_search_pages_do_not_write_back_a_personal_number(
        path: str, data: dict[str, str]) -> None:
    """The search page takes care not to write the applicant's ID number back (its box has
    no ``value=``), and every problem masks what was asked for (``没有编号为 430***34 的
    案件``). Yet an ID number typed in the case-number box of the lookup (a citizen's phone)
    or of the search is written back unmasked into ``value="..."`` (``lookup.html``,
    ``search.html``: ``values.get('case'|'number')``), so it is kept in the page, the
    browser's history and any screenshot."""
    browser = FormPoster(client(app_on(MemoryStore(), authenticator=PEOPLE)))
    browser.sign_in("window-3")
    page = browser.post(path, data)
    assert page.status_code in (200, 403)
    assert ID_NUMBER not in page.text


# -- every error a problem, never a 500 ---------------------------------------------------------


@pytest.mark.parametrize("request_", [
    ("POST", "/api/v1/lookup", '{"case": "a\\u0000b", "code": "AAAAA-AAAAA"}', {}),
    ("GET", "/api/v1/cases/a%00b", None, as_("window-3")),
    ("POST", "/api/v1/cases/a%00b/accept", None, as_("window-3")),
])
def test_a_nul_character_is_a_problem_not_a_500_on_postgresql(pg_store: Store,
                                                              request_: Any) -> None:
    """Every error is a problem with a code, and a 500 means a bug (docs/http.md). On
    PostgreSQL a case number holding U+0000 — in the *unauthenticated* lookup's body, or in a
    case's address — goes to ``store.load`` as it is, psycopg raises ``DataError``
    ("text fields cannot contain NUL"), and the answer is 500 ``broken.case.internal`` with a
    traceback logged. Anybody can fill the error log this way without signing in. Memory and
    SQLite answer 403/404: such a number names no case (a failed lookup, an unknown case)."""
    method, path, body, headers = request_
    api = client(app_on(pg_store, authenticator=PEOPLE))
    answer = api.request(method, path, content=body.encode() if body else None,
                         headers={**headers, "content-type": "application/json"})
    assert answer.status_code in (400, 403, 404, 422), answer.text
    assert answer.headers["content-type"] == "application/problem+json"


# -- the lookup's limit ----------------------------------------------------------------------


def test_the_lookup_page_past_the_limit_says_when_to_try_again() -> None:
    """docs/http.md: past the limit "the lookup is 429 with Retry-After until the window has
    passed". The API says it; the lookup *page* answers 429 without ``Retry-After``:
    ``pages/render.py:refused`` renders the page from the error but drops the
    ``HttpProblem``'s headers."""
    app = app_on(MemoryStore(), authenticator=PEOPLE)
    api = client(app)
    case_id = submitted(api)
    browser = FormPoster(api)
    for _ in range(PER_CASE):
        browser.post("/lookup", {"case": case_id, "code": "AAAAA-AAAAA"})
    limited = browser.post("/lookup", {"case": case_id, "code": "AAAAA-AAAAA"})
    assert limited.status_code == 429
    assert int(limited.headers.get("Retry-After", "0")) > 0


# -- the OpenAPI document -----------------------------------------------------------------------


def test_a_412_on_a_case_at_version_0_matches_the_declared_problem_schema() -> None:
    """Every answer must match the schema the served OpenAPI document declares for it.
    ``web/schemas/problem.json`` declares ``current_version`` with ``minimum: 1``, but a
    freshly submitted case is at version 0 (its ETag is ``"0"``), so the 412 of a stale
    ``If-Match`` on it says ``"current_version": 0`` and fails the declared schema — a
    generated client rejects the very answer that tells it to reload."""
    api = client(app_on(MemoryStore()))
    case_id = submitted(api)
    stale = api.post(f"/api/v1/cases/{case_id}/accept",
                     headers=as_("window-3", **{"If-Match": '"5"'}))
    assert stale.status_code == 412
    validate(api.get("/api/v1/openapi.json").json(), "problem", stale.json())


def test_an_action_that_opens_a_follow_up_matches_the_declared_action_schema() -> None:
    """``web/schemas/action.json`` declares ``version`` with ``minimum: 1``, but an action
    that opens a follow-up case — a bad rating (1 or 2) opens a rectification — answers
    with that new case, at version 0 (docs/http.md: ``case`` is "the follow-up case the action
    opened"). The answer fails the schema the document declares for it."""
    api = client(app_on(MemoryStore()))
    case_id = submitted(api)

    def act(path: str, user: str, body: dict[str, Any] | None = None) -> Any:
        done = api.post(f"/api/v1/cases/{case_id}/{path}", json=body, headers=as_(user))
        assert done.status_code == 200, done.text
        return done

    act("accept", "window-3")
    act("steps/registration/decide", "reg-01", {"outcome": "approve"})
    for step, officer in PARALLEL:
        act(f"steps/{step}/decide", officer, {"outcome": "approve"})
    act("deliver", "window-3", {})
    rated = act("evaluate", "zhang-san", {"rating": 1, "comment": "慢"})
    assert rated.json()["case"] != case_id  # the rectification opened
    validate(api.get("/api/v1/openapi.json").json(), "action", rated.json())


def test_the_openapi_document_does_not_demand_credentials_for_the_lookup() -> None:
    """The progress lookup "needs no sign-in" (docs/http.md, roles.md), but ``app._openapi``
    stamps ``security: [{actor}, {devUser}]`` on *every* operation, ``POST /lookup``
    included, so the document says the lookup needs the gateway's header or a development
    user; a client generated from it will not call the lookup without credentials. The
    lookup's ``security`` should be ``[]`` (or allow ``{}``)."""
    api = client(app_on(MemoryStore()))
    document = api.get("/api/v1/openapi.json").json()
    security = document["paths"]["/api/v1/lookup"]["post"].get("security", [])
    assert security == [] or {} in security, security


# -- the server stays responsive ----------------------------------------------------------------


def test_a_page_form_waiting_on_the_store_does_not_stop_the_server() -> None:
    """The API's endpoints are plain functions, run in the thread pool, but the page
    handlers that post (``act``, ``submit_application``, ``search``, ``lookup``,
    ``lookup_notice`` in ``web/pages/``) are ``async def`` and call the engine — store
    reads and commits that wait on a busy SQLite file (``busy_timeout`` 5 s, then retries
    with ``time.sleep``) or PostgreSQL — directly on the event loop. While one page form
    waits on the store, the whole server stops answering: every other request, the API's
    included, waits behind it. Here the store holds one lookup until a request for the
    workflows, sent meanwhile, has been answered (or 10 s have passed): that request must
    be answered while the lookup still waits (no time is measured: a loaded machine cannot
    make it fail)."""
    import httpx

    app = app_on(MemoryStore(), authenticator=PEOPLE)
    engine = app.state.engine
    answered = threading.Event()

    def slow_lookup(case_id: str, code: str) -> bool:
        answered.wait(10)  # a store busy (another process writing the file) until then
        return False

    engine.lookup_matches = slow_lookup
    token = "t" * 43

    async def run() -> bool:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                     cookies={"onething_csrf": token}) as http:
            slow = asyncio.create_task(http.post("/lookup", data={
                "csrf": token, "case": "x", "code": "AAAAA-AAAAA"}))
            await asyncio.sleep(0.05)
            quick = await http.get("/api/v1/workflows", headers=as_("window-3"))
            while_held = not slow.done()
            answered.set()
            assert quick.status_code == 200
            await slow
            return while_held

    found: list[bool] = []  # in a thread: the sync browser tests keep a loop in this one
    worker = threading.Thread(target=lambda: found.append(asyncio.run(run())))
    worker.start()
    worker.join()
    assert found[0], "the API's answer waited for a page form's store"

