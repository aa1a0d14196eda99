"""The statistics computed the slow, obvious way — by loading every case with its status events
and 电子监察 records — to check the counts kept in SQL against (issue 19: "statistics are
checked against brute-force counts over all cases on the three stores"), and a driver that
makes a varied hall of cases to count."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.workdays import SHANGHAI, FixedClock
from tests.support.factories import sample_materials, shipped

STARTUP = shipped("enterprise_startup.yaml")
PARALLEL = [("seal", "public_security"), ("tax", "tax"), ("social_insurance", "human_resources"),
            ("medical_insurance", "medical_security"),
            ("housing_fund", "housing_fund_centre"), ("bank_appointment", "bank")]
FORM = {"company_name": "湘乡市一件事科技有限公司", "company_type": "limited_company",
        "registered_capital": "100", "legal_person_name": "张三",
        "legal_person_id": "430381199001011234", "legal_person_phone": "13800138000",
        "business_address": "湖南省湘乡市东山街道一号", "employees": 5, "needs_invoice": True,
        "delivery_method": "mail", "mail_address": "湖南省湘乡市东山街道一号"}
OFFICE = "service_supervision"


def hall(engine: Engine, clock: FixedClock, seed: int, cases: int) -> None:
    """``cases`` enterprise start-ups over some weeks: corrections at the window and at
    registration, refusals at intake and in the parallel block, cases left open, deliveries on
    time and late, ratings good and bad, rectifications on time and late."""
    rng = random.Random(seed)
    engine.deploy(STARTUP)
    desk, reg, person = window(STARTUP.lead, "w1"), officer("market_regulation", "r1"), applicant()
    materials = sample_materials(STARTUP)

    def wait(most_hours: int) -> None:
        clock.advance(timedelta(hours=rng.randint(0, most_hours), minutes=rng.randint(0, 59)))

    for _ in range(cases):
        wait(30)
        case = engine.submit(STARTUP.id, FORM, materials, actor=person)
        if rng.random() < 0.2:
            engine.request_intake_correction(case.id, desk, {"address_proof": "不清晰"})
            wait(20)
            engine.supplement(case.id, person, materials={"address_proof": "file://b2.pdf"})
        fate = rng.random()
        if fate < 0.08:
            engine.refuse_intake(case.id, desk, "不属于本窗口")
            continue
        if fate < 0.15:
            continue  # left at intake
        engine.accept(case.id, desk)
        wait(10)
        if rng.random() < 0.06:
            engine.withdraw(case.id, person, "不办了")
            continue
        if rng.random() < 0.15:
            engine.start_special_procedure(case.id, "registration", reg, kind="expert_review",
                                           expected="5 WD")
            wait(60)
            engine.act(case.id, "registration", "end_special_procedure", reg)
        if rng.random() < 0.3:
            engine.act(case.id, "registration", "request_correction", reg, reason="租约未签")
            wait(40)
            engine.supplement(case.id, person, step="registration")
        engine.act(case.id, "registration", "approve", reg)
        refused = False
        for step, department in PARALLEL:
            wait(rng.choice((2, 10, 40)))
            if rng.random() < 0.04:
                engine.act(case.id, step, "refuse", officer(department, "o1"), reason="不符")
                refused = True
                break
            engine.act(case.id, step, "approve", officer(department, "o1"))
        if refused or rng.random() < 0.15:
            continue  # a refusal is its own delivery; else left awaiting the window
        wait(8)
        engine.deliver(case.id, desk, "mail")
        if rng.random() < 0.5:
            continue
        wait(20)
        rating = rng.choice((1, 2, 3, 4, 5, 5, 4))
        follow_up = engine.evaluate(case.id, rating, person)
        if rating <= 2 and rng.random() < 0.8:
            engine.accept(follow_up.id, window(OFFICE))
            wait(rng.choice((10, 400)))
            engine.act(follow_up.id, "verification", "approve", officer(OFFICE))
            engine.act(follow_up.id, "rectification", "approve", officer(OFFICE))
            engine.deliver(follow_up.id, window(OFFICE))
    engine.tick(clock.now() + timedelta(days=10))  # the law accepts what the window left


def day(moment: Any) -> str:
    return moment.astimezone(SHANGHAI).date().isoformat()


def working_days(engine: Engine, clock: dict[str, Any]) -> int:
    """A finished clock's working days, counted here from the definition (docs/statistics.md):
    the working days from the day after it started to the day it finished, in Asia/Shanghai,
    leaving out every day a pause covers (its first and last dates whole)."""
    started = datetime.fromisoformat(clock["started"]).astimezone(SHANGHAI).date()
    finished = datetime.fromisoformat(clock["finished"]).astimezone(SHANGHAI).date()
    pauses = [(date.fromisoformat(a), date.fromisoformat(b)) for a, b, *_ in clock["pauses"]]
    calendar = engine.calendar.lenient()
    count, current = 0, started + timedelta(days=1)
    while current <= finished:
        if calendar.is_working_day(current) and not any(a <= current <= b for a, b in pauses):
            count += 1
        current += timedelta(days=1)
    return count


def brute(engine: Engine) -> dict[str, Any]:
    """Every figure the report gives, by reading every case and its status events: working
    days counted here from the clocks' dates; only whether a clock met its limit is the
    电子监察 record's (its due date is the calendar's addition, tested on its own)."""
    out: dict[str, Any] = {
        "received": Counter(), "green": 0, "accepted": Counter(), "deemed": 0,
        "delivered": Counter(), "handled": 0, "on_time": 0, "late": 0, "early": 0,
        "first_time": 0, "instant": 0, "corrections": Counter(), "lead": Counter(),
        "steps": {}, "step_states": Counter(), "ratings": Counter(), "rectified": Counter(),
        "delivered_days": Counter(), "departments": Counter()}
    for case_id in engine.store.case_ids():
        case = engine.case(case_id)
        said = engine.store.status_events(case_id)
        states = {r.clock: r.state.value for r in engine.supervision(case_id)}
        for event in said:
            if event.type == "submitted":
                out["received"][day(event.at)] += 1
                out["green"] += bool(event.data["green_channel"])
                out["departments"][event.department] += 1
            elif event.type in ("accepted", "deemed_accepted"):
                out["accepted"][day(event.at)] += 1
                out["deemed"] += event.type == "deemed_accepted"
            elif event.type in ("correction_requested", "intake_correction_requested"):
                out["corrections"][(event.step or "intake")] += 1
            elif event.type == "evaluated":
                out["ratings"][event.data["rating"]] += 1
            elif event.type == "delivered":
                out["delivered"][case.delivery_kind] += 1
                out["delivered_days"][day(event.at)] += 1
        if not case.ended:
            continue
        delivered_on = next(day(e.at) for e in said if e.type == "delivered")
        if case.workflow_id == "rectification" and "case" in case.clocks:
            out["rectified"][states["case"]] += 1
        steps = {spec.id for spec in engine.deployed(case.workflow_id).workflow.iter_steps()}
        for key, clock in case.clocks.items():
            if key in steps and clock["finished"] is not None:
                found = out["steps"].setdefault((case.workflow_id, key), Counter())
                found[working_days(engine, clock)] += 1
                if clock.get("committed") or clock.get("statutory"):  # met or late: a limit
                    out["step_states"][(key, states[key])] += 1
        if case.accepted_at is None or case.delivery_kind not in ("result", "refusal"):
            continue
        out["handled"] += 1
        corrected = sum(e.type in ("correction_requested", "intake_correction_requested")
                        for e in said)
        out["first_time"] += corrected == 0
        out["instant"] += day(case.accepted_at) == delivered_on
        own = case.clocks.get("case")
        if own is None:
            continue
        used = working_days(engine, own)
        out["lead"][used] += 1
        limit = own.get("committed") or own.get("statutory")
        if limit is not None:
            out["on_time"] += states["case"] == "met"
            out["late"] += states["case"] == "late"
            amount, unit = limit.split()
            out["early"] += unit == "WD" and used < float(amount)
    return out


def nearest_rank(values: list[int], share: float) -> int | None:
    """The textbook nearest-rank quantile of a list."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]
