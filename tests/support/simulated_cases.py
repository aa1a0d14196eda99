"""Driving a real case through the engine with the draws a simulated case was made of: the
departments and the applicant act on the days the draws say, on the real calendar, and the
engine's own timers (deemed acceptance, deemed approval, an unanswered correction) fire at
the end of their days — so the case's clock, as the engine keeps it, can be compared with the
simulator's lead time for that case.

Each day runs as the simulator orders it: the applicant's answers and the ends of special
procedures first (09:00), then every department act due that day, the one that ends the case
before any other, repeatedly until none is due (from 10:00, one minute apart), then the
timers (17:00), then the acts that timers made due the same day, and the timers again.
The driver does not know the workflow's structure: it acts on whichever steps the engine
says wait on their department, so the simulator's structure is checked against the engine's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from onething.cases.records import applicant, officer, window
from onething.engine.engine import Engine
from onething.simulate.draws import REFUSE, Visit
from onething.simulate.simulation import Simulation
from onething.stores.memory import MemoryStore
from onething.workdays import SHANGHAI, FixedClock
from tests.support.factories import sample_form, sample_materials


@dataclass
class _Plan:
    """One visit of a step as the driver follows it."""

    visit: Visit
    case: int
    started: int
    stage: str = "work"  # work, answer, after, special, decide
    due: int = 0

    def pick(self, name: str) -> Any:
        return getattr(self.visit, name)[self.case]


@dataclass
class Driven:
    """What the engine made of one case: its clock's used working days and how it ended."""

    used_days: int
    ending: str  # result (awaiting its delivery), refusal, termination
    actions: int
    #: the actions of the case's history, in order (what the timers did among them)
    events: tuple[str, ...] = ()


def form_of(sim: Simulation, case: int) -> dict[str, object]:
    """A form the engine accepts holding the simulated case's drawn values."""
    form = sample_form(sim.workflow)
    assert sim.forms is not None
    for name, value in sim.forms.values(case).items():
        if name in {f.name for f in sim.workflow.form.fields}:
            form[name] = _json(value)
    return form


def _json(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is not None and type(value).__name__ == "Decimal":
        return str(value)
    return value


def drive(sim: Simulation, case: int, engine: Engine | None = None,
          deliver: bool = False) -> Driven:
    """Run simulated case number ``case`` (of the first chunk) through a fresh engine in
    memory, or through ``engine`` (the workflow deployed there already: every action is
    given its moment); with ``deliver``, the window delivers a case the departments decided,
    the evening they did."""
    assert sim.draws is not None and sim.forms is not None
    workflow = sim.workflow
    index = sim.index
    clock = FixedClock(_at(index.date(int(sim.submitted[case])), 8, 0))
    if engine is None:
        engine = Engine(MemoryStore(), clock=clock, prove=False)
        engine.deploy(workflow)
    desk = window(workflow.lead)
    made = engine.submit(workflow.id, form_of(sim, case), sample_materials(workflow),
                         now=clock.now())
    case_id = made.id
    visits = {s.id: 0 for s in sim.steps}
    number = {s.id: n for n, s in enumerate(sim.steps)}
    plans: dict[str, _Plan] = {}
    acts = 0
    day = int(sim.submitted[case])
    accept_on = int(sim.accepted[case])
    deemed = sim.counted_from[case] != sim.accepted[case]
    for _ in range(5000):
        date = index.date(day)
        if day == accept_on and not deemed:
            engine.accept(case_id, desk, now=_at(date, 9, 30))
        minute = 0
        for sid, plan in list(plans.items()):  # morning: answers and ends of procedures
            if plan.stage == "answer" and plan.due == day:
                engine.supplement(case_id, applicant(), step=sid, now=_at(date, 9, minute))
                plan.stage, plan.started = "after", day
                plan.due = day + int(plan.pick("after"))
                minute, acts = minute + 1, acts + 1
            elif plan.stage == "special" and plan.due == day:
                engine.act(case_id, sid, "end_special_procedure",
                           officer(workflow.step(sid).department), now=_at(date, 9, minute))
                plan.stage, plan.due = "decide", day
                minute, acts = minute + 1, acts + 1
        acts += _department_pass(engine, sim, case, case_id, day, plans, visits, number,
                                 _at(date, 10, 0))
        engine.tick(now=_at(date, 17, 0))
        acts += _department_pass(engine, sim, case, case_id, day, plans, visits, number,
                                 _at(date, 17, 1))
        engine.tick(now=_at(date, 23, 0))
        done = engine.case(case_id)
        if "ready" in done.marking and deliver:
            engine.deliver(case_id, desk, now=_at(date, 23, 10))
            break
        if "ready" in done.marking or engine.delivery(case_id) is not None:
            break
        day += 1
    else:  # pragma: no cover - a driver that never ends is a broken test
        raise AssertionError(f"case {case} never ended")
    record = next(r for r in engine.supervision(case_id, now=_at(index.date(day), 23, 30))
                  if r.clock == "case")
    delivery = engine.delivery(case_id)
    return Driven(record.used_days, delivery.kind if delivery is not None else "result", acts,
                  tuple(e.action for e in engine.history(case_id)))


def _department_pass(engine: Engine, sim: Simulation, case: int, case_id: str, day: int,
                     plans: dict[str, _Plan], visits: dict[str, int], number: dict[str, int],
                     begin: dt.datetime) -> int:
    """Every department act due on ``day``, the one ending the case first, until none is."""
    acts = 0
    moment = begin
    while True:
        current = engine.case(case_id)
        if "ready" in current.marking or engine.delivery(case_id) is not None:
            return acts
        waiting = _waiting(current.marking)
        for sid in list(plans):
            if plans[sid].stage == "done" or (
                    sid not in waiting and plans[sid].stage in ("work", "after", "decide")):
                del plans[sid]  # decided (or deemed approved) since: the visit is over
        for sid in sorted(waiting, key=number.__getitem__):  # the same order in every run
            if sid not in plans:
                visit = sim.draws.visit(number[sid], visits[sid])
                visits[sid] += 1
                plans[sid] = _Plan(visit, case, day, "work", day + int(visit.work[case]))
        due = [sid for sid, p in plans.items()
               if p.due == day and p.stage in ("work", "after", "decide") and sid in waiting]
        if not due:
            return acts
        # the act that ends the case comes before any other of its day
        due.sort(key=lambda sid: (not _ends(sim, plans[sid], sid), number[sid]))
        sid = due[0]
        _act(engine, sim, case_id, sid, plans[sid], day, moment)
        moment += dt.timedelta(minutes=1)
        acts += 1


def _ends(sim: Simulation, plan: _Plan, sid: str) -> bool:
    step = sim.workflow.step(sid)
    deciding = plan.stage == "decide" or (
        plan.stage == "work" and not plan.pick("corrected") and not plan.pick("special")) or (
        plan.stage == "after" and not plan.pick("special"))
    return deciding and int(plan.pick("choice")) == REFUSE and not step.optional \
        and step.jump("refuse") is None


def _act(engine: Engine, sim: Simulation, case_id: str, sid: str, plan: _Plan, day: int,
         now: dt.datetime) -> None:
    step = sim.workflow.step(sid)
    who = officer(step.department)
    if plan.stage == "work" and plan.pick("corrected"):
        engine.act(case_id, sid, "request_correction", who, reason="补正", now=now)
        plan.stage, plan.due = "answer", day + int(plan.pick("reply"))
        return
    if plan.stage in ("work", "after") and plan.pick("special"):
        days = int(plan.pick("special_days"))
        engine.start_special_procedure(case_id, sid, who, kind="expert_review",
                                       expected=f"{min(days, 250)} WD", reason="专家评审",
                                       now=now)
        plan.stage, plan.due = "special", day + days
        return
    choice = int(plan.pick("choice"))
    spec = sim.durations.step(step)
    names = ["approve", "refuse", *(n for n, _ in spec.outcomes)]
    if choice < len(names):
        # a step that sets fields gives the simulated case's values with a decision that goes on
        given = {f.name: _json(sim.forms.values(plan.case)[f.name]) for f in step.sets} \
            if step.sets and choice != REFUSE else None
        engine.act(case_id, sid, names[choice], who, reason="审查意见", fields=given, now=now)
    else:
        target = spec.send_back[choice - len(names)][0]
        engine.send_back(case_id, sid, who, to=target, reason="退回重审", now=now)
    plan.stage = "done"


def _waiting(marking: tuple[str, ...]) -> set[str]:
    """The steps waiting on their department (fresh, or corrected and back)."""
    out = set()
    for place in marking:
        parts = place.split(":")
        if parts[0] == "step" and (len(parts) == 2 or parts[2:] == ["corrected"]):
            out.add(parts[1])
    return out


def _at(date: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour, minute), tzinfo=SHANGHAI)
