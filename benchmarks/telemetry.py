"""What telemetry costs an in-memory action (docs/telemetry.md), side by side in one run:
without ``opentelemetry-api`` (the unit of work not wrapped, the hooks returning at once),
with the API but no SDK set (the host configured none: nothing can record, the API is not
called), with the API's no-op providers given to ``use()`` (the API called, its no-ops
answering), and with the SDK recording every span (in memory, exported synchronously) and
every metric.

``python -m benchmarks.telemetry [--quick]``: the linear workflow of the other sections (accept,
ten approvals, deliver), on a MemoryStore; one case in each setting in turn, so that the
machine's drift touches each alike; medians per action and ratios to the run without the API.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import drive, new_engine, ratio, submit_many
from onething.engine import _submission, _telemetry, _unit
from onething.stores.memory import MemoryStore

TRACED = (_unit.run, _submission.submit)


def without_api() -> None:
    """As if ``opentelemetry-api`` were not installed: what ``traced_run`` returns then."""
    _unit.run, _submission.submit = (f.__wrapped__ for f in TRACED)  # type: ignore[attr-defined]
    _telemetry.ON = False
    _telemetry._providers, _telemetry._tools = (None, None), None


def api_without_sdk() -> None:
    """The API installed, the global providers the API's own (no SDK set): what a host that
    configures no telemetry runs."""
    _unit.run, _submission.submit = TRACED
    _telemetry.ON = True
    _telemetry._providers, _telemetry._tools = (None, None), None


def api_no_ops() -> None:
    """The API's no-op providers given to ``use()``: every action calls the API, whose no-ops
    answer."""
    _unit.run, _submission.submit = TRACED
    _telemetry.ON = True
    _telemetry._providers, _telemetry._tools = _PROVIDERS["no-op"], _TOOLS["no-op"]


def sdk() -> None:
    """The SDK recording every span (exported synchronously, in memory) and every metric."""
    _unit.run, _submission.submit = TRACED
    _telemetry.ON = True
    _telemetry._providers, _telemetry._tools = _PROVIDERS["sdk"], _TOOLS["sdk"]


def _no_op_providers() -> tuple[Any, Any]:
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.trace import NoOpTracerProvider

    return NoOpTracerProvider(), NoOpMeterProvider()


def _sdk_providers() -> tuple[Any, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    return tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()])


#: the providers of each setting, and their tracer and instruments, made once (switching
#: settings costs nothing)
_PROVIDERS = {"no-op": _no_op_providers(), "sdk": _sdk_providers()}
_TOOLS = {name: _telemetry._Tools(*given) for name, given in _PROVIDERS.items()}


SETTINGS: list[tuple[str, Callable[[], None]]] = [
    ("without opentelemetry-api", without_api),
    ("opentelemetry-api, no SDK set (the API not called)", api_without_sdk),
    ("opentelemetry-api, its no-op providers given to `use()`", api_no_ops),
    ("opentelemetry-sdk recording (in-memory exporter and reader)", sdk),
]


def telemetry_section(quick: bool) -> list[str]:
    """Benchmark section 13: an in-memory action without the API, with the API and no
    provider, and with the SDK recording, case by case in turn."""
    cases = 300 if quick else 3000
    assert all(hasattr(f, "__wrapped__") for f in TRACED), "opentelemetry-api is not installed"
    engines = [new_engine(MemoryStore()) for _ in SETTINGS]
    ids = []
    for (_, setting), engine in zip(SETTINGS, engines, strict=True):
        setting()
        ids.append(submit_many(engine, cases + 10))
    samples: list[list[float]] = [[] for _ in SETTINGS]
    for n in range(cases + 10):  # case by case, each setting in turn: the drift touches all
        for k, (_, setting) in enumerate(SETTINGS):
            setting()
            began = time.perf_counter()
            actions = drive(engines[k], ids[k][n])
            if n >= 10:  # the first cases warm every path up
                samples[k].append((time.perf_counter() - began) / actions * 1e6)
    without_api()
    base = statistics.median(samples[0])
    lines = [f"No numeric goal (issue 19: telemetry through `opentelemetry-api` only). {cases} "
             "linear cases x 12 in-memory actions in each setting, taken case by case in "
             "turn; medians per action (spread: 10th-90th percentile).", "",
             "| telemetry | us per action | ratio |", "| --- | ---: | ---: |"]
    for (name, _), taken in zip(SETTINGS, samples, strict=True):
        median = statistics.median(taken)
        cut = statistics.quantiles(taken, n=10)
        lines.append(f"| {name} | {median:.1f} ({cut[0]:.1f}-{cut[-1]:.1f}) | "
                     f"{ratio(median, base)} |")
    return lines


def main(quick: bool) -> None:
    print("\n".join(telemetry_section(quick)))


if __name__ == "__main__":
    main("--quick" in sys.argv[1:])
