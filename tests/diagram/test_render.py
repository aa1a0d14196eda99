"""Workflow diagrams: Mermaid and DOT drawn from the same graph, parsed back and checked."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.diagram import FORMATS, render
from onething.diagram.dot import render_dot
from onething.diagram.graph import diagram
from onething.diagram.mermaid import render_mermaid
from onething.language.load import load, parse
from onething.language.model import Choice, Parallel, Step, StepSequence, Workflow

ROOT = Path(__file__).resolve().parents[2]
ENTERPRISE = ROOT / "workflows" / "enterprise_startup.yaml"
DOT = shutil.which("dot")

# -- parsing the output back ----------------------------------------------------------------------

Edge = tuple[str, str, str, str]  # (src, dst, label, style) with style solid/dashed/dotted

MERMAID_NODE = re.compile(
    r'^    (?P<id>[A-Za-z0-9_]+)(?P<open>\(\[|\(\(|\{\{|\[|\{|\()"(?P<label>[^"]*)"'
    r"(?P<close>\]\)|\)\)|\}\}|\]|\}|\))$"
)
MERMAID_EDGE = re.compile(
    r'^    (?P<src>[A-Za-z0-9_]+) (?P<arrow>-->|-\.->|~~~)(?:\|"(?P<label>[^"]*)"\|)? '
    r"(?P<dst>[A-Za-z0-9_]+)$"
)
MERMAID_NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">"}

DOT_STRING = r'"(?:[^"\\]|\\.)*"'
DOT_EDGE = re.compile(
    rf"^    (?P<src>{DOT_STRING}) -> (?P<dst>{DOT_STRING})(?: \[(?P<attrs>.*)\])?;$"
)
DOT_NODE = re.compile(rf"^    (?P<id>{DOT_STRING}) \[(?P<attrs>.*)\];$")
DOT_ATTR = re.compile(rf"(\w+)=({DOT_STRING})")


def mermaid_unescape(text: str) -> str:
    def entity(m: re.Match[str]) -> str:
        code = m[1]
        return chr(int(code)) if code.isdigit() else MERMAID_NAMED[code]

    return re.sub(r"#(\w+);", entity, text)


def dot_unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], quoted[1:-1])


def mermaid_graph(text: str) -> tuple[dict[str, tuple[str, str]], list[Edge]]:
    """Node id -> (shape, label lines joined by newline), and the visible edges in order."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    nodes: dict[str, tuple[str, str]] = {}
    raw: list[tuple[str, str, str, str]] = []
    dashed: set[int] = set()
    for line in lines[1:]:
        if m := MERMAID_NODE.match(line):
            assert m["id"] not in nodes, f"node {m['id']} defined twice"
            label = "\n".join(mermaid_unescape(part) for part in m["label"].split("<br/>"))
            nodes[m["id"]] = (m["open"], label)
        elif m := MERMAID_EDGE.match(line):
            raw.append((m["src"], m["dst"], mermaid_unescape(m["label"] or ""), m["arrow"]))
        elif line.startswith("    linkStyle "):
            indices, style = line.split()[1], line.split(maxsplit=2)[2]
            assert style == "stroke-dasharray: 8 4"
            dashed |= {int(i) for i in indices.split(",")}
        else:
            assert line.startswith(("    %% ", "    classDef ", "    class ")), line
    edges = []
    for index, (src, dst, label, arrow) in enumerate(raw):
        for end in (src, dst):
            assert end in nodes, f"edge to undeclared node {end}"
        if arrow == "~~~":
            assert index not in dashed
            continue
        style = "solid" if arrow == "-->" else "dashed" if index in dashed else "dotted"
        edges.append((src, dst, label, style))
    return nodes, edges


def dot_graph(text: str) -> tuple[dict[str, dict[str, str]], list[Edge]]:
    """Node id -> attributes (unescaped), and the visible edges in order."""
    lines = text.splitlines()
    assert lines[0].startswith("digraph ") and lines[0].endswith(" {")
    assert lines[-1] == "}"
    nodes: dict[str, dict[str, str]] = {}
    edges: list[Edge] = []
    for line in lines[1:-1]:
        if m := DOT_EDGE.match(line):
            attrs = {k: dot_unescape(v) for k, v in DOT_ATTR.findall(m["attrs"] or "")}
            src, dst = dot_unescape(m["src"]), dot_unescape(m["dst"])
            for end in (src, dst):
                assert end in nodes, f"edge to undeclared node {end}"
            if attrs.get("style") == "invis":
                continue
            edges.append((src, dst, attrs.get("label", ""), attrs.get("style", "solid")))
        elif m := DOT_NODE.match(line):
            node_id = dot_unescape(m["id"])
            assert node_id not in nodes, f"node {node_id} defined twice"
            nodes[node_id] = {k: dot_unescape(v) for k, v in DOT_ATTR.findall(m["attrs"])}
        else:
            assert re.match(r"^    (graph|node|edge) \[.*\];$", line), line
    return nodes, edges


def braces_balanced(text: str) -> bool:
    """Braces balance outside double-quoted strings (which may hold escaped quotes)."""
    depth, quoted, escaped, seen = 0, False, False, False
    for char in text:
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "{":
            depth, seen = depth + 1, True
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
    return seen and depth == 0 and not quoted


def dot_renders(text: str) -> None:
    result = subprocess.run([DOT, "-Tsvg"], input=text.encode(), capture_output=True,
                            timeout=60, check=False)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 0, stderr
    assert "syntax error" not in stderr and "Error" not in stderr, stderr
    assert result.stdout.startswith(b"<?xml")


def reach(edges: list[Edge], start: str, backwards: bool = False) -> set[str]:
    succ: dict[str, set[str]] = {}
    for src, dst, _, _ in edges:
        a, b = (dst, src) if backwards else (src, dst)
        succ.setdefault(a, set()).add(b)
    seen, todo = {start}, [start]
    while todo:
        for nxt in succ.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def counts(workflow: Workflow) -> Counter[str]:
    """How many steps, parallel blocks and choices the workflow holds."""
    found: Counter[str] = Counter()

    def walk(block: object) -> None:
        if isinstance(block, Step):
            found["step"] += 1
        elif isinstance(block, StepSequence):
            for item in block.items:
                walk(item)
        elif isinstance(block, Parallel):
            found["parallel"] += 1
            for branch in block.branches:
                walk(branch)
        elif isinstance(block, Choice):
            found["choice"] += 1
            for arm in block.branches:
                walk(arm.body)

    walk(workflow.steps)
    return found


def arm_labels(workflow: Workflow) -> list[str]:
    labels = []

    def walk(block: object) -> None:
        if isinstance(block, StepSequence):
            for item in block.items:
                walk(item)
        elif isinstance(block, Parallel):
            for branch in block.branches:
                walk(branch)
        elif isinstance(block, Choice):
            for arm in block.branches:
                labels.append(arm.when.text if arm.when is not None else "otherwise")
                walk(arm.body)

    walk(workflow.steps)
    return labels


def check_structure(workflow: Workflow, refusal_edges: bool = False) -> list[Edge]:
    """Every structural promise of both renderings; returns the (shared) edge list."""
    m_nodes, m_edges = mermaid_graph(render_mermaid(workflow, refusal_edges=refusal_edges))
    dot_text = render_dot(workflow, refusal_edges=refusal_edges)
    assert braces_balanced(dot_text)
    d_nodes, d_edges = dot_graph(dot_text)
    # the same graph in both formats
    assert m_edges == d_edges
    assert set(m_nodes) == set(d_nodes)
    for node_id, (_, label) in m_nodes.items():
        if node_id.startswith(("fork_", "join_")):
            assert d_nodes[node_id]["label"] == ""  # a bar; its text is the tooltip
            assert d_nodes[node_id]["tooltip"] == label
        else:
            assert d_nodes[node_id]["label"] == label
    # every step once, labelled title (or id) / department / markers
    steps = list(workflow.iter_steps())
    graph = diagram(workflow, refusal_edges=refusal_edges)
    assert sorted(graph.step_nodes) == sorted(s.id for s in steps)
    assert len(set(graph.step_nodes.values())) == len(steps)
    for step in steps:
        node_id = graph.step_nodes[step.id]
        assert re.fullmatch(r"s_[A-Za-z0-9_]+", node_id)
        shape, label = m_nodes[node_id]
        assert shape == "["
        expected = [step.title or step.id, step.department]
        if step.optional:
            expected.append("(optional)")
        if step.when is not None:
            expected.append(f"when: {step.when.text}")
        assert label.split("\n") == expected
    # one fork and one join per parallel block, one diamond per choice, every arm label
    found = counts(workflow)
    assert found["step"] == len(steps)
    kinds = Counter(re.sub(r"_\d+$", "", n) for n in m_nodes if not n.startswith("s_"))
    assert kinds["fork"] == kinds["join"] == found["parallel"]
    assert kinds["choice"] == found["choice"]
    assert all(m_nodes[n][0] == "{{" for n in m_nodes if n.startswith(("fork_", "join_")))
    assert all(m_nodes[n][0] == "{" for n in m_nodes if n.startswith("choice_"))
    assert all(d_nodes[n]["shape"] == "diamond" for n in d_nodes if n.startswith("choice_"))
    labels = Counter(label for src, _, label, _ in m_edges if src.startswith("choice_"))
    assert labels == Counter(arm_labels(workflow))
    # start -> ... -> deliver -> end, through every node but the refusal notice
    assert ("deliver", "finish", "", "solid") in m_edges
    from_start = reach(m_edges, "start")
    to_end = reach(m_edges, "finish", backwards=True)
    for node_id in m_nodes:
        if node_id != "refusal":
            assert node_id in from_start, f"{node_id} unreachable from start"
            assert node_id in to_end, f"end unreachable from {node_id}"
    assert not any(src == "refusal" for src, _, _, _ in m_edges)
    if DOT:
        dot_renders(dot_text)
    return m_edges


# -- sample workflows -----------------------------------------------------------------------------

HEAD = """\
onething: 1
id: sample
version: 1
title: 样例 "sample"
lead: window
form:
  fields:
    x: {type: int, default: 0}
    flag: {type: bool, default: false}
    kind: {type: enum, values: [a, 'b|c'], default: a}
"""
TAIL = """\
delivery:
  bundle: [result]
  methods: [window]
"""


def workflow(steps: str) -> Workflow:
    return parse(HEAD + "steps:\n" + steps + TAIL).unwrap()


PARALLEL = """\
  - {id: first, title: 受理审查, department: window}
  - parallel:
      - {id: a, department: d1, produces: [result]}
      - [{id: b1, department: d2}, {id: b2, department: d2}]
      - {id: c, department: d3}
  - {id: last, department: window}
"""

NESTED = """\
  - parallel:
      - - {id: outer_a, department: d1}
        - parallel:
            - {id: inner_a, department: d2}
            - {id: inner_b, department: d3, produces: [result]}
        - {id: outer_a2, department: d1}
      - {id: outer_b, department: d4}
"""

CHOICE = """\
  - {id: intake, department: window}
  - choice:
      - when: "x > 1"
        then: [{id: big, department: d1, produces: [result]}]
      - when: "kind == 'b|c'"
        then: []
      - otherwise:
          - {id: small, department: d2}
          - {id: small2, department: d2}
  - {id: after, department: window}
"""

CHOICE_NO_OTHERWISE = """\
  - choice:
      - when: flag
        then: [{id: flagged, department: d1, produces: [result]}]
  - {id: after, department: window}
"""

WHEN = """\
  - {id: first, department: window}
  - {id: maybe, title: 可选审查, department: d1, when: "flag and x >= 2"}
  - {id: last, department: window, produces: [result]}
"""

GOTO = """\
  - {id: review, department: d1, goto: {refuse: rework}}
  - {id: issue, department: d1, produces: [result], goto: {approve: archive}}
  - {id: rework, department: d2, goto: {approve: review}}
  - {id: archive, department: d3}
"""

OPTIONAL = """\
  - {id: must, department: d1, produces: [result]}
  - {id: nice, department: d2, optional: true}
  - {id: extra, department: d3, optional: true, goto: {approve: last}}
  - {id: skipped_on_approve, department: d3}
  - {id: last, department: d1}
"""

SAMPLES = {
    "parallel": PARALLEL,
    "nested": NESTED,
    "choice": CHOICE,
    "choice-no-otherwise": CHOICE_NO_OTHERWISE,
    "when": WHEN,
    "goto": GOTO,
    "optional": OPTIONAL,
}


def sid(step_id: str) -> str:
    return f"s_{step_id}"


@pytest.fixture(scope="module")
def enterprise() -> Workflow:
    return load(ENTERPRISE)


@pytest.mark.parametrize("refusal_edges", [False, True])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_structure(name: str, refusal_edges: bool) -> None:
    check_structure(workflow(SAMPLES[name]), refusal_edges)


@pytest.mark.parametrize("refusal_edges", [False, True])
def test_enterprise_structure(enterprise: Workflow, refusal_edges: bool) -> None:
    check_structure(enterprise, refusal_edges)


# -- enterprise_startup ---------------------------------------------------------------------------


def test_enterprise_mermaid(enterprise: Workflow) -> None:
    text = render_mermaid(enterprise)
    nodes, edges = mermaid_graph(text)
    assert nodes["start"] == ("([", "submit → window accept (market_regulation)")
    assert nodes[sid("registration")][1] == "设立登记（营业执照）\nmarket_regulation"
    assert nodes[sid("tax")][1] == "发票申领及税务UKey\ntax\nwhen: needs_invoice"
    assert nodes[sid("bank_appointment")][1] == "银行预约开户\nbank\n(optional)"
    assert nodes["deliver"][1] == (
        "deliver: business_licence, seal_set, tax_ukey,\n"
        "invoices, bank_appointment_slip\nvia window, mail"
    )
    assert nodes["finish"] == ("((", "end")
    branches = ["seal", "tax", "social_insurance", "medical_insurance", "housing_fund",
                "bank_appointment"]
    assert edges == [
        ("start", sid("registration"), "", "solid"),
        (sid("registration"), "fork_1", "", "solid"),
        *[("fork_1", sid(b), "", "solid") for b in branches],
        *[edge for b in branches for edge in [(sid(b), "join_1", "", "solid")] + (
            [(sid(b), "join_1", "else: skip", "dashed")] if b == "tax" else [])],
        ("join_1", "deliver", "", "solid"),
        ("deliver", "finish", "", "solid"),
    ]
    # the refusal notice is drawn once, as a legend kept at the bottom by an invisible link
    assert text.count("refusal notice") == 1
    assert "    deliver ~~~ refusal" in text
    assert "(optional)" in nodes["refusal"][1] and "refuse →" in nodes["refusal"][1]
    # the Chinese passes through unchanged (not as entity codes)
    for step in enterprise.iter_steps():
        assert step.title in text
    assert "#" not in "".join(label for _, label in nodes.values())


def test_enterprise_refusal_edges(enterprise: Workflow) -> None:
    _, edges = mermaid_graph(render_mermaid(enterprise, refusal_edges=True))
    refused = {src for src, dst, label, style in edges if dst == "refusal"}
    assert refused == {sid(s.id) for s in enterprise.iter_steps() if not s.optional}
    assert all(label == "refuse" and style == "dotted"
               for _, dst, label, style in edges if dst == "refusal")


def test_enterprise_dot(enterprise: Workflow) -> None:
    text = render_dot(enterprise)
    assert braces_balanced(text)
    assert 'rankdir="TB"' in text and 'charset="UTF-8"' in text
    assert 'label="企业开办一件事 (enterprise start-up)"' in text
    nodes, edges = dot_graph(text)
    for bar in ("fork_1", "join_1"):
        assert nodes[bar]["shape"] == "box"
        assert nodes[bar]["style"] == "filled"
        assert nodes[bar]["height"] == "0.1"
    assert nodes[sid("bank_appointment")]["style"] == "rounded,dashed"
    assert (sid("tax"), "join_1", "else: skip", "dashed") in edges
    assert "设立登记（营业执照）" in text


@pytest.mark.skipif(DOT is None, reason="graphviz 'dot' is not installed")
def test_enterprise_dot_renders(enterprise: Workflow) -> None:
    dot_renders(render_dot(enterprise))


def test_render_dispatch(enterprise: Workflow) -> None:
    assert FORMATS == ("mermaid", "dot", "svg")
    assert render(enterprise) == render_mermaid(enterprise)
    assert render(enterprise, "dot") == render_dot(enterprise)
    with pytest.raises(ValueError, match="unknown graph format"):
        render(enterprise, "png")


# -- ordering of the blocks -----------------------------------------------------------------------


def test_parallel_order() -> None:
    edges = check_structure(workflow(PARALLEL))
    assert edges == [
        ("start", sid("first"), "", "solid"),
        (sid("first"), "fork_1", "", "solid"),
        ("fork_1", sid("a"), "", "solid"),
        ("fork_1", sid("b1"), "", "solid"),
        ("fork_1", sid("c"), "", "solid"),
        (sid("a"), "join_1", "", "solid"),
        (sid("b1"), sid("b2"), "", "solid"),
        (sid("b2"), "join_1", "", "solid"),
        (sid("c"), "join_1", "", "solid"),
        ("join_1", sid("last"), "", "solid"),
        (sid("last"), "deliver", "", "solid"),
        ("deliver", "finish", "", "solid"),
    ]


def test_nested_parallel_order() -> None:
    edges = set(check_structure(workflow(NESTED)))
    plain = {(src, dst) for src, dst, _, _ in edges}
    assert plain == {
        ("start", "fork_1"),
        ("fork_1", sid("outer_a")), ("fork_1", sid("outer_b")),
        (sid("outer_a"), "fork_2"),
        ("fork_2", sid("inner_a")), ("fork_2", sid("inner_b")),
        (sid("inner_a"), "join_2"), (sid("inner_b"), "join_2"),
        ("join_2", sid("outer_a2")),
        (sid("outer_a2"), "join_1"), (sid("outer_b"), "join_1"),
        ("join_1", "deliver"), ("deliver", "finish"),
    }
    # the inner block's nodes sit inside the outer one's, in document order
    text = render_mermaid(workflow(NESTED))
    order = [line.split("{")[0].split("[")[0].strip() for line in text.splitlines()
             if MERMAID_NODE.match(line)]
    assert order.index("fork_1") < order.index("fork_2") < order.index("join_2") \
        < order.index("join_1")


def test_choice_arms_and_otherwise() -> None:
    edges = check_structure(workflow(CHOICE))
    assert [e for e in edges if e[0] == "choice_1"] == [
        ("choice_1", sid("big"), "x > 1", "solid"),
        ("choice_1", sid("after"), "kind == 'b|c'", "solid"),  # an empty arm goes straight on
        ("choice_1", sid("small"), "otherwise", "solid"),
    ]
    assert (sid("big"), sid("after"), "", "solid") in edges
    assert (sid("small"), sid("small2"), "", "solid") in edges
    assert (sid("small2"), sid("after"), "", "solid") in edges
    assert ("#124;" in render_mermaid(workflow(CHOICE)))  # '|' would end the edge label


def test_choice_without_otherwise_has_no_fallthrough() -> None:
    edges = check_structure(workflow(CHOICE_NO_OTHERWISE))
    assert [e for e in edges if e[0] == "choice_1"] == [("choice_1", sid("flagged"), "flag",
                                                         "solid")]


def test_when_step_has_dashed_skip() -> None:
    wf = workflow(WHEN)
    edges = check_structure(wf)
    assert (sid("first"), sid("maybe"), "", "solid") in edges
    assert (sid("maybe"), sid("last"), "", "solid") in edges
    assert (sid("maybe"), sid("last"), "else: skip", "dashed") in edges
    text = render_mermaid(wf)
    assert "when: flag and x #gt;= 2" in text
    assert sum(1 for e in edges if e[3] == "dashed") == 1


def test_goto_jumps_are_dotted() -> None:
    edges = check_structure(workflow(GOTO))
    assert edges == [
        ("start", sid("review"), "", "solid"),
        (sid("review"), sid("issue"), "", "solid"),
        (sid("review"), sid("rework"), "refuse →", "dotted"),
        (sid("issue"), sid("archive"), "approve →", "dotted"),  # and no plain edge to rework
        (sid("rework"), sid("review"), "approve →", "dotted"),
        (sid("archive"), "deliver", "", "solid"),
        ("deliver", "finish", "", "solid"),
    ]
    _, with_refusal = mermaid_graph(render_mermaid(workflow(GOTO), refusal_edges=True))
    # review refuses into rework, so only the others can end in the refusal notice
    assert {src for src, dst, _, _ in with_refusal if dst == "refusal"} == {
        sid("issue"), sid("rework"), sid("archive")}


def test_optional_steps() -> None:
    wf = workflow(OPTIONAL)
    edges = check_structure(wf, refusal_edges=True)
    assert (sid("must"), "refusal", "refuse", "dotted") in edges
    assert not any(src in (sid("nice"), sid("extra")) and dst == "refusal"
                   for src, dst, _, _ in edges)
    assert (sid("nice"), sid("extra"), "", "solid") in edges
    # an optional step that jumps on approve still goes on when refused
    assert (sid("extra"), sid("last"), "approve →", "dotted") in edges
    assert (sid("extra"), sid("skipped_on_approve"), "refused: go on", "solid") in edges
    nodes, _ = mermaid_graph(render_mermaid(wf))
    assert nodes[sid("nice")][1].endswith("\n(optional)")
    assert "class s_nice,s_extra optional" in render_mermaid(wf)


def test_no_refusal_node_when_nothing_can_be_refused() -> None:
    wf = workflow("  - {id: only, department: d1, optional: true, produces: [result]}\n")
    for refusal_edges in (False, True):
        assert "refusal" not in render_mermaid(wf, refusal_edges=refusal_edges)
        assert "refusal" not in render_dot(wf, refusal_edges=refusal_edges)


# -- escaping and safety --------------------------------------------------------------------------

TRICKY = """\
  - id: end
    title: '审批 "quoted" #1 <b>bold</b> a|b `code` back\\slash & more; %% {x}'
    department: d1
    when: 'kind == "b|c"'
    produces: [result]
  - id: subgraph
    department: d2
    optional: true
"""


def test_labels_are_escaped_and_round_trip() -> None:
    wf = workflow(TRICKY)
    title = wf.step("end").title
    assert '"' in title and "\\" in title and "|" in title
    text = render_mermaid(wf)
    nodes, _ = mermaid_graph(text)
    assert nodes["s_end"][1] == f'{title}\nd1\nwhen: kind == "b|c"'
    assert "s_subgraph" in nodes
    assert not re.search(r"^\s*end\b", text, re.MULTILINE)  # 'end' is a Mermaid keyword
    for line in text.splitlines():
        if MERMAID_NODE.match(line) or MERMAID_EDGE.match(line):
            body = re.sub(r'"[^"]*"', '""', line)  # outside the quoted labels
            assert re.fullmatch(r"[\w \-.>~|()\[\]{}/\"]*", body), line
    d_nodes, _ = dot_graph(render_dot(wf))
    assert d_nodes["s_end"]["label"] == f'{title}\nd1\nwhen: kind == "b|c"'
    assert 'label="样例 \\"sample\\""' in render_dot(wf)
    check_structure(wf)


def test_no_form_values_or_field_labels() -> None:
    secret = "张三的身份证号"
    wf = parse(HEAD.replace("x: {type: int, default: 0}",
                            f"x: {{type: int, default: 4242, label: {secret}}}")
               + "steps:\n" + WHEN + TAIL).unwrap()
    for fmt in FORMATS:
        text = render(wf, fmt)
        assert secret not in text and "4242" not in text


# -- random nested workflows ----------------------------------------------------------------------

CONDITIONS = ["x > 1", "flag", "kind == 'b|c'", 'kind != "a"', "not flag or x == 0"]
TITLES = ["", "审批", 'a "q" #1 <b>', "x|y`z\\", "end"]

leaf = st.tuples(st.just("step"), st.booleans(), st.none() | st.sampled_from(CONDITIONS),
                 st.sampled_from(TITLES), st.booleans())


def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    seqs = st.lists(children, min_size=1, max_size=3)
    parallels = st.tuples(st.just("parallel"), st.lists(seqs, min_size=2, max_size=3))
    arms = st.lists(st.tuples(st.sampled_from(CONDITIONS), st.lists(children, max_size=2)),
                    min_size=1, max_size=3)
    choices = st.tuples(st.just("choice"), arms, st.none() | st.lists(children, max_size=2))
    return parallels | choices


blocks = st.recursive(leaf, extend, max_leaves=14)


def to_yaml(items: list[Any], counter: list[int]) -> list[dict[str, Any]]:
    """Blocks as YAML data; a step may jump on refuse back to the first step of its list."""
    out: list[dict[str, Any]] = []
    first: str | None = None
    for item in items:
        if item[0] == "step":
            _, optional, when, title, jump = item
            counter[0] += 1
            step: dict[str, Any] = {"id": f"s{counter[0]}", "department": f"d{counter[0] % 3}"}
            if title:
                step["title"] = title
            if optional:
                step["optional"] = True
            if when:
                step["when"] = when
            if jump and not optional and first is not None:
                step["goto"] = {"refuse": first}
            first = first or step["id"]
            out.append(step)
        elif item[0] == "parallel":
            out.append({"parallel": [to_yaml(branch, counter) for branch in item[1]]})
        else:
            arms: list[dict[str, Any]] = [{"when": cond, "then": to_yaml(body, counter)}
                                          for cond, body in item[1]]
            if item[2] is not None:
                arms.append({"otherwise": to_yaml(item[2], counter)})
            out.append({"choice": arms})
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(blocks, min_size=1, max_size=4), st.booleans())
def test_random_nested_workflows(items: list[Any], refusal_edges: bool) -> None:
    counter = [0]
    steps = to_yaml(items, counter)
    steps.append({"id": "final", "department": "window", "produces": ["result"]})
    text = HEAD + yaml.safe_dump({"steps": steps, "delivery": {"bundle": ["result"]}},
                                 allow_unicode=True, sort_keys=False)
    wf = parse(text).unwrap()
    assert counts(wf)["step"] == counter[0] + 1
    check_structure(wf, refusal_edges)
