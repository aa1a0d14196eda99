"""Running a compiled workflow for every simulated case at once, as the engine would run it
(vectorized with numpy over the cases at each instruction; time in working-day ordinals).

A step started on day ``s`` works ``work`` days; with a correction it asks then (day ``a``),
the applicant answers ``reply`` days later (``b``: first thing that day; not in time —
``answer_correction_within`` — and the case ends by termination at the end of day ``a`` plus
that limit), and the department works ``after`` more days; with a special procedure it starts
one then, and decides the day it ends; else it decides. A step deemed approved on silence
(``silence:``) is approved at the end of the day its own clock falls due, counted as the
engine counts it: pauses for the correction and the special procedure added, or the clock
started again at the answer under ``correction: restart``.

The case's clock (what is judged against the limits) counts the working days from acceptance
(from the submission when the case was deemed accepted, 行政许可法 art. 32) to the day every
decision is made, leaving out each day inside a pause: while a special procedure runs (any
step's, whatever else runs: art. 45), and while steps wait and none runs (all of them on the
applicant). Within a parallel block that is when every branch is either waiting on the
applicant or finished; so the pauses of a block are the intersection, over its branches, of
each branch's waits and the time after it finished — exactly the engine's rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from onething.simulate.draws import APPROVE, REFUSE, Draws
from onething.simulate.intervals import EMPTY, OPEN, Pauses
from onething.simulate.program import Enter, Fork, Jump, Leave, Pick, Program, Run

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from onething.language.model import Step

    Days = npt.NDArray[np.int64]
    Rows = npt.NDArray[np.intp]

#: how a case ended: with every decision made and no refusal, by a refusal, by termination (a
#: correction not answered in time), or cut off after too many visits of one step (a loop)
RESULT, REFUSED, TERMINATED, CUT = 0, 1, 2, 3
#: columns of pauses gathered before they are merged
_MERGE_EVERY = 8


@attrs.frozen
class Policy:
    """How the workflow's clocks count, as far as the simulation needs."""

    #: an answered correction starts the step's clock again (else it resumes)
    restart: bool
    #: working days to answer a correction (None: no limit)
    answer_within: int | None
    #: working days the window has before the case is deemed accepted (None: none)
    intake_within: int | None


@attrs.frozen
class Flow:
    """What running a program did to its cases (rows in the order given)."""

    end: Days
    ended: npt.NDArray[np.bool_]
    outcome: npt.NDArray[np.int8]
    critical: npt.NDArray[np.uint64]
    waits: Pauses
    specials: Pauses


class Runner:
    """Runs programs over cases, keeping what every case did at each step and stage."""

    def __init__(self, steps: tuple[Step, ...], stages: int, draws: Draws,
                 truth: npt.NDArray[np.bool_], policy: Policy,
                 silence: tuple[int | None, ...], max_visits: int) -> None:
        import numpy as np

        n = draws.cases
        self.steps = steps
        self.draws = draws
        self.truth = truth
        self.policy = policy
        self.silence = silence
        self.max_visits = max_visits
        self.words = (len(steps) + 63) // 64
        self.visits = [np.zeros(n, dtype=np.int64) for _ in steps]
        self.stage_start = np.full((n, stages), -1, dtype=np.int64)
        self.stage_end = np.full((n, stages), -1, dtype=np.int64)
        self.step_days = np.zeros(len(steps), dtype=np.float64)
        self.step_runs = np.zeros(len(steps), dtype=np.int64)
        self.choices = [self._choices(s) for s in steps]

    def _choices(self, step: Step) -> tuple[str, ...]:
        spec = self.draws.durations.step(step)
        return ("approve", "refuse", *(n for n, _ in spec.outcomes),
                *(f"send_back:{n}" for n, _ in spec.send_back))

    def run(self, program: Program, cases: Rows, start: Days,
            first: npt.NDArray[np.int64] | None = None) -> Flow:
        """Run ``program`` for ``cases`` (indexes of cases) from days ``start``, each from
        instruction ``first`` (default: the first)."""
        import numpy as np

        m = len(cases)
        state = _State(m, self.words, start, first)
        size = len(program.instructions)
        while True:
            live = ~state.ended & (state.pc < size)
            if not live.any():
                break
            at = int(state.pc[live].min())
            rows = np.nonzero(live & (state.pc == at))[0]
            ins = program.instructions[at]
            if isinstance(ins, Run):
                self._step(ins, at, cases, rows, state)
            elif isinstance(ins, Fork):
                self._fork(ins, at, cases, rows, state)
            elif isinstance(ins, Pick):
                chosen = np.full(len(rows), ins.done, dtype=np.int64)
                for condition, first_ins in reversed(ins.arms):
                    holds = np.ones(len(rows), dtype=bool) if condition is None \
                        else self.truth[cases[rows], condition]
                    chosen = np.where(holds, first_ins, chosen)
                state.pc[rows] = chosen
            elif isinstance(ins, Jump):
                state.pc[rows] = ins.to
            else:
                where = cases[rows]
                if isinstance(ins, Enter):
                    old = self.stage_start[where, ins.stage]
                    self.stage_start[where, ins.stage] = np.where(old < 0, state.t[rows], old)
                else:
                    assert isinstance(ins, Leave)
                    self.stage_end[where, ins.stage] = state.t[rows]
                state.pc[rows] = at + 1
        return state.flow()

    # -- one step --------------------------------------------------------------------------

    def _step(self, ins: Run, at: int, cases: Rows, rows: Rows, state: _State) -> None:
        import numpy as np

        if ins.condition is not None:
            holds = self.truth[cases[rows], ins.condition]
            state.pc[rows[~holds]] = at + 1
            rows = rows[holds]
        if not len(rows):
            return
        where = cases[rows]
        visit = self.visits[ins.step][where]
        self.visits[ins.step][where] += 1
        over = visit >= self.max_visits
        if over.any():
            state.end_cases(rows[over], state.t[rows[over]], CUT)
            rows, where, visit = rows[~over], where[~over], visit[~over]
        for number in np.unique(visit):
            part = visit == number
            self._visit(ins, at, cases, rows[part], where[part], int(number), state)

    def _visit(self, ins: Run, at: int, cases: Rows, rows: Rows, where: Rows, number: int,
               state: _State) -> None:
        import numpy as np

        drawn = self.draws.visit(ins.step, number)
        start = state.t[rows]
        times = step_times(start, drawn.work[where], drawn.corrected[where],
                           drawn.reply[where], drawn.after[where], drawn.special[where],
                           drawn.special_days[where], self.policy, self.silence[ins.step])
        end, deemed, terminated, waits, specials = times
        choice = np.where(deemed, APPROVE, drawn.choice[where])
        self.step_runs[ins.step] += len(rows)
        self.step_days[ins.step] += float((end - start).sum())
        state.mark(rows, ins.step)
        state.add_waits(rows, *waits)
        state.add_specials(rows, *specials)
        state.t[rows] = end
        state.end_cases(rows[terminated], end[terminated], TERMINATED)
        going = ~terminated
        jumps = dict(ins.jumps)
        names = self.choices[ins.step]
        step = self.steps[ins.step]
        for code, name in enumerate(names):
            picked = going & (choice == code)
            if not picked.any():
                continue
            chosen = rows[picked]
            if code == REFUSE and "refuse" not in jumps and not step.optional:
                state.end_cases(chosen, end[picked], REFUSED)
            elif name.startswith("send_back:"):
                assert ins.fork is not None
                target = next(n for n, s in enumerate(self.steps)
                              if s.id == name.removeprefix("send_back:"))
                state.rework[chosen] = target
                state.pc[chosen] = ins.fork
            else:
                state.pc[chosen] = jumps.get(name if code != REFUSE else "refuse", at + 1)

    # -- a parallel block ------------------------------------------------------------------

    def _fork(self, ins: Fork, at: int, cases: Rows, rows: Rows, state: _State) -> None:
        import numpy as np

        k = len(rows)
        start = state.t[rows]
        rework = state.rework[rows]
        targets = {step: (branch, first) for step, branch, first in ins.targets}
        flows: list[Flow] = []
        for branch, program in enumerate(ins.branches):
            first = np.zeros(k, dtype=np.int64)
            runs = np.ones(k, dtype=bool)
            for step, (home, place) in targets.items():
                again = rework == step
                if home == branch:
                    first[again] = place
                elif not ins.redo:
                    runs[again] = False
            flows.append(self._branch(program, cases, rows, start, first, runs))
        ends = np.stack([f.end for f in flows])
        ended = np.stack([f.ended for f in flows])
        stopped = np.where(ended, ends, EMPTY)
        any_ended = ended.any(axis=0)
        finish = np.where(any_ended, stopped.min(axis=0), ends.max(axis=0))
        chosen = np.where(any_ended, stopped.argmin(axis=0), ends.argmax(axis=0))
        picks = np.arange(k)
        critical = np.stack([f.critical for f in flows])[chosen, picks]
        outcome = np.stack([f.outcome for f in flows])[chosen, picks]
        waits: Pauses | None = None
        for flow in flows:
            idle = flow.waits | Pauses.one(flow.end, np.full(k, OPEN), ~flow.ended)
            waits = idle if waits is None else waits & idle
        assert waits is not None
        specials = flows[0].specials
        for flow in flows[1:]:
            specials = specials | flow.specials
        state.critical[rows] |= critical
        state.add_pauses(rows, waits.starting_before(finish), specials)
        state.t[rows] = finish
        state.rework[rows] = -1
        state.pc[rows] = at + 1
        state.end_cases(rows[any_ended], finish[any_ended], outcome[any_ended])

    def _branch(self, program: Program, cases: Rows, rows: Rows, start: Days,
                first: npt.NDArray[np.int64], runs: npt.NDArray[np.bool_]) -> Flow:
        """One branch for the cases ``rows``: run from ``first`` where ``runs``, else already
        finished at ``start`` (a branch a send-back keeps)."""
        import numpy as np

        k = len(rows)
        out = Flow(start.copy(), np.zeros(k, dtype=bool), np.zeros(k, dtype=np.int8),
                   np.zeros((k, self.words), dtype=np.uint64), Pauses.none(k), Pauses.none(k))
        waits, specials = [], []
        for place in np.unique(first[runs]):
            part = np.nonzero(runs & (first == place))[0]
            flow = self.run(program, cases[rows[part]], start[part],
                            np.full(len(part), place, dtype=np.int64))
            out.end[part] = flow.end
            out.ended[part] = flow.ended
            out.outcome[part] = flow.outcome
            out.critical[part] = flow.critical
            waits.append((part, flow.waits))
            specials.append((part, flow.specials))
        return attrs.evolve(out, waits=_spread(waits, k), specials=_spread(specials, k))


def step_times(start: Days, work: Days, corrected: npt.NDArray[np.bool_], reply: Days,
               after: Days, special: npt.NDArray[np.bool_], special_days: Days,
               policy: Policy, silence: int | None
               ) -> tuple[Days, npt.NDArray[np.bool_], npt.NDArray[np.bool_],
                          tuple[Days, Days, npt.NDArray[np.bool_]],
                          tuple[Days, Days, npt.NDArray[np.bool_]]]:
    """One visit of a step for many cases: the day it ends, whether it was deemed approved,
    whether the case ended by termination, its wait on the applicant (start, end, whether)
    and its special procedure (start, end, whether)."""
    import numpy as np

    asked = start + work
    corrected = corrected.copy()
    special = special.copy()
    deemed = np.zeros(len(start), dtype=bool)
    deemed_on = np.zeros(len(start), dtype=np.int64)
    due = start + (silence or 0)
    if silence is not None:  # nothing happens after the limit passed unanswered
        deemed = asked > due
        deemed_on = np.where(deemed, due, deemed_on)
        corrected &= ~deemed
        special &= ~deemed
    answered = asked + reply
    limit = policy.answer_within
    terminated = corrected & (reply > limit) if limit is not None else np.zeros_like(corrected)
    on_time = corrected & ~terminated
    worked = np.where(on_time, answered + after, asked)
    if silence is not None:
        counted_from = np.maximum(asked, start + 1)
        resumed = answered + silence if policy.restart else due + answered - counted_from + 1
        due = np.where(on_time, resumed, due)
        late = on_time & ~deemed & (worked > due)
        deemed_on = np.where(late, due, deemed_on)
        deemed |= late
        special &= ~late
    special &= ~terminated
    ends = np.where(special, worked + special_days, worked)
    if silence is not None:  # a special procedure moves the due date past its end
        lowest = np.where(on_time, answered + 1, start + 1)
        due = np.where(special, due + ends - np.maximum(worked, lowest) + 1, due)
    decided = np.where(deemed, deemed_on, ends)
    stop = asked + (limit or 0)
    end = np.where(terminated, stop, decided)
    waits = (asked, np.where(terminated, stop, answered), corrected)
    return end, deemed, terminated, waits, (worked, ends, special)


class _State:
    """Where each case of one program run stands."""

    def __init__(self, m: int, words: int, start: Days,
                 first: npt.NDArray[np.int64] | None) -> None:
        import numpy as np

        self.m = m
        self.pc = first.copy() if first is not None else np.zeros(m, dtype=np.int64)
        self.t = start.copy()
        self.ended = np.zeros(m, dtype=bool)
        self.outcome = np.zeros(m, dtype=np.int8)
        self.critical = np.zeros((m, words), dtype=np.uint64)
        self.rework = np.full(m, -1, dtype=np.int64)
        self.waits: list[Pauses] = []
        self.specials: list[Pauses] = []

    def mark(self, rows: Rows, step: int) -> None:
        import numpy as np

        self.critical[rows, step // 64] |= np.uint64(1 << (step % 64))

    def end_cases(self, rows: Rows, days: Days,
                  outcome: int | npt.NDArray[np.int8]) -> None:
        self.ended[rows] = True
        self.t[rows] = days
        self.outcome[rows] = outcome

    def _column(self, rows: Rows, starts: Days, ends: Days,
                where: npt.NDArray[np.bool_]) -> Pauses:
        import numpy as np

        full_starts = np.full(self.m, EMPTY, dtype=np.int64)
        full_ends = np.full(self.m, -EMPTY, dtype=np.int64)
        full_starts[rows] = np.where(where, starts, EMPTY)
        full_ends[rows] = np.where(where, ends, -EMPTY)
        return Pauses(full_starts[:, None], full_ends[:, None])

    def add_waits(self, rows: Rows, starts: Days, ends: Days,
                  where: npt.NDArray[np.bool_]) -> None:
        if where.any():
            self.waits.append(self._column(rows, starts, ends, where))
            self.waits = _merged(self.waits)

    def add_specials(self, rows: Rows, starts: Days, ends: Days,
                     where: npt.NDArray[np.bool_]) -> None:
        if where.any():
            self.specials.append(self._column(rows, starts, ends, where))
            self.specials = _merged(self.specials)

    def add_pauses(self, rows: Rows, waits: Pauses, specials: Pauses) -> None:
        self.waits = _merged([*self.waits, _spread([(rows, waits)], self.m)])
        self.specials = _merged([*self.specials, _spread([(rows, specials)], self.m)])

    def flow(self) -> Flow:
        return Flow(self.t, self.ended, self.outcome, self.critical,
                    _union(self.waits, self.m), _union(self.specials, self.m))


def _merged(parts: list[Pauses]) -> list[Pauses]:
    if len(parts) < _MERGE_EVERY:
        return parts
    return [_union(parts, parts[0].cases)]


def _union(parts: list[Pauses], m: int) -> Pauses:
    out = Pauses.none(m)
    for part in parts:
        out = out | part
    return out


def _spread(parts: list[tuple[Rows, Pauses]], m: int) -> Pauses:
    """Pauses of some rows placed in a set of ``m`` rows (the others without)."""
    import numpy as np

    width = max((p.starts.shape[1] for _, p in parts), default=0)
    starts = np.full((m, width), EMPTY, dtype=np.int64)
    ends = np.full((m, width), -EMPTY, dtype=np.int64)
    for rows, pauses in parts:
        k = pauses.starts.shape[1]
        starts[rows, :k] = pauses.starts
        ends[rows, :k] = pauses.ends
    return Pauses(starts, ends).compact()


__all__ = ["CUT", "REFUSED", "RESULT", "TERMINATED", "Flow", "Policy", "Runner", "step_times"]
