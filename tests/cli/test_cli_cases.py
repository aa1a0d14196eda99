"""The case commands against a database: deploy, submit, act, status, history, tick, queue."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from tests.support.factories import ROOT, sample_form, sample_materials, shipped

from onething.cli import cli

STARTUP = shipped("enterprise_startup.yaml")
PARALLEL = {"seal": "public_security", "tax": "tax", "social_insurance": "human_resources",
            "medical_insurance": "medical_security", "housing_fund": "housing_fund_centre",
            "bank_appointment": "bank"}


def run(*args: str, db: Path, input: str | None = None) -> object:
    result = CliRunner().invoke(cli, [*args, "--db", str(db)], input=input,
                                catch_exceptions=False)
    return result


def submitted(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "cases.sqlite3"
    assert run("deploy", str(ROOT / "workflows" / "enterprise_startup.yaml"),
               db=db).exit_code == 0
    form = tmp_path / "form.json"
    form.write_text(json.dumps(sample_form(STARTUP), ensure_ascii=False), encoding="utf-8")
    materials = tmp_path / "materials.json"
    materials.write_text(json.dumps(sample_materials(STARTUP)), encoding="utf-8")
    result = run("submit", "enterprise-startup", "--form", str(form), "--materials",
                 str(materials), "--format", "json", db=db)
    assert result.exit_code == 0, result.output
    return db, json.loads(result.output)["case"]


def test_a_case_runs_from_the_command_line_to_its_delivery(tmp_path: Path) -> None:
    db, case_id = submitted(tmp_path)
    assert run("act", case_id, "accept", "--as", "window:li@market_regulation",
               db=db).exit_code == 0
    assert run("act", case_id, "approve", "registration", "--as",
               "department:wang@market_regulation", db=db).exit_code == 0
    queue = json.loads(run("queue", "tax", "--format", "json", db=db).output)
    assert [(i["case_id"], i["step"]) for i in queue["items"]] == [(case_id, "tax")]
    for step, department in PARALLEL.items():
        result = run("act", case_id, "approve", step, "--as", f"department:x@{department}",
                     db=db)
        assert result.exit_code == 0, result.output
    done = run("act", case_id, "deliver", "--as", "window:li@market_regulation", "--method",
               "mail", "--format", "json", db=db)
    assert json.loads(done.output)["delivery"] == "result"
    status = json.loads(run("status", case_id, "--format", "json", db=db).output)
    assert (status["delivery"]["kind"], status["status"]) == ("result", "ended")
    assert "form" not in status and "430381" not in json.dumps(status)  # no form value
    assert "出件：办结出件，邮政寄递" in run("status", case_id, db=db).output
    seen = json.loads(run("view", case_id, "--as", "window:li@market_regulation", "--format",
                          "json", db=db).output)
    assert seen["fields"]["legal_person_id"].startswith("430") and "*" in \
        seen["fields"]["legal_person_id"]
    history = json.loads(run("history", case_id, "--format", "json", db=db).output)
    assert [e["action"] for e in history][-2:] == ["deliver", "delivered"]
    text = run("history", case_id, db=db).output
    assert "delivered" in text and "result" in text


def test_a_bad_submission_lists_every_problem_and_opens_no_case(tmp_path: Path) -> None:
    db = tmp_path / "cases.sqlite3"
    run("deploy", str(ROOT / "workflows" / "enterprise_startup.yaml"), db=db)
    result = run("submit", "enterprise-startup", "--form", "-", "--format", "json", db=db,
                 input=json.dumps({"company_name": "x", "legal_person_phone": "123"}))
    assert result.exit_code == 2
    problems = {p["name"] for p in json.loads(result.output)["problems"]}
    assert {"legal_person_phone", "legal_person_id", "articles_of_association"} <= problems


def test_refused_actions_are_one_clear_line(tmp_path: Path) -> None:
    db, case_id = submitted(tmp_path)
    result = CliRunner().invoke(cli, ["act", case_id, "approve", "registration", "--as",
                                      "department:x@tax", "--db", str(db)])
    assert result.exit_code == 2
    # Chinese by default (a clerk reads it), after the refusal's stable code
    assert "error[refused.step.not_department]: 只有 market_regulation 可以办理步骤" \
        "“registration”（department:x@tax 无此权限）" in result.output
    assert "Traceback" not in result.output
    english = CliRunner().invoke(cli, ["--lang", "en", "act", case_id, "approve",
                                       "registration", "--as", "department:x@tax", "--db",
                                       str(db)])
    assert english.exit_code == 2
    assert "error[refused.step.not_department]: Only market_regulation may decide on step " \
        "registration (department:x@tax may not)" in english.output


def test_tick_fires_due_timers_from_the_command_line(tmp_path: Path) -> None:
    db, case_id = submitted(tmp_path)
    refused = run("tick", "--now", "2099-01-01T09:00:00+08:00", db=db)
    assert refused.exit_code == 2 and "--allow-future" in refused.output  # not early by mistake
    result = run("tick", "--now", "2099-01-01T09:00:00+08:00", "--allow-future", "--format",
                 "json", db=db)
    fired = json.loads(result.output)
    assert (fired[0]["case"], fired[0]["timer"]) == (case_id, "deemed_acceptance")
    assert run("tick", "--now", "2099-01-01T09:00:00+08:00", "--allow-future", "--format",
               "json", db=db).output.strip() != json.dumps(fired)


def test_the_worker_runs_one_pass(tmp_path: Path) -> None:
    db, _ = submitted(tmp_path)
    assert run("worker", "--once", db=db).exit_code == 0


def test_the_demo_and_the_case_commands_run_on_postgresql(pg_database: str) -> None:
    result = CliRunner().invoke(cli, ["demo", "--db", pg_database], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "one delivery: result by mail" in result.output
    case_id = result.output.split("case ", 1)[1].split()[0]
    status = CliRunner().invoke(cli, ["status", case_id, "--db", pg_database, "--format",
                                      "json"], catch_exceptions=False)
    assert json.loads(status.output)["delivery"]["kind"] == "result"


def test_the_one_notice_at_intake_from_the_command_line(tmp_path: Path) -> None:
    """一次性告知 (行政许可法 art. 32): the window lists every missing item once; a second
    notice is one clear line (exit 2); the applicant's answer resumes intake."""
    db, case_id = submitted(tmp_path)
    clerk = "window:li@market_regulation"
    notice = run("act", case_id, "request_intake_correction", "--as", clerk, "--missing",
                 "articles_of_association=未签字", "--missing", "business_address", db=db)
    assert notice.exit_code == 0, notice.output
    again = run("act", case_id, "request_intake_correction", "--as", clerk, "--missing",
                "company_name", db=db)
    assert again.exit_code == 2 and "error[refused.case.notice_issued]: 本案已发出一次性告知" \
        in again.output
    status = json.loads(run("status", case_id, "--format", "json", db=db).output)
    [notice] = status["corrections"]
    assert [i["item"] for i in notice["items"]] == ["articles_of_association",
                                                    "business_address"]
    assert notice["items"][0]["reason"] == "未签字" and notice["answer_by"].endswith("+08:00")
    assert "supplement_intake" in {a["action"] for a in status["actions"]}
    text = run("status", case_id, db=db).output
    assert "待补正：一次性告知补正，市场监管局" in text and "答复期限：" in text
    assert "答复补正告知 [supplement_intake]：申请人" in text
    answered = run("act", case_id, "supplement", "--as", "applicant:applicant", "--material",
                   "articles_of_association=ref:signed", db=db)
    assert answered.exit_code == 0, answered.output
    assert run("act", case_id, "accept", "--as", clerk, db=db).exit_code == 0
    history = json.loads(run("history", case_id, "--format", "json", db=db).output)
    done = [e["action"] for e in history if e["action"] != "refused_attempt"]
    assert done[-3:] == ["request_intake_correction", "supplement_intake", "accept"]
    assert "request_intake_correction" in [e["data"].get("action") for e in history
                                           if e["action"] == "refused_attempt"]
    assert history[-1]["data"]["receipt"]["document"] == "受理通知书"


def test_claim_release_and_assign_from_the_command_line(tmp_path: Path) -> None:
    """Issue 16 item 4: the commands are the library's calls; a refusal is exit 2, one line."""
    db, case_id = submitted(tmp_path)
    for args in (("act", case_id, "accept", "--as", "window:li@market_regulation"),
                 ("act", case_id, "approve", "registration", "--as",
                  "department:wang@market_regulation"),
                 ("claim", case_id, "tax", "--as", "department:li@tax")):
        assert run(*args, db=db).exit_code == 0
    taken = run("claim", case_id, "tax", "--as", "department:qian@tax", db=db)
    assert taken.exit_code == 2
    assert "error[refused.step.held]: 步骤“tax”已由 tax 的 li 认领" in taken.output
    refused = run("act", case_id, "approve", "tax", "--as", "department:qian@tax", db=db)
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    not_theirs = run("assign", case_id, "tax", "qian", "--as", "department:li@tax", db=db)
    assert not_theirs.exit_code == 2 and "refused.step.not_assigner" in not_theirs.output
    moved = run("assign", case_id, "tax", "qian", "--as", "supervisor:zhao@tax", db=db)
    assert moved.exit_code == 0 and "held by qian" in moved.output
    queue = run("--lang", "en", "queue", "tax", db=db).output
    assert "held by" in queue and "qian" in queue
    assert run("act", case_id, "approve", "tax", "--as", "department:qian@tax",
               db=db).exit_code == 0
    history = json.loads(run("history", case_id, "--format", "json", db=db).output)
    held = [(e["action"], e["data"]) for e in history
            if e["action"] in ("claimed", "released", "assigned", "reassigned")]
    assert held == [("claimed", {"department": "tax", "officer": "li"}),
                    ("reassigned", {"department": "tax", "from": "li", "to": "qian"})]
    assert "tax: li to qian" in run("history", case_id, db=db).output
    gone = json.loads(run("release", case_id, "tax", "--as", "supervisor:zhao@tax",
                          "--format", "json", db=db).output)
    assert gone["holder"] is None  # decided: the claim ended with it, nothing to release


def test_status_renders_the_summary_in_chinese_and_view_shows_the_form_to_who_may(
        tmp_path: Path) -> None:
    """Issue 16 item 5: the command is a thin rendering of Engine.summary (its JSON is
    CaseSummary.to_json()); the form is only in view, to those who may see it."""
    from tests.support.restaurant import NOW, restaurant

    from onething.stores.sqlite import SqliteStore

    db = tmp_path / "cases.sqlite3"
    store = SqliteStore(db)
    engine, _, case_id = restaurant(store)
    at = NOW.isoformat()
    shown = json.loads(run("status", case_id, "--now", at, "--format", "json", db=db).output)
    assert shown == json.loads(json.dumps(engine.summary(case_id).to_json()))
    text = run("status", case_id, "--now", at, db=db).output
    for line in ("状态：办理中；牵头部门：市场监管局",
                 "户外招牌设施设置（outdoor_signboard），部门办理中：城管局",
                 "容缺材料：消防安全承诺书（容缺后补）（fire_safety_commitment），3个工作日内补交，截止",
                 "待补正：公众聚集场所投入使用、营业前消防安全检查（fire_safety_check），消防救援大队",
                 "告知承诺：食品经营许可（food_business_permit），市场监管局：待核查，核查期限",
                 "审批通过 户外招牌设施设置 [approve outdoor_signboard]：城管局部门经办人",
                 "延长办理时限 [extend]：本级人民政府负责人",
                 "户外招牌设施设置（outdoor_signboard）：计时中，正常，承诺",
                 "暂停计时（补正期间）"):
        assert line in text, line
    assert "430381" not in text and "13912345678" not in text
    assert "[supplement_material]" in text and "[deemed_acceptance]" not in text
    refused = run("view", case_id, "--as", "window:x@fire_rescue", db=db)  # not the lead
    assert refused.exit_code == 2 and "refused.case.not_visible" in refused.output
    seen = json.loads(run("view", case_id, "--as", "department:x@fire_rescue", "--format",
                          "json", db=db).output)
    assert set(seen["fields"]) == {"premises_address", "business_area"}  # what its step reads
    store.close()
