"""Statistics over the cases of a store (issue 19), read from the counts the stores keep in each
change's own transaction (:mod:`onething.cases.tallies`): a report costs what the counts cost,
never a read of every case. ``recount`` makes the counts again from every case and its status
events — after a database upgrade, and after the calendar's data changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from onething.cases import tallies as t
from onething.cases.statistics import PERIODS, Report, report
from onething.errors import InvalidArgument, OnethingError, UnknownWorkflow
from onething.privacy.masking import clip, mask_text, personal_logger

if TYPE_CHECKING:
    from onething.engine._deployments import Deployed
    from onething.stores.base import Store
    from onething.workdays import WorkCalendar

log = personal_logger("onething.engine")


def _day(value: date | str | None, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        raise InvalidArgument(f"{what} is a day, not a moment", "give its date: 2026-12-01")
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise InvalidArgument(f"{what} is a date (YYYY-MM-DD), not {clip(value, 20)!r}",
                                  "e.g. 2026-12-01") from None
    if not isinstance(value, date):
        raise InvalidArgument(f"{what} is a date, not {type(value).__name__}")
    return value.isoformat()


class Counting:
    """The engine's statistics (mixed into :class:`~onething.engine.engine.Engine`)."""

    store: Store
    calendar: WorkCalendar

    def statistics(self, *, workflow: str | None = None, department: str | None = None,
                   since: date | str | None = None, until: date | str | None = None,
                   period: str = "week") -> Report:
        """The statistics of the cases in the store (:class:`~onething.cases.statistics.Report`):
        of the days ``since`` to ``until`` (both included; None: unbounded), of one workflow
        and one department when given, grouped by ``period`` (``day``, ``week``, ``month``,
        ``year``). Nothing personal is in a report: ids, names of steps and departments,
        dates and counts. Bad arguments raise :class:`~onething.errors.InvalidArgument`."""
        if period not in PERIODS:
            raise InvalidArgument(f"a report groups by {', '.join(PERIODS)}, not "
                                  f"{clip(period, 20)!r}", "e.g. period='week'")
        low, high = _day(since, "since"), _day(until, "until")
        if low is not None and high is not None and low > high:
            raise InvalidArgument(f"since ({low}) is after until ({high})",
                                  "give the earlier date first")
        for value, what in ((workflow, "workflow"), (department, "department")):
            if value is not None and (not isinstance(value, str) or not value
                                      or len(value) > 200):
                raise InvalidArgument(f"{what} is an id (text of 1 to 200 characters)")
        self._counted()
        rows = self.store.counted(period, since=low, until=high, workflow=workflow,
                                  department=department)
        names, limits = self._described({row[1] for row in rows} | (
            {workflow} if workflow else set()))
        return report(rows, period=period, since=low, until=high, workflow=workflow,
                      department=department, names=names, limits=limits)

    def observed_step_days(self, workflow_id: str) -> dict[str, dict[int, int]]:
        """How many working days each step of ``workflow_id`` took in the delivered cases of
        the store: ``{step: {working days: cases}}`` (every department of a step together) —
        what ``onething simulate --fit-db`` draws step durations from."""
        self._counted()
        out: dict[str, dict[int, int]] = {}
        for measure, _, _, step, _, _, days, _, n in self.store.counted(
                "year", workflow=workflow_id):
            if measure == t.STEP_TIME and days >= 0:
                found = out.setdefault(step, {})
                found[days] = found.get(days, 0) + n
        return {step: dict(sorted(found.items())) for step, found in sorted(out.items())}

    def recount(self) -> int:
        """Make every count again from every case and its status events (after a database
        upgrade, after ``calendar refresh``); returns how many cases were counted. It reads
        every case inside one transaction that keeps changes waiting to write their counts
        (PostgreSQL: a lock on the counts; SQLite: the write lock), so that no change is
        counted twice or lost — and the hall's actions wait meanwhile. A case whose workflow
        version is not deployed here is logged and left out."""
        counted = self.store.recount(self._tallies_of)
        assert counted is not None  # not asked only if stale
        return counted

    def _counted(self) -> None:
        """Count every case first if the counts are stale (a database just upgraded): once,
        however many ask at once."""
        if self.store.counts_stale():
            self.store.recount(self._tallies_of, if_stale=True)

    def _tallies_of(self, case_id: str) -> list[t.Tally] | None:
        try:
            case = self.store.load(case_id)
            deployed = self.deployed(case.workflow_id, case.workflow_version)
            return t.tallies(self.store.status_events(case_id), case, deployed.workflow,
                             deployed.policy, self.calendar.lenient())
        except OnethingError as exc:
            log.error("case %s is left out of the statistics: %s", case_id,
                      mask_text(str(exc))[:300])
            return None

    def _described(self, workflows: Iterable[str]) -> tuple[dict[str, str],
                                                             dict[str, dict[str, str]]]:
        """Display names of the workflows, their departments and steps, and each workflow's
        case limits, as the latest deployed version of each says them."""
        names: dict[str, str] = {}
        limits: dict[str, dict[str, str]] = {}
        for workflow_id in sorted(workflows):
            try:
                workflow = self.deployed(workflow_id).workflow
            except UnknownWorkflow:
                continue
            names[f"workflow:{workflow_id}"] = workflow.title or workflow_id
            for department, title in workflow.department_titles:
                names.setdefault(f"department:{department}", title)
            names.setdefault(f"step:{workflow_id}:{t.INTAKE_STEP}", "窗口受理")
            for step in workflow.iter_steps():
                names[f"step:{workflow_id}:{step.id}"] = step.title or step.id
            if workflow.time_limit is not None:
                limits[workflow_id] = {
                    which: str(limit) for which, limit in (
                        ("committed", workflow.time_limit.committed),
                        ("statutory", workflow.time_limit.statutory)) if limit is not None}
        return names, limits

    def deployed(self, workflow_id: str, version: int | None = None) -> Deployed:
        raise NotImplementedError
