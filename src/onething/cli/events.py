"""Commands for telling the outside world (issue 17): ``events`` (a case's status events),
``subscribe``, ``unsubscribe`` and ``subscriptions``, and ``outbox`` — the notifications waiting,
sent, dead or held back, with ``--retry``, ``--skip``, ``--replay`` and ``--send``. Each is one
library call."""

from __future__ import annotations

import sys
from typing import Any

import click

from onething.cli._shared import db_option, engine_on, format_option, json_out, new_table
from onething.cli.common import EXIT_INVALID, EXIT_UNSOUND, cli, out


def _subscription(found: Any) -> dict[str, Any]:
    return {"name": found.name, "types": list(found.types), "workflows": list(found.workflows),
            "departments": list(found.departments)}


@cli.command()
@click.argument("case_id")
@db_option
@format_option
def events(case_id: str, db: str, fmt: str) -> None:
    """CASE_ID's status events in order: each status change with its 办件状态 code, step and
    department (nothing personal)."""
    with engine_on(db) as engine:
        found = engine.status_events(case_id)
    if fmt == "json":
        json_out([e.to_json() for e in found])
        return
    table = new_table("seq", "at", "status", "code", "step", "department")
    for e in found:
        table.add_row(str(e.seq), e.at.isoformat(), e.type,
                      f"{e.code} {e.code_name}" if e.code is not None else "-",
                      e.step or "-", e.department or "-")
    out.print(table)


@cli.command()
@click.argument("name")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="only these status events (repeat; default: all)")
@click.option("--workflow", "workflows", multiple=True, metavar="ID",
              help="only cases of these workflows (repeat)")
@click.option("--department", "departments", multiple=True, metavar="DEPT",
              help="only events at these departments (repeat)")
@db_option
@format_option
def subscribe(name: str, types: tuple[str, ...], workflows: tuple[str, ...],
              departments: tuple[str, ...], db: str, fmt: str) -> None:
    """Subscribe NAME to the status events committed from now on (``--replay`` in
    ``outbox`` hands it the earlier ones). A worker sends them on the channel of that name."""
    with engine_on(db) as engine:
        made = engine.subscribe(name, types=types, workflows=workflows,
                                departments=departments)
    if fmt == "json":
        json_out(_subscription(made))
    else:
        out.print(f"subscribed {made.name}")


@cli.command()
@click.argument("name")
@db_option
def unsubscribe(name: str, db: str) -> None:
    """End subscription NAME (what it was not yet handed stays in the outbox)."""
    with engine_on(db) as engine:
        if not engine.unsubscribe(name):
            out.print(f"there is no subscription {name}")
            sys.exit(EXIT_INVALID)
    out.print(f"unsubscribed {name}")


@cli.command()
@db_option
@format_option
def subscriptions(db: str, fmt: str) -> None:
    """Every subscription with its filters."""
    with engine_on(db) as engine:
        found = engine.subscriptions()
    if fmt == "json":
        json_out([_subscription(s) for s in found])
        return
    table = new_table("name", "types", "workflows", "departments")
    for s in found:
        table.add_row(s.name, ", ".join(s.types) or "*", ", ".join(s.workflows) or "*",
                      ", ".join(s.departments) or "*")
    out.print(table)


@cli.command()
@click.option("--subscription", help="only this subscription's")
@click.option("--status", type=click.Choice(["pending", "sent", "dead", "skipped", "dropped"]),
              help="only in this state (dead: given up after the attempts)")
@click.option("--case", "case_id", help="only this case's")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--retry", metavar="ID", help="try this dead (or waiting) notification again now")
@click.option("--skip", metavar="ID",
              help="give this notification up unsent, releasing its case's later ones")
@click.option("--replay", metavar="NAME",
              help="hand subscription NAME every event it wants again (with --case: one case's)")
@click.option("--send", is_flag=True, help="hand due notifications to the --channels now")
@click.option("--channels", type=click.Path(dir_okay=False),
              help="the channels file (docs/events.md) --send hands them to")
@db_option
@format_option
def outbox(subscription: str | None, status: str | None, case_id: str | None, limit: int,
           retry: str | None, skip: str | None, replay: str | None, send: bool,
           channels: str | None, db: str, fmt: str) -> None:
    """The notifications of status events: waiting (and what holds one back), sent, dead,
    skipped or dropped. Exit 1 when a listed one is dead or held back by a dead one."""
    if sum(map(bool, (retry, skip, replay, send))) > 1:
        raise click.UsageError("give one of --retry, --skip, --replay, --send")
    if send and channels is None:
        raise click.UsageError("--send needs --channels FILE: where each subscription's "
                               "events go")
    with engine_on(db) as engine:
        if retry and not engine.retry_notification(retry):
            raise click.BadParameter(f"no dead or waiting notification {retry}",
                                     param_hint="--retry")
        if skip and not engine.skip_notification(skip):
            raise click.BadParameter(f"no dead or waiting notification {skip}",
                                     param_hint="--skip")
        if replay:
            count = engine.replay(replay, case_id=case_id)
            if fmt != "json":
                out.print(f"{count} event(s) to hand {replay} again")
        if send and channels is not None:
            from onething.notify.config import channels_from

            handed = engine.dispatch_events(channels_from(channels))
            if fmt != "json":
                out.print(f"{len(handed)} notification(s) handed over")
        found = engine.notifications(subscription=subscription, status=status,
                                     case_id=case_id, limit=limit)
    stuck = [n for n in found if n.status == "dead" or n.held_by is not None]
    if fmt == "json":
        json_out([{"id": n.id, "subscription": n.subscription, "case": n.case_id,
                   "seq": n.seq, "type": n.event.type if n.event else None,
                   "status": n.status, "attempts": n.attempts, "due": n.next_attempt_at,
                   "held_by": n.held_by, "error": n.last_error or None,
                   "result": n.result or None} for n in found])
    else:
        table = new_table("id", "status", "type", "attempts", "due", "held by", "last error")
        for n in found:
            table.add_row(n.id, n.status, n.event.type if n.event else "-", str(n.attempts),
                          n.next_attempt_at.isoformat() if n.next_attempt_at else "-",
                          n.held_by or "-", n.last_error or "-")
        out.print(table)
    if stuck:
        sys.exit(EXIT_UNSOUND)



@cli.command()
@click.argument("case_id")
@click.option("--as", "actor", required=True,
              help="who reads: applicant:<ID number> (the identity shown whole), agent:<id>, "
                   "window:<id>@<lead>, department:<id>@<dept>")
@click.option("--number", help="render this notice (HTML, A4) instead of listing them")
@click.option("--lang", "notice_lang", type=click.Choice(["zh", "en"]), default="zh",
              show_default=True, help="the notice's language")
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="a folder of templates overriding the shipped ones")
@click.option("--out", "out_file", type=click.Path(dir_okay=False),
              help="write the rendered notice here instead of printing it")
@db_option
@format_option
def notices(case_id: str, actor: str, number: str | None, notice_lang: str,
            templates: str | None, out_file: str | None, db: str, fmt: str) -> None:
    """CASE_ID's written notices (文书: 受理通知书, 一次性补正告知书, ...): each with its number,
    kind and date; with --number, that notice rendered as HTML for printing."""
    from onething.cli._shared import actor_of

    with engine_on(db) as engine:
        reader = actor_of(actor)
        if number is not None:
            page = engine.notice(case_id, number, reader, lang=notice_lang,
                                 templates=templates)
        else:
            found = engine.notices(case_id, reader)
    if number is not None:
        if out_file is not None:
            from pathlib import Path

            Path(out_file).write_text(page, encoding="utf-8")
            out.print(f"wrote {out_file}")
        else:
            click.echo(page)
        return
    if fmt == "json":
        json_out([d.to_json() for d in found])
        return
    table = new_table("number", "notice", "issued", "status event")
    for d in found:
        table.add_row(d.number, d.title, d.issued_at.isoformat(), str(d.status_seq))
    out.print(table)
