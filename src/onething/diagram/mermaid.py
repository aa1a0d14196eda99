"""Drawing a workflow's diagram as Mermaid (``flowchart TD``), which GitHub renders."""

from __future__ import annotations

import re

from onething.diagram.graph import DASHED, DOTTED, INVISIBLE, SOLID, diagram
from onething.language.model import Workflow

#: characters Mermaid reads inside a quoted label, as its entity codes
_MERMAID_ESCAPES = str.maketrans({
    "#": "#35;",
    '"': "#quot;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "|": "#124;",
    "`": "#96;",
    "\n": " ",
    "\r": " ",
    "\t": " ",
})


_MERMAID_SHAPES = {
    "start": ('(["', '"])'),
    "step": ('["', '"]'),
    "fork": ('{{"', '"}}'),
    "join": ('{{"', '"}}'),
    "choice": ('{"', '"}'),
    "deliver": ('("', '")'),
    "end": ('(("', '"))'),
    "refusal": ('(["', '"])'),
    "stage": ('[/"', '"/]'),
}


_MERMAID_ARROWS = {SOLID: "-->", DASHED: "-.->", DOTTED: "-.->", INVISIBLE: "~~~"}


_MERMAID_CLASSES = {
    "optional": "stroke-dasharray: 6 4",
    "conditional": "fill:#f6f8fa",
    "bar": "fill:#222,stroke:#222,color:#fff",
    "decision": "fill:#fff8e1,stroke:#b58900",
    "terminal": "fill:#e8f5e9,stroke:#2e7d32",
    "refused": "fill:#fdecea,stroke:#c62828,color:#c62828",
}


def mermaid_text(text: str) -> str:
    """``text`` made safe inside a double-quoted Mermaid label (entity codes, one line)."""
    return text.translate(_MERMAID_ESCAPES)


def render_mermaid(workflow: Workflow, *, refusal_edges: bool = False) -> str:
    """The workflow as a Mermaid ``flowchart TD`` (renders on GitHub without graphviz).

    See the module docstring for what is drawn. Dashed ``else: skip`` edges and dotted jumps
    are both Mermaid ``-.->`` links; the skips get a longer dash through ``linkStyle``.
    """
    graph = diagram(workflow, refusal_edges=refusal_edges)
    out = ["flowchart TD", f"    %% onething workflow {_comment(graph.name)}"]
    for node in graph.nodes:
        opening, closing = _MERMAID_SHAPES[node.kind]
        label = "<br/>".join(mermaid_text(line) for line in node.lines)
        out.append(f"    {node.id}{opening}{label}{closing}")
    dashed = []
    for index, edge in enumerate(graph.edges):
        arrow = _MERMAID_ARROWS[edge.style]
        label = f'|"{mermaid_text(edge.label)}"|' if edge.label else ""
        out.append(f"    {edge.src} {arrow}{label} {edge.dst}")
        if edge.style == DASHED:
            dashed.append(str(index))
    if dashed:
        out.append(f"    linkStyle {','.join(dashed)} stroke-dasharray: 8 4")
    members: dict[str, list[str]] = {name: [] for name in _MERMAID_CLASSES}
    for node in graph.nodes:
        if node.optional:
            members["optional"].append(node.id)
        if node.conditional:
            members["conditional"].append(node.id)
        kind_class = {"fork": "bar", "join": "bar", "choice": "decision", "start": "terminal",
                      "end": "terminal", "refusal": "refused"}.get(node.kind)
        if kind_class:
            members[kind_class].append(node.id)
    for name, style in _MERMAID_CLASSES.items():
        if members[name]:
            out.append(f"    classDef {name} {style}")
            out.append(f"    class {','.join(members[name])} {name}")
    return "\n".join(out) + "\n"


def _comment(text: str) -> str:
    return re.sub(r"[^\w.@-]", "_", text)
