"""The control flow of a case net as a classical workflow net (one source, one sink), for
independent checkers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import attrs

from onething.errors import AbstractionError, NotAWorkflowNet
from onething.language.model import Workflow
from onething.net.model import DeliveryKind, Net, PlaceRole

SOURCE = "i"


SINK = "o"


SINK_NAME = "delivered"


#: roles whose places are bookkeeping, not control flow
#: an XML name (what PNML ids must be)
NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_BOOKKEEPING = frozenset({PlaceRole.OPEN, PlaceRole.CLOSED, PlaceRole.FLAG})


@attrs.frozen
class WFPlace:
    """A place: ``id`` is a PNML id (an XML NCName), ``name`` onething's name."""

    id: str
    name: str


@attrs.frozen
class WFTransition:
    """A transition; ``label`` is ``None`` for an invisible (silent) one.

    ``consume`` and ``produce`` list place ids; a place listed twice is an arc of weight 2.
    """

    id: str
    name: str
    label: str | None
    consume: tuple[str, ...]
    produce: tuple[str, ...]

    @property
    def silent(self) -> bool:
        """Whether the transition is invisible in the exported net (a tau move)."""
        return self.label is None

    @property
    def display(self) -> str:
        """``approve registration`` for a visible transition, ``(fork:par1)`` for a silent one."""
        return self.label if self.label is not None else f"({self.name})"


@attrs.frozen
class WorkflowNet:
    """A P/T workflow net: initial marking ``[source]``, final marking ``[sink]``.

    ``left_out`` names the case-net transitions the abstraction dropped (the escapes).
    """

    name: str
    places: tuple[WFPlace, ...]
    transitions: tuple[WFTransition, ...]
    source: str = SOURCE
    sink: str = SINK
    left_out: tuple[str, ...] = ()

    def place(self, ident: str) -> WFPlace:
        """The place called ``name`` (``KeyError`` if there is none)."""
        for place in self.places:
            if place.id == ident:
                return place
        raise KeyError(ident)

    def transition(self, name: str) -> WFTransition:
        """The transition with onething name (or PNML id) ``name``."""
        for t in self.transitions:
            if name in (t.name, t.id):
                return t
        raise KeyError(name)

    @property
    def arcs(self) -> list[tuple[str, str, int]]:
        """Every arc as ``(source id, target id, weight)``, in document order."""
        out = []
        for t in self.transitions:
            out += [(p, t.id, w) for p, w in _counted(t.consume)]
            out += [(t.id, p, w) for p, w in _counted(t.produce)]
        return out

    def problems(self) -> list[str]:
        """Why this is not a WF-net (empty when it is one)."""
        return list(_problems(self))


def _counted(ids: tuple[str, ...]) -> list[tuple[str, int]]:
    return list(Counter(ids).items())


def to_workflow_net(net: Net | Workflow, *, validate: bool = True) -> WorkflowNet:
    """The cooperative control flow of ``net`` as a WF-net (see the module docstring).

    Raises :class:`AbstractionError` when the net cannot be abstracted, and (unless
    ``validate`` is false) :class:`NotAWorkflowNet` when the result is not a WF-net.
    """
    if isinstance(net, Workflow):
        from onething.net.build import build_net

        net = build_net(net)
    roles = {p.index: p.role for p in net.places}
    intakes = [p for p in net.places if p.role is PlaceRole.INTAKE]
    if len(intakes) != 1:
        raise AbstractionError(f"{net.name} has {len(intakes)} intake places; a workflow net "
                               "needs exactly one source")
    intake = intakes[0].index
    extra = {p for p in net.initial if p != intake and roles[p] not in _BOOKKEEPING}
    if intake not in net.initial or extra:
        raise AbstractionError(f"{net.name}: the initial marking must be the intake alone, "
                               f"not {net.names(net.initial)}")
    ids = _Ids()
    place_id = {intake: SOURCE}
    ids.taken |= {SOURCE, SINK}
    places = [WFPlace(SOURCE, net.places[intake].name)]
    for p in net.places:
        if p.index != intake and p.role not in _BOOKKEEPING:
            place_id[p.index] = ids.new("p", p.name)
            places.append(WFPlace(place_id[p.index], p.name))
    places.append(WFPlace(SINK, SINK_NAME))
    transitions, left_out = [], []
    for t in net.transitions:
        if t.escape:
            if not (t.cancel and t.delivers is not None):
                raise AbstractionError(f"{t.name} is an escape that does not end the case; "
                                       "only case-ending escapes can be left out")
            left_out.append(t.name)
            continue
        if t.cancel:
            raise AbstractionError(f"{t.name} cancels work but is not an escape; cancellation "
                                   "needs reset arcs, which a P/T workflow net cannot have")
        if t.delivers not in (None, DeliveryKind.RESULT):
            raise AbstractionError(f"{t.name} delivers a {t.delivers.value} without ending "
                                   "the case")
        touched = [net.places[p] for p in (*t.consume, *t.produce)]
        flags = [p.name for p in touched if p.role is PlaceRole.FLAG]
        if flags:
            raise AbstractionError(f"{t.name} reads or sets the flag(s) {flags}, which the "
                                   "workflow net leaves out")
        if any(roles[p] is PlaceRole.CLOSED for p in t.consume):
            raise AbstractionError(f"{t.name} happens after the delivery; a workflow net "
                                   "ends there")
        closes = any(roles[p] is PlaceRole.CLOSED for p in t.produce)
        if closes != (t.delivers is DeliveryKind.RESULT):
            raise AbstractionError(f"{t.name}: only the result delivery may close the case "
                                   "in a workflow net")
        consume = tuple(place_id[p] for p in t.consume if roles[p] not in _BOOKKEEPING)
        produce = tuple(SINK if roles[p] is PlaceRole.CLOSED else place_id[p] for p in t.produce
                        if roles[p] is PlaceRole.CLOSED or roles[p] not in _BOOKKEEPING)
        transitions.append(WFTransition(ids.new("t", t.name), t.name,
                                        None if t.silent else t.label, consume, produce))
    wf = WorkflowNet(net.name, tuple(places), tuple(transitions), left_out=tuple(left_out))
    if validate:
        problems = wf.problems()
        if problems:
            raise NotAWorkflowNet(net.name, problems)
    return wf


class _Ids:
    """Readable, unique PNML ids: ``approve:registration`` -> ``t.approve.registration``."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def new(self, prefix: str, name: str) -> str:
        base = f"{prefix}.{re.sub(r'[^A-Za-z0-9_.-]+', '.', name).strip('.')}".rstrip(".")
        ident, n = base, 1
        while ident in self.taken:
            n += 1
            ident = f"{base}-{n}"
        self.taken.add(ident)
        return ident


def _problems(wf: WorkflowNet) -> Iterator[str]:
    places = {p.id: p for p in wf.places}
    names = {**{p.id: f"place '{p.name}'" for p in wf.places},
             **{t.id: f"transition '{t.name}'" for t in wf.transitions}}
    seen: set[str] = set()
    for ident in [p.id for p in wf.places] + [t.id for t in wf.transitions]:
        if ident in seen:
            yield f"the id '{ident}' is used twice"
        seen.add(ident)
        if not NCNAME.match(ident):
            yield f"the id '{ident}' is not a valid PNML (XML) id"
    for end in (wf.source, wf.sink):
        if end not in places:
            yield f"there is no place '{end}'"
    forward: dict[str, list[str]] = {n: [] for n in names}
    backward: dict[str, list[str]] = {n: [] for n in names}
    for source, target, _ in wf.arcs:
        if source not in names or target not in names:
            yield f"an arc joins '{source}' to '{target}', which is not in the net"
            continue
        forward[source].append(target)
        backward[target].append(source)
    if wf.source not in places or wf.sink not in places:
        return
    for t in wf.transitions:
        if not t.consume:
            yield f"transition '{t.name}' has no input place"
        if not t.produce:
            yield f"transition '{t.name}' has no output place"
    for p in wf.places:
        if p.id != wf.source and not backward[p.id]:
            yield f"place '{p.name}' has no input: nothing can ever put a token there"
        if p.id != wf.sink and not forward[p.id]:
            yield f"place '{p.name}' has no output: a token there can never leave"
    if backward[wf.source]:
        yield f"the source place '{places[wf.source].name}' has an input"
    if forward[wf.sink]:
        yield "the sink place has an output"
    reached, finishing = _closure(wf.source, forward), _closure(wf.sink, backward)
    if wf.sink not in reached:
        yield "no path leads from the source to the sink: the result is never delivered"
    unreached = [n for n in names if n not in reached]
    if unreached:
        yield "not reachable from the source: " + _nodes(wf, unreached)
    stuck = [n for n in names if n not in finishing]
    if stuck:
        yield "no path to the sink from: " + _nodes(wf, stuck)


def _nodes(wf: WorkflowNet, ids: list[str]) -> str:
    """Places by name, then how many transitions (or their names when no place is listed)."""
    wanted = set(ids)
    places = [p.name for p in wf.places if p.id in wanted]
    transitions = [t.name for t in wf.transitions if t.id in wanted]
    if not places:
        return ", ".join(transitions)
    more = f" (and {len(transitions)} transition(s))" if transitions else ""
    return ", ".join(places) + more


def _closure(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
