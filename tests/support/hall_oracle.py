"""The hall's lists computed the slow, obvious way — by loading every case and reading its
clocks — to check the indexed queues and search against (issue 16: "queue and search pages are
checked against a brute-force filter of all cases")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from onething.cases import clocks as clk
from onething.cases import intake
from onething.cases import sign_off as sign
from onething.cases.listing import utc_key
from onething.cases.records import Case
from onething.engine.engine import Engine
from onething.workdays import SHANGHAI

#: (case, step, department, position, priority, due, status, assignee)
Item = tuple[str, str, str, str, int, "datetime | None", str, "str | None"]


def status_of(case: Case) -> str:
    if case.delivery_kind is not None:
        return case.delivery_kind
    return "intake" if case.accepted_at is None else "in_progress"


def waiting(engine: Engine, case: Case, now: datetime) -> list[Item]:
    """Every step of ``case`` waiting on a department, with its status at ``now``."""
    if case.ended:
        return []
    deployed = engine.deployed(case.workflow_id, case.workflow_version)
    calendar = engine.calendar.lenient()
    out: list[Item] = []
    for step, role in deployed.positions(case.marking).items():
        spec = deployed.workflow.step(step)
        if spec.opens is not None:
            continue
        clock = case.clocks.get(step)
        view = clk.view(calendar, step, clock, now, deployed.policy) if clock else None
        status = view.status.value if view else "normal"
        found = (view.committed_due or view.statutory_due) if view else None
        due = found.deadline if found is not None and status != "paused" else None
        signed = {s["signer"] for s in sign.signed(case.outcomes.get(step))} \
            if spec.sign_off is not None and spec.sign_off.by else set()
        for department in spec.signers:
            if department not in signed:
                out.append((case.id, step, department, role.value, case.priority, due, status,
                            case.assigned.get(step, {}).get(department)))
    return out


def every_case(engine: Engine) -> list[Case]:
    return [engine.case(case_id) for case_id in engine.store.case_ids()]


def queue(engine: Engine, department: str, now: datetime,
          assignee: str | None = None) -> list[Item]:
    items = [i for case in every_case(engine) for i in waiting(engine, case, now)
             if i[2] == department and (assignee is None or i[7] == assignee)]
    return sorted(items, key=lambda i: (-i[4], utc_key(i[5]), i[0], i[1]))


def alerts(engine: Engine, now: datetime, department: str | None = None) -> list[Item]:
    items = [i for case in every_case(engine) for i in waiting(engine, case, now)
             if i[6] in ("warning", "overdue") and (department is None or i[2] == department)]
    return sorted(items)


def intake_queue(engine: Engine, lead: str | None = None) -> list[tuple[str, Any, bool]]:
    rows = []
    for case in every_case(engine):
        deployed = engine.deployed(case.workflow_id, case.workflow_version)
        if case.ended or case.accepted_at is not None or (
                lead is not None and deployed.workflow.lead != lead):
            continue
        due = intake.deemed_at(case, deployed.policy, engine.calendar.lenient())
        rows.append((-case.priority, utc_key(due.deadline if due else None), case.id,
                     due.deadline if due else None, intake.ASKED in case.marking))
    return [(r[2], r[3], r[4]) for r in sorted(rows)]


def search(engine: Engine, now: datetime, *, number: str | None = None,
           applicant_pseudonyms: tuple[str, ...] = (), workflow: str | None = None,
           status: str | None = None, department: str | None = None, step: str | None = None,
           submitted_from: date | None = None, submitted_to: date | None = None) -> list[str]:
    def day_start(day: date) -> datetime:
        return datetime.combine(day, time(), SHANGHAI)

    found = []
    for case in every_case(engine):
        assert case.created_at is not None
        work = waiting(engine, case, now)
        if ((number is None or case.id == number)
                and (not applicant_pseudonyms or case.applicant in applicant_pseudonyms)
                and (workflow is None or case.workflow_id == workflow)
                and (status is None or status_of(case) == status)
                and ((department is None and step is None) or any(
                    (department is None or i[2] == department)
                    and (step is None or i[1] == step) for i in work))
                and (submitted_from is None or case.created_at >= day_start(submitted_from))
                and (submitted_to is None
                     or case.created_at < day_start(submitted_to + timedelta(days=1)))):
            found.append((utc_key(case.created_at), case.id))
    return [case_id for _, case_id in sorted(found, reverse=True)]
