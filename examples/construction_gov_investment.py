"""工程建设项目审批（政府投资）: four stages, parallel departments in each, a contract promised
(容缺后补) and brought before the construction permit; then the SLA of the whole.

Run from a checkout:  .venv/bin/python examples/construction_gov_investment.py
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from _walk import show, walk_to_delivery

from onething import SHANGHAI, Engine, FixedClock, applicant, load, window
from onething.sla import analyse

WORKFLOW = Path(__file__).resolve().parents[1] / "workflows" / \
    "construction_gov_investment.yaml"


def main() -> None:
    workflow = load(WORKFLOW)
    report = analyse(workflow, date(2026, 9, 30))
    print(f"SLA: {report.total} WD on the critical path against {report.limit} WD: "
          + ("holds" if report.holds else "does not hold"))
    clock = FixedClock(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI))
    engine = Engine(clock=clock)
    engine.deploy(workflow)
    case = engine.submit(workflow.id, {
        "project_name": "湘乡市第四中学提质改造", "project_code": "2026-430381-83-01-000001",
        "investment": "8600", "site_area": "15000", "floor_area": "9800",
        "has_basement_shelter": True, "contact_phone": "13800138000",
        "delivery_method": "electronic",
    }, {"feasibility_report": "doc://fr", "land_documents": "doc://land",
        "design_scheme": "doc://scheme", "construction_drawings": "doc://dwg",
        "completion_report": "doc://done"}, actor=applicant("school"))
    engine.accept(case.id, window(workflow.lead))
    clock.advance(timedelta(days=1))
    engine.supplement(case.id, applicant("school"),
                      materials={"contract_documents": "doc://contract"})
    walk_to_delivery(engine, clock, workflow, case.id)
    show(engine, case.id)


if __name__ == "__main__":
    main()
