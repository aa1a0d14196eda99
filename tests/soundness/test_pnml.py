"""The PNML export: a workflow net others can check, and a verdict that agrees with theirs.

Without PM4Py: every export is a WF-net, the PNML is well-formed and namespaced, it reads back
to the same net, and ``check_workflow_net`` finds the classic unsound patterns. With PM4Py
(optional, AGPL, never imported by the library): PM4Py reads every export, and Woflan in full
mode agrees with ``check_workflow_net`` on small workflows and on generated nets. Each Woflan
call runs in a forked process and is killed after ``WOFLAN_TIMEOUT`` seconds; nets with more
than ``WOFLAN_MAX_MARKINGS`` markings are not given to it (its coverability graph grows
quadratically: minutes beyond a few hundred markings).
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import random
import re
import signal
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from tests.support.factories import ROOT, WORKFLOWS
from tests.support.workflow_gen import with_transitions

from onething.errors import AbstractionError, NotAWorkflowNet
from onething.language.load import load, parse
from onething.net.build import build_net
from onething.net.model import DeliveryKind, Net, Performer, Place, PlaceRole, Transition
from onething.soundness.classical import Soundness, check_workflow_net
from onething.soundness.pnml import (
    PNML_NS,
    PTNET,
    export_pnml,
    parse_pnml,
    read_pnml,
    to_pnml,
    write_pnml,
)
from onething.soundness.proof import check
from onething.soundness.wfnet import WorkflowNet, to_workflow_net

WOFLAN_TIMEOUT = 20.0
WOFLAN_MAX_MARKINGS = 250
NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")

# -- small workflows ----------------------------------------------------------------------------

HEAD = """onething: 1
id: {id}
version: 1
title: {id}
lead: hall
form:
  fields:
    x: {{type: bool}}
    n: {{type: int, min: 0, max: 9}}
{materials}steps:
{steps}
delivery:
  bundle: []
"""
MATERIALS = "  materials:\n    proof: {deferrable: 1 WD}\n"
STEP = "{{id: {id}, department: d{extra}}}"


def step(sid: str, extra: str = "") -> str:
    reads = "" if "reads:" in extra else ", reads: [x, n]"
    return STEP.format(id=sid, extra=reads + (f", {extra}" if extra else ""))


SOUND = {
    "sequence": f"  - {step('a')}\n  - {step('b')}",
    "parallel-2": f"  - parallel:\n    - [{step('a')}, {step('b')}]\n    - {step('c')}",
    "parallel-3": f"  - parallel:\n    - {step('a')}\n    - {step('b')}\n    - {step('c')}",
    "choice": (f"  - choice:\n    - when: x\n      then: [{step('a')}]\n"
               f"    - when: n > 3\n      then: []\n    - otherwise: [{step('b')}]"),
    "optional": f"  - {step('a', 'optional: true')}\n  - {step('b')}",
    "when": f"  - {step('a', 'when: x')}\n  - {step('b')}",
    "refusal-loop": f"  - {step('a')}\n  - {step('b', 'goto: {refuse: a}')}",
    "approve-loop-with-exit": (f"  - {step('a')}\n"
                               f"  - {step('b', 'optional: true, goto: {approve: a}')}"),
    "materials": f"  - {step('a', 'reads: [x, n, proof]')}",
}
# not workflow nets: onething's check finds them unsound, Woflan says "not a workflow net"
NOT_WF = {
    "loop-without-exit": f"  - {step('a')}\n  - {step('b', 'goto: {approve: a}')}",
    "unreachable-step": (f"  - {step('a', 'goto: {approve: c}')}\n  - {step('b')}\n"
                         f"  - {step('c')}"),
}
# the abstraction drops guards: these are unsound for onething, sound as free choices
GUARD_ONLY = {
    "choice-without-otherwise": f"  - choice:\n    - when: x\n      then: [{step('a')}]",
    "contradictory-conditions": (f"  - {step('a', 'when: n > 5')}\n"
                                 f"  - choice:\n    - when: n > 5\n"
                                 f"      then: [{step('b', 'when: n < 3')}]\n"
                                 f"    - otherwise: []"),
}


def workflow(name: str, steps: str) -> Any:
    materials = MATERIALS if "proof" in steps else ""
    result = parse(HEAD.format(id=name, steps=steps, materials=materials), f"{name}.yaml")
    assert result.ok, [d.render() for d in result.diagnostics]
    return result.workflow


# -- hand-made and generated case nets --------------------------------------------------------


def hand_net(name: str, transitions: dict[str, tuple[str, str]], silent: str = "") -> Net:
    """A case net from ``{"t": ("in1 in2", "out1")}``; adds open/closed, deliver, withdraw.

    ``intake`` is the start, ``ready`` feeds ``deliver``; a place listed twice is weight 2.
    """
    names = ["intake", "open", "closed"]
    for consume, produce in transitions.values():
        for p in (consume + " " + produce).split():
            if p not in names:
                names.append(p)
    roles = {"intake": PlaceRole.INTAKE, "open": PlaceRole.OPEN, "closed": PlaceRole.CLOSED,
             "ready": PlaceRole.READY}
    places = tuple(Place(k, n, roles.get(n, PlaceRole.STEP)) for k, n in enumerate(names))
    index = {n: k for k, n in enumerate(names)}
    made = []
    for tname, (consume, produce) in transitions.items():
        quiet = tname in silent.split()
        made.append(Transition(len(made), tname, None if quiet else tname,
                               Performer.ENGINE if quiet else Performer.DEPARTMENT,
                               tuple(index[p] for p in consume.split()),
                               tuple(index[p] for p in produce.split())))
    made.append(Transition(len(made), "deliver", "deliver", Performer.WINDOW,
                           (index["ready"], index["open"]), (index["closed"],),
                           delivers=DeliveryKind.RESULT))
    made.append(Transition(len(made), "withdraw", "withdraw", Performer.APPLICANT,
                           (index["open"],), (index["closed"],), cancel=True, escape=True,
                           delivers=DeliveryKind.WITHDRAWAL))
    return Net(name, places, tuple(made), frozenset({index["intake"], index["open"]}))


HAND_UNSOUND = {
    # XOR-split into an AND-join: stuck, and the join is dead
    "xor-split-and-join": ({"a": ("intake", "p"), "b": ("intake", "q"),
                            "join": ("p q", "ready")}, "join", "stuck"),
    # AND-split into an XOR-merge: two tokens reach ready, the result is delivered twice
    "and-split-xor-merge": ({"fork": ("intake", "p q"), "a": ("p", "ready"),
                             "b": ("q", "ready")}, "fork", "improper"),
    # a transition needing both arms of a choice never happens
    "dead-transition": ({"a": ("intake", "p"), "b": ("intake", "q"), "c": ("p", "ready"),
                         "d": ("q", "ready"), "both": ("p q", "ready")}, "", "dead"),
    # a loop that leaves a token behind on every turn
    "unbounded": ({"a": ("intake", "p"), "again": ("p", "p q"), "out": ("p", "r"),
                   "drain": ("r q", "r"), "finish": ("r", "ready")}, "", "unbounded"),
}
# sound but not safe (two tokens in p): classical soundness allows it, Woflan agrees
HAND_SOUND_UNSAFE = {"split": ("intake", "p p"), "a": ("p", "q"), "join": ("q q", "ready")}


class Generator:
    """Random block-structured case nets (tasks, sequences, forks, choices, loops), then
    0-2 random arc mutations: sound, unsound and not-WF nets in a known mix."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.places: list[Place] = []
        self.transitions: list[Transition] = []
        self.name = f"generated-{seed}"

    def place(self, name: str, role: PlaceRole = PlaceRole.STEP) -> int:
        self.places.append(Place(len(self.places), name, role))
        return len(self.places) - 1

    def add(self, name: str, action: str | None, consume: tuple[int, ...],
            produce: tuple[int, ...], **extra: Any) -> None:
        actor = Performer.ENGINE if action is None else Performer.DEPARTMENT
        self.transitions.append(Transition(len(self.transitions), name, action, actor,
                                           consume, produce, **extra))

    def block(self, a: int, b: int, depth: int) -> None:
        r = self.rng.random() if depth < 3 else 0.0
        n = len(self.transitions)
        if r < 0.4:
            self.add(f"task{n}", f"do{n}", (a,), (b,))
        elif r < 0.6:
            mid = self.place(f"mid{n}")
            self.block(a, mid, depth + 1)
            self.block(mid, b, depth + 1)
        elif r < 0.75:
            x, y, x2, y2 = (self.place(f"par{n}:{k}") for k in "abcd")
            self.add(f"fork{n}", None, (a,), (x, y))
            self.add(f"join{n}", None, (x2, y2), (b,))
            self.block(x, x2, depth + 1)
            self.block(y, y2, depth + 1)
        elif r < 0.9:
            self.block(a, b, depth + 1)
            self.block(a, b, depth + 1)
        else:
            mid = self.place(f"loop{n}")
            self.block(a, mid, depth + 1)
            self.add(f"redo{n}", f"redo{n}", (mid,), (a,))
            self.add(f"exit{n}", None, (mid,), (b,))

    def build(self) -> Net:
        intake, opened = self.place("intake", PlaceRole.INTAKE), self.place("open", PlaceRole.OPEN)
        closed, ready = self.place("closed", PlaceRole.CLOSED), self.place("ready", PlaceRole.READY)
        self.block(intake, ready, 0)
        self.add("deliver", "deliver", (ready, opened), (closed,),
                 delivers=DeliveryKind.RESULT)
        self.add("withdraw", "withdraw", (opened,), (closed,), cancel=True, escape=True,
                 delivers=DeliveryKind.WITHDRAWAL)
        work = [p.index for p in self.places if p.role not in (PlaceRole.OPEN, PlaceRole.CLOSED)]
        for _ in range(self.rng.choice([0, 0, 1, 1, 2])):
            self.mutate(work)
        return Net(self.name, tuple(self.places), tuple(self.transitions),
                   frozenset({intake, opened}))

    def mutate(self, work: list[int]) -> None:
        t = self.rng.choice([t for t in self.transitions if not t.escape and not t.delivers])
        p, k = self.rng.choice(work), self.rng.random()
        consume, produce = t.consume, t.produce
        if k < 0.35 and p not in consume:
            consume += (p,)
        elif 0.35 <= k < 0.7 and p not in produce:
            produce += (p,)
        elif k >= 0.7 and len(produce) > 1:
            produce = produce[1:]
        elif k >= 0.7 and len(consume) > 1:
            consume = consume[1:]
        self.transitions[t.index] = Transition(t.index, t.name, t.action, t.actor, consume,
                                               produce)


GENERATED = range(150)


def generated(seed: int) -> Net:
    return Generator(seed).build()


# -- structure ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_shipped_workflow_exports_a_workflow_net(path: Path) -> None:
    wf = to_workflow_net(load(path))
    assert wf.problems() == []
    assert (wf.source, wf.sink) == ("i", "o")
    assert wf.place("i").name == "intake"
    assert {"withdraw", "refuse_intake"} <= set(wf.left_out)
    deliver = wf.transition("deliver")
    assert deliver.label == "deliver" and deliver.produce == ("o",)
    assert [t.name for t in wf.transitions if "o" in t.produce] == ["deliver"]
    assert not {"open", "closed"} & {p.name for p in wf.places}


def test_the_abstraction_keeps_the_cooperative_flow_and_drops_the_escapes() -> None:
    net = build_net(load(ROOT / "workflows" / "enterprise_startup.yaml"))
    wf = to_workflow_net(net)
    kept = {t.name for t in wf.transitions}
    assert kept | set(wf.left_out) == {t.name for t in net.transitions}
    assert set(wf.left_out) == {t.name for t in net.transitions if t.escape}
    assert "refuse:bank_appointment" in kept  # an optional refusal goes on
    assert "refuse:registration" in wf.left_out  # a refusal that ends the case
    assert wf.transition("approve:registration").label == "approve registration"
    assert wf.transition("skip:tax").label is None and wf.transition("fork:par1").silent
    assert {t.label for t in wf.transitions if not t.silent} >= {
        "accept", "deliver", "request_correction seal", "supplement seal",
        "start_special_procedure tax"}


def test_materials_places_are_kept_when_materials_may_be_promised() -> None:
    wf = to_workflow_net(workflow("materials", SOUND["materials"]))
    names = {p.name for p in wf.places}
    assert {"materials:promised", "materials:complete"} <= names
    assert {"accept", "accept:promise", "supplement_material"} <= {t.name for t in
                                                                   wf.transitions}
    assert "promise_expired" in wf.left_out
    assert len(wf.transition("deliver").consume) == 2


@pytest.mark.parametrize("name", sorted(NOT_WF))
def test_a_control_flow_that_is_not_a_workflow_net_is_refused_clearly(name: str) -> None:
    flow = workflow(name, NOT_WF[name])
    with pytest.raises(NotAWorkflowNet) as caught:
        to_workflow_net(flow)
    text = str(caught.value)
    assert "not a workflow net" in text and caught.value.problems
    expected = ("place 'ready' has no input" if name == "loop-without-exit"
                else "not reachable from the source: step:b, step:b:corrected")
    assert expected in text
    assert not check(flow).sound  # onething's own check agrees that something is wrong
    verdict = check_workflow_net(to_workflow_net(flow, validate=False))
    assert not verdict.sound and verdict.decided and not verdict.workflow_net


def test_nets_the_abstraction_cannot_express_are_refused() -> None:
    net = hand_net("n", {"a": ("intake", "ready")})
    cancelling = with_transitions(net,
        [*net.transitions[:-1], Transition(0, "stop", "stop", Performer.WINDOW, (1,), (2,),
                                           cancel=True, delivers=DeliveryKind.TERMINATION)])
    with pytest.raises(AbstractionError, match="reset arcs"):
        to_workflow_net(cancelling)
    tame = with_transitions(net,
        [*net.transitions[:-1], Transition(0, "nudge", "nudge", Performer.TIMER, (3,), (3,),
                                           escape=True)])
    with pytest.raises(AbstractionError, match="does not end the case"):
        to_workflow_net(tame)
    late = with_transitions(net,
        [*net.transitions, Transition(0, "late", "late", Performer.WINDOW, (2,), (2,))])
    with pytest.raises(AbstractionError, match="after the delivery"):
        to_workflow_net(late)


# -- PNML ---------------------------------------------------------------------------------------


def exports() -> list[tuple[str, WorkflowNet]]:
    out = [(p.name, to_workflow_net(load(p))) for p in WORKFLOWS]
    out += [(name, to_workflow_net(workflow(name, s))) for name, s in SOUND.items()]
    out += [(f"generated-{seed}", to_workflow_net(generated(seed), validate=False))
            for seed in range(0, 150, 10)]
    return out


@pytest.mark.parametrize(("name", "wf"), exports(), ids=[n for n, _ in exports()])
def test_the_pnml_is_well_formed_namespaced_ptnet_and_reads_back(name: str,
                                                               wf: WorkflowNet) -> None:
    text = to_pnml(wf)
    root = ET.fromstring(text)
    ns = {"p": PNML_NS}
    assert root.tag == f"{{{PNML_NS}}}pnml"
    (net,) = root.findall("p:net", ns)
    assert net.get("type") == PTNET and NCNAME.match(net.get("id"))
    page = net.find("p:page", ns)
    ids = [el.get("id") for el in page]
    assert len(ids) == len(set(ids)) and all(NCNAME.match(i) for i in ids)
    marked = [p.get("id") for p in page.findall("p:place", ns)
              if p.find("p:initialMarking", ns) is not None]
    assert marked == ["i"]
    assert page.find("p:place[@id='i']/p:initialMarking/p:text", ns).text == "1"
    final = net.findall("p:finalmarkings/p:marking/p:place", ns)
    assert [(p.get("idref"), p.findtext("p:text", namespaces=ns)) for p in final] == [("o", "1")]
    invisible = {t.get("id") for t in page.findall("p:transition", ns)
                 if any(x.get("tool") == "ProM" and x.get("activity") == "$invisible$"
                        for x in t.findall("p:toolspecific", ns))}
    assert invisible == {t.id for t in wf.transitions if t.silent}
    labels = {t.findtext("p:name/p:text", namespaces=ns) for t in page.findall("p:transition", ns)
              if t.get("id") not in invisible}
    assert labels == {t.label for t in wf.transitions if not t.silent}
    for arc in page.findall("p:arc", ns):
        assert arc.get("source") in ids and arc.get("target") in ids
    assert parse_pnml(text) == wf
    assert to_pnml(wf) == text  # deterministic


def test_write_and_read_a_file(tmp_path: Path) -> None:
    flow = load(ROOT / "workflows" / "enterprise_startup.yaml")
    out = tmp_path / "startup.pnml"
    written = export_pnml(flow, out)
    assert out.read_text(encoding="utf-8").startswith("<?xml")
    assert read_pnml(out) == written == to_workflow_net(flow)
    assert write_pnml(build_net(flow), tmp_path / "again.pnml") == written


def test_export_writes_nothing_when_the_flow_is_not_a_workflow_net(tmp_path: Path) -> None:
    out = tmp_path / "x.pnml"
    with pytest.raises(NotAWorkflowNet):
        export_pnml(workflow("loop", NOT_WF["loop-without-exit"]), out)
    assert not out.exists()


def test_weighted_arcs_round_trip() -> None:
    wf = to_workflow_net(hand_net("weights", HAND_SOUND_UNSAFE))
    text = to_pnml(wf)
    assert "<inscription>" in text
    assert parse_pnml(text) == wf


def test_the_library_never_imports_pm4py() -> None:
    for path in (ROOT / "src" / "onething").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+pm4py", source, re.M), path


# -- soundness in the abstraction --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SOUND))
def test_small_sound_workflows_are_sound_in_both_checkers(name: str) -> None:
    flow = workflow(name, SOUND[name])
    verdict = check_workflow_net(to_workflow_net(flow))
    assert verdict.sound and verdict.decided and verdict.safe, verdict.reasons()
    assert bool(verdict) and verdict.reasons() == []
    assert check(flow).sound


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_a_workflow_check_proves_sound_is_sound_in_the_abstraction(path: Path) -> None:
    flow = load(path)
    verdict = check_workflow_net(to_workflow_net(flow))
    assert verdict.decided and verdict.safe
    if check(flow).sound:
        assert verdict.sound, verdict.reasons()


def test_the_shipped_workflow_is_sound_in_the_abstraction() -> None:
    verdict = check_workflow_net(to_workflow_net(load(ROOT / "workflows" /
                                                      "enterprise_startup.yaml")))
    assert verdict.sound and verdict.safe, verdict.reasons()
    assert verdict.markings > 10_000  # far beyond what Woflan can explore
    assert verdict.to_json()["sound"] is True
    assert "sound" in verdict.summary()


@pytest.mark.parametrize("name", sorted(GUARD_ONLY))
def test_unsound_only_through_conditions_is_sound_in_the_abstraction(name: str) -> None:
    """The documented difference: dropping guards turns arms into free choices."""
    flow = workflow(name, GUARD_ONLY[name])
    assert not check(flow).sound
    assert check_workflow_net(to_workflow_net(flow)).sound


@pytest.mark.parametrize("name", sorted(HAND_UNSOUND))
def test_the_classic_unsound_patterns_are_found(name: str) -> None:
    arcs, silent, kind = HAND_UNSOUND[name]
    verdict = check_workflow_net(to_workflow_net(hand_net(name, arcs, silent)))
    assert verdict.decided and not verdict.sound and verdict.workflow_net
    if kind != "dead":
        assert getattr(verdict, kind) is not None, verdict
    reasons = " ".join(verdict.reasons())
    if kind == "stuck":
        assert verdict.dead == ("join", "deliver") and verdict.stuck == ()
        assert verdict.deadlock in (("a",), ("b",)) and "nothing can happen" in reasons
    if kind == "improper":
        assert verdict.improper == ("(fork)", "a", "deliver") and not verdict.safe
    if kind == "dead":
        assert verdict.dead == ("both",) and verdict.stuck is None
    if kind == "unbounded":
        assert verdict.unbounded == ("a", "again") and "unbounded" in reasons


def test_a_sound_net_need_not_be_safe() -> None:
    verdict = check_workflow_net(to_workflow_net(hand_net("unsafe", HAND_SOUND_UNSAFE)))
    assert verdict.sound and not verdict.safe


def test_over_budget_is_undecided_not_sound() -> None:
    flow = load(ROOT / "workflows" / "enterprise_startup.yaml")
    verdict = check_workflow_net(to_workflow_net(flow), budget=100)
    assert not verdict.decided and not verdict.sound and "100" in verdict.note
    assert "undecided" in verdict.summary()


def test_generated_nets_are_checked_and_read_back() -> None:
    kinds: dict[str, int] = {}
    for seed in GENERATED:
        wf = to_workflow_net(generated(seed), validate=False)
        assert parse_pnml(to_pnml(wf)) == wf
        verdict = check_workflow_net(wf, budget=20_000)
        kind = _kind(verdict)
        kinds[kind] = kinds.get(kind, 0) + 1
        if verdict.workflow_net and verdict.decided:
            assert verdict.sound == (verdict.reasons() == [])
    # the mix the agreement test relies on
    assert {"sound", "stuck", "improper", "dead", "unbounded", "not-wf"} <= set(kinds), kinds


def _kind(verdict: Soundness) -> str:
    if not verdict.workflow_net:
        return "not-wf"
    if not verdict.decided:
        return "undecided"
    if verdict.sound:
        return "sound"
    for kind in ("unbounded", "improper", "stuck"):
        if getattr(verdict, kind) is not None:
            return kind
    return "dead"


# -- PM4Py and Woflan (optional) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pm4py() -> Any:
    with contextlib.redirect_stdout(io.StringIO()):  # its licence banner
        return pytest.importorskip("pm4py", reason="PM4Py is an optional test dependency "
                                   "(pip install pm4py) for the Woflan comparison",
                                   exc_type=ImportError)


def _woflan_child(text: str, conn: Any) -> None:
    warnings.simplefilter("ignore")
    from pm4py.algo.analysis.woflan import algorithm as woflan
    from pm4py.objects.petri_net.importer.variants import pnml as importer

    net, im, fm = importer.import_net_from_string(text)
    with contextlib.redirect_stdout(io.StringIO()):
        verdict = woflan.apply(net, im, fm, parameters={
            "return_asap_when_not_sound": False, "print_diagnostics": False})
    conn.send(bool(verdict))


def woflan(text: str) -> tuple[bool | None, float]:
    """Woflan's full-mode verdict on PNML ``text`` and its time; ``None`` on timeout."""
    began = time.perf_counter()
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        conn = _Inline()
        _woflan_child(text, conn)
        return conn.value, time.perf_counter() - began
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_woflan_child, args=(text, send), daemon=True)
    child.start()
    finished = receive.poll(WOFLAN_TIMEOUT)
    elapsed = time.perf_counter() - began
    if not finished:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        return None, elapsed
    verdict = receive.recv()
    child.join()
    return verdict, elapsed


class _Inline:
    value: bool | None = None

    def send(self, value: bool) -> None:
        self.value = value


def agree(wf: WorkflowNet, record: Any = None) -> tuple[Soundness, bool, float]:
    ours = check_workflow_net(wf)
    if ours.decided and ours.markings > WOFLAN_MAX_MARKINGS:
        pytest.skip(f"{wf.name}: {ours.markings:,} reachable markings; Woflan takes minutes "
                    f"beyond a few hundred (limit here {WOFLAN_MAX_MARKINGS})")
    theirs, seconds = woflan(to_pnml(wf))
    if record is not None:
        record("woflan_seconds", round(seconds, 3))
        record("markings", ours.markings)
    if theirs is None:
        pytest.skip(f"{wf.name}: Woflan did not finish in {WOFLAN_TIMEOUT:.0f} s "
                    f"({ours.markings} markings)")
    return ours, theirs, seconds


@pytest.mark.parametrize(("name", "wf"), exports(), ids=[n for n, _ in exports()])
def test_pm4py_reads_every_export(pm4py: Any, name: str, wf: WorkflowNet,
                                  tmp_path: Path) -> None:
    path = tmp_path / f"{name}.pnml"
    write_pnml(wf, path)
    net, im, fm = pm4py.read_pnml(str(path))
    assert len(net.places) == len(wf.places) and len(net.transitions) == len(wf.transitions)
    assert len(net.arcs) == len(wf.arcs)
    assert [p.name for p in im] == ["i"] and [p.name for p in fm] == ["o"]
    assert {t.name for t in net.transitions if t.label is None} == {
        t.id for t in wf.transitions if t.silent}
    assert {t.label for t in net.transitions if t.label} == {
        t.label for t in wf.transitions if not t.silent}
    if wf.problems() == []:
        assert pm4py.check_is_workflow_net(net)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_woflan_on_the_shipped_workflows(pm4py: Any, path: Path, record_property: Any) -> None:
    wf = to_workflow_net(load(path))
    ours, theirs, _ = agree(wf, record_property)  # skips: thousands of markings
    assert ours.sound == theirs


@pytest.mark.parametrize("name", sorted(SOUND))
def test_woflan_agrees_on_small_sound_workflows(pm4py: Any, name: str,
                                                record_property: Any) -> None:
    ours, theirs, _ = agree(to_workflow_net(workflow(name, SOUND[name])), record_property)
    assert ours.sound and theirs


@pytest.mark.parametrize("name", sorted(NOT_WF))
def test_woflan_agrees_on_unsound_workflows(pm4py: Any, name: str,
                                            record_property: Any) -> None:
    wf = to_workflow_net(workflow(name, NOT_WF[name]), validate=False)
    ours, theirs, _ = agree(wf, record_property)
    assert not ours.sound and not theirs


@pytest.mark.parametrize("name", sorted(GUARD_ONLY))
def test_woflan_agrees_that_guard_only_problems_vanish(pm4py: Any, name: str,
                                                       record_property: Any) -> None:
    ours, theirs, _ = agree(to_workflow_net(workflow(name, GUARD_ONLY[name])),
                            record_property)
    assert ours.sound and theirs


@pytest.mark.parametrize("name", sorted(HAND_UNSOUND))
def test_woflan_agrees_on_the_classic_unsound_patterns(pm4py: Any, name: str,
                                                       record_property: Any) -> None:
    arcs, silent, _ = HAND_UNSOUND[name]
    ours, theirs, _ = agree(to_workflow_net(hand_net(name, arcs, silent)), record_property)
    assert not ours.sound and not theirs


def test_woflan_agrees_that_a_sound_net_need_not_be_safe(pm4py: Any,
                                                         record_property: Any) -> None:
    """onething never exports weighted arcs; Woflan's diagnosis assumes there are none."""
    ours, theirs, _ = agree(to_workflow_net(hand_net("unsafe", HAND_SOUND_UNSAFE)),
                            record_property)
    assert ours.sound
    if not theirs:
        pytest.xfail("PM4Py's Woflan assumes an ordinary net (arc weights 1): this sound net "
                     "with a weight-2 arc is not S-coverable and has no not-well-handled "
                     "pair, which it takes for unsound (and it finds no deadlock sequence)")


def test_woflan_agrees_on_generated_nets(pm4py: Any, record_property: Any) -> None:
    compared: dict[str, int] = {}
    disagree, slow, slowest = [], [], 0.0
    for seed in GENERATED:
        wf = to_workflow_net(generated(seed), validate=False)
        ours = check_workflow_net(wf, budget=20_000)
        if not ours.decided or ours.markings > 120:
            continue
        theirs, seconds = woflan(to_pnml(wf))
        slowest = max(slowest, seconds)
        if theirs is None:
            slow.append(seed)
            continue
        kind = _kind(ours)
        compared[kind] = compared.get(kind, 0) + 1
        if theirs != ours.sound:
            disagree.append((seed, kind, ours.reasons()))
    record_property("compared", compared)
    record_property("slowest_woflan_seconds", round(slowest, 3))
    assert disagree == []
    assert not slow or len(slow) < 3, f"Woflan timed out on seeds {slow}"
    assert {"sound", "stuck", "improper", "dead", "unbounded", "not-wf"} <= set(compared)
