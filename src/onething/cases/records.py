"""Plain records the engine keeps per case: the case, its history events, its one delivery."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NoReturn, NotRequired, TypeAlias, TypedDict

import attrs

from onething.cases.clock_record import ClockRecord
from onething.cases.clocks import as_clock
from onething.cases.typed_json import record_json
from onething.net.model import case_facts


class Role(StrEnum):
    """Who is acting: the applicant, their agent, a department officer, the window, ..."""

    APPLICANT = "applicant"
    AGENT = "agent"
    DEPARTMENT = "department"
    WINDOW = "window"
    SUPERVISOR = "supervisor"
    #: the head of the people's government at the level of a jointly handled case, who
    #: approves its extension (本级人民政府负责人, 行政许可法 art. 42(2))
    GOVERNMENT_HEAD = "government_head"
    SYSTEM = "system"


@attrs.frozen
class Actor:
    """The person or system behind an action; ``department`` for officers and windows."""

    role: Role = attrs.field(converter=Role)
    id: str = "anonymous"
    department: str | None = None

    def __str__(self) -> str:
        where = f"@{self.department}" if self.department else ""
        return f"{self.role.value}:{self.id}{where}"

    @classmethod
    def parse(cls, text: str) -> Actor:
        """``window:li@market_regulation``, ``applicant:zhang``, ``department:wang@tax``."""
        role, ident, dept = actor_parts(text)
        return cls(Role(role), ident or "anonymous", dept or None)


def actor_parts(text: str) -> tuple[str, str, str]:
    """The role, id and department (empty when absent) of an actor's text, as the history
    writes it (:meth:`Actor.parse` reads it so; a reader that needs only a part skips the
    Actor)."""
    role, _, rest = text.partition(":")
    ident, _, department = rest.partition("@")
    return role, ident, department


def applicant(ident: str = "applicant") -> Actor:
    """The applicant, as the host identified them (ID number, 统一社会信用代码, subject id)."""
    return Actor(Role.APPLICANT, ident)


def agent(ident: str) -> Actor:
    """An agent (代理人, a 帮办代办 handler) acting for an applicant who authorized them."""
    return Actor(Role.AGENT, ident)


def window(department: str, ident: str = "window") -> Actor:
    """A clerk at the window of ``department`` (the lead department's window runs intake)."""
    return Actor(Role.WINDOW, ident, department)


def officer(department: str, ident: str = "officer") -> Actor:
    """An officer of ``department``, who decides that department's steps."""
    return Actor(Role.DEPARTMENT, ident, department)


def supervisor(department: str, ident: str = "supervisor") -> Actor:
    """A supervisor (负责人) of ``department``: extensions, escalations, erasure."""
    return Actor(Role.SUPERVISOR, ident, department)


def government_head(government: str, ident: str = "head") -> Actor:
    """The head of the people's government ``government`` (本级人民政府负责人), who approves
    the extension of a jointly handled case (行政许可法 art. 42(2))."""
    return Actor(Role.GOVERNMENT_HEAD, ident, government)


SYSTEM = Actor(Role.SYSTEM, "engine")


class StoredMaterial(TypedDict):
    """A material as a case keeps it (:mod:`onething.cases.forms`): the document's reference
    and the SHA-256 of its content in lower-case hex, and the identifier of the electronic
    licence (电子证照, GB/T 36904) when one was named. The hash is None when only a reference
    was given; the reference is None when only a licence was named, and once the case's
    personal data is erased (which drops the licence too)."""

    ref: str | None
    sha256: str | None
    licence: NotRequired[str]


#: a material as a caller gives it (:func:`onething.cases.forms.clean_material` reads it): a
#: reference (``"doc://plan"``) or ``{"ref": ..., "sha256": ..., "licence": ...}``; None or
#: blank: not given
GivenMaterial: TypeAlias = str | Mapping[str, str | None] | None


class _Unset(dict[str, Any]):
    """The one empty record every case starts with for its intake notice and its claims: it
    is replaced when the case gets one, and refuses to be changed in place (the engine copies
    on write), so that no case holds a dict of its own for what it does not have."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a case's empty record is shared: replace it, do not change it")

    __setitem__ = __delitem__ = __ior__ = _refuse
    update = setdefault = pop = popitem = clear = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return _unset, ()


def _unset() -> Any:
    return UNSET


#: the empty ``intake`` and ``assigned`` of every case that has none
UNSET: Any = _Unset()


@attrs.frozen(weakref_slot=False)
class Event:
    """One line of a case's history. ``data`` never holds personal values, only names."""

    seq: int
    at: datetime
    action: str
    actor: str
    step: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The event as typed JSON (``history --format json``): ``at`` in Asia/Shanghai."""
        return record_json(self)


@attrs.frozen
class Delivery:
    """The one delivery of a case (UNIQUE per case in every store)."""

    id: str
    case_id: str
    kind: str
    at: datetime
    method: str | None
    items: tuple[str, ...]
    notice: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The delivery as typed JSON (``status --format json``): ``at`` in Asia/Shanghai."""
        return record_json(self)


# a store holds cases, their history and listings by the thousand and never refers to them
# weakly: no weak reference slot (8 bytes a record; decision 0035)
@attrs.define(weakref_slot=False)
class Case:
    """One applicant's single-form submission and where it stands (a plain record).

    Treat a case you are given as read-only: the records inside it (clocks, outcomes) may be
    shared with its other versions and with other cases; the engine replaces them rather
    than changing them (copy on write).
    """

    id: str
    workflow_id: str
    workflow_version: int
    content_hash: str
    marking: tuple[str, ...]
    form: dict[str, Any]
    materials: dict[str, StoredMaterial]
    promised: tuple[str, ...] = ()
    produced: tuple[str, ...] = ()
    outcomes: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    version: int = 0
    events: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    delivery_kind: str | None = None
    clocks: dict[str, ClockRecord] = attrs.field(factory=dict)
    accepted_at: datetime | None = None
    calendar_version: str = ""
    priority: int = 0
    #: pseudonyms (:mod:`onething.privacy.pseudonyms`) of the applicant and of the agents they
    #: authorized; empty once the case is erased (the link to the person is dropped)
    agents: tuple[str, ...] = ()
    applicant: str = ""
    #: the 好差评 rating once given (一事一评), and the follow-up cases opened from this one
    rating: int | None = None
    follow_ups: tuple[str, ...] = ()
    #: the case this one follows up (a rectification or revocation), or the case that opened
    #: it (子流程), if any
    origin: str | None = None
    #: for a child case, the step of ``origin`` it was opened for (its delivery decides it)
    parent_step: str | None = None
    #: how many refused attempts the history holds (capped: see Engine)
    refused: int = 0
    #: how many status events the case has (:mod:`onething.cases.status`): the last one's seq
    notified: int = 0
    #: whether the case's personal data has been erased (after its retention period)
    erased: bool = False
    #: the one intake notice (一次性告知, 行政许可法 art. 32), once the window issued it: when,
    #: the items it names, and when the applicant answered (:mod:`onething.engine._intake`)
    intake: dict[str, Any] = UNSET
    #: who has claimed (or been assigned) each step, per department: ``{step: {department:
    #: officer id}}`` — once claimed, only that officer (or a supervisor) decides it there
    assigned: dict[str, dict[str, str]] = UNSET
    #: how many corrections the case has been asked (the window's one notice and each step's
    #: correction): a case delivered without any was done in one go (一次办结)
    corrections: int = 0

    @property
    def revision(self) -> int:
        """The case's version without the refused attempts its history records: it moves
        when the case changes, not when someone tries what they may not (the case's ETag over
        HTTP, what ``If-Match`` names)."""
        return self.version - self.refused

    @property
    def ended(self) -> bool:
        """Whether the case has its one delivery."""
        return self.delivery_kind is not None

    def facts(self) -> dict[str, object]:
        """What the net's guards read of the case: its clean form, whether materials are
        promised (容缺), so that the window's and the timer's acceptance take one variant, and
        the fields its steps set."""
        facts = case_facts(self.form, bool(self.promised))
        for record in self.outcomes.values():
            values = record.get("set")
            if values:  # what a step set (``sets:``) is read like the form
                facts.update((k, from_jsonable(v)) for k, v in values.items())
        return facts

    def snapshot(self) -> Case:
        """A copy whose own containers are fresh; the records inside them (each clock, each
        step's outcome, each material) are shared, because the engine replaces them rather
        than changing them (copy on write). Much cheaper than a deep copy."""
        return self.replace(form=dict(self.form), materials=dict(self.materials),
                            outcomes=dict(self.outcomes), clocks=dict(self.clocks),
                            assigned=dict(self.assigned) if self.assigned else UNSET)

    def without_personal_data(self) -> Case:
        """A copy with every form value and material reference removed (the field and
        material names and the materials' hashes stay) and the link to the applicant and
        their agents dropped: what erasure keeps."""
        return self.replace(
            applicant="", agents=(),
            form=dict.fromkeys(self.form),
            materials={name: {"ref": None, "sha256": value.get("sha256")
                              if isinstance(value, dict) else None}
                       for name, value in self.materials.items()})

    def replace(self, **changes: Any) -> Case:
        """A shallow copy with ``changes`` applied: ``attrs.evolve`` without its generic
        machinery, for the engine's hot path."""
        new = _shallow_copy(self)
        for name, value in changes.items():
            setattr(new, name, value)
        return new

    def state(self) -> dict[str, Any]:
        """The mutable part as JSON-ready data (what stores persist besides the keys)."""
        return {
            "marking": list(self.marking),
            "form": {k: to_jsonable(v) for k, v in self.form.items()},
            "materials": dict(self.materials),
            "promised": list(self.promised),
            "produced": list(self.produced),
            "outcomes": self.outcomes,
            "delivery_kind": self.delivery_kind,
            "events": self.events,
            "clocks": {key: clock.as_dict() for key, clock in self.clocks.items()},
            "accepted_at": self.accepted_at.isoformat() if self.accepted_at else None,
            "calendar_version": self.calendar_version,
            "priority": self.priority,
            "agents": list(self.agents),
            "applicant": self.applicant,
            "rating": self.rating,
            "follow_ups": list(self.follow_ups),
            "origin": self.origin,
            "refused": self.refused,
            "erased": self.erased,
        } | ({"parent_step": self.parent_step} if self.parent_step else {}) \
            | ({"intake": self.intake} if self.intake else {}) \
            | ({"assigned": self.assigned} if self.assigned else {}) \
            | ({"notified": self.notified} if self.notified else {}) \
            | ({"corrections": self.corrections} if self.corrections else {})


def _copier(cls: type[Case]) -> Callable[[Case], Case]:
    """A function copying every field of a ``cls`` record into a new one, slot by slot (half
    the time of ``cls(*values)``: no arguments to match, no defaults to test)."""
    lines = ["def copy(old, _new=object.__new__, _cls=cls):", "    new = _new(_cls)"]
    lines += [f"    new.{field.name} = old.{field.name}" for field in attrs.fields(cls)]
    scope: dict[str, Any] = {"cls": cls}
    exec("\n".join([*lines, "    return new"]), scope)
    copy: Callable[[Case], Case] = scope["copy"]
    return copy


_shallow_copy = _copier(Case)


def case_to_json(case: Case) -> dict[str, Any]:
    """The whole case as JSON-ready data (keys and state), for snapshots and stores."""
    return {"id": case.id, "workflow_id": case.workflow_id,
            "workflow_version": case.workflow_version, "content_hash": case.content_hash,
            "version": case.version,
            "created_at": case.created_at.isoformat() if case.created_at else None,
            "updated_at": case.updated_at.isoformat() if case.updated_at else None,
            **case.state()}


def case_from_json(data: dict[str, Any]) -> Case:
    """Inverse of :func:`case_to_json`."""
    def moment(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    return Case(
        id=data["id"], workflow_id=data["workflow_id"],
        workflow_version=data["workflow_version"], content_hash=data["content_hash"],
        marking=tuple(data["marking"]),
        form={k: from_jsonable(v) for k, v in data["form"].items()},
        materials=data["materials"], promised=tuple(data["promised"]),
        produced=tuple(data["produced"]), outcomes=data["outcomes"],
        version=data["version"], events=data.get("events", 0),
        created_at=moment(data.get("created_at")), updated_at=moment(data.get("updated_at")),
        delivery_kind=data.get("delivery_kind"),
        clocks={k: as_clock(v) for k, v in data.get("clocks", {}).items()},
        accepted_at=moment(data.get("accepted_at")),
        calendar_version=data.get("calendar_version", ""), priority=data.get("priority", 0),
        agents=tuple(data.get("agents", ())), applicant=data.get("applicant", ""),
        rating=data.get("rating"), follow_ups=tuple(data.get("follow_ups", ())),
        origin=data.get("origin"), parent_step=data.get("parent_step"),
        refused=data.get("refused", 0), notified=data.get("notified", 0),
        erased=data.get("erased", False), intake=data.get("intake") or UNSET,
        assigned=data.get("assigned") or UNSET, corrections=data.get("corrections", 0),
    )


def to_jsonable(value: Any) -> Any:
    """A clean value as JSON keeps it (decimals and dates as tagged text; a list field's
    items, and an item's fields, each the same way)."""
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, list):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {name: to_jsonable(item) for name, item in value.items()}
    return value


def from_jsonable(value: Any) -> Any:
    """Inverse of the JSON encoding used in :meth:`Case.state`."""
    if isinstance(value, dict):
        if len(value) == 1 and "$decimal" in value:
            return Decimal(value["$decimal"])
        if len(value) == 1 and "$date" in value:
            return date.fromisoformat(value["$date"])
        return {name: from_jsonable(item) for name, item in value.items()}
    if isinstance(value, list):
        return [from_jsonable(item) for item in value]
    return value


@attrs.frozen
class OutboxItem:
    """A delivery waiting to be handed to its channel (post, SMS, electronic licence, ...).

    Written in the same transaction as the delivery; handed over at least once, always with
    the delivery's id as the idempotency key, so the channel can drop a repeat.
    """

    id: str
    delivery_id: str
    case_id: str
    channel: str
    payload: dict[str, Any]
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    result: str = ""
