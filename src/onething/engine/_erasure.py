"""Erasing a case's personal data after its retention period (PIPL art. 19 and 47).

个人信息保护法 art. 19: personal information is kept no longer than its purpose needs, unless a
law or administrative regulation says otherwise; art. 47: when the retention period has
expired the handler deletes it. A delivered case serves its purpose until the period in which
the decision may be reviewed or archived ends; then :func:`erase_case` removes its personal
data and keeps the audit skeleton:

* **erased**: every form value (the field names stay, each value becomes ``None``) and every
  material's reference (the material names and their SHA-256 hashes stay);
* **unlinked**: the case forgets its applicant and their agents (their pseudonyms, see
  :mod:`onething.privacy.pseudonyms`), and every event row that named them says ``erased`` instead;
* **kept**: the case id, workflow, version and content hash, position, outcomes (who decided
  what, and why), clocks, the whole history (event names, times, staff actors and the data,
  which never holds a form value), the delivery (kind, time, method, items, and its notice,
  which never holds one either) and the outbox rows.

The retention period is counted from the delivery. It is a parameter (the workflow language
has no key for it): :data:`DEFAULT_RETENTION` is 10 years, the shorter of the two fixed
retention periods of 国家档案局令第8号《机关文件材料归档范围和文书档案保管期限规定》art. 6
(permanent, or fixed at 30 or 10 years). Set it to what the records office's retention
schedule (保管期限表) says for the bundle.

Erasure is recorded as an ``erased`` event; erasing an erased case again changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from onething.cases import rules
from onething.cases.records import Actor, Case
from onething.cases.retention import DEFAULT_RETENTION, Retention
from onething.engine import _unit
from onething.engine._unit import Change, advance, request_key
from onething.errors import ActionRefused, ErasureRefused
from onething.privacy.masking import personal_logger
from onething.workdays.clock import SHANGHAI

if TYPE_CHECKING:
    from onething.engine._context import EngineContext
    from onething.engine._deployments import Deployed

log = personal_logger("onething.erasure")

#: who may erase (see :mod:`onething.cases.rules`)
ERASERS = rules.ERASERS


def erase_case(engine: EngineContext, case_id: str, actor: Actor, *,
               retention: str | Retention | timedelta = DEFAULT_RETENTION,
               now: datetime | None = None, idempotency_key: str | None = None) -> Case:
    """Erase the personal data of delivered case ``case_id`` once ``retention`` has passed
    since its delivery; keep the audit skeleton (see the module docstring).

    Refused (:class:`ErasureRefused`) for a case without a delivery or still within its
    retention period, and (:class:`~onething.errors.NotAuthorized`) for an actor who
    is neither the system nor a supervisor (recorded in the case's history). Returns the
    erased case; a case erased already is returned as it is.
    """
    from onething.engine._time import aware

    period = Retention.parse(retention)
    moment = (aware(now) or engine.clock.now()).astimezone(SHANGHAI)
    who = engine.people.text(actor)
    key = request_key(idempotency_key, "erase", case_id, who, str(period))
    try:
        rules.authorize_erasure(actor)  # by role alone: before anything is read
    except ActionRefused as refused:
        _unit.record_refusal(engine, case_id, "erase", None, who, refused, moment)
        raise
    delivery = engine.store.delivery(case_id)  # written once, never changed: safe to read first
    forget: list[str] = []

    def change(case: Case, deployed: Deployed, at: datetime) -> Change | None:
        rules.authorize_erasure(actor, deployed.workflow)
        forget[:] = [case.applicant, *case.agents]
        if case.erased:
            return None
        if not case.ended or delivery is None:
            raise ErasureRefused(
                f"case {case.id} has no delivery yet; its personal data is still in use",
                "a case is erased only after its one delivery and its retention period",
                code="refused.case.not_delivered", subject=case.id)
        until = period.after(delivery.at)
        if moment < until:
            raise ErasureRefused(
                f"case {case.id} is within its retention period of {period} after its "
                f"delivery on {delivery.at:%Y-%m-%d}: kept until {until:%Y-%m-%d}",
                "erase it after that date, or pass a shorter retention if the records "
                "office's schedule allows one", code="refused.case.retention_running",
                subject=case.id, params={"period": str(period), "until": f"{until:%Y-%m-%d}"})
        fields = sorted(k for k, v in case.form.items() if v is not None)
        materials = sorted(case.materials)
        data: dict[str, Any] = {"fields": fields, "materials": materials,
                                "retention": str(period),
                                "delivered_at": delivery.at.isoformat()}
        erased = case.without_personal_data()
        return advance(case, at, ("erased", who, None, data), form=erased.form,
                       materials=erased.materials, applicant="", agents=(), erased=True)

    try:
        with engine.batch():  # the case, its requests' snapshots and its event rows together
            result = _unit.run(engine, case_id, change, key=key, now=moment, action="erase")
            engine.store.erase_personal(case_id, forget)
    except ActionRefused as refused:  # recorded after the batch, which wrote nothing
        _unit.record_refusal(engine, case_id, "erase", None, who, refused, moment)
        raise
    if result is None:
        return engine.store.load(case_id)
    log.info("case %s: personal data erased (%s after its delivery)", case_id, period)
    return result
