"""A hall with work in every state a supervisor's list knows — normal, warning, overdue,
paused, done — and the count of its alerts made by hand from the case records: what the stores'
``alert_counts`` and the telemetry gauges must agree with."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from onething.cases.records import applicant, officer, window
from onething.engine._listing import listing
from onething.engine.engine import Engine
from onething.language.load import parse
from onething.workdays import FixedClock
from tests.support.factories import sample_form, sample_materials, shipped

STARTUP = shipped("enterprise_startup.yaml")
LEAD = STARTUP.lead
#: how far each case goes: 0 submitted, 1 accepted, 2 registration approved, 3 and two of the
#: parallel steps approved, 4 registration's correction asked (its clock paused), 5 delivered
STAGES = range(6)
PARALLEL = {"seal": "public_security", "tax": "tax", "social_insurance": "human_resources",
            "medical_insurance": "medical_security", "housing_fund": "housing_fund_centre",
            "bank_appointment": "bank"}
#: two steps of one department side by side with different limits: a case with one of them
#: overdue and the other in warning counts once, as overdue
TWIN = parse("""onething: 1
id: twin
version: 1
title: twin
lead: hall
form:
  fields:
    company: {type: string, required: true}
steps:
  - parallel:
      - id: first
        department: dept
        reads: [company]
        produces: [first_item]
        time_limit: {committed: 1 WD, source: "assumption: a test"}
      - id: second
        department: dept
        reads: [company]
        produces: [second_item]
        time_limit: {committed: 3 WD, source: "assumption: a test"}
delivery:
  bundle: [first_item, second_item]
  methods: [window]
""").unwrap()


def busy_hall(engine: Engine, clock: FixedClock, stages: Iterable[int],
              gap: timedelta = timedelta(hours=7)) -> list[str]:
    """One enterprise start-up case per entry of ``stages``, each submitted ``gap`` after the
    one before and taken as far as its stage says; returns their ids."""
    engine.deploy(STARTUP)  # once: deploying it again changes nothing
    ids = []
    for stage in stages:
        case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                             actor=applicant("applicant"))
        ids.append(case.id)
        if stage >= 1:
            engine.accept(case.id, window(LEAD))
        if stage == 4:
            engine.act(case.id, "registration", "request_correction", officer(LEAD),
                       "the address proof is unreadable")
        elif stage >= 2:
            engine.act(case.id, "registration", "approve", officer(LEAD))
        if stage in (3, 5):
            for step in ("seal", "tax") if stage == 3 else PARALLEL:
                engine.act(case.id, step, "approve", officer(PARALLEL[step]))
        if stage == 5:
            engine.deliver(case.id, window(LEAD))
        clock.advance(gap)
    return ids


def twins(engine: Engine, clock: FixedClock, count: int,
          gap: timedelta = timedelta(hours=5)) -> list[str]:
    """``count`` accepted cases of :data:`TWIN`, ``gap`` apart (the last with its first step
    decided)."""
    engine.deploy(TWIN)
    ids = []
    for _ in range(count):
        case = engine.submit(TWIN.id, {"company": "示例有限公司"}, {},
                             actor=applicant("applicant"))
        engine.accept(case.id, window(TWIN.lead))
        ids.append(case.id)
        clock.advance(gap)
    engine.act(ids[-1], "first", "approve", officer("dept"))
    return ids


def alerts_by_hand(engine: Engine, now: datetime) -> dict[tuple[str, str], int]:
    """``{(department, status): cases}`` at ``now``, from every case record: each step
    waiting on a department has the status its listing gives it at ``now``; a case counts
    once per department, overdue when one of its steps there is, else warning."""
    worst: dict[tuple[str, str], str] = {}
    for case_id in engine.store.case_ids():
        case = engine.store.load(case_id)
        deployed = engine.deployed(case.workflow_id, case.workflow_version)
        for work in listing(case, deployed, engine.calendar).work:
            status = work.status(now)
            if status in ("warning", "overdue") \
                    and worst.get((work.department, case_id)) != "overdue":
                worst[work.department, case_id] = status
    return dict(Counter((department, status) for (department, _), status in worst.items()))
