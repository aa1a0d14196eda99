"""OpenTelemetry for the engine, optional: a span for each action on a case and for each
submission — never one for a case, which lasts weeks — the metrics of actions, refusals,
deliveries and action latency, the gauges of the cases each department has in warning or
overdue (:func:`observe`), and JSON logs on request (:func:`json_logging`).

Only ``opentelemetry-api`` is used (the ``telemetry`` extra), through the host's providers:
the global ones, or those given to :func:`use`. A host that configures no SDK pays for the
API's no-ops (a few microseconds an action: docs/telemetry.md); without the API installed,
:data:`ON` is False, the unit of work is not wrapped at all and every hook returns at once.

No personal data reaches an attribute. A span carries the action, workflow and version, step,
department, the actor's *role*, the outcome (committed, refused with the refusal's stable
code, no-op, replayed, error with the exception's type), retries and the case number; a metric
point less. Never a form value, a pseudonym or anyone's id, a reason or other free text, nor
an exception's message (a refusal can quote its input: its code says what it was). What a
caller names — an action, a step — is recorded only when the workflow knows it.
docs/telemetry.md lists every span, metric and attribute.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

from onething.cases.records import Case, Delivery, Role
from onething.errors import ActionRefused, OnethingError, SubmissionRejected, VersionChanged
from onething.privacy.masking import MaskingFilter, mask_text, personal_logger
from onething.workdays.clock import SHANGHAI

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
    from opentelemetry.trace import Span, TracerProvider

    from onething.engine._deployments import Deployed


def _installed() -> bool:
    try:
        return all(importlib.util.find_spec(m) is not None
                   for m in ("opentelemetry.trace", "opentelemetry.metrics"))
    except (ImportError, ValueError):  # a parent that is not a package, or blocked
        return False


#: whether ``opentelemetry-api`` can be imported (checked once, imported on first use)
ON = _installed()

# the attributes (docs/telemetry.md): nothing else is ever set
ACTION, OUTCOME, CODE = "onething.action", "onething.outcome", "onething.refusal.code"
WORKFLOW, VERSION, STEP = "onething.workflow.id", "onething.workflow.version", "onething.step"
DEPARTMENT, ROLE, RETRIES = "onething.department", "onething.actor.role", "onething.retries"
CASE, DELIVERY, ERROR = "onething.case.number", "onething.delivery.kind", "error.type"
#: the outcomes of an action
COMMITTED, REFUSED, NO_OP, REPLAYED, FAILED = "committed", "refused", "no-op", "replayed", "error"

#: actions the engine names itself (any other name is a step's outcome the workflow declares)
ENGINE_ACTIONS = frozenset({
    "submit", "accept", "refuse_intake", "request_intake_correction", "supplement",
    "supplement_material", "withdraw", "deliver", "send_back", "start_special_procedure",
    "correction_expired", "promise_expired", "intake_correction_expired", "approve", "refuse",
    "request_correction", "evaluate", "verify_commitment", "authorize_agent", "extend",
    "record_milestone", "claim", "release", "assign", "erase", "migrate", "settle",
    "refresh_calendar", "timer.escalation", "timer.milestone", "timer.signal", "timer.path"})
_ROLES = frozenset(r.value for r in Role)
_STAFF = frozenset({Role.WINDOW.value, Role.DEPARTMENT.value, Role.SUPERVISOR.value,
                    Role.GOVERNMENT_HEAD.value})
#: histogram buckets of an action's duration, in seconds (100 µs in memory to seconds busy)
BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
           1.0, 2.5, 5.0, 10.0)
#: how long the overdue gauge's reading of the alert counts may serve the warning gauge's
#: (read in the same collection)
FRESH_SECONDS = 1.0

log = personal_logger("onething.telemetry")
_F = TypeVar("_F", bound=Callable[..., Any])


class _Action:
    """What the unit of work tells the span of the action it runs (through the hooks)."""

    __slots__ = ("delivery", "deployed", "replayed", "retries")

    def __init__(self) -> None:
        self.deployed: Deployed | None = None
        self.delivery: str | None = None
        self.replayed = False
        self.retries = 0


_current: ContextVar[_Action | None] = ContextVar("onething_telemetry", default=None)


class _Tools:
    """The tracer and the instruments, made from the providers on first use."""

    def __init__(self, tracer_provider: TracerProvider | None,
                 meter_provider: MeterProvider | None) -> None:
        from opentelemetry import context, metrics, trace

        version = str(getattr(sys.modules.get("onething"), "__version__", ""))
        self.tracer = trace.get_tracer("onething", version, tracer_provider)
        self.attach, self.detach = context.attach, context.detach
        self.in_context = trace.set_span_in_context
        meter = metrics.get_meter("onething", version, meter_provider)
        self.actions = meter.create_counter(
            "onething.actions", "{action}", "actions on cases and submissions, by outcome")
        self.refusals = meter.create_counter(
            "onething.refusals", "{refusal}", "refused actions, by the refusal's code")
        self.deliveries = meter.create_counter(
            "onething.deliveries", "{delivery}", "cases delivered (each case once), by kind")
        self.duration = meter.create_histogram(
            "onething.action.duration", "s", "how long an action took, retries included",
            explicit_bucket_boundaries_advisory=BUCKETS)
        for status in ("overdue", "warning"):
            meter.create_observable_gauge(
                f"onething.cases.{status}", [functools.partial(_observed, status)], "{case}",
                f"cases with a step {status} at a department (a case once per department)")


_tools: _Tools | None = None
_providers: tuple[Any, Any] = (None, None)
_lock = threading.Lock()


def _made() -> _Tools:
    global _tools
    with _lock:
        if _tools is None:
            _tools = _Tools(*_providers)
        return _tools


#: tells whether a global provider has been set (made on first use by :func:`_unset_probe`)
_probe: Callable[[], bool] | None = None


def _silent() -> bool:
    """Whether nothing can record an action: no providers given to :func:`use`, and no SDK
    set as a global provider. The API's no-ops would drop it all, at a few microseconds an
    action (docs/telemetry.md). An SDK set later is seen at the next action: the instruments
    are made then, or forward to it if made before (decision 0032)."""
    global _probe
    if _providers[0] is not None or _providers[1] is not None:
        return False
    if _probe is None:
        _probe = _unset_probe()
    return _probe()


def _unset_probe() -> Callable[[], bool]:
    """A test that no global provider is set, without the API's own readers (each looks the
    environment up, ~0.5 us): the API keeps each provider in a module attribute
    (``_TRACER_PROVIDER``, ``_METER_PROVIDER``; opentelemetry-api 1.45), None until one is
    set. Where the environment names a provider (the API loads it on first use) or the
    attributes are not there (another version of the API), every action is recorded."""
    import os

    from opentelemetry import trace
    from opentelemetry.metrics import _internal as meters

    if {"OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER"} & set(os.environ) \
            or not (hasattr(trace, "_TRACER_PROVIDER") and hasattr(meters, "_METER_PROVIDER")):
        return lambda: False
    return lambda: trace._TRACER_PROVIDER is None and meters._METER_PROVIDER is None


def use(tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None) -> None:
    """Send onething's spans and metrics to these providers rather than the global ones
    (``opentelemetry.trace.set_tracer_provider``, ``metrics.set_meter_provider``, which
    are used by default); ``use()`` goes back to the global ones."""
    global _tools, _providers
    with _lock:
        _providers, _tools = (tracer_provider, meter_provider), None


# -- hooks the unit of work calls --------------------------------------------------------------


def loaded(deployed: Deployed) -> None:
    """The action's case (or submission) is of ``deployed``."""
    if ON:
        record = _current.get()
        if record is not None and record.deployed is None:
            record.deployed = deployed


def replayed() -> None:
    """The action is answered from its idempotency key."""
    if ON:
        record = _current.get()
        if record is not None:
            record.replayed = True


def retried() -> None:
    """Another action got to the case first: the action runs again."""
    if ON:
        record = _current.get()
        if record is not None:
            record.retries += 1


def committed(delivery: Delivery | None) -> None:
    """The action committed, with the case's one delivery when it made it."""
    if ON and delivery is not None:
        record = _current.get()
        if record is not None:
            record.delivery = delivery.kind


# -- the spans ---------------------------------------------------------------------------------


def traced_run(run: _F) -> _F:
    """The unit of work (:func:`onething.engine._unit.run`) in a span of its action, named
    by ``action=``, else by ``attempt`` (action, step, actor text), which also gives the step
    and the actor's role and department. Without the API, ``run`` itself."""
    if not ON:
        return run

    @functools.wraps(run)
    def traced(engine: Any, case_id: str, change: Any, **options: Any) -> Any:
        if _silent():
            return run(engine, case_id, change, **options)
        attempt = options.get("attempt")
        if attempt is None:
            return _traced(options.get("action") or "change", None, None, case_id, run,
                           (engine, case_id, change), options)
        return _traced(attempt[0], attempt[1], attempt[2], case_id, run,
                       (engine, case_id, change), options)

    return cast(_F, traced)


def traced_submission(submit: _F) -> _F:
    """A submission (:func:`onething.engine._submission.submit`) in a span of its own."""
    if not ON:
        return submit

    @functools.wraps(submit)
    def traced(*args: Any, **options: Any) -> Any:
        if _silent():
            return submit(*args, **options)
        actor = args[4] if len(args) > 4 else options.get("actor")
        return _traced("submit", None, actor, None, submit, args, options)

    return cast(_F, traced)


def _who(who: object) -> tuple[str | None, str | None]:
    """The role and (for staff) department of an actor (an :class:`Actor`, or its text as
    the history writes it: ``department:wang@tax``); nothing of someone not known."""
    role: object
    department: object
    if isinstance(who, str):
        role, _, rest = who.partition(":")
        department = rest.rpartition("@")[2] if "@" in rest else None
    else:
        role = getattr(getattr(who, "role", None), "value", None)
        department = getattr(who, "department", None)
    if not isinstance(role, str) or role not in _ROLES:
        return None, None
    if role not in _STAFF or not isinstance(department, str) or not department \
            or mask_text(department) != department:
        department = None
    return role, department


def _traced(name: str, step: str | None, who: object, case_id: str | None,
            run: Callable[..., Any], args: tuple[Any, ...], options: dict[str, Any]) -> Any:
    """``run(*args, **options)`` in the span of action ``name`` (the heart of both
    wrappers): what the hooks said and how it ended go to :func:`_finish`."""
    tools = _tools or _made()
    record = _Action()
    token = _current.set(record)
    span = tools.tracer.start_span(f"onething.{name}" if name in ENGINE_ACTIONS else
                                   "onething.act")
    attached = None
    if span.is_recording():  # nested actions (a parent settled by its child) are its children
        attached = tools.attach(tools.in_context(span))
    started = time.perf_counter()
    outcome, code, error, result = FAILED, None, None, None
    try:
        result = run(*args, **options)
        outcome = REPLAYED if record.replayed else NO_OP if result is None else COMMITTED
        return result
    except (ActionRefused, SubmissionRejected, VersionChanged) as refused:
        outcome, code = REFUSED, refused.code
        raise
    except BaseException as exc:
        error = exc
        raise
    finally:
        seconds = time.perf_counter() - started
        _current.reset(token)
        if attached is not None:
            tools.detach(attached)
        try:
            _finish(tools, span, record, (name, step, who, case_id),
                    (outcome, code, error, result), seconds)
        except Exception:  # telemetry never breaks an action
            log.exception("telemetry of a %s action failed", outcome)


def _finish(tools: _Tools, span: Span, record: _Action,
            asked: tuple[str, str | None, object, str | None],
            ended: tuple[str, str | None, BaseException | None, Any], seconds: float) -> None:
    name, step, who, case_id = asked
    outcome, code, error, result = ended
    deployed = record.deployed
    workflow, version = (deployed.workflow.id, deployed.workflow.version) if deployed \
        else (result.workflow_id, result.workflow_version) if isinstance(result, Case) \
        else (None, None)
    name = _known(name, step, outcome, deployed)
    where = {ACTION: name} if workflow is None else {ACTION: name, WORKFLOW: workflow}
    tools.actions.add(1, {**where, OUTCOME: outcome})
    tools.duration.record(seconds, where)
    if code is not None:
        tools.refusals.add(1, {**where, CODE: code})
    if record.delivery is not None and workflow is not None:
        tools.deliveries.add(1, {DELIVERY: record.delivery, WORKFLOW: workflow})
    if span.is_recording():
        role, department = _who(who)
        if deployed is None or step is None or not _has_step(deployed, step):
            step = None
        elif department is None:
            department = deployed.workflow.step(step).department
        number = result.id if isinstance(result, Case) else case_id if deployed else None
        found = {ACTION: name, WORKFLOW: workflow, VERSION: version, STEP: step,
                 DEPARTMENT: department, ROLE: role, OUTCOME: outcome, CODE: code,
                 RETRIES: record.retries, DELIVERY: record.delivery,
                 CASE: number if number is not None and mask_text(number) == number else None}
        span.update_name(f"onething.{name}")
        span.set_attributes({k: v for k, v in found.items() if v is not None})
        if error is not None:
            _failed(span, error)
    span.end()


def _known(name: str, step: str | None, outcome: str, deployed: Deployed | None) -> str:
    """``name`` if the engine or the workflow knows the action, else ``unknown``: a word a
    caller made up (``act(case, step, "<anything>")``) is never recorded."""
    if name in ENGINE_ACTIONS or outcome in (COMMITTED, REPLAYED):
        return name
    try:
        return name if deployed is not None and (name, step) in deployed.actions \
            else "unknown"
    except TypeError:  # not hashable: not an action
        return "unknown"


def _has_step(deployed: Deployed, step: str) -> bool:
    try:
        deployed.workflow.step(step)
    except (KeyError, TypeError):
        return False
    return True


def _failed(span: Span, error: BaseException) -> None:
    """The error's type on the span, never its message (it may quote what was given)."""
    from opentelemetry.trace import Status, StatusCode

    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    span.set_attribute(ERROR, kind)
    span.add_event("exception", {"exception.type": kind})
    span.set_status(Status(StatusCode.ERROR, kind))


# -- the gauges --------------------------------------------------------------------------------


_engines: weakref.WeakSet[Any] = weakref.WeakSet()
_departments: set[str] = set()
#: the overdue gauge's last reading, for the warning gauge: (when, counts)
_spare: tuple[float, dict[tuple[str, str], int]] | None = None
_reading = threading.Lock()


def observe(engine: Any) -> Callable[[], None]:
    """Report ``onething.cases.overdue`` and ``onething.cases.warning`` of ``engine`` — per
    department, what :meth:`~onething.engine.engine.Engine.alerts` lists, counted at each
    collection by one query on the store's alerts index — to the meter provider; a
    department once seen is reported until the process ends (0 when it has none). Returns a
    function that stops observing ``engine``. Without the API, nothing is reported."""
    _engines.add(engine)
    if ON:
        _made()
    return lambda: _engines.discard(engine)


def _observed(status: str, options: CallbackOptions) -> Iterable[Observation]:
    from opentelemetry.metrics import Observation

    counts, departments = _alert_counts(spare=status == "warning")
    return [Observation(counts.get((department, status), 0), {DEPARTMENT: department})
            for department in departments]


def _alert_counts(spare: bool) -> tuple[dict[tuple[str, str], int], list[str]]:
    """The alert counts of every engine observed, summed, and every department seen: read
    for the overdue gauge, whose reading the warning gauge then takes (``spare``) when it is
    fresh — one query a collection, and never a reading served twice."""
    global _spare
    with _reading:
        kept, _spare = _spare, None
        if spare and kept is not None and time.monotonic() - kept[0] < FRESH_SECONDS:
            return kept[1], sorted(_departments)
        counts: dict[tuple[str, str], int] = {}
        for engine in list(_engines):
            try:
                found = engine.store.alert_counts(engine.clock.now())
            except OnethingError as exc:
                log.warning("the alert counts cannot be read: %s", mask_text(str(exc))[:300])
                continue
            for key, count in found.items():
                counts[key] = counts.get(key, 0) + count
        _departments.update(department for department, _ in counts)
        if not spare:
            _spare = (time.monotonic(), counts)
        return counts, sorted(_departments)


# -- JSON logs ---------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (ISO 8601, Asia/Shanghai), ``level``,
    ``logger``, ``message``, ``exception`` when there is one, and the ``trace_id`` and
    ``span_id`` of the span active when it was logged (W3C hex). Only these fields: a
    record's ``extra`` values are never written (they are not masked). Message and exception
    are masked however the record was made."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        data = {"time": datetime.fromtimestamp(record.created, SHANGHAI)
                .isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name,
                "message": mask_text(record.getMessage())}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = mask_text(record.exc_text)
        if ON:
            from opentelemetry import trace

            ids = trace.get_current_span().get_span_context()
            if ids.is_valid:
                data["trace_id"] = trace.format_trace_id(ids.trace_id)
                data["span_id"] = trace.format_span_id(ids.span_id)
        return json.dumps(data, ensure_ascii=False)


def json_logging(stream: IO[str] | None = None, level: int = logging.INFO) -> logging.Handler:
    """Log to ``stream`` (stderr) as one JSON object a line (:class:`JsonFormatter`),
    through the masking filter: a handler on the root logger, so every library's records
    reach it at the level it logs at (WARNING unless the host says otherwise), and
    onething's from ``level`` up. Called again, it returns the handler it added before."""
    root = logging.root
    for handler in root.handlers:
        if isinstance(handler.formatter, JsonFormatter):
            return handler
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskingFilter())
    handler.setLevel(level)
    root.addHandler(handler)
    ours = personal_logger("onething")
    if ours.getEffectiveLevel() > level:
        ours.setLevel(level)
    return handler
