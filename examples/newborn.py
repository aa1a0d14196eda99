"""新生儿出生一件事: one form for the birth certificate, household registration, vaccination
record, medical insurance, social security card and maternity benefit; one delivery by mail.

Run from a checkout:  .venv/bin/python examples/newborn.py
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from _walk import show, walk_to_delivery

from onething import SHANGHAI, Engine, FixedClock, applicant, load, window

WORKFLOW = Path(__file__).resolve().parents[1] / "workflows" / "newborn.yaml"


def main() -> None:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
    engine = Engine(clock=clock)
    workflow = load(WORKFLOW)
    engine.deploy(workflow)
    case = engine.submit(workflow.id, {
        "child_name": "王小宝", "child_birth_date": "2026-02-20",
        "birth_hospital": "湘乡市人民医院",
        "mother_name": "李芳", "mother_id": "430381199001011234",
        "father_id": "11010519491231002X", "household_address": "湘乡市望春门街道",
        "mother_insured": True, "contact_phone": "13800138000", "delivery_method": "mail",
        "mail_address": "湘乡市望春门街道二号",
    }, {"marriage_certificate": "doc://m", "household_register": "doc://h",
        "medical_bills": "doc://b"}, actor=applicant("li-fang"))
    engine.accept(case.id, window(workflow.lead, "hospital-desk"))
    walk_to_delivery(engine, clock, workflow, case.id)
    show(engine, case.id)


if __name__ == "__main__":
    main()
