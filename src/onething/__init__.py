"""onething: 一件事一次办 workflows that are declared in YAML, proven sound, and run durably.

The public face: every name README.md, the examples and the docs use, loaded when first used
(``import onething`` itself loads nothing else). Documented subpackages: ``onething.soundness``
(the proof and PNML), ``onething.diagram``, ``onething.workdays``, ``onething.sla``,
``onething.telemetry`` (spans, metrics and JSON logs), ``onething.simulate`` (Monte Carlo of
lead times) and ``onething.charts``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from onething import _compiled
from onething import errors as _errors  # tiny, imports nothing of ours

_compiled.install()  # the hot modules compiled, where built from their current source

__version__ = "0.1.0"

#: name -> the module that defines it (imported on first use)
_NAMES: dict[str, str] = {
    # running cases
    "Engine": "onething.engine.engine",
    "Deployed": "onething.engine._deployments",
    "Firing": "onething.engine._time",
    "Migration": "onething.engine._migration",
    "QueueItem": "onething.engine._hall",
    "CaseItem": "onething.engine._hall",
    "CaseNumbers": "onething.engine._numbers",
    "Waiting": "onething.engine._hall",
    "Page": "onething.cases.listing",
    "CaseSummary": "onething.cases.summary",
    "Channel": "onething.engine._outbox",
    "Retention": "onething.cases.retention",
    # the case domain
    "Case": "onething.cases.records",
    "Event": "onething.cases.records",
    "Delivery": "onething.cases.records",
    "OutboxItem": "onething.cases.records",
    "Actor": "onething.cases.records",
    "Role": "onething.cases.records",
    "SYSTEM": "onething.cases.records",
    "applicant": "onething.cases.records",
    "agent": "onething.cases.records",
    "officer": "onething.cases.records",
    "window": "onething.cases.records",
    "supervisor": "onething.cases.records",
    "government_head": "onething.cases.records",
    "timeline": "onething.cases.timeline",
    "Pseudonyms": "onething.privacy.pseudonyms",
    # stores
    "Store": "onething.stores.base",
    "MemoryStore": "onething.stores.memory",
    "SqliteStore": "onething.stores.sqlite",
    "PostgresStore": "onething.stores.postgres",
    "open_store": "onething.stores",
    # the language
    "Workflow": "onething.language.model",
    "LoadResult": "onething.language.load",
    "load": "onething.language.load",
    "parse": "onething.language.load",
    "read": "onething.language.load",
    "Diagnostic": "onething.language.location",
    "Location": "onething.language.location",
    # the proof
    "check": "onething.soundness.proof",
    "Report": "onething.soundness.report",
    # working days
    "WorkCalendar": "onething.workdays.calendar",
    "Duration": "onething.workdays.duration",
    "SystemClock": "onething.workdays.clock",
    "FixedClock": "onething.workdays.clock",
    "SHANGHAI": "onething.workdays.clock",
    # privacy
    "mask_text": "onething.privacy.masking",
    # messages a UI shows (docs/messages.md)
    "Message": "onething.messages.catalog",
}
_NAMES.update(dict.fromkeys(_errors.__all__, "onething.errors"))
#: subpackages reachable as attributes (``onething.soundness``), imported on first use
_SUBPACKAGES = frozenset({"cases", "cli", "diagram", "engine", "errors", "language", "machine",
                          "messages", "net", "privacy", "sla", "soundness", "stores",
                          "telemetry", "workdays"})

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"onething.{name}")
    raise AttributeError(f"module 'onething' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *_SUBPACKAGES, "__version__"})


if TYPE_CHECKING:  # what a type checker and an editor see
    from onething.cases.listing import Page
    from onething.cases.records import (
        SYSTEM,
        Actor,
        Case,
        Delivery,
        Event,
        OutboxItem,
        Role,
        agent,
        applicant,
        government_head,
        officer,
        supervisor,
        window,
    )
    from onething.cases.retention import Retention
    from onething.cases.summary import CaseSummary
    from onething.cases.timeline import timeline
    from onething.engine._deployments import Deployed
    from onething.engine._hall import CaseItem, QueueItem, Waiting
    from onething.engine._migration import Migration
    from onething.engine._numbers import CaseNumbers
    from onething.engine._outbox import Channel
    from onething.engine._time import Firing
    from onething.engine.engine import Engine
    from onething.errors import (
        AbstractionError,
        ActionRefused,
        AlreadyDelivered,
        CalendarError,
        CaseEnded,
        ConditionSyntaxError,
        Conflict,
        DeployRefused,
        DurationError,
        ErasureRefused,
        IdempotencyMismatch,
        InvalidArgument,
        NotAuthorized,
        NotAWorkflowNet,
        OnethingError,
        OverridesError,
        Problem,
        ProvisionalCalendarError,
        SilentLoop,
        StoreBusy,
        StoreCorrupt,
        StoreUnavailable,
        SubmissionRejected,
        TooManyCells,
        UnknownCase,
        UnknownWorkflow,
        Unsound,
        ValueProblem,
        VersionChanged,
        WorkflowInvalid,
        YamlRefused,
    )
    from onething.language.load import LoadResult, load, parse, read
    from onething.language.location import Diagnostic, Location
    from onething.language.model import Workflow
    from onething.messages.catalog import Message
    from onething.privacy.masking import mask_text
    from onething.privacy.pseudonyms import Pseudonyms
    from onething.soundness.proof import check
    from onething.soundness.report import Report
    from onething.stores import open_store
    from onething.stores.base import Store
    from onething.stores.memory import MemoryStore
    from onething.stores.postgres import PostgresStore
    from onething.stores.sqlite import SqliteStore
    from onething.workdays.calendar import WorkCalendar
    from onething.workdays.clock import SHANGHAI, FixedClock, SystemClock
    from onething.workdays.duration import Duration
