"""The written notices of a case (issue 17 item 3), for the people entitled to them: the
applicant and their agents, the lead window and its supervisors, and the departments that
sign a step of its workflow. Each is listed with its number, kind and date, and rendered on
request from the data its status event's history line carries; the applicant's identity number
is shown whole only to the applicant. A refused attempt is recorded in the history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from onething.cases.documents import Document, documents
from onething.cases.lookup import LOOKUP_KEY, lookup_code
from onething.cases.records import Actor, Case, Role, applicant
from onething.cases.rules import People, actor_param, who
from onething.engine import _unit
from onething.errors import InvalidArgument, NotAuthorized
from onething.language.model import Workflow
from onething.privacy.masking import clip
from onething.workdays import WorkCalendar

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed
    from onething.stores.base import Store


def may_read(people: People, workflow: Workflow, actor: Actor, case: Case) -> None:
    """:class:`NotAuthorized` unless ``actor`` may read the case (its notices, where it
    stands, its history): whoever may see the case (:func:`onething.cases.rules.
    visible_names`: the applicant and their agents, the lead window and its supervisors), the
    officers and supervisors of the departments that sign one of its steps (who decide, assign
    and extend those steps), and under joint handling the head of the government who extends
    the case's limit."""
    staff = actor.role in (Role.WINDOW, Role.SUPERVISOR) and actor.department == workflow.lead
    department = actor.role in (Role.DEPARTMENT, Role.SUPERVISOR) and any(
        actor.department in step.signers for step in workflow.iter_steps())
    head = actor.role is Role.GOVERNMENT_HEAD and workflow.handling.joint \
        and actor.department == workflow.handling.government
    if people.speaks_for_applicant(actor, case) or staff or department or head \
            or actor.role is Role.SYSTEM:
        return
    raise NotAuthorized(f"{who(actor)} may not see case {case.id}",
                        code="refused.case.not_visible", subject=case.id,
                        params={"actor": actor_param(actor)})


class Noticing:
    """The engine's face for the written notices (mixed into
    :class:`~onething.engine.engine.Engine`)."""

    store: Store
    calendar: WorkCalendar

    def notices(self, case_id: str, actor: Actor) -> list[Document]:
        """The case's written notices, in order (numbered with the case number), that
        ``actor`` may read."""
        return self._documents(*self._readable(case_id, actor))

    def notice(self, case_id: str, number: str, actor: Actor, *, lang: str = "zh",
               templates: str | Path | None = None) -> str:
        """Notice ``number`` of the case as one HTML page (A4 print stylesheet), in Chinese or
        English (``lang``), through the shipped templates or a folder overriding them."""
        from onething.notices.render import identity_of, render

        case, deployed = self._readable(case_id, actor)
        found = {d.number: d for d in self._documents(case, deployed)}.get(number)
        if found is None:
            raise InvalidArgument(f"case {case_id} has no notice {clip(number, 40)!r}",
                                  "list them: Engine.notices / onething notices CASE")
        people = self.people
        identity = identity_of(case, deployed.workflow,
                               lambda value: people.is_applicant(applicant(value), case))
        code = lookup_code(self.store.secret(LOOKUP_KEY), case.id) \
            if found.kind == "acceptance" else None
        return render(found, case, deployed.workflow,
                      for_owner=people.is_applicant(actor, case), identity=identity,
                      lang=lang, templates=templates, lookup_code=code)

    def _documents(self, case: Case, deployed: Deployed) -> list[Document]:
        return documents(case, self.store.history(case.id), self.store.status_events(case.id),
                         deployed.workflow, self.calendar, deployed.policy.count_from)

    def _readable(self, case_id: str, actor: Actor) -> tuple[Case, Deployed]:
        case = self.store.load(case_id)
        deployed = self.deployed(case.workflow_id, case.workflow_version)
        try:
            may_read(self.people, deployed.workflow, actor, case)
        except NotAuthorized as refused:
            _unit.record_refusal(cast("EngineContext", self), case_id, "notices", None,
                                 self.people.text(actor), refused)
            raise
        return case, deployed

    @property
    def people(self) -> People:
        raise NotImplementedError

    def deployed(self, workflow_id: str, version: int | None = None) -> Deployed:
        raise NotImplementedError
