"""What a caller acting for someone else (the HTTP server) asks before a read or a change:
may this person read the case, is the case still at the version they read, and does a lookup
code printed on the case's acceptance notice match (the applicant's progress lookup)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from onething.cases.lookup import LOOKUP_KEY, code_matches, lookup_code
from onething.cases.records import Role
from onething.cases.rules import actor_param, who
from onething.engine import _unit
from onething.errors import NotAuthorized

if TYPE_CHECKING:
    from onething.cases.records import Actor
    from onething.cases.rules import People
    from onething.engine._deployments import Deployed
    from onething.stores.base import Store


class Reading:
    """The engine's face for reads made on someone's behalf (mixed into
    :class:`~onething.engine.engine.Engine`)."""

    def readable(self, case_id: str, actor: Actor) -> None:
        """:class:`~onething.errors.NotAuthorized` (recorded in the case's history) unless
        ``actor`` may read the case — its summary, history, status events and notices: the
        applicant and their agents, the lead department's window and supervisors, and the
        departments that sign one of its steps (docs/roles.md)."""
        self._readable(case_id, actor)

    @contextmanager
    def expecting(self, case_id: str, version: int) -> Iterator[None]:
        """Inside the block, an action on ``case_id`` is taken only on ``version``, the
        case's :attr:`~onething.cases.records.Case.revision` (HTTP ``If-Match``): on any
        other — someone changed the case since the caller read it — it raises
        :class:`~onething.errors.VersionChanged` and writes nothing. A refused attempt, which
        the history records, does not count as a change. A request repeated with its
        idempotency key gets its first answer whatever the version."""
        with _unit.expecting(case_id, version):
            yield

    def lookup_code(self, case_id: str) -> str:
        """The case's lookup code (查询码, ``XXXXX-XXXXX``, :mod:`onething.cases.lookup`):
        printed on its acceptance notice, it lets whoever holds the notice follow the case's
        progress with the case number (:meth:`lookup_matches`)."""
        return lookup_code(self.store.secret(LOOKUP_KEY), case_id)

    def lookup_matches(self, case_id: str, code: str) -> bool:
        """Whether ``code`` is the case's lookup code, as people type it back (any case,
        spaces and dashes ignored, O read as 0 and I or L as 1); an unknown case is
        :class:`~onething.errors.UnknownCase`."""
        self.store.load(case_id)
        return code_matches(self.lookup_code(case_id), code)

    def lookup_code_for(self, case_id: str, actor: Actor) -> str:
        """The case's lookup code, for those who hand it over or hold it: the lead
        department's window clerks and supervisors, the applicant and their agents;
        :class:`~onething.errors.NotAuthorized` for anyone else (a department deciding a step
        has no use for it)."""
        case = self.store.load(case_id)
        lead = self.deployed(case.workflow_id, case.workflow_version).workflow.lead
        if not (actor.role in (Role.WINDOW, Role.SUPERVISOR) and actor.department == lead) \
                and not self.people.speaks_for_applicant(actor, case):
            raise NotAuthorized(f"{who(actor)} may not see case {case_id}'s lookup code",
                                code="refused.case.not_visible", subject=case_id,
                                params={"actor": actor_param(actor)})
        return self.lookup_code(case_id)

    store: Store

    @property
    def people(self) -> People:
        raise NotImplementedError

    def deployed(self, workflow_id: str, version: int | None = None) -> Deployed:
        raise NotImplementedError

    def _readable(self, case_id: str, actor: Actor) -> object:
        raise NotImplementedError
