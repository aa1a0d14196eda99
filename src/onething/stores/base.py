"""The Store port: what the engine needs from persistence, whatever the database."""

from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from onething.cases.listing import CaseQuery, Listing, WorkItem
from onething.cases.notifications import Notification, Subscription
from onething.cases.records import Case, Delivery, Event, OutboxItem, case_from_json
from onething.cases.status import StatusEvent
from onething.cases.tallies import Tally
from onething.errors import StoreBusy, StoreCorrupt
from onething.stores._counts_sql import Row

#: a case opened by a commit, with its first events, its wake and its listing (a follow-up case)
Created = tuple[Case, list[Event], datetime | None, Listing | None]


#: How many times a store retries a transaction the database refused as busy, by default.
BUSY_RETRIES = 4

_T = TypeVar("_T")


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...): doubling from 20 ms, at
    most 1 s, with jitter so that the writers that collided do not collide again."""
    return min(1.0, 0.01 * 2.0 ** attempt) * random.uniform(0.5, 1.5)


def retry_busy(run: Callable[[], _T], *, retries: int, is_busy: Callable[[Exception], bool],
               explain: Callable[[Exception, int], str]) -> _T:
    """``run()``, run again (after :func:`backoff`) while it fails with an error ``is_busy``
    says is the database's "busy, try again", at most ``retries`` more times; then
    :class:`StoreBusy` with ``explain(last error, attempts)``.

    ``run`` must be one whole transaction (or one read): a busy failure leaves nothing written,
    so running it again is safe. Any other error goes to the caller at once.
    """
    for attempt in range(retries + 1):
        try:
            return run()
        except Exception as exc:
            if not is_busy(exc):
                raise
            last = exc
        if attempt < retries:
            time.sleep(backoff(attempt + 1))
    raise StoreBusy(explain(last, retries + 1)) from last


class _Retrying(Protocol):
    """A store that runs one unit of work with its own retries (what :func:`retried` needs)."""

    def _retrying(self, run: Callable[[], _T]) -> _T: ...


_S = TypeVar("_S", bound=_Retrying)
_P = ParamSpec("_P")


def retried(method: Callable[Concatenate[_S, _P], _T]) -> Callable[Concatenate[_S, _P], _T]:
    """Make a store method one retried unit: ``self._retrying(run)`` decides what is busy."""
    @functools.wraps(method)
    def wrapper(self: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return self._retrying(lambda: method(self, *args, **kwargs))
    return wrapper


class Store(Protocol):
    """Persistence for definitions, cases, history and the one delivery per case.

    ``commit`` is atomic: the case's new state, its new events, its wake and (at
    the end) its delivery with the delivery's outbox rows are written together or not at all,
    with the request's idempotency key when it has one. Every method may raise
    :class:`StoreBusy` when the database stays locked through the store's retries. It raises
    :class:`~onething.errors.Conflict` when the stored case is no longer at
    ``expected_version`` or the idempotency key is taken, and
    :class:`~onething.errors.AlreadyDelivered` when the case already has a delivery.
    """

    def erase_personal(self, case_id: str, forget: Sequence[str] = ()) -> int:
        """Remove the personal data kept beside the case: every idempotency snapshot loses its
        form values and applicant (see :meth:`Case.without_personal_data`; the keys stay, so a
        late retry is still answered and opens no second case), and every text in ``forget``
        (the applicant's and agents' pseudonyms) is replaced by ``erased`` in the case's event
        rows. Returns how many snapshots there were."""
        ...

    def secret(self, name: str) -> bytes:
        """32 random bytes kept by the store under ``name``, made on first use (the
        development pseudonym key when the host configures none)."""
        ...

    def replan(self, case_id: str, version: int, wake: datetime | None,
               listing: Listing | None = None) -> bool:
        """Set the case's wake (and its listing, when given) if the case is still at
        ``version``; False when it moved on (its own commit set them)."""
        ...

    def next_serial(self, scope: str) -> int:
        """The next number (from 1) of the serial named ``scope``, drawn in its own
        transaction: never the same number twice, whoever draws (case numbers)."""
        ...

    def counted(self, period: str, *, since: str | None = None, until: str | None = None,
                workflow: str | None = None, department: str | None = None) -> list[Row]:
        """The statistics' counts (:mod:`onething.cases.tallies`) summed per key and
        ``period`` (``day``, ``week``, ``month``, ``year``, ``all``), of the days ``since`` to
        ``until`` (ISO dates, both included), of one workflow and one department when given:
        ``(measure, workflow, department, step, period, kind, days, flags, count)``."""
        ...

    def counts_stale(self) -> bool:
        """Whether the counts must be made again from the cases (a database upgraded from
        before they were kept): the engine :meth:`recount` s before it reads them."""
        ...

    def merge_counts(self, limit: int = 10_000) -> int:
        """Sum at most ``limit`` of the counts changes appended since the last merge into
        one row per key (a report reads the same sums either way, faster once merged);
        returns how many keys were merged into. ``Engine.tick`` calls it."""
        ...

    def recount(self, made: Callable[[str], Iterable[Tally] | None], *,
                if_stale: bool = False) -> int | None:
        """Replace every count by what ``made`` gives for each case id (reading the case
        through this store), in one transaction that keeps every other writer of counts
        waiting, so that no change is counted twice or lost; with ``if_stale``, only while
        the counts are stale (None when they are not). Returns how many cases were counted."""
        ...

    def unlisted(self, limit: int = 1000) -> list[str]:
        """Ids of cases without a listing (stored before listings existed), at most
        ``limit``: the engine lists them before it answers a queue or search."""
        ...

    def work_queue(self, department: str, *, assignee: str | None = None,
                   after: tuple[Any, ...] | None = None, limit: int = 50) -> list[WorkItem]:
        """The work waiting on ``department`` (only what ``assignee`` holds, when given):
        green channel first, then by due date; after the sort key ``after``."""
        ...

    def alerts(self, now: datetime, *, department: str | None = None,
               after: tuple[Any, ...] | None = None, limit: int = 50) -> list[WorkItem]:
        """Work in warning or overdue at ``now`` (of ``department``, when given), the
        earliest warning first."""
        ...

    def alert_counts(self, now: datetime) -> dict[tuple[str, str], int]:
        """How many cases each department has in ``warning`` or ``overdue`` at ``now``, as
        ``{(department, status): count}`` (no zero counts): what :meth:`alerts` lists,
        counted, a case once per department — overdue when one of its steps there is. One
        query over the alerts' index (a metrics gauge reads it: onething.telemetry)."""
        ...

    def intake_queue(self, *, lead: str | None = None, after: tuple[Any, ...] | None = None,
                     limit: int = 50) -> list[Listing]:
        """Cases awaiting intake (of the window of ``lead``, when given), green channel
        first, then by the art. 32 due date."""
        ...

    def search(self, query: CaseQuery, *, after: tuple[Any, ...] | None = None,
               limit: int = 50) -> list[Listing]:
        """Cases matching ``query``, newest submission first."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Group commit: the writes inside the block are one transaction, committed when it
        ends and undone, all of them, if it raises; each write inside stays atomic on its
        own (a refused write leaves the others). Nothing inside is durable before the end."""
        ...

    def put_definition(self, workflow_id: str, version: int, content_hash: str,
                       text: str) -> None:
        """Record a deployed definition; refuse a different content under the same version."""

    def get_definition(self, workflow_id: str, version: int) -> tuple[str, str] | None:
        """``(content_hash, text)`` of a deployed definition, or None."""

    def workflow_ids(self) -> list[str]:
        """The id of every workflow with a deployed version, sorted."""

    def latest_version(self, workflow_id: str) -> int | None:
        """The highest deployed version of a workflow, or None."""

    def create(self, case: Case, events: list[Event], wake: datetime | None = None,
               idempotency: tuple[str, str] | None = None, *,
               listing: Listing | None = None, status: Sequence[StatusEvent] = ()) -> None:
        """Store a new case with its first events, its wake (when its first timer is due:
        :func:`onething.cases.timers.next_due`), listing and status events (with their
        notifications)."""

    def load(self, case_id: str) -> Case:
        """The case; :class:`~onething.errors.UnknownCase` if there is none."""

    def load_recent(self, case_id: str) -> tuple[Case, bool]:
        """The case for a change, and whether it may be stale: a database store hands out
        the case as it last wrote or read it without asking the database (True), and the
        engine trusts a change made from it only once its versioned commit succeeds
        (:mod:`onething.stores._known_cases`); otherwise the case loaded (False). It may be
        the store's own record, not a copy: the engine only reads it and makes its change on
        a new record (copy on write)."""
        return self.load(case_id), False

    def commit(self, case: Case, expected_version: int, events: list[Event],
               delivery: Delivery | None = None, wake: datetime | None = None,
               outbox: list[OutboxItem] | None = None,
               idempotency: tuple[str, str] | None = None, *,
               created: Sequence[Created] | None = None,
               listing: Listing | None = None, status: Sequence[StatusEvent] = ()) -> None:
        """Write the case's new state (its workflow version too), events, delivery, outbox,
        wake (None: no timer pending), listing, the cases it opens (``created``: follow-ups
        with their first events, wakes and listings) and the status events of them all
        (with a notification of each to every subscription that wants it) at once.

        ``idempotency`` is ``(key, request_fingerprint)``: stored with a snapshot of ``case``
        so that a retried request can be answered with the first result.
        """

    def idempotent(self, key: str) -> tuple[str, Case] | None:
        """``(request_fingerprint, case as it was committed)`` for a used key, or None."""

    def claim_outbox(self, now: datetime, limit: int = 100,
                     lease_seconds: float = 60.0) -> list[OutboxItem]:
        """Pending outbox items due at ``now``, claimed for ``lease_seconds`` (no other
        claimer gets them meanwhile; an expired claim is claimable again)."""

    def finish_outbox(self, item_id: str, *, sent: bool, error: str = "", result: str = "",
                      retry_at: datetime | None = None) -> None:
        """Record a hand-over: sent, or failed and retried at ``retry_at`` (None: give up)."""

    def outbox(self, case_id: str) -> list[OutboxItem]:
        """Every outbox item of a case."""

    def history(self, case_id: str) -> list[Event]:
        """Every event of the case, in order."""

    def delivery(self, case_id: str) -> Delivery | None:
        """The case's delivery, if it has one."""

    def due_cases(self, now: datetime, limit: int = 100) -> list[str]:
        """The cases whose wake is ``now`` or before, earliest wake first (then by id)."""

    def claim_due(self, now: datetime, limit: int = 100,
                  lease_seconds: float | None = None) -> list[str]:
        """Like :meth:`due_cases`, but claimed for a lease so that concurrent workers take
        different cases (``FOR UPDATE SKIP LOCKED`` where the database has it); a commit
        that moves a case's wake ends its claim."""

    def wake(self, case_id: str) -> datetime | None:
        """When the case's first pending timer is due, as last committed (None: none)."""

    def case_ids(self) -> list[str]:
        """Every case id, oldest first."""

    def status_events(self, case_id: str) -> list[StatusEvent]:
        """Every status event of the case, in order (:mod:`onething.cases.status`)."""

    def subscribe(self, subscription: Subscription) -> None:
        """Add or replace a subscription: the status events committed from now on that it
        wants get a notification to it (:mod:`onething.cases.notifications`)."""

    def unsubscribe(self, name: str) -> bool:
        """Remove a subscription (its notifications stay); whether there was one."""

    def subscriptions(self) -> list[Subscription]:
        """Every subscription, by name."""

    def claim_notifications(self, now: datetime, limit: int = 100,
                            lease_seconds: float = 60.0,
                            subscriptions: Sequence[str] | None = None) -> list[Notification]:
        """Pending notifications due at ``now`` (to the ``subscriptions`` named, when given)
        that no earlier one of the same case to the same subscription holds back, each with
        its event, claimed for ``lease_seconds`` — an attempt counted as it begins."""

    def finish_notification(self, item_id: str, *, sent: bool, error: str = "",
                            result: str = "", retry_at: datetime | None = None,
                            dropped: bool = False,
                            claimed_until: datetime | None = None) -> None:
        """Record a hand-over: sent; dropped (nothing to send: the case was erased); or
        failed and tried again at ``retry_at`` (None: given up, a dead letter). Only a
        pending notification is finished, and with ``claimed_until`` (the claim's) only while
        that claim is still its own: a late worker never overwrites the next one's result."""

    def notifications(self, *, subscription: str | None = None, status: str | None = None,
                      case_id: str | None = None, limit: int = 100) -> list[Notification]:
        """Notifications matching every filter given, each with its event and, while
        pending, the dead letter holding it back (if any); earliest due first."""

    def retry_notification(self, item_id: str, now: datetime) -> bool:
        """Make a dead (or pending) notification due at ``now`` with its attempts counted
        afresh; whether there was one to retry."""

    def skip_notification(self, item_id: str) -> bool:
        """Give a dead (or pending) notification up without sending it, releasing the ones
        it held back; whether there was one to skip."""

    def replay(self, subscription: Subscription, now: datetime,
               case_id: str | None = None) -> int:
        """Hand the subscription every status event it wants again (of one case, or all),
        due at ``now``, making the rows it lacks; how many."""

    def close(self) -> None:
        """Release connections."""


def redacted(url: str) -> str:
    """The URL without its password (for messages)."""
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def decoded(what: str, decode: Callable[[], _T]) -> _T:
    """``decode()``, or :class:`StoreCorrupt` naming the record when a stored row does not
    decode (a damaged or hand-edited database)."""
    try:
        return decode()
    except (ValueError, ArithmeticError, KeyError, TypeError, AttributeError) as exc:
        raise StoreCorrupt(f"the stored record of {what} does not decode "
                           f"({type(exc).__name__}); restore the database from a backup") \
            from None


def snapshot_case(stored: Any) -> Case:
    """The case an idempotency snapshot holds (its JSON text, or the JSON PostgreSQL read),
    or :class:`StoreCorrupt` when it does not decode."""
    return decoded("(an idempotency snapshot)", lambda: case_from_json(
        json.loads(stored) if isinstance(stored, str) else stored))


#: how many random bytes a stored secret holds (written as hexadecimal)
SECRET_BYTES = 32


def secret_from_text(name: str, text: object) -> bytes:
    """A stored secret's bytes, or :class:`StoreCorrupt` when the row is not the
    hexadecimal of :data:`SECRET_BYTES` bytes that the store writes (a damaged database)."""
    if isinstance(text, str) and len(text) == 2 * SECRET_BYTES:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    raise StoreCorrupt(f"the stored secret {name!r} is damaged (not {SECRET_BYTES} bytes of "
                       "hexadecimal); restore the database from a backup — a new secret would "
                       "unlink every applicant from their cases")


#: the columns of an outbox row, in the order the stores read them
OUTBOX_COLUMNS = ("id, delivery_id, case_id, channel, payload, status, attempts, "
                  "next_attempt_at, last_error, result")
