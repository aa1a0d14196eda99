"""onething: 一件事一次办 workflows that are declared in YAML, proven sound, and run durably.

The public face: load and check a workflow, run cases on an engine, pick a store.
"""

from onething.calendar import FixedClock, SystemClock, WorkCalendar
from onething.engine.engine import Deployed, Engine
from onething.engine.errors import (
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
)
from onething.engine.records import Actor, Case, Delivery, Event, Role
from onething.spec.load import LoadResult, WorkflowInvalid, load, parse, read
from onething.spec.location import Diagnostic, Location
from onething.spec.model import Workflow
from onething.stores.memory import MemoryStore
from onething.stores.sqlite import SqliteStore

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
