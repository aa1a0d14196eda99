"""Finding where a case can no longer finish: the reachable configurations from which no
cooperative move leads to the end, and the shortest halt or loop that shows it (a part of
:class:`~onething.soundness.explore.Explorer`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs

from onething.net.model import Net
from onething.net.semantics import ByPlace
from onething.soundness.report import Rule
from onething.soundness.scope import Found, Move, MoveInfo, ScopeResult, State, Successor


class StuckSearch:
    """The search for configurations that cannot finish, over an explorer's moves."""

    net: Net
    closed: frozenset[int]
    unworked: frozenset[int]
    consume: list[frozenset[int]]
    #: the places that mark a running parallel block (a block inside may be stuck)
    _running_places: frozenset[int]

    def _moves(self, state: State, visible: ByPlace, silent: ByPlace) -> Iterator[Successor]:
        raise NotImplementedError

    def _blocked_inside(self, state: State) -> bool:
        raise NotImplementedError

    def _chosen_on(self, trail: dict[State, tuple[State, Move] | None], state: State,
                   rooted: bool = True) -> frozenset[int]:
        raise NotImplementedError

    def _stuck(self, result: ScopeResult, dist: dict[State, int],
               coop_edges: dict[State, list[State]], goal: State | None, top: bool,
               trails: tuple[Callable[[State], tuple[Move, ...]],
                             Callable[[State], frozenset[int]]],
               scope: tuple[ByPlace, ByPlace]) -> None:
        path, along = trails
        finished = self.closed if top or goal is None else goal
        # a state that leads into a block stuck inside is that block's branch's finding
        running = self._running_places
        blocked = {s for s in dist if not running.isdisjoint(s) and self._blocked_inside(s)}
        targets = [s for s in dist if not s.isdisjoint(finished) or s in blocked]
        alive = set(targets)
        frontier = list(targets)
        while frontier:
            state = frontier.pop()
            for before in coop_edges.get(state, ()):
                if before not in alive:
                    alive.add(before)
                    frontier.append(before)
        stuck = [s for s in dist
                 if s not in alive and s.isdisjoint(self.closed) and s not in blocked]
        if not stuck:
            return
        where = "the case" if top else "this branch"
        first = min(stuck, key=lambda s: dist[s])
        doomed = set(stuck)

        def coop(state: State, skip_special: bool) -> list[tuple[Move, State, MoveInfo]]:
            return [(m, nxt, info) for m, nxt, _, info in self._moves(state, *scope)
                    if not info[1] and info[2] is None and nxt in doomed
                    and not (skip_special and self._special(m))]

        # a halt (a doomed state where nothing cooperative can happen) explains itself best
        trail: dict[State, tuple[State, Move] | None] = {first: None}
        queue = [first]
        for state in queue:
            moves = coop(state, skip_special=False)
            if not moves:
                found = Found(Rule.STUCK, f"{where} comes to a halt: nothing but a withdrawal, "
                              "a refusal or a timer can happen here", None,
                              path(first) + _unwind(trail, state), state,
                              dist[first] + len(_unwind(trail, state)),
                              chosen=along(first) | self._chosen_on(trail, state, False))
                result.found.append((attrs.evolve(found, place=self._blocked(state, *scope)),
                                     (), 0))
                return
            for move, nxt, _info in moves:
                if nxt not in trail:
                    trail[nxt] = (state, move)
                    queue.append(nxt)
        # no halt: the case goes round; show the loop, leaving out special-procedure round
        # trips (possible on every waiting step, they never cause anything)
        for skip_special in (True, False):
            closing = self._loop(first, coop, skip_special)
            if closing is not None:
                walked, state, move, chosen = closing
                result.found.append((Found(
                    Rule.STUCK, f"{where} goes round a loop that never reaches its end",
                    move[1] if move[0] == "t" else None, path(first) + walked, state,
                    dist[first] + len(walked),
                    chosen=along(first) | chosen), (), 0))
                return

    def _loop(self, first: State,
              coop: Callable[[State, bool], list[tuple[Move, State, MoveInfo]]],
              skip_special: bool
              ) -> tuple[tuple[Move, ...], State, Move, frozenset[int]] | None:
        """The shortest walk from ``first`` that returns to a state on its own way (with the
        form values chosen on it)."""
        trail: dict[State, tuple[State, Move] | None] = {first: None}
        queue = [first]
        for state in queue:
            ancestors = _ancestors(trail, state)
            for move, nxt, _ in coop(state, skip_special):
                if nxt in ancestors:
                    chosen = self._chosen_on(trail, state, False) | self._chosen_on(
                        {nxt: (state, move), state: None}, nxt, False)  # and the last move
                    return _unwind(trail, state) + (move,), state, move, chosen
                if nxt not in trail:
                    trail[nxt] = (state, move)
                    queue.append(nxt)
        # breadth-first search met only cross edges: walk on until a state repeats
        walk: list[Move] = []
        seen, state = {first}, first
        chosen = self._chosen_on({first: None}, first, False)
        while True:
            options = coop(state, skip_special)
            if not options:
                return None
            move, nxt, _ = options[0]
            walk.append(move)
            chosen |= self._chosen_on({nxt: (state, move), state: None}, nxt, False)
            if nxt in seen:
                return tuple(walk), state, move, chosen
            seen.add(nxt)
            state = nxt

    def _special(self, move: Move) -> bool:
        return move[0] == "t" and (self.net.transitions[move[1]].action or "").endswith(
            "special_procedure")

    def _blocked(self, state: State, visible: ByPlace, silent: ByPlace) -> int | None:
        """A work position of ``state`` that no cooperative event can move on from."""
        for index in sorted(state - self.unworked):
            movable = any(index in self.consume[t.index] and not t.escape
                          for t in visible)
            if not movable:
                return index
        return None


def _ancestors(trail: dict[State, tuple[State, Move] | None], state: State) -> set[State]:
    out = {state}
    while (before := trail[state]) is not None:
        state = before[0]
        out.add(state)
    return out


def _unwind(trail: dict[State, tuple[State, Move] | None], state: State) -> tuple[Move, ...]:
    moves: list[Move] = []
    while (before := trail[state]) is not None:
        state, move = before
        moves.append(move)
    return tuple(reversed(moves))
