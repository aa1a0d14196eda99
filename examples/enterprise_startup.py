"""企业开办一件事: one enterprise start-up case, from the single form to the single delivery.

Run from a checkout:  .venv/bin/python examples/enterprise_startup.py
The clock is pinned (accepted 2026-09-30), so the output is the same on any day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from onething import (
    SHANGHAI,
    Engine,
    FixedClock,
    MemoryStore,
    applicant,
    load,
    officer,
    timeline,
    window,
)

WORKFLOW = Path(__file__).resolve().parents[1] / "workflows" / "enterprise_startup.yaml"


def main() -> None:
    clock = FixedClock(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI))
    engine = Engine(MemoryStore(), clock=clock)
    engine.deploy(load(WORKFLOW))

    # one form, one set of materials, at one window (一表申请、一套材料、一窗受理)
    case = engine.submit(
        "enterprise-startup",
        form={
            "company_name": "湘乡市示例餐饮管理有限公司",
            "legal_person_name": "李四",
            "legal_person_id": "430381199001011234",
            "legal_person_phone": "13900139000",
            "business_address": "湖南省湘乡市望春门街道二号",
            "employees": 3,
            "needs_invoice": True,
            "delivery_method": "window",
        },
        materials={"articles_of_association": "doc://a-1", "address_proof": "doc://a-2"},
        actor=applicant("li-si"),
    )
    desk = window("market_regulation", "window-1")
    engine.accept(case.id, desk)

    # registration first: every other department needs the unified social credit code
    clock.advance(timedelta(hours=2))
    engine.act(case.id, "registration", "approve", officer("market_regulation", "wang"))
    print("now waiting on:", ", ".join(engine.waiting_on(case.id)))

    # the departments work in parallel; the bank appointment is optional
    for step, department in [("seal", "public_security"), ("tax", "tax"),
                             ("social_insurance", "human_resources"),
                             ("medical_insurance", "medical_security"),
                             ("housing_fund", "housing_fund_centre")]:
        clock.advance(timedelta(minutes=20))
        engine.act(case.id, step, "approve", officer(department, "on-duty"))
    engine.act(case.id, "bank_appointment", "refuse", officer("bank", "teller"),
               reason="no appointment slot this week")

    # one delivery of everything produced (统一出件), free of charge
    clock.advance(timedelta(minutes=30))
    engine.deliver(case.id, desk, method="window")

    print()
    print("\n".join(timeline(engine.history(case.id))))
    delivery = engine.delivery(case.id)
    print()
    print(f"delivery {delivery.id}: {delivery.kind} at the {delivery.method}")
    print("bundle:", ", ".join(delivery.items))
    for item in delivery.notice["items"]:
        reason = f" ({item['reason']})" if "reason" in item else ""
        print(f"  {item['title']:<24} {item['outcome']}{reason}")


if __name__ == "__main__":
    main()
