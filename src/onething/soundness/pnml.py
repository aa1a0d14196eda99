"""A workflow's control flow as a PNML workflow net, and its classical soundness.

So that anyone can check a workflow with their own tools (PM4Py, ProM/Woflan, LoLA, ...),
:func:`to_workflow_net` abstracts a case net (:mod:`onething.net.model`) into a plain P/T
workflow net (WF-net), :func:`write_pnml` writes it as standard PNML, and
:func:`check_workflow_net` decides van der Aalst's classical soundness of that same WF-net, so
that onething's verdict and the other tool's can be compared one for one. docs/pnml.md is the
user's guide; this docstring is the precise contract.

**Kept** (the cooperative control flow):

* every place whose tokens are work: ``intake`` (becomes the source place ``i``), the
  notice at intake out and answered (``intake:correction``, ``intake:corrected``), steps and
  their corrected, correction and special-procedure positions, ``when`` entries, parallel
  entries, ``running`` and branch-done places, choice entries, ``ready``, and the materials
  places ``materials:promised`` / ``materials:complete`` when the workflow has deferrable
  materials (``supplement_material`` is cooperative);
* every transition that is not an escape: ``accept`` (and ``accept:promise``, and both from
  ``intake:corrected``), ``request_intake_correction`` and ``supplement_intake``, ``approve``,
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
  the timers that end it (``correction_expired``, ``promise_expired``,
  ``intake_correction_expired``). Each consumes
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
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from onething.language.model import Workflow
from onething.net.model import Net
from onething.soundness.wfnet import NCNAME, WFPlace, WFTransition, WorkflowNet, to_workflow_net

PNML_NS = "http://www.pnml.org/version-2009/grammar/pnml"


PTNET = "http://www.pnml.org/version-2009/grammar/ptnet"


TOOL = "onething"


TOOL_VERSION = "1"




_MAX_PNML_BYTES = 50_000_000


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
    return ident if NCNAME.match(ident) else f"net.{ident}"


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
                inscription = _child_text(el, "inscription")
                arcs.append((el.get("source", ""), el.get("target", ""),
                             int(inscription) if inscription else 1))
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
    return WorkflowNet(_name(pn) or pn.get("id") or "", tuple(places), transitions,
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



