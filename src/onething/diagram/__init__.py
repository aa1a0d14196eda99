"""Diagrams of workflows: one intermediate graph (:mod:`onething.diagram.graph`) drawn by one
renderer per format, Mermaid (:mod:`~onething.diagram.mermaid`) and Graphviz DOT
(:mod:`~onething.diagram.dot`), so both always show the same nodes and edges."""

from __future__ import annotations

from onething.diagram.dot import render_dot
from onething.diagram.graph import Diagram, Edge, Node, diagram
from onething.diagram.mermaid import render_mermaid
from onething.language.model import Workflow

__all__ = ["FORMATS", "Diagram", "Edge", "Node", "diagram", "render", "render_dot",
           "render_mermaid"]

#: the formats :func:`render` draws
FORMATS = ("mermaid", "dot")


def render(workflow: Workflow, fmt: str = "mermaid", *, refusal_edges: bool = False) -> str:
    """Render ``workflow`` as ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "mermaid":
        return render_mermaid(workflow, refusal_edges=refusal_edges)
    if fmt == "dot":
        return render_dot(workflow, refusal_edges=refusal_edges)
    raise ValueError(f"unknown graph format {fmt!r}; expected one of {', '.join(FORMATS)}")
