"""src/onething type-checks under ``mypy --strict`` (pyproject's ``[tool.mypy]``), and every
``# type: ignore`` in it names its error code and says why; there are at most 20.

mypy comes with the ``test`` extra; the check is skipped only where it is not installed.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
MAX_IGNORES = 20
#: ``# type: ignore[code, code]  # the reason``
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")
CODES = re.compile(r"\[\s*[a-z][a-z0-9-]*(\s*,\s*[a-z][a-z0-9-]*)*\s*\]")
REASON = re.compile(r"^\s*#\s*\S.*\w")


def test_mypy_strict_passes(tmp_path_factory: pytest.TempPathFactory) -> None:
    cache = tmp_path_factory.getbasetemp() / "mypy-cache"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Success" in output, output


def _ignores() -> list[tuple[str, str]]:
    """Every ``# type: ignore`` comment in src/, as (file:line, comment text)."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and IGNORE.search(token.string):
                where = f"{path.relative_to(ROOT)}:{token.start[0]}"
                found.append((where, token.string))
    return found


def test_type_ignores_are_few_coded_and_explained() -> None:
    ignores = _ignores()
    assert len(ignores) <= MAX_IGNORES, "\n".join(w for w, _ in ignores)
    bad = []
    for where, comment in ignores:
        match = IGNORE.search(comment)
        assert match is not None
        codes, rest = match["codes"], match["rest"]
        if codes is None or not CODES.fullmatch(codes):
            bad.append(f"{where}: no error code in brackets: {comment}")
        elif not REASON.match(rest):
            bad.append(f"{where}: no reason after the code: {comment}")
    assert bad == []
