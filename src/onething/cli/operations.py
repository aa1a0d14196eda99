"""Commands that operate the engine: the demo, deploy, tick, dispatch, queue, worker, migrate,
erase."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onething.language.model import Workflow

import signal
import sys
import time
from datetime import datetime
from pathlib import Path

import click

from onething.cli._shared import (
    actor_of,
    db_option,
    engine_on,
    format_option,
    json_out,
    print_timeline,
)
from onething.cli.common import EXIT_UNSOUND, cli, escape, load_or_exit, moment, out, seconds


@cli.command()
@click.option("--db", "db_path", default="onething-demo.sqlite3", show_default=True,
              help="the SQLite file the demo writes (replaced if it exists), or a "
                   "postgresql:// URL (the demo adds its case to that database)")
def demo(db_path: str) -> None:
    """Run one enterprise start-up case from the single form to the single delivery."""
    from onething.cli.demo import run_demo
    from onething.stores import is_url, open_store

    if not is_url(db_path):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    store = open_store(db_path)
    try:
        run = run_demo(store)
    finally:
        store.close()
    case, delivery = run.case, run.delivery
    out.print(f"[bold]企业开办一件事[/bold] case [cyan]{case.id}[/cyan] "
              f"(workflow {case.workflow_id} v{case.workflow_version})")
    print_timeline(run.history)
    if delivery is not None:
        out.print(f"[green]one delivery:[/green] {delivery.kind} by {delivery.method}: "
                  + ", ".join(delivery.items))
    for view in run.clocks:
        due = view.committed_due
        limit = f"committed due {due.deadline:%Y-%m-%d %H:%M}" if due else "no committed limit"
        out.print(f"  clock {view.key:<18} {view.status.value:<7} {limit}")
    where = db_path if is_url(db_path) else f"{Path(db_path).resolve()} (SQLite, WAL, " \
        "synchronous=FULL)"
    out.print(f"stored in [bold]{escape(where)}[/bold]")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
def deploy(files: tuple[Path, ...], db: str) -> None:
    """Prove and deploy workflow FILES into the database (refused if unsound). A workflow
    whose steps open child cases is deployed after the children given with it."""
    workflows = [load_or_exit(file) for file in files]
    with engine_on(db, create=True) as engine:
        for workflow in _children_first(workflows):
            deployed = engine.deploy(workflow)
            out.print(f"deployed {deployed.workflow.id} version {deployed.workflow.version} "
                      f"({workflow.content_hash[:19]})")


def _children_first(workflows: list[Workflow]) -> list[Workflow]:
    """``workflows`` in their order, except that each comes after those it opens (子流程)."""
    ids = {w.id for w in workflows}
    done: list[Workflow] = []
    seen: set[int] = set()

    def visit(workflow: Workflow, path: frozenset[str]) -> None:
        if id(workflow) in seen or workflow.id in path:
            return  # a cycle: deploy refuses it with its reason
        for sid in workflow.opening_steps:
            opens = workflow.step(sid).opens
            for other in workflows:
                if opens is not None and other.id == opens.workflow and other.id in ids:
                    visit(other, path | {workflow.id})
        if id(workflow) not in seen:
            seen.add(id(workflow))
            done.append(workflow)
    for workflow in workflows:
        visit(workflow, frozenset())
    return done


@cli.command()
@click.option("--now", help="the moment to fire timers for, with its zone "
              "(2026-10-08T09:00+08:00; default: now)")
@click.option("--allow-future", is_flag=True,
              help="accept a --now later than the real clock (tests and drills only: timers "
                   "that change a case's path would fire early)")
@db_option
@format_option
def tick(now: str | None, allow_future: bool, db: str, fmt: str) -> None:
    """Fire every timer that is due (escalations, deemed acceptance, expiries), until none is.

    Exit 0 when every due timer fired, 1 when one failed (each fails on its own; the others
    fire); a due date on a provisional calendar year is marked.
    """
    from onething.workdays.clock import local_text

    when = moment(now, "--now")
    if when is not None and not allow_future and when > datetime.now(when.tzinfo):
        raise click.BadParameter(
            f"{now} is in the future: timers that change a case's path would fire early; "
            "pass --allow-future for a test or drill", param_hint="--now")
    with engine_on(db) as engine:
        handled = engine.tick(when)
    fired = [f for f in handled if f.fired]
    failed = [f for f in handled if not f.fired]
    if fmt == "json":
        json_out([f.to_json() for f in handled])
    else:
        for f in handled:
            state = "" if f.fired else f"  FAILED: {f.error}"
            mark = " (provisional)" if f.provisional else ""
            out.print(f"{f.case_id}  {f.timer.kind:<10} {f.timer.name:<20} "
                      f"{f.timer.step or '':<20} due {local_text(f.timer.due_at)}{mark}{state}")
        out.print(f"{len(fired)} timer(s) fired" + (f", {len(failed)} failed" if failed
                                                     else ""))
    if failed:
        sys.exit(EXIT_UNSOUND)


@cli.command()
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="the most outbox rows to hand over")
@db_option
@format_option
def dispatch(limit: int, db: str, fmt: str) -> None:
    """Hand due outbox rows to their channels: deliveries to post, SMS or the electronic
    licence, and a child case's delivery to its parent (子流程). Each row is handed over at
    least once; a failure is kept and retried later. Exit 0 when every row was handed over,
    1 when one failed."""
    with engine_on(db) as engine:
        handled = engine.dispatch(limit=limit)
        status = {row.id: row.status for item in handled
                  for row in engine.store.outbox(item.case_id) if row.id == item.id}
    if fmt == "json":
        json_out([{"id": item.id, "case": item.case_id, "channel": item.channel,
                   "status": status.get(item.id)} for item in handled])
    else:
        for item in handled:
            out.print(f"{item.case_id}  {item.channel:<10} {item.id}  {status.get(item.id)}")
        out.print(f"{len(handled)} row(s) handed over")
    if any(status.get(item.id) != "sent" for item in handled):
        sys.exit(EXIT_UNSOUND)


@cli.command()
@click.option("--interval", type=float, default=1.0, show_default=True,
              help="seconds between passes when there is nothing to do")
@click.option("--once", is_flag=True, help="one pass, then exit")
@click.option("--for", "for_seconds", type=float, help="stop after this many seconds")
@click.option("--channels", type=click.Path(dir_okay=False),
              help="also hand status events to these channels (docs/events.md)")
@db_option
def worker(interval: float, once: bool, for_seconds: float | None, channels: str | None,
           db: str) -> None:
    """Fire due timers and hand deliveries (and, with --channels, status events) to their
    channels, until stopped.

    Run any number of workers on any number of machines against one PostgreSQL database:
    each claims its work with FOR UPDATE SKIP LOCKED, and every firing is a versioned
    transaction, so nothing is done twice.
    """
    interval = seconds(interval, "--interval") or 1.0
    for_seconds = seconds(for_seconds, "--for")
    stop = {"now": False}

    def halt(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, halt)
    signal.signal(signal.SIGINT, halt)
    deadline = time.monotonic() + for_seconds if for_seconds else None
    chosen = None
    if channels is not None:
        from onething.notify.config import channels_from

        chosen = channels_from(channels)
    with engine_on(db) as engine:
        while not stop["now"]:
            fired = engine.tick()
            sent = [*engine.dispatch(), *(engine.dispatch_events(chosen) if chosen else ())]
            if once or (deadline is not None and time.monotonic() >= deadline):
                break
            if not fired and not sent:
                time.sleep(interval)
    out.print("worker stopped")


@cli.command()
@click.argument("workflow_id")
@click.option("--to", "to_version", type=click.IntRange(1, 2 ** 31 - 1), required=True,
              help="the deployed version to move to")
@click.option("--from", "from_version", type=click.IntRange(1, 2 ** 31 - 1),
              help="only cases on this version")
@click.option("--dry-run", is_flag=True, help="list what would move, change nothing")
@db_option
@format_option
def migrate(workflow_id: str, to_version: int, from_version: int | None, dry_run: bool,
            db: str, fmt: str) -> None:
    """Move undelivered cases of WORKFLOW_ID to another version where their position is valid.

    Cases whose configuration is not a valid position of the new version stay where they are
    and are listed with the reason (exit 1 when any is refused).
    """
    with engine_on(db) as engine:
        result = engine.migrate(workflow_id, to_version, from_version=from_version,
                                dry_run=dry_run)
    if fmt == "json":
        json_out({"moved": list(result.moved),
                   "refused": [{"case": c, "reason": r} for c, r in result.refused],
                   "dry_run": dry_run})
    else:
        verb = "would move" if dry_run else "moved"
        out.print(f"{verb} {len(result.moved)} case(s) to version {to_version}")
        for case_id, reason in result.refused:
            out.print(f"[yellow]stays: {case_id}: {escape(reason)}[/yellow]")
    sys.exit(1 if result.refused else 0)


@cli.command()
@click.argument("case_id")
@click.option("--retention", default="10 years", show_default=True,
              help="how long personal data is kept after the delivery: N years, months or "
                   "days (set it to the records office's retention schedule)")
@click.option("--as", "actor", default="system:retention", show_default=True,
              help="who erases: system:<job> or supervisor:<name>@<department>")
@click.option("--now", help="the moment to judge the retention period at, with its zone "
              "(2026-10-08T09:00+08:00; default: now)")
@click.option("--key", help="an idempotency key: a retry with it changes nothing")
@db_option
@format_option
def erase(case_id: str, retention: str, actor: str, now: str | None, key: str | None, db: str,
          fmt: str) -> None:
    """Erase the personal data of delivered case CASE_ID after its retention period.

    Every form value and material reference is removed; the audit skeleton stays: the case,
    its workflow and position, its history, its delivery and the materials' hashes. Refused
    for a case without a delivery or still within its retention period.
    """
    from onething.engine._erasure import erase_case

    when = moment(now, "--now")
    with engine_on(db) as engine:
        case = erase_case(engine, case_id, actor_of(actor), retention=retention, now=when,
                          idempotency_key=key)
        event = next(e for e in reversed(engine.history(case_id)) if e.action == "erased")
    fields, materials = event.data.get("fields", []), event.data.get("materials", [])
    if fmt == "json":
        json_out({"case": case.id, "erased_at": event.at, "fields": fields,
                   "materials": materials, "retention": event.data.get("retention")})
        return
    out.print(f"case {case.id}: personal data erased at {event.at:%Y-%m-%d %H:%M} "
              f"({len(fields)} field value(s), {len(materials)} material reference(s)); "
              "kept: history, delivery, material hashes")
