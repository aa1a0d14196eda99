"""Section 1's compiled side: the same in-memory actions with the hot modules compiled by
Cython (``onething._compile``), in a child process of their own (a process loads a module
one way only), against its own raw ``transitions`` rounds, so that its ratios are taken within
its rounds as the pure side's are. The rest of the run is pure (``ONETHING_PURE``, set by
benchmarks/__init__.py)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ACTIONS_PER_CASE,
    LINEAR_ID,
    REALISTIC_ID,
    ROOT,
    linear_workflow,
    paired,
    ratio_spread,
    realistic_workflow,
    rounds,
    spread,
)


def compiled_rows(quick: bool) -> tuple[list[str], dict[str, float]]:
    """The rows of the compiled side (or one saying why there are none), and its median
    ratios to raw ``transitions`` by workflow (none when it was not measured)."""
    try:
        from onething._compile import build

        with tempfile.TemporaryDirectory() as where:
            build(Path(where))
            env = {**os.environ, "ONETHING_COMPILED_DIR": where, "ONETHING_PURE": "",
                   "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
            done = subprocess.run([sys.executable, "-m", "benchmarks.compiled",
                                   "--quick" if quick else "--full"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=1800)
    except ImportError as exc:
        return [f"| onething with its hot modules compiled | not measured: {exc} | - |"], {}
    if done.returncode != 0:
        return [f"| onething with its hot modules compiled | failed: "
                f"{done.stderr.strip().splitlines()[-1][:200]} | - |"], {}
    found: dict[str, Any] = json.loads(done.stdout)
    return [f"| onething, hot modules compiled ({found['compiled']} modules, Cython "
            f"{found['cython']}), {name} workflow | {found['spread'][name]} | "
            f"{found['ratio'][name]} (to raw transitions in its own rounds, "
            f"{found['raw']} us) |" for name in ("realistic", "minimal")], found["median"]


def _child(quick: bool) -> dict[str, Any]:
    from benchmarks.inmemory import _engine, _raw_driver, driver
    from onething import _compiled

    count, cases = (5, 40) if quick else (11, 150)
    sides = {"raw": _raw_driver(ACTIONS_PER_CASE),
             "minimal": driver(_engine(linear_workflow()), LINEAR_ID),
             "realistic": driver(_engine(realistic_workflow()), REALISTIC_ID)}
    for side in sides.values():
        side(5)
    samples = rounds(sides, cases, count)
    import Cython

    return {"compiled": len(_compiled.loaded()), "cython": Cython.__version__,
            "raw": f"{statistics.median(samples['raw']):.1f}",
            "spread": {name: spread(samples[name]) for name in ("minimal", "realistic")},
            "ratio": {name: ratio_spread(paired(samples, name, "raw"))
                      for name in ("minimal", "realistic")},
            "median": {name: statistics.median(paired(samples, name, "raw"))
                       for name in ("minimal", "realistic")}}


if __name__ == "__main__":
    print(json.dumps(_child("--quick" in sys.argv)))
