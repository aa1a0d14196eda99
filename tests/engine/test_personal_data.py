"""Personal data (PIPL, issue 8): identity and phone numbers live only in the case record.

One case with a real-looking identity number (a valid GB 11643 check character) and a mobile
number runs through submit, supplement, act, verify, deliver, dispatch and evaluate on the
memory and SQLite stores, and through the command line. Everything that leaves the case
record is collected — command output (text and JSON), history events, outbox rows, delivery
notices, diagrams, log records, error messages — and the numbers appear in none of it. They
are in the case record's form until the case is erased, and nowhere after.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.factories import (
    ROOT,
    START,
    personal_conditions,
    sample_form,
    sample_materials,
    shipped,
)

from onething.cases.forms import check_submission, clean_material
from onething.cases.records import SYSTEM, Actor, Role, applicant, case_to_json, officer, window
from onething.cases.timeline import timeline
from onething.cli import cli
from onething.diagram.dot import render_dot
from onething.diagram.mermaid import render_mermaid
from onething.engine._erasure import DEFAULT_RETENTION, Retention, erase_case
from onething.engine.engine import Engine
from onething.errors import (
    ErasureRefused,
    NotAuthorized,
    StoreCorrupt,
    SubmissionRejected,
    ValueProblem,
)
from onething.language.values import clean_value
from onething.privacy.masking import MaskingFilter, mask_text
from onething.privacy.numbers import id_card_check_char
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock

RESTAURANT = shipped("restaurant_opening.yaml")
WORKFLOW_FILE = ROOT / "workflows" / "restaurant_opening.yaml"
LEAD = "market_regulation"
PLAN_HASH = hashlib.sha256(b"the food safety plan").hexdigest()
COMMITMENT_HASH = hashlib.sha256(b"the fire safety commitment").hexdigest()


def id_card(rng: random.Random) -> str:
    """A real-looking identity number: region, birth date, sequence, GB 11643 check."""
    region = rng.choice(["110101", "310115", "430381", "440304", "510107", "650102"])
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_card_check_char(first17)


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


ID_CARDS = st.builds(
    lambda region, born, seq: (lambda f: f + id_card_check_char(f))(
        f"{region}{born:%Y%m%d}{seq:03d}"),
    st.sampled_from(["110101", "310115", "430381", "440304", "510107", "650102"]),
    st.dates(date(1930, 1, 1), date(2010, 12, 31)), st.integers(0, 999))
PHONES = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"),
                   st.integers(0, 10**9 - 1))


def personal(seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    return {"id": id_card(rng), "phone": phone(rng), "new_id": id_card(rng)}


def form(numbers: dict[str, str]) -> dict[str, Any]:
    return {**sample_form(RESTAURANT), "operator_id": numbers["id"],
            "contact_phone": numbers["phone"], "business_area": "42.5",
            "has_signboard": True, "sells_tobacco": False, "false_commitment_record": False}


def materials() -> dict[str, Any]:
    given: dict[str, Any] = {k: v for k, v in sample_materials(RESTAURANT, promise=True).items()}
    given["food_safety_plan"] = {"ref": "doc://plan", "sha256": PLAN_HASH.upper()}
    return given


def absent(numbers: dict[str, str], *texts: str) -> None:
    """None of the raw numbers (or their spaced spellings) appears in any of ``texts``."""
    for text in texts:
        for raw in numbers.values():
            assert raw not in text, f"{raw} leaked in: {text[:500]}"
            assert raw[:3] + " " + raw[3:7] not in text


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


# -- the whole life of a case, through the engine ----------------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryStore()
        return
    if request.param == "postgres":
        from onething.stores.postgres import PostgresStore

        store = PostgresStore(request.getfixturevalue("pg_database"))
    else:
        store = SqliteStore(tmp_path / "cases.sqlite3")
    yield store
    store.close()


def run_case(engine: Engine, clock: FixedClock, numbers: dict[str, str]) -> dict[str, Any]:
    """Submit, supplement, act, deliver, dispatch, verify and evaluate one case; return the
    ids of the case and its follow-ups and the error messages met on the way."""
    engine.deploy(WORKFLOW_FILE)
    errors = []
    bad = {**form(numbers), "operator_id": numbers["id"][:17] + ("0" if numbers["id"][17] != "0"
                                                                  else "1"),
           "contact_phone": "12" + numbers["phone"][2:], "business_area": numbers["id"]}
    with pytest.raises(SubmissionRejected) as rejected:
        engine.submit(RESTAURANT.id, bad, materials())
    errors.append(str(rejected.value))
    errors += [p.render() for p in rejected.value.problems]
    case = engine.submit(RESTAURANT.id, form(numbers), materials(), actor=applicant("owner"))
    engine.accept(case.id, window(LEAD))
    engine.supplement(case.id, applicant("owner"), materials={
        "fire_safety_commitment": {"ref": "doc://commitment", "sha256": COMMITMENT_HASH}})
    engine.act(case.id, "licence_check", "request_correction", officer(LEAD),
               "the identity number does not match the licence holder")
    with pytest.raises(SubmissionRejected) as rejected:
        engine.supplement(case.id, applicant("owner"), step="licence_check",
                          fields={"operator_id": numbers["new_id"][:17] + "Y"})
    errors.append(str(rejected.value))
    engine.supplement(case.id, applicant("owner"), step="licence_check",
                      fields={"operator_id": numbers["new_id"]})
    engine.act(case.id, "licence_check", "approve", officer(LEAD))
    engine.act(case.id, "food_business_permit", "approve_on_commitment", officer(LEAD))
    engine.act(case.id, "outdoor_signboard", "approve", officer("urban_management"))
    with pytest.raises(NotAuthorized) as refused:
        engine.deliver(case.id, applicant("owner"))
    errors.append(str(refused.value))
    engine.deliver(case.id, window(LEAD), "mail")
    engine.dispatch()
    clock.advance(timedelta(days=10))
    revocation = engine.verify_commitment(case.id, "food_business_permit", False,
                                          officer(LEAD), "the premises have no grease trap")
    rectification = engine.evaluate(case.id, 1, applicant("owner"), "too slow")
    engine.tick()
    return {"case": case.id, "follow_ups": [revocation.id, rectification.id],
            "errors": errors}


def outputs(engine: Engine, case_ids: list[str]) -> list[str]:
    """Everything about the cases that is not the case record's form."""
    texts = []
    for case_id in case_ids:
        history = engine.history(case_id)
        texts += [dump([attrs.asdict(e) for e in history]), "\n".join(timeline(history))]
        delivery = engine.delivery(case_id)
        texts.append(dump(attrs.asdict(delivery) if delivery else None))
        texts.append(dump([attrs.asdict(i) for i in engine.store.outbox(case_id)]))
        record = case_to_json(engine.case(case_id))
        record.pop("form")
        texts.append(dump(record))
        texts.append(dump([attrs.asdict(t) for t in engine.timers(case_id)]))
    return texts


def test_personal_numbers_stay_in_the_case_record_until_erased(
        store: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="onething")
    numbers = personal(8)
    clock = FixedClock(START)
    engine = Engine(store, clock=clock)
    ran = run_case(engine, clock, numbers)
    case_id = ran["case"]
    case = engine.case(case_id)
    assert case.form["operator_id"] == numbers["new_id"]  # the record holds them ...
    assert case.form["contact_phone"] == numbers["phone"]
    assert case.materials["food_safety_plan"] == {"ref": "doc://plan", "sha256": PLAN_HASH}
    assert case.materials["fire_safety_commitment"]["sha256"] == COMMITMENT_HASH
    texts = outputs(engine, [case_id, *ran["follow_ups"]])
    texts += ran["errors"]
    texts += [dump(engine.case(c).form) for c in ran["follow_ups"]]
    texts += [render_mermaid(RESTAURANT), render_dot(RESTAURANT)]
    texts += [r.getMessage() for r in caplog.records] + [caplog.text]
    assert any("queued for the post channel" in r.getMessage() for r in caplog.records)
    absent(numbers, *texts)  # ... and nothing else does
    history = engine.history(case_id)
    supplements = [e for e in history if e.action == "supplement"]
    assert supplements[-1].data["fields"] == ["operator_id"]

    with pytest.raises(ErasureRefused, match="within its retention period of 10 years"):
        erase_case(engine, case_id, SYSTEM, retention=DEFAULT_RETENTION)
    with pytest.raises(NotAuthorized):
        erase_case(engine, case_id, officer(LEAD), retention="0 days")
    with pytest.raises(ErasureRefused, match="no delivery yet"):
        erase_case(engine, ran["follow_ups"][0], SYSTEM, retention="0 days")
    later = clock.now() + timedelta(days=3660)
    erased = erase_case(engine, case_id, SYSTEM, retention="10 years", now=later)
    assert set(erased.form) == set(case.form) and not any(erased.form.values())
    assert erased.materials == {
        "food_safety_plan": {"ref": None, "sha256": PLAN_HASH},
        "premises_layout": {"ref": None, "sha256": None},
        "signboard_design": {"ref": None, "sha256": None},
        "fire_safety_commitment": {"ref": None, "sha256": COMMITMENT_HASH}}
    event = engine.history(case_id)[-1]
    assert event.action == "erased" and event.actor == str(SYSTEM)
    assert "operator_id" in event.data["fields"] and event.data["retention"] == "10 years"
    # the audit skeleton stays
    assert engine.delivery(case_id).kind == "result"
    assert [e.action for e in engine.history(case_id)][:2] == ["submit", "accept"]
    assert erased.outcomes["licence_check"]["outcome"] == "approve"
    again = erase_case(engine, case_id, SYSTEM, retention="10 years", now=later)
    assert again.version == erased.version  # a second erasure changes nothing
    absent(numbers, dump(case_to_json(engine.case(case_id))),
           *outputs(engine, [case_id, *ran["follow_ups"]]))
    if isinstance(store, SqliteStore):
        absent(numbers, *sqlite_rows(store))


def sqlite_rows(store: SqliteStore) -> list[str]:
    """Every row of every table of the store's file, as text."""
    path = store._db.execute("PRAGMA database_list").fetchone()[2]
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [dump(row) for table in tables for row in db.execute(f"SELECT * FROM {table}")]


def test_erasure_also_clears_idempotency_snapshots(tmp_path: Path) -> None:
    numbers = personal(5)
    store = SqliteStore(tmp_path / "cases.sqlite3")
    engine = Engine(store, clock=FixedClock(START))
    engine.deploy(WORKFLOW_FILE)
    case = engine.submit(RESTAURANT.id, form(numbers), materials(), idempotency_key="k1")
    engine.refuse_intake(case.id, window(LEAD), "not our matter", idempotency_key="k2")
    erase_case(engine, case.id, SYSTEM, retention="0 days")
    try:
        absent(numbers, *sqlite_rows(store))
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("damage", ["not json", '{"id": "x"}',
                                    '{"clocks": {"s": {"started": "no time"}}}'])
def test_a_damaged_idempotency_snapshot_stops_erasure_with_a_located_error(
        request: pytest.FixtureRequest, tmp_path: Path, kind: str, damage: str) -> None:
    """Erasure rewrites each idempotency snapshot of the case: one that does not decode is
    named (StoreCorrupt), not a traceback, and nothing of the erasure is written."""
    if kind == "postgres":
        from onething.stores.postgres import PostgresStore

        if damage == "not json":
            pytest.skip("PostgreSQL's json column refuses text that is not JSON")
        store: Any = PostgresStore(request.getfixturevalue("pg_database"))
    else:
        store = SqliteStore(tmp_path / "cases.sqlite3")
    try:
        engine = Engine(store, clock=FixedClock(START))
        engine.deploy(WORKFLOW_FILE)
        case = engine.submit(RESTAURANT.id, form(personal(6)), materials(),
                             idempotency_key="k1")
        if kind == "postgres":
            with store._tx() as cur:
                if damage.startswith('{"clocks"'):
                    cur.execute("UPDATE idempotency SET snapshot = jsonb_set(snapshot::jsonb, "
                                "'{clocks}', %s::jsonb)::json", (json.dumps(
                                    json.loads(damage)["clocks"]),))
                else:
                    cur.execute("UPDATE idempotency SET snapshot = %s::json", (damage,))
        else:
            with sqlite3.connect(tmp_path / "cases.sqlite3") as raw:
                if damage.startswith('{"clocks"'):
                    snapshot = json.loads(raw.execute(
                        "SELECT snapshot FROM idempotency").fetchone()[0])
                    damage = json.dumps({**snapshot, **json.loads(damage)})
                raw.execute("UPDATE idempotency SET snapshot = ?", (damage,))
        with pytest.raises(StoreCorrupt, match="idempotency snapshot"):
            store.erase_personal(case.id)
    finally:
        store.close()


# -- error messages ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ID_CARDS, PHONES, st.integers(0, 16), st.sampled_from("0123456789X"))
def test_bad_submissions_never_quote_an_identity_or_phone_number(
        number: str, mobile: str, at: int, digit: str) -> None:
    wrong = number[:at] + digit + number[at + 1:]
    if wrong == number:
        wrong = number[:17] + ("1" if number[17] != "1" else "2")
    short, bad_phone = number[:-1], "12" + mobile[2:]
    numbers = {"id": number, "wrong": wrong, "short": short, "phone": mobile,
               "bad_phone": bad_phone}
    for values in (
        {"operator_id": wrong, "contact_phone": bad_phone},
        {"operator_id": short, "contact_phone": mobile + "0"},
        {"operator_id": int(number[:17]), "contact_phone": int(bad_phone)},
        {"business_area": number, "credit_code": 12, "has_signboard": mobile},
        {"business_area": mobile, "operator_id": [number], "contact_phone": {"n": mobile}},
        {number: "x", mobile: "y"},
    ):
        clean, problems = check_submission(RESTAURANT.form, {**form(numbers), **values})
        assert clean is None and problems
        absent(numbers, str(SubmissionRejected(problems)))


@settings(max_examples=60, deadline=None)
@given(ID_CARDS, PHONES)
def test_a_personal_field_never_shows_its_value(number: str, mobile: str) -> None:
    for raw, kind in ((int(number[:17]), "string"), (number[:17] + "X", "int"),
                      (mobile, "bool"), (number, "date"), (number[:17] + "X", "decimal"),
                      (mobile, "enum")):
        with pytest.raises(ValueProblem) as caught:
            clean_value(kind, raw, values=("a", "b"), personal=True)
        assert number[:17] not in caught.value.message and mobile not in caught.value.message
        assert str(raw)[3:-2] not in caught.value.message
    with pytest.raises(ValueProblem) as caught:
        clean_value("date", "1990-01-01", minimum="2000-01-01", personal=True)
    assert "1990" not in caught.value.message


@given(ID_CARDS, PHONES)
def test_mask_text_masks_numbers_but_not_hex_ids_or_longer_runs(number: str,
                                                                 mobile: str) -> None:
    text = (f"id {number}, tel {mobile} or +86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}; "
            f"case a{mobile}fed0, digits {number[:17]}{number[:17]}")
    masked = mask_text(text)
    assert number not in masked.split("digits")[0] and mobile not in masked.split("case")[0]
    assert f"a{mobile}fed0" in masked and f"{number[:17]}{number[:17]}" in masked


def test_the_masking_filter_masks_messages_arguments_and_tracebacks(
        caplog: pytest.LogCaptureFixture) -> None:
    numbers = personal(3)
    logger = logging.getLogger("onething.test_personal")
    logger.addFilter(MaskingFilter())
    caplog.set_level(logging.DEBUG, logger="onething")
    try:
        raise ValueError(f"bad {numbers['id']}")
    except ValueError:
        logger.exception("for %s at %s", numbers["phone"], "x")
    absent(numbers, caplog.text)
    assert "for 1" in caplog.text and "ValueError" in caplog.text


# -- materials ------------------------------------------------------------------------------


def test_a_material_is_a_reference_with_an_optional_content_hash() -> None:
    assert clean_material("doc://x") == {"ref": "doc://x", "sha256": None}
    assert clean_material({"ref": "doc://x", "sha256": PLAN_HASH.upper()}) == {
        "ref": "doc://x", "sha256": PLAN_HASH}
    for bad in ("", {"ref": "doc://x", "sha256": "abc"}, {"sha256": PLAN_HASH}, 12,
                {"ref": "doc://x", "hash": PLAN_HASH}):
        with pytest.raises(ValueProblem):
            clean_material(bad)
    _, problems = check_submission(RESTAURANT.form, form(personal(1)), {
        **materials(), "premises_layout": {"ref": "doc://430381199001011234", "sha256": "0"}})
    assert [p.name for p in problems] == ["premises_layout"]
    assert "430381199001011234" not in problems[0].render()


# -- diagrams -------------------------------------------------------------------------------


def test_diagrams_mask_condition_literals_of_personal_fields() -> None:
    numbers = personal(4)
    workflow = personal_conditions(numbers)
    drawn = render_mermaid(workflow) + render_dot(workflow)
    absent(numbers, drawn)
    assert "holder_id == '" in drawn and "note == '*'" in drawn


# -- the command line -----------------------------------------------------------------------


def cli_run(*args: str, db: Path, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, [*args, "--db", str(db)], input=input,
                              catch_exceptions=False)


def test_the_command_line_never_prints_a_personal_number(tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    caplog.set_level(logging.DEBUG, logger="onething")
    numbers = personal(11)
    db = tmp_path / "cases.sqlite3"
    seen: list[str] = []

    def run(*args: str, code: int = 0, input: str | None = None) -> Any:
        result = cli_run(*args, db=db, input=input)
        seen.append(result.output)
        seen.append(result.stderr if result.stderr_bytes is not None else "")
        assert result.exit_code == code, result.output
        return result

    run("deploy", str(WORKFLOW_FILE))
    form_file = tmp_path / "form.json"
    form_file.write_text(json.dumps(form(numbers), ensure_ascii=False), encoding="utf-8")
    materials_file = tmp_path / "materials.json"
    materials_file.write_text(json.dumps(materials()), encoding="utf-8")
    bad = {**form(numbers), "operator_id": numbers["id"][:17] + "Y",
           "contact_phone": "12" + numbers["phone"][2:], "business_area": numbers["phone"]}
    for fmt in ("text", "json"):
        run("submit", RESTAURANT.id, "--form", "-", "--materials", str(materials_file),
            "--format", fmt, code=2, input=json.dumps(bad))
    case_id = json.loads(run("submit", RESTAURANT.id, "--form", str(form_file), "--materials",
                             str(materials_file), "--as", f"applicant:{numbers['id']}",
                             "--format", "json").output)["case"]
    lead, urban = f"window:li@{LEAD}", "department:zhao@urban_management"
    owner = f"applicant:{numbers['id']}"  # the host authenticated the owner by ID number
    officer_ = f"department:wang@{LEAD}"
    run("act", case_id, "accept", "--as", lead)
    run("act", case_id, "supplement", "--as", owner, "--material",
        f"fire_safety_commitment=doc://commitment#sha256={COMMITMENT_HASH}")
    run("act", case_id, "request_correction", "licence_check", "--as", officer_,
        "--reason", "the identity number does not match", "--format", "json")
    run("act", case_id, "supplement", "licence_check", "--as", owner, "--field",
        f"operator_id={numbers['new_id'][:17]}Y", code=2)
    run("act", case_id, "supplement", "licence_check", "--as", owner, "--field",
        numbers["new_id"], code=2)
    run("act", case_id, "supplement", "licence_check", "--as", owner, "--field",
        f"operator_id={numbers['new_id']}", "--format", "json")
    run("act", case_id, "approve", "licence_check", "--as", officer_)
    run("act", case_id, "approve_on_commitment", "food_business_permit", "--as", officer_)
    for fmt in ("text", "json"):
        run("queue", LEAD, "--format", fmt)
        run("queue", "urban_management", "--format", fmt)
        run("status", case_id, "--format", fmt)
        run("view", case_id, "--as", lead, "--format", fmt)
    run("act", case_id, "approve", "outdoor_signboard", "--as", urban)
    run("act", case_id, "deliver", "--as", lead, "--method", "mail", "--format", "json")
    run("worker", "--once")
    run("verify", case_id, "food_business_permit", "--failed", "--as", officer_, "--reason",
        "no grease trap", "--format", "json")
    run("erase", case_id, code=2)
    run("erase", case_id, "--as", f"department:x@{LEAD}", "--retention", "0 days", code=2)
    for fmt in ("text", "json"):
        run("status", case_id, "--format", fmt)
        run("view", case_id, "--as", lead, "--format", fmt)
        run("history", case_id, "--format", fmt)
    for fmt in ("mermaid", "dot"):
        drawn = CliRunner().invoke(cli, ["graph", str(WORKFLOW_FILE), "--format", fmt])
        assert drawn.exit_code == 0 and "licence_check" in drawn.output
        seen.append(drawn.output)
    store = SqliteStore(db)
    try:
        record = store.load(case_id)
        assert record.form["operator_id"] == numbers["new_id"]
        assert record.materials["fire_safety_commitment"]["sha256"] == COMMITMENT_HASH
        rows = [r for r in sqlite_rows(store)
                if not r.startswith(dump([case_id])[:-1])]  # every row but the case's own
    finally:
        store.close()
    absent(numbers, *seen, *rows, caplog.text)
    shown = json.loads(run("view", case_id, "--as", lead, "--format", "json").output)
    assert shown["fields"]["operator_id"].startswith(numbers["new_id"][:3])
    assert shown["materials"]["fire_safety_commitment"] == COMMITMENT_HASH
    erased = json.loads(run("erase", case_id, "--now", "2099-01-01T00:00:00+08:00",
                            "--format", "json").output)
    assert "operator_id" in erased["fields"] and erased["retention"] == "10 years"
    store = SqliteStore(db)
    try:
        assert not any(store.load(case_id).form.values())
        absent(numbers, *sqlite_rows(store))
    finally:
        store.close()


def test_retention_periods() -> None:
    from datetime import datetime

    moment = datetime(2024, 2, 29, 10, 0)
    assert Retention.parse("10 years").after(moment) == datetime(2034, 2, 28, 10, 0)
    assert Retention.parse("1 month").after(moment) == datetime(2024, 3, 29, 10, 0)
    assert Retention.parse("30d").after(moment) == moment + timedelta(days=30)
    assert str(Retention.parse(" 1 YEAR ")) == "1 year"
    with pytest.raises(ErasureRefused):
        Retention.parse("forever")


def test_an_agent_or_the_applicant_may_not_erase() -> None:
    engine = Engine(clock=FixedClock(START))
    with pytest.raises(NotAuthorized):
        erase_case(engine, "nothing", Actor(Role.APPLICANT, "x"), retention="0 days")


def test_numbers_officers_type_into_reasons_are_masked_in_every_output(
        tmp_path: Path) -> None:
    numbers = personal(13)
    db = tmp_path / "cases.sqlite3"
    store = SqliteStore(db)
    clock = FixedClock(START)
    engine = Engine(store, clock=clock)
    engine.deploy(WORKFLOW_FILE)
    case = engine.submit(RESTAURANT.id, form(numbers), materials())
    engine.accept(case.id, window(LEAD))
    engine.act(case.id, "licence_check", "refuse", officer(LEAD),
               f"{numbers['id']} is not the holder; call {numbers['phone']}")
    notice = engine.delivery(case.id).notice
    store.close()
    seen = [dump(notice)]
    for args in (["history", case.id], ["history", case.id, "--format", "json"],
                 ["status", case.id, "--format", "json"]):
        result = cli_run(*args, db=db)
        assert result.exit_code == 0
        seen.append(result.output)
    absent(numbers, *seen)
    assert "is not the holder" in seen[1] and "is not the holder" in notice["reason"]


def test_numbers_typed_into_reasons_are_not_stored_in_history() -> None:
    numbers = personal(14)
    engine = Engine(clock=FixedClock(START))
    engine.deploy(WORKFLOW_FILE)
    case = engine.submit(RESTAURANT.id, form(numbers), materials())
    engine.accept(case.id, window(LEAD))
    engine.act(case.id, "licence_check", "refuse", officer(LEAD), f"call {numbers['phone']}")
    absent(numbers, dump([attrs.asdict(e) for e in engine.history(case.id)]))


def test_materials_brought_later_are_stored_as_reference_and_hash() -> None:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(WORKFLOW_FILE)
    promised = {k: v for k, v in materials().items() if k != "fire_safety_commitment"}
    case = engine.submit(RESTAURANT.id, form(personal(21)), promised)
    engine.accept(case.id, window(LEAD))
    with pytest.raises(SubmissionRejected) as bad:
        engine.supplement(case.id, applicant(), materials={
            "fire_safety_commitment": {"ref": "doc://c", "sha256": "not-a-hash"}})
    assert [p.name for p in bad.value.problems] == ["fire_safety_commitment"]
    digest = "A" * 64
    engine.supplement(case.id, applicant(), materials={
        "fire_safety_commitment": {"ref": "doc://c", "sha256": digest}})
    assert engine.case(case.id).materials["fire_safety_commitment"] == {
        "ref": "doc://c", "sha256": digest.lower()}


def test_a_failing_channels_message_is_stored_masked() -> None:
    numbers = personal(22)

    class Refusing:
        def send(self, item: object) -> str:
            raise RuntimeError(f"courier rejected {numbers['phone']}")

    engine = Engine(clock=FixedClock(START), channels={"*": Refusing()})
    engine.deploy(WORKFLOW_FILE)
    case = engine.submit(RESTAURANT.id, form(numbers), materials())
    engine.refuse_intake(case.id, window(LEAD), "not ours")
    engine.dispatch()
    [item] = engine.store.outbox(case.id)
    assert "courier rejected" in item.last_error
    absent(numbers, item.last_error)


def test_engine_erase_is_the_erasure_of_the_module() -> None:
    numbers = personal(23)
    engine = Engine(clock=FixedClock(START))
    engine.deploy(WORKFLOW_FILE)
    case = engine.submit(RESTAURANT.id, form(numbers), materials())
    engine.refuse_intake(case.id, window(LEAD), "not ours")
    erased = engine.erase(case.id, SYSTEM, retention="0 days")
    assert set(erased.form.values()) == {None}
    assert engine.history(case.id)[-1].action == "erased"


# -- numbers as people really write them, through every door (issue 12 item 4) -----------------


def spellings(number: str) -> list[str]:
    """Ways people write ``number``: full width, grouped, glued to letters, prefixed, in
    another digit set."""
    wide = "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in number)
    arabic = "".join(chr(0x0660 + int(ch)) if ch.isdigit() else ch for ch in number)
    if len(number) == 11:
        grouped = [f"{number[:3]} {number[3:7]} {number[7:]}",
                   f"{number[:3]}-{number[3:7]}-{number[7:]}",
                   f"{number[:3]}.{number[3:7]}.{number[7:]}",
                   f"{number[:3]}\u00a0{number[3:7]}\u00a0{number[7:]}",
                   f"+86 {number}", f"0086{number}", f"Tel{number}"]
    else:
        grouped = [f"{number[:6]} {number[6:14]} {number[14:]}", f"ID{number}",
                   f"{number[:6]}-{number[6:14]}-{number[14:]}", number.lower()]
    return [wide, arabic, *grouped]


def folded(text: str) -> str:
    import unicodedata

    return "".join(str(unicodedata.decimal(ch)) for ch in text
                   if unicodedata.decimal(ch, None) is not None)


def test_spelled_numbers_are_masked_in_every_output_and_gone_after_erasure(
        store: Any) -> None:
    numbers = personal(21)
    words = [*spellings(numbers["id"]), *spellings(numbers["phone"])]
    clock = FixedClock(START)

    class Failing:
        def send(self, item: Any) -> str:
            raise ConnectionError(f"the SMS gateway refused {words[-1]} / {words[0]}")

    engine = Engine(store, clock=clock, channels={"post": Failing()})
    engine.deploy(WORKFLOW_FILE)
    owner = applicant(numbers["id"])
    case = engine.submit(RESTAURANT.id, form(numbers), materials(), actor=owner)
    engine.accept(case.id, window(LEAD))
    say = iter(words * 3)
    engine.supplement(case.id, owner, materials={
        "fire_safety_commitment": {"ref": "doc://commitment", "sha256": COMMITMENT_HASH}})
    engine.act(case.id, "licence_check", "request_correction", officer(LEAD), next(say))
    engine.supplement(case.id, owner, step="licence_check")
    with pytest.raises(NotAuthorized):
        engine.withdraw(case.id, applicant(numbers["new_id"]), next(say))
    engine.extend(case.id, "licence_check", "5 WD", Actor(Role.SUPERVISOR, "boss", LEAD),
                  f"site visit, call {next(say)}")
    engine.act(case.id, "licence_check", "approve", officer(LEAD), next(say))
    engine.act(case.id, "food_business_permit", "approve_on_commitment", officer(LEAD))
    engine.act(case.id, "outdoor_signboard", "approve", officer("urban_management"), next(say))
    engine.deliver(case.id, window(LEAD), "mail")
    engine.dispatch()
    engine.verify_commitment(case.id, "food_business_permit", False, officer(LEAD), next(say))
    engine.evaluate(case.id, 1, owner, f"{next(say)} {next(say)}")
    follow_ups = list(engine.case(case.id).follow_ups)
    texts = outputs(engine, [case.id, *follow_ups])
    texts += [dump([attrs.asdict(i) for i in store.outbox(case.id)])]
    for text in texts:
        for raw in numbers.values():
            assert raw not in folded(text), text[:400]
    outbox = store.outbox(case.id)
    assert outbox and all("*" in i.last_error for i in outbox)
    later = clock.now() + timedelta(days=1)
    engine.erase(case.id, SYSTEM, later, retention="0 days")
    record = case_to_json(engine.case(case.id))
    for raw in numbers.values():
        assert raw not in folded(dump(record))
        for text in outputs(engine, [case.id]):
            assert raw not in folded(text)
