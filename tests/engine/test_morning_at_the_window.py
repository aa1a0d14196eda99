"""A morning at the window (issue 16, "done when"), through the library alone, on the three
stores: 200 submissions; the intake queue worked down, some with the one notice; officers
claiming and deciding from their queue; a supervisor reassigning an overdue step; an applicant
finding their case by its number. Every list is checked against the brute-force filter of all
cases (tests/support/hall_oracle.py) along the way."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.engine.test_hall import check_every_list, walk
from tests.support import hall_oracle as oracle
from tests.support.factories import sample_form, sample_materials, shipped

from onething.cases.records import applicant, officer, supervisor, window
from onething.engine._numbers import CaseNumbers
from onething.engine.engine import Engine
from onething.errors import NotAuthorized
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

WORKFLOW = shipped("enterprise_startup.yaml")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=SHANGHAI)
DESK = window("market_regulation", "li")
WANG, ZHAO = officer("market_regulation", "wang"), officer("market_regulation", "zhao")
CHIEF = supervisor("market_regulation", "chief")


def test_a_morning_at_the_window(any_store: Store) -> None:
    clock = FixedClock(MONDAY)
    engine = Engine(any_store, clock=clock, new_id=CaseNumbers("430381"))
    engine.deploy(WORKFLOW)
    people = [f"person-{n:03d}" for n in range(200)]
    numbers = []
    for person in people:  # 08:30-10:10: 200 people at the window
        numbers.append(engine.submit(WORKFLOW.id, sample_form(WORKFLOW),
                                     sample_materials(WORKFLOW), applicant=person).id)
        clock.advance(timedelta(seconds=30))
    assert numbers[0] == "430381-20261207-000001" and numbers[-1].endswith("-000200")
    check_every_list(engine, 50)

    # the intake queue, worked down a page at a time: every tenth case gets the one notice
    noticed = set()
    for item in walk(lambda **k: engine.intake_queue("market_regulation", **k), 50):
        if int(item.case_id[-3:]) % 10 == 0:  # type: ignore[attr-defined]
            engine.request_intake_correction(item.case_id, DESK,  # type: ignore[attr-defined]
                                             {"address_proof": "缺少租赁合同"})
            noticed.add(item.case_id)  # type: ignore[attr-defined]
        else:
            engine.accept(item.case_id, DESK)  # type: ignore[attr-defined]
    waiting = engine.intake_queue("market_regulation").items
    assert {c.case_id for c in waiting} == noticed and all(c.notice_out for c in waiting)
    assert len(noticed) == 20

    # officers claim from the registration queue and decide what they hold
    first_page = engine.queue("market_regulation").items
    assert len(first_page) == 50 and all(i.assignee is None for i in first_page)
    for n, item in enumerate(first_page[:20]):
        engine.claim(item.case_id, item.step, WANG if n % 2 == 0 else ZHAO)
    mine = walk(lambda **k: engine.queue("market_regulation", assignee="wang", **k), 4)
    assert len(mine) == 10
    with pytest.raises(NotAuthorized):  # held by wang: zhao may not decide it
        engine.act(mine[0].case_id, "registration", "approve", ZHAO)  # type: ignore[attr-defined]
    for item in mine[:5]:
        engine.act(item.case_id, "registration", "approve", WANG)  # type: ignore[attr-defined]
    check_every_list(engine, 50)

    # days pass: wang's other steps go overdue; the supervisor reassigns one, zhao decides it
    clock.set(MONDAY + timedelta(days=14))
    alerts = walk(lambda **k: engine.alerts("market_regulation", **k), 50)
    overdue = [i for i in alerts if i.status == "overdue"]  # type: ignore[attr-defined]
    held = [i for i in overdue if i.assignee == "wang"]  # type: ignore[attr-defined]
    assert held, "wang's undecided steps are overdue"
    target = held[0]
    engine.assign(target.case_id, "registration", "zhao", CHIEF)  # type: ignore[attr-defined]
    assert engine.history(target.case_id)[-1].action == "reassigned"  # type: ignore[attr-defined]
    engine.act(target.case_id, "registration", "approve", ZHAO)  # type: ignore[attr-defined]
    check_every_list(engine, 50)

    # an applicant asks about their case: by its number, and by who they are
    person = people[41]
    number = numbers[41]
    found = engine.search(number=number).items
    assert [c.case_id for c in found] == [number]
    assert [c.case_id for c in engine.search(applicant=person).items] == [number]
    assert engine.case(number).applicant and person not in engine.case(number).applicant
    assert [c.case_id for c in walk(lambda **k: engine.search(status="intake", **k), 7)] == \
        oracle.search(engine, clock.now(), status="intake")
    assert applicant(person)  # the applicant would act under the same identity
