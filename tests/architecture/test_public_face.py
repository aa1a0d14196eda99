"""The public face (issue 13 item 4): every name README.md, the examples and the docs import
comes from ``onething`` or a documented subpackage and exists there; ``import onething`` loads
nothing but its face and the errors; the command line loads no engine, language or store
until a command needs one."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys

import pytest
from tests.support.factories import ROOT

import onething

#: the subpackages the docs may import from (named in onething's docstring and docs/api/)
DOCUMENTED = {"onething", "onething.soundness", "onething.diagram", "onething.workdays",
              "onething.sla", "onething.telemetry", "onething.simulate", "onething.charts"}
#: what ``import onething`` must not load: every third-party dependency and our heavy layers
HEAVY = ("transitions", "yaml", "holidays", "rich", "click", "psycopg", "attrs",
         "onething.engine", "onething.stores", "onething.language", "onething.net",
         "onething.soundness", "onething.workdays", "onething.cases")

FENCE = re.compile(r"^```python\s*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _sources() -> list[tuple[str, str]]:
    """(where, Python source) for README.md's and docs/*.md's Python blocks and examples/."""
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for number, match in enumerate(FENCE.finditer(text), 1):
            found.append((f"{doc.relative_to(ROOT)} block {number}", match.group(1)))
    for script in sorted((ROOT / "examples").glob("*.py")):
        found.append((str(script.relative_to(ROOT)), script.read_text(encoding="utf-8")))
    return found


def _imports(source: str) -> list[tuple[str, str]]:
    """(module, name) for each ``from onething... import name`` and each ``onething.name``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a fragment with ``...`` placeholders: read its import lines alone
        lines = [line for line in source.splitlines() if line.startswith(("from ", "import "))]
        tree = ast.parse("\n".join(lines))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("onething"):
            found.extend((node.module or "", alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, "") for alias in node.names
                         if alias.name.startswith("onething"))
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "onething"):
            found.append(("onething", node.attr))
    return found


def test_the_docs_and_examples_import_from_the_face_and_every_name_exists() -> None:
    sources = _sources()
    assert len(sources) > 10  # README, the docs' blocks and the examples were all found
    wrong = []
    for where, source in sources:
        for module, name in _imports(source):
            if module not in DOCUMENTED:
                wrong.append(f"{where}: imports from {module} (not a documented face)")
                continue
            if name and not hasattr(importlib.import_module(module), name):
                wrong.append(f"{where}: {module} has no {name}")
    assert wrong == []


def test_every_listed_name_resolves_and_is_what_type_checkers_see() -> None:
    for name in onething.__all__:
        assert getattr(onething, name) is not None, name
    assert set(onething.__all__) <= set(dir(onething))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = onething.Nope  # type: ignore[attr-defined]
    tree = ast.parse((ROOT / "src" / "onething" / "__init__.py").read_text(encoding="utf-8"))
    checked: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom):
                    checked.update(alias.asname or alias.name for alias in inner.names)
    assert checked == set(onething.__all__)


def _loaded_by(statement: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True, text=True, timeout=60, check=True, cwd=ROOT)
    return set(done.stdout.split())


def _heavy(modules: set[str], heavy: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy))


def test_import_onething_loads_only_its_face() -> None:
    loaded = _loaded_by("import onething")
    assert _heavy(loaded, HEAVY) == []
    # and the finder of the compiled hot modules (standard library only)
    assert sorted(m for m in loaded if m.startswith("onething")) == [
        "onething", "onething._compiled", "onething.errors"]


def test_a_name_loads_its_module_on_first_use() -> None:
    loaded = _loaded_by("import onething\nonething.Duration")
    assert "onething.workdays.duration" in loaded
    assert _heavy(loaded, ("onething.engine", "transitions", "psycopg", "rich")) == []


def test_the_command_line_loads_no_engine_language_or_store_for_help() -> None:
    loaded = _loaded_by("import onething.cli")
    heavy = ("transitions", "yaml", "holidays", "rich", "psycopg", "onething.engine",
             "onething.stores", "onething.language", "onething.net", "onething.cases")
    assert _heavy(loaded, heavy) == []
