"""Sections 1 and 2: the in-memory action cost against raw ``transitions`` and
python-statemachine, its flatness over 1k..1M live cases, and memory per live case."""

from __future__ import annotations

import gc
import pickle
import statistics
import time
import tracemalloc

import attrs
from transitions import Machine

from benchmarks.common import (
    ACTIONS_PER_CASE,
    FORM,
    LINEAR_ID,
    ROOT,
    SCRIPT,
    START,
    new_engine,
    new_id,
    per_action_us,
    ratio,
    submit_many,
    verdict,
)
from onething.cases.records import officer, window
from onething.engine.engine import Engine
from onething.language.load import load
from onething.stores.memory import MemoryStore
from onething.workdays import FixedClock

CHAIN = [f"p{i}" for i in range(ACTIONS_PER_CASE + 1)]


# -- baselines -------------------------------------------------------------------------------


def raw_transitions_us(events: int, cases: int, repeat: int) -> float:
    """A raw ``Machine(model=None, auto_transitions=False)`` chain of ``events`` events,
    each event: load the case's state into one flyweight model (``set_state``), ``trigger``,
    store the state back in the case record (a dict per case)."""
    chain = [f"p{i}" for i in range(events + 1)]
    machine = Machine(model=None, states=chain, initial=chain[0], auto_transitions=False)
    for i in range(events):
        machine.add_transition(f"e{i}", chain[i], chain[i + 1])

    class Flyweight:
        state: str

    token = Flyweight()
    machine.add_model(token, initial=chain[0])
    names = [f"e{i}" for i in range(events)]
    set_state = machine.set_state

    def run() -> None:
        records = [{"state": chain[0]} for _ in range(cases)]
        for record in records:
            for name in names:
                set_state(record["state"], model=token)
                token.trigger(name)
                record["state"] = token.state

    return _per_event(run, cases * events, repeat)


def statemachine_us(events: int, cases: int, repeat: int) -> tuple[float, float]:
    """python-statemachine 3.x: (us per event, us per instance) on the same chain."""
    from statemachine import State, StateChart

    states = [State(f"p{i}", initial=i == 0, final=i == events) for i in range(events + 1)]
    body: dict[str, object] = {f"p{i}": s for i, s in enumerate(states)}
    for i in range(events):
        body[f"e{i}"] = states[i].to(states[i + 1])
    chart = type("Linear", (StateChart,), body)
    names = [f"e{i}" for i in range(events)]

    def create() -> None:
        for _ in range(cases):
            chart()

    instances: list[object] = []

    def fire() -> None:
        for sm in instances:
            for name in names:
                sm.send(name)

    per_event = []
    for _ in range(repeat):
        instances[:] = [chart() for _ in range(cases)]
        per_event.append(_per_event(fire, cases * events, 1))
    return statistics.median(per_event), _per_event(create, cases, repeat)


def _per_event(run: object, events: int, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) / events * 1e6)
    return statistics.median(samples)


# -- onething --------------------------------------------------------------------------------


def onething_linear_us(cases: int, repeat: int) -> float:
    engine = new_engine(MemoryStore())
    batches = [submit_many(engine, cases) for _ in range(repeat)]
    return per_action_us(engine, batches)


STARTUP_PARALLEL = {"seal": "public_security", "tax": "tax",
                    "social_insurance": "human_resources",
                    "medical_insurance": "medical_security",
                    "housing_fund": "housing_fund_centre", "bank_appointment": "bank"}
STARTUP_FORM = {
    "company_name": "湘乡市示例餐饮管理有限公司", "legal_person_name": "李四",
    "legal_person_id": "430381199001011234", "legal_person_phone": "13900139000",
    "business_address": "湖南省湘乡市望春门街道二号", "employees": 3, "needs_invoice": True,
    "delivery_method": "window"}
STARTUP_MATERIALS = {"articles_of_association": "doc://a-1", "address_proof": "doc://a-2"}
STARTUP_ACTIONS = 3 + len(STARTUP_PARALLEL)


def onething_startup_us(cases: int, repeat: int) -> float:
    """企业开办 (a parallel block of six departments): accept, registration, six approvals,
    deliver -- nine actions per case."""
    engine = Engine(MemoryStore(), clock=FixedClock(START))
    engine.deploy(load(ROOT / "workflows" / "enterprise_startup.yaml"))
    desk = window("market_regulation", "window-1")
    registrar = officer("market_regulation")
    officers = {s: officer(d) for s, d in STARTUP_PARALLEL.items()}
    samples = []
    for _ in range(repeat):
        ids = [engine.submit("enterprise-startup", STARTUP_FORM, STARTUP_MATERIALS).id
               for _ in range(cases)]
        gc.collect()
        began = time.perf_counter()
        for case_id in ids:
            engine.accept(case_id, desk)
            engine.act(case_id, "registration", "approve", registrar)
            for step, actor in officers.items():
                engine.act(case_id, step, "approve", actor)
            engine.deliver(case_id, desk, method="window")
        samples.append((time.perf_counter() - began) / (cases * STARTUP_ACTIONS) * 1e6)
    return statistics.median(samples)


def populate(engine: Engine, count: int) -> float:
    """Add ``count`` live (submitted, not yet accepted) cases to a MemoryStore, cheaply.

    One case is submitted through the engine; the others are its copies under fresh ids,
    created through the store's own ``create`` (which deep-copies, so every case owns its
    records exactly as after ``submit``), with the first event and the re-keyed pending
    timers. This skips only the form validation and timer planning of ``submit`` (the same
    result for the same form). Returns the seconds taken.
    """
    began = time.perf_counter()
    store = engine.store
    template = engine.submit(LINEAR_ID, FORM, {})
    events = store.history(template.id)
    timers = store.timers(template.id)
    for _ in range(count - 1):
        case_id = new_id()
        store.create(attrs.evolve(template, id=case_id), list(events),
                     [attrs.evolve(t, id=t.id.replace(template.id, case_id), case_id=case_id)
                      for t in timers])
    return time.perf_counter() - began


def flatness(sizes: list[int], cases: int, repeat: int
             ) -> tuple[list[str], dict[int, float], float]:
    """Action cost with ``sizes`` live cases: one store grown from size to size, measured in
    rounds interleaved with a reference store that keeps ``sizes[0]`` live cases (the ratio
    is the median of the ratios within a round, so that drift on a shared machine cancels)."""
    reference = new_engine(MemoryStore())
    populate(reference, sizes[0])
    big = new_engine(MemoryStore())
    rows = []
    figures: dict[int, float] = {}
    ratios: dict[int, float] = {}
    held = 0
    for size in sizes:
        setup = populate(big, size - held)
        held = size
        own = [submit_many(big, cases) for _ in range(repeat)]
        theirs = [submit_many(reference, cases) for _ in range(repeat)]
        pairs = []
        for r in range(repeat):
            base = per_action_us(reference, [theirs[r]])
            pairs.append((per_action_us(big, [own[r]]), base))
        figures[size] = statistics.median(p[0] for p in pairs)
        ratios[size] = statistics.median(p[0] / p[1] for p in pairs)
        rows.append(f"| {size:,} | {figures[size]:,.1f} | {ratios[size]:.2f}x | "
                    f"{setup:,.1f} s |")
    spread = max(ratios.values()) / min(ratios.values())
    return rows, figures, spread


def action_cost(quick: bool) -> list[str]:
    repeat = 3 if quick else 7
    cases = 40 if quick else 150
    raw = raw_transitions_us(ACTIONS_PER_CASE, cases, repeat)
    raw_startup = raw_transitions_us(STARTUP_ACTIONS, cases, repeat)
    linear = onething_linear_us(cases, repeat)
    startup = onething_startup_us(cases, repeat)
    psm_event, psm_create = statemachine_us(ACTIONS_PER_CASE, cases, repeat)
    sizes = [1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    flat_rows, _, spread = flatness(sizes, cases, max(3, repeat // 2) + 2)
    goal = linear / raw <= 2
    rows = [
        f"Goal: an action <= 2x a raw `transitions` trigger through a flyweight model: "
        f"{verdict(goal)} ({linear:,.1f} us vs {raw:.1f} us, {linear / raw:,.0f}x). "
        f"Goal: flat from 1k to {sizes[-1]:,} live cases: {verdict(spread <= 1.25)} "
        f"(largest / smallest ratio to 1k = {spread:.2f}x; goal taken as <= 1.25x).",
        "",
        f"One linear case = accept, {ACTIONS_PER_CASE - 2} department approvals, deliver "
        f"({ACTIONS_PER_CASE} actions); every peer runs the same {ACTIONS_PER_CASE} events on "
        "a chain of as many states. An onething action is the whole public call "
        "(`engine.act(...)`: load, authorize, fire, clocks, timers, history, commit).",
        "",
        "| what | us per action / event | ratio to raw transitions |",
        "| --- | ---: | ---: |",
        f"| raw transitions `Machine(model=None, auto_transitions=False)`, flyweight "
        f"set_state + trigger ({ACTIONS_PER_CASE}-event chain) | {raw:.1f} | 1.00x |",
        f"| onething Engine + MemoryStore, linear workflow ({ACTIONS_PER_CASE} actions) | "
        f"{linear:,.1f} | {ratio(linear, raw)} |",
        f"| raw transitions, {STARTUP_ACTIONS}-event chain | {raw_startup:.1f} | "
        f"{ratio(raw_startup, raw)} |",
        f"| onething Engine + MemoryStore, enterprise_startup.yaml ({STARTUP_ACTIONS} actions,"
        f" six in parallel) | {startup:,.1f} | {ratio(startup, raw_startup)} (to its "
        f"{STARTUP_ACTIONS}-event chain) |",
        f"| python-statemachine {_version('python-statemachine')} `StateChart.send()` "
        f"| {psm_event:,.1f} | {ratio(psm_event, raw)} |",
        f"| python-statemachine: creating one instance (per case) | {psm_create:,.1f} | "
        f"{ratio(psm_create, raw)} |",
        "",
        "Action cost with many live cases in the store (the same linear actions, taken on "
        "fresh cases while the others wait; one store grown from size to size, measured in "
        "rounds alternating with a reference store of 1k live cases):",
        "",
        "| live cases | us per action | ratio to 1k (paired rounds) | adding them |",
        "| ---: | ---: | ---: | ---: |",
        *flat_rows,
        "",
        "The live cases are built cheaply: one case is submitted through the engine and the "
        "rest are copies of it under fresh ids, written with the store's own `create` (which "
        "deep-copies each one, so every case owns its records as after `submit`), with its "
        "first event and its re-keyed pending timers; only the form check and the timer "
        "planning of `submit` are skipped." + (" `--quick` stops at 100k." if quick else ""),
    ]
    return rows


# -- section 2 -------------------------------------------------------------------------------


def _traced(build: object) -> tuple[object, int]:
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    result = build()
    gc.collect()
    return result, tracemalloc.get_traced_memory()[0] - before


def memory_per_case(quick: bool) -> list[str]:
    count = 1000 if quick else 5000
    tracemalloc.start()
    try:
        rows = []
        figures = {}
        for label, acted in [("submitted (awaiting intake)", 0),
                             ("accepted, 5 of 10 steps approved", 6)]:
            engine = new_engine(MemoryStore())
            submit_many(engine, 2)  # warm every cache outside the measurement

            def build(engine: Engine = engine, acted: int = acted) -> list[str]:
                ids = submit_many(engine, count)
                for case_id in ids:
                    for action, step, actor in SCRIPT[:acted]:
                        if action == "accept":
                            engine.accept(case_id, actor)
                        else:
                            engine.act(case_id, step, action, actor,
                                       "benchmark" if action == "refuse" else "")
                return ids

            ids, total = _traced(build)
            store = engine.store
            # a pickle round trip copies the strings too (a deep copy would share them)
            own, own_bytes = _traced(lambda store=store, ids=ids: [
                pickle.loads(pickle.dumps((store._cases[i].form, store._cases[i].materials,
                                           store._events[i]))) for i in ids])
            del own
            # the status events (issue 17) are a second history: what the case told the
            # people outside, one per status change. Measured as what the store frees when
            # it lets them go (a pickled copy would not share their strings, as the store's
            # own do), and counted with the history
            shown = len(store._status.get(ids[0], []))
            gc.collect()
            held = tracemalloc.get_traced_memory()[0]
            store._status = {}
            gc.collect()
            told_bytes = held - tracemalloc.get_traced_memory()[0]
            own_bytes += told_bytes
            case = store.load(ids[0])
            beyond = (total - own_bytes) / count
            figures[label] = beyond
            rows.append(f"| {label} | {total / count:,.0f} B | {own_bytes / count:,.0f} B "
                        f"({len(store._events[ids[0]])} events, "
                        f"{shown} status events: "
                        f"{told_bytes / count:,.0f} B) | {beyond:,.0f} B | "
                        f"{ratio(beyond, 1024)} | {len(case.clocks)} clocks, "
                        f"{len(store.timers(ids[0]))} timers |")
            del engine, store, ids
    finally:
        tracemalloc.stop()
    worst = max(figures.values())
    return [
        f"Goal: <= 1 KB per live case beyond its own form data and history (its history "
        f"lines and its status events): "
        f"{verdict(worst <= 1024)} (up to {worst:,.0f} B).",
        "",
        f"tracemalloc over {count:,} cases of the linear workflow in one MemoryStore "
        "(the form is one short field). *Own data* is a copy (pickle round trip) of each "
        "case's form, materials and history list, measured the same way, and its status events "
        "(what it told the people outside: a second history, one per status change, issue "
        "17), measured as the memory the store frees when it lets them go; the rest is the "
        "case record, its marking, outcomes, clocks, pending timers and the store's dict "
        "entries.",
        "",
        "| case state | total per case | own form + history + status events | beyond own data |"
        " ratio to 1 KB |"
        " bookkeeping held |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        *rows,
    ]


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "(not installed)"


if __name__ == "__main__":
    import sys

    quick = "--quick" in sys.argv
    print("\n".join(action_cost(quick)))
    print("\n".join(memory_per_case(quick)))
