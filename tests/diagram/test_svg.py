"""The SVG diagram: parsed back as XML and checked against the graph it is drawn from."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.factories import ROOT, WORKFLOWS, personal_conditions
from tests.support.workflow_gen import Wf, workflows
from tests.support.workflow_gen import render as yaml_of

from onething.cli import cli
from onething.diagram import FORMATS, render
from onething.diagram.graph import INVISIBLE, diagram
from onething.diagram.svg import render_svg, text_width
from onething.language.load import load, parse
from onething.language.model import Workflow
from onething.privacy.numbers import id_card_check_char

NS = "{http://www.w3.org/2000/svg}"
ENTERPRISE = ROOT / "workflows" / "enterprise_startup.yaml"
Box = tuple[float, float, float, float]  # left, top, right, bottom

HEAD = """\
onething: 1
id: sample
version: 1
title: 样例 <"sample"> & more
lead: window
form:
  fields:
    x: {type: int, default: 0}
    flag: {type: bool, default: false}
    kind: {type: enum, values: [a, 'b|c'], default: a}
steps:
"""
TAIL = """\
delivery:
  bundle: [result]
  methods: [window]
"""
SAMPLES = {
    "goto": """\
  - {id: review, department: d1, goto: {refuse: rework}}
  - {id: issue, department: d1, produces: [result], goto: {approve: archive}}
  - {id: rework, department: d2, goto: {approve: review}}
  - {id: archive, department: d3}
""",
    "send-back": """\
  - {id: intake, department: window}
  - parallel:
      - {id: a, department: d1}
      - {id: b, department: d2}
      - {id: c, department: d3}
  - {id: decide, department: window, produces: [result], send_back: {to: [a, c]}}
""",
    "choice": """\
  - {id: intake, department: window}
  - choice:
      - when: "x > 1"
        then: [{id: big, department: d1, produces: [result]}]
      - when: "kind == 'b|c'"
        then: []
      - otherwise:
          - {id: small, title: 小额审查 <快速>, department: d2}
          - {id: small2, department: d2, when: "flag and x >= 2"}
  - {id: after, department: window}
""",
    "optional": """\
  - {id: must, department: d1, produces: [result]}
  - {id: nice, department: d2, optional: true}
  - {id: extra, department: d3, optional: true, goto: {approve: last}}
  - {id: skipped_on_approve, department: d3}
  - {id: last, department: d1}
""",
    "tricky": """\
  - id: end
    title: '审批 "quoted" #1 <b>bold</b> a|b `code` back\\\\slash & more; %% {x} ]]>'
    department: d1
    when: 'kind == "b|c"'
    produces: [result]
""",
}


def sample(name: str) -> Workflow:
    return parse(HEAD + SAMPLES[name] + TAIL).unwrap()


@cache
def enterprise() -> Workflow:
    return load(ENTERPRISE)


# -- reading the SVG back ---------------------------------------------------------------------


def classes(element: ET.Element) -> list[str]:
    return (element.get("class") or "").split()


def node_groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-node", ""): g for g in root.iter(f"{NS}g") if "node" in classes(g)}


def edge_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if "edge" in classes(g)]


def lines_of(group: ET.Element) -> list[str]:
    return [span.text or "" for span in group.iter(f"{NS}tspan")]


def box_of(group: ET.Element) -> Box:
    """The bounding box of a node's shape (its first child): rect, polygon or circle."""
    shape = group[0]
    if shape.tag == f"{NS}rect":
        x, y = float(shape.get("x", "")), float(shape.get("y", ""))
        return x, y, x + float(shape.get("width", "")), y + float(shape.get("height", ""))
    if shape.tag == f"{NS}polygon":
        points = [tuple(map(float, p.split(","))) for p in shape.get("points", "").split()]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return min(xs), min(ys), max(xs), max(ys)
    assert shape.tag == f"{NS}circle", shape.tag
    cx, cy, r = (float(shape.get(a, "")) for a in ("cx", "cy", "r"))
    return cx - r, cy - r, cx + r, cy + r


def path_points(path: ET.Element) -> list[tuple[float, float]]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_svg(workflow: Workflow, text: str, refusal_edges: bool = False) -> ET.Element:
    """Every promise the drawing makes about ``workflow``; returns the parsed document."""
    root = ET.fromstring(text)  # well-formed, or this raises
    assert root.tag == f"{NS}svg" and root.get("version") == "1.1"
    left, top, width, height = map(float, root.get("viewBox", "").split())
    assert (left, top) == (0, 0)
    assert (float(root.get("width", "")), float(root.get("height", ""))) == (width, height)
    assert root.findtext(f"{NS}title") == workflow.title
    family = root.get("font-family", "")
    for font in ("'Noto Sans CJK SC'", "'Noto Sans SC'", "'Microsoft YaHei'", "sans-serif"):
        assert font in family

    def inside(x: float, y: float) -> bool:
        return 0 <= x <= width and 0 <= y <= height

    graph = diagram(workflow, refusal_edges=refusal_edges)
    groups = node_groups(root)
    assert list(groups) == [node.id for node in graph.nodes]
    assert {g.get("data-step"): node for node, g in groups.items()
            if g.get("data-step") is not None} == graph.step_nodes
    boxes: dict[str, Box] = {}
    for node in graph.nodes:
        group = groups[node.id]
        assert classes(group)[:2] == ["node", node.kind]
        assert lines_of(group) == list(node.lines)  # every line, unescaped, in order
        boxes[node.id] = box = box_of(group)
        assert inside(box[0], box[1]) and inside(box[2], box[3]), (node.id, box, width, height)
    for a, b in itertools.combinations(graph.nodes, 2):
        assert not overlap(boxes[a.id], boxes[b.id]), (a.id, b.id)
    # a rank is the nodes sharing a centre line; they stand left to right in document order
    ranks: dict[float, list[str]] = {}
    for node in graph.nodes:
        ranks.setdefault(round((boxes[node.id][1] + boxes[node.id][3]) / 2, 1), []).append(
            node.id)
    for members in ranks.values():
        assert sorted(members, key=lambda n: boxes[n][0]) == members
    # every visible edge once, with its label and style, an arrowhead, inside the picture
    markers = {m.get("id") for m in root.iter(f"{NS}marker")}
    drawn = []
    for group in edge_groups(root):
        src, dst = group.get("data-src", ""), group.get("data-dst", "")
        label = group.findtext(f"{NS}text") or ""
        drawn.append((src, dst, label, classes(group)[1]))
        path = group.find(f"{NS}path")
        assert path is not None
        assert re.fullmatch(r"url\(#(.+)\)", path.get("marker-end", ""))[1] in markers
        points = path_points(path)
        assert all(inside(x, y) for x, y in points)
        if "back" in classes(group):  # round the right side of every box
            assert max(x for x, _ in points) > max(box[2] for box in boxes.values())
        else:  # from the bottom of its source down to the top of its target
            assert points[0][1] == pytest.approx(boxes[src][3], abs=0.1)
            assert points[-1][1] == pytest.approx(boxes[dst][1], abs=0.1)
            assert points[-1][1] > points[0][1]
        for rect in group.iter(f"{NS}rect"):  # a label's background
            x, y = float(rect.get("x", "")), float(rect.get("y", ""))
            assert inside(x, y) and inside(x + float(rect.get("width", "")),
                                           y + float(rect.get("height", "")))
    visible = [(e.src, e.dst, e.label, e.style) for e in graph.edges if e.style != INVISIBLE]
    assert Counter(drawn) == Counter(visible)
    return root


# -- every shipped workflow and the samples ----------------------------------------------------


@pytest.mark.parametrize("refusal_edges", [False, True])
@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_every_shipped_workflow_is_drawn_whole(path: Path, refusal_edges: bool) -> None:
    workflow = load(path)
    root = check_svg(workflow, render_svg(workflow, refusal_edges=refusal_edges),
                     refusal_edges)
    for step in workflow.iter_steps():
        assert (step.title or step.id) in "".join(root.itertext())


@pytest.mark.parametrize("refusal_edges", [False, True])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_are_drawn_whole(name: str, refusal_edges: bool) -> None:
    workflow = sample(name)
    check_svg(workflow, render_svg(workflow, refusal_edges=refusal_edges), refusal_edges)


def test_jumps_back_go_round_the_side() -> None:
    back = {name: {(g.get("data-src"), g.get("data-dst"))
                   for g in edge_groups(ET.fromstring(render_svg(sample(name))))
                   if "back" in classes(g)}
            for name in ("goto", "send-back", "choice")}
    assert back == {"goto": {("s_rework", "s_review")},
                    "send-back": {("s_decide", "s_a"), ("s_decide", "s_c")},
                    "choice": set()}


def test_a_parallel_block_is_one_rank_and_the_nodes_are_sized_to_their_text() -> None:
    groups = node_groups(ET.fromstring(render_svg(enterprise())))
    branches = ["seal", "tax", "social_insurance", "medical_insurance", "housing_fund",
                "bank_appointment"]
    boxes = [box_of(groups[f"s_{b}"]) for b in branches]
    assert len({(box[1] + box[3]) / 2 for box in boxes}) == 1
    assert [box[0] for box in boxes] == sorted(box[0] for box in boxes)
    widths = {b: box[2] - box[0] for b, box in zip(branches, boxes, strict=True)}
    assert widths["seal"] > widths["medical_insurance"]  # 13 CJK characters against 4
    assert text_width("企业开办", 13) == 4 * 13 > text_width("abcd", 13)


def test_labels_and_titles_are_escaped() -> None:
    workflow = sample("tricky")
    text = render_svg(workflow)
    root = check_svg(workflow, text)
    assert "<b>" not in text and "]]>" not in text
    assert lines_of(node_groups(root)["s_end"])[0] == workflow.step("end").title
    assert root.findtext(f"{NS}title") == '样例 <"sample"> & more'
    odd = render_svg(workflow, title='a\x01b "c"\nd')  # characters XML 1.0 cannot hold
    assert ET.fromstring(odd).findtext(f"{NS}title") == 'a\ufffdb "c" d'


def test_the_title_can_be_replaced() -> None:
    root = ET.fromstring(render_svg(enterprise(), title="案件 C-1 的进度"))
    assert root.findtext(f"{NS}title") == "案件 C-1 的进度"
    assert "案件 C-1 的进度" in [t.text for t in root.iter(f"{NS}text")]


# -- a case's position ------------------------------------------------------------------------


def marked(root: ET.Element) -> dict[str, set[str]]:
    groups = node_groups(root).values()
    found = {mark: {g.get("data-step", "") for g in groups if mark in classes(g)}
             for mark in ("current", "done")}
    assert all(g.get("data-step") for g in groups if {"current", "done"} & set(classes(g)))
    return found


def test_current_and_done_mark_exactly_the_given_steps() -> None:
    text = render_svg(enterprise(), current=["seal", "tax"], done=iter(["registration"]))
    root = check_svg(enterprise(), text)
    assert marked(root) == {"current": {"seal", "tax"}, "done": {"registration"}}
    groups = node_groups(root)
    strokes = {node: float(g[0].get("stroke-width", "")) for node, g in groups.items()}
    fills = {node: g[0].get("fill") for node, g in groups.items()}
    assert strokes["s_seal"] == strokes["s_tax"] > max(
        w for node, w in strokes.items() if node not in ("s_seal", "s_tax"))
    assert fills["s_seal"] == fills["s_tax"] != fills["s_registration"] != fills["s_housing_fund"]


def test_a_step_sent_back_after_its_decision_is_drawn_current() -> None:
    both = render_svg(enterprise(), current=["seal"], done=["seal", "tax"])
    groups = node_groups(ET.fromstring(both))
    current = node_groups(ET.fromstring(render_svg(enterprise(), current=["seal"])))
    assert classes(groups["s_seal"])[-2:] == ["done", "current"]
    assert groups["s_seal"][0].attrib == current["s_seal"][0].attrib


def test_an_unknown_step_is_refused() -> None:
    # a page that passes a step the workflow does not have is showing the wrong version:
    # drawing it without the position would mislead the applicant
    with pytest.raises(ValueError, match=r"current: not a step of enterprise-startup@\d+: nope"):
        render_svg(enterprise(), current=["seal", "nope"])
    with pytest.raises(ValueError, match="done: not a step"):
        render_svg(enterprise(), done=["s_seal"])  # a node id is not a step id
    with pytest.raises(TypeError, match="not one string"):
        render_svg(enterprise(), current="seal")


STEP_IDS = [step.id for step in enterprise().iter_steps()]


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from(STEP_IDS)), st.sets(st.sampled_from(STEP_IDS)))
def test_any_steps_mark_exactly_themselves(current: set[str], done: set[str]) -> None:
    root = ET.fromstring(render_svg(enterprise(), current=current, done=done))
    assert marked(root) == {"current": current, "done": done}


# -- determinism, privacy, random workflows -------------------------------------------------


def test_the_same_input_gives_the_same_bytes() -> None:
    first = render_svg(enterprise(), current=["tax", "seal"], done=["registration"])
    again = render_svg(load(ENTERPRISE), current=("seal", "tax"), done={"registration"})
    assert first == again
    script = ("import sys; from onething.language.load import load; "
              "from onething.diagram.svg import render_svg; "
              "sys.stdout.write(render_svg(load(sys.argv[1]), current=['seal', 'tax'], "
              "done=['registration']))")
    other = subprocess.run([sys.executable, "-c", script, str(ENTERPRISE)], check=True,
                           capture_output=True, env={**os.environ, "PYTHONHASHSEED": "4321"})
    assert other.stdout.decode() == first


def test_no_personal_number_is_drawn() -> None:
    numbers = {"id": (f := "11010519491231002") + id_card_check_char(f),
               "new_id": (g := "43038119900101123") + id_card_check_char(g),
               "phone": "13812345678"}
    workflow = personal_conditions(numbers)
    drawn = render_svg(workflow, refusal_edges=True, current=["a"],
                       title=f"申请人 {numbers['id']} 电话 {numbers['phone']}")
    check_svg(workflow, render_svg(workflow))
    for raw in numbers.values():
        assert raw not in drawn and raw[:3] + " " + raw[3:7] not in drawn
    assert "holder_id == '" in drawn and "note == '*'" in drawn


SUPPRESS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]


@settings(max_examples=40, deadline=None, suppress_health_check=SUPPRESS)
@given(workflows(), st.booleans())
def test_generated_workflows_are_drawn_whole(wf: Wf, refusal_edges: bool) -> None:
    workflow = parse(yaml_of(wf), "<generated>").unwrap()
    check_svg(workflow, render_svg(workflow, refusal_edges=refusal_edges), refusal_edges)


# -- the faces: render() and the command line ---------------------------------------------------


def test_render_draws_svg() -> None:
    assert "svg" in FORMATS
    assert render(enterprise(), "svg") == render_svg(enterprise())
    assert render(enterprise(), "svg", refusal_edges=True) == render_svg(enterprise(),
                                                                         refusal_edges=True)


def test_the_graph_command_draws_svg() -> None:
    result = CliRunner().invoke(cli, ["graph", str(ENTERPRISE), "--format", "svg"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith("<svg ")
    check_svg(enterprise(), result.output)
    assert result.output.strip() + "\n" == render_svg(enterprise())
    assert "mermaid|dot|svg" in CliRunner().invoke(cli, ["graph", "--help"]).output
