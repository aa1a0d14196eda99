"""Exhaustive exploration of a case net, one scope at a time, with shortest counterexamples.

A *scope* is the top level of a case, or one branch of an isolated parallel block
(:mod:`onething.soundness.regions`). Inside a scope every reachable marking is visited
(Dijkstra over event counts, so each violation comes with the shortest event sequence). An
isolated parallel block met inside a scope is not expanded into the product of its branches:
each branch is explored on its own, and the block then appears in its parent scope as two
kinds of summary moves, "all branches complete" and "some branch ends the case". Because the
branches share nothing but the end of the case, every property checked here (deliveries,
duplicated work, completion, dead steps) holds for the product exactly when it holds for each
branch and for the parent with the summaries (docs/decisions/0004-compositional-proof.md).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from itertools import count

import attrs

from onething.errors import SilentLoop
from onething.net.model import PENDING, DeliveryKind, Net, PlaceRole, Transition
from onething.net.semantics import SETTLE_LIMIT, ByPlace
from onething.soundness.regions import Region
from onething.soundness.report import Rule
from onething.soundness.scope import (
    Budget,
    Ender,
    Found,
    Guard,
    Move,
    MoveInfo,
    ScopeResult,
    State,
    Successor,
)


class Explorer:
    """Explores the scopes of one net under one form (fixed guard outcomes)."""

    def __init__(self, net: Net, regions: dict[str, Region], guard: Guard,
                 budget: Budget) -> None:
        self.net = net
        self.guard = guard
        self.budget = budget
        self.regions = regions
        self.consume = [frozenset(t.consume) for t in net.transitions]
        self.produce = [frozenset(t.produce) for t in net.transitions]
        roles = [p.role for p in net.places]
        self.keep = frozenset(i for i, r in enumerate(roles)
                              if r in (PlaceRole.FLAG, PlaceRole.CLOSED))
        self.closed = frozenset(i for i, r in enumerate(roles) if r is PlaceRole.CLOSED)
        self.open = frozenset(i for i, r in enumerate(roles) if r is PlaceRole.OPEN)
        self.pending = frozenset(i for i, r in enumerate(roles) if r in PENDING)
        self.corrected = frozenset(i for i, r in enumerate(roles) if r is PlaceRole.CORRECTED)
        self.unworked = self.keep | self.open
        self.running_of = {r.block.running: name for name, r in regions.items()}
        self.order = {name: i for i, name in enumerate(regions)}
        self.fork_of = {r.block.fork: name for name, r in regions.items()}
        self.parent: dict[str, tuple[str, int] | None] = {}
        for name, region in regions.items():
            holders = [(len(outer.places[i]), other, i)
                       for other, outer in regions.items() if other != name
                       for i in range(len(outer.places))
                       if region.block.entry in outer.places[i]]
            self.parent[name] = min(holders)[1:] if holders else None
        self._cache: dict[tuple[str, int], ScopeResult] = {}
        self.impure: set[str] = set()

    # -- scopes -------------------------------------------------------------------------------

    def scope_transitions(self, scope: tuple[str, int] | None) -> list[Transition]:
        """The transitions explored in a scope: its own, less those of blocks inside it."""
        hidden: set[int] = set()
        for name, region in self.regions.items():
            if self._within(name, scope):
                for owned in region.transitions:
                    hidden |= owned
        if scope is None:
            return [t for t in self.net.transitions if t.index not in hidden]
        own = self.regions[scope[0]].transitions[scope[1]]
        return [self.net.transitions[i] for i in sorted(own) if i not in hidden]

    def _within(self, name: str, scope: tuple[str, int] | None) -> bool:
        parent = self.parent[name]
        while parent is not None:
            if parent == scope:
                return True
            parent = self.parent[parent[0]]
        return scope is None

    def branch(self, name: str, index: int) -> ScopeResult:
        """A sub-explorer for one parallel branch (compositional proof)."""
        key = (name, index)
        if key not in self._cache:
            region = self.regions[name]
            start = frozenset({region.block.starts[index]}) | self.open
            goal = frozenset({region.block.dones[index]})
            self._cache[key] = self.explore(key, start, goal)
        return self._cache[key]

    # -- one scope ----------------------------------------------------------------------------

    def explore(self, scope: tuple[str, int] | None, start: State,
                goal: State | None) -> ScopeResult:
        """Explore every reachable configuration from the initial marking."""
        top = scope is None
        transitions = self.scope_transitions(scope)
        visible = ByPlace(t for t in transitions if not t.silent)
        silent = ByPlace(t for t in transitions if t.silent)
        result = ScopeResult()
        start, clash, fired = self._settle(start, silent)
        result.fired |= fired
        dist = {start: 0}
        back: dict[State, tuple[State, Move] | None] = {start: None}
        coop_edges: dict[State, list[State]] = {}
        fork_edges: list[tuple[State | None, Move, str]] = []
        done: set[State] = set()
        ticket = count()
        heap = [(0, next(ticket), start)]
        for name in self._forks_in(fired):
            fork_edges.append((None, ("t", -1), name))

        def path(state: State) -> tuple[Move, ...]:
            moves: list[Move] = []
            while (before := back[state]) is not None:
                state, move = before
                moves.append(move)
            return tuple(reversed(moves))

        def report(rule: Rule, message: str, state: State, move: Move | None, extra: int,
                   transition: int | None = None, deliveries: int = 0) -> None:
            trail = path(state) + ((move,) if move is not None else ())
            result.found.append((Found(rule, message, transition, trail, state,
                                       dist[state] + extra, deliveries,
                                       moved=move is not None), (), 0))

        if clash:
            report(Rule.UNSAFE, "a position is marked twice right at the start", start, None, 0)
        while heap:
            cost, _, state = heapq.heappop(heap)
            if state in done:
                continue
            done.add(state)
            self.budget.spend()
            result.states += 1
            result.marked.update(state)
            delivered = not state.isdisjoint(self.closed)
            moves = list(self._moves(state, visible, silent))
            if scope is not None and goal is not None and not state.isdisjoint(goal):
                if result.goal_cost is None:
                    result.goal_cost, result.goal_path = cost, path(state)
                if state - goal - self.unworked:
                    report(Rule.IMPROPER_COMPLETION, "the branch finishes while work is still "
                           "pending in it", state, None, 0)
                    self.impure.add(scope[0])
            if top and delivered and moves:
                move, _, _, _ = moves[0]
                report(Rule.AFTER_DELIVERY, f"'{self._label(move)}' can still happen after "
                       "the delivery", state, move, 1)
            if top and not moves:
                if not delivered:
                    report(Rule.NO_DELIVERY, "the case comes to a halt without a delivery",
                           state, None, 0)
                elif state - self.keep:
                    report(Rule.IMPROPER_COMPLETION, "the case has ended but work is still "
                           "pending", state, None, 0)
            for move, nxt, step_cost, info in moves:
                transition, escape, kind, unsafe, fired_here, forks = info
                if transition is not None:
                    result.fired.add(transition)
                result.fired |= fired_here
                if kind is not None and delivered:
                    report(Rule.TWO_DELIVERIES, f"'{self._label(move)}' delivers a second "
                           "time", state, move, step_cost, transition, 2)
                    continue
                if transition is not None:
                    t = self.net.transitions[transition]
                    if t.action == "request_correction" and not \
                            self.consume[transition].isdisjoint(self.corrected):
                        report(Rule.SECOND_CORRECTION, f"step '{t.step}' asks for a second "
                               "correction", state, move, step_cost, transition)
                if unsafe:
                    report(Rule.UNSAFE, f"after '{self._label(move)}' a position holds two "
                           "tokens", state, move, step_cost, transition)
                    continue
                if kind is not None:
                    result.outcomes[kind.value] = result.outcomes.get(kind.value, 0) + 1
                    if not top:
                        self._ender(result, kind, escape, cost + step_cost,
                                    path(state) + (move,))
                        continue
                if not escape:
                    coop_edges.setdefault(nxt, []).append(state)
                for name in forks:
                    fork_edges.append((state, move, name))
                new_cost = cost + step_cost
                if new_cost < dist.get(nxt, 1 << 60):
                    dist[nxt] = new_cost
                    back[nxt] = (state, move)
                    heapq.heappush(heap, (new_cost, next(ticket), nxt))
        self._stuck(result, dist, coop_edges, goal, top, path, (visible, silent))
        self._configurations(result, dist, top)
        self._forks(result, fork_edges, dist, path)
        return result

    # -- moves ----------------------------------------------------------------------------------

    def _moves(self, state: State, visible: ByPlace, silent: ByPlace) -> Iterator[Successor]:
        consume, produce = self.consume, self.produce
        for t in visible.candidates(state):
            need = consume[t.index]
            if not need <= state or (t.guard and not self.guard(t)):
                continue
            nxt = state - need
            if t.cancel:
                nxt &= self.keep
            unsafe = not nxt.isdisjoint(produce[t.index])
            nxt |= produce[t.index]
            nxt, clash, fired = self._settle(nxt, silent)
            forks = self._forks_in(fired)
            yield (("t", t.index), nxt, 1,
                   (t.index, t.escape, t.delivers, unsafe or clash, fired, forks))
        for name in self._running(state):
            region = self.regions[name]
            running = region.block.running
            branches = [self.branch(name, i) for i in range(len(region.block.starts))]
            goal_costs = [b.goal_cost for b in branches if b.goal_cost is not None]
            if len(goal_costs) == len(branches):
                join = self.net.transitions[region.block.join]
                nxt = state - {running}
                unsafe = not nxt.isdisjoint(self.produce[join.index])
                nxt |= self.produce[join.index]
                nxt, clash, fired = self._settle(nxt, silent)
                cost = max(1, sum(goal_costs))
                yield (("done", name), nxt, cost,
                       (None, False, None, unsafe or clash, fired | {join.index},
                        self._forks_in(fired)))
            seen: set[tuple[str, bool]] = set()
            for b in branches:
                for key, ender in sorted(b.enders.items()):
                    if key in seen:
                        continue
                    seen.add(key)
                    if state.isdisjoint(self.open):
                        continue
                    nxt = ((state - {running} - self.open) & self.keep) | self.closed
                    yield (("end", name, key), nxt, ender.cost,
                           (None, ender.escape, ender.kind, False, set(), []))

    def _settle(self, state: State, silent: ByPlace) -> tuple[State, bool, set[int]]:
        clash = False
        fired: set[int] = set()
        for _ in range(SETTLE_LIMIT):
            for t in silent.candidates(state):
                if self.consume[t.index] <= state and (not t.guard or self.guard(t)):
                    break
            else:
                return state, clash, fired
            fired.add(t.index)
            nxt = state - self.consume[t.index]
            if t.cancel:
                nxt &= self.keep
            produce = self.produce[t.index]
            if t.index in self.fork_of:
                produce = frozenset({self.regions[self.fork_of[t.index]].block.running})
            clash |= not nxt.isdisjoint(produce)
            state = nxt | produce
        raise SilentLoop(f"silent transitions of {self.net.name} do not settle")

    def _forks_in(self, fired: set[int]) -> list[str]:
        return [self.fork_of[i] for i in sorted(fired) if i in self.fork_of]

    def _label(self, move: Move) -> str:
        if move[0] == "t":
            return self.net.transitions[move[1]].label
        if move[0] == "done":
            return f"(every branch of {move[1]} completes)"
        return f"(a branch of {move[1]} ends the case: {move[2][0]})"

    # -- after the exploration -----------------------------------------------------------------

    def _ender(self, result: ScopeResult, kind: DeliveryKind, escape: bool, cost: int,
               trail: tuple[Move, ...]) -> None:
        key = (kind.value, escape)
        known = result.enders.get(key)
        if known is None or cost < known.cost:
            result.enders[key] = Ender(kind, escape, cost, trail)

    def _stuck(self, result: ScopeResult, dist: dict[State, int],
               coop_edges: dict[State, list[State]], goal: State | None, top: bool,
               path: Callable[[State], tuple[Move, ...]],
               scope: tuple[ByPlace, ByPlace]) -> None:
        finished = self.closed if top or goal is None else goal
        # a state that leads into a block stuck inside is that block's branch's finding
        targets = [s for s in dist if not s.isdisjoint(finished) or self._blocked_inside(s)]
        alive = set(targets)
        frontier = list(targets)
        while frontier:
            state = frontier.pop()
            for before in coop_edges.get(state, ()):
                if before not in alive:
                    alive.add(before)
                    frontier.append(before)
        stuck = [s for s in dist
                 if s not in alive and s.isdisjoint(self.closed)
                 and not self._blocked_inside(s)]
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
                              dist[first] + len(_unwind(trail, state)))
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
                walked, state, move = closing
                result.found.append((Found(
                    Rule.STUCK, f"{where} goes round a loop that never reaches its end",
                    move[1] if move[0] == "t" else None, path(first) + walked, state,
                    dist[first] + len(walked)), (), 0))
                return

    def _loop(self, first: State,
              coop: Callable[[State, bool], list[tuple[Move, State, MoveInfo]]],
              skip_special: bool) -> tuple[tuple[Move, ...], State, Move] | None:
        """The shortest walk from ``first`` that returns to a state on its own way."""
        trail: dict[State, tuple[State, Move] | None] = {first: None}
        queue = [first]
        for state in queue:
            ancestors = _ancestors(trail, state)
            for move, nxt, _ in coop(state, skip_special):
                if nxt in ancestors:
                    return _unwind(trail, state) + (move,), state, move
                if nxt not in trail:
                    trail[nxt] = (state, move)
                    queue.append(nxt)
        # breadth-first search met only cross edges: walk on until a state repeats
        walk: list[Move] = []
        seen, state = {first}, first
        while True:
            options = coop(state, skip_special)
            if not options:
                return None
            move, nxt, _ = options[0]
            walk.append(move)
            if nxt in seen:
                return tuple(walk), state, move
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

    def _configurations(self, result: ScopeResult, dist: dict[State, int], top: bool) -> None:
        """How many configurations of the whole product the scope's states stand for."""
        total = 0
        for state in dist:
            if not top and not state.isdisjoint(self.closed):
                continue
            weight = 1
            for name in self._running(state):
                branches = [self.branch(name, i)
                            for i in range(len(self.regions[name].block.starts))]
                product = 1
                for b in branches:
                    product *= b.configurations
                # every branch at its end is no configuration: the join fires at once
                all_done = all(b.goal_cost is not None for b in branches)
                weight *= product - 1 if all_done else product
            total += weight
        result.configurations = total

    def _running(self, state: State) -> list[str]:
        if not self.running_of:
            return []
        running = [self.running_of[p] for p in state if p in self.running_of]
        return sorted(running, key=self.order.__getitem__) if len(running) > 1 else running

    def _blocked_inside(self, state: State) -> bool:
        """A block is running here whose own branch cannot finish (reported there)."""
        return any(self.branch(name, i).goal_cost is None
                   for name in self._running(state)
                   for i in range(len(self.regions[name].block.starts)))

    def _forks(self, result: ScopeResult, fork_edges: list[tuple[State | None, Move, str]],
               dist: dict[State, int],
               path: Callable[[State], tuple[Move, ...]]) -> None:
        """Attach each reached block's branch findings, behind the shortest way into it."""
        best: dict[str, tuple[int, tuple[Move, ...]]] = {}
        trail: tuple[Move, ...]
        for state, move, name in fork_edges:
            if state is None:
                cost, trail = 0, ()
            else:
                cost, trail = dist[state] + 1, path(state) + (move,)
            if name not in best or cost < best[name][0]:
                best[name] = (cost, trail)
        for name, (cost, trail) in best.items():
            region = self.regions[name]
            for i in range(len(region.block.starts)):
                inner = self.branch(name, i)
                result.marked |= inner.marked
                result.fired |= inner.fired
                result.states += inner.states
                for found, prefix, prefix_cost in inner.found:
                    result.found.append((found, trail + prefix, cost + prefix_cost))



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
