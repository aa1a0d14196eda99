"""Who may do what to a case (authorization; authentication is the host's), and how the people
behind actions are written down.

The host authenticates people and passes the engine an :class:`~onething.cases.records.Actor`;
the engine decides what that actor may do (docs/roles.md):

========================  ==================================================================
role                      may
========================  ==================================================================
applicant                 submit their own case; supplement, bring promised materials,
                          withdraw, authorize an agent, see the whole case, rate it — only
                          on a case whose applicant they are
agent                     what the applicant may, except authorizing further agents, on the
                          cases whose applicant (or the lead window) authorized them; submit
                          on an applicant's behalf (帮办代办)
window (lead dept.)       submit on an applicant's behalf, accept or refuse at intake, send
                          the one notice at intake (一次性告知), deliver, authorize a 帮办代办
                          agent, see the whole case
department officer        decide its department's steps, verify their commitments, record
                          their milestones, see what its steps read; claim a step, after
                          which only they (or a supervisor) decide it there
                          (:mod:`onething.cases.assignment`)
supervisor                assign its department's steps to officers and act on a step one
                          of them holds; extend a limit of its own department's step (the lead
                          department's supervisor: the case's limit, unless jointly
                          handled); the lead department's supervisor also sees the case,
                          authorizes agents and erases it after its retention period
government head           extend the case's limit of a jointly handled workflow whose
                          ``handling`` names its government (行政许可法 art. 42(2))
system                    the engine's timers, follow-up cases, erasure after retention
========================  ==================================================================

Applicants and agents are recognised by keyed-hash pseudonyms (:mod:`onething.privacy.pseudonyms`):
histories and event rows carry ``applicant:k1.3f9a…``, never the number. Staff ids are written
as given, and refused if they hold a personal number (a staff id is not an ID number).
"""

from __future__ import annotations

from onething.cases import assignment
from onething.cases.records import Actor, Case, Role
from onething.errors import InvalidArgument, NotAuthorized
from onething.language.model import Workflow
from onething.net.model import Performer, Transition
from onething.privacy.masking import mask_text
from onething.privacy.pseudonyms import Pseudonyms, legacy_pseudonym

#: the prefix schema 1 applicants carry after the upgrade (an unkeyed hash of the id they
#: submitted with; see docs/stores.md)
LEGACY = "legacy."


class People:
    """Writes actors down (pseudonyms for applicants and agents) and recognises them."""

    def __init__(self, pseudonyms: Pseudonyms) -> None:
        self.pseudonyms = pseudonyms
        self._texts: dict[Actor, str] = {}

    def text(self, actor: Actor) -> str:
        """``actor`` as the history records it: ``applicant:k1.3f9a…``,
        ``department:wang@tax``. Refuses a staff id that holds a personal number."""
        known = self._texts.get(actor)
        if known is not None:
            return known
        if actor.role in (Role.APPLICANT, Role.AGENT):
            text = f"{actor.role.value}:{self.pseudonyms.of(actor.id)}"
        else:
            text = str(actor)
            if mask_text(text) != text:
                raise InvalidArgument(
                    f"the {actor.role.value}'s id or department holds a personal number",
                    "identify staff by their staff id, never by an ID or phone number")
        if len(self._texts) >= 4096:
            self._texts.clear()
        self._texts[actor] = text
        return text

    def pseudonym(self, identity: str) -> str:
        """The pseudonym recorded for ``identity`` (an applicant's or an agent's)."""
        return self.pseudonyms.of(identity)

    def is_applicant(self, actor: Actor, case: Case) -> bool:
        """Whether ``actor`` is the applicant of ``case``."""
        if actor.role is not Role.APPLICANT or not case.applicant:
            return False
        if case.applicant.startswith(LEGACY):
            return case.applicant == legacy_pseudonym(actor.id)
        return self.pseudonyms.matches(actor.id, case.applicant)

    def is_agent(self, actor: Actor, case: Case) -> bool:
        """Whether ``actor`` is an agent the case's applicant (or lead window) authorized."""
        return actor.role is Role.AGENT and any(
            agent == legacy_pseudonym(actor.id) if agent.startswith(LEGACY)
            else self.pseudonyms.matches(actor.id, agent) for agent in case.agents)

    def speaks_for_applicant(self, actor: Actor, case: Case) -> bool:
        """The applicant, or an agent they authorized."""
        return self.is_applicant(actor, case) or self.is_agent(actor, case)


def who(actor: Actor) -> str:
    """``actor`` as a message names them: an applicant or agent by role only (their id is
    personal data), staff by their id."""
    if actor.role in (Role.APPLICANT, Role.AGENT):
        return f"an {actor.role.value}"
    return str(actor)


def actor_param(actor: Actor) -> str:
    """``actor`` as a message's parameter: an applicant or agent by role only, staff as
    ``role:id@department``."""
    return actor.role.value if actor.role in (Role.APPLICANT, Role.AGENT) else str(actor)


def authorize_submission(workflow: Workflow, actor: Actor) -> None:
    """The applicant, an agent, the lead window or the engine (follow-ups) submits."""
    if actor.role in (Role.APPLICANT, Role.AGENT, Role.SYSTEM):
        return
    if actor.role is Role.WINDOW and actor.department == workflow.lead:
        return
    raise NotAuthorized(f"only the applicant, their agent or the {workflow.lead} window "
                        f"submits a case of {workflow.id} ({who(actor)} may not)",
                        code="refused.case.not_submitter", subject=workflow.id,
                        params={"lead": workflow.lead, "actor": actor_param(actor)})


def authorize_transition(people: People, workflow: Workflow, transition: Transition,
                         actor: Actor, case: Case) -> None:
    """Whether ``actor`` may fire ``transition`` on ``case``: the step's department, the
    lead window, the case's own applicant or agent, or the engine's timers."""
    performer = transition.actor
    if performer is Performer.DEPARTMENT:
        assert transition.step is not None  # a department acts on one of the steps
        step = workflow.step(transition.step)
        if assignment.stands_in(case, step.id, actor, step.signers):
            return  # a supervisor acts on a step one of their officers holds
        if actor.role is not Role.DEPARTMENT or actor.department not in step.signers:
            deciders = (f"{step.department} decides" if len(step.signers) == 1
                        else f"{', '.join(step.signers)} sign")
            raise NotAuthorized(
                f"only {deciders} on '{step.id}' ({who(actor)} may not)",
                f"act as department:<officer>@{step.signers[0]}",
                code="refused.step.not_department", subject=step.id,
                params={"departments": ", ".join(step.signers), "actor": actor_param(actor)})
        assignment.check_holder(case, step.id, actor)  # claimed: its holder only
    elif performer is Performer.WINDOW:
        if actor.role is not Role.WINDOW or actor.department != workflow.lead:
            raise NotAuthorized(
                f"only the {workflow.lead} window may {transition.action} ({who(actor)} may not)",
                f"act as window:<clerk>@{workflow.lead}", code="refused.case.not_window",
                subject=case.id, params={"lead": workflow.lead, "action": transition.action,
                                         "actor": actor_param(actor)})
    elif performer is Performer.APPLICANT:
        if not people.speaks_for_applicant(actor, case):
            raise NotAuthorized(f"only the case's applicant or an agent they authorized may "
                                f"{transition.action} ({who(actor)} may not)",
                                "the applicant authorizes an agent with authorize_agent",
                                code="refused.case.not_applicant", subject=case.id,
                                params={"action": transition.action,
                                        "actor": actor_param(actor)})
    elif performer is Performer.TIMER and actor.role is not Role.SYSTEM:
        raise NotAuthorized(f"'{transition.action}' is fired by the engine's timers",
                            code="refused.case.timer_only", subject=case.id,
                            params={"action": transition.action})
    elif performer is Performer.CHILDREN and actor.role is not Role.SYSTEM:
        raise NotAuthorized(f"'{transition.step}' is decided by the deliveries of the child "
                            f"cases it opened ({who(actor)} may not {transition.action} it)",
                            "the engine decides it when the children have delivered",
                            code="refused.step.decided_by_children",
                            subject=transition.step or "",
                            params={"action": transition.action, "actor": actor_param(actor)})


def authorize_agent_grant(people: People, workflow: Workflow, actor: Actor,
                          case: Case) -> None:
    """The case's applicant, or the lead department's window or supervisor (帮办代办)."""
    lead = workflow.lead
    if people.is_applicant(actor, case):
        return
    if actor.role in (Role.WINDOW, Role.SUPERVISOR) and actor.department == lead:
        return
    raise NotAuthorized(f"only the case's applicant or the {lead} window may authorize an "
                        f"agent ({who(actor)} may not)", code="refused.case.not_agent_granter",
                        subject=case.id, params={"lead": lead, "actor": actor_param(actor)})


def authorize_rating(people: People, actor: Actor, case: Case) -> None:
    """The case's applicant or their agent rates it (好差评)."""
    if not people.speaks_for_applicant(actor, case):
        raise NotAuthorized(f"only the case's applicant rates it ({who(actor)} may not)",
                            code="refused.case.not_rater", subject=case.id,
                            params={"actor": actor_param(actor)})


def authorize_extension(workflow: Workflow, step: str | None, actor: Actor) -> None:
    """A supervisor of the step's own department (the lead department for the case's own
    limit) approves an extension (行政许可法 art. 42(1): 本行政机关负责人); under joint
    handling the case's own limit is extended by the head of the government at that level
    (art. 42(2): 本级人民政府负责人)."""
    handling = workflow.handling
    if step is None and handling.joint:
        if actor.role is not Role.GOVERNMENT_HEAD or actor.department != handling.government:
            raise NotAuthorized(
                f"the case of a jointly handled workflow is extended by the head of the "
                f"government {handling.government} (行政许可法 art. 42(2); {who(actor)} may not)",
                f"act as government_head:<name>@{handling.government}",
                code="refused.case.not_government_head",
                params={"government": handling.government, "actor": actor_param(actor)})
        return
    department = workflow.step(step).department if step else workflow.lead
    if actor.role is not Role.SUPERVISOR or actor.department != department:
        raise NotAuthorized(
            f"an extension of {'step ' + repr(step) if step else 'the case limit'} needs a "
            f"supervisor of {department} ({who(actor)} may not)",
            f"act as supervisor:<name>@{department}",
            code="refused.step.not_supervisor" if step else "refused.case.not_supervisor",
            subject=step or "", params={"department": department, "actor": actor_param(actor)})


def authorize_step_department(workflow: Workflow, step: str, actor: Actor, what: str,
                              case: Case | None = None) -> None:
    """An officer of ``step``'s department (verifying a commitment, recording a milestone);
    with ``case``, while an officer holds the step there, that officer or a supervisor."""
    department = workflow.step(step).department
    if case is not None and assignment.stands_in(case, step, actor, (department,)):
        return
    if actor.role is not Role.DEPARTMENT or actor.department != department:
        raise NotAuthorized(f"only {department} {what} of '{step}' ({who(actor)} may not)",
                            f"act as department:<officer>@{department}",
                            code="refused.step.not_step_department", subject=step,
                            params={"department": department, "actor": actor_param(actor)})
    if case is not None:
        assignment.check_holder(case, step, actor)


def visible_names(people: People, workflow: Workflow, actor: Actor, case: Case) -> frozenset[str]:
    """The form fields and materials ``actor`` may see (一次采集, no over-sharing): a
    department what its steps read; the applicant, their agents, the lead window and the
    lead department's supervisors everything."""
    if actor.role is Role.DEPARTMENT:
        return frozenset(n for s in workflow.iter_steps() if actor.department in s.signers
                         for n in s.reads)
    if people.speaks_for_applicant(actor, case) or (
            actor.role in (Role.WINDOW, Role.SUPERVISOR) and actor.department == workflow.lead):
        return frozenset(workflow.form.names)
    raise NotAuthorized(f"{who(actor)} may not see case {case.id}",
                        code="refused.case.not_visible", subject=case.id,
                        params={"actor": actor_param(actor)})


#: who may erase: the engine's own retention job, or a supervisor (a data protection officer)
ERASERS = frozenset({Role.SYSTEM, Role.SUPERVISOR})


def authorize_erasure(actor: Actor, workflow: Workflow | None = None) -> None:
    """The system's retention job or a supervisor of the case's lead department erases
    personal data (without ``workflow``: the role alone, checked before anything is read)."""
    if actor.role not in ERASERS or (
            workflow is not None and actor.role is Role.SUPERVISOR
            and actor.department != workflow.lead):
        lead = workflow.lead if workflow is not None else "<the lead department>"
        raise NotAuthorized(f"only the system or a supervisor of {lead} erases this case's "
                            f"personal data ({who(actor)} may not)",
                            f"act as system:<job> or supervisor:<name>@{lead}",
                            code="refused.case.not_eraser",
                            params={"lead": lead, "actor": actor_param(actor)})
