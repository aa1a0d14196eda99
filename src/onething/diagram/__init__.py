"""Diagrams of workflows: one intermediate graph (:mod:`onething.diagram.graph`) drawn by one
renderer per format, Mermaid (:mod:`~onething.diagram.mermaid`), Graphviz DOT
(:mod:`~onething.diagram.dot`) and SVG (:mod:`~onething.diagram.svg`, laid out in Python and
able to mark a case's position), so all show the same nodes and edges."""

from __future__ import annotations

from onething.diagram.dot import render_dot
from onething.diagram.graph import Diagram, Edge, Node, diagram
from onething.diagram.mermaid import render_mermaid
from onething.diagram.svg import render_svg
from onething.language.model import Workflow

__all__ = ["FORMATS", "Diagram", "Edge", "Node", "diagram", "render", "render_dot",
           "render_mermaid", "render_svg"]

#: the formats :func:`render` draws
FORMATS = ("mermaid", "dot", "svg")


def render(workflow: Workflow, fmt: str = "mermaid", *, refusal_edges: bool = False) -> str:
    """Render ``workflow`` as ``fmt`` (one of :data:`FORMATS`).

    To mark a case's position on an SVG diagram, call :func:`render_svg` with ``current`` and
    ``done``.
    """
    if fmt == "mermaid":
        return render_mermaid(workflow, refusal_edges=refusal_edges)
    if fmt == "dot":
        return render_dot(workflow, refusal_edges=refusal_edges)
    if fmt == "svg":
        return render_svg(workflow, refusal_edges=refusal_edges)
    raise ValueError(f"unknown graph format {fmt!r}; expected one of {', '.join(FORMATS)}")
