"""Steps decided by several signers (issue 14 item 5: 联合踏勘, 联合验收, k-of-n expert review):
each signer signs once; ``need`` approvals decide the step approved, and it is refused as soon
as approval can no longer be reached; the signers still out are cancelled. The case net treats
the step as one decision (the deciding sign-off fires approve or refuse), so the proof is the
proof of one step, and the property that every round decides exactly once is tested here."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from onething.cases import sign_off as sign
from onething.cases.records import applicant, officer, window
from onething.cli import cli
from onething.diagram import render
from onething.engine.engine import Engine
from onething.errors import ActionRefused, NotAuthorized
from onething.language.load import parse
from onething.language.step_keys import SignOff
from onething.soundness.proof import check
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

TEXT = """\
onething: 1
id: joint
version: 1
title: 联合踏勘
lead: hall
form:
  fields:
    site: {{type: string, required: true}}
steps:
  - id: inspection
    title: 联合踏勘
    department: market
    reads: [site]
    produces: [inspection_record]
    sign_off: {sign_off}
  - {{id: licence, department: hall, produces: [licence]}}
delivery:
  bundle: [licence, inspection_record]
  methods: [window]
"""
START = dt.datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)


def workflow(sign_off: str) -> object:
    return parse(TEXT.format(sign_off=sign_off)).unwrap()


def opened(engine: Engine, sign_off: str) -> str:
    wf = workflow(sign_off)
    engine.deploy(wf)
    case = engine.submit("joint", {"site": "幸福路 1 号"}, {})
    engine.accept(case.id, window("hall"))
    return case.id


# -- the rule of the round, on its own ---------------------------------------------------------


@given(st.integers(2, 7).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(1, n), st.lists(st.sampled_from(["approve", "refuse"]),
                                            min_size=n, max_size=n))))
def test_every_round_decides_exactly_once(round_: tuple[int, int, list[str]]) -> None:
    """Whatever the order of the sign-offs, the step is decided exactly once, at the first
    moment the votes settle it, and by the time everyone has signed at the latest."""
    seats, need, votes = round_
    rule = SignOff(by=tuple(f"d{i}" for i in range(seats)), need=need)
    decided = [sign.decision(votes[: i + 1], rule) for i in range(seats)]
    first = next(i for i, d in enumerate(decided) if d is not None)
    assert all(d is None for d in decided[:first])
    assert decided[-1] is not None
    approvals = votes[: first + 1].count("approve")
    assert decided[first] == ("approve" if approvals >= need else "refuse")
    assert decided[first] == votes[first]  # the deciding sign-off is the decision


# -- the engine, on every store ------------------------------------------------------------------


def test_all_must_sign_and_the_queue_waits_on_who_has_not(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine, "{by: [market, fire, ecology], need: all}")
    engine.act(case_id, "inspection", "approve", officer("market"))
    engine.act(case_id, "inspection", "approve", officer("fire"))
    case = engine.case(case_id)
    assert case.outcomes["inspection"]["outcome"] == "signing"
    assert "step:inspection" in case.marking and "inspection_record" not in case.produced
    assert [q.case_id for q in engine.queue("market").items] == []
    assert [q.case_id for q in engine.queue("ecology").items] == [case_id]
    engine.act(case_id, "inspection", "approve", officer("ecology"))
    case = engine.case(case_id)
    assert case.outcomes["inspection"]["outcome"] == "approve"
    assert [s["signer"] for s in case.outcomes["inspection"]["sign_offs"]] == [
        "market", "fire", "ecology"]
    assert "inspection_record" in case.produced
    history = [e for e in engine.history(case_id) if e.step == "inspection"]
    assert [e.action for e in history] == ["signed_off", "signed_off", "approve"]
    assert history[-1].data["approvals"] == 3 and history[-1].data["cancelled"] == []


def test_k_of_n_cancels_the_stragglers(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine, "{by: [market, fire, ecology], need: 2}")
    engine.act(case_id, "inspection", "refuse", officer("fire"), reason="消防通道不足")
    engine.act(case_id, "inspection", "approve", officer("market"))
    assert engine.case(case_id).outcomes["inspection"]["outcome"] == "signing"
    engine.act(case_id, "inspection", "approve", officer("ecology"))
    decided = next(e for e in engine.history(case_id) if e.action == "approve")
    assert decided.data["cancelled"] == []
    assert engine.queue("fire").items == ()
    engine.act(case_id, "licence", "approve", officer("hall"))
    engine.deliver(case_id, window("hall"))
    assert engine.case(case_id).delivery_kind == "result"


def test_refused_as_soon_as_approval_cannot_be_reached(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine, "{by: [market, fire, ecology], need: all}")
    engine.act(case_id, "inspection", "approve", officer("market"))
    engine.act(case_id, "inspection", "refuse", officer("fire"), reason="消防通道不足")
    case = engine.case(case_id)
    assert case.delivery_kind == "refusal"
    refusal = next(e for e in engine.history(case_id) if e.action == "refuse")
    assert refusal.data["cancelled"] == ["ecology"]
    with pytest.raises(ActionRefused):
        engine.act(case_id, "inspection", "approve", officer("ecology"))


def test_an_expert_signs_once_and_k_experts_decide(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine, "{experts: 3, need: 2}")
    engine.act(case_id, "inspection", "approve", officer("market", "expert-a"))
    with pytest.raises(ActionRefused, match="already signed"):
        engine.act(case_id, "inspection", "approve", officer("market", "expert-a"))
    assert engine.history(case_id)[-1].action == "refused_attempt"
    engine.act(case_id, "inspection", "approve", officer("market", "expert-b"))
    decided = engine.case(case_id).outcomes["inspection"]
    assert decided["outcome"] == "approve" and len(decided["sign_offs"]) == 2
    assert next(e for e in engine.history(case_id)
                if e.action == "approve").data["cancelled"] == 1


def test_a_correction_starts_the_round_again(any_store: Store) -> None:
    engine = Engine(any_store, clock=FixedClock(START))
    case_id = opened(engine, "{by: [market, fire], need: all}")
    engine.act(case_id, "inspection", "approve", officer("market"))
    engine.act(case_id, "inspection", "request_correction", officer("fire"), reason="补图")
    engine.supplement(case_id, applicant(), step="inspection", fields={"site": "幸福路 2 号"})
    engine.act(case_id, "inspection", "approve", officer("fire"))
    assert engine.case(case_id).outcomes["inspection"]["outcome"] == "signing"
    engine.act(case_id, "inspection", "approve", officer("market"))  # market signs again
    assert engine.case(case_id).outcomes["inspection"]["outcome"] == "approve"


@pytest.mark.parametrize("action", ["approve", "refuse", "request_correction"])
def test_only_the_signers_act_and_see(action: str) -> None:
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, "{by: [market, fire], need: all}")
    with pytest.raises(NotAuthorized, match="market, fire"):
        engine.act(case_id, "inspection", action, officer("ecology"), reason="x")
    assert "site" in engine.view(case_id, officer("fire"))["fields"]
    assert "inspection" not in engine.case(case_id).outcomes


def test_a_withdrawal_cancels_a_round_in_the_notice() -> None:
    """A case that ends while a step is being signed lists the step as cancelled, not as
    decided."""
    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, "{by: [market, fire], need: all}")
    engine.act(case_id, "inspection", "approve", officer("market"))
    engine.withdraw(case_id, applicant(), "不办了")
    delivery = engine.delivery(case_id)
    assert delivery is not None
    [inspection] = [s for s in delivery.notice["items"] if s["step"] == "inspection"]
    assert inspection["outcome"] == "cancelled"


# -- the language, the proof and the diagram --------------------------------------------------


def test_the_proof_and_the_diagrams_see_it() -> None:
    for rule, line in (("{by: [market, fire, ecology], need: 2}",
                        "联合签署 (2 of 3): market, fire, ecology"),
                       ("{experts: 5, need: 3}", "专家评审 (3 of 5): 5 experts")):
        wf = workflow(rule)
        assert check(wf).sound
        for fmt in ("mermaid", "dot"):
            assert line in render(wf, fmt)


@pytest.mark.parametrize(("rule", "code", "said"), [
    ("{by: [market, fire], need: 3}", "bad-value", "from 1 to 2"),
    ("{by: [market, fire], experts: 3, need: 1}", "bad-value", "not both"),
    ("{need: all}", "missing-key", "either 'by'"),
    ("{by: [market], need: all}", "bad-value", "fewer than two"),
    ("{by: [market, market], need: all}", "duplicate-entry", "twice"),
    ("{experts: 1, need: 1}", "bad-value", "at least 2"),
    ("{experts: 51, need: 1}", "bad-value", "at most 50"),
    ("{experts: 3}", "missing-key", "'need'"),  # was a KeyError out of the loader
])
def test_a_sign_off_that_cannot_work_is_a_located_error(rule: str, code: str, said: str) -> None:
    result = parse(TEXT.format(sign_off=rule))
    found = [d for d in result.errors if d.code == code]
    assert found and said in found[0].message, result.errors
    assert found[0].location.line == 15  # the step's sign_off


def test_sign_off_and_commitment_do_not_mix() -> None:
    text = TEXT.format(sign_off="{by: [market, fire], need: all}").replace(
        "    reads: [site]\n", "    reads: [site]\n    commitment: true\n")
    assert [d.code for d in parse(text).errors] == ["sign-off-with-commitment"]


def test_the_command_line_signs_and_shows_the_round(tmp_path: Path) -> None:
    path = tmp_path / "joint.yaml"
    path.write_text(TEXT.format(sign_off="{by: [market, fire, ecology], need: 2}"),
                    encoding="utf-8")
    db = str(tmp_path / "cases.sqlite3")
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", str(path), "--db", db]).exit_code == 0
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"site": "幸福路 1 号"}), encoding="utf-8")
    submitted = runner.invoke(cli, ["submit", "joint", "--form", str(form), "--db", db,
                                    "--format", "json"])
    case_id = json.loads(submitted.output)["case"]
    runner.invoke(cli, ["act", case_id, "accept", "--as", "window:w@hall", "--db", db])
    signed = runner.invoke(cli, ["act", case_id, "approve", "inspection",
                                 "--as", "department:li@fire", "--db", db])
    assert signed.exit_code == 0, signed.output
    shown = runner.invoke(cli, ["status", case_id, "--db", db])
    assert "联合签署：已同意 1、不同意 0，共 3，需 2 项同意；尚未办理：market、ecology" \
        in shown.output
    data = json.loads(runner.invoke(cli, ["status", case_id, "--db", db,
                                          "--format", "json"]).output)
    [step] = data["waiting"]
    assert [(d["department"], d["vote"]) for d in step["departments"]] == [
        ("market", None), ("fire", "approve"), ("ecology", None)]
    again = runner.invoke(cli, ["act", case_id, "approve", "inspection",
                                "--as", "department:wang@fire", "--db", db])
    assert again.exit_code == 2 and "error[refused.step.signed_already]" in again.output


def test_a_half_signed_round_does_not_migrate_to_another_rule() -> None:
    """Moving a case whose step is half signed to a version that signs it differently would
    leave nobody able to decide it (the signers who signed are told so, the one who has not is
    no longer a signer): it stays, with the reason."""
    engine = Engine(clock=FixedClock(START))
    first = workflow("{by: [market, fire, ecology], need: all}")
    second = parse(TEXT.format(sign_off="{by: [market, fire], need: all}").replace(
        "version: 1", "version: 2")).unwrap()
    engine.deploy(first)
    engine.deploy(second)
    case = engine.submit("joint", {"site": "幸福路 1 号"}, {}, version=1)
    engine.accept(case.id, window("hall"))
    engine.act(case.id, "inspection", "approve", officer("market"))
    engine.act(case.id, "inspection", "approve", officer("fire"))
    moved = engine.migrate("joint", 2)
    assert moved.moved == () and "half signed" in moved.refused[0][1]
    engine.act(case.id, "inspection", "approve", officer("ecology"))
    assert engine.case(case.id).outcomes["inspection"]["outcome"] == "approve"


def test_the_timeline_shows_the_round() -> None:
    from onething.cases.timeline import timeline

    engine = Engine(clock=FixedClock(START))
    case_id = opened(engine, "{by: [market, fire, ecology], need: 2}")
    engine.act(case_id, "inspection", "refuse", officer("fire"), reason="消防通道不足")
    engine.act(case_id, "inspection", "approve", officer("market"))
    engine.act(case_id, "inspection", "approve", officer("ecology"))
    lines = timeline(engine.history(case_id))
    assert any("signed_off inspection" in line and "0 of 2 approvals needed, 1 refused" in line
               for line in lines)
    assert any(line.split()[4:6] == ["approve", "inspection"]
               and "2 of 2 approvals needed" in line for line in lines)
