"""The token game of a case net over bitset markings, shared by the checker and the tests.

A marking is an ``int`` whose bit *i* is set when place *i* holds a token. Silent transitions
are taken eagerly and deterministically (lowest index first) right after every visible one,
exactly as the engine does, so checker and engine agree on what a configuration is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from onething.errors import SilentLoop
from onething.language import conditions as exprs
from onething.net.model import BOOKKEEPING, Net, PlaceRole, Transition

SETTLE_LIMIT = 10_000


def bits(marking: int) -> list[int]:
    """The places marked in ``marking``, in index order."""
    out = []
    while marking:
        low = marking & -marking
        out.append(low.bit_length() - 1)
        marking ^= low
    return out


def mask(places: Iterable[int]) -> int:
    """The bit of place index ``index`` in a marking."""
    out = 0
    for p in places:
        out |= 1 << p
    return out


def consumer_counts(transitions: Iterable[Transition]) -> dict[int, int]:
    """How many of ``transitions`` consume each place."""
    counts: dict[int, int] = {}
    for t in transitions:
        for place in t.consume:
            counts[place] = counts.get(place, 0) + 1
    return counts


class ByPlace:
    """Transitions found by the places they consume: each is filed under its input place that
    the fewest transitions consume (not ``open``, which every refusal reads), and
    :meth:`candidates` lists, lowest index first, those filed under a marked place — so a state
    is matched against the few transitions that leave its marked places, not the whole net."""

    def __init__(self, transitions: Iterable[Transition],
                 readers: Mapping[int, int] | None = None) -> None:
        """``readers``: how many transitions consume each place, when the caller counted them
        once for many tables (over a larger set: any input place is a correct anchor)."""
        self.transitions = list(transitions)
        if readers is None:
            readers = consumer_counts(self.transitions)
        self._table: dict[int, list[Transition]] = {}
        self._always: list[Transition] = []
        for t in self.transitions:
            if not t.consume:
                self._always.append(t)
                continue
            consume = t.consume
            anchor = consume[0] if len(consume) == 1 else \
                min(consume, key=lambda place: (readers[place], place))
            self._table.setdefault(anchor, []).append(t)
        self._anchors = frozenset(self._table)

    def idle(self, marking: frozenset[int]) -> bool:
        """Whether no transition can be enabled at ``marking``: none is filed under a place
        of it (and none consumes nothing)."""
        return not self._always and self._anchors.isdisjoint(marking)

    def __iter__(self) -> Iterator[Transition]:
        return iter(self.transitions)

    def candidates(self, marking: int | frozenset[int]) -> list[Transition]:
        """The transitions filed under a place of ``marking`` (a bitset, or the set of
        marked places), lowest index first; their other inputs may not be marked."""
        found = list(self._always)
        groups = 1 if found else 0
        table = self._table
        for place in (bits(marking) if isinstance(marking, int) else marking):
            group = table.get(place)
            if group:
                found.extend(group)
                groups += 1
        if groups > 1:
            found.sort(key=_index)
        return found


def _index(t: Transition) -> int:
    return t.index


class Semantics:
    """Enabledness, firing and settling for one net; guards read a form through ``truth``."""

    def __init__(self, net: Net) -> None:
        self.net = net
        self.consume = [mask(t.consume) for t in net.transitions]
        self.produce = [mask(t.produce) for t in net.transitions]
        self.keep = mask(frozenset(p.index for p in net.places if p.role in BOOKKEEPING))
        self.closed = mask(frozenset(p.index for p in net.places if p.role is PlaceRole.CLOSED))
        self.work = ~self.keep
        self.initial = mask(net.initial)
        self.silent = [t for t in net.transitions if t.silent]
        self.visible = [t for t in net.transitions if not t.silent]
        self.by_place: dict[int, list[Transition]] = {}
        for t in net.transitions:
            first = t.consume[0] if t.consume else -1
            self.by_place.setdefault(first, []).append(t)

    def enabled(self, marking: int, guard: Callable[[Transition], bool],
                transitions: list[Transition] | None = None) -> Iterator[Transition]:
        """The transitions enabled at ``marking`` for a form (guards evaluated by ``guard``)."""
        consume = self.consume
        for t in self.visible if transitions is None else transitions:
            need = consume[t.index]
            if marking & need == need and (not t.guard or guard(t)):
                yield t

    def first_enabled(self, marking: int, guard: Callable[[Transition], bool],
                      transitions: Iterable[Transition]) -> Transition | None:
        """The first of ``transitions`` enabled at ``marking`` (:meth:`enabled`'s first,
        without a generator: the engine asks it on every action)."""
        consume = self.consume
        for t in transitions:
            need = consume[t.index]
            if marking & need == need and (not t.guard or guard(t)):
                return t
        return None

    def fire(self, marking: int, t: Transition) -> tuple[int, bool]:
        """The marking after ``t`` and whether a produced place was already marked."""
        rest = marking & ~self.consume[t.index]
        if t.cancel:
            rest &= self.keep
        produce = self.produce[t.index]
        return rest | produce, bool(rest & produce)

    def settle(self, marking: int, guard: Callable[[Transition], bool]) -> tuple[int, bool]:
        """Take enabled silent transitions until none is left; report any unsafe firing."""
        unsafe = False
        for _ in range(SETTLE_LIMIT):
            t = self.first_enabled(marking, guard, self.silent)
            if t is None:
                return marking, unsafe
            marking, clash = self.fire(marking, t)
            unsafe |= clash
        raise SilentLoop(f"silent transitions of {self.net.name} do not settle")

    def delivered(self, marking: int) -> bool:
        """Whether ``marking`` holds the delivery."""
        return bool(marking & self.closed)



def form_guard(form: Mapping[str, object]) -> Callable[[Transition], bool]:
    """A guard test that evaluates each transition's conditions on ``form``."""

    def holds(t: Transition) -> bool:
        return all(exprs.evaluate(lit.condition.expr, form) is lit.value for lit in t.guard)

    return holds


def lazy_form_guard(facts: Callable[[], Mapping[str, object]]) -> Callable[[Transition], bool]:
    """:func:`form_guard` on ``facts()``, called only when a guarded transition is asked
    about (most transitions have no guard: their form is never built)."""
    guard: Callable[[Transition], bool] | None = None

    def holds(t: Transition) -> bool:
        nonlocal guard
        if guard is None:
            guard = form_guard(facts())
        return guard(t)

    return holds


def reachable_set(semantics: Semantics, guard: Callable[[Transition], bool],
                  limit: int = 500_000) -> set[int] | None:
    """Every reachable stable configuration (None when there are more than ``limit``)."""
    start, _ = semantics.settle(semantics.initial, guard)
    seen = {start}
    frontier = [start]
    while frontier:
        following = []
        for marking in frontier:
            for t in semantics.enabled(marking, guard):
                nxt, _ = semantics.fire(marking, t)
                nxt, _ = semantics.settle(nxt, guard)
                if nxt not in seen:
                    seen.add(nxt)
                    following.append(nxt)
        if len(seen) > limit:
            return None
        frontier = following
    return seen
