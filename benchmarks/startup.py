"""Start-up cost (issue 13): ``import onething`` and ``onething --help`` against a bare
interpreter (``python -c pass``), the three measured in alternating rounds in one run."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

from benchmarks.common import verdict

IMPORT_GOAL = 5.0
HELP_GOAL = 10.0


def _once(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def startup_section(quick: bool) -> list[str]:
    """Median wall time of each command over alternating rounds, and the ratios."""
    console = shutil.which("onething") or sys.executable
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import onething'": [sys.executable, "-c", "import onething"],
        "onething --help": ([console, "--help"] if console != sys.executable
                            else [sys.executable, "-m", "onething", "--help"]),
    }
    rounds = 8 if quick else 30
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the file cache first
        _once(command)
    for _ in range(rounds):
        for name, command in commands.items():
            times[name].append(_once(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    spread = {name: (min(values), max(values)) for name, values in times.items()}
    bare = median["python -c pass"]
    imported = median["python -c 'import onething'"] / bare
    helped = median["onething --help"] / bare
    rows = [f"Goals: `import onething` <= {IMPORT_GOAL:.0f}x a bare interpreter: "
            f"{verdict(imported <= IMPORT_GOAL)} ({imported:.1f}x); `onething --help` <= "
            f"{HELP_GOAL:.0f}x: {verdict(helped <= HELP_GOAL)} ({helped:.1f}x). Medians of "
            f"{rounds} alternating rounds.", "",
            "| command | median | fastest .. slowest | ratio to a bare interpreter |",
            "| --- | ---: | ---: | ---: |"]
    for name in commands:
        low, high = spread[name]
        rows.append(f"| `{name}` | {median[name] * 1e3:.1f} ms | {low * 1e3:.1f} .. "
                    f"{high * 1e3:.1f} ms | {median[name] / bare:.1f}x |")
    return rows
