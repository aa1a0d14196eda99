"""The unit of work every change to a case goes through: load, change, find when the case
next wakes (its first timer), commit — retried when another action got there first, answered
from its idempotency key when it was made before.

A *change* is a pure function ``(case, deployed, now) -> Change | None``: it reads nothing but
the case it is given and writes nothing at all. What it produces — the case's next version, its
new events, its delivery, and any follow-up case it opens — is committed by the store in one
transaction, so a follow-up case exists exactly when the event that opened it does, and a
change retried after a conflict opens nothing twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from onething.cases.assignment import kept
from onething.cases.records import Case, Delivery, Event
from onething.cases.status import status_events
from onething.cases.tallies import corrections_in
from onething.cases.timers import next_due
from onething.engine import _telemetry
from onething.engine._listing import listing
from onething.engine._outbox import outbox_for, parent_outbox
from onething.errors import (
    ActionRefused,
    AlreadyDelivered,
    CaseEnded,
    Conflict,
    IdempotencyMismatch,
    InvalidArgument,
    OnethingError,
    VersionChanged,
)
from onething.privacy.masking import personal_logger
from onething.workdays.clock import SHANGHAI

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed

RETRIES = 5
#: refused attempts a case's history keeps; later ones are logged (masked), not stored, so
#: that nobody can grow a history without bound by trying what they may not do
REFUSALS_KEPT = 20
#: the longest idempotency key accepted
MAX_KEY = 200

log = personal_logger("onething.engine")

#: the version a request expects a case at (HTTP If-Match), as (case id, version)
_expected: ContextVar[tuple[str, int] | None] = ContextVar("onething_expected", default=None)


@contextlib.contextmanager
def expecting(case_id: str, version: int) -> Iterator[None]:
    """Inside the block, a change to ``case_id`` is made only on ``version`` (its
    :attr:`~onething.cases.records.Case.revision`): on any other (someone changed the case
    since the caller read it) it raises :class:`VersionChanged` and writes nothing. A request
    replayed from its idempotency key answers first."""
    token = _expected.set((case_id, version))
    try:
        yield
    finally:
        _expected.reset(token)


@attrs.frozen
class NewCase:
    """A case a change opens (a follow-up), committed with the change."""

    case: Case
    events: list[Event]
    deployed: Deployed


@attrs.frozen
class Change:
    """What a change produces: the case's next version, its new events, its delivery (at the
    end) and the cases it opens."""

    case: Case
    events: list[Event]
    delivery: Delivery | None = None
    created: tuple[NewCase, ...] = ()


ChangeFn = Callable[[Case, "Deployed", datetime], "Change | None"]
#: one line of history a change writes: (action, actor text, step, data)
Entry = tuple[str, str, "str | None", "dict[str, Any]"]


def advance(case: Case, now: datetime, *entries: Entry, **changes: Any) -> Change:
    """The case's next version, at ``now``, with ``entries`` appended to its history."""
    seq = case.events
    events = [Event(seq + i, now, action, actor, step, data)
              for i, (action, actor, step, data) in enumerate(entries, start=1)]
    new = case.replace(version=case.version + 1, updated_at=now, events=seq + len(events),
                       **changes)
    return Change(new, events)


def request_key(key: str | None, *parts: Any) -> tuple[str, str] | None:
    """``(digest of the idempotency key, fingerprint of the request)``, or None without a
    key. The store keeps only the digest: a key a client made from personal data (an order
    number with a phone number in it) is not kept."""
    if key is None:
        return None
    if not isinstance(key, str) or not key.strip():
        raise InvalidArgument("an idempotency key is non-empty text",
                              "use a fresh random id (a UUID) per request")
    if len(key) > MAX_KEY:
        raise InvalidArgument(f"an idempotency key of {len(key):,} characters is too long",
                              f"at most {MAX_KEY}")
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}", fingerprint(*parts)


def fingerprint(*parts: Any) -> str:
    """A stable digest of a request's arguments (for idempotency keys); any value a caller
    can pass is digested (lone surrogates, huge ints, cycles, deep nesting, unknown objects)."""
    text = json.dumps(_digestible(parts, 0, set()), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _digestible(value: Any, depth: int, seen: set[int]) -> Any:
    if depth > 64:
        return "<deep>"
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value if not isinstance(value, float) or value == value else "nan"
    if isinstance(value, int):
        return value if value.bit_length() <= 1_000 else f"int:{value.bit_length()}:" \
            + hashlib.sha256(value.to_bytes((value.bit_length() + 8) // 8, "big",
                                            signed=True)).hexdigest()
    if isinstance(value, str):
        return value
    if isinstance(value, (Mapping, list, tuple)):
        if id(value) in seen:
            return "<cycle>"
        seen = seen | {id(value)}
        if isinstance(value, Mapping):
            return {str(k): _digestible(v, depth + 1, seen) for k, v in value.items()}
        return [_digestible(v, depth + 1, seen) for v in value]
    return f"{type(value).__name__}:{value!s}" if depth < 64 else "<object>"


def replayed(engine: EngineContext, key: tuple[str, str]) -> Case | None:
    """The first result of a request already made with this key, or None; refused when
    the key came with other arguments."""
    found = engine.store.idempotent(key[0])
    if found is None:
        return None
    if found[0] != key[1]:
        raise IdempotencyMismatch(
            "this idempotency key was used for a different request",
            "use a new key for a new request", code="refused.case.key_reused")
    _telemetry.replayed()
    return found[1]


@_telemetry.traced_run
def run(engine: EngineContext, case_id: str, change: ChangeFn, *,
        key: tuple[str, str] | None = None, now: datetime | None = None,
        attempt: tuple[str, str | None, str] | None = None,
        action: str | None = None) -> Case | None:
    """Load, change, find when the case next wakes, commit; retried while another action got there
    first. With ``key``, a request committed before returns its first result. With
    ``attempt`` (action, step, actor text), a refusal (not authorized, not possible now,
    the case ended, done already) is recorded in the case's history before it is
    raised. ``action`` names it for telemetry when there is no ``attempt``."""
    try:
        return _run(engine, case_id, change, key, now)
    except ActionRefused as refused:
        if attempt is not None:
            record_refusal(engine, case_id, *attempt, refused, now)
        raise


def _run(engine: EngineContext, case_id: str, change: ChangeFn, key: tuple[str, str] | None,
         now: datetime | None) -> Case | None:
    store = engine.store
    recent_ok = True  # a case the store remembers may be stale: trusted only by its commit
    for attempt in range(RETRIES):
        if key is not None:
            first = replayed(engine, key)
            if first is not None:
                return first
        case, recent = store.load_recent(case_id) if recent_ok else (store.load(case_id), False)
        # every time the engine writes is in Asia/Shanghai, whatever zone the clock gave
        moment = (now if now is not None else engine.clock.now()).astimezone(SHANGHAI)
        try:
            expected = _expected.get()
            if expected is not None and expected[0] == case_id and case.revision != expected[1]:
                raise VersionChanged(case_id, expected[1], case.revision)
            deployed = engine.deployed(case.workflow_id, case.workflow_version)
            _telemetry.loaded(deployed)
            outcome = change(case, deployed, moment)
        except Exception:
            if not recent:
                raise
            recent_ok = False  # decided on a copy that may be stale: decide again, fresh
            continue
        if outcome is None:
            if recent:
                recent_ok = False
                continue
            return None
        new = outcome.case
        if new.workflow_version != case.workflow_version:  # migrated: the new version's
            deployed = engine.deployed(new.workflow_id, new.workflow_version)
        if new.assigned:  # a claim ends with its step's turn (onething.cases.assignment)
            claims = kept(new, deployed.workflow, deployed.positions(new.marking),
                          outcome.events)
            new = new if claims is None else new.replace(assigned=claims)
        status = status_events(new, case.notified, outcome.events, deployed.workflow)
        if status:  # ``new`` is the change's own record: counted in place
            new.notified = case.notified + len(status)
            new.corrections = case.corrections + corrections_in(status)
        own = status
        wake = next_due(new, deployed.workflow, deployed.policy, engine.calendar, moment)
        delivery = outcome.delivery
        created = []
        for c in outcome.created:
            said = status_events(c.case, 0, c.events, c.deployed.workflow)
            opened = c.case.replace(notified=len(said), corrections=corrections_in(said)) \
                if said else c.case
            status = [*status, *said]
            created.append((opened, c.events, next_due(opened, c.deployed.workflow,
                                                       c.deployed.policy, engine.calendar,
                                                       moment),
                            listing(opened, c.deployed, engine.calendar, said)))
        try:
            store.commit(new, case.version, outcome.events, delivery, wake,
                         outbox_for(delivery) + parent_outbox(new, delivery)
                         if delivery is not None else None, key,
                         created=created or None,
                         listing=listing(new, deployed, engine.calendar, own),
                         status=status)
        except AlreadyDelivered:
            raise CaseEnded(f"case {case_id} has been delivered already",
                            "a case has exactly one delivery", code="refused.case.delivered",
                            subject=case_id) from None
        except Conflict:
            recent_ok = False
            if attempt == RETRIES - 1:
                raise
            _telemetry.retried()
            time.sleep(random.uniform(0, 0.002 * 2 ** attempt))  # others got there first
            continue
        _telemetry.committed(delivery)
        if delivery is not None and new.parent_step is not None:
            engine.child_delivered(new, moment)
        return new
    raise Conflict(f"case {case_id} kept changing; try again")  # pragma: no cover


def record_refusal(engine: EngineContext, case_id: str, action: str, step: str | None,
                   actor: str, refused: ActionRefused, now: datetime | None = None) -> None:
    """Put a refused attempt in the case's history (it changes nothing else); beyond
    :data:`REFUSALS_KEPT` per case, only the log says so."""
    def change(case: Case, deployed: Deployed, at: datetime) -> Change | None:
        if case.refused >= REFUSALS_KEPT:
            log.warning("case %s: a refused %s by %s not recorded (the case holds %d "
                        "refused attempts already)", case_id, action, actor, case.refused)
            return None
        return advance(case, at, ("refused_attempt", actor, step,
                                  {"action": action, "why": refused.message,
                                   "code": refused.code}),
                       refused=case.refused + 1)
    token = _expected.set(None)  # the record is written at whatever version the case is
    try:
        with contextlib.suppress(OnethingError):  # the refusal is what the caller must see
            _run(engine, case_id, change, None, now)
    finally:
        _expected.reset(token)
