"""Every example script runs a case of its bundle to exactly one delivery."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.support.factories import ROOT

SCRIPTS = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_example_delivers_once(script: object) -> None:
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("delivered") == 1
    assert "result" in done.stdout


def test_every_shipped_bundle_has_an_example() -> None:
    bundles = {p.stem for p in (ROOT / "workflows").glob("*.yaml")}
    assert bundles <= {p.stem for p in SCRIPTS}
