"""Commands for the lists people work from: ``queue`` (a department's work, one officer's,
the intake queue, the warning and overdue list) and ``cases`` (search). Each prints one page
and the cursor of the next; each is one library call."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from onething.cli._shared import db_option, engine_on, format_option, json_out, new_table
from onething.cli.common import cli, out, worded

_AFTER = click.option("--after", metavar="CURSOR",
                      help="continue after this cursor (the 'next' of the page before)")
_LIMIT = click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True,
                      help="items per page")


#: what the tables say, in Chinese (``--lang zh``, the default) — English is the key
_ZH = {
    "case": "办件编号", "workflow": "事项", "window": "受理窗口", "priority": "优先",
    "submitted": "提交时间", "deemed accepted on": "视为受理时间", "status": "状态",
    "step": "环节", "department": "部门", "position": "所处位置", "due": "办理时限",
    "held by": "认领人", "waiting on": "待办环节", "green": "绿色通道",
    "notice out": "已一次性告知",
    "normal": "正常", "warning": "预警", "overdue": "超期", "paused": "暂停计时",
    "provisional": "暂定", "shown": "条", "next page": "下一页",
    "intake": "待受理", "in_progress": "办理中",
}


def _t(word: str) -> str:
    """``word`` in the language the invocation chose."""
    return worded(word, _ZH)


def _when(moment: Any) -> str:
    from onething.workdays.clock import local_text

    return local_text(moment) if moment is not None else "-"


def _footer(count: int, cursor: str | None) -> None:
    out.print(f"{count} {_t('shown')}" + (f"; {_t('next page')}: --after {cursor}" if cursor
                                          else ""))


@cli.command()
@click.argument("department", required=False)
@click.option("--intake", is_flag=True, help="cases submitted and not yet accepted (受理)")
@click.option("--alerts", is_flag=True, help="work in warning or overdue (a supervisor's list)")
@click.option("--assignee", metavar="OFFICER", help="only what this officer holds")
@_AFTER
@_LIMIT
@db_option
@format_option
def queue(department: str | None, intake: bool, alerts: bool, assignee: str | None,
          after: str | None, limit: int, db: str, fmt: str) -> None:
    """DEPARTMENT's waiting steps: green-channel cases first, then by due date. With
    --intake, the window's cases awaiting intake (DEPARTMENT optional); with --alerts, the
    steps in warning or overdue (DEPARTMENT optional)."""
    if intake and alerts:
        raise click.UsageError("give --intake or --alerts, not both")
    if department is None and not (intake or alerts):
        raise click.UsageError("name the DEPARTMENT (or give --intake or --alerts)")
    with engine_on(db) as engine:
        if intake:
            page: Any = engine.intake_queue(department, after=after, limit=limit)
        elif alerts:
            page = engine.alerts(department, after=after, limit=limit)
        else:
            assert department is not None
            page = engine.queue(department, assignee=assignee, after=after, limit=limit)
    if fmt == "json":
        json_out(page.to_json())
        return
    if intake:
        table = new_table(*map(_t, ("case", "workflow", "window", "priority", "submitted",
                                    "deemed accepted on", "status")))
        for c in page.items:
            table.add_row(c.case_id, c.workflow_id, c.lead, _t("green") if c.priority else "",
                          _when(c.submitted_at), _when(c.intake_due),
                          _t("notice out") if c.notice_out else _t(str(c.intake_status)))
    else:  # the department column for the list of every department, who holds what if any
        held = any(i.assignee for i in page.items)
        table = new_table(*map(_t, ("case", "step", *(("department",) if alerts else ()),
                                    "priority", "position", "due", "status",
                                    *(("held by",) if held else ()))))
        for i in page.items:
            due = _when(i.due) + (f" ({_t('provisional')})" if i.provisional else "")
            table.add_row(i.case_id, i.step, *((i.department,) if alerts else ()),
                          _t("green") if i.priority else "", i.position, due, _t(i.status),
                          *((i.assignee or "-",) if held else ()))
    out.print(table)
    _footer(len(page.items), page.next)


@cli.command()
@click.option("--number", help="the case number (办件编号)")
@click.option("--applicant", help="the applicant's ID number or 统一社会信用代码 (matched "
              "through its pseudonym; never printed)")
@click.option("--workflow", help="a workflow id")
@click.option("--status", help="intake, in_progress, or a delivery kind (result, refusal, ...)")
@click.option("--department", help="cases waiting on this department now")
@click.option("--step", help="cases waiting at this step now")
@click.option("--from", "submitted_from", type=click.DateTime(["%Y-%m-%d"]),
              help="submitted on or after this day (YYYY-MM-DD)")
@click.option("--to", "submitted_to", type=click.DateTime(["%Y-%m-%d"]),
              help="submitted on or before this day (YYYY-MM-DD)")
@_AFTER
@_LIMIT
@db_option
@format_option
def cases(number: str | None, applicant: str | None, workflow: str | None,
          status: str | None, department: str | None, step: str | None,
          submitted_from: Any, submitted_to: Any, after: str | None, limit: int, db: str,
          fmt: str) -> None:
    """List or search cases, newest first: every filter given must hold."""
    with engine_on(db) as engine:
        page = engine.search(number=number, applicant=applicant, workflow=workflow,
                             status=status, department=department, step=step,
                             submitted_from=_day(submitted_from),
                             submitted_to=_day(submitted_to), after=after, limit=limit)
    if fmt == "json":
        json_out(page.to_json())
        return
    table = new_table(*map(_t, ("case", "workflow", "status", "submitted", "waiting on")))
    for c in page.items:
        waiting = ", ".join(f"{w.step}@{w.department}" + (f" ({w.assignee})" if w.assignee
                                                          else "") for w in c.waiting)
        table.add_row(c.case_id, c.workflow_id, _t(c.status), _when(c.submitted_at),
                      waiting or "-")
    out.print(table)
    _footer(len(page.items), page.next)


def _day(value: Any) -> date | None:
    return value.date() if value is not None else None
