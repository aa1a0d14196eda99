"""Case numbers (办件编号, issue 16 item 2): region, day, serial, behind the id hook; unique
across engines sharing a store; never masked."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.support.factories import START, sample_form, sample_materials, shipped
from tests.support.scenarios import OWNER_ID

from onething.engine._numbers import CaseNumbers
from onething.engine.engine import Engine
from onething.errors import InvalidArgument
from onething.privacy.masking import mask_text
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

WORKFLOW = shipped("enterprise_startup.yaml")


def submit(engine: Engine) -> str:
    return engine.submit(WORKFLOW.id, sample_form(WORKFLOW), sample_materials(WORKFLOW),
                         applicant=OWNER_ID).id


def test_numbers_count_per_day_and_are_the_case_ids(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock, new_id=CaseNumbers("430381"))
    engine.deploy(WORKFLOW)
    first = [submit(engine) for _ in range(3)]
    assert first == [f"430381-20260930-00000{n}" for n in (1, 2, 3)]
    clock.advance(timedelta(days=1))
    assert submit(engine) == "430381-20261001-000001"
    assert [c.case_id for c in engine.search(number=first[1]).items] == [first[1]]
    assert engine.case(first[0]).id == first[0]


def test_engines_sharing_a_store_never_give_one_number_twice(any_store: Store) -> None:
    engines = [Engine(any_store, clock=FixedClock(START), new_id=CaseNumbers("110101"))
               for _ in range(2)]
    engines[0].deploy(WORKFLOW)
    drawn: list[str] = []
    lock = threading.Lock()

    def draw(engine: Engine) -> None:
        for _ in range(15):
            number = engine.new_id()
            with lock:
                drawn.append(number)

    threads = [threading.Thread(target=draw, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(drawn) == [f"110101-20260930-{n:06d}" for n in range(1, 31)]


@pytest.mark.parametrize("region, pattern, why", [
    ("430381", "{region}{date:%Y%m%d}{serial:04d}", "identity"),  # 18 digits, a birth date
    ("430381", "{region}-{date:%Y%m%d}", "serial"),
    ("430381", "{region}-{when}-{serial}", "serial"),
    ("430381", "{region}-{serial:q}", "filled in"),
    ("430381", "{region-{serial}", "format"),
    ("43 03", "{region}-{serial}", "region"),
    ("", "{region}-{serial}", "region"),
])
def test_a_format_that_cannot_give_a_readable_number_is_refused(region: str, pattern: str,
                                                                why: str) -> None:
    with pytest.raises(InvalidArgument, match=why):
        CaseNumbers(region, pattern)


@given(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
       st.integers(1, 9_999_999))
def test_no_default_number_is_ever_masked(region: str, day: date, serial: int) -> None:
    numbers = CaseNumbers(region)

    class Serial:
        def next_serial(self, scope: str) -> int:
            assert scope == f"case-number:{region}-{day:%Y%m%d}-#"
            return serial

    at = datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=10)
    number = numbers.bind(Serial(), FixedClock(at))()  # type: ignore[arg-type]
    assert mask_text(number) == number
    assert number.startswith(f"{region}-{day:%Y%m%d}-")


def test_a_format_without_a_date_counts_one_serial_per_region(any_store: Store) -> None:
    clock = FixedClock(START)
    engine = Engine(any_store, clock=clock, new_id=CaseNumbers("HN", "YJS-{region}-{serial:08d}"))
    engine.deploy(WORKFLOW)
    assert submit(engine) == "YJS-HN-00000001"
    clock.advance(timedelta(days=3))
    assert submit(engine) == "YJS-HN-00000002"
