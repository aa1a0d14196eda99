"""The pages in a real browser (Debian's Chromium through Playwright, tests/support/browser.py;
under CI=true a missing browser fails these tests): one whole case from the window's form to
the applicant's lookup showing its delivery; a refusal inside the parallel block; an intake
correction and its answer; a wrong department refused; a stale page answered 412. Each page
is photographed (docs/screenshots/ with ONETHING_SCREENSHOTS=1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from onething.engine.engine import Engine
from onething.stores.sqlite import SqliteStore
from onething.web.app import create_app
from tests.support.browser import screenshot
from tests.support.servers import in_thread
from tests.support.web import PARALLEL, STARTUP, submission

if TYPE_CHECKING:
    from playwright.sync_api import Page

ID_NUMBER = "430381199001011234"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    engine = Engine(SqliteStore(tmp_path / "hall.sqlite3"))
    engine.deploy(STARTUP)
    with in_thread(create_app(engine)) as base:
        yield base, engine
    engine.store.close()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def sign_in(page: Page, base: str, user: str) -> None:
    page.goto(base + "/")
    page.click(f"#signin-{user}")
    expect(page.locator("#who")).to_contain_text(user)


def fill_the_form(page: Page, **overrides: str) -> None:
    given = submission()
    values = {**{f"f.{k}": str(v).lower() if isinstance(v, bool) else str(v)
                 for k, v in given["form"].items()},
              **{f"m.{k}": str(v) for k, v in given["materials"].items()}, **overrides}
    page.fill('[name="applicant"]', "zhang-san")
    for name, value in values.items():
        box = page.locator(f'[name="{name}"]')
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)


def at_the_window(page: Page, base: str, tmp: Path | None = None) -> str:
    """Submit the enterprise start-up form at the window; the new case's number."""
    sign_in(page, base, "window-3")
    page.click("#new-enterprise-startup")
    expect(page.locator("h1")).to_contain_text("一表申请")
    fill_the_form(page)
    page.click("#submit")
    expect(page.locator("#case-id")).to_be_visible()
    if tmp is not None:
        screenshot(page, "case-submitted", tmp)
    return page.locator("#case-id").inner_text()


def act(page: Page, button: str) -> None:
    page.click(f"#{button}")
    expect(page.locator(".flash.ok, #problem").first).to_be_visible()


def test_one_case_from_the_window_form_to_the_applicants_lookup(
        live: tuple[str, Engine], page: Page, phone_page: Page, tmp_path: Path) -> None:
    base, engine = live
    sign_in(page, base, "window-3")
    page.click("#new-enterprise-startup")
    fill_the_form(page, **{"f.legal_person_id": "12345", "f.company_name": ""})
    page.click("#submit")
    expect(page.locator(".field.wrong")).to_have_count(2)  # every problem at once (一次告知)
    screenshot(page, "window-form-problems", tmp_path)
    fill_the_form(page)
    page.click("#submit")
    expect(page.locator("#status")).to_have_text("已提交，待受理")
    case_id = page.locator("#case-id").inner_text()
    page.goto(base + "/window")
    expect(page.locator(f'a.case-link:text("{case_id}")')).to_be_visible()
    screenshot(page, "window-intake-queue", tmp_path)
    page.click(f'a.case-link:text("{case_id}")')
    act(page, "btn-accept")
    shown = page.locator("#lookup-code").inner_text()
    notice = page.locator('a.notice-link:text("受理通知书")').get_attribute("href")
    page.goto(base + str(notice))  # the acceptance notice, as printed for the applicant
    code = page.locator("p.lookup strong").inner_text()
    assert code == shown
    screenshot(page, "acceptance-notice", tmp_path)

    sign_in(page, base, "reg-01")
    page.goto(base + "/department")
    expect(page.locator(f'a.case-link:text("{case_id}")')).to_be_visible()
    screenshot(page, "department-queue", tmp_path)
    page.click(f'a.case-link:text("{case_id}")')
    act(page, "claim-registration")
    expect(page.locator('svg g.current[data-step="registration"]')).to_have_count(1)
    screenshot(page, "case-page-department", tmp_path)
    act(page, "btn-approve-registration")
    for step, officer in PARALLEL:
        sign_in(page, base, officer)
        page.goto(f"{base}/cases/{case_id}")
        act(page, f"btn-approve-{step}")
    sign_in(page, base, "window-3")
    page.goto(f"{base}/cases/{case_id}")
    act(page, "btn-deliver")
    expect(page.locator("#status")).to_have_text("已办结")
    screenshot(page, "case-page-delivered", tmp_path)

    phone_page.goto(base + "/lookup")
    phone_page.fill('[name="case"]', case_id)
    phone_page.fill('[name="code"]', code.lower())
    phone_page.click("#lookup-submit")
    expect(phone_page.locator("#delivery")).to_have_text("办结出件")
    screenshot(phone_page, "applicant-lookup-phone", tmp_path)
    assert ID_NUMBER not in phone_page.content()
    assert engine.delivery(case_id) is not None


def test_a_refusal_inside_the_parallel_block_ends_the_case(
        live: tuple[str, Engine], page: Page, tmp_path: Path) -> None:
    base, engine = live
    case_id = at_the_window(page, base)
    act(page, "btn-accept")
    sign_in(page, base, "reg-01")
    page.goto(f"{base}/cases/{case_id}")
    act(page, "btn-approve-registration")
    sign_in(page, base, "tax-01")
    page.goto(f"{base}/cases/{case_id}")
    page.fill("#do-refuse-tax [name=reason]", "经营范围涉及前置审批，未取得许可")
    act(page, "btn-refuse-tax")
    sign_in(page, base, "window-3")
    page.goto(f"{base}/cases/{case_id}")
    expect(page.locator("#status")).to_have_text("已办结")
    screenshot(page, "case-refused-in-parallel", tmp_path)
    delivery = engine.delivery(case_id)
    assert delivery is not None and delivery.kind == "refusal"


def test_an_intake_correction_and_its_answer(live: tuple[str, Engine], page: Page,
                                             tmp_path: Path) -> None:
    base, engine = live
    case_id = at_the_window(page, base)
    form = page.locator("#do-request_intake_correction")
    form.locator('input[name="item"][value="address_proof"]').check()
    form.locator('[name="why.address_proof"]').fill("租赁合同未签字")
    act(page, "btn-request_intake_correction")
    expect(page.locator("#status")).to_contain_text("一次性告知")
    sign_in(page, base, "zhang-san")
    page.goto(base + "/my")
    page.click(f'a.case-link:text("{case_id}")')
    supplement = page.locator("#do-supplement_intake")
    supplement.locator('[name="m.address_proof"]').fill("file://materials/lease-signed.pdf")
    screenshot(page, "applicant-answers-the-notice", tmp_path)
    act(page, "btn-supplement_intake")
    sign_in(page, base, "window-3")
    page.goto(f"{base}/cases/{case_id}")
    act(page, "btn-accept")
    expect(page.locator("#status")).to_have_text("办理中")
    actions = [e.action for e in engine.history(case_id)]
    assert actions[:4] == ["submit", "request_intake_correction", "supplement_intake", "accept"]


def test_a_wrong_department_is_refused(live: tuple[str, Engine], page: Page,
                                       tmp_path: Path) -> None:
    base, engine = live
    case_id = at_the_window(page, base)
    act(page, "btn-accept")
    sign_in(page, base, "tax-01")
    page.goto(f"{base}/cases/{case_id}")
    expect(page.locator("#btn-approve-registration")).to_have_count(0)
    page.evaluate("""([caseId]) => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = `/cases/${caseId}/do/approve`;
        const csrf = document.querySelector('input[name=csrf]').value;
        for (const [k, v] of [['csrf', csrf], ['step', 'registration'], ['key', 'forged']]) {
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = k; input.value = v; form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
    }""", [case_id])
    expect(page.locator("#problem")).to_contain_text("refused.step.not_department")
    screenshot(page, "wrong-department-refused", tmp_path)
    page.goto(base + "/window")
    expect(page.locator("#problem")).to_contain_text("无权查看")
    assert [e.action for e in engine.history(case_id)].count("refused_attempt") >= 1


def test_a_stale_page_is_answered_412(live: tuple[str, Engine], browser: Any,
                                      tmp_path: Path) -> None:
    base, _ = live
    first = browser.new_context(locale="zh-CN").new_page()
    case_id = at_the_window(first, base)
    act(first, "btn-accept")
    sign_in(first, base, "reg-01")
    second = first.context.new_page()  # the same officer, a second tab
    for tab in (first, second):
        tab.goto(f"{base}/cases/{case_id}")
    act(first, "btn-approve-registration")
    with second.expect_response(lambda r: "/do/request_correction" in r.url) as answer:
        second.fill("#do-request_correction-registration [name=reason]", "住所证明不清晰")
        second.click("#btn-request_correction-registration")
    assert answer.value.status == 412
    expect(second.locator("#problem")).to_contain_text("已被更新")
    screenshot(second, "stale-page-412", tmp_path)
    first.context.close()


def test_the_supervisor_board(live: tuple[str, Engine], page: Page, tmp_path: Path) -> None:
    base, _ = live
    at_the_window(page, base)
    act(page, "btn-accept")
    sign_in(page, base, "mr-chief")
    page.goto(base + "/supervisor")
    expect(page.locator("h1")).to_contain_text("电子监察看板")
    screenshot(page, "supervisor-board", tmp_path)
