"""Commands that run cases: the demo, and (against a database) the case commands."""


from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from onething.cli._shared import (
    actor_of,
    db_option,
    engine_on,
    format_option,
    json_out,
    materials_of,
    pairs,
    print_timeline,
)
from onething.cli.common import EXIT_INVALID, cli, escape, lang, moment, out, read_json
from onething.errors import SubmissionRejected

if TYPE_CHECKING:
    from onething.cases.summary import CaseSummary, Taker


@cli.command()
@click.argument("workflow_id")
@click.option("--form", "form_file", required=True,
              help="a JSON file of field values (- reads stdin)")
@click.option("--materials", "materials_file",
              help='a JSON file of materials: name to "reference" or to '
                   '{"ref": reference, "sha256": the SHA-256 of the document, "licence": '
                   'an electronic licence identifier}')
@click.option("--as", "actor", default="applicant:applicant", show_default=True,
              help="who submits: the applicant as the host identified them, or "
                   "window:<clerk>@<dept> / agent:<id> with --applicant")
@click.option("--applicant", help="the applicant's identity (ID number, 统一社会信用代码 or "
              "the sign-on's subject id) when a window or agent submits for them")
@click.option("--version", type=click.IntRange(1, 2 ** 31 - 1),
              help="a deployed version (default: the latest)")
@click.option("--key", help="an idempotency key: a retry with it returns the first case")
@db_option
@format_option
def submit(workflow_id: str, form_file: str, materials_file: str | None, actor: str,
           applicant: str | None, version: int | None, key: str | None, db: str,
           fmt: str) -> None:
    """Submit one form: every problem is reported at once, or a case is opened."""
    form = read_json(form_file, "--form")
    materials = read_json(materials_file, "--materials") if materials_file else {}
    with engine_on(db) as engine:
        try:
            case = engine.submit(workflow_id, form, materials, actor=actor_of(actor),
                                 applicant=applicant, version=version, idempotency_key=key)
        except SubmissionRejected as exc:
            if fmt == "json":
                json_out({"accepted": False, "problems": [p.to_json()
                                                           for p in exc.problems]})
            else:
                out.print(f"[red]{escape(exc.text(lang()))}[/red]")
            sys.exit(EXIT_INVALID)
    if fmt == "json":
        json_out({"accepted": True, "case": case.id})
    else:
        out.print(f"case {case.id} submitted; it awaits the window's intake")



@cli.command()
@click.argument("case_id")
@click.argument("action", metavar="ACTION")
@click.argument("step", required=False)
@click.option("--as", "actor", required=True,
              help="ROLE:ID[@DEPARTMENT], e.g. department:wang@tax")
@click.option("--reason", default="", help="why (shown on notices)")
@click.option("--method", help="for deliver: window, mail or electronic")
@click.option("--field", "fields", multiple=True, help="for supplement: name=value")
@click.option("--material", "materials", multiple=True,
              help="for supplement: name=reference, or name=reference#sha256=<64 hex digits>")
@click.option("--licence", "licences", multiple=True,
              help="for supplement: name=<electronic licence (电子证照) identifier, GB/T 36904>, "
              "alone or with --material for the same name")
@click.option("--kind", help="for start_special_procedure: hearing, tender, auction, "
              "inspection, testing, quarantine, appraisal or expert_review (行政许可法 art. 45)")
@click.option("--expected", help="for start_special_procedure: the time it needs, e.g. "
              "'20 WD' (the applicant is told it in writing)")
@click.option("--to", "to", help="for send_back: the step of the block before that is done "
              "again (退回重审)")
@click.option("--set", "sets", multiple=True, help="for a step that sets fields: name=value")
@click.option("--item", type=click.IntRange(min=1), help="for approve or refuse of a step done "
              "item by item (foreach): the item's number, from 1")
@click.option("--missing", multiple=True, help="for request_intake_correction (一次性告知): "
              "a missing or deficient material or field, as name or name=what is wrong; "
              "repeat it for every item (the one notice lists them all)")
@click.option("--refer-to", "refer_to", help="for refuse_intake: the organ to apply to when the "
              "matter is not this one's (行政许可法 art. 32 (二))")
@click.option("--key", help="an idempotency key: a retry with it changes nothing")
@db_option
@format_option
def act(case_id: str, action: str, step: str | None, actor: str, reason: str,
        method: str | None, fields: tuple[str, ...], materials: tuple[str, ...],
        licences: tuple[str, ...], kind: str | None, expected: str | None, to: str | None,
        sets: tuple[str, ...],
        item: int | None, missing: tuple[str, ...], refer_to: str | None, key: str | None,
        db: str, fmt: str) -> None:
    """Do ACTION on case CASE_ID (STEP for department actions and corrections).

    ACTION is one of accept, refuse_intake, request_intake_correction, approve,
    approve_on_commitment, refuse, request_correction, send_back, start_special_procedure,
    end_special_procedure, supplement (without STEP: the answer to the notice at intake),
    withdraw, deliver, or an outcome the step names (``outcomes:``)."""
    who = actor_of(actor)
    if item is not None and action not in ("approve", "refuse"):
        raise click.UsageError("--item goes with approve or refuse of a step done item by item "
                               "(foreach)")
    if missing and action != "request_intake_correction":
        raise click.UsageError("--missing goes with request_intake_correction")
    if sets and action in ("accept", "refuse_intake", "request_intake_correction", "withdraw",
                           "deliver", "supplement", "send_back", "request_correction",
                           "start_special_procedure", "end_special_procedure", "refuse"):
        raise click.UsageError("--set goes with a decision that goes on past a step that sets "
                               "fields: approve, approve_on_commitment or one of its outcomes")
    with engine_on(db) as engine:
        if action == "accept":
            case = engine.accept(case_id, who, idempotency_key=key)
        elif action == "refuse_intake":
            case = engine.refuse_intake(case_id, who, reason, refer_to=refer_to,
                                        idempotency_key=key)
        elif action == "request_intake_correction":
            items = [(m.partition("=")[0].strip(), m.partition("=")[2].strip())
                     for m in missing]
            if len({name for name, _ in items}) < len(items):
                raise click.UsageError("--missing names an item twice: say everything wrong "
                                       "with an item in its one --missing")
            case = engine.request_intake_correction(case_id, who, dict(items), reason=reason,
                                                    idempotency_key=key)
        elif action == "withdraw":
            case = engine.withdraw(case_id, who, reason, idempotency_key=key)
        elif action == "deliver":
            case = engine.deliver(case_id, who, method, idempotency_key=key)
        elif action == "supplement":
            case = engine.supplement(case_id, who, step=step, fields=pairs(fields, "--field"),
                                     materials=materials_of(materials, licences),
                                     idempotency_key=key)
        else:
            if not step:
                raise click.UsageError(f"'{action}' needs the STEP it decides on")
            if action == "send_back" and to:
                case = engine.send_back(case_id, step, who, to=to, reason=reason,
                                        idempotency_key=key)
            elif action == "start_special_procedure" and kind and expected:
                case = engine.start_special_procedure(case_id, step, who, kind=kind,
                                                      expected=expected, reason=reason,
                                                      idempotency_key=key)
            else:
                case = engine.act(case_id, step, action, who, reason,
                                  fields=pairs(sets, "--set") if sets else None,
                                  item=item, idempotency_key=key)
        delivery = engine.delivery(case_id)
    if fmt == "json":
        json_out({"case": case.id, "version": case.version, "ended": case.ended,
                   "delivery": delivery.kind if delivery else None})
    else:
        line = f"{action} done; case {case.id} is at version {case.version}"
        if delivery is not None:
            line += f"; delivered: {delivery.kind}"
        out.print(line)


@cli.command()
@click.argument("case_id")
@click.argument("step")
@click.option("--ok/--failed", "ok", required=True,
              help="the verification confirms the commitment, or finds it false")
@click.option("--as", "actor", required=True, help="the step's department, e.g. "
              "department:li@market_regulation")
@click.option("--reason", default="", help="what was found (required with --failed)")
@click.option("--key", help="an idempotency key: a retry with it changes nothing")
@db_option
@format_option
def verify(case_id: str, step: str, ok: bool, actor: str, reason: str, key: str | None,
           db: str, fmt: str) -> None:
    """Verify the commitment (告知承诺) STEP of case CASE_ID was approved on.

    --failed revokes the approval: before the delivery the case ends with the item's
    refusal; after it, a linked revocation case is opened.
    """
    with engine_on(db) as engine:
        case = engine.verify_commitment(case_id, step, ok, actor_of(actor), reason,
                                        idempotency_key=key)
        delivery = engine.delivery(case_id)
    follow_up = case.id if case.id != case_id else None
    if fmt == "json":
        json_out({"case": case_id, "confirmed": ok, "follow_up": follow_up,
                   "delivery": delivery.kind if delivery else None})
        return
    if ok:
        out.print(f"commitment of {step} confirmed on case {case_id}")
    elif follow_up:
        out.print(f"commitment of {step} revoked; revocation case {follow_up} opened "
                  f"(case {case_id} stays delivered)")
    else:
        out.print(f"commitment of {step} revoked; case {case_id} ended with a refusal")


@cli.command()
@click.argument("case_id")
@click.option("--now", help="the moment to show the case at, with its zone "
              "(2026-10-08T09:00+08:00; default: now)")
@db_option
@format_option
def status(case_id: str, now: str | None, db: str, fmt: str) -> None:
    """Where case CASE_ID stands (Engine.summary): the steps it waits on with their
    departments and claiming officers, promised materials, the pending correction,
    commitments, clocks, and what can be done now by whom — in Chinese, without a form value
    (``view`` shows the form to those who may see it)."""
    with engine_on(db) as engine:
        summary = engine.summary(case_id, now=moment(now, "--now"))
    if fmt == "json":
        json_out(summary.to_json())
        return
    for line in summary_lines(summary):
        out.print(escape(line))


@cli.command()
@click.argument("case_id")
@click.option("--as", "actor", required=True, help="who looks: a department sees what its "
              "steps read; the applicant, their agent, the lead window and its supervisors "
              "everything (e.g. window:li@market_regulation)")
@db_option
@format_option
def view(case_id: str, actor: str, db: str, fmt: str) -> None:
    """What --as may see of case CASE_ID's form and materials (Engine.view; a refusal is
    recorded): values typed by their fields, personal values masked."""
    from onething.cases.forms import view_json, view_specs

    with engine_on(db) as engine:
        seen = engine.view(case_id, actor_of(actor))
        case = engine.case(case_id)
        workflow = engine.deployed(case.workflow_id, case.workflow_version).workflow
    typed = view_json(case_id, workflow, seen)
    if fmt == "json":
        json_out(typed)
        return
    fields = typed["fields"]
    labels = {f.name: f.label for f in view_specs(workflow)}
    out.print(f"办件 {case_id}：{escape(workflow.title)}")
    for name, value in fields.items():
        out.print(escape(f"  {_named(labels.get(name) or name, name)}：{value}"))
    for material in workflow.form.materials:
        stored = seen["materials"].get(material.name)
        if stored is not None:
            shown = [f"电子证照 {stored['licence']}" if stored.get("licence") else "",
                     f"sha256 {stored['sha256']}" if stored.get("sha256") else ""]
            out.print(escape(f"  {_named(material.label or material.name, material.name)}："
                             + ("，".join(x for x in shown if x) or "已提交")))


@cli.command()
@click.argument("case_id")
@db_option
@format_option
def history(case_id: str, db: str, fmt: str) -> None:
    """Every event of case CASE_ID, in order."""
    with engine_on(db) as engine:
        events = engine.history(case_id)
    if fmt == "json":
        json_out([e.to_json() for e in events])
    else:
        print_timeline(events)


def summary_lines(summary: CaseSummary) -> list[str]:
    """The summary as lines of Chinese text (ids in brackets, for typing commands)."""
    lines = [f"办件 {summary.case_id}：{summary.title}",
             f"  事项：{summary.workflow_id} 第 {summary.version} 版"
             + ("；绿色通道" if summary.green_channel else ""),
             f"  状态：{summary.status_title}；牵头部门：{summary.lead_title}"]
    delivery = summary.delivery
    if delivery is not None:
        lines.append(f"  出件：{delivery.title}，{delivery.method_title or '-'}，"
                     f"{_when(delivery.at)}" + ("：" + "、".join(delivery.items)
                                              if delivery.items else ""))
    if summary.parent_step:
        lines.append(f"  子流程：由办件 {summary.origin} 的步骤 {summary.parent_step} 开启")
    elif summary.origin:
        lines.append(f"  跟进：源自办件 {summary.origin}")
    if summary.follow_ups:
        lines.append("  后续办件：" + "、".join(summary.follow_ups))
    if summary.waiting:
        lines.append("  办理中：")
    for step in summary.waiting:
        lines.append(f"    {_named(step.title, step.step)}，{step.position_title}："
                     + "、".join(d.title + (f"（经办人 {d.officer}）" if d.officer else "")
                                + {"approve": "，已同意", "refuse": "，不同意"}.get(
                                    d.vote or "", "") for d in step.departments))
        if step.round is not None:
            lines.append(f"      {step.round.kind_title}：已同意 {step.round.approvals}、"
                         f"不同意 {step.round.refusals}，"
                         f"共 {step.round.seats}，需 {step.round.need} 项同意"
                         + ("；尚未办理：" + "、".join(step.round.open)
                            if step.round.open else ""))
    lines.extend(f"  已办结步骤：{_named(d.title, d.step)}，{d.department_title}：{d.outcome_title}"
                 for d in summary.decided)
    lines.extend(f"  子流程：{c.case_id}（{_named(c.step_title, c.step)}），"
                 f"{c.delivery_title or c.delivery or '办理中'}" for c in summary.children)
    if not summary.waiting and summary.status in ("submitted", "under_intake"):
        lines.append("  等待：窗口受理" if not summary.corrections else "  等待：申请人补正")
    for material in summary.promised:
        lines.append(f"  容缺材料：{_named(material.title, material.material)}，"
                     f"{_limit_zh(material.within)}内"
                     + (f"补交，截止 {_when(material.due, material.provisional)}"
                        if material.due else "补交，自受理起算"))
    for asked in summary.corrections:
        lines.append(f"  待补正：{_named(asked.title, asked.step)}"
                     + f"，{asked.department_title}"
                     + (f" {_when(asked.asked_at)} 提出" if asked.asked_at else "")
                     + (f"：{asked.text}" if asked.text else ""))
        lines.extend(f"      {_named(i.title, i.item)}" + (f"：{i.reason}" if i.reason else "")
                     for i in asked.items)
        lines.append(f"      答复期限：{_when(asked.answer_by, asked.provisional)}"
                     if asked.notice_out else "      待同一并联环节各部门办理完毕后一并告知")
    for commitment in summary.commitments:
        lines.append(f"  告知承诺：{_named(commitment.title, commitment.step)}，"
                     f"{commitment.department_title}：{commitment.state_title}"
                     + (f"，核查期限 {_when(commitment.verify_by)}"
                        if commitment.verify_by and commitment.state == "pending" else ""))
    lines.extend(f"  退回重审：{_named(sent.title, sent.step)} 退回 "
                 f"{_named(sent.to_title or sent.to or '', sent.to)}，等待重新办理"
                 for sent in summary.sent_back)
    lines.append("  现在可办：" + ("" if summary.actions else "无"))
    for action in summary.actions:
        code = " ".join(x for x in (action.action, action.step) if x)
        target = f" → {'、'.join(action.to)}" if action.to else ""
        lines.append(f"    {action.title}" + (f" {action.step_title}" if action.step_title
                                                else "") + f" [{code}]{target}："
                     + "、".join(_taker(t) for t in action.who))
    if summary.clocks:
        lines.append("  时限：")
    for clock in summary.clocks:
        lines.append(f"    {_named(clock.title, clock.clock)}：{clock.state_title}"
                     + (f"（{clock.paused_reason}）" if clock.paused_reason else "")
                     + f"，{clock.status_title}"
                     + (f"，承诺 {_when(clock.committed_due, clock.provisional)}"
                        if clock.committed_due else "")
                     + (f"，法定 {_when(clock.statutory_due, clock.provisional)}"
                        if clock.statutory_due else "")
                     + (f"，已延长{_limit_zh(clock.extension)}" if clock.extension else ""))
    return lines


def _named(title: str, code: str | None) -> str:
    """A title with the id people type beside it (once, when the title is the id)."""
    return title if code is None or title == code else f"{title}（{code}）"


def _taker(taker: Taker) -> str:
    """Who may act, as people say it: 城管局部门经办人（sun）, 申请人."""
    role = "负责人" if taker.role == "government_head" else taker.title
    return (taker.department_title or "") + role + (f"（{taker.officer}）" if taker.officer
                                                     else "")


def _when(at: datetime | None, provisional: bool = False) -> str:
    """A time as people read it: Shanghai time, marked when it rests on a provisional
    calendar year."""
    if at is None:
        return "-"
    from onething.workdays import SHANGHAI

    return f"{at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" + ("（暂定）" if provisional else "")


def _limit_zh(text: str) -> str:
    from onething.cases.titles import duration_title

    return duration_title(text)
