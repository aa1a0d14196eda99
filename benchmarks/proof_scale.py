"""Section 6c: proof time against workflow length, and forms that do not multiply (issue 14,
item 4).

A sequence of ``n`` department steps is proven at 100, 1,000 and 10,000 steps, timed in five
alternating rounds of the same run (the median of each), so the ratios between lengths show
how proof time grows. Goals: 1,000 steps at most 12x the time of 100, and 10,000 at most 12x
the time of 1,000 (linear would be 10x).

Independent conditions: ``k`` optional steps, each with a ``when`` on a yes/no field of its own,
and ``k`` integer fields with two thresholds each. The number of kinds of form the conditions
tell apart is reported with whether the proof decides.
"""

from __future__ import annotations

import itertools
import statistics

from benchmarks.common import median_time, verdict
from onething.language.load import parse
from onething.soundness.proof import check

GOAL = 12.0

_HEAD = """\
onething: 1
id: scale
version: 1
title: scale
lead: d0
form:
  fields:
{fields}
steps:
{steps}
delivery:
  bundle: []
  methods: [window]
"""


def sequence(n: int) -> str:
    """A workflow of ``n`` department steps in sequence (five departments in turn)."""
    steps = "\n".join(f"  - {{id: s{i}, department: d{i % 5}}}" for i in range(n))
    return _HEAD.format(fields="    note: {type: string}", steps=steps)


def independent_flags(k: int) -> str:
    """``k`` steps, each run only when its own yes/no field is set."""
    fields = "\n".join(f"    f{i}: {{type: bool, required: true}}" for i in range(k))
    steps = "\n".join(f"  - {{id: s{i}, department: d{i % 5}, when: f{i}}}" for i in range(k))
    return _HEAD.format(fields=fields, steps="  - {id: first, department: d0}\n" + steps)


def flags_in_parallel(k: int) -> str:
    """The ``k`` optional steps as the branches of one parallel block (their conditions are
    fixed per form: each branch is explored once for all its visits)."""
    fields = "\n".join(f"    f{i}: {{type: bool, required: true}}" for i in range(k))
    arms = "\n".join(f"      - {{id: s{i}, department: d{i % 5}, when: f{i}}}" for i in range(k))
    return _HEAD.format(fields=fields,
                        steps="  - {id: first, department: d0}\n  - parallel:\n" + arms)


def thresholds(k: int) -> str:
    """``k`` integer fields, each read by a choice with two thresholds."""
    fields = "\n".join(f"    n{i}: {{type: int, required: true, min: 0}}" for i in range(k))
    blocks = []
    for i in range(k):
        blocks.append(f"""\
  - choice:
      - when: "n{i} < 10"
        then: [{{id: small{i}, department: d{i % 5}}}]
      - when: "n{i} >= 10 and n{i} < 100"
        then: [{{id: medium{i}, department: d{i % 5}}}]
      - otherwise: [{{id: large{i}, department: d{i % 5}}}]""")
    return _HEAD.format(fields=fields, steps="\n".join(blocks))


def proof_scale(quick: bool) -> list[str]:
    """Rows for docs/benchmarks.md: the length table and the independent-conditions table."""
    lengths = [100, 1_000, 3_000] if quick else [100, 1_000, 10_000]
    repeat = 1 if quick else 5
    workflows = {n: parse(sequence(n)).unwrap() for n in lengths}
    states = {n: check(w).states for n, w in workflows.items()}  # also the warm-up
    samples: dict[int, list[float]] = {n: [] for n in lengths}
    for _ in range(repeat):  # alternating rounds: a noisy moment hits every length alike
        for n, workflow in workflows.items():
            samples[n].append(median_time(lambda w=workflow: check(w), 1))
    times = {n: statistics.median(values) for n, values in samples.items()}
    ratios = [times[b] / times[a] for a, b in itertools.pairwise(lengths)]
    met = all(r <= GOAL * (b / a) / 10 for r, (a, b) in
              zip(ratios, itertools.pairwise(lengths), strict=True))
    rows = [f"Goal: each tenfold longer sequence proven in at most {GOAL:.0f}x the time: "
            f"{verdict(met)} ({', '.join(f'{r:.1f}x' for r in ratios)}).", "",
            "| steps in sequence | explored states | proof time | ratio to the previous length |",
            "| ---: | ---: | ---: | ---: |"]
    previous = None
    for n in lengths:
        ratio = "-" if previous is None else f"{times[n] / times[previous]:.1f}x"
        rows.append(f"| {n:,} | {states[n]:,} | {times[n] * 1e3:,.1f} ms | {ratio} |")
        previous = n
    rows += ["", "Independent conditions (each block reads fields no other block reads):", "",
             "| workflow | kinds of form | explored states | decided | proof time |",
             "| --- | ---: | ---: | --- | ---: |"]
    for label, text in (("13 steps, each `when` its own yes/no field", independent_flags(13)),
                        ("the same 13 inside one parallel block", flags_in_parallel(13)),
                        ("5 integer fields, two thresholds each", thresholds(5))):
        workflow = parse(text).unwrap()
        report = check(workflow)
        took = median_time(lambda w=workflow: check(w), repeat)
        decided = "yes" if report.decided else f"no: {report.note}"
        rows.append(f"| {label} | {report.forms:,} | {report.states:,} | {decided} | "
                    f"{took * 1e3:,.1f} ms |")
    return rows
