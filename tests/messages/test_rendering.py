"""Every message renders in both languages with whatever its parameters hold, never shows an
unmasked personal number, and the engine's own refusals and problems carry the codes
docs/messages.md lists."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.factories import sample_form, sample_materials, shipped

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import ActionRefused, CaseEnded, NotAuthorized, SubmissionRejected
from onething.messages import LANGS, Message, codes, template
from onething.messages.catalog import placeholders
from onething.privacy.masking import mask_text

STARTUP = shipped("enterprise_startup.yaml")
DESK = window("market_regulation")
ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"

#: what a parameter may hold: any text (braces, placeholders of its own, personal numbers,
#: broken surrogates), any whole number (a phone number typed as one), a nested message
TEXT = st.one_of(st.text(max_size=60),
                 st.sampled_from(["{subject}", "{label}", "}{", ID_NUMBER, PHONE,
                                  f"tel {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}", "\ud800"]))
VALUE = st.one_of(TEXT, st.integers(), st.integers(min_value=10**10, max_value=10**12))
ALL_CODES = sorted(codes("zh"))


def names(code: str) -> list[str]:
    """What the texts of ``code`` fill in from its parameters."""
    return sorted(set().union(*(placeholders(template(code, lang)) for lang in LANGS))
                  - {"subject"})


def nested() -> st.SearchStrategy[Message]:
    """A message quoted by another (a refused list item's problem), its own texts filled."""
    return st.sampled_from(ALL_CODES).flatmap(lambda code: st.builds(
        Message, st.just(code), TEXT, st.fixed_dictionaries({n: VALUE for n in names(code)})))


def no_personal_number(text: str) -> bool:
    return mask_text(text) == text and ID_NUMBER not in text and PHONE not in text


@settings(max_examples=400, deadline=None)
@given(code=st.sampled_from(ALL_CODES), subject=TEXT, data=st.data())
def test_every_message_renders_with_any_parameters_in_both_languages(
        code: str, subject: str, data: st.DataObject) -> None:
    params = {name: data.draw(st.one_of(VALUE, nested()), label=name) for name in names(code)}
    message = Message(code, subject, params)
    for lang in LANGS:
        text = message.text(lang)
        assert text.strip()
        left = placeholders(template(code, lang)) & placeholders(text)
        # a placeholder still in the text came from a parameter's own text, never unfilled
        quoted = "".join(str(v.to_json()) if isinstance(v, Message) else str(v)
                         for v in [subject, *params.values()])
        assert all(f"{{{name}}}" in quoted for name in left), (code, lang, text)
        assert no_personal_number(text), (code, lang, text)
    shown = json.dumps(message.to_json(), ensure_ascii=False)
    assert no_personal_number(shown)
    assert set(message.to_json()["text"]) == set(LANGS)


@given(code=st.sampled_from(ALL_CODES))
def test_a_message_without_its_parameters_still_renders(code: str) -> None:
    """A host's message may lack a parameter: the text keeps the placeholder, never fails."""
    for lang in LANGS:
        assert Message(code).text(lang).strip()


def test_personal_numbers_in_a_subject_or_parameter_are_masked_when_made() -> None:
    message = Message("refused.case.not_visible", f"case of {ID_NUMBER}",
                      {"actor": f"department:{PHONE}@tax", "count": int(PHONE)})
    assert ID_NUMBER not in message.subject and "*" in message.subject
    assert message.params["actor"] == "department:138******00@tax"
    assert message.params["count"] == "138******00"
    refused = ActionRefused(f"about {ID_NUMBER}", code="refused.case.not_visible",
                            subject=ID_NUMBER, params={"actor": PHONE})
    assert ID_NUMBER not in refused.subject and PHONE not in json.dumps(refused.ui.to_json())
    assert no_personal_number(refused.text("zh")) and no_personal_number(refused.text("en"))


# -- the engine's own messages -----------------------------------------------------------------


def started(engine: Engine) -> str:
    engine.deploy(STARTUP)
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, DESK)
    return case.id


def test_another_departments_officer_is_refused_with_its_code_in_chinese(engine: Engine) -> None:
    case_id = started(engine)
    with pytest.raises(NotAuthorized) as caught:
        engine.act(case_id, "registration", "approve", officer("tax", "li"))
    refused = caught.value
    assert (refused.code, refused.kind, refused.subject) == (
        "refused.step.not_department", "step", "registration")
    assert refused.params == {"departments": "market_regulation",
                              "actor": "department:li@tax"}
    assert refused.text() == refused.text("zh") == \
        "只有 market_regulation 可以办理步骤“registration”（department:li@tax 无此权限）"
    assert refused.text("en") == ("Only market_regulation may decide on step registration "
                                  "(department:li@tax may not)")
    assert "only market_regulation decides on 'registration'" in str(refused)  # as before
    history = engine.history(case_id)
    assert history[-1].action == "refused_attempt"
    assert history[-1].data["code"] == "refused.step.not_department"


def test_an_applicant_is_named_by_role_never_by_their_identity(engine: Engine) -> None:
    case_id = started(engine)
    with pytest.raises(NotAuthorized) as caught:
        engine.act(case_id, "registration", "approve", applicant(ID_NUMBER))
    assert caught.value.params["actor"] == "applicant"
    assert ID_NUMBER[:6] not in caught.value.text()


def test_a_delivered_case_refuses_every_change_with_one_code(engine: Engine) -> None:
    case_id = started(engine)
    engine.withdraw(case_id, applicant())
    with pytest.raises(CaseEnded) as caught:
        engine.accept(case_id, DESK)
    assert (caught.value.code, caught.value.kind, caught.value.subject) == (
        "refused.case.ended", "case", case_id)
    assert case_id in caught.value.text("zh") and "已办结" in caught.value.text("zh")


def test_a_rejected_submission_names_each_field_by_its_label_in_chinese(engine: Engine) -> None:
    engine.deploy(STARTUP)
    form: dict[str, Any] = {**sample_form(STARTUP), "legal_person_phone": "12345",
                            "employees": "many", "compny_name": "x"}
    del form["company_name"]
    with pytest.raises(SubmissionRejected) as caught:
        engine.submit(STARTUP.id, form, {})
    by_name = {p.name: p for p in caught.value.problems}
    assert {n: (p.code, p.kind) for n, p in by_name.items()
            if n in ("company_name", "employees", "compny_name", "legal_person_phone")} == {
        "company_name": ("submission.field.required", "field"),
        "employees": ("submission.field.not_whole_number", "field"),
        "compny_name": ("submission.field.unknown_close", "field"),
        "legal_person_phone": ("submission.field.not_mobile", "field"),
    }
    label = next(f.label for f in STARTUP.form.fields if f.name == "company_name")
    assert by_name["company_name"].text() == f"“{label}”为必填项，请填写"
    assert by_name["compny_name"].params == {"close": "company_name"}
    materials = [p for p in caught.value.problems if p.kind == "material"]
    assert materials and all(p.code == "submission.material.missing" for p in materials)
    text = caught.value.text("zh")
    assert text.startswith(f"申请有 {len(caught.value.problems)} 处问题")
    assert len(text.splitlines()) == len(caught.value.problems) + 1
    for problem in caught.value.problems:
        entry = problem.to_json()
        assert entry["code"] == problem.code and set(entry["text"]) == set(LANGS)
        assert not re.search(r"\{[a-z_]+\}", entry["text"]["zh"] + entry["text"]["en"])


def test_a_refused_list_item_quotes_the_items_problem_in_the_same_language() -> None:
    from onething.language.form_check import check_fields
    from onething.language.model import Field, Form

    vehicles = Field("vehicles", "list", label="车辆",
                     items=(Field("plate", "string", label="车牌号", required=True),
                            Field("seats", "int", label="座位数")),
                     records=True, max_items=10)
    _, [problem] = check_fields(Form(fields=(vehicles,)), {
        "vehicles": [{"plate": "京A1", "seats": 5}, {"plate": "京A2", "seats": "many"}]})
    assert problem.code == "submission.field.list_items"
    assert problem.params["items"] == "2" and problem.params["first"] == 2
    assert problem.text("zh") == "“车辆”的第 2 项有误；第 2 项：“座位数”应填写整数，例如 12"
    assert problem.text("en") == ("vehicles: item(s) 2 refused; item 2: seats: expected a "
                                  "whole number, e.g. 12")


def test_messages_and_problems_are_values() -> None:
    """Equal when made alike, hashable (a set of problems, a message as a dict key)."""
    from onething.errors import Problem

    made = [Problem.of("x", "is required", code="submission.field.required",
                       params={"label": "名称"}) for _ in range(2)]
    assert made[0] == made[1] and len(set(made)) == 1
    inner = Message("submission.field.not_text", "plate")
    assert len({Message("submission.field.list_items", "v", {"problem": inner, "first": 1}),
                Message("submission.field.list_items", "v", {"first": 1, "problem": inner})}) == 1


def test_a_diagnostic_reads_in_both_languages() -> None:
    from onething.language.load import parse

    [diagnostic] = parse("onething: 1\nid: x\n", "wf.yaml").errors[:1]
    assert diagnostic.text("en") == f"{diagnostic.location}: {diagnostic.message}"
    assert diagnostic.text().startswith(f"{diagnostic.location}：")
    assert diagnostic.to_json()["kind"] == "workflow"

