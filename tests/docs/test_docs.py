"""The documentation's examples work and its tables match the code."""

from __future__ import annotations

import re

from tests.support.factories import ROOT

from onething.language.load import parse
from onething.soundness.proof import check

LANGUAGE = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")


def test_the_complete_example_in_the_language_guide_loads_cleanly() -> None:
    block = re.search(r"```yaml\n(.*?)```", LANGUAGE, re.S).group(1)
    result = parse(block, "docs/language.md")
    assert result.ok, [d.render() for d in result.diagnostics]
    assert result.warnings == ()


def test_every_complete_workflow_in_the_language_guide_is_proven_sound() -> None:
    """Each construct's complete example (a block that starts with ``onething: 1``) loads
    without a diagnostic and is proven sound."""
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", LANGUAGE, re.S)
              if re.search(r"^onething: 1", b, re.M)]
    assert len(blocks) >= 3
    for block in blocks:
        result = parse(block, "docs/language.md")
        assert result.ok and result.warnings == (), [d.render() for d in result.diagnostics]
        report = check(result.unwrap())
        assert report.decided and report.sound, [v.render() for v in report.violations]


def test_every_diagnostic_code_the_loader_emits_is_documented() -> None:
    sources = "".join(path.read_text(encoding="utf-8")
                      for path in (ROOT / "src" / "onething" / "language").rglob("*.py"))
    emitted = set(re.findall(r'(?:self\.error\(|Diagnostic\(\s*)"([a-z-]+)"', sources))
    emitted |= {"unused-field", "unused-material"}
    emitted.discard("unused-")
    documented = set(re.findall(r"`([a-z]+(?:-[a-z]+)+|[a-z]+-?)`", LANGUAGE.split(
        "## Diagnostics")[1]))
    assert emitted - documented == set()


def test_every_test_named_in_the_guarantees_exists() -> None:
    text = (ROOT / "docs" / "guarantees.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text)
    assert len(named) > 30
    missing = [f"{path}::{name}" for path, name in named
               if f"def {name}(" not in (ROOT / path).read_text(encoding="utf-8")]
    assert missing == []


def test_every_test_named_in_the_law_table_exists() -> None:
    """docs/law.md names, for each article the engine models, the test that proves it."""
    text = (ROOT / "docs" / "law.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text)
    assert len(named) >= 6
    missing = [f"{path}::{name}" for path, name in named
               if f"def {name}(" not in (ROOT / path).read_text(encoding="utf-8")]
    assert missing == []
