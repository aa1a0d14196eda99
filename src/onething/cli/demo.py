"""The demo case: one enterprise start-up from the single form to the single delivery.

Its clock is pinned (accepted 2026-09-30, the day before National Day), so the demo prints the
same timeline whatever today's date is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import attrs

from onething.cases.clocks import ClockView
from onething.cases.records import Case, Delivery, Event, applicant, officer, window
from onething.engine.engine import Engine
from onething.stores.base import Store
from onething.workdays import SHANGHAI, FixedClock

DEMO_START = datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)

DEMO_FORM = {
    "company_name": "湘乡市一件事科技有限公司",
    "company_type": "limited_company",
    "registered_capital": "100",
    "legal_person_name": "张三",
    "legal_person_id": "430381199001011234",
    "legal_person_phone": "13800138000",
    "business_address": "湖南省湘乡市东山街道一号",
    "employees": 5,
    "needs_invoice": True,
    "delivery_method": "mail",
    "mail_address": "湖南省湘乡市东山街道一号",
}
DEMO_MATERIALS = {
    "articles_of_association": "file://materials/articles.pdf",
    "address_proof": "file://materials/lease.pdf",
}
PARALLEL_DEPARTMENTS = [
    ("seal", "public_security"),
    ("tax", "tax"),
    ("social_insurance", "human_resources"),
    ("medical_insurance", "medical_security"),
    ("housing_fund", "housing_fund_centre"),
    ("bank_appointment", "bank"),
]


def shipped_workflow(name: str) -> Path:
    """The path of a workflow shipped in workflows/ (from a checkout or an install)."""
    checkout = Path(__file__).resolve().parents[2] / "workflows" / name
    if checkout.is_file():
        return checkout
    with resources.as_file(resources.files("onething") / "workflows" / name) as path:
        return Path(path)


@attrs.frozen
class DemoRun:
    """What the demo did: the case, its history and its one delivery."""

    case: Case
    history: list[Event]
    delivery: Delivery | None
    clocks: list[ClockView] = attrs.field(factory=list)


@contextmanager
def _ticking(clock: FixedClock, minutes: int) -> Iterator[None]:
    yield
    clock.advance(timedelta(minutes=minutes))


def run_demo(store: Store) -> DemoRun:
    """Submit the demo form, take it through every department, and deliver."""
    clock = FixedClock(DEMO_START)
    engine = Engine(store, clock=clock)
    engine.deploy(shipped_workflow("enterprise_startup.yaml"))
    desk = window("market_regulation", "window-3")
    case = engine.submit("enterprise-startup", DEMO_FORM, DEMO_MATERIALS,
                         actor=applicant("zhang-san"))
    with _ticking(clock, 10):
        engine.accept(case.id, desk)
    registrar = officer("market_regulation", "reg-01")
    with _ticking(clock, 30):
        engine.act(case.id, "registration", "request_correction", registrar,
                   reason="住所使用证明未签字 (the lease is not signed)")
    with _ticking(clock, 60):
        engine.supplement(case.id, applicant("zhang-san"), step="registration",
                          materials={"address_proof": "file://materials/lease-signed.pdf"})
    with _ticking(clock, 40):
        engine.act(case.id, "registration", "approve", registrar)
    for step, department in PARALLEL_DEPARTMENTS:
        with _ticking(clock, 25):
            engine.act(case.id, step, "approve", officer(department, f"{department}-01"))
    with _ticking(clock, 5):
        engine.deliver(case.id, desk, "mail")
    return DemoRun(engine.case(case.id), engine.history(case.id), engine.delivery(case.id),
                   engine.clocks(case.id))
