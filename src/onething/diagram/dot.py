"""Drawing a workflow's diagram as Graphviz DOT."""

from __future__ import annotations

import re

from onething.diagram.graph import DASHED, DOTTED, INVISIBLE, SOLID, diagram
from onething.language.model import Workflow

_DOT_NODE_ATTRS = {
    "start": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f5e9"},
    "step": {"shape": "box", "style": "rounded"},
    "fork": {"shape": "box", "style": "filled", "fillcolor": "black", "height": "0.1",
             "width": "1.5", "fixedsize": "true"},
    "join": {"shape": "box", "style": "filled", "fillcolor": "black", "height": "0.1",
             "width": "1.5", "fixedsize": "true"},
    "choice": {"shape": "diamond"},
    "deliver": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e3f2fd"},
    "end": {"shape": "doublecircle", "width": "0.3"},
    "refusal": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fdecea",
                "color": "#c62828"},
    "stage": {"shape": "parallelogram", "style": "filled", "fillcolor": "#fff8e1"},
}


_DOT_EDGE_STYLES = {SOLID: None, DASHED: "dashed", DOTTED: "dotted", INVISIBLE: "invis"}


def _dot_escape(text: str) -> str:
    text = re.sub(r"[\r\n\t]", " ", text)
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot_string(text: str) -> str:
    """``text`` as a double-quoted DOT string (one line; UTF-8 left as is)."""
    return f'"{_dot_escape(text)}"'


def dot_label(lines: tuple[str, ...]) -> str:
    """Label lines as one double-quoted DOT string, joined by DOT's ``\\n`` line break."""
    return '"' + "\\n".join(_dot_escape(line) for line in lines) + '"'


def _dot_attrs(attrs_: dict[str, str]) -> str:
    return ", ".join(f"{key}={dot_string(value)}" for key, value in attrs_.items())


def render_dot(workflow: Workflow, *, refusal_edges: bool = False) -> str:
    """The workflow as a Graphviz ``digraph`` (``rankdir=TB``); see the module docstring.

    Fork and join nodes are small black bars, decisions diamonds, skips dashed and jumps dotted.
    """
    graph = diagram(workflow, refusal_edges=refusal_edges)
    settings = {"rankdir": "TB", "charset": "UTF-8", "labelloc": "t", "label": graph.title}
    out = [
        f"digraph {dot_string(graph.name)} {{",
        f"    graph [{_dot_attrs(settings)}];",
        '    node [fontsize="11"];',
        '    edge [fontsize="10"];',
    ]
    for node in graph.nodes:
        attrs_ = dict(_DOT_NODE_ATTRS[node.kind])
        if node.kind in ("fork", "join"):  # a bar: the text goes to the tooltip
            label = '""'
            attrs_["tooltip"] = node.lines[0]
            if len(node.lines) > 1:  # what the block does besides running its branches
                attrs_["xlabel"] = " ".join(node.lines[1:])
        else:
            label = dot_label(node.lines)
        if node.optional:
            attrs_["style"] = "rounded,dashed"
        out.append(f"    {dot_string(node.id)} [label={label}, {_dot_attrs(attrs_)}];")
    for edge in graph.edges:
        attrs_ = {}
        if edge.label:
            attrs_["label"] = edge.label
        style = _DOT_EDGE_STYLES[edge.style]
        if style:
            attrs_["style"] = style
        suffix = f" [{_dot_attrs(attrs_)}]" if attrs_ else ""
        out.append(f"    {dot_string(edge.src)} -> {dot_string(edge.dst)}{suffix};")
    out.append("}")
    return "\n".join(out) + "\n"
