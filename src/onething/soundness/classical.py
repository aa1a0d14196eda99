"""Classical soundness of a workflow net (option to complete, proper completion, no dead
transitions), decided by exploring its markings."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import attrs

from onething.language.model import Workflow
from onething.net.model import Net
from onething.soundness.wfnet import WorkflowNet, _counted, to_workflow_net

DEFAULT_MARKINGS = 500_000


@attrs.frozen
class Soundness:
    """The classical soundness verdict on one WF-net, with shortest witnesses.

    ``sound`` is true only when ``decided``. Each witness is the shortest sequence of events
    (``display`` names) from ``[i]`` to a bad marking. ``stuck``: a marking from which ``[o]``
    cannot be reached (empty when not even ``[i]`` can finish); ``deadlock``: a marking other
    than ``[o]`` where nothing can happen at all (a stuck net may have none: a loop without
    exit). ``improper``: ``o`` marked with other tokens left. ``unbounded``: a
    marking that strictly covers an earlier one on its own path. ``dead`` names the
    transitions that can never fire. ``safe`` is false when a place can hold two tokens, which
    classical soundness allows but onething's case nets never do.
    """

    name: str
    sound: bool
    decided: bool
    markings: int
    workflow_net: bool = True
    problems: tuple[str, ...] = ()
    stuck: tuple[str, ...] | None = None
    deadlock: tuple[str, ...] | None = None
    improper: tuple[str, ...] | None = None
    unbounded: tuple[str, ...] | None = None
    dead: tuple[str, ...] = ()
    safe: bool = True
    elapsed_ms: float = 0.0
    note: str = ""

    def __bool__(self) -> bool:
        return self.sound

    def reasons(self) -> list[str]:
        """One line per way the net is unsound (empty when sound or undecided)."""
        out = [f"not a workflow net: {p}" for p in self.problems]
        if self.unbounded is not None:
            out.append("unbounded (a marking grows past an earlier one) after: "
                       + _trace(self.unbounded))
        if self.deadlock is not None:
            out.append("stuck, nothing can happen, after: " + _trace(self.deadlock))
        elif self.stuck is not None:
            out.append("the result can no longer be delivered after: " + _trace(self.stuck))
        if self.improper is not None:
            out.append("delivered with work left over after: " + _trace(self.improper))
        if self.dead:
            out.append("never happens: " + ", ".join(self.dead))
        return out

    def summary(self) -> str:
        """One line: sound or not, and how much was explored."""
        verdict = ("undecided" if not self.decided else "sound" if self.sound else "UNSOUND")
        text = (f"{self.name} (workflow net): {verdict}; {self.markings:,} reachable "
                f"marking(s); {self.elapsed_ms:.0f} ms")
        return text + (f"; {self.note}" if self.note else "")

    def to_json(self) -> dict[str, Any]:
        """The verdict as JSON-ready data."""
        return {
            "name": self.name, "sound": self.sound, "decided": self.decided,
            "workflow_net": self.workflow_net, "markings": self.markings, "safe": self.safe,
            "problems": list(self.problems), "reasons": self.reasons(),
            "stuck": list(self.stuck) if self.stuck is not None else None,
            "deadlock": list(self.deadlock) if self.deadlock is not None else None,
            "improper": list(self.improper) if self.improper is not None else None,
            "unbounded": list(self.unbounded) if self.unbounded is not None else None,
            "dead": list(self.dead), "elapsed_ms": round(self.elapsed_ms, 3),
            "note": self.note,
        }


def _trace(events: tuple[str, ...]) -> str:
    return ", ".join(events) if events else "(the start)"


def check_workflow_net(wf: WorkflowNet | Net | Workflow, *,
                       budget: int = DEFAULT_MARKINGS) -> Soundness:
    """Decide classical soundness of ``wf`` by visiting every reachable marking.

    Undecided (``decided`` false) when more than ``budget`` markings are reachable.
    """
    began = time.perf_counter()
    if not isinstance(wf, WorkflowNet):
        wf = to_workflow_net(wf, validate=False)
    problems = tuple(wf.problems())
    if problems:
        return Soundness(wf.name, False, True, 0, workflow_net=False, problems=problems,
                         elapsed_ms=(time.perf_counter() - began) * 1e3)
    return _Explorer(wf, budget).run(began)


class _Explorer:
    def __init__(self, wf: WorkflowNet, budget: int) -> None:
        self.wf, self.budget = wf, budget
        index = {p.id: k for k, p in enumerate(wf.places)}
        self.size = len(wf.places)
        self.source, self.sink = index[wf.source], index[wf.sink]
        self.pre = [tuple((index[p], w) for p, w in _counted(t.consume))
                    for t in wf.transitions]
        self.post = [tuple((index[p], w) for p, w in _counted(t.produce))
                     for t in wf.transitions]
        self.by_place: list[list[int]] = [[] for _ in wf.places]
        for k, pre in enumerate(self.pre):
            self.by_place[pre[0][0]].append(k)

    def run(self, began: float) -> Soundness:
        wf = self.wf
        initial = tuple(int(k == self.source) for k in range(self.size))
        seen = {initial: 0}
        order, parent, via, total = [initial], [-1], [-1], [1]
        preds: list[list[int]] = [[]]
        fired: set[int] = set()
        ends: list[int] = []  # markings without successors
        safe, head = True, 0

        def done(**extra: Any) -> Soundness:
            return Soundness(wf.name, markings=len(order), safe=safe,
                             elapsed_ms=(time.perf_counter() - began) * 1e3, **extra)

        while head < len(order):
            here, marking = head, order[head]
            head += 1
            moved = False
            for p, count in enumerate(marking):
                if not count:
                    continue
                for t in self.by_place[p]:
                    if any(marking[q] < w for q, w in self.pre[t]):
                        continue
                    nxt = list(marking)
                    for q, w in self.pre[t]:
                        nxt[q] -= w
                    for q, w in self.post[t]:
                        nxt[q] += w
                    key = tuple(nxt)
                    fired.add(t)
                    moved = True
                    j = seen.get(key)
                    if j is None:
                        if len(order) >= self.budget:
                            return done(sound=False, decided=False,
                                        note=f"more than {self.budget:,} reachable markings")
                        j = len(order)
                        seen[key] = j
                        order.append(key)
                        parent.append(here)
                        via.append(t)
                        tokens = sum(key)
                        total.append(tokens)
                        preds.append([])
                        safe = safe and max(key) <= 1
                        if self._covers(key, tokens, here, order, parent, total):
                            return done(sound=False, decided=True,
                                        unbounded=self._path(j, parent, via))
                    preds[j].append(here)
            if not moved:
                ends.append(here)
        final = tuple(int(k == self.sink) for k in range(self.size))
        improper = next((j for j, m in enumerate(order) if m[self.sink] and m != final), None)
        finishing: set[int] = set()
        if final in seen:
            finishing.add(seen[final])
            todo = deque(finishing)
            while todo:
                for k in preds[todo.popleft()]:
                    if k not in finishing:
                        finishing.add(k)
                        todo.append(k)
        stuck = next((j for j in range(len(order)) if j not in finishing), None)
        deadlock = next((j for j in ends if order[j] != final), None)
        dead = tuple(t.name for k, t in enumerate(wf.transitions) if k not in fired)
        sound = improper is None and stuck is None and not dead
        return done(sound=sound, decided=True,
                    stuck=None if stuck is None else self._path(stuck, parent, via),
                    deadlock=None if deadlock is None else self._path(deadlock, parent, via),
                    improper=None if improper is None else self._path(improper, parent, via),
                    dead=dead)

    @staticmethod
    def _covers(key: tuple[int, ...], tokens: int, ancestor: int, order: list[tuple[int, ...]],
                parent: list[int], total: list[int]) -> bool:
        """Whether ``key`` strictly covers a marking on its own path (then: unsound).

        If ``M' > M`` are both reachable and ``M`` can finish, ``M'`` finishes with ``o``
        and the surplus marked (improper completion); if ``M`` cannot, it is stuck. Checking
        the path alone suffices to make the search finite on unbounded nets (Karp-Miller).
        """
        while ancestor >= 0:
            if total[ancestor] < tokens and all(
                    a >= b for a, b in zip(key, order[ancestor], strict=True)):
                return True
            ancestor = parent[ancestor]
        return False

    def _path(self, j: int, parent: list[int], via: list[int]) -> tuple[str, ...]:
        out = []
        while parent[j] >= 0:
            out.append(self.wf.transitions[via[j]].display)
            j = parent[j]
        return tuple(reversed(out))
