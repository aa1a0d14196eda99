"""One enterprise start-up case from its form to its rating, with personal data everywhere a
caller can put it: what the telemetry tests run (in this process and in child processes
without OpenTelemetry, so this module imports none of it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.errors import OnethingError
from onething.privacy.numbers import id_card_check_char
from onething.stores.memory import MemoryStore
from onething.workdays import FixedClock
from tests.support.alerting import PARALLEL, STARTUP
from tests.support.factories import START, sample_form, sample_materials

LEAD = STARTUP.lead


def startup(store: Any = None) -> tuple[Engine, FixedClock]:
    clock = FixedClock(START)
    engine = Engine(store or MemoryStore(), clock=clock)
    engine.deploy(STARTUP)
    return engine, clock


def whole_case(engine: Engine, clock: FixedClock, person: dict[str, str],
               staff: str = "wang") -> tuple[str, list[str]]:
    """One enterprise start-up case from its form to its delivery and rating, with personal
    data everywhere a caller can put it (form, applicant, reasons, comments, a refused form,
    a made-up action and step); returns its id and the action of each call made, in order."""
    form = {**sample_form(STARTUP), "legal_person_id": person["id"],
            "legal_person_phone": person["phone"], "legal_person_name": person["name"],
            "company_name": person["company"], "business_address": person["address"],
            "delivery_method": "mail", "mail_address": person["address"]}
    calls: list[str] = []

    def call(action: str, do: Callable[[], Any], refused: bool = False) -> Any:
        calls.append(action)
        if not refused:
            return do()
        with pytest.raises(OnethingError):
            do()
        return None

    call("submit", lambda: engine.submit(
        STARTUP.id, {**form, "legal_person_id": person["id"][:17] + "Z"},
        sample_materials(STARTUP), actor=window(LEAD, staff), applicant=person["id"]), True)
    case = call("submit", lambda: engine.submit(
        STARTUP.id, form, sample_materials(STARTUP), actor=applicant(person["id"]),
        idempotency_key=f"submit {person['id']}"))
    call("submit", lambda: engine.submit(
        STARTUP.id, form, sample_materials(STARTUP), actor=applicant(person["id"]),
        idempotency_key=f"submit {person['id']}"))
    call("accept", lambda: engine.accept(case.id, window(LEAD, staff)))
    call("request_correction", lambda: engine.act(
        case.id, "registration", "request_correction", officer(LEAD, staff),
        f"法定代表人 {person['name']} 身份证 {person['id']} 与执照不符"))
    call("supplement", lambda: engine.supplement(
        case.id, applicant(person["id"]), step="registration",
        fields={"legal_person_name": person["name"] + "华"}))
    call("unknown", lambda: engine.act(case.id, "registration", person["id"],
                                       officer(LEAD, staff)), True)
    call("approve", lambda: engine.act(case.id, person["id"], "approve",
                                       officer(LEAD, staff)), True)
    call("approve", lambda: engine.act(case.id, "registration", "approve",
                                       officer(LEAD, staff)))
    for step, department in PARALLEL.items():
        call("approve", lambda s=step, d=department: engine.act(  # type: ignore[misc]
            case.id, s, "approve", officer(d, staff)))
    call("deliver", lambda: engine.deliver(case.id, applicant(person["id"])), True)
    call("deliver", lambda: engine.deliver(case.id, window(LEAD, staff), "mail"))
    engine.dispatch()
    clock.advance(timedelta(days=2))
    call("evaluate", lambda: engine.evaluate(case.id, 1, applicant(person["id"]),
                                             f"{person['name']} 电话 {person['phone']} 太慢"))
    return case.id, calls


def person(seed: int = 0, name: str = "李四海") -> dict[str, str]:
    first17 = f"430381{1950 + seed % 50}0{1 + seed % 9}1{seed % 10}{seed % 1000:03d}"
    return {"id": first17 + id_card_check_char(first17), "phone": f"139{seed % 10**8:08d}",
            "name": name, "company": f"{name}餐饮管理有限公司",
            "address": f"湖南省湘乡市望春门街道{name}巷{seed % 100}号"}
