"""Every ``--format json`` output has a JSON Schema (draft 2020-12) shipped in the package, and
real runs of each command match it, types included: a number is not its text, a boolean not
``"True"``, a time is ISO 8601 with the +08:00 offset (docs/decisions/0020-typed-json.md)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
from click.testing import CliRunner
from tests.support.factories import ROOT, sample_form, sample_materials, shipped

from onething.cli import cli
from onething.language.model import Field, Form

STARTUP = shipped("enterprise_startup.yaml")
RESTAURANT = shipped("restaurant_opening.yaml")
PARALLEL = {"seal": "public_security", "tax": "tax", "social_insurance": "human_resources",
            "medical_insurance": "medical_security", "housing_fund": "housing_fund_centre",
            "bank_appointment": "bank"}
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(text: object) -> bool:
    """RFC 3339 as Python reads it, with its offset (a time without one is refused)."""
    return not isinstance(text, str) or dt.datetime.fromisoformat(text).tzinfo is not None


def schema(command: str) -> dict[str, Any]:
    text = resources.files("onething.cli").joinpath("schemas", f"{command}.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def validate(command: str, output: str) -> Any:
    data = json.loads(output)
    jsonschema.Draft202012Validator(schema(command), format_checker=FORMATS).validate(data)
    return data


def json_commands(group: click.Group = cli, prefix: str = "") -> list[str]:
    """Every command of the tree that offers ``--format json``."""
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += json_commands(command, f"{prefix}{name} ")
            continue
        for param in command.params:
            if "--format" in getattr(param, "opts", ()) and isinstance(param.type, click.Choice) \
                    and "json" in param.type.choices:
                found.append(prefix + name)
    return found


def test_every_command_with_json_output_has_a_valid_schema() -> None:
    commands = json_commands()
    assert {"submit", "act", "verify", "status", "history", "tick", "dispatch", "queue",
            "migrate", "erase", "check"} <= set(commands)
    shipped_schemas = {p.name.removesuffix(".json")
                       for p in resources.files("onething.cli").joinpath("schemas").iterdir()
                       if p.name.endswith(".json")}
    # error.json: what any of them prints on stderr for a refusal or a rejected submission
    assert set(commands) | {"error"} == shipped_schemas
    for command in [*commands, "error"]:
        jsonschema.Draft202012Validator.check_schema(schema(command))


def test_docs_list_every_schema() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in json_commands():
        assert f"src/onething/cli/schemas/{command}.json" in text


def test_the_wheel_ships_the_schemas() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"cli/schemas/*.json"' in pyproject


class Runs:
    """The outputs of real runs, by command (several per command)."""

    def __init__(self, tmp: Path) -> None:
        self.db = tmp / "cases.sqlite3"
        self.tmp = tmp
        self.outputs: dict[str, list[str]] = {}

    def __call__(self, *args: str, code: int = 0, input: str | None = None,
                 db: bool = True) -> Any:
        tail = ["--db", str(self.db)] if db else []
        result = CliRunner().invoke(cli, [*args, "--format", "json", *tail], input=input,
                                    catch_exceptions=False)
        assert result.exit_code == code, result.output
        self.outputs.setdefault(args[0], []).append(result.output)
        return validate(args[0], result.output)

    def submit(self, workflow: str, form: dict[str, Any], materials: dict[str, Any]) -> str:
        (self.tmp / "form.json").write_text(json.dumps(form, ensure_ascii=False), "utf-8")
        (self.tmp / "materials.json").write_text(json.dumps(materials), "utf-8")
        made = self("submit", workflow, "--form", str(self.tmp / "form.json"), "--materials",
                    str(self.tmp / "materials.json"))
        assert made["accepted"] is True
        return str(made["case"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Two workflows' cases run from submission to delivery, verification and erasure, with
    every JSON command on the way; each output validated as it comes."""
    run = Runs(tmp_path_factory.mktemp("json"))
    deployed = CliRunner().invoke(cli, ["deploy", str(ROOT / "workflows" /
                                                      "enterprise_startup.yaml"),
                                        str(ROOT / "workflows" / "restaurant_opening.yaml"),
                                        "--db", str(run.db)])
    assert deployed.exit_code == 0, deployed.output
    rejected = run("submit", STARTUP.id, "--form", "-", code=2,
                   input=json.dumps({"company_name": "x"}))
    assert rejected["accepted"] is False
    form = sample_form(STARTUP) | {"employees": 12, "needs_invoice": True,
                                   "registered_capital": "100.50"}
    made = run("subscribe", "province", "--type", "accepted", "--type", "delivered")
    assert made == {"name": "province", "types": ["accepted", "delivered"], "workflows": [],
                    "departments": []}
    assert [s["name"] for s in run("subscriptions")] == ["province"]
    case_id = run.submit(STARTUP.id, form, sample_materials(STARTUP))
    waiting = run.submit(STARTUP.id, form, sample_materials(STARTUP))
    intake = run("queue", "--intake", "market_regulation")
    assert {c["case_id"] for c in intake["items"]} == {waiting, case_id}
    assert intake["items"] == sorted(intake["items"], key=lambda c: (c["intake_due"],
                                                                     c["case_id"]))
    assert intake["items"][0]["intake_due"].endswith("+08:00")
    paged = run("queue", "--intake", "--limit", "1")
    assert len(paged["items"]) == 1 and paged["next"]
    assert run("queue", "--intake", "--after", paged["next"])["items"] == intake["items"][1:]
    assert [c["case_id"] for c in run("cases", "--number", case_id)["items"]] == [case_id]
    assert {c["case_id"] for c in run("cases", "--status", "intake")["items"]} == {
        case_id, waiting}
    clerk = "window:li@market_regulation"
    accepted = run("act", case_id, "accept", "--as", clerk)
    assert accepted["version"] >= 1 and accepted["ended"] is False
    authorized = run("authorize", case_id, "agent-7", "--as", clerk)
    assert authorized["case"] == case_id and isinstance(authorized["version"], int)
    extended = run("extend", case_id, "3WD", "--step", "registration", "--reason", "复杂",
                   "--as", "supervisor:zhao@market_regulation")
    assert extended["clock"] == "registration" and extended["by"] == "3 WD"
    assert extended["due"].endswith("+08:00")
    run("act", case_id, "approve", "registration", "--as", "department:wang@market_regulation")
    assert [i["case_id"] for i in run("queue", "tax")["items"]] == [case_id]
    assert run("queue", "--alerts")["next"] is None
    claimed = run("claim", case_id, "tax", "--as", "department:li@tax")
    assert (claimed["department"], claimed["holder"]) == ("tax", "li")
    assert [i["assignee"] for i in run("queue", "tax")["items"]] == ["li"]
    assert [i["case_id"] for i in run("queue", "tax", "--assignee", "li")["items"]] == [case_id]
    assert run("release", case_id, "tax", "--as", "department:li@tax")["holder"] is None
    run("assign", case_id, "tax", "li", "--as", "supervisor:zhao@tax")
    assert run("assign", case_id, "tax", "x", "--as", "supervisor:zhao@tax")["holder"] == "x"
    run("status", case_id)
    run("view", case_id, "--as", clerk)
    run("view", case_id, "--as", "department:wang@tax")  # what the tax office's step reads
    for step, department in PARALLEL.items():
        run("act", case_id, "approve", step, "--as", f"department:x@{department}")
    done = run("act", case_id, "deliver", "--as", clerk, "--method", "mail")
    assert done["ended"] is True and done["delivery"] == "result"
    rated = run("evaluate", case_id, "2", "--comment", "太慢", "--as", "agent:agent-7")
    assert rated["rating"] == 2 and rated["follow_up"]  # a bad rating opens a rectification
    run("dispatch")
    counted = run("report")
    assert counted["total"]["delivered"] == {"result": 1} and counted["ratings"]["bad"] == 1
    assert run("report", "--period", "all", "--workflow", STARTUP.id)["scope"]["workflow"] \
        == STARTUP.id
    watched = run("supervision", case_id, "--now", "2026-10-08T09:00:00+08:00")
    assert {r["kind"] for r in watched} == {"case", "step", "delivery"}
    said = run("events", case_id)
    assert [e["seq"] for e in said] == list(range(1, len(said) + 1))
    assert said[1]["type"] == "accepted" and said[1]["code"] == 3
    assert said[-1]["type"] == "follow_up_opened"
    waiting_out = run("outbox", "--case", case_id)
    assert [(n["type"], n["status"]) for n in waiting_out] == [("accepted", "pending"),
                                                                ("delivered", "pending")]
    channels = run.tmp / "channels.yaml"
    channels.write_text("province:\n  log: true\n", encoding="utf-8")
    sent = run("outbox", "--send", "--channels", str(channels), "--case", case_id)
    assert {n["status"] for n in sent} == {"sent"}
    assert len(run("outbox", "--replay", "province", "--case", case_id)) == 2
    listed = run("notices", case_id, "--as", clerk)
    assert [n["kind"] for n in listed] == ["acceptance", "extension", "grant"]
    page = CliRunner().invoke(cli, ["notices", case_id, "--as", clerk, "--number",
                                    listed[0]["number"], "--db", str(run.db)])
    assert page.exit_code == 0 and "受理通知书" in page.output
    run("status", case_id)
    run("history", case_id)
    fired = run("tick", "--now", "2099-01-01T09:00:00+08:00", "--allow-future")
    assert waiting in [f["case"] for f in fired]
    run("migrate", STARTUP.id, "--to", str(STARTUP.version), "--dry-run")
    green = shipped("major_project_green_channel.yaml")
    assert CliRunner().invoke(cli, ["deploy", str(ROOT / "workflows" /
                                                  "major_project_green_channel.yaml"),
                                    "--db", str(run.db)]).exit_code == 0
    key_project = run.submit(green.id, sample_form(green) | {"investment": "5000",
                                                             "key_project": True},
                             sample_materials(green))
    run("act", key_project, "accept", "--as", f"window:w@{green.lead}")
    first = green.steps.items[0]
    marked = run("milestone", key_project, first.id, "arrange", "--note", "已安排",
                 "--as", f"department:d@{first.department}")
    assert marked["milestone"] == "arrange" and marked["step"] == first.id

    shop = sample_form(RESTAURANT) | {"false_commitment_record": False, "sells_tobacco": False,
                                      "has_signboard": True, "business_area": "30.5"}
    shop_id = run.submit(RESTAURANT.id, shop, sample_materials(RESTAURANT))
    officer = "department:wang@market_regulation"
    run("act", shop_id, "accept", "--as", clerk)
    run("act", shop_id, "approve", "licence_check", "--as", officer)
    run("act", shop_id, "approve_on_commitment", "food_business_permit", "--as", officer)
    pending = run("status", shop_id)
    [commitment] = pending["commitments"]
    assert (commitment["step"], commitment["state"]) == ("food_business_permit", "pending")
    assert commitment["verify_by"].endswith("+08:00")
    run("act", shop_id, "approve", "outdoor_signboard", "--as",
        "department:zhao@urban_management")
    run("act", shop_id, "deliver", "--as", clerk, "--method", "mail")
    verdict = run("verify", shop_id, "food_business_permit", "--ok", "--as", officer)
    assert verdict["confirmed"] is True
    erased = run("erase", shop_id, "--now", "2099-01-01T00:00:00+08:00")
    assert "operator_id" in erased["fields"]
    run("status", shop_id)

    run("check", str(ROOT / "workflows" / "newborn.yaml"), db=False)
    simulated = run("simulate", str(ROOT / "workflows" / "construction_gov_investment.yaml"),
                    "--cases", "200", "--seed", "1", "--start", "2026-10-08", db=False)
    assert simulated["limits"][0]["which"] == "committed"
    run("simulate", "enterprise-startup", "--cases", "50", "--fit-db", str(run.db), db=False)
    bad = run.tmp / "bad.yaml"
    bad.write_text("id: x\n", encoding="utf-8")
    run("check", str(bad), db=False, code=2)
    return run


def test_each_command_ran_and_matched_its_schema(runs: Runs) -> None:
    assert set(runs.outputs) == set(json_commands())


def _typed_as(spec: Field, value: Any) -> bool:
    """Whether ``value`` is what a field of ``spec`` shows (docs/decisions/0020)."""
    if spec.personal or spec.type in ("id_card", "phone"):
        return isinstance(value, str) and "*" in value
    if spec.type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.type == "bool":
        return isinstance(value, bool)
    if spec.type == "decimal":
        return isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value) is not None
    if spec.type == "date":
        return isinstance(value, str) and dt.date.fromisoformat(value).isoformat() == value
    if spec.type == "list":
        return isinstance(value, list)
    return isinstance(value, str)


def form_problems(form_spec: Form, shown: dict[str, Any]) -> list[str]:
    return [f"{s.name}={shown[s.name]!r} is not a {s.type}" for s in form_spec.fields
            if s.name in shown and not _typed_as(s, shown[s.name])]


def test_form_values_are_typed_by_their_fields(runs: Runs) -> None:
    seen = json.loads(runs.outputs["view"][0])["fields"]
    assert form_problems(STARTUP.form, seen) == []
    assert (seen["employees"], seen["needs_invoice"], seen["registered_capital"]) == (
        12, True, "100.50")
    assert "*" in seen["legal_person_id"]
    tax = json.loads(runs.outputs["view"][1])["fields"]
    assert set(tax) == set(STARTUP.step("tax").reads)  # a department sees what it reads


def test_the_status_holds_no_form_value(runs: Runs) -> None:
    for output in runs.outputs["status"]:
        status = json.loads(output)
        assert "form" not in status and "430381" not in output and "13800138000" not in output


def test_a_date_field_is_a_date(tmp_path: Path) -> None:
    retirement = shipped("retirement.yaml")
    run = Runs(tmp_path)
    deployed = CliRunner().invoke(cli, ["deploy", str(ROOT / "workflows" / "retirement.yaml"),
                                        "--db", str(run.db)])
    assert deployed.exit_code == 0, deployed.output
    form = sample_form(retirement) | {"insured_years": 30, "retirement_date": "2026-03-01"}
    case_id = run.submit(retirement.id, form, sample_materials(retirement))
    shown = run("view", case_id, "--as", f"window:li@{retirement.lead}")["fields"]
    assert form_problems(retirement.form, shown) == []
    assert (shown["insured_years"], shown["retirement_date"]) == (30, "2026-03-01")


def test_times_are_in_shanghai_with_their_offset(runs: Runs) -> None:
    history = json.loads(runs.outputs["history"][0])
    assert all(e["at"].endswith("+08:00") for e in history)
    status = json.loads(runs.outputs["status"][1])
    assert status["delivery"]["at"].endswith("+08:00")


@pytest.mark.parametrize(("command", "index", "path", "text"), [
    ("act", 0, ("version",), "1"),
    ("act", 0, ("ended",), "False"),
    ("status", 0, ("green_channel",), "False"),
    ("status", 0, ("clocks", 0, "provisional"), "True"),
    ("queue", 0, ("items", 0, "priority"), "0"),
    ("queue", 0, ("items", 0, "notice_out"), "False"),
    ("cases", 0, ("items", 0, "priority"), "0"),
    ("claim", 0, ("version",), "5"),
    ("status", 0, ("version",), "3"),
    ("history", 0, (0, "seq"), "1"),
    ("tick", 0, (0, "fired"), "True"),
    ("verify", 0, ("confirmed",), "True"),
    ("migrate", 0, ("dry_run",), "True"),
    ("check", 0, ("files", 0, "proof", "states"), "79"),
])
def test_a_stringified_number_or_boolean_breaks_the_schema(
        runs: Runs, command: str, index: int, path: tuple[Any, ...], text: str) -> None:
    data = json.loads(runs.outputs[command][index])
    broken = copy.deepcopy(data)
    inner = broken
    for key in path[:-1]:
        inner = inner[key]
    inner[path[-1]] = text
    with pytest.raises(jsonschema.ValidationError):
        validate(command, json.dumps(broken))


def test_a_stringified_form_value_is_caught(runs: Runs) -> None:
    seen = json.loads(runs.outputs["view"][0])
    for name, text in (("employees", "12"), ("needs_invoice", "False")):
        shown = seen["fields"] | {name: text}
        assert form_problems(STARTUP.form, shown) == [f"{name}={text!r} is not a "
                                                      f"{STARTUP.form.field(name).type}"]


def test_a_time_without_the_shanghai_offset_breaks_the_schema(runs: Runs) -> None:
    history = json.loads(runs.outputs["history"][0])
    for moment in ("2026-10-08T01:00:00+00:00", "2026-10-08T09:00:00", "2026-10-08"):
        history[0]["at"] = moment
        with pytest.raises(jsonschema.ValidationError):
            validate("history", json.dumps(history))
