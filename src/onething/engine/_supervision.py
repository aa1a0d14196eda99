"""电子监察 records (issue 17 item 4): for each clock of a case — the case's, each step's, the
delivery's, a special procedure's — its limit, the time used and paused, and its state
(normal / warning / overdue), as the supervision platform reads them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from onething.cases.supervision import SupervisionRecord, records
from onething.engine._time import aware
from onething.workdays import Clock, WorkCalendar

if TYPE_CHECKING:
    from onething.engine._deployments import Deployed
    from onething.stores.base import Store


class Supervising:
    """The engine's face for 电子监察 records (mixed into
    :class:`~onething.engine.engine.Engine`)."""

    store: Store
    clock: Clock
    calendar: WorkCalendar

    def supervision(self, case_ids: Iterable[str] | None = None, *,
                    now: datetime | None = None) -> list[SupervisionRecord]:
        """The 电子监察 records of ``case_ids`` (None: every case in the store, oldest first;
        one id given as a string is that case) at ``now`` (default: the engine's clock): one
        :class:`~onething.cases.supervision.SupervisionRecord` per clock of each case — its
        limits and due dates, the working days used and paused, and its state (``normal``,
        ``warning``, ``overdue``, ``paused``, ``met``, ``late``). A case not yet accepted has
        no clock, hence no record. Nothing personal is in a record; due dates in a year
        without official holiday data are marked ``provisional`` instead of refused.

        An unknown case id raises :class:`~onething.errors.UnknownCase`; a naive ``now``,
        :class:`~onething.errors.InvalidArgument`.
        """
        when = aware(now) or self.clock.now()
        if isinstance(case_ids, str):
            case_ids = [case_ids]
        out: list[SupervisionRecord] = []
        for case_id in self.store.case_ids() if case_ids is None else case_ids:
            case = self.store.load(case_id)
            deployed = self.deployed(case.workflow_id, case.workflow_version)
            out += records(case, deployed.workflow, deployed.policy, self.calendar, when)
        return out

    def deployed(self, workflow_id: str, version: int | None = None) -> Deployed:
        raise NotImplementedError
