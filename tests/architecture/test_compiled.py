"""The compiled hot modules (onething._compiled): loaded only while built from the source as it
is, never instead of an edited one; ONETHING_PURE turns them off."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from onething import _compiled

ROOT = Path(__file__).resolve().parents[2]
MODULE = "onething.cases.rules"  # small: compiled in a few seconds


def _origin(compiled_dir: Path, **env: str) -> str:
    """Where ``MODULE`` is loaded from in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", f"import json, {MODULE} as m; print(json.dumps(m.__file__))"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "ONETHING_COMPILED_DIR": str(compiled_dir), **env})
    assert done.returncode == 0, done.stderr[-2000:]
    return str(json.loads(done.stdout))


def test_a_module_built_from_another_source_is_not_loaded(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "src" / (MODULE.replace(".", "/") + ".py")
    stale = tmp_path / _compiled.artifact(MODULE, source.read_bytes() + b"# an edit\n")
    stale.write_bytes(b"not even a shared object")  # loading it would fail
    assert _origin(tmp_path).endswith(".py")


def _can_build() -> None:
    """Skip where Cython or a C compiler is missing (never under CI, which must build)."""
    if os.environ.get("CI") == "true":
        return
    pytest.importorskip("Cython", reason="the speed extra (Cython) is not installed")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler to build the compiled modules with")


def test_the_module_built_from_its_source_is_loaded_unless_pure(tmp_path: Path) -> None:
    _can_build()
    from onething._compile import build

    made = build(tmp_path, (MODULE,))
    assert [path.name for path in made] == [
        _compiled.artifact(MODULE, Path(_origin(tmp_path, ONETHING_PURE="1")).read_bytes())]
    assert _origin(tmp_path) == str(made[0])
    assert _origin(tmp_path, ONETHING_PURE="1").endswith(".py")


#: what the compiled modules are held to: the machine's fast path against transitions on
#: random walks, the recorded runs, copy on write, deadlines, and the batch's rows
COMPILED_CHECKS = ["tests/machine/test_fast_path.py", "tests/engine/test_recorded_runs.py",
                   "tests/engine/test_copy_on_write.py", "tests/engine/test_deadlines.py",
                   "tests/stores/test_batch_rows.py"]


def test_the_compiled_modules_pass_the_engines_checks(tmp_path: Path) -> None:
    _can_build()
    from onething._compile import build

    made = build(tmp_path)
    assert len(made) == len(_compiled.HOT)
    env = {**os.environ, "ONETHING_COMPILED_DIR": str(tmp_path), "ONETHING_PURE": ""}
    loaded = subprocess.run(
        [sys.executable, "-c", "import json, onething._compiled as c, "
         + ", ".join(_compiled.HOT) + "; print(json.dumps(c.loaded()))"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert sorted(json.loads(loaded.stdout)) == sorted(_compiled.HOT)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *COMPILED_CHECKS], capture_output=True, text=True, timeout=1200,
                          cwd=ROOT, env=env)
    assert done.returncode == 0, done.stdout[-3000:]
