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
from collections.abc import Callable, Iterator, Mapping
from itertools import count
from typing import Any

import attrs

from onething.errors import SilentLoop
from onething.net.model import PENDING, DeliveryKind, Net, PlaceRole, Transition
from onething.net.semantics import SETTLE_LIMIT, ByPlace, consumer_counts
from onething.soundness.choices import LazyChoices
from onething.soundness.regions import Region
from onething.soundness.report import Rule
from onething.soundness.scope import (
    BranchMemo,
    Budget,
    Ender,
    Found,
    Guard,
    Move,
    ScopeResult,
    Started,
    State,
    Successor,
)
from onething.soundness.stuck import StuckSearch


class Explorer(StuckSearch):
    """Explores the scopes of one net under one form (fixed guard outcomes)."""

    def __init__(self, net: Net, regions: dict[str, Region], guard: Guard,
                 budget: Budget, lazy: LazyChoices | None = None,
                 form: Mapping[str, Any] | None = None, memo: BranchMemo | None = None) -> None:
        self.net = net
        self.guard = guard
        self.lazy = lazy
        self.form = form or {}
        self.memo = memo
        self._lazy_holds: dict[tuple[int, frozenset[int]], bool] = {}
        #: form values chosen on a move and forgotten before it landed, by (from, move, to)
        self._transit: dict[tuple[State | None, Move | None, State], frozenset[int]] = {}
        self.budget = budget
        self.regions = regions
        self.consume = [frozenset(t.consume) for t in net.transitions]
        #: how many transitions consume each place (each scope's tables file by it)
        self._readers = consumer_counts(net.transitions)
        self.produce = [frozenset(t.produce) for t in net.transitions]
        by_role: dict[PlaceRole, list[int]] = {}
        for place in net.places:
            by_role.setdefault(place.role, []).append(place.index)

        def having(*roles: PlaceRole) -> frozenset[int]:
            return frozenset(i for role in roles for i in by_role.get(role, ()))

        self.keep = having(PlaceRole.FLAG, PlaceRole.CLOSED)
        if lazy is not None:
            self.keep |= lazy.tokens
        self.closed = having(PlaceRole.CLOSED)
        self.open = having(PlaceRole.OPEN)
        self.pending = having(*PENDING)
        self.corrected = having(PlaceRole.CORRECTED)
        self.unworked = self.keep | self.open
        self.running_of = {r.block.running: name for name, r in regions.items()}
        self._running_places = frozenset(self.running_of)
        #: blocks the parent may start again (send-backs), with every place of their branches
        self.inner = {name: frozenset().union(*r.places) for name, r in regions.items()
                      if r.reentries}
        self.reentry_of = {i: name for name, r in regions.items() for i in r.reentries}
        self.order = {name: i for i, name in enumerate(regions)}
        self.fork_of = {r.block.fork: name for name, r in regions.items()}
        self._forking = frozenset(self.fork_of)
        self.parent: dict[str, tuple[str, int] | None] = {}
        for name, region in regions.items():
            holders = [(len(outer.places[i]), other, i)
                       for other, outer in regions.items() if other != name
                       for i in range(len(outer.places))
                       if region.block.entry in outer.places[i]]
            self.parent[name] = min(holders)[1:] if holders else None
        self._cache: dict[tuple[str, int, int], ScopeResult] = {}
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

    def branch(self, name: str, index: int, start: int | None = None) -> ScopeResult:
        """A sub-explorer for one parallel branch (compositional proof), from its start or
        from where a send-back starts it again."""
        region = self.regions[name]
        if start is None:
            start = region.block.starts[index]
        key = (name, index, start)
        if key not in self._cache:
            memo = self.memo
            shared = (*memo.key(name, index, self.form), start) if memo is not None else ()
            known = memo.results.get(shared) if memo is not None else None
            if known is None:
                goal = frozenset({region.block.dones[index]})
                known = self.explore((name, index), frozenset({start}) | self.open, goal)
                if memo is not None:
                    memo.results[shared] = known
            self._cache[key] = known
        return self._cache[key]

    # -- one scope ----------------------------------------------------------------------------

    def explore(self, scope: tuple[str, int] | None, start: State,
                goal: State | None) -> ScopeResult:
        """Explore every reachable configuration from the initial marking."""
        top = scope is None
        transitions = self.scope_transitions(scope)
        visible = ByPlace([t for t in transitions if not t.silent], self._readers)
        silent = ByPlace([t for t in transitions if t.silent], self._readers)
        result = ScopeResult()
        starts = self._arrive(start, silent, visible, (None, None))
        dist = {s: 0 for s, _, _ in starts}
        back: dict[State, tuple[State, Move] | None] = {s: None for s, _, _ in starts}
        coop_edges: dict[State, list[State]] = {}
        fork_edges: list[tuple[State, Move | None, Started]] = []
        done: set[State] = set()
        ticket = count()
        heap = [(0, next(ticket), s) for s, _, _ in starts]
        for root, _, fired in starts:
            result.fired |= fired
            for started in self._forks_in(fired):
                fork_edges.append((root, None, started))

        def path(state: State) -> tuple[Move, ...]:
            moves: list[Move] = []
            while (before := back[state]) is not None:
                state, move = before
                moves.append(move)
            return tuple(reversed(moves))

        def along(state: State) -> frozenset[int]:
            return self._chosen_on(back, state)

        def report(rule: Rule, message: str, state: State, move: Move | None, extra: int,
                   transition: int | None = None, deliveries: int = 0) -> None:
            trail = path(state) + ((move,) if move is not None else ())
            result.found.append((Found(rule, message, transition, trail, state,
                                       dist[state] + extra, deliveries,
                                       moved=move is not None, chosen=along(state)), (), 0))

        for s, clash, _ in starts:
            if clash:
                report(Rule.UNSAFE, "a position is marked twice right at the start", s, None, 0)
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
                    result.outcomes[kind] = result.outcomes.get(kind, 0) + 1  # a str: its value
                    if not top:
                        self._ender(result, kind, escape, cost + step_cost,
                                    path(state) + (move,))
                        continue
                if not escape:
                    coop_edges.setdefault(nxt, []).append(state)
                for started in forks:
                    fork_edges.append((state, move, started))
                new_cost = cost + step_cost
                if new_cost < dist.get(nxt, 1 << 60):
                    dist[nxt] = new_cost
                    back[nxt] = (state, move)
                    heapq.heappush(heap, (new_cost, next(ticket), nxt))
        self._stuck(result, dist, coop_edges, goal, top, (path, along), (visible, silent))
        self._configurations(result, dist, top)
        self._forks(result, fork_edges, dist, (path, along))
        return result

    # -- moves ----------------------------------------------------------------------------------

    def _moves(self, state: State, visible: ByPlace, silent: ByPlace) -> Iterator[Successor]:
        consume, produce = self.consume, self.produce
        for t in visible.candidates(state):
            need = consume[t.index]
            if not need <= state or (t.guard and not self._holds(t, state)):
                continue
            nxt = state - need
            if t.cancel:
                nxt &= self.keep
            unsafe = not nxt.isdisjoint(produce[t.index])
            nxt |= produce[t.index]
            if self.lazy is None:
                nxt_state, clash, fired, _ = self._settle(nxt, silent)
                arrivals = [(nxt_state, clash, fired)]
            else:
                arrivals = self._arrive(nxt, silent, visible, (state, ("t", t.index)))
            for nxt_state, clash, fired in arrivals:
                forks = self._forks_in(fired)
                if t.index in self.reentry_of:
                    again = self.reentry_of[t.index]
                    forks.append((again, self.starts(again, nxt_state)))
                yield (("t", t.index), nxt_state, 1,
                       (t.index, t.escape, t.delivers, unsafe or clash, fired, forks))
        for name in self._running(state):
            region = self.regions[name]
            running = region.block.running
            starts = self.starts(name, state)
            branches = self.branches(name, starts)
            goal_costs = [b.goal_cost for b in branches if b.goal_cost is not None]
            if len(goal_costs) == len(branches):
                join = self.net.transitions[region.block.join]
                nxt = state - {running}
                if starts is not None:
                    nxt -= self.inner[name]
                unsafe = not nxt.isdisjoint(self.produce[join.index])
                nxt |= self.produce[join.index]
                cost = sum(goal_costs)  # the events it stands for (none: branches all skipped)
                done: Move = ("done", name) if starts is None else ("done", name, starts)
                for nxt_state, clash, fired in self._arrive(nxt, silent, visible,
                                                            (state, done)):
                    yield (done, nxt_state, cost,
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
                    end: Move = ("end", name, key) if starts is None else \
                        ("end", name, key, starts)
                    if self.lazy is not None:  # as a real ending: nothing reads on
                        landed = self.lazy.forget(nxt)
                        if landed != nxt:
                            self._transit.setdefault((state, end, landed),
                                                     nxt & self.lazy.tokens)
                        nxt = landed
                    yield (end, nxt, ender.cost,
                           (None, ender.escape, ender.kind, False, set(), []))

    def _holds(self, t: Transition, state: State) -> bool:
        lazy = self.lazy
        if lazy is None or t.index not in lazy.reads:
            return self.guard(t)
        key = (t.index, lazy.key(t, state))
        known = self._lazy_holds.get(key)
        if known is None:
            known = self._lazy_holds[key] = lazy.holds(t, state, self.form)
        return known

    def _arrive(self, state: State, silent: ByPlace, visible: ByPlace,
                origin: tuple[State | None, Move | None]) -> list[tuple[State, bool, set[int]]]:
        """Where a move (``origin``: from where, which) lands: silent transitions settled,
        and - for the groups of form values chosen where they are read - one landing per
        choice still open there."""
        lazy = self.lazy
        if lazy is None:
            settled, clash, fired, _ = self._settle(state, silent)
            return [(settled, clash, fired)]
        out = []
        pending = [(state, False, set[int]())]
        while pending:
            here, clash, fired = pending.pop()
            settled, more, fired_more, need = self._settle(here, silent)
            clash, fired = clash or more, fired | fired_more
            if not need:
                if not settled.isdisjoint(lazy.watch):
                    need = lazy.missing(settled, (t for t in visible.candidates(settled)
                                                  if self.consume[t.index] <= settled))
                if not need:
                    landed = lazy.forget(settled)
                    if settled != landed:
                        self._transit.setdefault((*origin, landed), settled & lazy.tokens)
                    out.append((landed, clash, fired))
                    continue
            pending += [(chosen, clash, fired) for chosen in lazy.choose(settled, need)]
        return out

    def _chosen_on(self, trail: dict[State, tuple[State, Move] | None], state: State,
                   rooted: bool = True) -> frozenset[int]:
        """The form values chosen on the way ``trail`` leads to ``state`` (from the start of
        the scope when ``rooted``)."""
        if self.lazy is None:
            return frozenset()
        tokens = state & self.lazy.tokens
        while True:
            before = trail[state]
            if before is not None or rooted:
                origin = before if before is not None else (None, None)
                tokens |= self._transit.get((*origin, state), frozenset())
            if before is None:
                return tokens
            state = before[0]
            tokens |= state & self.lazy.tokens

    def _settle(self, state: State, silent: ByPlace) -> tuple[State, bool, set[int], list[int]]:
        """Fire silent transitions until none is enabled, or one needs a form value not yet
        chosen (returned last: the groups to choose)."""
        fired: set[int] = set()
        if silent.idle(state):
            return state, False, fired, []
        clash = False
        lazy = self.lazy
        for _ in range(SETTLE_LIMIT):
            for t in silent.candidates(state):
                if self.consume[t.index] <= state:
                    if lazy is not None and t.index in lazy.reads:
                        need = lazy.missing(state, (t,))
                        if need:
                            return state, clash, fired, need
                    if not t.guard or self._holds(t, state):
                        break
            else:
                return state, clash, fired, []
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

    def _forks_in(self, fired: set[int]) -> list[tuple[str, tuple[int, ...] | None]]:
        if self._forking.isdisjoint(fired):
            return []
        return [(self.fork_of[i], None) for i in sorted(fired) if i in self.fork_of]

    def starts(self, name: str, state: State) -> tuple[int, ...] | None:
        """Where each branch of a running block stands in ``state``, when a send-back started
        it again (None: the block was forked, every branch from its start)."""
        inner = self.inner.get(name)
        if inner is None or state.isdisjoint(inner):
            return None
        return tuple(next(iter(state & places)) for places in self.regions[name].places)

    def branches(self, name: str, starts: tuple[int, ...] | None) -> list[ScopeResult]:
        """The explorations of a block's branches, from their starts or from ``starts``."""
        count = len(self.regions[name].block.starts)
        return [self.branch(name, i, starts[i] if starts is not None else None)
                for i in range(count)]

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

    def _configurations(self, result: ScopeResult, dist: dict[State, int], top: bool) -> None:
        """How many configurations of the whole product the scope's states stand for.

        A block started again by a send-back stands for configurations its first run already
        stood for when each branch, from where it starts again, reaches only what it reached
        from its start: such a state adds none (the union is counted, not the sum)."""
        total = 0
        forked = {state - {p for p in state if p in self.running_of} for state in dist
                  if any(self.starts(name, state) is None for name in self._running(state))
                  } if self.inner else set()  # only restarted blocks compare with it
        running, closed = self._running_places, self.closed
        for state in dist:
            if not top:
                if not state.isdisjoint(closed):
                    continue
                result.reached.add(state)
            if running.isdisjoint(state):  # no block running: the state is one configuration
                total += 1
                continue
            weight = 1
            for name in self._running(state):
                starts = self.starts(name, state)
                branches = self.branches(name, starts)
                if starts is not None and self._covered(name, state, starts, forked):
                    weight = 0
                    break
                product = 1
                for b in branches:
                    product *= b.configurations
                # every branch at its end is no configuration: the join fires at once
                all_done = all(b.goal_cost is not None for b in branches)
                weight *= product - 1 if all_done else product
            total += weight
        result.configurations = total

    def _running(self, state: State) -> list[str]:
        if self._running_places.isdisjoint(state):
            return []
        marked = self._running_places & state
        running = [self.running_of[p] for p in marked]
        return sorted(running, key=self.order.__getitem__) if len(running) > 1 else running

    def _covered(self, name: str, state: State, starts: tuple[int, ...],
                 forked: set[State]) -> bool:
        """Whether a restarted block's configurations are all among its first run's."""
        if state - self.inner[name] - {self.regions[name].block.running} not in forked:
            return False
        return all(self.branch(name, i, place).reached <= self.branch(name, i).reached
                   for i, place in enumerate(starts))

    def _blocked_inside(self, state: State) -> bool:
        """A block is running here whose own branch cannot finish (reported there)."""
        return any(b.goal_cost is None
                   for name in self._running(state)
                   for b in self.branches(name, self.starts(name, state)))

    def _forks(self, result: ScopeResult,
               fork_edges: list[tuple[State, Move | None, Started]],
               dist: dict[State, int],
               trails: tuple[Callable[[State], tuple[Move, ...]],
                             Callable[[State], frozenset[int]]]) -> None:
        """Attach each reached block's branch findings, behind the shortest way into it."""
        path, along = trails
        best: dict[Started, tuple[int, tuple[Move, ...], frozenset[int]]] = {}
        trail: tuple[Move, ...]
        for state, move, started in fork_edges:
            if move is None:
                cost, trail, chosen = 0, (), along(state)
            else:
                cost, trail, chosen = dist[state] + 1, path(state) + (move,), along(state)
            if started not in best or cost < best[started][0]:
                best[started] = (cost, trail, chosen)
        for (name, starts), (cost, trail, chosen) in best.items():
            for inner in self.branches(name, starts):
                result.marked |= inner.marked
                result.fired |= inner.fired
                result.states += inner.states
                for found, prefix, prefix_cost in inner.found:
                    if chosen:
                        found = attrs.evolve(found, chosen=found.chosen | chosen)
                    result.found.append((found, trail + prefix, cost + prefix_cost))
