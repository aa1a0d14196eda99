"""Run every benchmark side by side in one process and rewrite docs/benchmarks.md.

    .venv/bin/python benchmarks/run.py            # all sections, a few minutes
    .venv/bin/python benchmarks/run.py --quick    # fewer repetitions (for a smoke run)

Figures are medians; each section reports ratios to a baseline measured in the same run,
because ratios are what stays stable on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from onething.machine.compile import compile_net  # noqa: E402
from onething.net.build import build_net  # noqa: E402
from onething.spec.load import load, parse  # noqa: E402
from onething.verify.check import check  # noqa: E402
from shapes import parallel_workflow  # noqa: E402

OUT = ROOT / "docs" / "benchmarks.md"


def median_time(run: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` runs, with a collection before each."""
    samples = []
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        run()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def check_scaling(repeat: int) -> list[str]:
    rows = ["| shape | explored states | configurations | compositional | explicit product | "
            "ratio |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    shapes = [("2 x 3", [3] * 2), ("3 x 3", [3] * 3), ("4 x 2", [2] * 4), ("4 x 3", [3] * 4),
              ("5 x 5", [5] * 5), ("10 x 5", [5] * 10), ("20 x 5", [5] * 20),
              ("20 x 1..8 (different)", [1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 5, 7, 2, 4, 6, 8, 8,
                                         1, 5, 3]),
              ("40 x 5", [5] * 40), ("8 x 20 (deep)", [20] * 8)]
    for label, lengths in shapes:
        workflow = parse(parallel_workflow(lengths)).unwrap()
        report = check(workflow)
        fast = median_time(lambda w=workflow: check(w), repeat)
        explicit = "-"
        ratio = "-"
        if report.configurations <= 60_000:
            slow = median_time(lambda w=workflow: check(w, compositional=False),
                               max(1, repeat // 3))
            explicit = f"{slow * 1e3:,.1f} ms"
            ratio = f"{slow / fast:,.0f}x"
        rows.append(f"| {label} | {report.states:,} | {_big(report.configurations)} | "
                    f"{fast * 1e3:,.1f} ms | {explicit} | {ratio} |")
    return rows


def _big(n: int) -> str:
    return f"{n:,}" if n < 10**9 else f"{n:.2e}"


def compile_times(repeat: int) -> list[str]:
    rows = ["| workflow | load (parse + check refs) | build net | compile machine | "
            "prove sound |", "| --- | ---: | ---: | ---: | ---: |"]
    for path in sorted((ROOT / "workflows").glob("*.yaml")):
        workflow = load(path)
        net = build_net(workflow)
        rows.append(
            f"| {path.name} | {median_time(lambda p=path: load(p), repeat) * 1e3:.2f} ms "
            f"| {median_time(lambda w=workflow: build_net(w), repeat) * 1e3:.2f} ms "
            f"| {median_time(lambda n=net: compile_net(n), repeat) * 1e3:.2f} ms "
            f"| {median_time(lambda w=workflow: check(w), repeat) * 1e3:.2f} ms |")
    return rows


def machine_shapes() -> list[str]:
    import machine_shapes as shapes

    raw = shapes.raw_flat_trigger()
    flat = shapes.flat_positions()
    hsm = shapes.hsm_parallel()
    states, build_ms = shapes.flat_product_states()
    return [
        "| carrier | us per event | ratio to a raw flat trigger |",
        "| --- | ---: | ---: |",
        f"| raw transitions flat Machine (set_state + trigger) | {raw:.1f} | 1.0x |",
        f"| onething flat position machine (guards, explicit join) | {flat:.1f} | "
        f"{flat / raw:.1f}x |",
        f"| transitions HierarchicalMachine, {shapes.BRANCHES} parallel regions | {hsm:.1f} | "
        f"{hsm / raw:.1f}x |",
        "",
        f"A flat product of {shapes.BRANCHES} two-position branches already needs {states} "
        f"states ({build_ms:.0f} ms to build); with the real 5 positions per step it grows as "
        "(5n+1)^branches and cannot be built for the shipped workflows.",
    ]


def versions() -> str:
    names = ["transitions", "attrs", "PyYAML", "holidays", "click"]
    return ", ".join(f"{n} {metadata.version(n)}" for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    sections = [
        ("Proof time against parallel width and depth", check_scaling(repeat),
         "Every department has every outcome on every step (approve, refuse, one "
         "correction, special procedures, timers). *Explored states* counts what the "
         "compositional proof visits; *configurations* is the exact number of reachable "
         "configurations it stands for. The explicit product is run where it fits."),
        ("Compile time of each shipped workflow", compile_times(repeat),
         "Goal: compile (net + machine) <= 10 ms per workflow."),
        ("How parallel blocks are carried on transitions", machine_shapes(),
         "Decision 0002: one flat machine of positions, joins made explicit."),
    ]
    lines = [
        "# Benchmarks",
        "",
        f"Measured {date.today().isoformat()} on {platform.machine()} "
        f"({_cpu()}, {_cores()} cores), Python {platform.python_version()}; {versions()}.",
        "Regenerate with `.venv/bin/python benchmarks/run.py` (this file is rewritten).",
        "Figures are medians of repeated runs in one process; compare the ratios.",
        "",
    ]
    for title, rows, note in sections:
        lines += [f"## {title}", "", note, "", *rows, ""]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
