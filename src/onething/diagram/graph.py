"""Workflow -> flowchart, as Mermaid (``flowchart TD``) or Graphviz DOT, for ``onething graph``.

Both formats are drawn from one intermediate graph (:func:`diagram`), so they always show the
same nodes and edges. What is drawn follows the case net (:mod:`onething.net.build`):

* ``start``: the application is submitted and accepted at the lead department's window;
* each step is a box: its title (or id), its department on a second line, then the markers
  ``(optional)`` and ``when: <condition>``. An unlabelled solid edge leaves it for what follows;
* a conditional step also has a dashed ``else: skip`` edge from its own box to what follows.
  The condition is checked whenever the case arrives at the step (in sequence, from a fork, or
  by a ``goto:`` jump), so the skip leaves the box and goes around the step's work rather than
  around the box: every way in can skip;
* a parallel block is a fork node (``all of``) with one edge to each branch, and a join node
  (``all done``) that every branch reaches before the case goes on;
* a choice block is a decision diamond with one edge per arm, labelled by the arm's ``when``
  text or ``otherwise``; the arms rejoin at whatever follows the choice. A choice without an
  ``otherwise`` arm has no edge for "no arm holds", because the net has no transition for it;
* a step's own outcomes (``outcomes:``) are dotted edges labelled with the outcome's title
  (or name) to where it goes, and a step that sets fields says so in its box;
* ``goto:`` jumps are dotted edges labelled ``approve →`` / ``refuse →``, and so is a
  send-back, ``退回重审 →``, from the step after a parallel block to each step it may send
  back. A step that jumps on approve has no plain edge to what follows (approval goes to the
  jump target), except that an optional step's refusal still goes on, drawn as a solid
  ``refused: go on`` edge;
* ``deliver: <bundle> via <methods>``, then ``end``;
* one ``refusal notice`` end node. By default it is a legend, tied to the delivery by an
  invisible edge so that it sits at the bottom: refusing any step that is not marked
  ``(optional)`` and has no ``refuse →`` jump closes the case with the refusal notice. That rule
  is uniform, so the legend says exactly what the edges would; and with the edges, a 7-way
  parallel (registration plus six departments in enterprise_startup) draws seven long dotted
  edges converging on one node, all crossing the join's edges, which hides the structure the
  diagram is for. Pass ``refusal_edges=True`` to draw the dotted ``refuse`` edges anyway (fine
  for small workflows).

Only the workflow definition is drawn (titles, departments, conditions, bundle item names):
the model holds no form values, so the diagrams are safe to share. A condition may still
compare a personal field with a literal (``legal_person_id == '...'``): such a condition is
drawn with its literals masked, and every label passes
:func:`~onething.language.values.mask_text`, so no identity or phone number is ever drawn. Node
ids are generated (``s_<step id>``, ``fork_1``, ...) and never collide with Mermaid keywords
such as ``end``; labels are quoted and escaped for each format, and Chinese text passes through
unchanged.
"""


from __future__ import annotations

import re

import attrs

from onething.language import conditions as exprs
from onething.language.model import (
    Block,
    Choice,
    Condition,
    Parallel,
    Stage,
    Step,
    StepSequence,
    Workflow,
)
from onething.language.step_keys import SignOff
from onething.privacy.masking import mask, mask_text

START, DELIVER, FINISH, REFUSAL = "start", "deliver", "finish", "refusal"


#: edge styles
SOLID, DASHED, DOTTED, INVISIBLE = "solid", "dashed", "dotted", "invisible"


SKIP_LABEL = "else: skip"
#: a send-back (退回重审): the step after a parallel block sends one of its steps back
SEND_BACK_LABEL = "退回重审 →"


OTHERWISE_LABEL = "otherwise"


REFUSED_GO_ON_LABEL = "refused: go on"


def jump_label(outcome: str) -> str:
    """The label of a ``goto:`` edge: ``approve →`` or ``refuse →``."""
    return f"{outcome} →"


@attrs.frozen
class Node:
    """One node: its id, its kind and its label, one string per line (unescaped)."""

    id: str
    kind: str  # start, step, fork, join, choice, deliver, end, refusal
    lines: tuple[str, ...]
    optional: bool = False
    conditional: bool = False


@attrs.frozen
class Edge:
    """One edge between node ids; ``label`` is unescaped text."""

    src: str
    dst: str
    label: str = ""
    style: str = SOLID


@attrs.frozen
class Diagram:
    """The drawable graph of a workflow: nodes in document order, edges grouped by source."""

    title: str
    name: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    step_nodes: dict[str, str]  # step id -> node id


def diagram(workflow: Workflow, *, refusal_edges: bool = False) -> Diagram:
    """The graph both renderers draw (``workflow`` must have loaded without errors)."""
    return _Builder(workflow, refusal_edges).build()


class _Builder:
    def __init__(self, workflow: Workflow, refusal_edges: bool) -> None:
        self.workflow = workflow
        self.refusal_edges = refusal_edges
        self.nodes: dict[str, Node] = {}
        self.step_ids: dict[str, str] = {}
        self.block_ids: dict[int, tuple[str, str]] = {}  # id(block) -> (entry, exit) node ids
        self.edges: list[Edge] = []
        self.refusable = 0
        self.counters = {"fork": 0, "choice": 0}

    def build(self) -> Diagram:
        wf = self.workflow
        self.node(START, "start", (f"submit → window accept ({wf.lead})",))
        self.declare(wf.steps)
        delivery = wf.delivery
        items = list(delivery.bundle) or ["(nothing)"]
        rows = [", ".join(items[i:i + 3]) for i in range(0, len(items), 3)]  # 3 a line
        rows[0] = f"deliver: {rows[0]}"
        rows[:-1] = [row + "," for row in rows[:-1]]
        self.node(DELIVER, "deliver", (*rows, f"via {', '.join(delivery.methods)}"))
        self.node(FINISH, "end", ("end",))
        self.edge(START, self.sequence(wf.steps, DELIVER))
        self.edge(DELIVER, FINISH)
        if self.refusable:
            if self.refusal_edges:
                self.node(REFUSAL, "refusal", ("refusal notice", "case closed"))
            else:
                self.node(REFUSAL, "refusal", (
                    "refusal notice: case closed",
                    "when a step is refused that is not (optional)",
                    "and has no refuse → jump of its own",
                ))
                self.edge(DELIVER, REFUSAL, style=INVISIBLE)
        order = {node_id: index for index, node_id in enumerate(self.nodes)}
        edges = sorted(self.edges, key=lambda e: order[e.src])  # stable: keeps per-source order
        return Diagram(wf.title, f"{wf.id}@{wf.version}", tuple(self.nodes.values()),
                       tuple(edges), dict(self.step_ids))

    # nodes, declared in document order (the order the renderers emit them in) --------------

    def node(self, node_id: str, kind: str, lines: tuple[str, ...], **extra: bool) -> str:
        self.nodes[node_id] = Node(node_id, kind, tuple(mask_text(line) for line in lines),
                                   **extra)
        return node_id

    def condition(self, condition: Condition) -> str:
        """A condition's text, with the literals it compares personal fields to masked."""
        personal = {f.name: f.type for f in self.workflow.form.fields if f.personal}
        if not exprs.fields(condition.expr) & personal.keys():
            return condition.text
        return exprs.to_text(_masked_literals(condition.expr, personal))

    def fresh(self, base: str) -> str:
        node_id = base
        n = 2
        while node_id in self.nodes:
            node_id = f"{base}_{n}"
            n += 1
        return node_id

    def declare(self, block: Block | StepSequence) -> None:
        if isinstance(block, StepSequence):
            for item in block.items:
                self.declare(item)
        elif isinstance(block, Step):
            if block.id in self.step_ids:
                raise ValueError(f"the step id {block.id!r} is used twice")
            node_id = self.fresh("s_" + re.sub(r"\W", "_", block.id, flags=re.ASCII))
            lines = [block.title or block.id, block.department]
            if block.optional:
                lines.append("(optional)")
            if block.when is not None:
                lines.append(f"when: {self.condition(block.when)}")
            if block.commitment is not None:
                lines.append("告知承诺: may approve on commitment")
            if block.sign_off is not None:
                lines.append(_sign_off_line(block.sign_off))
            if block.opens is not None:
                per = f", one per item of {block.foreach}" if block.foreach else ""
                waits = "every result" if block.opens.waits_for == "result" \
                    else "every delivery"
                lines.append(f"子流程: opens {block.opens.workflow}{per}; waits for {waits}")
            elif block.foreach is not None:
                lines.append(f"逐项办理: each item of {block.foreach} on its own")
            if block.silence is not None:
                lines.append("逾期未反馈视为同意: deemed approved when its limit passes")
            if block.sets:
                lines.append("sets: " + ", ".join(f.name for f in block.sets))
            if block.send_back is not None:
                others = "the others keep their results" if block.send_back.others == "keep" \
                    else "the others start over"
                lines.append(f"退回重审: may send back {', '.join(block.send_back.to)}; {others}")
            self.step_ids[block.id] = self.node(node_id, "step", tuple(lines),
                                                optional=block.optional,
                                                conditional=self.workflow.step_condition(
                                                    block) is not None)
        elif isinstance(block, Parallel):
            self.counters["fork"] += 1
            n = self.counters["fork"]
            fork = self.node(f"fork_{n}", "fork", ("all of",) if block.corrections == "each"
                             else ("all of", "一次告知: corrections asked together"))
            for branch in block.branches:
                self.declare(branch)
            join = self.node(f"join_{n}", "join", ("all done",))
            self.block_ids[id(block)] = (fork, join)
        elif isinstance(block, Choice):
            self.counters["choice"] += 1
            decision = self.node(f"choice_{self.counters['choice']}", "choice", ("choice",))
            self.block_ids[id(block)] = (decision, decision)
            for arm in block.branches:
                self.declare(arm.body)
        elif isinstance(block, Stage):
            lines = [f"stage: {block.title or block.id}", f"lead: {block.lead}"]
            if block.time_limit is not None and block.time_limit.committed is not None:
                lines.append(f"limit: {block.time_limit.committed}")
            node_id = self.node(self.fresh("stage_" + re.sub(r"\W", "_", block.id,
                                                                flags=re.ASCII)),
                                "stage", tuple(lines))
            self.block_ids[id(block)] = (node_id, node_id)
            self.declare(block.body)
        else:  # pragma: no cover
            raise TypeError(f"not a block: {block!r}")

    # edges, wired backwards: each block to the node that follows it -------------------------

    def edge(self, src: str, dst: str, label: str = "", style: str = SOLID) -> None:
        self.edges.append(Edge(src, dst, mask_text(label), style))

    def target(self, step: Step, outcome: str, target: str) -> str:
        if target not in self.step_ids:
            raise ValueError(f"step {step.id!r} jumps on {outcome!r} to {target!r}, "
                             "which is not a step")
        return self.step_ids[target]

    def sequence(self, seq: StepSequence, succ: str) -> str:
        """Wire ``seq`` to ``succ``; return the node the sequence starts at."""
        for item in reversed(seq.items):
            succ = self.block(item, succ)
        return succ

    def block(self, block: Block, succ: str) -> str:
        if isinstance(block, Step):
            return self.step(block, succ)
        entry, exit_ = self.block_ids[id(block)]
        if isinstance(block, Stage):
            self.edge(entry, self.sequence(block.body, succ))
            return entry
        if isinstance(block, Parallel):
            for branch in block.branches:
                self.edge(entry, self.sequence(branch, exit_))
            self.edge(exit_, succ)
        else:
            for arm in block.branches:
                label = self.condition(arm.when) if arm.when is not None \
                    else OTHERWISE_LABEL
                self.edge(entry, self.sequence(arm.body, succ), label)
        return entry

    def step(self, step: Step, succ: str) -> str:
        here = self.step_ids[step.id]
        approve, refuse = step.jump("approve"), step.jump("refuse")
        if approve:
            self.edge(here, self.target(step, "approve", approve), jump_label("approve"), DOTTED)
        else:
            self.edge(here, succ)
        if refuse:
            self.edge(here, self.target(step, "refuse", refuse), jump_label("refuse"), DOTTED)
        elif step.optional:
            if approve:
                self.edge(here, succ, REFUSED_GO_ON_LABEL)
        else:
            self.refusable += 1
            if self.refusal_edges:
                self.edge(here, REFUSAL, "refuse", DOTTED)
        if self.workflow.step_condition(step) is not None:
            self.edge(here, succ, SKIP_LABEL, DASHED)
        for named in step.outcomes:
            self.edge(here, self.target(step, named.name, named.goto) if named.goto else succ,
                      f"{named.title or named.name} →", DOTTED)
        if step.send_back is not None:
            for target in step.send_back.to:
                self.edge(here, self.target(step, "send_back", target), SEND_BACK_LABEL, DOTTED)
        return here


def _sign_off_line(sign_off: SignOff) -> str:
    """联合签署: who signs and how many approvals decide."""
    need = "all" if sign_off.need == sign_off.seats else (
        "any" if sign_off.need == 1 else f"{sign_off.need} of {sign_off.seats}")
    if sign_off.by:
        return f"联合签署 ({need}): {', '.join(sign_off.by)}"
    return f"专家评审 ({need}): {sign_off.experts} experts"


def _masked_literals(expr: exprs.Expr, personal: dict[str, str]) -> exprs.Expr:
    """``expr`` with every literal compared to a personal field replaced by its mask."""
    def hide(value: exprs.LiteralValue, type_: str) -> exprs.LiteralValue:
        if value is None or isinstance(value, bool):
            return value
        return mask(type_, value, personal=True)

    if isinstance(expr, exprs.Compare) and expr.field in personal:
        return attrs.evolve(expr, value=hide(expr.value, personal[expr.field]))
    if isinstance(expr, exprs.Member) and expr.field in personal:
        return attrs.evolve(expr, values=tuple(hide(v, personal[expr.field])
                                               for v in expr.values))
    if isinstance(expr, exprs.Not):
        return attrs.evolve(expr, operand=_masked_literals(expr.operand, personal))
    if isinstance(expr, (exprs.And, exprs.Or)):
        return attrs.evolve(expr, items=tuple(_masked_literals(i, personal)
                                              for i in expr.items))
    return expr
