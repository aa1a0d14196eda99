"""onething: 一件事一次办 workflows that are declared in YAML, proven sound, and run durably.

The public face: load and check a workflow, run cases on an engine, pick a store.
"""

from onething.cases.records import Actor, Case, Delivery, Event, Role
from onething.engine.engine import Deployed, Engine
from onething.errors import (
    ActionRefused,
    AlreadyDelivered,
    CaseEnded,
    Conflict,
    DeployRefused,
    NotAuthorized,
    OnethingError,
    SubmissionRejected,
    UnknownCase,
    UnknownWorkflow,
    WorkflowInvalid,
)
from onething.language.load import LoadResult, load, parse, read
from onething.language.location import Diagnostic, Location
from onething.language.model import Workflow
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock, SystemClock, WorkCalendar

__version__ = "0.1.0"

__all__ = [
    "ActionRefused",
    "Actor",
    "AlreadyDelivered",
    "Case",
    "CaseEnded",
    "Conflict",
    "Delivery",
    "DeployRefused",
    "Deployed",
    "Diagnostic",
    "Engine",
    "Event",
    "FixedClock",
    "LoadResult",
    "Location",
    "MemoryStore",
    "NotAuthorized",
    "OnethingError",
    "Role",
    "SqliteStore",
    "SubmissionRejected",
    "SystemClock",
    "UnknownCase",
    "UnknownWorkflow",
    "WorkCalendar",
    "Workflow",
    "WorkflowInvalid",
    "load",
    "parse",
    "read",
]
