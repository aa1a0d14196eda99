"""Drawing a workflow's diagram as a self-contained SVG 1.1 image, with a case's position on it.

The layout is computed here, in Python, so a web page can show the diagram with no JavaScript
and no external program (no Graphviz, no Mermaid). It is a layered top-to-bottom layout:

* the back edges are the ``goto:`` jumps and send-backs to an earlier step (in document
  order, which every other edge follows); without them the graph is acyclic, and a node's
  rank is the longest path to it from ``start``;
* the nodes of a rank stand side by side in document order; an edge that spans several ranks
  passes through a slot on every rank between, so it never crosses a box;
* horizontal positions are improved by sweeps down and up that pull each node towards the mean
  of its neighbours, keeping the order and the gaps (an isotonic regression per rank);
* a box is as wide as its longest line, counting CJK (full-width) characters as one em and
  the others as 0.62 em;
* forward edges are smooth curves with arrowheads, solid, dashed (``else: skip``) or dotted
  (jumps and outcomes), labelled just below their source, or for a choice's arms just above
  the arm; labels that would overlap go on rows of their own. Back edges go round the right
  side of the drawing.

What is drawn is the intermediate graph (:func:`~onething.diagram.graph.diagram`), masked as
there; the title is masked too, so no identity or phone number is ever drawn. The steps a case
waits on (``current``) are filled orange with a thick border and carry ``class="current"``;
decided steps (``done``) are tinted green and carry ``class="done"``. A step id that is not a
step of the workflow is refused (:class:`ValueError`): it means the wrong workflow or version
was passed, and a diagram that silently showed no position would mislead. Every step is a
``<g class="node step ..." data-step="<step id>">``, every edge a ``<g class="edge <style>"
data-src=... data-dst=...>``; all presentation is in attributes (no stylesheet), so several
diagrams can share one page. The same input gives the same bytes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise
from statistics import fmean
from xml.sax.saxutils import escape, quoteattr

from onething.diagram.graph import DASHED, DOTTED, INVISIBLE, Diagram, Edge, Node, diagram
from onething.language.model import Workflow
from onething.privacy.masking import mask_text

FONT_FAMILY = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"
FONT, LABEL_FONT, TITLE_FONT = 13, 11, 16  # px
LINE, LABEL_LINE = 18, 15  # px between baselines
PAD_X, PAD_Y, H_GAP, V_GAP, MARGIN = 12, 8, 28, 46, 20
EDGE_COLOUR, JUMP_COLOUR = "#546e7a", "#8e24aa"

#: kind -> (fill, stroke, text colour)
_KIND_STYLE = {
    "start": ("#eceff1", "#546e7a", "#263238"),
    "step": ("#ffffff", "#37474f", "#212121"),
    "fork": ("#37474f", "#37474f", "#ffffff"),
    "join": ("#37474f", "#37474f", "#ffffff"),
    "choice": ("#fff8e1", "#b58900", "#5d4037"),
    "deliver": ("#e3f2fd", "#1565c0", "#0d47a1"),
    "end": ("#eceff1", "#546e7a", "#263238"),
    "refusal": ("#fdecea", "#c62828", "#b71c1c"),
    "stage": ("#fff8e1", "#b58900", "#5d4037"),
}
_CONDITIONAL_FILL = "#f6f8fa"
_CURRENT = ("#ffe0b2", "#e65100", "3")  # fill, stroke, stroke width
_DONE = ("#e8f5e9", "#2e7d32", "1.5")
_DASHES = {DASHED: "7 4", DOTTED: "2 3"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_svg(workflow: Workflow, *, refusal_edges: bool = False, current: Iterable[str] = (),
               done: Iterable[str] = (), title: str | None = None) -> str:
    """The workflow as an SVG document; see the module docstring for the layout and marks.

    ``current`` and ``done`` are step ids (a step may be in both: sent back after a decision,
    it is drawn as current); ``title`` replaces the workflow's title in ``<title>`` and in the
    heading. Raises :class:`ValueError` for an id that is not a step of ``workflow`` and
    :class:`TypeError` for a lone string (``current="seal"`` would read as five ids).
    """
    graph = diagram(workflow, refusal_edges=refusal_edges)
    marks = {"current": _step_nodes(graph, current, "current"),
             "done": _step_nodes(graph, done, "done")}
    heading = mask_text(graph.title if title is None else title)
    return _Drawing(graph, marks, heading).svg()


def text_width(text: str, size: float) -> float:
    """The estimated width of ``text`` in px: wide and ambiguous characters are 1 em."""
    ems = sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.62 for c in text)
    return ems * size


def _step_nodes(graph: Diagram, ids: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(ids, str):
        raise TypeError(f"{what} must be a collection of step ids, not one string")
    chosen = set(ids)
    unknown = sorted(chosen - graph.step_nodes.keys())
    if unknown:
        raise ValueError(f"{what}: not a step of {graph.name}: {', '.join(unknown)}")
    return frozenset(graph.step_nodes[step] for step in chosen)


def _x(text: str) -> str:
    """``text`` as XML character data: escaped, one line, only characters XML allows."""
    return escape(_NOT_XML.sub("\ufffd", " ".join(text.splitlines())))


def _q(text: str) -> str:
    return quoteattr(_NOT_XML.sub("\ufffd", text))


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no ``-0``."""
    out = f"{value:.1f}".removesuffix(".0")
    return "0" if out == "-0" else out


def _pack(want: list[float], widths: list[float]) -> list[float]:
    """Centres closest (least squares) to ``want``, in this order, gaps at least H_GAP."""
    offsets = [0.0]
    for left, right in pairwise(widths):
        offsets.append(offsets[-1] + (left + right) / 2 + H_GAP)
    blocks: list[list[float]] = []  # pool adjacent violators: [sum, count]
    for target in (w - o for w, o in zip(want, offsets, strict=True)):
        blocks.append([target, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    level = [b[0] / b[1] for b in blocks for _ in range(int(b[1]))]
    return [y + o for y, o in zip(level, offsets, strict=True)]


def _curve(points: list[tuple[float, float]]) -> str:
    """A path down through ``points``: S-curves between ranks, straight lines through slots."""
    (x0, y0), *rest = points
    out = [f"M{_n(x0)},{_n(y0)}"]
    for index, (x, y) in enumerate(rest):
        if index % 2:  # through a slot of a rank the edge passes
            out.append(f"L{_n(x)},{_n(y)}")
        else:
            mid = (y0 + y) / 2
            out.append(f"C{_n(x0)},{_n(mid)} {_n(x)},{_n(mid)} {_n(x)},{_n(y)}")
        x0, y0 = x, y
    return " ".join(out)


def _rounded(points: list[tuple[float, float]], radius: float = 8) -> str:
    """An orthogonal path through ``points`` with its corners rounded."""
    out = [f"M{_n(points[0][0])},{_n(points[0][1])}"]
    for (ax, ay), (bx, by), (cx, cy) in zip(points, points[1:], points[2:], strict=False):
        r = min(radius, (abs(bx - ax) + abs(by - ay)) / 2, (abs(cx - bx) + abs(cy - by)) / 2)
        into = (bx - r * _sign(bx - ax), by - r * _sign(by - ay))
        out_of = (bx + r * _sign(cx - bx), by + r * _sign(cy - by))
        out.append(f"L{_n(into[0])},{_n(into[1])} "
                   f"Q{_n(bx)},{_n(by)} {_n(out_of[0])},{_n(out_of[1])}")
    out.append(f"L{_n(points[-1][0])},{_n(points[-1][1])}")
    return " ".join(out)


def _sign(value: float) -> float:
    return (value > 0) - (value < 0)


class _Drawing:
    """The layout of one diagram, then its SVG text."""

    def __init__(self, graph: Diagram, marks: dict[str, frozenset[str]], heading: str) -> None:
        self.graph, self.marks, self.heading = graph, marks, heading
        self.nodes = {node.id: node for node in graph.nodes}
        self.order = {node.id: index for index, node in enumerate(graph.nodes)}
        self.steps = {node: step for step, node in graph.step_nodes.items()}
        self.marker = "arrow-" + re.sub(r"[^A-Za-z0-9_-]", "_", graph.name)
        self._rank()
        self._size()
        self._place_x()
        self._ports()
        self._place_y()

    # ranks: the back edges set aside, the longest path from start -----------------------

    def _rank(self) -> None:
        # The graph declares a node before every node its structural edges lead to, so only a
        # jump to an earlier step (goto, send-back) goes back in document order. (A depth-first
        # search finds other back edges: from a send-back it reaches a parallel branch before
        # the fork does, and draws the branch below the step that sends it back.)
        self.back = [e for e in self.graph.edges if self.order[e.dst] <= self.order[e.src]]
        self.bundles: dict[tuple[str, str], list[Edge]] = {}
        for edge in self.graph.edges:
            if self.order[edge.dst] > self.order[edge.src]:
                self.bundles.setdefault((edge.src, edge.dst), []).append(edge)
        self.rank: dict[str, int] = {}
        preds: dict[str, list[str]] = {n: [] for n in self.nodes}
        for src, dst in self.bundles:
            preds[dst].append(src)
        for node in self.nodes:  # document order is a topological order of the rest
            self.rank[node] = max((self.rank[p] + 1 for p in preds[node]), default=0)
        self.layers: list[list[str]] = [[] for _ in range(max(self.rank.values()) + 1)]
        keys: dict[str, tuple[int, int, int]] = {}
        for node in self.nodes:
            self.layers[self.rank[node]].append(node)
            keys[node] = (self.order[node], 0, 0)
        self.up: dict[str, list[str]] = {n: [] for n in self.nodes}
        self.down: dict[str, list[str]] = {n: [] for n in self.nodes}
        self.chains: dict[tuple[str, str], list[str]] = {}
        for index, ((src, dst), edges) in enumerate(self.bundles.items()):
            if all(e.style == INVISIBLE for e in edges):
                continue  # ranks only (the refusal legend below the delivery)
            chain = [f"\0{index}:{r}" for r in range(self.rank[src] + 1, self.rank[dst])]
            for slot, r in zip(chain, range(self.rank[src] + 1, self.rank[dst]), strict=True):
                self.layers[r].append(slot)
                keys[slot] = (self.order[src], 1, index)
                self.up[slot], self.down[slot] = [], []
            path = [src, *chain, dst]
            for a, b in pairwise(path):
                self.down[a].append(b)
                self.up[b].append(a)
            self.chains[(src, dst)] = chain
        for layer in self.layers:
            layer.sort(key=keys.__getitem__)

    # sizes --------------------------------------------------------------------------------

    def _size(self) -> None:
        self.w: dict[str, float] = {}
        self.h: dict[str, float] = {}
        for node in self.graph.nodes:
            text = max(text_width(line, FONT) for line in node.lines)
            if node.kind in ("fork", "join"):
                degree = max(sum(e.style != INVISIBLE for key, edges in self.bundles.items()
                                 if key[side] == node.id for e in edges) for side in (0, 1))
                self.w[node.id], self.h[node.id] = max(text + 2 * PAD_X, 22.0 * degree), 26
            elif node.kind == "choice":
                self.w[node.id], self.h[node.id] = 1.6 * text + 40, 54
            elif node.kind == "end":
                self.w[node.id] = self.h[node.id] = max(text + 12, 40)
            else:
                skew = 20 if node.kind == "stage" else 0
                self.w[node.id] = text + 2 * PAD_X + skew
                self.h[node.id] = len(node.lines) * LINE + 2 * PAD_Y
        for (src, dst), chain in self.chains.items():
            drawn = sum(e.style != INVISIBLE for e in self.bundles[(src, dst)])
            for slot in chain:
                self.w[slot], self.h[slot] = 10.0 * max(drawn - 1, 0), 0
            if chain and self.nodes[src].kind == "choice":  # room for the arm's label
                self.w[chain[0]] = max(text_width(e.label, LABEL_FONT) + 6
                                       for e in self.bundles[(src, dst)])

    # horizontal positions -----------------------------------------------------------------

    def _place_x(self) -> None:
        self.x: dict[str, float] = {}
        for layer in self.layers:
            self._set(layer, [0.0] * len(layer))
        for _ in range(8):
            for layer in self.layers[1:]:
                self._pull(layer, self.up)
            for layer in reversed(self.layers[:-1]):
                self._pull(layer, self.down)
        left = min(self.x[v] - self.w[v] / 2 for v in self.x)
        self.x = {v: x - left + MARGIN for v, x in self.x.items()}

    def _pull(self, layer: list[str], neighbours: dict[str, list[str]]) -> None:
        self._set(layer, [fmean(self.x[u] for u in neighbours[v]) if neighbours[v]
                          else self.x[v] for v in layer])

    def _set(self, layer: list[str], want: list[float]) -> None:
        for v, x in zip(layer, _pack(want, [self.w[v] for v in layer]), strict=True):
            self.x[v] = x

    # where each edge leaves and enters a box, and which gap holds its label ----------------

    def _ports(self) -> None:
        self.out_x: dict[Edge, float] = {}
        self.in_x: dict[Edge, float] = {}
        self.slot_dx: dict[Edge, float] = {}
        for edges in self.bundles.values():
            drawn = [e for e in edges if e.style != INVISIBLE]
            for j, edge in enumerate(drawn):
                self.slot_dx[edge] = 10.0 * (j - (len(drawn) - 1) / 2)
        for node in self.nodes:
            for port, side, first in ((self.out_x, 0, 1), (self.in_x, 1, 0)):
                groups = [(key, edges) for key, edges in self.bundles.items()
                          if key[side] == node]
                groups.sort(key=lambda g: (self._next_x(g[0], first), self.order[g[0][first]]))
                drawn = [e for _, edges in groups for e in edges if e.style != INVISIBLE]
                usable = self.w[node] - 24
                step = 0.0 if self.nodes[node].kind in ("choice", "end") or len(drawn) < 2 \
                    else min(16.0, usable / (len(drawn) - 1))
                for j, edge in enumerate(drawn):
                    port[edge] = self.x[node] + step * (j - (len(drawn) - 1) / 2)
        self.label_rows: dict[Edge, int] = {}
        self.gap_extra = [0.0] * len(self.layers)
        spans: dict[int, list[tuple[float, float, Edge]]] = {}
        for (src, _), edges in self.bundles.items():
            for edge in (e for e in edges if e.style != INVISIBLE):
                xs = self._points_x(edge)
                for r, (a, b) in enumerate(pairwise(xs), self.rank[src]):
                    self.gap_extra[r] = max(self.gap_extra[r], min(36.0, 0.06 * abs(b - a)))
                if edge.label:
                    left, right = self._label_span(edge, xs[0], xs[1])
                    spans.setdefault(self.rank[src], []).append((left, right, edge))
        for rank, found in spans.items():
            ends: list[float] = []  # the right end of the last label in each row
            for left, right, edge in sorted(found, key=lambda s: (s[0], self.order[s[2].dst])):
                row = next((i for i, end in enumerate(ends) if end <= left), len(ends))
                ends[row:row + 1] = [right]
                self.label_rows[edge] = row
            arms = any(self._arm(edge) for _, _, edge in found)
            self.gap_extra[rank] += (len(ends) - (not arms)) * LABEL_LINE
        # a label wider than its column may reach past the boxes: move everything right
        lefts = [left for found in spans.values() for left, _, _ in found]
        shift = max(0.0, MARGIN - min(lefts, default=MARGIN))
        self.x = {v: x + shift for v, x in self.x.items()}
        for ports in (self.out_x, self.in_x):
            for edge in ports:
                ports[edge] += shift
        self.label_right = max((right + shift for found in spans.values()
                                for _, right, _ in found), default=0.0)

    def _arm(self, edge: Edge) -> bool:
        """Whether an edge is a choice's arm: its label stands above the arm's first box."""
        return self.nodes[edge.src].kind == "choice"

    def _label_span(self, edge: Edge, x0: float, x1: float) -> tuple[float, float]:
        """Left and right of an edge's label: an arm's centred above its end, any other's
        right of its curve near the source, clear of the crowd where edges converge."""
        width = text_width(edge.label, LABEL_FONT) + 6
        if self._arm(edge):
            return x1 - width / 2, x1 + width / 2
        x = x0 + (x1 - x0) * 0.216  # the curve's x at t = 0.3
        return x + 2, x + 2 + width

    def _next_x(self, key: tuple[str, str], first: int) -> float:
        chain = self.chains.get(key, [])
        if chain:
            return self.x[chain[0] if first else chain[-1]]
        return self.x[key[first]]

    def _points_x(self, edge: Edge) -> list[float]:
        """The x of an edge at its source, at every slot it passes, and at its target."""
        chain = self.chains.get((edge.src, edge.dst), [])
        return [self.out_x[edge], *(self.x[s] + self.slot_dx[edge] for s in chain),
                self.in_x[edge]]

    # vertical positions -------------------------------------------------------------------

    def _place_y(self) -> None:
        self.top: list[float] = []
        self.height: list[float] = []
        y = MARGIN + TITLE_FONT + 16.0
        for rank, layer in enumerate(self.layers):
            self.top.append(y)
            self.height.append(max(self.h[v] for v in layer))
            y += self.height[-1] + V_GAP + self.gap_extra[rank]
        self.y = {node: self.top[r] + self.height[r] / 2 for node, r in self.rank.items()}
        self.bottom = y - V_GAP

    # the SVG text -------------------------------------------------------------------------

    def svg(self) -> str:
        body = [self._forward(edge) for edges in self.bundles.values() for edge in edges
                if edge.style != INVISIBLE]
        right = max(self.x[v] + self.w[v] / 2 for v in self.x)
        lane = right + 24
        for index, edge in enumerate(self.back):
            body.append(self._back(edge, index, lane))
            lane += (text_width(edge.label, LABEL_FONT) + 8 if edge.label else 0) + 16
        body.extend(self._node(node) for node in self.graph.nodes)
        width = max(lane - 16 + MARGIN, right + MARGIN, self.label_right + MARGIN,
                    MARGIN * 2 + text_width(self.heading, TITLE_FONT))
        height = self.bottom + MARGIN
        w, h = _n(width), _n(height)
        head = [
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" font-family={_q(FONT_FAMILY)} font-size="{FONT}" '
            f"data-workflow={_q(self.graph.name)}>",
            f"<title>{_x(self.heading)}</title>",
            f"<desc>{_x('onething workflow ' + self.graph.name)}</desc>",
            "<defs>",
            *(f'<marker id="{self.marker}{suffix}" viewBox="0 0 10 10" refX="9" refY="5" '
              'markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
              f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
              for suffix, colour in (("", EDGE_COLOUR), ("-jump", JUMP_COLOUR))),
            "</defs>",
            f'<rect class="background" width="{w}" height="{h}" fill="#ffffff"/>',
            f'<text class="heading" x="{MARGIN}" y="{MARGIN + TITLE_FONT}" '
            f'font-size="{TITLE_FONT}" font-weight="bold" fill="#212121">'
            f"{_x(self.heading)}</text>",
        ]
        return "\n".join([*head, *body, "</svg>"]) + "\n"

    def _edge(self, edge: Edge, path: str, back: bool,
              label_at: tuple[float, float] | None) -> str:
        colour = JUMP_COLOUR if edge.style == DOTTED else EDGE_COLOUR
        dash = f' stroke-dasharray="{_DASHES[edge.style]}"' if edge.style in _DASHES else ""
        marker = self.marker + ("-jump" if edge.style == DOTTED else "")
        kind = f"edge {edge.style}" + (" back" if back else "")
        out = [f'<g class="{kind}" data-src={_q(edge.src)} data-dst={_q(edge.dst)}>',
               f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.4"{dash} '
               f'marker-end="url(#{marker})"/>']
        if edge.label and label_at is not None:
            x, y = label_at
            width = text_width(edge.label, LABEL_FONT) + 6
            out.append(f'<rect x="{_n(x - width / 2)}" y="{_n(y - LABEL_LINE / 2)}" '
                       f'width="{_n(width)}" height="{LABEL_LINE}" rx="3" fill="#ffffff" '
                       'fill-opacity="0.9"/>')
            out.append(f'<text x="{_n(x)}" y="{_n(y + LABEL_FONT * 0.35)}" '
                       f'text-anchor="middle" font-size="{LABEL_FONT}" fill="{colour}">'
                       f"{_x(edge.label)}</text>")
        return "\n".join([*out, "</g>"])

    def _forward(self, edge: Edge) -> str:
        xs = self._points_x(edge)
        src_rank, dst_rank = self.rank[edge.src], self.rank[edge.dst]
        points = [(xs[0], self.y[edge.src] + self.h[edge.src] / 2)]
        for x, r in zip(xs[1:-1], range(src_rank + 1, dst_rank), strict=True):
            points += [(x, self.top[r]), (x, self.top[r] + self.height[r])]
        points.append((xs[-1], self.y[edge.dst] - self.h[edge.dst] / 2))
        label_at = None
        if edge.label:
            (x0, y0), (x1, y1) = points[:2]
            left, right = self._label_span(edge, x0, x1)
            row = self.label_rows[edge] * LABEL_LINE
            label_at = ((left + right) / 2, y1 - 12 - LABEL_LINE / 2 - row if self._arm(edge)
                        else y0 + (y1 - y0) * 0.342 + row)  # the curve's y at t = 0.3
        return self._edge(edge, _curve(points), False, label_at)

    def _back(self, edge: Edge, index: int, lane: float) -> str:
        """Out of the source's bottom, right to a lane beyond the drawing, up, into the top."""
        src, dst = edge.src, edge.dst
        shift = 6.0 * (index % 4)
        x_out = self.x[src] + self.w[src] / 4 + shift
        x_in = self.x[dst] + self.w[dst] / 4 + shift
        below = self.top[self.rank[src]] + self.height[self.rank[src]] + 12 + shift
        above = self.top[self.rank[dst]] - 12 - shift
        points = [(x_out, self.y[src] + self.h[src] / 2), (x_out, below), (lane, below),
                  (lane, above), (x_in, above), (x_in, self.y[dst] - self.h[dst] / 2)]
        width = text_width(edge.label, LABEL_FONT) + 6
        return self._edge(edge, _rounded(points), True,
                          (lane + 3 + width / 2, (below + above) / 2))

    def _node(self, node: Node) -> str:
        fill, stroke, ink = _KIND_STYLE[node.kind]
        stroke_width = "1.2"
        if node.conditional:
            fill = _CONDITIONAL_FILL
        classes = ["node", node.kind]
        classes += [flag for flag in ("optional", "conditional") if getattr(node, flag)]
        for mark, style in (("done", _DONE), ("current", _CURRENT)):  # current wins
            if node.id in self.marks[mark]:
                classes.append(mark)
                fill, stroke, stroke_width = style
        step = self.steps.get(node.id)
        data = f" data-step={_q(step)}" if step is not None else ""
        cx, cy, w, h = self.x[node.id], self.y[node.id], self.w[node.id], self.h[node.id]
        paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"'
        if node.optional:
            paint += ' stroke-dasharray="6 4"'
        left, top = cx - w / 2, cy - h / 2
        if node.kind == "choice":
            shape = (f'<polygon points="{_n(cx)},{_n(top)} {_n(left + w)},{_n(cy)} '
                     f'{_n(cx)},{_n(top + h)} {_n(left)},{_n(cy)}" {paint}/>')
        elif node.kind == "stage":
            shape = (f'<polygon points="{_n(left + 20)},{_n(top)} {_n(left + w)},{_n(top)} '
                     f'{_n(left + w - 20)},{_n(top + h)} {_n(left)},{_n(top + h)}" {paint}/>')
        elif node.kind == "end":
            shape = (f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(w / 2)}" {paint}/>'
                     f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(w / 2 - 4)}" fill="none" '
                     f'stroke="{stroke}" stroke-width="1"/>')
        else:
            radius = h / 2 if node.kind == "start" else 3 if node.kind in ("fork", "join") else 6
            shape = (f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(w)}" height="{_n(h)}" '
                     f'rx="{_n(radius)}" {paint}/>')
        first = cy - (len(node.lines) - 1) * LINE / 2 + FONT * 0.35
        lines = []
        for index, line in enumerate(node.lines):
            weight = ' font-weight="bold"' if index == 0 and node.kind == "step" else ""
            lines.append(f'<tspan x="{_n(cx)}" y="{_n(first + index * LINE)}"{weight}>'
                         f"{_x(line)}</tspan>")
        text = f'<text text-anchor="middle" fill="{ink}">{"".join(lines)}</text>'
        return (f'<g class="{" ".join(classes)}"{data} data-node={_q(node.id)}>'
                f"{shape}{text}</g>")
