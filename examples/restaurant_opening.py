"""开办餐饮店一件事: a small restaurant (under 50 m², so no fire check), with a signboard and a
promised fire-safety commitment (容缺受理) brought two days later. The food business permit is
granted on the operator's written commitment (告知承诺制); the on-site verification a week after
the delivery finds the premises as committed and confirms it.

Run from a checkout:  .venv/bin/python examples/restaurant_opening.py
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from _walk import show, walk_to_delivery

from onething import SHANGHAI, Engine, FixedClock, applicant, load, officer, window

WORKFLOW = Path(__file__).resolve().parents[1] / "workflows" / "restaurant_opening.yaml"


def main() -> None:
    clock = FixedClock(datetime(2026, 5, 11, 9, 0, tzinfo=SHANGHAI))
    engine = Engine(clock=clock)
    workflow = load(WORKFLOW)
    engine.deploy(workflow)
    case = engine.submit(workflow.id, {
        "business_name": "湘乡市小面馆", "credit_code": "91430381MA4XXXXX0X",
        "operator_id": "430381199001011234", "premises_address": "湘乡市东山街道三号",
        "business_area": "42.5", "has_signboard": True, "sells_tobacco": False,
        "contact_phone": "13900139000",
    }, {"food_safety_plan": "doc://plan", "premises_layout": "doc://layout",
        "signboard_design": "doc://sign"}, actor=applicant("owner"))
    print("promised (容缺):", ", ".join(engine.case(case.id).promised))
    engine.accept(case.id, window(workflow.lead))
    clock.advance(timedelta(days=2))
    engine.supplement(case.id, applicant("owner"),
                      materials={"fire_safety_commitment": "doc://commitment"})
    walk_to_delivery(engine, clock, workflow, case.id, "electronic",
                     on_commitment=("food_business_permit",))
    clock.advance(timedelta(days=7))
    engine.verify_commitment(case.id, "food_business_permit", True,
                             officer("market_regulation", "inspector"),
                             "on-site check matches the commitment")
    show(engine, case.id)


if __name__ == "__main__":
    main()
