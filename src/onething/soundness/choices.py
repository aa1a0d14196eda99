"""Form values chosen where they are first read, and forgotten once nothing can read them.

The proof explores a workflow for every kind of form. Conditions that read fields nothing
else reads (a *group*, :func:`onething.language.form_space.cell_groups`) need not be fixed
before the case starts: the explorer picks a group's cell the first time a transition that
reads it could fire, keeps the choice in the state (a *token* beyond the net's places), and
drops it once no position still marked can lead to a transition that reads the group again.
Thirteen optional steps on thirteen yes/no fields are then 13 x 2 decisions, one after the
other, not 8,192 forms each explored from the start.

Only groups read by the top scope are chosen this way (a branch of an isolated parallel
block is explored once and its summary reused, so what it reads is fixed beforehand).
docs/decisions/0009-forms-chosen-where-read.md says why this is exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from onething.language import conditions as exprs
from onething.language.form_space import CellGroup
from onething.net.model import Net, Transition


class LazyChoices:
    """The groups of a net chosen where they are read: their tokens, who reads them, and
    from which positions they can still be read."""

    def __init__(self, net: Net, groups: Sequence[CellGroup], keep: frozenset[int]) -> None:
        self.groups = list(groups)
        base = len(net.places)
        self.token_of: list[list[int]] = []
        self.cell_of: dict[int, tuple[int, dict[str, object]]] = {}
        for g, group in enumerate(self.groups):
            tokens = []
            for cell in group.cells:
                token = base + len(self.cell_of)
                self.cell_of[token] = (g, cell)
                tokens.append(token)
            self.token_of.append(tokens)
        self.tokens = frozenset(self.cell_of)
        owner = {name: g for g, group in enumerate(self.groups) for name in group.fields}
        self.reads: dict[int, tuple[int, ...]] = {}
        for t in net.transitions:
            read = sorted({owner[name] for lit in t.guard
                           for name in exprs.fields(lit.condition.expr) if name in owner})
            if read:
                self.reads[t.index] = tuple(read)
        self.live, self.always = _liveness(net, self.reads, len(self.groups), keep)
        #: the places a transition that reads a group consumes (elsewhere nothing is read)
        self.watch = frozenset(p for t in net.transitions if t.index in self.reads
                               for p in t.consume)

    def chosen(self, state: frozenset[int]) -> dict[int, int]:
        """The groups chosen in ``state``, each with its token."""
        return {self.cell_of[p][0]: p for p in state if p in self.cell_of}

    def missing(self, state: frozenset[int], enabled: Iterable[Transition]) -> list[int]:
        """Groups not yet chosen in ``state`` that one of the ``enabled`` transitions reads."""
        need: set[int] = set()
        chosen: dict[int, int] | None = None
        for t in enabled:
            read = self.reads.get(t.index)
            if read:
                if chosen is None:
                    chosen = self.chosen(state)
                need.update(g for g in read if g not in chosen)
        return sorted(need)

    def choose(self, state: frozenset[int], groups: Sequence[int]) -> list[frozenset[int]]:
        """``state`` with one cell of each of ``groups`` chosen, in every combination."""
        return [state | frozenset(combination)
                for combination in itertools.product(*(self.token_of[g] for g in groups))]

    def holds(self, t: Transition, state: frozenset[int], form: Mapping[str, Any]) -> bool:
        """Whether ``t``'s guard holds under the fixed ``form`` and the cells chosen in
        ``state`` (every group ``t`` reads is chosen there)."""
        values = dict(form)
        chosen = self.chosen(state)
        for g in self.reads[t.index]:
            values.update(self.cell_of[chosen[g]][1])
        return all(exprs.evaluate(lit.condition.expr, values) is lit.value for lit in t.guard)

    def key(self, t: Transition, state: frozenset[int]) -> frozenset[int]:
        """The chosen cells ``t``'s guard depends on in ``state``."""
        chosen = self.chosen(state)
        return frozenset(chosen[g] for g in self.reads[t.index] if g in chosen)

    def forget(self, state: frozenset[int]) -> frozenset[int]:
        """``state`` without the choices no marked position can lead to reading again."""
        if state.isdisjoint(self.tokens):
            return state
        drop = [p for p in state if p in self.cell_of
                and not self.always[self.cell_of[p][0]]
                and state.isdisjoint(self.live[self.cell_of[p][0]])]
        return state.difference(drop) if drop else state

    def form(self, tokens: Iterable[int]) -> dict[str, object]:
        """The values of the cells ``tokens`` chose, with the first cell of each group a path
        never read (any of its cells goes with that path)."""
        out: dict[str, object] = {}
        picked = {self.cell_of[p][0]: self.cell_of[p][1] for p in tokens if p in self.cell_of}
        for g, group in enumerate(self.groups):
            out.update(picked.get(g, group.cells[0]))
        return out


def _liveness(net: Net, reads: Mapping[int, tuple[int, ...]], count: int,
              keep: frozenset[int]) -> tuple[list[frozenset[int]], list[bool]]:
    """For each group: the work positions from which a transition reading it can still be
    reached, and whether it can be read from the positions every case keeps (then it is never
    forgotten)."""
    producers: dict[int, list[Transition]] = {}
    for t in net.transitions:
        for place in t.produce:
            producers.setdefault(place, []).append(t)
    live: list[frozenset[int]] = []
    always: list[bool] = []
    for g in range(count):
        readers = [t for t in net.transitions if g in reads.get(t.index, ())]
        places: set[int] = set()
        sources = False
        queue = list(readers)
        seen = {t.index for t in readers}
        while queue:
            t = queue.pop()
            work = [p for p in t.consume if p not in keep]
            if not work:
                sources = True
            for place in work:
                if place in places:
                    continue
                places.add(place)
                for before in producers.get(place, ()):
                    if before.index not in seen:
                        seen.add(before.index)
                        queue.append(before)
        live.append(frozenset(places))
        always.append(sources)
    return live, always


__all__ = ["LazyChoices"]
