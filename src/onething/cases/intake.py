"""Intake (行政许可法 art. 32): the window's one notice of every missing or deficient item
(一次性告知), the applicant's answer, and the legal content of the written certificates.

The case net says what may happen at intake (``request_intake_correction`` once, from the
intake place only; ``supplement_intake``; then accept or refuse); this module keeps the notice
on the case record (``case.intake``: when it was issued, the items it names, when it was
answered) and writes what each certificate must say — 受理通知书, 不予受理决定书, the notice
itself — as event data: dates, the organ, the limits that now run, reasons and remedies. The
documents are rendered from that data elsewhere; nothing here is a template
(docs/decisions/0018-one-shot-notice-at-intake.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from onething.cases import clocks as clk
from onething.cases.clock_record import ClockRecord
from onething.cases.forms import check_submission
from onething.cases.notices import REMEDY_TERMS
from onething.cases.records import Case
from onething.errors import ActionRefused, SubmissionRejected
from onething.language import conditions as exprs
from onething.language.model import Workflow
from onething.privacy.masking import clip, mask_text
from onething.workdays import SHANGHAI, Due, WorkCalendar

#: the places of the case net where the one notice is out, and where it has been answered
ASKED, ANSWERED = "intake:correction", "intake:corrected"
#: the written certificates (art. 32 last paragraph: sealed and dated) and the notice
NOTICE = "补正材料通知书（一次性告知）"
ACCEPTANCE = "受理通知书"
REFUSAL = "不予受理决定书"


def received(case: Case) -> dt.datetime:
    """When the materials intake answers for were received: the submission, or the answer
    to the one notice (the window's five days count again from it, art. 32)."""
    answered = case.intake.get("answered_at")
    if answered:
        return dt.datetime.fromisoformat(answered)
    assert case.created_at is not None  # every case is made with its submission time
    return case.created_at


def deemed_at(case: Case, policy: clk.ClockPolicy, calendar: WorkCalendar) -> Due | None:
    """When the application counts as accepted if the window does not answer (art. 32):
    ``intake_notice_within`` after :func:`received`; None while the notice is out (the
    applicant's turn stops the window's limit), after intake, or when the workflow declares
    no such limit."""
    marking = case.marking
    if policy.intake_notice_within is None or case.created_at is None \
            or ("intake" not in marking and ANSWERED not in marking):
        return None
    return calendar.add(received(case), policy.intake_notice_within,
                        count_from=policy.count_from)


def answer_by(case: Case, policy: clk.ClockPolicy, calendar: WorkCalendar) -> Due | None:
    """When the answer to the one notice is due (``answer_intake_correction_within`` after
    the notice); None without a notice or without a limit."""
    notice_at = case.intake.get("notice_at")
    if notice_at is None or policy.answer_intake_within is None:
        return None
    return calendar.add(dt.datetime.fromisoformat(notice_at), policy.answer_intake_within,
                        count_from=policy.count_from)


def lapsed(case: Case, policy: clk.ClockPolicy, calendar: WorkCalendar,
           now: dt.datetime) -> bool:
    """Whether the window's time to answer (art. 32's five days) has passed: the application
    then counts as accepted from :func:`received`, and can no longer be refused at intake
    nor answered with a notice."""
    due = deemed_at(case, policy, calendar.lenient())  # the law's date, even when strict
    return due is not None and now >= due.deadline


def check(workflow: Workflow, case: Case, action: str | None, payload: Mapping[str, Any],
          lapsed_now: Callable[[], bool]) -> None:
    """Refuse what art. 32 does not allow at intake before the net is asked: a refusal or a
    notice after the window's time (``lapsed_now()``, asked only of these), a second notice,
    a notice that lists nothing or names what the form does not have."""
    if action not in ("refuse_intake", "request_intake_correction"):
        return
    if action == "request_intake_correction" and (case.intake or ANSWERED in case.marking):
        raise ActionRefused(
            "the one notice at intake was issued already: it had to list every missing or "
            "deficient item at once (一次性告知, 行政许可法 art. 32)",
            "accept the case, or refuse it with its reasons (不予受理)",
            code="refused.case.notice_issued", subject=case.id)
    if lapsed_now():
        what = "refused at intake" if action == "refuse_intake" else "sent a notice of " \
            "missing items"
        raise ActionRefused("the time to answer the application has passed, so it counts as "
                            "accepted from its receipt (行政许可法 art. 32) and can no longer "
                            f"be {what}", "accept it; a department may refuse the item, with "
                            "its reasons, or ask for a correction of its step",
                            code="refused.case.intake_lapsed", subject=case.id,
                            params={"action": action})
    if action == "request_intake_correction":
        items(workflow, payload.get("items"))


def _few(names: list[str], shown: int = 10) -> str:
    """At most ``shown`` names, and how many more: a refusal stays short whatever it met."""
    more = f" and {len(names) - shown:,} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def items(workflow: Workflow, given: object) -> list[dict[str, str]]:
    """The notice's items, in the form's order: each named material or field with its label
    and the reason given for it (masked free text)."""
    if not isinstance(given, Mapping) or not given:
        raise ActionRefused("a notice at intake lists every missing or deficient item",
                            "name the materials and fields to correct, each with what is "
                            "wrong, e.g. items={'premises_layout': '缺少平面图'}",
                            code="refused.case.notice_empty")
    form = workflow.form
    if len(given) > len(form.names):
        raise ActionRefused(f"a notice names each item of the form once: {len(given):,} items "
                            f"for a form of {len(form.names)}", "name each item once",
                            code="refused.case.notice_too_long",
                            params={"count": len(given), "size": len(form.names)})
    unknown = sorted(clip(n, 40) for n in given if n not in form.names)
    if unknown:
        raise ActionRefused(f"{_few(unknown)} is not a field or material of {workflow.id}",
                            "name them as the form does: " + ", ".join(sorted(form.names)),
                            code="refused.case.notice_unknown",
                            params={"names": _few(unknown), "workflow": workflow.id})
    out = []
    for kind, entries in (("material", form.materials), ("field", form.fields)):
        for entry in entries:
            if entry.name in given:
                out.append({"item": entry.name, "kind": kind, "label": entry.label or entry.name,
                            "reason": mask_text(str(given[entry.name] or ""))})
    return out


def answer(workflow: Workflow, case: Case, new: Case, payload: Mapping[str, Any],
           now: dt.datetime, data: dict[str, Any]) -> None:
    """The applicant's one answer to the notice: what it named, checked as at submission;
    ``new`` takes the corrected form and materials and the answer's moment."""
    fields = dict(payload.get("fields") or {})
    brought = {k: v for k, v in (payload.get("materials") or {}).items() if v}
    named = [entry["item"] for entry in case.intake.get("items", ())]
    # a material a named field makes required (required_if) may come with the answer: the
    # window could not name what the corrected form would ask for (review finding)
    follows = {m.name for m in workflow.form.materials if m.required_if is not None
               and exprs.fields(m.required_if.expr) & set(named)}
    outside = sorted(clip(n, 40) for n in {*fields, *brought}
                     if n not in named and n not in follows)
    if outside:
        raise ActionRefused("the answer to the notice at intake brings what it named",
                            f"'{_few(outside)}' is not in the notice; it names: "
                            + ", ".join(named), code="refused.case.answer_outside",
                            subject=case.id,
                            params={"names": _few(outside), "named": ", ".join(named)})
    if not fields and not brought:
        raise ActionRefused("the answer brings something the notice named",
                            "the notice names: " + ", ".join(named),
                            code="refused.case.answer_empty", subject=case.id,
                            params={"named": ", ".join(named)})
    clean, problems = check_submission(workflow.form, {**case.form, **fields},
                                       {**case.materials, **brought})
    if clean is None:
        raise SubmissionRejected(problems)
    new.form, new.materials, new.promised = clean.form, clean.materials, clean.promised
    new.intake = {**case.intake, "answered_at": now.isoformat()}
    green = workflow.green_channel
    if green is not None:  # decided on the form: on the corrected form now
        new.priority = int(bool(exprs.evaluate(green.when.expr, clean.form)))
        data["green_channel"] = bool(new.priority)
    data["fields"], data["materials"] = sorted(fields), sorted(brought)
    missing = [n for n in named if n not in fields and n not in brought]
    if missing:
        data["not_brought"] = missing  # the window decides: accept, or refuse with reasons


def certify(workflow: Workflow, case: Case, new: Case, action: str | None,
            payload: Mapping[str, Any], policy: clk.ClockPolicy, calendar: WorkCalendar,
            now: dt.datetime, data: dict[str, Any]) -> None:
    """The written certificate of an intake decision, or the notice, as the event's data
    (``receipt`` / ``notice``); any other action records nothing here."""
    if action == "request_intake_correction":
        data["notice"] = notice(workflow, case, new, payload, policy, calendar, now)
    elif action in ("accept", "deemed_acceptance"):
        as_of = dt.datetime.fromisoformat(data.get("accepted_as_of") or now.isoformat())
        data["receipt"] = acceptance(workflow, case, new, action != "accept", as_of, policy,
                                     calendar, now)
    elif action == "refuse_intake":
        data["receipt"] = refusal(workflow, case, payload, now)


def notice(workflow: Workflow, case: Case, new: Case, payload: Mapping[str, Any],
           policy: clk.ClockPolicy, calendar: WorkCalendar, now: dt.datetime) -> dict[str, Any]:
    """The one notice, issued now: kept on ``new`` and returned as its content (the items,
    the answer-by date, and that the window's own limit stops meanwhile)."""
    listed = items(workflow, payload.get("items"))
    new.intake = {"notice_at": now.isoformat(), "items": listed}
    due = answer_by(new, policy, calendar.lenient())
    content: dict[str, Any] = {
        "document": NOTICE, "organ": workflow.lead, "received_on": _day(received(case)),
        "issued_on": _day(now), "items": listed,
        "intake_limit": "stopped until the answer: the window's time counts again from it",
        "unanswered": "the application is deemed abandoned: the case ends by termination",
    }
    if due is not None:
        content["answer_within"] = str(policy.answer_intake_within)
        content["answer_by"] = due.deadline.isoformat()
        _provisional(content, due)
    if payload.get("reason"):
        content["reason"] = mask_text(str(payload["reason"]))
    return content


def acceptance(workflow: Workflow, case: Case, new: Case, deemed: bool, as_of: dt.datetime,
               policy: clk.ClockPolicy, calendar: WorkCalendar,
               now: dt.datetime) -> dict[str, Any]:
    """What the 受理通知书 says: received, accepted (in fact, and as of), by whom, deemed
    or not, and the case's limits with their due dates; promised (容缺) materials."""
    content: dict[str, Any] = {
        "document": ACCEPTANCE, "organ": workflow.lead, "received_on": _day(case.created_at),
        "accepted_on": _day(now), "accepted_as_of": _day(as_of), "deemed": deemed,
    }
    if case.intake.get("answered_at"):
        content["corrected_on"] = _day(received(case))
    clock = new.clocks.get(clk.CASE) or ClockRecord()
    limits: dict[str, Any] = {}
    for which in ("committed", "statutory"):
        # the certificate states the dates the law gives, on a year without a notice too
        due = clk.deadline(calendar.lenient(), clock, which, now, policy) if clock else None
        if due is not None:
            limits[which] = str(clk.limit(clock, which))
            limits[f"{which}_due"] = due.deadline.isoformat()
            _provisional(limits, due)
    if limits:
        content["limits"] = limits
    if new.promised:
        content["promised"] = list(new.promised)
    return content


def _provisional(content: dict[str, Any], due: Due | clk.Deadline) -> None:
    """Mark a certificate's date that rests on a year without a State Council notice."""
    if due.provisional:
        content["provisional"] = True
        content["reasons"] = sorted({*content.get("reasons", ()), *due.reasons})


def refusal(workflow: Workflow, case: Case, payload: Mapping[str, Any],
            now: dt.datetime) -> dict[str, Any]:
    """What the 不予受理决定书 says: received, decided, the reasons, where to apply instead
    when it is not this organ's matter (art. 32 (二)), and the remedies with their terms."""
    content: dict[str, Any] = {
        "document": REFUSAL, "organ": workflow.lead, "received_on": _day(case.created_at),
        "decided_on": _day(now), "reasons": mask_text(str(payload.get("reason") or "")),
        "remedies": dict(REMEDY_TERMS),
    }
    if case.intake.get("answered_at"):
        content["corrected_on"] = _day(received(case))
    if payload.get("refer_to"):
        content["apply_to"] = mask_text(str(payload["refer_to"]))
    return content


def _day(moment: dt.datetime | None) -> str:
    """A certificate's date: the moment in Shanghai time (art. 32: 注明日期)."""
    assert moment is not None  # every case is made with its submission time
    return moment.astimezone(SHANGHAI).isoformat()
