"""退休一件事: an early retirement (special job), so the file review and the public notice come
first; then the pension, the housing fund and the medical insurance retiree status.

Run from a checkout:  .venv/bin/python examples/retirement.py
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from _walk import show, walk_to_delivery

from onething import SHANGHAI, Engine, FixedClock, applicant, load, window

WORKFLOW = Path(__file__).resolve().parents[1] / "workflows" / "retirement.yaml"


def main() -> None:
    clock = FixedClock(datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI))
    engine = Engine(clock=clock)
    workflow = load(WORKFLOW)
    engine.deploy(workflow)
    case = engine.submit(workflow.id, {
        "full_name": "赵建国", "id_number": "430381199001011234",
        "retirement_type": "early_special_job", "retirement_date": "2026-07-01",
        "insured_years": 31, "housing_fund_account": "HF-0001", "bank_account": "6222 0000",
        "contact_phone": "13700137000",
    }, {"personnel_file": "doc://file"}, actor=applicant("zhao"))
    engine.accept(case.id, window(workflow.lead))
    walk_to_delivery(engine, clock, workflow, case.id, "window")
    show(engine, case.id)


if __name__ == "__main__":
    main()
