"""A clock as a slotted record (onething.cases.clock_record, decision 0035) reads, writes,
copies, compares, pickles and is stored exactly as the sparse dict it replaced: after any
sequence of writes and removals, it holds what such a dict would hold."""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
import tracemalloc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onething.cases import clocks as clk
from onething.cases.clock_record import DEFAULTS, MOMENTS, SLOTTED, ClockRecord
from onething.cases.records import Case, case_from_json, case_to_json
from onething.workdays import SHANGHAI, Duration

KEYS = st.sampled_from([*SLOTTED, *DEFAULTS, "kind", "notice_at", "on_promise"])
VALUES = st.one_of(st.text(max_size=8), st.lists(st.text(max_size=3), max_size=2),
                   st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
                   st.booleans())
#: a moment as the engine writes it (an aware time's ISO text; the offset may be any)
TIMES = st.builds(lambda moment, hours: moment.replace(
    tzinfo=dt.timezone(dt.timedelta(hours=hours))).isoformat(),
    st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)), st.integers(-12, 14))
OPS = st.lists(st.one_of(
    st.tuples(st.just("set"), KEYS.filter(lambda key: key not in MOMENTS), VALUES),
    st.tuples(st.just("set"), st.sampled_from(sorted(MOMENTS)), TIMES),
    st.tuples(st.just("pop"), KEYS, st.none())), max_size=20)


MORNING = "2026-03-02T09:00:00+08:00"
START = dt.datetime.fromisoformat(MORNING).astimezone(SHANGHAI)  # as the engine's clock
TWO, FOUR = Duration.parse("2 WD"), Duration.parse("4 WD")


class SparseDict(dict[str, Any]):
    """What a clock was before decision 0035 (the reference)."""

    def __missing__(self, key: str) -> Any:
        return DEFAULTS[key]


def read_all(clock: Any) -> list[Any]:
    out = []
    for key in [*SLOTTED, *DEFAULTS, "kind", "notice_at", "on_promise", "other"]:
        try:
            item = clock[key]
        except KeyError:
            item = KeyError
        out.append((key, key in clock, clock.get(key), clock.get(key, "d"), item))
    return out


@given(OPS)
def test_a_clock_record_holds_what_the_sparse_dict_held(ops: list[tuple[str, str, Any]]) -> None:
    record, reference = ClockRecord(), SparseDict()
    for op, key, value in ops:
        if op == "set":
            record[key] = value
            reference[key] = value
        else:
            assert record.pop(key, "gone") == reference.pop(key, "gone")
        assert read_all(record) == read_all(reference)
        assert record == reference and record.as_dict() == dict(reference)
        assert sorted(record.keys()) == sorted(reference) and len(record) == len(reference)
        assert bool(record) == bool(reference)
    assert ClockRecord(reference) == record == ClockRecord(**reference)
    for twin in (record.copy(), copy.deepcopy(record), pickle.loads(pickle.dumps(record))):
        assert twin == record and twin is not record and isinstance(twin, ClockRecord)


def test_a_missing_key_raises_as_a_dict_does() -> None:
    clock = ClockRecord(started="2026-03-02T09:00:00+08:00")
    with pytest.raises(KeyError):
        clock.pop("finished")
    with pytest.raises(KeyError):
        clock["kind"]
    assert clock["finished"] is None and clock["pauses"] == () and clock != 7


def test_a_copy_does_not_share_its_rare_keys() -> None:
    clock = ClockRecord(started=MORNING, escalated=[0])
    twin = clock.copy()
    twin["escalated"] = [0, 1]
    twin["kind"] = "testing"
    assert clock.as_dict() == {"started": MORNING, "escalated": [0]}


@given(OPS)
def test_a_case_stores_and_reads_back_its_clocks(ops: list[tuple[str, str, Any]]) -> None:
    """What the stores write of a clock (the case's state, as JSON text) decodes to an equal
    clock, and one the sparse dict would have written decodes to the same."""
    record, reference = ClockRecord(started=MORNING), SparseDict(started=MORNING)
    for op, key, value in ops:
        if op == "set" and key != "started":
            record[key] = value
            reference[key] = value
    case = Case("c", "w", 1, "h", (), {}, {}, clocks={"s": record})
    text = json.dumps(case_to_json(case))
    back = case_from_json(json.loads(text)).clocks["s"]
    assert isinstance(back, ClockRecord)
    assert back == clk.as_clock(json.loads(json.dumps(dict(reference))))


@given(st.sampled_from([None, "2 WD", "4 WD", "0.5 WD", "10 ND"]),
       st.sampled_from([None, "4 WD", "45 WD", "2 NH"]))
def test_a_new_clock_is_the_record_its_keys_make(committed: str | None,
                                                 statutory: str | None) -> None:
    """``new_clock`` builds its record directly (issue 20): it must be the record the
    mapping protocol makes of the same keys, its limits shared with every clock like it."""
    limits = [Duration.parse(t) if t is not None else None for t in (committed, statutory)]
    made = clk.new_clock(START, *limits)
    keys = {"started": START.isoformat(), "committed": committed, "statutory": statutory}
    expected = ClockRecord({k: v for k, v in keys.items() if v is not None})
    assert made == expected and made.as_dict() == expected.as_dict()
    assert made.limits == expected.limits == (committed, statutory)
    assert clk.new_clock(START, *limits).limits is made.limits
    assert bool(made) and made.finished is None and made.more is None


def test_a_finished_step_clock_takes_less_than_a_dict() -> None:
    """The point of the record (decision 0035): measured, not assumed."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        records = [clk.new_clock(START + dt.timedelta(seconds=i), TWO, FOUR) for i in range(1000)]
        for i, record in enumerate(records):
            clk.finish(record, START + dt.timedelta(seconds=i + 1))
        as_records = tracemalloc.get_traced_memory()[0] - before
        dicts = [{"started": (START + dt.timedelta(seconds=i)).isoformat(),
                  "committed": "2 WD", "statutory": "4 WD",
                  "finished": (START + dt.timedelta(seconds=i + 1)).isoformat()}
                 for i in range(1000)]
        as_dicts = tracemalloc.get_traced_memory()[0] - before - as_records
    finally:
        tracemalloc.stop()
    assert len(records) == len(dicts) and as_records < as_dicts * 0.6


def test_a_case_state_writes_its_clocks_as_plain_dicts() -> None:
    clock = ClockRecord(started=MORNING, committed="2 WD")
    clock["pauses"] = [["2026-03-02", "2026-03-03", "correction"]]
    case = Case("c", "w", 1, "h", (), {}, {}, clocks={"s1": clock})
    written = case.state()["clocks"]["s1"]
    assert type(written) is dict
    assert written == {"started": MORNING, "committed": "2 WD",
                       "pauses": [["2026-03-02", "2026-03-03", "correction"]]}


def test_a_case_without_intake_notice_or_claims_shares_one_empty_record() -> None:
    """``intake`` and ``assigned`` start as one shared empty dict (decision 0035), which
    refuses changes in place: a change must replace it, so no case can alter another's."""
    one = Case("a", "w", 1, "h", (), {}, {})
    two = Case("b", "w", 1, "h", (), {}, {})
    assert one.intake is two.intake is one.assigned and one.intake == {}
    for change in (lambda r: r.__setitem__("k", 1), lambda r: r.update(k=1),
                   lambda r: r.setdefault("k", 1), lambda r: r.pop("k", None),
                   lambda r: r.clear(), lambda r: r.__ior__({"k": 1})):
        with pytest.raises(TypeError):
            change(one.assigned)
    assert one.intake == {} and copy.deepcopy(one).intake is one.intake
    assert pickle.loads(pickle.dumps(one)).assigned is one.assigned
    back = case_from_json(json.loads(json.dumps(case_to_json(one))))
    assert back.assigned is back.intake is one.assigned
    claimed = one.replace(assigned={"s": {"d": "li"}})
    assert claimed.snapshot().assigned == {"s": {"d": "li"}} and one.assigned == {}
