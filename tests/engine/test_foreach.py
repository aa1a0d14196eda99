"""Steps done item by item over a list field (issue 14 item 5: one decision per vehicle, per
employee; decision 0015). The list is part of the one form, each item checked and masked; the
step's department decides each item once per round; the step is approved when every item is,
refused at the first refused item; an optional list left empty skips the step. The case net
treats the step as one decision, so the proof is the proof of one step with the list's two
form cells (given, not given)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.cases.forms import masked_form
from onething.cases.records import applicant, officer, window
from onething.cli import cli
from onething.diagram import render
from onething.engine.engine import Engine
from onething.errors import ActionRefused, SubmissionRejected, ValueProblem
from onething.language.form_check import accepts, clean_list
from onething.language.form_space import cell_groups
from onething.language.load import parse
from onething.language.model import Workflow
from onething.soundness.proof import check
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

TEXT = """\
onething: 1
id: fleet
version: 1
title: 道路运输车辆年审一件事
lead: hall
form:
  fields:
    company: {type: string, required: true}
    vehicles:
      type: list
      label: 车辆
      required: %(required)s
      max_items: 5
      item:
        plate: {type: string, required: true, label: 号牌}
        owner_id: {type: id_card}
        load_tons: {type: decimal, min: 0, max: 100}
        registered: {type: date}
steps:
  - {id: licence, department: transport, reads: [company], produces: [licence]}
  - id: inspection
    title: 车辆年审
    department: vehicles
    reads: [vehicles]
    produces: [inspection_marks]
    foreach: vehicles
delivery:
  bundle: [licence, inspection_marks]
  methods: [window]
"""
START = dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
OWNER = "11010519491231002X"
VEHICLE = {"plate": "湘A12345", "owner_id": OWNER.lower(), "load_tons": "1.5",
           "registered": "2020-05-01"}


def fleet(required: bool = False) -> Workflow:
    return parse(TEXT % {"required": str(required).lower()}).unwrap()


def at_inspection(engine: Engine, vehicles: list[object]) -> str:
    """A case whose licence is approved: waiting on the inspection (or past it)."""
    wf = fleet()
    engine.deploy(wf)
    case = engine.submit("fleet", {"company": "运输公司", "vehicles": vehicles}, {},
                         actor=applicant("a"))
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "licence", "approve", officer("transport"))
    return case.id


def decide(engine: Engine, case_id: str, item: int, vote: str) -> None:
    engine.act(case_id, "inspection", vote, officer("vehicles"), "不合格" if vote == "refuse"
               else "", item=item)


# -- the list in the form ----------------------------------------------------------------------


def test_a_list_is_cleaned_item_by_item_and_stored_on_every_store(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = at_inspection(engine, [VEHICLE, {"plate": "湘B2"}])
    stored = engine.case(case_id).form["vehicles"]
    assert stored == [{"plate": "湘A12345", "owner_id": OWNER, "load_tons": Decimal("1.5"),
                       "registered": dt.date(2020, 5, 1)},
                      {"plate": "湘B2", "owner_id": None, "load_tons": None,
                       "registered": None}]


def test_every_refused_item_is_named_in_one_problem() -> None:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(fleet())
    with pytest.raises(SubmissionRejected) as refused:
        engine.submit("fleet", {"company": "c", "vehicles": [
            {"plate": ""}, {"plate": "x", "owner_id": "110105194912310021"}, "湘C3",
            {"plate": "y", "colour": "red"}, {"plate": "z", "load_tons": "101"}]}, {})
    [problem] = refused.value.problems
    assert problem.name == "vehicles"
    for part in ("item 1, plate: is required", "item 2, owner_id:", "item 3 is str",
                 "item 4, colour: is not a field", "item 5, load_tons:"):
        assert part in problem.message
    assert "110105194912310021" not in str(refused.value)  # the refused number is masked


@pytest.mark.parametrize("given", [[VEHICLE] * 6, {"plate": "x"}, "not json", 5])
def test_a_list_of_the_wrong_shape_or_length_is_refused(given: object) -> None:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(fleet())
    with pytest.raises(SubmissionRejected, match="vehicles"):
        engine.submit("fleet", {"company": "c", "vehicles": given}, {})


def test_an_empty_list_is_no_list_and_a_required_list_needs_an_item() -> None:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(fleet(required=True))
    with pytest.raises(SubmissionRejected, match="vehicles: is required"):
        engine.submit("fleet", {"company": "c", "vehicles": []}, {})
    assert clean_list(fleet().form.field("vehicles"), "[]") is None  # type: ignore[arg-type]


items = st.fixed_dictionaries({
    "plate": st.text("湘ABC0123456789", min_size=1, max_size=8),
    "load_tons": st.none() | st.decimals(0, 100, places=2, allow_nan=False),
    "registered": st.none() | st.dates(dt.date(1990, 1, 1), dt.date(2026, 1, 1)),
})


@settings(max_examples=60, deadline=None)
@given(st.lists(items, max_size=7))
def test_a_list_is_accepted_exactly_when_its_length_and_every_item_are(
        vehicles: list[dict[str, object]]) -> None:
    """The property: within 1..5 items of valid values, the clean list is the list (with every
    item field present) and the form check accepts it as it is; more items are refused."""
    spec = fleet().form.field("vehicles")
    assert spec is not None
    full = [{"owner_id": None, **v} for v in vehicles]
    if len(vehicles) > 5:
        with pytest.raises(ValueProblem):
            clean_list(spec, vehicles)
        return
    clean = clean_list(spec, vehicles)
    assert clean == (full or None)
    assert accepts(fleet().form, {"company": "c", "vehicles": clean})
    assert clean_list(spec, json.dumps(vehicles, default=str)) == clean  # the CLI's JSON text


def test_every_personal_number_in_the_items_is_masked() -> None:
    shown = masked_form(fleet().form, {"company": "c", "vehicles": [
        {"plate": "湘A1", "owner_id": OWNER, "load_tons": Decimal("2"), "registered": None}]})
    assert OWNER not in shown["vehicles"] and "owner_id=110" in shown["vehicles"]
    assert shown["vehicles"].startswith("1) plate=湘A1")


# -- the round -----------------------------------------------------------------------------


@pytest.mark.parametrize("votes", [["approve", "approve", "approve"],
                                   ["approve", "refuse"], ["refuse"]])
def test_every_item_approves_or_the_first_refusal_refuses(any_store: Store,
                                                          votes: list[str]) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = at_inspection(engine, [VEHICLE, {"plate": "湘B2"}, {"plate": "湘C3"}])
    for item, vote in enumerate(votes, start=1):
        decide(engine, case_id, item, vote)
    case = engine.case(case_id)
    record = case.outcomes["inspection"]
    assert record["outcome"] == votes[-1]
    assert [s["signer"] for s in record["sign_offs"]] == [
        f"item {i}" for i in range(1, len(votes) + 1)]
    if votes[-1] == "refuse":
        assert engine.delivery(case_id).kind == "refusal"
        last = engine.history(case_id)[-2]
        assert last.data["cancelled"] == [f"item {i}" for i in range(len(votes) + 1, 4)]
    else:
        assert "ready" in case.marking and "inspection_marks" in case.produced


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(
    st.just(n), st.permutations(range(1, n + 1)),
    st.lists(st.sampled_from(["approve", "refuse"]), min_size=n, max_size=n))))
def test_a_round_decides_the_step_once_at_the_first_vote_that_settles_it(
        drawn: tuple[int, list[int], list[str]]) -> None:
    """For every list length, order of items and votes: the step stays undecided while every
    vote so far approves and items are left, and is decided by the vote that settles it,
    approved only when every item approved."""
    count, order, votes = drawn
    engine = Engine(clock=FixedClock(START))
    case_id = at_inspection(engine, [{"plate": f"湘A{i}"} for i in range(count)])
    for done, (item, vote) in enumerate(zip(order, votes, strict=True), start=1):
        decide(engine, case_id, item, vote)
        record = engine.case(case_id).outcomes["inspection"]
        settled = vote == "refuse" or done == count
        assert record["outcome"] == (vote if settled else "signing")
        if settled:
            break
    decided = [e for e in engine.history(case_id) if e.step == "inspection"
               and e.action in ("approve", "refuse")]
    assert len(decided) == 1


def test_which_item_is_decided_is_checked() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = at_inspection(engine, [VEHICLE, {"plate": "湘B2"}])
    who = officer("vehicles")
    with pytest.raises(ActionRefused, match="say which item of 'vehicles'"):
        engine.act(case_id, "inspection", "approve", who)
    with pytest.raises(ActionRefused, match="1 to 2"):
        engine.act(case_id, "inspection", "approve", who, item=3)
    decide(engine, case_id, 1, "approve")
    with pytest.raises(ActionRefused, match="item 1 of 'inspection' is decided already"):
        decide(engine, case_id, 1, "refuse")
    with pytest.raises(ActionRefused, match="not a decision on one item"):
        engine.act(case_id, "inspection", "request_correction", who, "补正", item=2)
    assert [e.action for e in engine.history(case_id)][-5:] == [
        "refused_attempt", "refused_attempt", "signed_off", "refused_attempt", "refused_attempt"]
    other = engine.submit("fleet", {"company": "c", "vehicles": [VEHICLE]}, {})
    engine.accept(other.id, window("hall"))
    with pytest.raises(ActionRefused, match="not a decision on one item"):
        engine.act(other.id, "licence", "approve", officer("transport"), item=1)


def test_a_correction_starts_the_round_again_over_the_list_as_supplemented() -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = at_inspection(engine, [VEHICLE, {"plate": "湘B2"}])
    decide(engine, case_id, 1, "approve")
    engine.act(case_id, "inspection", "request_correction", officer("vehicles"), "补充第三辆")
    engine.supplement(case_id, applicant("a"), step="inspection", fields={
        "vehicles": [VEHICLE, {"plate": "湘B2"}, {"plate": "湘C3"}]})
    for item in (1, 2):
        decide(engine, case_id, item, "approve")
    assert engine.case(case_id).outcomes["inspection"]["outcome"] == "signing"
    decide(engine, case_id, 3, "approve")
    assert engine.case(case_id).outcomes["inspection"]["outcome"] == "approve"


def test_an_empty_optional_list_skips_the_step(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = at_inspection(engine, [])
    case = engine.case(case_id)
    assert "ready" in case.marking and "inspection" not in case.outcomes
    assert "enter:inspection" not in engine.history(case_id)[-1].data.get("then", [])


# -- proof, diagram, command line ---------------------------------------------------------


def test_the_proof_explores_the_list_given_and_not_given() -> None:
    wf = fleet()
    report = check(wf)
    assert report.sound, report.violations
    [group] = cell_groups([wf.step_condition(wf.step("inspection")).expr],  # type: ignore[union-attr]
                          wf.form)
    given = sorted(cell["vehicles"] is not None for cell in group.cells)
    assert given == [False, True]
    for cell in group.cells:  # every form the proof explores is one the window accepts
        assert accepts(wf.form, {"company": "c", "vehicles": cell["vehicles"]})
    assert not check(fleet(required=True)).violations  # a required list: never skipped
    assert fleet(required=True).step_condition(fleet(required=True).step("inspection")) is None


def test_the_diagram_says_item_by_item() -> None:
    text = render(fleet(), "mermaid")
    assert "逐项办理: each item of vehicles on its own" in text


def test_the_command_line_decides_items_and_shows_the_round(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(TEXT % {"required": "true"}, encoding="utf-8")
    db = str(tmp_path / "cases.sqlite3")
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", str(path), "--db", db]).exit_code == 0
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"company": "运输公司", "vehicles": [VEHICLE, {"plate": "湘B2"}]},
                               ensure_ascii=False), encoding="utf-8")
    submitted = runner.invoke(cli, ["submit", "fleet", "--form", str(form), "--db", db,
                                    "--format", "json"])
    case_id = json.loads(submitted.output)["case"]
    for args in (["accept", "--as", "window:w@hall"],
                 ["approve", "licence", "--as", "department:li@transport"],
                 ["approve", "inspection", "--item", "2", "--as", "department:z@vehicles"]):
        done = runner.invoke(cli, ["act", case_id, *args, "--db", db])
        assert done.exit_code == 0, done.output
    shown = runner.invoke(cli, ["status", case_id, "--db", db])
    assert "逐项办理：已同意 1、不同意 0，共 2，需 2 项同意；尚未办理：item 1" in shown.output
    assert OWNER not in shown.output
    missing = runner.invoke(cli, ["act", case_id, "approve", "inspection", "--db", db,
                                  "--as", "department:z@vehicles"])
    assert missing.exit_code == 2 and "error[refused.step.item_unnamed]" in missing.output
    zero = runner.invoke(cli, ["act", case_id, "approve", "inspection", "--item", "0",
                               "--db", db, "--as", "department:z@vehicles"])
    assert zero.exit_code == 2 and "Traceback" not in zero.output


# -- review findings ---------------------------------------------------------------------------

PARALLEL = """\
onething: 1
id: fleet2
version: 1
title: 车辆年审（并联）
lead: hall
form:
  fields:
    vehicles:
      type: list
      required: %(required)s
      max_items: 5
      item: {plate: {type: string, required: true}}
steps:
  - parallel:
      - {id: inspection, department: vehicles, foreach: vehicles}
      - {id: check, department: police, reads: [vehicles]}
delivery:
  bundle: []
  methods: [window]
"""


def parallel_case(engine: Engine, required: bool = True) -> str:
    engine.deploy(parse(PARALLEL % {"required": str(required).lower()}).unwrap())
    case = engine.submit("fleet2", {"vehicles": [{"plate": p} for p in "ABC"]}, {},
                         actor=applicant("a"))
    engine.accept(case.id, window("hall"))
    return case.id


def test_a_list_changed_by_another_steps_correction_starts_the_round_again() -> None:
    """Regression: the votes for the old items 1 and 3 approved the new list's items."""
    engine = Engine(clock=FixedClock(START))
    case_id = parallel_case(engine)
    for item in (1, 3):
        decide(engine, case_id, item, "approve")
    engine.act(case_id, "check", "request_correction", officer("police"), "号牌有误")
    engine.supplement(case_id, applicant("a"), step="check",
                      fields={"vehicles": [{"plate": p} for p in "XYZ"]})
    assert engine.history(case_id)[-1].data["rounds_restarted"] == ["inspection"]
    decide(engine, case_id, 2, "approve")
    assert engine.case(case_id).outcomes["inspection"]["outcome"] == "signing"
    for item in (1, 3):
        decide(engine, case_id, item, "approve")
    assert engine.case(case_id).outcomes["inspection"]["outcome"] == "approve"


def test_a_correction_may_change_an_optional_lists_items_but_not_empty_it() -> None:
    """Regression: emptying the list left an entered step with no items, decided as one."""
    engine = Engine(clock=FixedClock(START))
    case_id = parallel_case(engine, required=False)
    engine.act(case_id, "check", "request_correction", officer("police"), "补正")
    with pytest.raises(ActionRefused, match="not empty it"):
        engine.supplement(case_id, applicant("a"), step="check", fields={"vehicles": []})
    engine.supplement(case_id, applicant("a"), step="check",
                      fields={"vehicles": [{"plate": "X"}]})
    with pytest.raises(ActionRefused, match="1 to 1"):
        decide(engine, case_id, 2, "approve")


def test_a_step_done_item_by_item_reads_its_list() -> None:
    """Regression: a foreach step whose reads left out the list showed its department no
    items, and its own correction could not change them."""
    engine = Engine(clock=FixedClock(START))
    case_id = parallel_case(engine)
    assert "vehicles" in engine.view(case_id, officer("vehicles"))["fields"]
    engine.act(case_id, "inspection", "request_correction", officer("vehicles"), "补正")
    engine.supplement(case_id, applicant("a"), step="inspection",
                      fields={"vehicles": [{"plate": "X"}]})
    decide(engine, case_id, 1, "approve")
    assert engine.case(case_id).outcomes["inspection"]["outcome"] == "approve"


def test_the_diagram_draws_the_skip_of_an_optional_list() -> None:
    """Regression: only a 'when' drew the dashed skip edge."""
    text = render(fleet(), "mermaid")
    assert "s_inspection -. \"else: skip\"" in text or "else: skip" in text.split(
        "s_inspection", 2)[-1]
    assert "else: skip" not in render(fleet(required=True), "mermaid")


def test_a_personal_list_masks_every_item() -> None:
    """Regression: 'personal: true' on the list itself was ignored."""
    wf = parse(TEXT.replace("      max_items: 5\n", "      max_items: 5\n      personal: true\n")
               % {"required": "false"}).unwrap()
    shown = masked_form(wf.form, {"company": "c", "vehicles": [
        {"plate": "湘A12345", "owner_id": None, "load_tons": Decimal("12.5"),
         "registered": None}]})
    assert "湘A12345" not in shown["vehicles"] and "12.5" not in shown["vehicles"]
    engine = Engine(clock=FixedClock(START))
    engine.deploy(wf)
    with pytest.raises(SubmissionRejected) as refused:
        engine.submit("fleet", {"company": "c", "vehicles": [{"plate": "x",
                                                              "load_tons": "王小明"}]}, {})
    assert "王小明" not in str(refused.value)


def test_deeply_nested_json_text_is_a_problem_of_the_field() -> None:
    """Regression: a RecursionError escaped the form check."""
    engine = Engine(clock=FixedClock(START))
    engine.deploy(fleet())
    with pytest.raises(SubmissionRejected, match="vehicles: is text that is not a JSON list"):
        engine.submit("fleet", {"company": "c", "vehicles": "[" * 100_000}, {})


def test_the_deciding_event_and_the_history_name_the_item() -> None:
    """Regression: the approve or refuse that settled the round did not say which item."""
    from onething.cases.timeline import timeline
    engine = Engine(clock=FixedClock(START))
    case_id = at_inspection(engine, [VEHICLE, {"plate": "湘B2"}])
    decide(engine, case_id, 2, "approve")
    decide(engine, case_id, 1, "refuse")
    history = engine.history(case_id)
    decided = next(e for e in history if e.action == "refuse")
    assert decided.data["signer"] == "item 1"
    lines = timeline(history)
    assert any("approve by item 2" in line for line in lines)
    assert any("refuse by item 1" in line for line in lines)


def test_every_problem_of_a_record_item_is_named() -> None:
    """Regression: only the first problem of each item was reported."""
    spec = fleet().form.field("vehicles")
    assert spec is not None
    with pytest.raises(ValueProblem) as refused:
        clean_list(spec, [{"owner_id": "1101", "load_tons": "abc", "colour": "red"}])
    message = refused.value.message
    for part in ("colour: is not a field of an item", "owner_id:", "load_tons:",
                 "plate: is required"):
        assert part in message


def test_a_broken_list_is_reported_once_and_lists_do_not_nest() -> None:
    """Regression: a list field with a mistake also drew a false foreach-field error."""
    broken = TEXT.replace("      max_items: 5\n", "      max_items: 501\n") % {"required": "false"}
    codes = [d.code for d in parse(broken).diagnostics]
    assert "bad-value" in codes and "foreach-field" not in codes
    nested = TEXT.replace("      item:\n", "      item: {type: list}\n      old_item:\n") \
        % {"required": "false"}
    assert any("lists do not nest" in d.hint for d in parse(nested).diagnostics)


def test_the_command_line_refuses_an_item_on_other_actions_and_shows_what_is_open(
        tmp_path: Path) -> None:
    """Regression: --item was ignored on accept and withdraw; status gave counts only."""
    path = tmp_path / "fleet.yaml"
    path.write_text(TEXT % {"required": "true"}, encoding="utf-8")
    db = str(tmp_path / "cases.sqlite3")
    runner = CliRunner()
    runner.invoke(cli, ["deploy", str(path), "--db", db])
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"company": "c", "vehicles": [VEHICLE, {"plate": "B"},
                                                             {"plate": "C"}]}), "utf-8")
    case_id = json.loads(runner.invoke(cli, ["submit", "fleet", "--form", str(form), "--db",
                                             db, "--format", "json"]).output)["case"]
    wrong = runner.invoke(cli, ["act", case_id, "withdraw", "--item", "2", "--db", db,
                                "--as", "applicant:x"])
    assert wrong.exit_code == 2 and "--item goes with approve or refuse" in wrong.output
    for args in (["accept", "--as", "window:w@hall"],
                 ["approve", "licence", "--as", "department:li@transport"],
                 ["approve", "inspection", "--item", "2", "--as", "department:z@vehicles"]):
        assert runner.invoke(cli, ["act", case_id, *args, "--db", db]).exit_code == 0
    shown = runner.invoke(cli, ["status", case_id, "--db", db]).output
    assert "尚未办理：item 1、item 3" in shown
