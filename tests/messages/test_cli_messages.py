"""The command line prints refusals and problems in the language ``--lang`` or
``$ONETHING_LANG`` chooses, Chinese by default, after their code; under ``--format json`` a
refusal is JSON on stderr that matches schemas/error.json."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result
from tests.support.factories import ROOT, sample_form, sample_materials, shipped

from onething.cli import cli

STARTUP = shipped("enterprise_startup.yaml")
WRONG = ["approve", "registration", "--as", "department:li@tax"]


def run(*args: str, db: Path, lang: str | None = None, input: str | None = None) -> Result:
    """The command with ``$ONETHING_LANG`` set to ``lang`` (unset for None)."""
    return CliRunner().invoke(cli, [*args, "--db", str(db)], input=input,
                              env={"ONETHING_LANG": lang}, catch_exceptions=False)


@pytest.fixture
def accepted(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "cases.sqlite3"
    assert run("deploy", str(ROOT / "workflows" / "enterprise_startup.yaml"),
               db=db).exit_code == 0
    form = json.dumps(sample_form(STARTUP), ensure_ascii=False)
    (tmp_path / "materials.json").write_text(json.dumps(sample_materials(STARTUP)), "utf-8")
    made = run("submit", STARTUP.id, "--form", "-", "--materials",
               str(tmp_path / "materials.json"), "--format", "json", db=db, input=form)
    case_id = json.loads(made.stdout)["case"]
    assert run("act", case_id, "accept", "--as", "window:w@market_regulation",
               db=db).exit_code == 0
    return db, case_id


def test_a_refusal_is_chinese_by_default_after_its_code(accepted: tuple[Path, str]) -> None:
    db, case_id = accepted
    result = run("act", case_id, *WRONG, db=db)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == ("error[refused.step.not_department]: 只有 market_regulation "
                                     "可以办理步骤“registration”（department:li@tax 无此权限）")


@pytest.mark.parametrize("how", ["option", "environment"])
def test_english_is_chosen_by_option_or_environment(accepted: tuple[Path, str],
                                                     how: str) -> None:
    db, case_id = accepted
    result = CliRunner().invoke(cli, ["--lang", "en", "act", case_id, *WRONG, "--db", str(db)],
                                env={"ONETHING_LANG": None}) if how == "option" \
        else run("act", case_id, *WRONG, db=db, lang="en")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error[refused.step.not_department]: Only "
                                     "market_regulation may decide on step registration "
                                     "(department:li@tax may not)")


def test_the_option_wins_over_the_environment(accepted: tuple[Path, str]) -> None:
    db, case_id = accepted
    result = CliRunner().invoke(cli, ["--lang", "zh", "act", case_id, *WRONG, "--db", str(db)],
                                env={"ONETHING_LANG": "en"})
    assert "无此权限" in result.stderr


def test_a_language_without_a_catalog_is_a_usage_error(accepted: tuple[Path, str]) -> None:
    db, case_id = accepted
    result = run("act", case_id, *WRONG, db=db, lang="fr")
    assert result.exit_code == 2 and "no messages in 'fr'" in result.stderr


@pytest.mark.parametrize(("tag", "word"), [("zh-CN", "无此权限"), ("zh_Hans", "无此权限"),
                                           ("EN", "may not"), ("en-US", "may not")])
def test_a_language_tag_as_locales_write_it_chooses_its_catalog(
        accepted: tuple[Path, str], tag: str, word: str) -> None:
    """A host's locale tag (review finding: ``ONETHING_LANG=zh-CN`` failed every command)."""
    db, case_id = accepted
    result = run("act", case_id, *WRONG, db=db, lang=tag)
    assert result.exit_code == 2 and word in result.stderr


def error_schema() -> dict[str, Any]:
    text = resources.files("onething.cli").joinpath("schemas", "error.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def test_under_json_a_refusal_is_json_on_stderr(accepted: tuple[Path, str]) -> None:
    db, case_id = accepted
    result = run("act", case_id, *WRONG, "--format", "json", db=db)
    assert result.exit_code == 2 and result.stdout == ""
    data = json.loads(result.stderr)
    jsonschema.Draft202012Validator(error_schema()).validate(data)
    error = data["error"]
    assert (error["code"], error["kind"], error["subject"]) == (
        "refused.step.not_department", "step", "registration")
    assert error["params"] == {"departments": "market_regulation", "actor": "department:li@tax"}
    assert "无此权限" in error["text"]["zh"] and "may not" in error["text"]["en"]
    assert error["message"].startswith("only market_regulation decides")
    assert error["hint"] == "act as department:<officer>@market_regulation"


def test_under_json_a_rejected_correction_lists_its_problems(
        accepted: tuple[Path, str]) -> None:
    db, case_id = accepted
    asked = run("act", case_id, "request_correction", "registration", "--as",
                "department:wang@market_regulation", "--reason", "地址不清", db=db)
    assert asked.exit_code == 0, asked.output
    result = run("act", case_id, "supplement", "registration", "--field", "registered_capital=many",
                 "--as", "applicant:applicant", "--format", "json", db=db)
    assert result.exit_code == 2, result.output
    data = json.loads(result.stderr)
    jsonschema.Draft202012Validator(error_schema()).validate(data)
    assert data["error"]["code"] == "submission.case.rejected"
    assert [p["code"] for p in data["error"]["problems"]] == [
        "submission.field.not_number"]


def test_submit_lists_every_problem_in_the_chosen_language(tmp_path: Path) -> None:
    db = tmp_path / "cases.sqlite3"
    run("deploy", str(ROOT / "workflows" / "enterprise_startup.yaml"), db=db)
    form = json.dumps({**sample_form(STARTUP), "employees": "many"}, ensure_ascii=False)
    chinese = run("submit", STARTUP.id, "--form", "-", db=db, input=form)
    label = next(f.label for f in STARTUP.form.fields if f.name == "employees")
    assert chinese.exit_code == 2
    assert "申请有" in chinese.stdout and f"“{label}”应填写整数" in chinese.stdout
    english = run("submit", STARTUP.id, "--form", "-", db=db, input=form, lang="en")
    assert "employees: expected a whole number" in english.stdout
    problems = json.loads(run("submit", STARTUP.id, "--form", "-", "--format", "json", db=db,
                              input=form).stdout)["problems"]
    employees = next(p for p in problems if p["name"] == "employees")
    assert (employees["code"], employees["kind"], employees["params"]) == (
        "submission.field.not_whole_number", "field", {"label": label})
