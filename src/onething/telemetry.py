"""Telemetry, optional (docs/telemetry.md): OpenTelemetry spans for each action on a case and
each submission, the metrics of actions, refusals, deliveries and action latency, the gauges of
the cases in warning or overdue per department, and JSON logs — with no personal data in any
attribute or line.

Spans and metrics need ``opentelemetry-api`` (``pip install 'onething[telemetry]'``) and go to
the host's providers: the global ones, or those given to :func:`use`. Without the API nothing
is recorded and nothing costs. Loading this module loads nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onething._lazy import lazy

__all__ = ["JsonFormatter", "json_logging", "observe", "use"]

__getattr__, __dir__ = lazy(__name__, dict.fromkeys(__all__, "onething.engine._telemetry"))

if TYPE_CHECKING:
    from onething.engine._telemetry import JsonFormatter, json_logging, observe, use
