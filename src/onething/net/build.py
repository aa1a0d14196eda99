"""Workflow definition -> case net (see :mod:`onething.net.model` for the semantics).

The net is built backwards: each block is wired to the place that follows it, so that every
transition knows its target when it is made. Step places exist before any block is built, so
``goto:`` jumps may point forwards or backwards.
"""

from __future__ import annotations

from typing import TypedDict, Unpack

from onething.language import conditions as exprs
from onething.language.checks import all_conditions
from onething.language.location import UNKNOWN, Location
from onething.language.model import (
    Choice,
    Parallel,
    Stage,
    Step,
    StepSequence,
    Workflow,
    branch_of,
)
from onething.net.model import (
    PROMISE,
    DeliveryKind,
    GuardLiteral,
    Net,
    ParallelBlock,
    Performer,
    Place,
    PlaceRole,
    Transition,
)


def build_net(workflow: Workflow) -> Net:
    """The case net of ``workflow`` (which must have loaded without errors)."""
    return _Builder(workflow).build()


def route_fields(workflow: Workflow) -> frozenset[str]:
    """Fields that decide the route (read by a ``when``): fixed once the case is accepted.

    A correction may change what its step reads, except these: the path a case takes is
    decided by the form it was accepted with (docs/decisions/0003-route-fields.md).
    """
    fields: set[str] = set()
    for condition, what in all_conditions(workflow):
        if what.startswith("'when' of step") or what == "a choice 'when'":
            fields |= exprs.fields(condition.expr)
    return frozenset(fields)


class _Extra(TypedDict, total=False):
    """A transition's optional fields, as :meth:`_Builder.add` passes them on."""

    step: str | None
    cancel: bool
    delivers: DeliveryKind | None
    guard: tuple[GuardLiteral, ...]
    rewrites: frozenset[str]
    escape: bool
    location: Location
    to: str


class _Builder:
    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.places: list[Place] = []
        self.transitions: list[Transition] = []
        self.counters = {"par": 0, "choice": 0}

    def place(self, name: str, role: PlaceRole, step: str | None = None,
              location: Location = UNKNOWN) -> int:
        index = len(self.places)
        self.places.append(Place(index, name, role, step, location))
        return index

    def add(self, name: str, action: str | None, actor: Performer, consume: tuple[int, ...],
            produce: tuple[int, ...], **extra: Unpack[_Extra]) -> None:
        self.transitions.append(
            Transition(len(self.transitions), name, action, actor, consume, produce, **extra)
        )

    def build(self) -> Net:
        wf = self.workflow
        at_intake = wf.intake if wf.intake is not UNKNOWN else wf.location
        self.intake = self.place("intake", PlaceRole.INTAKE, location=at_intake)
        self.open = self.place("open", PlaceRole.OPEN, location=wf.location)
        self.closed = self.place("closed", PlaceRole.CLOSED, location=wf.delivery.location)
        self.ready = self.place("ready", PlaceRole.READY, location=wf.delivery.location)
        deferrable = [m for m in wf.form.materials if m.deferrable is not None]
        self.promised = self.complete = None
        if deferrable:
            loc = deferrable[0].location
            self.promised = self.place("materials:promised", PlaceRole.MATERIALS, location=loc)
            self.complete = self.place("materials:complete", PlaceRole.MATERIALS, location=loc)
        self.step_place: dict[str, int] = {}
        self.corrected: dict[str, int] = {}
        self.entry: dict[str, int] = {}
        self.blocks: list[ParallelBlock] = []
        self.route_fields = route_fields(wf)
        for step in wf.iter_steps():
            self.step_place[step.id] = self.place(f"step:{step.id}", PlaceRole.STEP, step.id,
                                                  step.location)
            self.entry[step.id] = (
                self.place(f"before:{step.id}", PlaceRole.ENTRY, step.id, step.where("when"))
                if wf.step_condition(step) is not None else self.step_place[step.id]
            )
        first = self.sequence(wf.steps, self.ready)
        self.lifecycle(first, wf)
        initial = frozenset({self.intake, self.open})
        return Net(f"{wf.id}@{wf.version}", tuple(self.places), tuple(self.transitions),
                   initial, wf.path, tuple(self.blocks))

    # -- lifecycle: intake, materials, delivery, withdrawal ---------------------------------

    def lifecycle(self, first: int, wf: Workflow) -> None:
        loc = wf.intake if wf.intake is not UNKNOWN else wf.location
        promised, complete = self.promised, self.complete  # both or neither (see build)
        # with deferrable materials, acceptance goes one of two ways, by whether materials
        # were promised at submission: the window and the timer read the same fact
        variants: list[tuple[str, tuple[int, ...], tuple[GuardLiteral, ...]]] = \
            [("", (first,), ())] if promised is None or complete is None else \
            [("", (first, complete), (GuardLiteral(PROMISE, False),)),
             (":promise", (first, promised), (GuardLiteral(PROMISE, True),))]
        # 行政许可法 art. 32 (四): one notice of every missing item (一次性告知) stops the
        # intake limit; the answer resumes intake, where the window may not ask again
        # (decision 0018); unanswered in time, the case ends with a termination
        asked = self.place("intake:correction", PlaceRole.INTAKE_CORRECTION, location=loc)
        answered = self.place("intake:corrected", PlaceRole.INTAKE_CORRECTED, location=loc)
        self.add("request_intake_correction", "request_intake_correction", Performer.WINDOW,
                 (self.intake,), (asked,), location=loc)
        self.add("supplement_intake", "supplement_intake", Performer.APPLICANT, (asked,),
                 (answered,), location=loc)
        self.add("intake_correction_expired", "intake_correction_expired", Performer.TIMER,
                 (asked, self.open), (self.closed,), cancel=True,
                 delivers=DeliveryKind.TERMINATION, escape=True, location=loc)
        for here, at in ((self.intake, ""), (answered, ":corrected")):
            for suffix, produce, guard in variants:
                self.add(f"accept{at}{suffix}", "accept", Performer.WINDOW, (here,), produce,
                         guard=guard, location=loc)
                # 行政许可法 art. 32: no notice of missing items in time means accepted
                self.add(f"deemed_acceptance{at}{suffix}", "deemed_acceptance",
                         Performer.TIMER, (here,), produce, guard=guard, location=loc)
        # the window refuses at intake whenever it finds the matter needs no permit or is
        # not its own (art. 32 (一)(二)), while its notice is out too
        for here, at in ((self.intake, ""), (asked, ":correction"), (answered, ":corrected")):
            self.add(f"refuse_intake{at}", "refuse_intake", Performer.WINDOW,
                     (here, self.open), (self.closed,), cancel=True,
                     delivers=DeliveryKind.REFUSAL, escape=True, location=loc)
        if promised is not None and complete is not None:
            self.add("supplement_material", "supplement_material", Performer.APPLICANT,
                     (promised,), (complete,), location=loc)
            self.add("promise_expired", "promise_expired", Performer.TIMER,
                     (promised, self.open), (self.closed,), cancel=True,
                     delivers=DeliveryKind.TERMINATION, escape=True, location=loc)
        needs = (self.ready, self.open) + ((complete,) if complete is not None else ())
        self.add("deliver", "deliver", Performer.WINDOW, needs, (self.closed,),
                 delivers=DeliveryKind.RESULT, location=wf.delivery.location)
        self.add("withdraw", "withdraw", Performer.APPLICANT, (self.open,), (self.closed,),
                 cancel=True, delivers=DeliveryKind.WITHDRAWAL, escape=True, location=loc)

    # -- blocks -------------------------------------------------------------------------------

    def sequence(self, seq: StepSequence, succ: int) -> int:
        after: object = None
        for item in reversed(seq.items):
            succ = self.block(item, succ)
            if isinstance(item, Parallel) and isinstance(after, Step) and after.send_back:
                self.send_back(after, item, self.blocks[-1])
            after = item
        return succ

    def send_back(self, sender: Step, par: Parallel, block: ParallelBlock) -> None:
        """退回重审: from the step after the block, back into it — the block runs again with
        the named step's branch from that step and the others kept at their end (``keep``)
        or started over (``redo``). Only the block's own places are marked: its branches stay
        isolated, so the proof still takes them one at a time (decision 0013)."""
        assert sender.send_back is not None
        redo = sender.send_back.others == "redo"
        for target in sender.send_back.to:
            place = branch_of(par, target)
            if place is None:
                continue  # reported by the loader
            marks = [self.entry[target] if b == place[0] else
                     block.starts[b] if redo else block.dones[b]
                     for b in range(len(block.starts))]
            sid = sender.id
            for here, suffix in ((self.step_place[sid], ""), (self.corrected[sid], ":corrected")):
                self.add(f"send_back:{sid}{suffix}:{target}", "send_back", Performer.DEPARTMENT,
                         (here,), (block.running, *marks), step=sid, to=target,
                         location=sender.send_back.location)

    def block(self, block: object, succ: int) -> int:
        if isinstance(block, Step):
            return self.step(block, succ)
        if isinstance(block, Parallel):
            return self.parallel(block, succ)
        if isinstance(block, Choice):
            return self.choice(block, succ)
        if isinstance(block, Stage):
            return self.sequence(block.body, succ)
        raise TypeError(f"not a block: {block!r}")  # pragma: no cover

    def step(self, step: Step, succ: int) -> int:
        if step.opens is not None:
            return self.opening_step(step, succ)
        sid, loc = step.id, step.location
        fresh = self.step_place[sid]
        corrected = self.place(f"step:{sid}:corrected", PlaceRole.CORRECTED, sid, loc)
        self.corrected[sid] = corrected
        waiting = self.place(f"step:{sid}:correction", PlaceRole.CORRECTION, sid, loc)
        approve_to = self.entry[jump] if (jump := step.jump("approve")) else succ
        approve_at = step.where("goto") if step.jump("approve") else loc
        for here, suffix in ((fresh, ""), (corrected, ":corrected")):
            self.add(f"approve:{sid}{suffix}", "approve", Performer.DEPARTMENT, (here,),
                     (approve_to,), step=sid, location=approve_at)
            if step.commitment is not None:
                # who may commit (its 'when') guards the approval: the proof and possible()
                # see exactly the approvals the engine allows
                when = step.commitment.when
                self.add(f"approve_on_commitment:{sid}{suffix}", "approve_on_commitment",
                         Performer.DEPARTMENT, (here,), (approve_to,), step=sid,
                         guard=(GuardLiteral(when, True),) if when is not None else (),
                         location=step.commitment.location)
            if step.silence is not None:
                # 逾期未反馈视为同意: the step's limit passing is its approval (a timer, not an
                # escape: the case goes on exactly as after approve)
                self.add(f"deemed_approval:{sid}{suffix}", "deemed_approval", Performer.TIMER,
                         (here,), (approve_to,), step=sid, location=step.silence.location)
            for named in step.outcomes:
                # a decision of the step's own: decided, nothing produced, on to its target
                self.add(f"outcome:{named.name}:{sid}{suffix}", named.name,
                         Performer.DEPARTMENT,
                         (here,), (self.entry[named.goto] if named.goto else succ,), step=sid,
                         location=named.location)
            self.refusal(step, here, suffix, succ)
            special = self.place(f"step:{sid}{suffix}:special", PlaceRole.SPECIAL, sid, loc)
            self.add(f"start_special_procedure:{sid}{suffix}", "start_special_procedure",
                     Performer.DEPARTMENT, (here,), (special,), step=sid, location=loc)
            self.add(f"end_special_procedure:{sid}{suffix}", "end_special_procedure",
                     Performer.DEPARTMENT, (special,), (here,), step=sid, location=loc)
        self.add(f"request_correction:{sid}", "request_correction", Performer.DEPARTMENT,
                 (fresh,), (waiting,), step=sid, location=loc)
        self.add(f"supplement:{sid}", "supplement", Performer.APPLICANT, (waiting,), (corrected,),
                 step=sid, rewrites=frozenset(step.reads) - self.route_fields
                 - self.workflow.set_fields.keys(), location=loc)
        self.add(f"correction_expired:{sid}", "correction_expired", Performer.TIMER,
                 (waiting, self.open), (self.closed,), step=sid, cancel=True,
                 delivers=DeliveryKind.TERMINATION, escape=True, location=loc)
        if step.commitment is not None:
            # 告知承诺制: a failed verification revokes the approval; before the delivery that
            # is the item's refusal. The net lets it happen whenever the case is open (the
            # engine narrows it to a pending commitment): an escape that ends the case with
            # one refusal, like a withdrawal, so the proof stays exact (decision 0006).
            self.add(f"revoke_commitment:{sid}", "revoke_commitment", Performer.DEPARTMENT,
                     (self.open,), (self.closed,), step=sid, cancel=True,
                     delivers=DeliveryKind.REFUSAL, escape=True,
                     location=step.commitment.location)
        return self.guarded(step, fresh, succ)

    def guarded(self, step: Step, here: int, succ: int) -> int:
        """The step's entry: itself, or — when it may be skipped — its enter/skip pair."""
        sid = step.id
        when = self.workflow.step_condition(step)
        if when is None:
            return here
        before = self.entry[sid]
        where = step.where("when") if step.when is not None else step.where("foreach")
        self.add(f"enter:{sid}", None, Performer.ENGINE, (before,), (here,), step=sid,
                 guard=(GuardLiteral(when, True),), location=where)
        self.add(f"skip:{sid}", None, Performer.ENGINE, (before,), (succ,), step=sid,
                 guard=(GuardLiteral(when, False),), location=where)
        return before

    def opening_step(self, step: Step, succ: int) -> int:
        """子流程: the step's children decide it — approve when they delivered what it waits
        for, refuse (with ``waits_for: result``) when one ended without a result. No one at
        the step decides, so it has no correction and no special procedure (decision 0016)."""
        assert step.opens is not None
        sid, here = step.id, self.step_place[step.id]
        self.corrected[sid] = here
        target = self.entry[jump] if (jump := step.jump("approve")) else succ
        self.add(f"approve:{sid}", "approve", Performer.CHILDREN, (here,), (target,), step=sid,
                 location=step.opens.location)
        if step.opens.waits_for == "result":
            self.refusal(step, here, "", succ, Performer.CHILDREN)
        return self.guarded(step, here, succ)

    def refusal(self, step: Step, here: int, suffix: str, succ: int,
                performer: Performer = Performer.DEPARTMENT) -> None:
        sid = step.id
        if jump := step.jump("refuse"):
            self.add(f"refuse:{sid}{suffix}", "refuse", performer, (here,),
                     (self.entry[jump],), step=sid, location=step.where("goto"))
        elif step.optional:
            self.add(f"refuse:{sid}{suffix}", "refuse", performer, (here,), (succ,),
                     step=sid, location=step.where("optional"))
        else:
            self.add(f"refuse:{sid}{suffix}", "refuse", performer, (here, self.open),
                     (self.closed,), step=sid, cancel=True, delivers=DeliveryKind.REFUSAL,
                     escape=True, location=step.location)

    def parallel(self, par: Parallel, succ: int) -> int:
        self.counters["par"] += 1
        name = f"par{self.counters['par']}"
        entry = self.place(name, PlaceRole.ENTRY, location=par.location)
        running = self.place(f"{name}:running", PlaceRole.RUNNING, location=par.location)
        dones, starts = [], []
        for index, branch in enumerate(par.branches, start=1):
            done = self.place(f"{name}:{index}:done", PlaceRole.BRANCH_DONE,
                              location=branch.location)
            dones.append(done)
            starts.append(self.sequence(branch, done))
        fork = len(self.transitions)
        self.add(f"fork:{name}", None, Performer.ENGINE, (entry,), (running, *starts),
                 location=par.location)
        self.add(f"join:{name}", None, Performer.ENGINE, (running, *dones), (succ,),
                 location=par.location)
        self.blocks.append(ParallelBlock(name, entry, running, fork, fork + 1, tuple(starts),
                                         tuple(dones), par.location))
        return entry

    def choice(self, choice: Choice, succ: int) -> int:
        self.counters["choice"] += 1
        name = f"choice{self.counters['choice']}"
        entry = self.place(name, PlaceRole.ENTRY, location=choice.location)
        earlier: list[GuardLiteral] = []
        for index, arm in enumerate(choice.branches, start=1):
            start = self.sequence(arm.body, succ)
            guard = tuple(earlier) + ((GuardLiteral(arm.when, True),) if arm.when else ())
            self.add(f"{name}:{index}", None, Performer.ENGINE, (entry,), (start,), guard=guard,
                     location=arm.location)
            if arm.when is not None:
                earlier.append(GuardLiteral(arm.when, False))
        return entry
