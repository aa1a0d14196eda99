"""A restaurant case with every kind of fact a clerk's status shows (issue 16 item 5): a promised
material, a commitment, a pending correction with its clock paused, an extended limit and an
authorized agent — the case tests/engine/test_summary.py and the status command's test read."""

from __future__ import annotations

import datetime as dt

from onething.cases.records import agent, applicant, officer, supervisor, window
from onething.engine.engine import Engine
from onething.stores.base import Store
from onething.workdays import SHANGHAI, Duration, FixedClock
from tests.support.factories import START, sample_form, sample_materials, shipped

RESTAURANT = shipped("restaurant_opening.yaml")
OWNER_ID = "430381199001011234"
OWNER = applicant(OWNER_ID)
HELPER = agent("helper-7")
T1 = START + dt.timedelta(hours=2)  # accepted: the promise and the step clocks count from here
T2 = T1 + dt.timedelta(hours=1)  # the fire check asks for a correction; the signboard extended
NOW = dt.datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)  # after the National Day holiday
REASON = "消防通道图不清晰，请补充；联系人电话13912345678"
FORM = sample_form(RESTAURANT) | {"business_area": "80.5", "has_signboard": True,
                                  "sells_tobacco": False, "false_commitment_record": False,
                                  "business_name": "湘乡市好味道餐饮店",
                                  "premises_address": "湘乡市东山街道一号",
                                  "operator_id": OWNER_ID, "contact_phone": "13800138000"}


def restaurant(store: Store | None = None) -> tuple[Engine, FixedClock, str]:
    """A restaurant case with every kind of fact a status shows: accepted on a promise (the
    fire-safety commitment letter, 3 WD), the food permit approved on commitment (告知承诺,
    verify within 20 WD), the fire check asking for a correction (its clock paused), the
    signboard's limit extended by 3 WD, and an agent the applicant authorized."""
    clock = FixedClock(START)
    engine = Engine(store, clock=clock)
    engine.deploy(RESTAURANT)
    case = engine.submit(RESTAURANT.id, FORM, sample_materials(RESTAURANT, promise=True),
                         actor=OWNER)
    clock.set(T1)
    engine.accept(case.id, window("market_regulation", "li"))
    engine.authorize_agent(case.id, "helper-7", OWNER)
    engine.act(case.id, "licence_check", "approve", officer("market_regulation", "wang"))
    engine.act(case.id, "food_business_permit", "approve_on_commitment",
               officer("market_regulation", "wang"))
    clock.set(T2)
    engine.act(case.id, "fire_safety_check", "request_correction",
               officer("fire_rescue", "zhao"), REASON)
    engine.extend(case.id, "outdoor_signboard", "3 WD", supervisor("urban_management", "qian"),
                  "需现场核查招牌位置")
    clock.set(NOW)
    return engine, clock, case.id


def added(engine: Engine, start: dt.datetime, amount: str,
          pauses: tuple[tuple[dt.date, dt.date], ...] = ()) -> dt.datetime:
    """``amount`` after ``start`` on the working-day calendar, from the next day (the law's
    count, 行政许可法 art. 82), with ``pauses``."""
    return engine.calendar.add(start, Duration.parse(amount), count_from="next_day",
                               pauses=pauses).deadline
