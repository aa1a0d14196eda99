"""Workflow texts of a given shape, for the scale tests and the benchmarks."""

from __future__ import annotations


def parallel_workflow(lengths: list[int], *, name: str = "wide") -> str:
    """One registration step, then ``len(lengths)`` departments in parallel, department *i*
    running ``lengths[i]`` steps in order, each step with every outcome."""
    lines = [
        "onething: 1", f"id: {name}", "version: 1", f"title: {name}", "lead: hall",
        "form:", "  fields:", "    company: {type: string, required: true}",
        "steps:", "  - {id: registration, department: hall, reads: [company]}",
        "  - parallel:",
    ]
    for d, length in enumerate(lengths):
        steps = ", ".join(f"{{id: d{d}_s{s}, department: dept{d}, produces: [d{d}_s{s}_item]}}"
                          for s in range(length))
        lines.append(f"      - [{steps}]")
    lines += ["delivery:", "  bundle: [d0_s0_item]", "  methods: [window, mail]"]
    return "\n".join(lines) + "\n"
