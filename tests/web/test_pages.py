"""The pages, read as HTML (the browser tests drive the same pages in Chromium): each person's
pages render for them and refuse others; every form needs its token; the one form shows every
problem beside its field; a page takes its action through the API's endpoint (a double post
acts once, a stale page is told the case changed); no personal number on any page."""

from __future__ import annotations

import re

import pytest

from onething.stores.base import Store
from onething.stores.memory import MemoryStore
from tests.support.web import PEOPLE, STARTUP, FormPoster, app_on, client, submission

ID_NUMBER, PHONE = "430381199001011234", "13800138000"


@pytest.fixture
def hall() -> FormPoster:
    return FormPoster(client(app_on(MemoryStore(), authenticator=PEOPLE)))


def form_data() -> dict[str, str]:
    given = submission()
    return {**{f"f.{k}": str(v).lower() if isinstance(v, bool) else str(v)
               for k, v in given["form"].items()},
            **{f"m.{k}": str(v) for k, v in given["materials"].items()}}


def submit_at_window(hall: FormPoster) -> str:
    hall.sign_in("window-3")
    answer = hall.post("/window/new/enterprise-startup",
                          {**form_data(), "applicant": "zhang-san", "key": "form-1"},
                          follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"].split("?")[0].rsplit("/", 1)[-1])


def test_the_one_form_shows_every_problem_beside_its_field(hall: FormPoster) -> None:
    hall.sign_in("window-3")
    page = hall.get("/window/new/enterprise-startup")
    for field in STARTUP.form.fields:
        assert f'name="f.{field.name}"' in page.text
    bad = {**form_data(), "f.company_name": "", "f.legal_person_id": "12345",
           "applicant": "zhang-san"}
    answer = hall.post("/window/new/enterprise-startup", bad)
    assert answer.status_code == 422
    wrong = re.findall(r'id="field-([a-z_]+)"[^>]*>|class="field wrong" id="field-([a-z_]+)"',
                       answer.text)
    marked = {b for _, b in wrong if b}
    assert marked == {"company_name", "legal_person_id"}
    assert answer.text.count('class="error"') == 2
    assert 'value="示例' in answer.text  # what was typed stays in its box, to correct
    typed = {**form_data(), "f.company_name": "", "applicant": "zhang-san"}
    again = hall.post("/window/new/enterprise-startup", typed)
    assert again.status_code == 422
    assert ID_NUMBER not in again.text and PHONE not in again.text  # personal: typed again
    assert 'id="f.legal_person_id" name="f.legal_person_id" value=""' in again.text


def test_every_form_needs_its_token(hall: FormPoster) -> None:
    hall.sign_in("window-3")
    answer = hall.api.post("/window/new/enterprise-startup", data=form_data())
    assert answer.status_code == 403 and "refused.case.csrf" in answer.text
    forged = hall.api.post("/signin", data={"csrf": "x" * 43, "user": "mr-chief"})
    assert forged.status_code == 403


def test_a_case_from_the_window_to_its_delivery_through_the_pages(hall: FormPoster) -> None:
    case_id = submit_at_window(hall)
    page = hall.get(f"/cases/{case_id}")
    assert page.status_code == 200 and 'id="btn-accept"' in page.text
    assert "<svg" in page.text and 'class="node step current' not in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)  # type: ignore
    done = hall.post(f"/cases/{case_id}/do/accept", {"key": "a1", "version": version},
                        follow_redirects=False)
    assert done.status_code == 303
    again = hall.post(f"/cases/{case_id}/do/accept", {"key": "a1", "version": version},
                         follow_redirects=False)
    assert again.status_code == 303  # the same form twice: answered from its key
    drawn = hall.get(f"/cases/{case_id}").text
    assert re.findall(r'class="node step current" data-step="([a-z_]+)"', drawn) == \
        ["registration"]
    history = hall.api.get(f"/api/v1/cases/{case_id}/history",
                              headers={"X-Onething-User": "window-3"}).json()
    assert [e["action"] for e in history].count("accept") == 1
    for user, step in [("reg-01", "registration"), ("police-01", "seal"), ("tax-01", "tax"),
                       ("hr-01", "social_insurance"), ("med-01", "medical_insurance"),
                       ("fund-01", "housing_fund"), ("bank-01", "bank_appointment")]:
        hall.sign_in(user)
        page = hall.get(f"/cases/{case_id}")
        assert f'id="btn-approve-{step}"' in page.text, (user, step)
        hall.post(f"/cases/{case_id}/do/approve", {"step": step, "key": f"k-{step}"})
    hall.sign_in("window-3")
    hall.post(f"/cases/{case_id}/do/deliver", {"key": "d1"})
    page = hall.get(f"/cases/{case_id}")
    assert 'class="status ended"' in page.text
    code = re.search(r'id="lookup-code">([^<]+)<', page.text).group(1)  # type: ignore
    hall.api.cookies.delete("onething_user")
    found = hall.post("/lookup", {"case": case_id, "code": code})
    assert found.status_code == 200 and 'id="delivery"' in found.text


def test_a_stale_page_is_told_the_case_changed(hall: FormPoster) -> None:
    case_id = submit_at_window(hall)
    hall.post(f"/cases/{case_id}/do/accept", {"key": "a", "version": "0"})
    hall.sign_in("reg-01")
    stale = hall.post(f"/cases/{case_id}/do/approve",
                         {"step": "registration", "key": "b", "version": "0"})
    assert stale.status_code == 412 and "refused.case.version_changed" in stale.text


def test_each_persons_pages_and_the_refusals(hall: FormPoster) -> None:
    case_id = submit_at_window(hall)
    for user, path in [("window-3", "/window"), ("window-3", "/search"),
                       ("reg-01", "/department"), ("reg-01", "/department?mine=1"),
                       ("mr-chief", "/supervisor"), ("zhang-san", "/my"),
                       ("zhang-san", f"/cases/{case_id}"), ("tax-01", f"/cases/{case_id}"),
                       ("gov-head", "/government"), ("gov-head", f"/cases/{case_id}"),
                       ("tax-chief", f"/cases/{case_id}")]:
        hall.sign_in(user)
        assert hall.get(path).status_code == 200, (user, path)
    for user, path in [("reg-01", "/window"), ("window-3", "/department"),
                       ("reg-01", "/supervisor"), ("zhang-san", "/search"),
                       ("stranger", f"/cases/{case_id}"), ("mr-chief", "/government")]:
        hall.sign_in(user)
        refused = hall.get(path)
        assert refused.status_code == 403 and 'id="problem"' in refused.text, (user, path)
    hall.api.cookies.delete("onething_user")
    assert hall.get("/window").status_code == 401


def test_a_search_posts_its_filters(hall: FormPoster) -> None:
    case_id = submit_at_window(hall)
    found = hall.post("/search", {"number": case_id})
    assert found.status_code == 200 and f"/cases/{case_id}" in found.text


def test_no_personal_number_on_any_page(any_store: Store) -> None:
    hall = FormPoster(client(app_on(any_store, authenticator=PEOPLE)))
    case_id = submit_at_window(hall)
    pages = []
    for user in ("window-3", "reg-01", "mr-chief", "zhang-san"):
        hall.sign_in(user)
        pages += [hall.get(p).text for p in ("/", "/window", "/department", "/supervisor",
                                                "/my", f"/cases/{case_id}")]
        notices = hall.api.get(f"/api/v1/cases/{case_id}/notices",
                                  headers={"X-Onething-User": user})
        if notices.status_code == 200:
            pages += [hall.get(f"/cases/{case_id}/notices/{n['number']}").text
                      for n in notices.json()]
    text = "\n".join(pages)
    assert ID_NUMBER not in text and PHONE not in text
    assert "企业名称" in text  # the pages did render the form
