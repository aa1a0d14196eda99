"""The layers of src/onething import downward only, and no module imports itself back.

Every import statement counts — at the top of a module, inside a function (a lazy import is
still a dependency) and under ``TYPE_CHECKING``. docs/architecture.md draws the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "onething"

#: from the bottom: a module may import from its own layer and the layers below it
LAYERS: list[tuple[str, ...]] = [
    ("onething.errors", "onething.privacy", "onething._lazy", "onething.messages"),
    ("onething.workdays",),
    ("onething.language",),
    ("onething.net",),
    ("onething.machine", "onething.diagram", "onething.sla", "onething.soundness",
     "onething.charts", "onething.simulate"),
    ("onething.cases",),
    ("onething.stores", "onething.notify", "onething.notices"),
    ("onething.engine", "onething.telemetry"),
    ("onething.web",),
    ("onething.cli",),
    ("onething",),  # the public face, on top of everything
]
#: modules the test allows to be long (the grammar reader mirrors the grammar: one job)
LONG_MODULES = {"onething.language.load"}
MAX_LINES = 520


def module_of(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    best = -1, -1
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                best = max(best, (len(prefix), rank))
    assert best[1] >= 0, f"{module} is in no layer: add it to LAYERS"
    return best[1]


def imports_of(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("onething"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if _is_module(full) else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("onething")}
    found.discard(module)
    return found


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:])
    return (SRC / rel).with_suffix(".py").exists() or (SRC / rel / "__init__.py").exists()


def graph() -> dict[str, set[str]]:
    return {module_of(p): imports_of(p, module_of(p)) for p in SRC.rglob("*.py")}


def test_every_import_points_down_or_across() -> None:
    upward = [f"{src} (layer {layer_of(src)}) imports {dst} (layer {layer_of(dst)})"
              for src, targets in graph().items() for dst in targets
              if layer_of(dst) > layer_of(src)]
    assert upward == []


def test_no_module_imports_itself_back() -> None:
    edges = graph()
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, set())):
            nxt_module = nxt if nxt in edges else _owner(nxt, edges)
            if nxt_module is None:
                continue
            if state.get(nxt_module) == 1:
                cycles.append(" -> ".join([*path, nxt_module]))
            elif nxt_module not in state:
                visit(nxt_module, [*path, nxt_module])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def _owner(name: str, edges: dict[str, set[str]]) -> str | None:
    while name and name not in edges:
        name = name.rpartition(".")[0]
    return name or None


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: module_of(p))
def test_modules_are_small_and_say_what_they_are_for(path: Path) -> None:
    module = module_of(path)
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    assert module in LONG_MODULES or lines <= MAX_LINES, f"{module}: {lines} lines"
    doc = ast.get_docstring(ast.parse(text))
    assert doc and len(doc.split()) >= 4, f"{module} has no docstring saying what it is for"


def test_the_calendar_uses_only_the_public_names_of_holidays() -> None:
    """A private name (``_ChineseLunisolar``) can change in any release of ``holidays``; the
    calendar reads the statutory days through ``holidays.China`` and its public modules."""
    private = []
    for path in (SRC / "workdays").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("holidays"):
                names = [*(node.module or "").split("."), *(a.name for a in node.names)]
                private += [f"{path.name}: {node.module}.{n}" for n in names
                            if n.startswith("_") and not n.startswith("__")]
    assert private == []
