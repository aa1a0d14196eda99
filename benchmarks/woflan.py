"""Section 6 (second half): onething's proof against PM4Py's Woflan on the same nets.

Each workflow is exported as PNML with onething's own exporter
(:func:`onething.soundness.pnml.to_pnml`); PM4Py imports that text and runs Woflan in full mode
(as tests/soundness/test_pnml.py does) in a forked child that is killed after a time limit.
onething is timed twice: ``check`` (the whole proof of the workflow, what ``onething check``
runs) and ``check_workflow_net`` on the exported WF-net itself (the same question Woflan answers).
PM4Py is AGPL and only ever runs here and in the tests, never inside onething.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import multiprocessing
import os
import signal
import statistics
import time
import warnings
from typing import Any

from tests.support.shapes import parallel_workflow

from benchmarks.common import ROOT, linear_workflow, median_time, verdict
from onething.language.load import load, parse
from onething.soundness.classical import check_workflow_net
from onething.soundness.pnml import to_pnml
from onething.soundness.proof import check
from onething.soundness.wfnet import to_workflow_net

QUICK_MARKINGS = 300


def _child(text: str, conn: Any, budget: float, repeat: int) -> None:
    warnings.simplefilter("ignore")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from pm4py.algo.analysis.woflan import algorithm as woflan
        from pm4py.objects.petri_net.importer.variants import pnml as importer

        def once() -> tuple[bool, float]:
            began = time.perf_counter()
            net, im, fm = importer.import_net_from_string(text)
            verdict = woflan.apply(net, im, fm, parameters={
                "return_asap_when_not_sound": False, "print_diagnostics": False})
            return bool(verdict), time.perf_counter() - began

        sound, cold = once()
        # warm runs while they fit in half the budget: the median is the figure
        runs = min(repeat, int(budget / 2 / max(cold, 1e-6)))
        warm = [once()[1] for _ in range(runs)]
    conn.send((sound, cold, statistics.median(warm) if warm else cold, len(warm)))


def woflan(text: str, limit: float, repeat: int = 1) -> tuple[bool | None, float, int]:
    """Woflan's verdict, its seconds (import + analysis, timed in the child: the median of up
    to ``repeat`` warm runs after a cold one, or the cold one when no warm run fits in half the
    limit) and how many warm runs it took; None on timeout."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(text, send, limit, repeat), daemon=True)
    child.start()
    if not receive.poll(limit):
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        return None, limit, 0
    sound, _, seconds, warm = receive.recv()
    child.join()
    return sound, seconds, warm


def _nets() -> list[tuple[str, object]]:
    shapes = [("2 x 1", [1, 1]), ("2 x 2", [2, 2]), ("2 x 3", [3, 3]), ("3 x 2", [2, 2, 2]),
              ("3 x 3", [3, 3, 3]), ("4 x 2", [2] * 4)]
    nets = [(f"parallel {label}", parse(parallel_workflow(lengths)).unwrap())
            for label, lengths in shapes]
    nets += [(path.name, load(path)) for path in sorted((ROOT / "workflows").glob("*.yaml"))]
    return nets


def woflan_section(quick: bool) -> list[str]:
    # only the forked children import PM4Py: its module graph (pandas, numpy, ...) would
    # make every later gc.collect() of this process slow
    if importlib.util.find_spec("pm4py") is None:
        return ["Skipped: PM4Py is not installed (`pip install -e '.[bench]'`)."]
    if "fork" not in multiprocessing.get_all_start_methods():
        return ["Skipped: Woflan runs in a forked child with a time limit; no fork here."]
    limit = 10.0 if quick else 30.0
    # --quick gives Woflan only the nets it decides within seconds (its coverability graph
    # grows quadratically in the markings: minutes beyond a few hundred)
    most = QUICK_MARKINGS if quick else None
    repeat = 3 if quick else 7
    rows = ["| workflow | WF-net markings | onething `check` | onething WF-net check | "
            "Woflan (PM4Py) | verdicts | Woflan / `check` |",
            "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    agree = True
    slowest_ratio = None
    for name, workflow in _nets():
        wf = to_workflow_net(workflow)
        ours = check(workflow)
        net_verdict = check_workflow_net(wf)
        ours_time = median_time(lambda w=workflow: check(w), repeat, warm=True)
        net_time = median_time(lambda n=wf: check_workflow_net(n), repeat, warm=True)
        if most is not None and net_verdict.markings > most:
            rows.append(f"| {name} | {net_verdict.markings:,} | {ours_time * 1e3:,.1f} ms | "
                        f"{net_time * 1e3:,.1f} ms | not run (`--quick`) | - | - |")
            continue
        theirs, seconds, warm = woflan(to_pnml(wf), limit, repeat)
        if theirs is None:
            same = "Woflan undecided"
            shown = f"> {limit:.0f} s"
            factor = f"> {seconds / ours_time:,.0f}x"
        else:
            matches = theirs == ours.sound == net_verdict.sound
            agree &= matches
            same = ("same: " if matches else "**DIFFERENT**: ") + \
                ("sound" if theirs else "unsound") + \
                ("" if matches else f" vs onething {ours.sound}")
            shown = f"{seconds * 1e3:,.0f} ms" + ("" if warm else " (cold, once)")
            factor = f"{seconds / ours_time:,.0f}x"
            slowest_ratio = min(slowest_ratio or 9e99, seconds / ours_time)
        rows.append(f"| {name} | {net_verdict.markings:,} | {ours_time * 1e3:,.1f} ms | "
                    f"{net_time * 1e3:,.1f} ms | {shown} | {same} | {factor} |")
    fast = slowest_ratio is not None and slowest_ratio >= 100
    # the fixed cost of each side: the smallest workflow there is (one step)
    tiny = linear_workflow(1)
    tiny_ours = median_time(lambda: check(tiny), repeat, warm=True)
    tiny_net = to_workflow_net(tiny)
    _, tiny_theirs, _ = woflan(to_pnml(tiny_net), limit, repeat)
    fixed = (f"Fixed cost, on a one-step workflow ({check_workflow_net(tiny_net).markings} "
             f"WF-net markings): onething `check` {tiny_ours * 1e3:,.1f} ms, Woflan "
             f"{tiny_theirs * 1e3:,.0f} ms ({tiny_theirs / tiny_ours:,.0f}x); Woflan's share of "
             "every row below is at least that, onething's grows with the proof.")
    return [
        f"Goal: same verdicts and >= 100x faster than PM4Py's Woflan: verdicts "
        f"{verdict(agree)}; speed {verdict(fast)} (smallest ratio where Woflan finished: "
        f"{slowest_ratio or 0:,.0f}x).",
        "",
        "Each workflow's control flow is exported as a WF-net in PNML "
        "(`onething export --pnml`); Woflan (full mode, PM4Py "
        f"{_pm4py_version()}) reads the text in a forked child killed after {limit:.0f} s. "
        "*onething `check`* is the whole proof of the workflow (exactly one delivery, "
        "never stuck, on the full case net with guards and escapes); *WF-net check* decides "
        "classical soundness of the exported net itself, the question Woflan answers. "
        f"Woflan's figure is the median of up to {repeat} warm runs in its child after a "
        "cold one (the cold one alone where no warm run fits in half the limit: marked); "
        f"onething's is timed alike: the median of {repeat} warm runs after a cold one.",
        "",
        fixed,
        "",
        *rows,
    ]


def _pm4py_version() -> str:
    from importlib import metadata

    return metadata.version("pm4py")


if __name__ == "__main__":
    import sys

    print("\n".join(woflan_section("--quick" in sys.argv)))
