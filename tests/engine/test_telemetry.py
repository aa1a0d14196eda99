"""Telemetry (issue 19 item 3): OpenTelemetry spans, metrics and gauges, read with the SDK's
in-memory span exporter and metric reader, and the JSON logs.

The tests give onething the SDK's providers as a host would (``onething.telemetry.use``, or
the global providers in a child process) and install nothing else: what they read is what the
engine recorded. A span is one action, never a case; a refusal says its code and nothing of
its message; a replay says so; the counters count what was done; the gauges count what the
case records say; and over whole cases of a shipped workflow no attribute of any span or
metric point holds personal data. Without a provider, or without the API installed, the
engine works as before.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, format_span_id, format_trace_id
from tests.support.alerting import PARALLEL, STAGES, STARTUP, alerts_by_hand, busy_hall
from tests.support.factories import ROOT, START, VALID_ID_CARD, sample_form, sample_materials
from tests.support.racing import RacingStore
from tests.support.whole_case import LEAD, person, startup, whole_case

from onething import telemetry
from onething.cases.records import applicant, officer, window
from onething.engine import _telemetry, _unit
from onething.engine.engine import Engine
from onething.errors import ActionRefused, OnethingError, SubmissionRejected
from onething.language.load import parse
from onething.privacy.masking import personal_logger
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock


class Recorded:
    """What the SDK's in-memory exporter and reader hold."""

    def __init__(self, exporter: InMemorySpanExporter, reader: InMemoryMetricReader) -> None:
        self.exporter, self.reader = exporter, reader

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def metrics(self) -> dict[str, list[tuple[dict[str, Any], Any]]]:
        """Metric name -> [(attributes, value: a sum, gauge value or histogram count)]."""
        found: dict[str, list[tuple[dict[str, Any], Any]]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found[metric.name] = [
                        (dict(p.attributes or {}), getattr(p, "count", None)
                         if hasattr(p, "bucket_counts") else p.value)  # type: ignore[union-attr]
                        for p in metric.data.data_points]
        return found

    def total(self, name: str, **wanted: Any) -> int:
        """The sum of a counter's points whose attributes hold ``wanted``."""
        return sum(value for attributes, value in self.metrics().get(name, [])
                   if all(attributes.get(f"onething.{k.replace('_', '.')}") == v
                          for k, v in wanted.items()))


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    telemetry.use(tracer_provider, meter_provider)
    try:
        yield Recorded(exporter, reader)
    finally:
        telemetry.use()
        tracer_provider.shutdown()
        meter_provider.shutdown()


def attribute_texts(recorded: Recorded) -> list[str]:
    """Every name, attribute key and value, event and status of every span and metric point."""
    texts = []
    for span in recorded.spans():
        texts += [span.name, span.status.description or ""]
        texts += [f"{k}={v}" for k, v in (span.attributes or {}).items()]
        for event in span.events:
            texts += [event.name, *(f"{k}={v}" for k, v in (event.attributes or {}).items())]
    for name, points in recorded.metrics().items():
        texts += [name, *(f"{k}={v}" for attributes, _ in points
                          for k, v in attributes.items())]
    return texts


# -- spans -------------------------------------------------------------------------------------


def test_one_span_per_action_never_one_per_case(recorded: Recorded) -> None:
    engine, clock = startup()
    case_id, calls = whole_case(engine, clock, person())
    spans = recorded.spans()
    names = [s.name.removeprefix("onething.") for s in spans]
    assert names == calls  # each call its own span (the follow-up opened inside evaluate's)
    assert all(s.parent is None for s in spans)  # no span stands for the case around them
    for before, after in pairwise(spans):
        assert before.end_time is not None and after.start_time is not None
        assert before.end_time <= after.start_time  # one after the other, none left open
    assert len({s.context.trace_id for s in spans}) == len(spans)
    on_case = [s for s in spans if s.attributes.get(_telemetry.CASE) == case_id]
    assert len(on_case) == len(calls) - 1  # all but the refused form, which made no case
    committed = [s for s in spans if s.attributes[_telemetry.OUTCOME] == "committed"]
    assert {s.attributes[_telemetry.WORKFLOW] for s in committed} == {STARTUP.id}
    assert {s.attributes[_telemetry.VERSION] for s in committed} == {STARTUP.version}
    approve = next(s for s in committed if s.attributes.get(_telemetry.STEP) == "tax")
    assert approve.attributes[_telemetry.DEPARTMENT] == "tax"
    assert approve.attributes[_telemetry.ROLE] == "department"


PART = parse("""onething: 1
id: part
version: 1
title: part
lead: permits
form:
  fields:
    name: {type: string, required: true}
steps:
  - {id: review, department: permits, reads: [name], produces: [permit]}
delivery:
  bundle: [permit]
  methods: [window]
""").unwrap()
WHOLE = parse("""onething: 1
id: whole
version: 1
title: whole
lead: hall
form:
  fields:
    name: {type: string, required: true}
steps:
  - id: parts
    department: hall
    opens: {workflow: part, form: {name: name}, waits_for: result}
    produces: [parts_item]
delivery:
  bundle: [parts_item]
  methods: [window]
""").unwrap()


def test_a_parent_decided_by_its_childs_delivery_is_a_child_span(recorded: Recorded) -> None:
    engine = Engine(clock=FixedClock(START))
    engine.deploy(PART)
    engine.deploy(WHOLE)
    case = engine.submit(WHOLE.id, {"name": "幸福里"}, {}, actor=applicant("a"))
    [child] = engine.accept(case.id, window("hall")).outcomes["parts"]["children"]
    engine.accept(child, window("permits"))
    engine.act(child, "review", "approve", officer("permits"))
    recorded.exporter.clear()
    engine.deliver(child, window("permits"))
    settle, deliver = recorded.spans()  # the inner one ends first
    assert (deliver.name, settle.name) == ("onething.deliver", "onething.settle")
    assert settle.parent is not None and settle.parent.span_id == deliver.context.span_id
    assert deliver.attributes[_telemetry.CASE] == child
    assert settle.attributes[_telemetry.CASE] == case.id
    assert settle.attributes[_telemetry.WORKFLOW] == WHOLE.id
    assert deliver.attributes[_telemetry.DELIVERY] == "result"
    assert recorded.total("onething.deliveries", workflow_id=PART.id) == 1


def test_timers_that_fire_are_one_span_each(recorded: Recorded) -> None:
    engine, clock = startup()
    busy_hall(engine, clock, [1, 2])
    recorded.exporter.clear()
    fired = engine.tick(clock.now() + timedelta(days=20))
    assert fired and all(not f.error for f in fired)
    timers = [s for s in recorded.spans() if s.name.startswith("onething.timer.")]
    assert len(timers) == len(fired)
    assert Counter(s.name for s in timers) == Counter(f"onething.timer.{f.timer.kind}"
                                                      for f in fired)
    assert {s.attributes[_telemetry.OUTCOME] for s in timers} == {"committed"}


def test_a_refusal_span_carries_its_code_and_nothing_of_its_message(
        recorded: Recorded) -> None:
    engine, _ = startup()
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                         actor=applicant(VALID_ID_CARD))
    engine.accept(case.id, window(LEAD))
    with pytest.raises(ActionRefused) as refused:
        engine.act(case.id, "registration", "approve", officer("tax", "wang"))
    span = recorded.spans()[-1]
    assert span.name == "onething.approve"
    assert span.attributes[_telemetry.OUTCOME] == "refused"
    assert span.attributes[_telemetry.CODE] == refused.value.code == "refused.step.not_department"
    assert span.status.status_code is StatusCode.UNSET and not span.events
    assert refused.value.message not in " ".join(attribute_texts(recorded))
    with pytest.raises(SubmissionRejected) as rejected:
        engine.submit(STARTUP.id, {}, {}, actor=applicant(VALID_ID_CARD))
    assert recorded.spans()[-1].attributes[_telemetry.CODE] == rejected.value.code
    assert recorded.total("onething.refusals", refusal_code="refused.step.not_department",
                          action="approve", workflow_id=STARTUP.id) == 1
    assert recorded.total("onething.refusals", refusal_code=rejected.value.code) == 1


def test_an_error_is_named_by_its_type_and_a_made_up_case_is_not_recorded(
        recorded: Recorded) -> None:
    engine, _ = startup()
    with pytest.raises(OnethingError):
        engine.accept(VALID_ID_CARD, window(LEAD))  # no such case: an identity number
    span = recorded.spans()[-1]
    assert span.attributes[_telemetry.OUTCOME] == "error"
    assert span.attributes["error.type"] == "onething.errors.UnknownCase"
    assert span.status.status_code is StatusCode.ERROR
    assert [dict(e.attributes or {}) for e in span.events] == [
        {"exception.type": "onething.errors.UnknownCase"}]
    assert _telemetry.CASE not in span.attributes
    assert VALID_ID_CARD not in " ".join(attribute_texts(recorded))


def test_replayed_requests_are_marked(recorded: Recorded) -> None:
    engine, _ = startup()
    first = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                          actor=applicant(VALID_ID_CARD), idempotency_key="s-1")
    again = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                          actor=applicant(VALID_ID_CARD), idempotency_key="s-1")
    assert again.id == first.id
    for _ in range(3):
        engine.accept(first.id, window(LEAD), idempotency_key="a-1")
    outcomes = [(s.name, s.attributes[_telemetry.OUTCOME]) for s in recorded.spans()]
    assert outcomes == [("onething.submit", "committed"), ("onething.submit", "replayed"),
                        ("onething.accept", "committed"), ("onething.accept", "replayed"),
                        ("onething.accept", "replayed")]
    assert recorded.total("onething.actions", action="accept", outcome="replayed") == 2
    assert all(s.attributes[_telemetry.CASE] == first.id for s in recorded.spans())


def test_retries_are_counted_on_the_span(recorded: Recorded) -> None:
    engine, clock = startup()
    [case_id] = busy_hall(engine, clock, [2])
    other = Engine(engine.store, clock=clock)
    racing = Engine(RacingStore(engine.store, lambda: other.act(
        case_id, "seal", "approve", officer("public_security"))), clock=clock)
    racing.deploy(STARTUP)
    recorded.exporter.clear()
    racing.act(case_id, "tax", "approve", officer("tax"))
    spans = {s.attributes[_telemetry.STEP]: s for s in recorded.spans()}
    assert spans["tax"].attributes[_telemetry.RETRIES] == 1
    assert spans["seal"].attributes[_telemetry.RETRIES] == 0


# -- the invariant: one span a call, saying what the call did ----------------------------------

NAMES_OF = {"accept": "accept", "deliver": "deliver", "withdraw": "withdraw",
            "correct": "request_correction", "registration": "approve", "seal": "approve",
            "tax": "approve", "bank_appointment": "approve"}


def act(engine: Engine, case_id: str, what: str, right: bool, key: str | None) -> str:
    """Do ``what`` on the case, as who may (``right``) or as a stranger; its action's name."""
    who = officer("urban_management", "li")
    if what in ("accept", "deliver"):
        method = engine.accept if what == "accept" else engine.deliver
        method(case_id, window(LEAD) if right else who, idempotency_key=key)
    elif what == "withdraw":
        engine.withdraw(case_id, applicant(VALID_ID_CARD) if right else who,
                        idempotency_key=key)
    else:
        step = "registration" if what == "correct" else what
        department = LEAD if step == "registration" else PARALLEL[step]
        engine.act(case_id, step, NAMES_OF[what], officer(department) if right else who,
                   "为何", idempotency_key=key)
    return NAMES_OF[what]


CALLS = st.lists(st.tuples(
    st.sampled_from(["accept", "registration", "seal", "tax", "bank_appointment", "deliver",
                     "withdraw", "correct"]),
    st.booleans(),  # the right actor
    st.sampled_from([None, "k1", "k2"])), max_size=14)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(CALLS)
def test_every_call_has_one_span_saying_what_it_did(recorded: Recorded,
                                                    calls: list[Any]) -> None:
    engine, _ = startup()
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                         actor=applicant(VALID_ID_CARD))
    recorded.exporter.clear()
    before = outcomes(recorded)
    expected: list[tuple[str, str, str | None]] = []
    for what, right, key in calls:
        try:
            name = act(engine, case.id, what, right, key)
        except ActionRefused as refused:  # not allowed, not now, a key used for another
            expected.append((NAMES_OF[what], "refused", refused.code))
        else:
            expected.append((name, "committed or replayed", None))
    spans = recorded.spans()
    said = [(s.name.removeprefix("onething."),
             "committed or replayed" if s.attributes[_telemetry.OUTCOME] in (
                 "committed", "replayed") else s.attributes[_telemetry.OUTCOME],
             s.attributes.get(_telemetry.CODE)) for s in spans]
    assert said == expected
    counted = outcomes(recorded)
    counted.subtract(before)
    assert +counted == Counter(s.attributes[_telemetry.OUTCOME] for s in spans)


def outcomes(recorded: Recorded) -> Counter[str]:
    """The actions counted so far, by outcome."""
    found: Counter[str] = Counter()
    for attributes, value in recorded.metrics().get("onething.actions", []):
        found[attributes[_telemetry.OUTCOME]] += value
    return found


# -- metrics -----------------------------------------------------------------------------------


def test_metrics_count_actions_refusals_deliveries_and_durations(recorded: Recorded) -> None:
    engine, clock = startup()
    whole_case(engine, clock, person())
    metrics = recorded.metrics()
    actions = Counter()
    for attributes, value in metrics["onething.actions"]:
        actions[attributes["onething.action"], attributes["onething.outcome"]] += value
    assert actions == Counter({
        ("submit", "refused"): 1, ("submit", "committed"): 1, ("submit", "replayed"): 1,
        ("accept", "committed"): 1, ("request_correction", "committed"): 1,
        ("supplement", "committed"): 1, ("unknown", "refused"): 1, ("approve", "refused"): 1,
        ("approve", "committed"): 1 + len(PARALLEL), ("deliver", "refused"): 1,
        ("deliver", "committed"): 1, ("evaluate", "committed"): 1})
    assert sum(v for _, v in metrics["onething.refusals"]) == 4
    assert metrics["onething.deliveries"] == [
        ({"onething.delivery.kind": "result", "onething.workflow.id": STARTUP.id}, 1)]
    durations = {a["onething.action"]: n for a, n in metrics["onething.action.duration"]}
    assert durations["approve"] == 2 + len(PARALLEL) and durations["submit"] == 3
    assert all(set(a) <= {"onething.action", "onething.workflow.id"}
               for a, _ in metrics["onething.action.duration"])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(list(STAGES)), min_size=1, max_size=10),
       st.integers(0, 24 * 20))
def test_the_overdue_and_warning_gauges_count_what_the_case_records_say(
        recorded: Recorded, stages: list[int], hours: int) -> None:
    engine, clock = startup()
    busy_hall(engine, clock, stages)
    clock.advance(timedelta(hours=hours))
    stop = telemetry.observe(engine)
    try:
        metrics = recorded.metrics()
    finally:
        stop()
    expected = alerts_by_hand(engine, clock.now())
    for status in ("overdue", "warning"):
        reported = {a["onething.department"]: v
                    for a, v in metrics.get(f"onething.cases.{status}", [])}
        wanted = {d: n for (d, s), n in expected.items() if s == status}
        assert {d: n for d, n in reported.items() if n} == wanted
        assert set(wanted) <= set(reported)


def test_the_gauges_read_a_database_store(recorded: Recorded, tmp_path: Path) -> None:
    engine, clock = startup(SqliteStore(tmp_path / "cases.sqlite3"))
    busy_hall(engine, clock, [1, 2, 3, 4, 1])
    clock.advance(timedelta(days=12))
    stop = telemetry.observe(engine)
    try:
        metrics = recorded.metrics()
        expected = alerts_by_hand(engine, clock.now())
    finally:
        stop()
        engine.store.close()
    reported = {(a["onething.department"], name.rpartition(".")[2]): v
                for name in ("onething.cases.overdue", "onething.cases.warning")
                for a, v in metrics[name] if v}
    assert reported == expected != {}


# -- no personal data --------------------------------------------------------------------------

NAMES = st.text(alphabet="李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹",
                min_size=2, max_size=4)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10**6), NAMES, st.from_regex(r"staff-[a-z]{3,6}[0-9]{2}", fullmatch=True))
def test_no_personal_data_in_any_attribute_of_any_span_or_metric_point(
        recorded: Recorded, seed: int, name: str, staff: str) -> None:
    recorded.exporter.clear()
    engine, clock = startup()
    who = person(seed, name)
    case_id, _ = whole_case(engine, clock, who, staff)
    engine.tick(clock.now() + timedelta(days=60))
    stop = telemetry.observe(engine)
    try:
        texts = attribute_texts(recorded)
    finally:
        stop()
    assert any(case_id in t for t in texts)  # what may be there is
    secrets = [who["id"], who["phone"], who["name"], who["company"], who["address"], staff,
               engine.people.pseudonym(who["id"]), "身份证", "太慢"]
    for secret in secrets:
        leaked = [t for t in texts if secret in t]
        assert leaked == [], secret


# -- without a provider, without the API -------------------------------------------------------


def test_without_a_provider_everything_works_and_nothing_is_recorded() -> None:
    from opentelemetry import trace

    telemetry.use()  # the global providers: no host set one in this process
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert hasattr(_unit.run, "__wrapped__")  # the API is installed: actions are traced
    engine, clock = startup()
    case_id, _ = whole_case(engine, clock, person(3))
    assert engine.delivery(case_id) is not None
    assert engine.history(case_id)[-1].action == "evaluated"
    stop = telemetry.observe(engine)  # a gauge nobody reads
    stop()


def _child(script: str, *, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              [str(ROOT / "src"), str(ROOT)]), **(env or {})})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_without_the_api_the_unit_of_work_is_not_wrapped_and_works() -> None:
    out = _child("""
        import io, json, sys
        sys.modules["opentelemetry"] = None  # not installed
        from onething.engine import _submission, _telemetry, _unit
        from onething import telemetry
        from tests.support.whole_case import person, startup, whole_case
        engine, clock = startup()
        case_id, calls = whole_case(engine, clock, person(5))
        stream = io.StringIO()
        telemetry.json_logging(stream)
        telemetry.observe(engine)()
        import logging
        logging.getLogger("onething.host").warning("done %s", "430381199001011234")
        print(json.dumps({"on": _telemetry.ON, "wrapped": [hasattr(f, "__wrapped__") for f in
                          (_unit.run, _submission.submit)],
                          "delivered": engine.delivery(case_id) is not None,
                          "otel": "opentelemetry.trace" in sys.modules,
                          "log": json.loads(stream.getvalue())}))
    """)
    found = json.loads(out)
    assert found["on"] is False and found["wrapped"] == [False, False]
    assert found["delivered"] and not found["otel"]
    assert found["log"]["message"] == "done 430*************34"
    assert "trace_id" not in found["log"]


@pytest.mark.parametrize(("env", "made"), [({}, False), (
    {"OTEL_PYTHON_TRACER_PROVIDER": "sdk_tracer_provider"}, True)])
def test_without_an_sdk_an_action_does_not_call_the_apis_no_ops(env: dict[str, str],
                                                                 made: bool) -> None:
    """The API installed but no SDK behind the global providers: nothing could record, so an
    action does not pay for the API's no-op spans and instruments (none is even made). A
    provider the environment names (the API loads it on first use) is an SDK."""
    out = _child("""
        import json
        from onething.engine import _telemetry, _unit
        from tests.support.whole_case import person, startup, whole_case
        engine, clock = startup()
        case_id, _ = whole_case(engine, clock, person(7))
        print(json.dumps({"wrapped": hasattr(_unit.run, "__wrapped__"),
                          "made": _telemetry._tools is not None,
                          "delivered": engine.delivery(case_id) is not None}))
    """, env=env)
    assert json.loads(out) == {"wrapped": True, "made": made, "delivered": True}


def test_the_global_providers_the_host_sets_are_used_even_after_onething_started() -> None:
    out = _child("""
        import json
        from tests.support.whole_case import STARTUP, LEAD, startup
        from tests.support.factories import sample_form, sample_materials
        from onething.cases.records import applicant, window
        engine, clock = startup()
        case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                             actor=applicant("someone"))  # before the host's providers
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        engine.accept(case.id, window(LEAD))
        names = [m.name for r in reader.get_metrics_data().resource_metrics
                 for s in r.scope_metrics for m in s.metrics]
        print(json.dumps({"spans": [s.name for s in exporter.get_finished_spans()],
                          "scope": exporter.get_finished_spans()[0].instrumentation_scope.name,
                          "metrics": sorted(names)}))
    """)
    found = json.loads(out)
    assert found["spans"] == ["onething.accept"] and found["scope"] == "onething"
    assert {"onething.actions", "onething.action.duration"} <= set(found["metrics"])


# -- JSON logs ---------------------------------------------------------------------------------


@pytest.fixture
def json_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    stream = io.StringIO()
    ours = logging.getLogger("onething")
    level = ours.level
    handler = telemetry.json_logging(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logging.getLogger().removeHandler(handler)
        ours.setLevel(level)


def test_json_logs_mask_personal_numbers(json_lines: Callable[[], list[dict[str, Any]]]
                                          ) -> None:
    personal_logger("onething.engine").info("case %s: applicant %s", "c1", VALID_ID_CARD)
    logging.getLogger("host.library").warning("a caller typed %s", VALID_ID_CARD)
    try:
        raise ValueError(f"bad {VALID_ID_CARD}")
    except ValueError:
        logging.getLogger("host.library").exception("failed for %s", "13800138000")
    lines = json_lines()
    assert [(line["level"], line["logger"], line["message"]) for line in lines] == [
        ("INFO", "onething.engine", "case c1: applicant 430*************34"),
        ("WARNING", "host.library", "a caller typed 430*************34"),
        ("ERROR", "host.library", "failed for 138******00")]
    assert "ValueError: bad 430*************34" in lines[2]["exception"]
    assert all(set(line) <= {"time", "level", "logger", "message", "exception"}
               and line["time"].endswith("+08:00") for line in lines)
    assert VALID_ID_CARD not in json.dumps(lines)


def test_json_logs_carry_the_ids_of_the_active_span(
        recorded: Recorded, json_lines: Callable[[], list[dict[str, Any]]]) -> None:
    host = TracerProvider().get_tracer("host")
    with host.start_as_current_span("request") as request:
        logging.getLogger("host").warning("inside a request")
    engine, _ = startup()
    case = engine.submit(STARTUP.id, sample_form(STARTUP), sample_materials(STARTUP),
                         actor=applicant(VALID_ID_CARD))
    for _ in range(_unit.REFUSALS_KEPT + 1):  # the last refusal is only logged, in its span
        with pytest.raises(ActionRefused):
            engine.deliver(case.id, applicant(VALID_ID_CARD))
    first, *_, last = json_lines()
    ids = request.get_span_context()
    assert (first["trace_id"], first["span_id"]) == (format_trace_id(ids.trace_id),
                                                      format_span_id(ids.span_id))
    action = recorded.spans()[-1].get_span_context()
    assert last["logger"] == "onething.engine" and "not recorded" in last["message"]
    assert (last["trace_id"], last["span_id"]) == (format_trace_id(action.trace_id),
                                                    format_span_id(action.span_id))


def test_the_command_line_logs_json_on_request(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

    def dispatch(name: str, *options: str, **more: str) -> subprocess.CompletedProcess[str]:
        store = SqliteStore(tmp_path / name)  # a delivered case: its delivery to hand over
        engine, clock = startup(store)
        busy_hall(engine, clock, [5])
        store.close()
        return subprocess.run([sys.executable, "-m", "onething", *options, "dispatch", "--db",
                               str(tmp_path / name)], capture_output=True, text=True,
                              timeout=60, env={**env, **more})

    plain = dispatch("plain.sqlite3")
    assert plain.returncode == 0 and "{" not in plain.stderr
    for run in (dispatch("option.sqlite3", "--log-format", "json"),
                dispatch("env.sqlite3", ONETHING_LOG_FORMAT="json")):
        assert run.returncode == 0, run.stderr
        [line] = [json.loads(text) for text in run.stderr.splitlines()]
        assert line["logger"] == "onething.dispatch" and line["level"] == "INFO"
        assert line["message"].startswith("delivery D-") and "time" in line


def test_a_served_hall_logs_json_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    import urllib.error
    import urllib.request

    from tests.support.servers import serving

    monkeypatch.setenv("ONETHING_LOG_FORMAT", "json")
    log = tmp_path / "server.log"
    with serving("--demo", "--db", str(tmp_path / "demo.sqlite3"), log_to=log) as base:
        try:
            urllib.request.urlopen(f"{base}/api/v1/cases/{VALID_ID_CARD}", timeout=10)
        except urllib.error.HTTPError as unknown:
            assert unknown.code in (401, 404)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()
             if line.startswith("{")]
    access = [line["message"] for line in lines if line["logger"] == "uvicorn.access"]
    assert any('"GET /api/v1/cases/430*************34 HTTP/1.1"' in m for m in access), access
    assert VALID_ID_CARD not in log.read_text(encoding="utf-8")
