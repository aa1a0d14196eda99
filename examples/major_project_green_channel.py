"""重大项目绿色通道: a key project (over 3,000万元, on the list) gets priority in every queue and
the 137 milestones on every step; one department misses its feedback milestone and is escalated.

Run from a checkout:  .venv/bin/python examples/major_project_green_channel.py
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from _walk import show, walk_to_delivery

from onething import SHANGHAI, Engine, FixedClock, applicant, load, officer, window

WORKFLOW = Path(__file__).resolve().parents[1] / "workflows" / \
    "major_project_green_channel.yaml"


def main() -> None:
    clock = FixedClock(datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI))
    engine = Engine(clock=clock)
    workflow = load(WORKFLOW)
    engine.deploy(workflow)
    case = engine.submit(workflow.id, {
        "project_name": "电子信息产业基地", "project_category": "industry",
        "investment": "120000", "key_project": True, "site_area": "80000",
        "contact_phone": "13800138000",
    }, {"project_proposal": "doc://p", "land_documents": "doc://l",
        "design_drawings": "doc://d", "environmental_report": "doc://e"},
        actor=applicant("project-unit"))
    print("green channel:", bool(engine.case(case.id).priority))
    engine.accept(case.id, window(workflow.lead))
    engine.record_milestone(case.id, "eligibility", "arrange",
                            officer("administrative_approval", "manager"))
    fired = engine.tick(clock.now() + timedelta(days=8))
    print("escalated:", ", ".join(sorted({f.timer.name for f in fired})))
    walk_to_delivery(engine, clock, workflow, case.id, "electronic")
    show(engine, case.id)


if __name__ == "__main__":
    main()
