"""No traceback, ever, for any input (issue 12 item 7; docs/guarantees.md §6).

Every command meets bad files, bytes, values, databases and times with one clear line and its
documented exit code (0 ok, 1 some refused, 2 invalid input, 3 undecided, 4 the database
cannot be used, 5 busy, 70 a bug); the Python API raises only library errors
(:class:`~onething.errors.OnethingError`, each also the builtin it refines). Nothing is
half-written, and a mistyped ``--db`` creates nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.damaged import one_case, run_raw
from tests.support.factories import (
    ROOT,
    START,
    reopened,
    sample_form,
    sample_materials,
    shipped,
)

from onething.cases.records import applicant, officer, supervisor, window
from onething.cli import cli
from onething.engine.engine import Engine
from onething.errors import InvalidArgument, OnethingError, StoreCorrupt, StoreUnavailable
from onething.stores import open_store
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock

STARTUP = shipped("enterprise_startup.yaml")
WORKFLOW_FILE = ROOT / "workflows" / "enterprise_startup.yaml"
ID_NUMBER = "430381199001011234"


def invoke(*args: str, input: str | bytes | None = None) -> Any:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=True)
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert ID_NUMBER not in text
    return result


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cases.sqlite3"
    assert invoke("deploy", str(WORKFLOW_FILE), "--db", str(path)).exit_code == 0
    return path


@pytest.fixture
def case_id(db: Path, tmp_path: Path) -> str:
    form = tmp_path / "form.json"
    form.write_text(json.dumps(sample_form(STARTUP)), encoding="utf-8")
    materials = tmp_path / "materials.json"
    materials.write_text(json.dumps(sample_materials(STARTUP)), encoding="utf-8")
    result = invoke("submit", STARTUP.id, "--form", str(form), "--materials", str(materials),
                    "--db", str(db), "--format", "json")
    return json.loads(result.output)["case"]


# -- files people give --------------------------------------------------------------------------

FORM_FILES: dict[str, Callable[[Path], str]] = {
    "missing": lambda d: str(d / "nope.json"),
    "a directory": lambda d: (d / "dir.json").mkdir() or str(d / "dir.json"),
    "not UTF-8": lambda d: (d / "latin.json").write_bytes(b'{"a": "\xff\xfe"}')
    and str(d / "latin.json"),
    "random bytes": lambda d: (d / "rand.json").write_bytes(os.urandom(3000))
    and str(d / "rand.json"),
    "nested 200,000 deep": lambda d: (d / "deep.json").write_text("[" * 200_000)
    and str(d / "deep.json"),
    "a list, not an object": lambda d: (d / "list.json").write_text("[1, 2]")
    and str(d / "list.json"),
    "too large": lambda d: (d / "big.json").write_bytes(b" " * (5 * 1024 * 1024))
    and str(d / "big.json"),
    "a broken link": lambda d: os.symlink(d / "gone", d / "link.json") or str(d / "link.json"),
}


@pytest.mark.parametrize("kind", sorted(FORM_FILES))
def test_a_bad_form_file_is_one_clear_line(kind: str, db: Path, tmp_path: Path) -> None:
    path = FORM_FILES[kind](tmp_path)
    result = invoke("submit", STARTUP.id, "--form", path, "--db", str(db))
    assert result.exit_code == 2 and "--form" in result.output, result.output
    assert SqliteStore(db).case_ids() == []  # nothing half-written


@pytest.mark.parametrize("args, code, says", [
    (["submit", STARTUP.id, "--form", "-", "--version", "9" * 30], 2, "range"),
    (["tick", "--now", "yesterday"], 2, "not a time"),
    (["tick", "--now", "2026-10-08T09:00"], 2, "no time zone"),
    (["tick", "--now", "2999-10-08T09:00+08:00"], 2, "future"),
    (["erase", "c1", "--now", "2026-13-45T00:00+08:00"], 2, "not a time"),
    (["erase", "c1", "--now", "2026-10-08 09:00"], 2, "no time zone"),
    (["worker", "--for", "nan"], 2, "not a number of seconds"),
    (["worker", "--for", "-1"], 2, "not a number of seconds"),
    (["worker", "--interval", "inf", "--once"], 2, "not a number of seconds"),
    (["migrate", STARTUP.id, "--to", "9" * 40], 2, "range"),
    (["act", "c1", "approve", "tax", "--as", "nobody"], 2, "ROLE:ID"),
])
def test_bad_values_on_the_command_line(args: list[str], code: int, says: str,
                                        db: Path) -> None:
    result = invoke(*args, "--db", str(db), input="{}")
    assert result.exit_code == code and says in result.output, result.output


@pytest.mark.parametrize("args, says", [
    (["due", "9999-12-20", "10WD"], "beyond the last date"),
    (["due", "2026-01-01", "999999999999WD"], "longer than any time limit"),
    (["due", "2026-01-01", "1e9", "WD"], "cannot read"),
    (["due", "2026-02-30", "3WD"], "not a date"),
])
def test_due_at_the_edge_of_the_calendar(args: list[str], says: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2 and says in result.output, result.output


def test_export_into_a_missing_directory(tmp_path: Path) -> None:
    result = invoke("export", str(WORKFLOW_FILE), "--pnml", str(tmp_path / "no" / "x.pnml"))
    assert result.exit_code == 2 and "No such file or directory" in result.output


def test_invalid_bytes_in_a_key_are_a_key_like_any_other(db: Path, case_id: str) -> None:
    key = "k-\udcff\udcfe"  # what the shell hands over for bytes that are not UTF-8
    args = ["act", case_id, "accept", "--as", "window:w@market_regulation", "--key", key,
            "--db", str(db), "--format", "json"]
    first, again = invoke(*args), invoke(*args)
    assert first.exit_code == again.exit_code == 0
    assert json.loads(first.output) == json.loads(again.output)
    assert invoke("act", case_id, "accept", "--as", "window:w@market_regulation", "--key", "",
                  "--db", str(db)).exit_code == 2


# -- databases ----------------------------------------------------------------------------------


def newer_schema(path: Path) -> str:
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    return str(path)


def tampered_state(path: Path) -> str:
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE cases SET state = '{\"marking\": [1, 2'")
    return str(path)


def other_program(path: Path) -> str:
    other = path.with_name("other.sqlite3")
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE cases (x)")
    return str(other)


def truncated(path: Path) -> str:
    short = path.with_name("short.sqlite3")
    short.write_bytes(path.read_bytes()[:9000])
    return str(short)


DATABASES: dict[str, Callable[[Path], str]] = {
    "newer": newer_schema,
    "tampered state": tampered_state,
    "another program's": other_program,
    "truncated": truncated,
    "random bytes": lambda p: p.with_name("rand.sqlite3").write_bytes(os.urandom(8192))
    and str(p.with_name("rand.sqlite3")),
    "a directory": lambda p: p.with_name("dir.sqlite3").mkdir() or str(p.with_name("dir.sqlite3")),
    "in a missing directory": lambda p: str(p.parent / "missing" / "cases.sqlite3"),
    "mistyped": lambda p: str(p.with_name("cases.sqllite3")),
    "empty name": lambda p: "",
    "read-only": lambda p: f"file:{p}?mode=ro",
    "PostgreSQL unreachable": lambda p: "postgresql://onething@127.0.0.1:1/nothing",
}


@pytest.mark.parametrize("kind", sorted(DATABASES))
def test_a_database_that_cannot_be_used_is_exit_4(kind: str, db: Path, case_id: str) -> None:
    target = DATABASES[kind](db)
    status = invoke("status", case_id, "--db", target)
    act = invoke("act", case_id, "accept", "--as", "window:w@market_regulation", "--db", target)
    if kind == "read-only":  # reading works; the first write is refused
        assert status.exit_code == 0 and act.exit_code == 4, act.output
        assert "read-only" in act.output
    else:
        assert status.exit_code == 4 and act.exit_code == 4, (status.output, act.output)
        assert len(status.output.strip().splitlines()) == 1, status.output
    if kind in ("mistyped", "in a missing directory"):
        assert not Path(target).exists()  # a reader never creates a database


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("damage", ["zz", "", "00", "ab" * 40])
def test_a_damaged_stored_secret_is_a_corrupt_database(kind: str, damage: str,
                                                       tmp_path: Path,
                                                       request: pytest.FixtureRequest) -> None:
    """Regression (found by the 20,000-example run of the damaged-file fuzz): a stored
    pseudonym key that is not 32 bytes of hexadecimal raised ValueError from the store."""
    store, case_id = one_case(kind, STARTUP, tmp_path, request)
    run_raw(store, "UPDATE meta SET value = ? WHERE key = 'secret:pseudonym-key'", (damage,))
    again = Engine(reopened(store), clock=FixedClock(START))
    with pytest.raises(StoreCorrupt, match="pseudonym-key"):
        again.accept(case_id, window("market_regulation"))
    assert [e.action for e in again.history(case_id)] == ["submit"]
    if kind == "sqlite":
        result = invoke("act", case_id, "accept", "--as", "window:w@market_regulation",
                        "--db", str(store.path))
        assert result.exit_code == 4 and len(result.output.strip().splitlines()) == 1, \
            result.output


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@pytest.mark.parametrize("damage", ["bytes", "''", "replace(text, 'id:', 'ix:')",
                                    "replace(text, '企业开办', '企业关闭')"])
def test_a_damaged_stored_definition_is_a_corrupt_database(kind: str, damage: str,
                                                           tmp_path: Path,
                                                           request: pytest.FixtureRequest) -> None:
    """Regression (found by the 20,000-example run of the damaged-file fuzz): a stored workflow
    definition that read back as no text raised AttributeError, one that no longer parses raised
    WorkflowInvalid about a file the user never wrote, and one changed into another valid
    workflow was run as if it were the deployed one."""
    store, case_id = one_case(kind, STARTUP, tmp_path, request)
    if damage == "bytes":  # what a flipped record header reads back as (not text)
        damage = "x'ff00'" if kind == "sqlite" else "chr(1)"
    run_raw(store, f"UPDATE definitions SET text = {damage}")
    again = Engine(reopened(store), clock=FixedClock(START))
    stored = f"definition of enterprise-startup version {STARTUP.version}"
    with pytest.raises(StoreCorrupt, match=stored):
        again.accept(case_id, window("market_regulation"))
    assert [e.action for e in again.history(case_id)] == ["submit"]
    if kind == "sqlite":
        result = invoke("act", case_id, "accept", "--as", "window:w@market_regulation",
                        "--db", str(store.path))
        assert result.exit_code == 4 and len(result.output.strip().splitlines()) == 1, \
            result.output


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_damaged_stored_decimal_is_a_corrupt_database(kind: str, tmp_path: Path,
                                                         request: pytest.FixtureRequest) -> None:
    """Regression (found by CI's run of the damaged-file fuzz, flips=[(22499, 33)]): a stored
    form's decimal that no longer reads as a number raised decimal.InvalidOperation (an
    ArithmeticError, not a ValueError) out of the store as a traceback."""
    store, case_id = one_case(kind, STARTUP, tmp_path, request)
    cast, back = ("", "") if kind == "sqlite" else ("::text", "::json")
    text = f"state{cast}"
    for spaced in ("", " "):  # SQLite keeps compact JSON, PostgreSQL's json type spaced
        text = (f"replace({text}, '\"$decimal\":{spaced}\"1.5\"', "
                f"'\"$decimal\":{spaced}\"!.5\"')")
    damaged = run_raw(store, f"UPDATE cases SET state = {text}{back}",
                      read=f"SELECT count(*) FROM cases WHERE state{cast} LIKE '%!.5%'")
    assert damaged == 1
    with pytest.raises(StoreCorrupt, match=f"{case_id}.*does not decode"):
        Engine(reopened(store), clock=FixedClock(START)).case(case_id)
    if kind == "sqlite":
        result = invoke("status", case_id, "--db", str(store.path))
        assert result.exit_code == 4 and len(result.output.strip().splitlines()) == 1, \
            result.output


def test_deploy_creates_a_database_and_says_why_it_cannot(tmp_path: Path) -> None:
    result = invoke("deploy", str(WORKFLOW_FILE), "--db", str(tmp_path / "no" / "c.sqlite3"))
    assert result.exit_code == 4 and "does not exist" in result.output


# -- the Python API -----------------------------------------------------------------------------


@pytest.fixture
def engine() -> Engine:
    made = Engine(clock=FixedClock(START))
    made.deploy(STARTUP)
    return made


def cyclic() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return loop


def deep(n: int) -> Any:
    value: Any = "x"
    for _ in range(n):
        value = [value]
    return value


@pytest.mark.parametrize("form", [
    [1, 2], "form", None, 5, cyclic(), {"company_name": cyclic()},
    {"company_name": deep(100_000)}, {"\ud800bad": 1}, {"company_name": "\udcff"},
    {"employees": 10 ** 5000}, {"employees": float("nan")}, {b"bytes": 1}, {1: "x"},
    {"company_name": object()}, {"company_name": {1, 2}},
])
def test_submit_refuses_any_python_value_with_a_library_error(engine: Engine,
                                                              form: Any) -> None:
    with pytest.raises(OnethingError):
        engine.submit(STARTUP.id, form, sample_materials(STARTUP), idempotency_key="k")
    assert engine.store.case_ids() == []


@pytest.mark.parametrize("call, error", [
    (lambda e, c: e.extend(c, "registration", "ten days", supervisor("market_regulation"),
                           "x"), ValueError),
    (lambda e, c: e.evaluate(c, "5", applicant()), ValueError),
    (lambda e, c: e.evaluate(c, True, applicant()), ValueError),
    (lambda e, c: e.tick(datetime(2026, 10, 8, 9)), ValueError),
    (lambda e, c: e.erase(c, supervisor("market_regulation"), datetime(2030, 1, 1)),
     ValueError),
    (lambda e, c: e.accept(c, window("market_regulation"), now=datetime(2026, 10, 8)),
     ValueError),
    (lambda e, c: e.accept(c, window("market_regulation"), idempotency_key=""), ValueError),
    (lambda e, c: e.accept(c, window("market_regulation"), idempotency_key=5), ValueError),
    (lambda e, c: e.supplement(c, applicant(), step="registration", fields=[1]), ValueError),
    (lambda e, c: e.act(c, "registration", "refuse", officer("market_regulation"),
                        reason=["not", "text"]), ValueError),
    (lambda e, c: e.act(c, "registration", "approve", officer("market_regulation",
                                                              ID_NUMBER)), ValueError),
    (lambda e, c: e.submit(STARTUP.id, sample_form(STARTUP), actor=window("market_regulation")),
     ValueError),
])
def test_bad_arguments_are_library_errors_that_refine_the_builtin(
        engine: Engine, call: Callable[[Engine, str], Any], error: type) -> None:
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP))
    engine.accept(case.id, window("market_regulation"))
    before = engine.case(case.id)
    with pytest.raises(OnethingError) as caught:
        call(engine, case.id)
    assert isinstance(caught.value, error)
    assert engine.case(case.id).marking == before.marking


# -- fuzzed: Python values, files and databases ---------------------------------------------------

PY_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary()
    | st.decimals(allow_nan=True) | st.dates() | st.datetimes() | st.just(object()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5) | st.integers(),
                                                                 inner, max_size=3)
    | st.tuples(inner) | st.frozensets(st.integers(), max_size=2),
    max_leaves=10)


@settings(max_examples=int(os.environ.get("ONETHING_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(form=st.dictionaries(st.sampled_from([f.name for f in STARTUP.form.fields])
                            | st.text(max_size=6), PY_VALUES, max_size=6),
       materials=PY_VALUES, key=st.none() | st.text(max_size=8))
def test_fuzz_any_python_value_through_submit(form: dict[Any, Any], materials: Any,
                                              key: str | None) -> None:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(STARTUP)
    with contextlib.suppress(OnethingError):
        engine.submit(STARTUP.id, {**sample_form(STARTUP), **form}, materials,
                      idempotency_key=key)


@settings(max_examples=int(os.environ.get("ONETHING_FUZZ_EXAMPLES", "60")) // 2 or 1,
          deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])
@given(flips=st.lists(st.tuples(st.integers(0, 10 ** 9), st.integers(0, 255)), min_size=1,
                      max_size=40), seed=st.integers(0, 2 ** 16))
def test_fuzz_a_damaged_database_file(tmp_path_factory: pytest.TempPathFactory,
                                      flips: list[tuple[int, int]], seed: int) -> None:
    base = tmp_path_factory.mktemp("damaged")
    path = base / "cases.sqlite3"
    store = SqliteStore(path)
    engine = Engine(store, clock=FixedClock(START))
    engine.deploy(STARTUP)
    ids = [engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP)).id
           for _ in range(3)]
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    for offset, byte in flips:
        data[offset % len(data)] = byte
    if random.Random(seed).random() < 0.3:
        data = data[: random.Random(seed).randrange(len(data))]
    path.write_bytes(bytes(data))
    try:
        damaged = open_store(path, create=False)
    except (StoreCorrupt, StoreUnavailable):
        return
    try:
        engine = Engine(damaged, clock=FixedClock(START))
        for case_id in ids:
            try:
                engine.case(case_id)
                engine.history(case_id)
                engine.accept(case_id, window("market_regulation"))
            except OnethingError:
                pass
    finally:
        damaged.close()


@settings(max_examples=int(os.environ.get("ONETHING_FUZZ_EXAMPLES", "60")) // 2 or 1,
          deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])
@given(content=st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_fuzz_form_files_on_the_command_line(tmp_path_factory: pytest.TempPathFactory,
                                             content: bytes) -> None:
    base = tmp_path_factory.mktemp("forms")
    db = base / "cases.sqlite3"
    invoke("deploy", str(WORKFLOW_FILE), "--db", str(db))
    form = base / "form.json"
    form.write_bytes(content)
    result = invoke("submit", STARTUP.id, "--form", str(form), "--db", str(db))
    assert result.exit_code == 2


def test_an_invalid_key_names_a_library_error() -> None:
    assert issubclass(InvalidArgument, ValueError) and issubclass(InvalidArgument, OnethingError)


@pytest.mark.parametrize("step", [123, ["review"], {"s": 1}])
def test_a_step_that_is_not_text_is_refused_clearly(step: Any) -> None:
    """Found by review: engine.act (and send_back) with a step that is not text raised a
    TypeError from deep inside instead of a clear refusal."""
    engine = Engine(clock=FixedClock(START))
    workflow = shipped("enterprise_startup.yaml")
    engine.deploy(workflow)
    case = engine.submit(workflow.id, sample_form(workflow), sample_materials(workflow))
    with pytest.raises(InvalidArgument, match="named by its id"):
        engine.act(case.id, step, "approve", officer("market_regulation"))
    with pytest.raises(InvalidArgument, match="named by its id"):
        engine.act(case.id, "registration", step, officer("market_regulation"))


def test_a_nul_in_a_case_number_is_bad_input_on_every_store(any_store: Any) -> None:
    """Regression (found by the review of the HTTP layer): PostgreSQL's driver refuses text
    holding U+0000 with DataError, which reached the caller as an internal error (a 500 over
    HTTP, exit 70 on the command line); SQLite and memory answered an unknown case."""
    engine = Engine(any_store, clock=FixedClock(START))
    engine.deploy(STARTUP)
    with pytest.raises(OnethingError):
        engine.case("a\x00b")
    with contextlib.suppress(OnethingError):  # no case, or refused: never another error
        assert engine.search(number="a\x00b").items == ()
