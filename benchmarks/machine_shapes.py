"""Measure the three ways to carry parallel blocks on transitions (for decision 0002).

1. flat position machine (what onething compiles): one flat Machine whose states are the
   net's places; a case is a marking fired through a flyweight token;
2. a HierarchicalMachine with parallel states, one nested state per branch, driven through
   a flyweight model with set_state;
3. a flat product machine: one state per combination of branch positions.

Run: python benchmarks/machine_shapes.py  (prints medians in microseconds per event)
"""

from __future__ import annotations

import gc
import statistics
import time
from pathlib import Path

from transitions import Machine
from transitions.extensions import HierarchicalMachine

from onething.language.load import load
from onething.machine.compile import compile_net
from onething.net.build import build_net
from onething.net.semantics import form_guard

ROOT = Path(__file__).resolve().parents[1]
BRANCHES = 6
REPEAT = 7
CASES = 300


def flat_positions() -> float:
    compiled = compile_net(build_net(load(ROOT / "workflows" / "enterprise_startup.yaml")))
    guard = form_guard({"needs_invoice": True})
    by = compiled.by_name
    script = ["accept", "approve:registration"] + [
        f"approve:{s}" for s in ("seal", "tax", "social_insurance", "medical_insurance",
                                 "housing_fund", "bank_appointment")
    ] + ["deliver"]
    start = compiled.semantics.initial

    def one_case() -> None:
        marking = start
        for name in script:
            marking = compiled.fire(marking, by[name], guard).marking

    return _per_event(one_case, len(script))


def hsm_parallel() -> float:
    regions = [{"name": f"b{i}", "initial": "todo", "states": ["todo", "done"]}
               for i in range(BRANCHES)]
    states = ["intake", "registration", {"name": "par", "parallel": regions}, "ready",
              "closed"]
    machine = HierarchicalMachine(model=None, states=states, initial="intake",
                                  auto_transitions=False)
    machine.add_transition("accept", "intake", "registration")
    machine.add_transition("approve_registration", "registration", "par")
    for i in range(BRANCHES):
        machine.add_transition(f"approve_b{i}", f"par_b{i}_todo", f"par_b{i}_done")
    machine.add_transition("join", "par", "ready")
    machine.add_transition("deliver", "ready", "closed")

    class Model:
        pass

    model = Model()
    machine.add_model(model, initial="intake")
    script = ["accept", "approve_registration"] + [f"approve_b{i}" for i in range(BRANCHES)] \
        + ["join", "deliver"]

    def one_case() -> None:
        machine.set_state("intake", model=model)
        for name in script:
            model.trigger(name)

    return _per_event(one_case, len(script))


def flat_product_states() -> tuple[int, float]:
    """States and construction time of a flat product for the same shape."""
    combos = [format(i, f"0{BRANCHES}b") for i in range(2 ** BRANCHES)]
    states = ["intake", "registration", *(f"p{c}" for c in combos), "ready", "closed"]
    transitions = [["accept", "intake", "registration"],
                   ["approve_registration", "registration", f"p{'0' * BRANCHES}"],
                   ["join", f"p{'1' * BRANCHES}", "ready"], ["deliver", "ready", "closed"]]
    for c in combos:
        for i, bit in enumerate(c):
            if bit == "0":
                transitions.append([f"approve_b{i}", f"p{c}", f"p{c[:i]}1{c[i + 1:]}"])
    began = time.perf_counter()
    Machine(model=None, states=states, transitions=transitions, auto_transitions=False,
            initial="intake")
    return len(states), (time.perf_counter() - began) * 1e3


def raw_flat_trigger() -> float:
    machine = Machine(model=None, states=["a", "b"], initial="a", auto_transitions=False)
    machine.add_transition("go", "a", "b")

    class Model:
        pass

    model = Model()
    machine.add_model(model, initial="a")

    def one() -> None:
        machine.set_state("a", model=model)
        model.trigger("go")

    return _per_event(one, 1)


def _per_event(run: object, events: int) -> float:
    samples = []
    for _ in range(REPEAT):
        gc.collect()
        began = time.perf_counter()
        for _ in range(CASES):
            run()
        samples.append((time.perf_counter() - began) / (CASES * events) * 1e6)
    return statistics.median(samples)


def main() -> None:
    raw = raw_flat_trigger()
    flat = flat_positions()
    hsm = hsm_parallel()
    states, build_ms = flat_product_states()
    print(f"raw transitions flat trigger (set_state + trigger): {raw:6.1f} us/event")
    print(f"flat position machine (onething, with guards+join): {flat:6.1f} us/event "
          f"({flat / raw:.1f}x raw)")
    print(f"HierarchicalMachine, {BRANCHES} parallel regions:     {hsm:6.1f} us/event "
          f"({hsm / raw:.1f}x raw)")
    print(f"flat product for {BRANCHES} two-state branches: {states} states, built in "
          f"{build_ms:.0f} ms (grows as 2^branches; real steps have 4+ positions each)")


if __name__ == "__main__":
    main()
