"""Case net -> one reusable ``transitions`` machine per workflow version.

Each place of the net is a state of one flat :class:`transitions.Machine`; each net transition
is a machine transition from its first input place to its first output place. A case is never
attached to the machine: its marking (the set of marked places) is a plain record, and to fire
an event the engine loads the token being moved into a flyweight model with ``set_state``,
triggers, and reads the result back. The machine's condition checks the rest of the
transition's inputs and guards against the case's whole marking; its ``after`` callback moves
the other tokens (fork, join, cancellation, delivery). Joins are therefore explicit ("every
branch has arrived"), never transitions' ``on_final`` (which fires early and twice in 0.9.3,
pytransitions#715). docs/decisions/0002-flat-position-machine.md has the measurements.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import attrs
from transitions import EventData, Machine

from onething.errors import SilentLoop
from onething.net.model import Net, Transition
from onething.net.semantics import SETTLE_LIMIT, Semantics

Guard = Callable[[Transition], bool]
_K = TypeVar("_K")
_V = TypeVar("_V")


class Token:
    """The flyweight model: one token of one case, loaded for the length of one trigger."""

    #: set by the machine when the token is added to it (``Machine.add_model``)
    state: str
    trigger: Callable[[str], bool]

    def __init__(self) -> None:
        self.load(0, _always)

    def load(self, marking: int, guard: Guard) -> None:
        """Ready the token for one trigger: ``marking`` under ``guard``, nothing fired yet."""
        self.marking = marking
        self.guard: Guard = guard
        self.fired: Transition | None = None
        self.unsafe = False


def _always(_: Transition) -> bool:
    return True


def _index(t: Transition) -> int:
    return t.index


@attrs.frozen
class Fired:
    """What firing one visible event did: the transitions taken and the new marking."""

    transitions: tuple[Transition, ...]
    marking: int
    unsafe: bool


class CompiledWorkflow:
    """The executable form of one workflow version: its net and its transitions machine."""

    def __init__(self, net: Net) -> None:
        self.net = net
        self.semantics = Semantics(net)
        self.by_name = {t.name: t for t in net.transitions}
        self.place_names = [p.name for p in net.places]
        self.place_index = {p.name: p.index for p in net.places}
        self.machine = Machine(
            model=None,
            states=self.place_names,
            initial=self.place_names[0],
            auto_transitions=False,
            send_event=True,
        )
        for t in net.transitions:
            self.machine.add_transition(
                t.name,
                self.place_names[t.consume[0]],
                self.place_names[t.produce[0]],
                conditions=[self._may_fire],
                after=[self._apply],
            )
        self._local = threading.local()
        self._markings: dict[tuple[str, ...], int] = {}
        self._names: dict[int, tuple[str, ...]] = {}
        self._silent: dict[int, tuple[Transition, ...]] = {}
        self._fired: dict[tuple[int, int], tuple[int, bool]] = {}
        # what leaves each place, read from the machine's own event table in one pass
        # (Machine.get_triggers(place) scans every event per place: 80% of compiling)
        leaving: dict[str, list[Transition]] = {name: [] for name in self.place_names}
        for name, event in self.machine.events.items():
            for source in event.transitions:
                leaving[source].append(self.by_name[name])
        self._triggers = [leaving[place] for place in self.place_names]

    # -- transitions callbacks -----------------------------------------------------------------

    def _may_fire(self, event: EventData) -> bool:
        token = event.model
        assert isinstance(token, Token)  # the machine's only models are tokens (_token)
        t = self.by_name[event.event.name]
        need = self.semantics.consume[t.index]
        return token.marking & need == need and (not t.guard or token.guard(t))

    def _apply(self, event: EventData) -> None:
        token = event.model
        assert isinstance(token, Token)  # the machine's only models are tokens (_token)
        t = self.by_name[event.event.name]
        token.marking, clash = self.semantics.fire(token.marking, t)
        token.unsafe |= clash
        token.fired = t

    # -- firing ---------------------------------------------------------------------------------

    def _token(self) -> Token:
        token = getattr(self._local, "token", None)
        if token is None:
            token = Token()
            self.machine.add_model(token, initial=self.place_names[0])
            self._local.token = token
        return token

    def trigger(self, marking: int, transition: Transition, guard: Guard) -> tuple[int, bool]:
        """Fire one net transition: (the new marking, whether a place got a second token).

        What the machine did from a marking is remembered (a workflow has few reachable
        markings): the machine's condition reads the marking and the transition's own guard,
        and its callback the marking alone, so once the guard is asked here the machine's
        answer for (marking, transition) is the same every time. Only the machine fills the
        memo (:meth:`trigger_machine`); tests/machine/test_fast_path.py checks the two agree
        on random walks of every shipped workflow."""
        if transition.guard and not guard(transition):
            raise NotEnabled(transition)
        key = (marking, transition.index)
        known = self._fired.get(key)
        if known is None:
            try:
                known = self.trigger_machine(marking, transition, _always)
            except NotEnabled:
                known = _REFUSED
            _remember(self._fired, key, known)
        if known is _REFUSED:
            raise NotEnabled(transition)
        return known

    def trigger_machine(self, marking: int, transition: Transition, guard: Guard
                        ) -> tuple[int, bool]:
        """Fire one net transition through the ``transitions`` machine itself."""
        token = self._token()
        token.load(marking, guard)
        self.machine.set_state(self.place_names[transition.consume[0]], model=token)
        if not token.trigger(transition.name) or token.fired is not transition:
            raise NotEnabled(transition)
        return token.marking, token.unsafe

    def fire(self, marking: int, transition: Transition, guard: Guard) -> Fired:
        """Fire a visible transition, then every silent one that becomes enabled."""
        marking, unsafe = self.trigger(marking, transition, guard)
        taken = [transition]
        for _ in range(SETTLE_LIMIT):
            # lowest index first, exactly as the checker settles (net.semantics.settle)
            silent = next((t for t in self._silent_at(marking) if not t.guard or guard(t)),
                          None)
            if silent is None:
                return Fired(tuple(taken), marking, unsafe)
            marking, clash = self.trigger(marking, silent, guard)
            unsafe |= clash
            taken.append(silent)
        raise SilentLoop(f"silent transitions of {self.net.name} do not settle")

    def enabled(self, marking: int, guard: Guard) -> Iterator[Transition]:
        """Visible transitions the machine would accept now, asked of the machine itself."""
        yield from (t for t in self._candidates(marking, guard) if not t.silent)

    def _silent_at(self, marking: int) -> tuple[Transition, ...]:
        """The silent transitions the machine lists from ``marking`` whose inputs are all
        marked, lowest index first (remembered per marking; guards are asked by the caller)."""
        known = self._silent.get(marking)
        if known is None:
            known = tuple(sorted(self.enabled_silent(marking, _always), key=_index))
            _remember(self._silent, marking, known)
        return known

    def enabled_silent(self, marking: int, guard: Guard) -> Iterator[Transition]:
        """The silent transitions enabled at ``marking`` (lowest index first)."""
        yield from (t for t in self._candidates(marking, guard) if t.silent)

    def _candidates(self, marking: int, guard: Guard) -> Iterator[Transition]:
        """Transitions leaving each marked place (as the machine lists them), if enabled."""
        consume = self.semantics.consume
        rest = marking
        while rest:
            low = rest & -rest
            rest ^= low
            for t in self._triggers[low.bit_length() - 1]:
                need = consume[t.index]
                if marking & need == need and (not t.guard or guard(t)):
                    yield t

    def marking_of(self, names: list[str] | tuple[str, ...]) -> int:
        """The marking (a bit per place) of a case's place names."""
        key = tuple(names)
        known = self._markings.get(key)
        if known is None:
            known = 0
            for name in key:
                known |= 1 << self.place_index[name]
            _remember(self._markings, key, known)
        return known

    def names_of(self, marking: int) -> tuple[str, ...]:
        """The place names of a marking, in place order (as a case records them)."""
        known = self._names.get(marking)
        if known is None:
            known = tuple(n for i, n in enumerate(self.place_names) if marking >> i & 1)
            _remember(self._names, marking, known)
        return known


#: markings remembered per compiled workflow (a workflow has few reachable ones)
_MEMO = 65_536
#: what the memo of firings holds for a transition the machine refused at a marking
_REFUSED = (-1, False)


def _remember(memo: dict[_K, _V], key: _K, value: _V) -> None:
    if len(memo) >= _MEMO:
        memo.clear()
    memo[key] = value


class NotEnabled(Exception):
    """The machine refused a transition in the current configuration."""

    def __init__(self, transition: Transition) -> None:
        super().__init__(f"'{transition.label}' is not possible now")
        self.transition = transition


def compile_net(net: Net) -> CompiledWorkflow:
    """Build the transitions machine for ``net``."""
    return CompiledWorkflow(net)
