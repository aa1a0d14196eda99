"""An in-memory store for tests and quick scripts (same contract as the databases)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import attrs

from onething.cases.listing import CaseQuery, Listing, WorkItem
from onething.cases.records import Case, Delivery, Event, OutboxItem
from onething.cases.status import StatusEvent
from onething.cases.tallies import Tally
from onething.errors import AlreadyDelivered, Conflict, DeployRefused, UnknownCase
from onething.stores import _memory_listing as listed
from onething.stores._counts_sql import Row, period_of
from onething.stores._memory_status import MemoryNotified
from onething.stores.base import Created, Store


class MemoryStore(MemoryNotified, Store):
    """Keeps everything in dicts, guarded by one lock; nothing survives the process."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._journal: list[tuple[dict[Any, Any], Any, Any]] | None = None
        self._journaled: set[tuple[int, Any]] = set()
        self._definitions: dict[tuple[str, int], tuple[str, str]] = {}
        self._cases: dict[str, Case] = {}
        self._events: dict[str, list[Event]] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._wakes: dict[str, datetime | None] = {}
        self._keys: dict[str, tuple[str, Case]] = {}
        self._outbox: dict[str, OutboxItem] = {}
        self._claims: dict[str, datetime] = {}
        self._secrets: dict[str, bytes] = {}
        self._listings: dict[str, Listing] = {}
        self._counts: dict[tuple[Any, ...], int] = {}
        self._serials: dict[str, int] = {}
        self._init_status()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group the writes inside into one unit: if the block raises, every write made in it
        is undone (the same contract as the databases' group commit; nothing here is durable
        anyway). Other threads using this store wait until the batch ends."""
        with self._lock:
            if self._journal is not None:
                yield
                return
            self._journal, self._journaled = [], set()
            try:
                yield
            except BaseException:
                for table, key, old in reversed(self._journal):
                    if old is _MISSING:
                        table.pop(key, None)
                    else:
                        table[key] = old
                raise
            finally:
                self._journal = None
                self._journaled = set()

    def _touch(self, table: dict[Any, Any], key: Any) -> None:
        """Inside a batch, remember ``table[key]`` as it was before its first change."""
        if self._journal is None or (id(table), key) in self._journaled:
            return
        self._journaled.add((id(table), key))
        old = table.get(key, _MISSING)
        if (table is self._events or table is self._status) and old is not _MISSING:
            old = list(old)  # appended to in place
        self._journal.append((table, key, old))

    def put_definition(self, workflow_id: str, version: int, content_hash: str,
                       text: str) -> None:
        with self._lock:
            known = self._definitions.get((workflow_id, version))
            if known is not None and known[0] != content_hash:
                raise DeployRefused(_changed(workflow_id, version))
            self._touch(self._definitions, (workflow_id, version))
            self._definitions[(workflow_id, version)] = (content_hash, text)

    def get_definition(self, workflow_id: str, version: int) -> tuple[str, str] | None:
        return self._definitions.get((workflow_id, version))

    def workflow_ids(self) -> list[str]:
        return sorted({w for (w, _) in self._definitions})

    def latest_version(self, workflow_id: str) -> int | None:
        versions = [v for (w, v) in self._definitions if w == workflow_id]
        return max(versions) if versions else None

    def create(self, case: Case, events: list[Event], wake: datetime | None = None,
               idempotency: tuple[str, str] | None = None, *,
               listing: Listing | None = None, status: Sequence[StatusEvent] = ()) -> None:
        with self._lock:
            if case.id in self._cases:
                raise Conflict(f"a case with id {case.id!r} exists already")
            self._remember(case, idempotency)
            self._insert(case, events, wake, listing)
            self._write_status(status)

    def _insert(self, case: Case, events: list[Event], wake: datetime | None,
                listing: Listing | None) -> None:
        for table in (self._cases, self._events, self._wakes):
            self._touch(table, case.id)
        self._cases[case.id] = case.snapshot()
        self._events[case.id] = list(events)
        self._wakes[case.id] = wake
        self._list(case.id, listing)

    def _list(self, case_id: str, listing: Listing | None) -> None:
        if listing is not None:
            if self._journal is not None:  # in a batch
                self._touch(self._listings, case_id)
            self._listings[case_id] = listing
            self._add(listing.counts)

    def _add(self, counts: Iterable[Tally]) -> None:
        for tally in counts:  # a tally is its key (the week follows from its day)
            if self._journal is not None:  # in a batch
                self._touch(self._counts, tally)
            self._counts[tally] = self._counts.get(tally, 0) + 1

    def counted(self, period: str, *, since: str | None = None, until: str | None = None,
                workflow: str | None = None, department: str | None = None) -> list[Row]:
        summed: dict[tuple[Any, ...], int] = {}
        with self._lock:
            for (measure, wf, dept, step, day, kind, days, flags), n in self._counts.items():
                if ((since is None or day >= since) and (until is None or day <= until)
                        and (workflow is None or wf == workflow)
                        and (department is None or dept == department)):
                    key = (measure, wf, dept, step, period_of(day, period), kind, days, flags)
                    summed[key] = summed.get(key, 0) + n
        return [(*key, n) for key, n in summed.items() if n != 0]

    def merge_counts(self, limit: int = 10_000) -> int:
        return 0  # one count per key already

    def counts_stale(self) -> bool:
        return False  # nothing here outlives the process, so nothing was counted before

    def recount(self, made: Callable[[str], Iterable[Tally] | None], *,
                if_stale: bool = False) -> int | None:
        if if_stale:
            return None  # never stale (see counts_stale)
        with self._lock:
            counts: list[Tally] = []
            counted = 0
            for case_id in sorted(self._cases):
                found = made(case_id)
                if found is not None:
                    counts.extend(found)
                    counted += 1
            for key in list(self._counts):
                self._touch(self._counts, key)
                del self._counts[key]
            self._add(counts)
            return counted

    def load(self, case_id: str) -> Case:
        with self._lock:
            try:
                return self._cases[case_id].snapshot()
            except KeyError:
                raise UnknownCase(case_id) from None

    def load_recent(self, case_id: str) -> tuple[Case, bool]:
        """The case as stored, not a copy (the engine changes none it loads: copy on
        write, tests/engine/test_copy_on_write.py); never stale here."""
        with self._lock:
            try:
                return self._cases[case_id], False
            except KeyError:
                raise UnknownCase(case_id) from None

    def commit(self, case: Case, expected_version: int, events: list[Event],
               delivery: Delivery | None = None, wake: datetime | None = None,
               outbox: list[OutboxItem] | None = None,
               idempotency: tuple[str, str] | None = None, *,
               created: Sequence[Created] | None = None,
               listing: Listing | None = None, status: Sequence[StatusEvent] = ()) -> None:
        with self._lock:
            for new_case, *_ in created or ():
                if new_case.id in self._cases:
                    raise Conflict(f"a case with id {new_case.id!r} exists already")
            stored = self._cases.get(case.id)
            if stored is None:
                raise UnknownCase(case.id)
            if stored.version != expected_version:
                raise Conflict(f"case {case.id} changed (version {stored.version}, "
                               f"expected {expected_version})")
            if delivery is not None and delivery.case_id in self._deliveries:
                raise AlreadyDelivered(f"case {case.id} already has a delivery")
            if idempotency is not None and idempotency[0] in self._keys:
                raise Conflict("this idempotency key has been used already")
            for new_case, new_events, new_wake, new_listing in created or ():
                self._insert(new_case, new_events, new_wake, new_listing)
            self._remember(case, idempotency)
            if self._journal is not None:
                for table in (self._cases, self._events, self._deliveries, self._wakes):
                    self._touch(table, case.id)
            for item in outbox or ():
                self._touch(self._outbox, item.id)
                self._outbox[item.id] = attrs.evolve(
                    item, next_attempt_at=item.next_attempt_at or case.updated_at)
            self._cases[case.id] = case.snapshot()
            self._events[case.id].extend(events)
            if delivery is not None:
                self._deliveries[delivery.case_id] = delivery
            self._wakes[case.id] = wake
            self._list(case.id, listing)
            self._write_status(status)

    def history(self, case_id: str) -> list[Event]:
        with self._lock:
            if case_id not in self._events:
                raise UnknownCase(case_id)
            return list(self._events[case_id])

    def delivery(self, case_id: str) -> Delivery | None:
        return self._deliveries.get(case_id)

    def due_cases(self, now: datetime, limit: int = 100) -> list[str]:
        with self._lock:
            due = [(at, case_id) for case_id, at in self._wakes.items()
                   if at is not None and at <= now]
        return [case_id for _, case_id in sorted(due)[:limit]]

    def claim_due(self, now: datetime, limit: int = 100,
                  lease_seconds: float | None = None) -> list[str]:
        """Due cases for a worker (one process: the same as :meth:`due_cases`)."""
        return self.due_cases(now, limit)

    def wake(self, case_id: str) -> datetime | None:
        with self._lock:
            if case_id not in self._cases:
                raise UnknownCase(case_id)
            return self._wakes.get(case_id)

    def _remember(self, case: Case, idempotency: tuple[str, str] | None) -> None:
        if idempotency is None:
            return
        key, fingerprint = idempotency
        if key in self._keys:
            raise Conflict("this idempotency key has been used already")
        self._touch(self._keys, key)
        self._keys[key] = (fingerprint, case.snapshot())

    def erase_personal(self, case_id: str, forget: Sequence[str] = ()) -> int:
        with self._lock:
            found = [k for k, (_, c) in self._keys.items() if c.id == case_id]
            for key in found:
                self._touch(self._keys, key)
                fingerprint, case = self._keys[key]
                self._keys[key] = (fingerprint, case.without_personal_data())
            texts = [t for t in forget if t]
            if texts and case_id in self._events:
                self._touch(self._events, case_id)
                self._events[case_id] = [_forgotten(e, texts) for e in self._events[case_id]]
            return len(found)

    def secret(self, name: str) -> bytes:
        with self._lock:
            return self._secrets.setdefault(name, secrets.token_bytes(32))

    def replan(self, case_id: str, version: int, wake: datetime | None,
               listing: Listing | None = None) -> bool:
        with self._lock:
            stored = self._cases.get(case_id)
            if stored is None or stored.version != version:
                return False
            self._touch(self._wakes, case_id)
            self._wakes[case_id] = wake
            self._list(case_id, listing)
            return True

    def next_serial(self, scope: str) -> int:
        with self._lock:  # not journaled: a rolled-back batch keeps its numbers drawn
            self._serials[scope] = self._serials.get(scope, 0) + 1
            return self._serials[scope]

    def unlisted(self, limit: int = 1000) -> list[str]:
        with self._lock:
            return sorted(c for c in self._cases if c not in self._listings)[:limit]

    def work_queue(self, department: str, *, assignee: str | None = None,
                   after: tuple[Any, ...] | None = None, limit: int = 50) -> list[WorkItem]:
        with self._lock:
            return listed.queue(self._listings.values(), department, assignee, after, limit)

    def alerts(self, now: datetime, *, department: str | None = None,
               after: tuple[Any, ...] | None = None, limit: int = 50) -> list[WorkItem]:
        with self._lock:
            return listed.alerts(self._listings.values(), now, department, after, limit)

    def alert_counts(self, now: datetime) -> dict[tuple[str, str], int]:
        with self._lock:
            return listed.alert_counts(self._listings.values(), now)

    def intake_queue(self, *, lead: str | None = None, after: tuple[Any, ...] | None = None,
                     limit: int = 50) -> list[Listing]:
        with self._lock:
            return listed.intake(self._listings.values(), lead, after, limit)

    def search(self, query: CaseQuery, *, after: tuple[Any, ...] | None = None,
               limit: int = 50) -> list[Listing]:
        with self._lock:
            return listed.search(self._listings.values(), query, after, limit)

    def idempotent(self, key: str) -> tuple[str, Case] | None:
        with self._lock:
            found = self._keys.get(key)
            return (found[0], found[1].snapshot()) if found else None

    def claim_outbox(self, now: datetime, limit: int = 100,
                     lease_seconds: float = 60.0) -> list[OutboxItem]:
        with self._lock:
            due = sorted((i for i in self._outbox.values()
                          if i.status == "pending" and i.next_attempt_at is not None
                          and i.next_attempt_at <= now
                          and self._claims.get(i.id, now) <= now),
                         key=lambda i: (i.next_attempt_at, i.id))[:limit]
            for item in due:
                self._touch(self._claims, item.id)
                self._claims[item.id] = now + timedelta(seconds=lease_seconds)
            return due

    def finish_outbox(self, item_id: str, *, sent: bool, error: str = "", result: str = "",
                      retry_at: datetime | None = None) -> None:
        with self._lock:
            item = self._outbox[item_id]
            self._touch(self._claims, item_id)
            self._touch(self._outbox, item_id)
            self._claims.pop(item_id, None)
            if sent:
                item = attrs.evolve(item, status="sent", attempts=item.attempts + 1,
                                    result=result)
            else:
                item = attrs.evolve(item, status="pending" if retry_at else "failed",
                                    attempts=item.attempts + 1, last_error=error,
                                    next_attempt_at=retry_at or item.next_attempt_at)
            self._outbox[item_id] = item

    def outbox(self, case_id: str) -> list[OutboxItem]:
        return sorted((i for i in self._outbox.values() if i.case_id == case_id),
                      key=lambda i: i.id)

    def case_ids(self) -> list[str]:
        return list(self._cases)

    def close(self) -> None:
        pass


_MISSING = object()


def _forgotten(event: Event, texts: list[str]) -> Event:
    """``event`` with each of ``texts`` replaced by ``erased`` in its actor and data."""
    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            for text in texts:
                value = value.replace(text, "erased")
            return value
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value
    return attrs.evolve(event, actor=scrub(event.actor), data=scrub(event.data))


def _changed(workflow_id: str, version: int) -> str:
    return (f"{workflow_id} version {version} is deployed already with different content; "
            "give the changed workflow a new version number")
