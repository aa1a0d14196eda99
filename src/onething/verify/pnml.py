"""A workflow's control flow as a PNML workflow net, and its classical soundness.

So that anyone can check a workflow with their own tools (PM4Py, ProM/Woflan, LoLA, ...),
:func:`to_workflow_net` abstracts a case net (:mod:`onething.net.model`) into a plain P/T
workflow net (WF-net), :func:`write_pnml` writes it as standard PNML, and
:func:`check_workflow_net` decides van der Aalst's classical soundness of that same WF-net, so
that onething's verdict and the other tool's can be compared one for one. docs/pnml.md is the
user's guide; this docstring is the precise contract.

**Kept** (the cooperative control flow):

* every place whose tokens are work: ``intake`` (becomes the source place ``i``), steps and
  their corrected, correction and special-procedure positions, ``when`` entries, parallel
  entries, ``running`` and branch-done places, choice entries, ``ready``, and the materials
  places ``materials:promised`` / ``materials:complete`` when the workflow has deferrable
  materials (``supplement_material`` is cooperative);
* every transition that is not an escape: ``accept`` (and ``accept:promise``), ``approve``,
  optional refusals and refusal jumps (``goto: {refuse: ...}``), ``request_correction`` and
  ``supplement``, special procedures, ``supplement_material``, timers that move the case on
  (``deemed_acceptance``), forks, joins, choice arms, ``enter``/``skip`` of ``when`` steps,
  and ``deliver`` (stages are plain sequences in the case net already);
* ``deliver`` (every transition that delivers the result) becomes a visible transition into a
  new sink place ``o``. The initial marking is ``[i]``, the final marking ``[o]``.

**Dropped**:

* guards. Every ``when`` and every choice arm becomes a *free choice*: the abstraction has
  every route of every form, and also routes that no single form takes;
* the escape transitions: ``withdraw``, ``refuse_intake``, refusals that end the case, and
  the timers that end it (``correction_expired``, ``promise_expired``). Each consumes
  ``open``, cancels every other token and delivers. A P/T net cannot remove "every other
  token": that needs reset arcs, which PNML P/T nets do not have and which make soundness
  undecidable in general. Complement places could encode it, but only by enumerating every
  place per transition. Leaving them out is faithful for soundness, and onething's own proof
  does the same. They are always-enabled ways to end the case, so keeping them would hide
  every deadlock and every loop without exit; ``check`` proves "never stuck" *without* them
  (docs/decisions/0004). What they could break (two deliveries, work left after an ending,
  activity after the delivery) the cancelling semantics excludes by construction, and
  ``check`` verifies that on the full net. They lead to no cooperative marking, only to the
  end of the case, so the reachable cooperative markings are the same with or without them;
* the bookkeeping places ``open`` and ``closed`` (and any ``flag`` place): without the escapes
  ``open`` is only the second input of ``deliver``, and ``closed`` becomes ``o``.

A net that cannot be abstracted this way (a cancelling transition that is not an escape, an
escape that does not end the case, a kept transition that reads a flag or acts after the
delivery) raises
:class:`AbstractionError`. Then the result must be a WF-net: one source ``i``, one sink ``o``,
and every node on a path from ``i`` to ``o``. Otherwise :class:`NotAWorkflowNet` lists what is
wrong. For a valid workflow this happens when a step can never be reached, or a loop has no
way out.

**Names.** Visible transitions are labelled with their event (``approve registration``).
Silent ones (forks, joins, arms, enter/skip) are invisible: PNML ``<toolspecific tool="ProM"
activity="$invisible$">``, label ``None`` in PM4Py. onething's own names are kept in
``<toolspecific tool="onething">``, which other tools ignore.

**Soundness** (:func:`check_workflow_net`) is decided by exhaustive search of the WF-net's
markings. Van der Aalst's three conditions are checked: option to complete, proper completion
and no dead transitions. Markings are multisets, so nets that are not safe are handled. A
reachable marking that strictly covers one of its ancestors proves unsoundness, and this check
also makes the search terminate on unbounded nets. It is a separate, small checker, and not
``verify.check.check_net``. ``check_net`` takes silent moves eagerly, lowest index first,
exactly as the engine does. That is right when the guards decide, but once the guards are
dropped it would take only the first arm of every choice. Its rules are also stricter than
classical soundness (1-safety, one correction per visit). The verdicts of this checker are
the ones that Woflan's must match.
"""

from __future__ import annotations

import re
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from onething.engine.errors import OnethingError
from onething.net.model import DeliveryKind, Net, Role
from onething.spec.model import Workflow

PNML_NS = "http://www.pnml.org/version-2009/grammar/pnml"
PTNET = "http://www.pnml.org/version-2009/grammar/ptnet"
SOURCE = "i"
SINK = "o"
SINK_NAME = "delivered"
TOOL = "onething"
TOOL_VERSION = "1"
DEFAULT_MARKINGS = 500_000
#: roles whose places are bookkeeping, not control flow
_BOOKKEEPING = frozenset({Role.OPEN, Role.CLOSED, Role.FLAG})
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_MAX_PNML_BYTES = 50_000_000


class AbstractionError(OnethingError):
    """The case net has something the WF-net abstraction cannot express."""


class NotAWorkflowNet(OnethingError):
    """The abstraction is not a workflow net; ``problems`` says why, one line each."""

    def __init__(self, name: str, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the control flow of {name} is not a workflow net "
                         f"(one source, one sink, every node on a path between them):\n{lines}")


# -- the workflow net -------------------------------------------------------------------------


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
    intakes = [p for p in net.places if p.role is Role.INTAKE]
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
        flags = [p.name for p in touched if p.role is Role.FLAG]
        if flags:
            raise AbstractionError(f"{t.name} reads or sets the flag(s) {flags}, which the "
                                   "workflow net leaves out")
        if any(roles[p] is Role.CLOSED for p in t.consume):
            raise AbstractionError(f"{t.name} happens after the delivery; a workflow net "
                                   "ends there")
        closes = any(roles[p] is Role.CLOSED for p in t.produce)
        if closes != (t.delivers is DeliveryKind.RESULT):
            raise AbstractionError(f"{t.name}: only the result delivery may close the case "
                                   "in a workflow net")
        consume = tuple(place_id[p] for p in t.consume if roles[p] not in _BOOKKEEPING)
        produce = tuple(SINK if roles[p] is Role.CLOSED else place_id[p] for p in t.produce
                        if roles[p] is Role.CLOSED or roles[p] not in _BOOKKEEPING)
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
        if not _NCNAME.match(ident):
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


# -- PNML -------------------------------------------------------------------------------------


def to_pnml(net: Net | WorkflowNet | Workflow) -> str:
    """``net`` (abstracted first unless it is a :class:`WorkflowNet`) as PNML text."""
    wf = net if isinstance(net, WorkflowNet) else to_workflow_net(net)
    root = ET.Element("pnml", {"xmlns": PNML_NS})
    pn = ET.SubElement(root, "net", {"id": _net_id(wf.name), "type": PTNET})
    _text(pn, "name", wf.name)
    page = ET.SubElement(pn, "page", {"id": "page"})
    for p in wf.places:
        el = ET.SubElement(page, "place", {"id": p.id})
        _text(el, "name", p.name)
        if p.id == wf.source:
            _text(el, "initialMarking", "1")
    for t in wf.transitions:
        el = ET.SubElement(page, "transition", {"id": t.id})
        if t.label is None:
            _text(el, "name", t.name)
            ET.SubElement(el, "toolspecific", {
                "tool": "ProM", "version": "6.4", "activity": "$invisible$",
                "localNodeID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{wf.name}#{t.id}"))})
        else:
            _text(el, "name", t.label)
            tool = ET.SubElement(el, "toolspecific", {"tool": TOOL, "version": TOOL_VERSION})
            ET.SubElement(tool, "event", {"name": t.name})
    for n, (source, target, weight) in enumerate(wf.arcs, start=1):
        arc = ET.SubElement(page, "arc", {"id": f"a{n}", "source": source, "target": target})
        if weight > 1:
            _text(arc, "inscription", str(weight))
    marking = ET.SubElement(ET.SubElement(pn, "finalmarkings"), "marking")
    _text(marking, "place", "1").set("idref", wf.sink)
    if wf.left_out:
        tool = ET.SubElement(pn, "toolspecific", {"tool": TOOL, "version": TOOL_VERSION})
        for name in wf.left_out:
            ET.SubElement(tool, "left-out", {"name": name})
    ET.indent(root, space="  ")
    return ("<?xml version='1.0' encoding='UTF-8'?>\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def write_pnml(net: Net | WorkflowNet | Workflow, path: str | Path) -> WorkflowNet:
    """Write ``net`` as PNML to ``path``; return the WF-net written."""
    wf = net if isinstance(net, WorkflowNet) else to_workflow_net(net)
    Path(path).write_text(to_pnml(wf), encoding="utf-8")
    return wf


def export_pnml(workflow: Workflow | Net, path: str | Path) -> WorkflowNet:
    """``onething export FILE --pnml OUT``: the workflow's control flow as a WF-net in PNML.

    Raises :class:`NotAWorkflowNet` (nothing is written) when the control flow is not a WF-net.
    """
    return write_pnml(to_workflow_net(workflow), path)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    ET.SubElement(el, "text").text = text
    return el


def _net_id(name: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_.-]+", ".", name).strip(".") or "net"
    return ident if _NCNAME.match(ident) else f"net.{ident}"


def read_pnml(path: str | Path) -> WorkflowNet:
    """Read a PNML P/T net written by :func:`write_pnml` (or by another tool)."""
    return parse_pnml(Path(path).read_bytes())


def parse_pnml(text: str | bytes) -> WorkflowNet:
    """The WF-net in PNML ``text``: the source is the place marked initially, the sink the
    final marking's place (or the one place without outputs when there is none)."""
    if len(text) > _MAX_PNML_BYTES:
        raise ValueError("PNML file too large")
    root = ET.fromstring(text)
    nets = [el for el in root if _local(el) == "net"]
    if _local(root) != "pnml" or len(nets) != 1:
        raise ValueError("not a PNML file with one net")
    pn = nets[0]
    places: list[WFPlace] = []
    marked: list[str] = []
    raw: list[tuple[str, str, str | None]] = []
    arcs: list[tuple[str, str, int]] = []
    for page in _pages(pn):
        for el in page:
            kind, ident = _local(el), el.get("id", "")
            if kind == "place":
                places.append(WFPlace(ident, _name(el) or ident))
                tokens = _child_text(el, "initialMarking")
                if tokens and int(tokens) > 0:
                    marked.extend([ident] * int(tokens))
            elif kind == "transition":
                name = _name(el) or ident
                label: str | None = name
                for tool in (c for c in el if _local(c) == "toolspecific"):
                    if "ProM" in tool.get("tool", "") and "invisible" in tool.get("activity",
                                                                                  ""):
                        label = None
                    if tool.get("tool") == TOOL:
                        events = [c for c in tool if _local(c) == "event"]
                        name = events[0].get("name", name) if events else name
                raw.append((ident, name, label))
            elif kind == "arc":
                weight = _child_text(el, "inscription")
                arcs.append((el.get("source", ""), el.get("target", ""),
                             int(weight) if weight else 1))
    consume: dict[str, list[str]] = {ident: [] for ident, _, _ in raw}
    produce: dict[str, list[str]] = {ident: [] for ident, _, _ in raw}
    for source, target, weight in arcs:
        if target in consume:
            consume[target] += [source] * weight
        elif source in produce:
            produce[source] += [target] * weight
    transitions = tuple(WFTransition(ident, name, label, tuple(consume[ident]),
                                     tuple(produce[ident])) for ident, name, label in raw)
    if len(marked) != 1:
        raise ValueError(f"a workflow net has one token initially, not {len(marked)}")
    sink = _final_place(pn)
    if sink is None:
        sinks = [p.id for p in places
                 if not any(p.id in t.consume for t in transitions)]
        if len(sinks) != 1:
            raise ValueError("no final marking and no single place without outputs")
        sink = sinks[0]
    left_out = tuple(c.get("name", "") for tool in pn if _local(tool) == "toolspecific"
                     and tool.get("tool") == TOOL for c in tool if _local(c) == "left-out")
    return WorkflowNet(_name(pn) or pn.get("id", ""), tuple(places), transitions,
                       marked[0], sink, left_out)


def _local(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _pages(el: ET.Element) -> Iterator[ET.Element]:
    yield el
    for child in el:
        if _local(child) == "page":
            yield from _pages(child)


def _child_text(el: ET.Element, tag: str) -> str | None:
    for child in el:
        if _local(child) == tag:
            for text in child:
                if _local(text) == "text":
                    return (text.text or "").strip()
    return None


def _name(el: ET.Element) -> str | None:
    return _child_text(el, "name")


def _final_place(pn: ET.Element) -> str | None:
    for finals in (c for c in pn if _local(c) == "finalmarkings"):
        for marking in finals:
            for place in marking:
                count = next(((t.text or "").strip() for t in place if _local(t) == "text"),
                             None)
                if count and int(count) > 0:
                    return place.get("idref")
    return None


# -- classical soundness ----------------------------------------------------------------------


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
        verdict = ("undecided" if not self.decided else "sound" if self.sound else "UNSOUND")
        text = (f"{self.name} (workflow net): {verdict}; {self.markings:,} reachable "
                f"marking(s); {self.elapsed_ms:.0f} ms")
        return text + (f"; {self.note}" if self.note else "")

    def to_json(self) -> dict[str, Any]:
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


__all__ = [
    "PNML_NS", "PTNET", "SINK", "SOURCE", "AbstractionError", "NotAWorkflowNet", "Soundness",
    "WFPlace", "WFTransition", "WorkflowNet", "check_workflow_net", "export_pnml",
    "parse_pnml", "read_pnml", "to_pnml", "to_workflow_net", "write_pnml",
]
