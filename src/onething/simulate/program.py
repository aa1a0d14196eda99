"""A workflow's structure as the simulator runs it: one flat *program* per list of blocks that
jumps can move within — the top level with its choices and stages laid out in line, and each
branch of a parallel block its own program (a jump never leaves its branch: the loader
refuses it) — so that sequences, conditions, choices, stages, ``goto:`` jumps, a step's own
outcomes and send-backs are all a program counter moving over instructions.

Instructions:

- ``Run``: a step, skipped when its condition (its ``when``, and for a step done item by item
  over an optional list, that the list was given) does not hold;
- ``Fork``: a parallel block, its branches' programs, and for the step right after it that
  sends back, where each target stands;
- ``Pick``: a choice, the first arm whose condition holds (or past the block);
- ``Jump``: on to an instruction (the end of a choice's arm);
- ``Enter`` / ``Leave``: a stage starts and ends (its time is judged against its limit).

Conditions are numbered in the order they are met; the simulator draws the forms and reads
each condition's outcome per case by that number.
"""

from __future__ import annotations

import attrs

from onething.language.conditions.nodes import Expr
from onething.language.model import (
    Choice,
    Parallel,
    Stage,
    Step,
    StepSequence,
    Workflow,
    branch_of,
)


@attrs.frozen
class Run:
    """Run step number ``step`` (its index in the workflow's steps) unless condition
    ``condition`` (an index, or None: always) fails. ``jumps`` maps an outcome (``approve``,
    ``refuse``, a named outcome) to the instruction it jumps to."""

    step: int
    condition: int | None
    jumps: tuple[tuple[str, int], ...] = ()
    #: the instruction of the parallel block this step sends back into, if it sends back
    fork: int | None = None


@attrs.frozen
class Fork:
    """A parallel block: its branches' programs; ``targets`` says, for each step the step
    after the block may send back, its branch and where it stands in that branch's program."""

    branches: tuple[Program, ...]
    #: step index -> (branch, instruction in the branch's program)
    targets: tuple[tuple[int, int, int], ...] = ()
    redo: bool = False


@attrs.frozen
class Pick:
    """A choice: the arms' (condition, first instruction); ``done`` is the instruction after
    the block (when no arm holds)."""

    arms: tuple[tuple[int | None, int], ...]
    done: int


@attrs.frozen
class Jump:
    """On to instruction ``to``."""

    to: int


@attrs.frozen
class Enter:
    """Stage number ``stage`` starts."""

    stage: int


@attrs.frozen
class Leave:
    """Stage number ``stage`` ends."""

    stage: int


Instruction = Run | Fork | Pick | Jump | Enter | Leave


@attrs.frozen
class Program:
    """Instructions run in order from the first; the end is one past the last."""

    instructions: tuple[Instruction, ...]

    @property
    def loops(self) -> bool:
        """Whether some instruction can be run twice (a jump back, a send-back)."""
        for at, ins in enumerate(self.instructions):
            if isinstance(ins, Run) and (ins.fork is not None
                                         or any(to <= at for _, to in ins.jumps)):
                return True
            if isinstance(ins, Fork) and any(b.loops for b in ins.branches):
                return True
        return False


@attrs.frozen
class Compiled:
    """A workflow compiled for simulation: its program, its steps in order, its stages and
    the conditions the program reads (by number)."""

    program: Program
    steps: tuple[Step, ...]
    stages: tuple[Stage, ...]
    conditions: tuple[Expr, ...]
    #: notes on what the simulation models differently from the engine, for the report:
    #: (Chinese, English)
    notes: tuple[tuple[str, str], ...]


def compile_workflow(workflow: Workflow) -> Compiled:
    """The program of ``workflow`` (see the module's description)."""
    builder = _Builder(workflow)
    program = builder.program(workflow.steps)
    return Compiled(program, builder.steps, tuple(builder.stages),
                    tuple(builder.conditions), tuple(dict.fromkeys(builder.notes)))


class _Builder:
    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.steps = tuple(workflow.iter_steps())
        self.index = {s.id: n for n, s in reversed(list(enumerate(self.steps)))}
        self.stages: list[Stage] = []
        self.conditions: list[Expr] = []
        self.texts: dict[str, int] = {}
        self.notes: list[tuple[str, str]] = []

    def condition(self, expr: Expr | None, text: str) -> int | None:
        if expr is None:
            return None
        if text not in self.texts:
            self.texts[text] = len(self.conditions)
            self.conditions.append(expr)
        return self.texts[text]

    def program(self, body: StepSequence) -> Program:
        out: list[object] = []
        labels: dict[str, int] = {}
        self.lay_out(body, out, labels)
        return Program(tuple(self.resolve(out, labels)))

    def lay_out(self, body: StepSequence, out: list[object], labels: dict[str, int]) -> None:
        for position, block in enumerate(body.items):
            if isinstance(block, Step):
                labels[block.id] = len(out)
                when = self.workflow.step_condition(block)
                condition = self.condition(when.expr if when else None,
                                           when.text if when else "")
                fork = position - 1 if block.send_back is not None and position > 0 \
                    and isinstance(body.items[position - 1], Parallel) else None
                out.append(("run", block, condition, len(out) - 1 if fork is not None
                            else None))
                self.notice(block)
            elif isinstance(block, Parallel):
                out.append(self.fork(block, body, position))
            elif isinstance(block, Choice):
                pick = len(out)
                out.append(None)  # the Pick, once its arms are laid out
                arms: list[tuple[int | None, int]] = []
                ends: list[int] = []
                for arm in block.branches:
                    arms.append((self.condition(arm.when.expr, arm.when.text)
                                 if arm.when is not None else None, len(out)))
                    self.lay_out(arm.body, out, labels)
                    ends.append(len(out))
                    out.append(None)  # the Jump past the block
                for at in ends:
                    out[at] = Jump(len(out))
                out[pick] = Pick(tuple(arms), len(out))
            elif isinstance(block, Stage):
                self.stages.append(block)
                number = len(self.stages) - 1
                out.append(Enter(number))
                self.lay_out(block.body, out, labels)
                out.append(Leave(number))

    def fork(self, block: Parallel, body: StepSequence, position: int) -> Fork:
        programs = tuple(self.program(branch) for branch in block.branches)
        if block.corrections == "together":
            self.notes.append(("一次告知的并联补正（corrections: together）按各步骤分别补正模拟",
                               "corrections: together is simulated as each step's own "
                               "correction (one notice per block is not modelled)"))
        after = body.items[position + 1] if position + 1 < len(body.items) else None
        targets: list[tuple[int, int, int]] = []
        redo = False
        if isinstance(after, Step) and after.send_back is not None:
            redo = after.send_back.others == "redo"
            for target in after.send_back.to:
                place = branch_of(block, target)
                if place is None:
                    continue
                branch = place[0]
                at = next(n for n, ins in enumerate(programs[branch].instructions)
                          if isinstance(ins, Run) and self.steps[ins.step].id == target)
                targets.append((self.index[target], branch, at))
        return Fork(programs, tuple(targets), redo)

    def notice(self, step: Step) -> None:
        if step.commitment is not None:
            self.notes.append(("告知承诺审批按步骤的时长模拟，事后核查撤销不模拟",
                               "approval on commitment (告知承诺) takes the step's days; a "
                               "later revocation is not modelled"))
        if step.opens is not None:
            self.notes.append((f"步骤 {step.id} 开启子流程：其时长代表子办件的办理时长",
                               f"step '{step.id}' opens child cases: its days stand for the "
                               "children's"))

    def resolve(self, out: list[object], labels: dict[str, int]) -> list[Instruction]:
        done: list[Instruction] = []
        for item in out:
            if isinstance(item, tuple):
                _, step, condition, fork = item
                jumps = tuple((outcome, labels[to]) for outcome, to in step.jumps
                              if to in labels)
                done.append(Run(self.index[step.id], condition, jumps, fork))
            else:
                assert isinstance(item, (Fork, Pick, Jump, Enter, Leave))
                done.append(item)
        return done


__all__ = ["Compiled", "Enter", "Fork", "Instruction", "Jump", "Leave", "Pick", "Program",
           "Run", "compile_workflow"]
