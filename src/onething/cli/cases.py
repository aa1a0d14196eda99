"""Commands that run cases: the demo, and (against a database) the case commands."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import click
from rich.table import Table

from onething.cases.forms import HASH_SUFFIX, masked_form, material_hashes
from onething.cases.records import Actor, Role
from onething.cli.common import (
    EXIT_INVALID,
    EXIT_UNSOUND,
    cli,
    escape,
    load_or_exit,
    moment,
    out,
    read_json,
    seconds,
)
from onething.engine._time import local
from onething.engine.engine import Engine
from onething.errors import SubmissionRejected
from onething.privacy.masking import mask_text


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
    _timeline(run.history)
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


def _timeline(history: list[Any]) -> None:
    from onething.cases.timeline import timeline

    for line in timeline(history):
        out.print(escape(line))


# -- against a database ------------------------------------------------------------------------

DB_HELP = ("the cases' database: an SQLite file, or postgresql://user@host/db "
           "(default: $ONETHING_DB, else onething.sqlite3)")


def db_option(command: Any) -> Any:
    return click.option("--db", "db", envvar="ONETHING_DB", default="onething.sqlite3",
                        show_default=True, help=DB_HELP)(command)


def format_option(command: Any) -> Any:
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                        default="text", show_default=True)(command)


@contextmanager
def engine_on(db: str, *, create: bool = False) -> Iterator[Engine]:
    """An engine on the database named by ``db``, closed afterwards. Only ``deploy`` creates
    a database: every other command refuses one that does not exist (a mistyped path)."""
    from onething.stores import open_store

    store = open_store(db, create=create)
    try:
        yield Engine(store)
    finally:
        store.close()


def _json_out(data: Any) -> None:
    click.echo(json.dumps(_scrub(data), ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    """Times as ISO 8601 with their zone; anything else as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _scrub(data: Any) -> Any:
    """``data`` with identity and phone numbers masked in every text in it (form values are
    masked by field already; this catches free text such as reasons)."""
    if isinstance(data, str):
        return mask_text(data)
    if isinstance(data, dict):
        return {_scrub(k): _scrub(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_scrub(v) for v in data]
    return data


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out_ = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep:  # the value is not quoted back: it may be personal data
            raise click.BadParameter(f"a {what} has no '=': write each {what} as name=value")
        out_[name] = text
    return out_


def _materials(values: tuple[str, ...]) -> dict[str, Any]:
    """``--material name=ref`` or ``--material name=ref#sha256=<64 hex digits>``."""
    given: dict[str, Any] = {}
    for name, text in _pairs(values, "--material").items():
        found = HASH_SUFFIX.search(text)
        given[name] = {"ref": text[:found.start()], "sha256": found.group(1)} if found \
            else text
    return given


def _actor(text: str) -> Actor:
    try:
        return Actor.parse(text)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise click.BadParameter(mask_text(f"{text!r}: write ROLE:ID[@DEPARTMENT] with ROLE "
                                           f"one of {roles}, e.g. department:wang@tax")) \
            from None


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
def deploy(files: tuple[Path, ...], db: str) -> None:
    """Prove and deploy workflow FILES into the database (refused if unsound)."""
    with engine_on(db, create=True) as engine:
        for file in files:
            workflow = load_or_exit(file)
            deployed = engine.deploy(workflow)
            out.print(f"deployed {deployed.workflow.id} version {deployed.workflow.version} "
                      f"({workflow.content_hash[:19]})")


@cli.command()
@click.argument("workflow_id")
@click.option("--form", "form_file", required=True,
              help="a JSON file of field values (- reads stdin)")
@click.option("--materials", "materials_file",
              help='a JSON file of materials: name to "reference" or to '
                   '{"ref": reference, "sha256": the SHA-256 of the document}')
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
            case = engine.submit(workflow_id, form, materials, actor=_actor(actor),
                                 applicant=applicant, version=version, idempotency_key=key)
        except SubmissionRejected as exc:
            if fmt == "json":
                _json_out({"accepted": False, "problems": [attrs.asdict(p)
                                                           for p in exc.problems]})
            else:
                out.print(f"[red]{escape(str(exc))}[/red]")
            sys.exit(EXIT_INVALID)
    if fmt == "json":
        _json_out({"accepted": True, "case": case.id})
    else:
        out.print(f"case {case.id} submitted; it awaits the window's intake")


ACTIONS = ("accept", "refuse_intake", "approve", "approve_on_commitment", "refuse",
           "request_correction",
           "start_special_procedure", "end_special_procedure", "supplement", "withdraw",
           "deliver")


@cli.command()
@click.argument("case_id")
@click.argument("action", type=click.Choice(ACTIONS))
@click.argument("step", required=False)
@click.option("--as", "actor", required=True,
              help="ROLE:ID[@DEPARTMENT], e.g. department:wang@tax")
@click.option("--reason", default="", help="why (shown on notices)")
@click.option("--method", help="for deliver: window, mail or electronic")
@click.option("--field", "fields", multiple=True, help="for supplement: name=value")
@click.option("--material", "materials", multiple=True,
              help="for supplement: name=reference, or name=reference#sha256=<64 hex digits>")
@click.option("--key", help="an idempotency key: a retry with it changes nothing")
@db_option
@format_option
def act(case_id: str, action: str, step: str | None, actor: str, reason: str,
        method: str | None, fields: tuple[str, ...], materials: tuple[str, ...],
        key: str | None, db: str, fmt: str) -> None:
    """Do ACTION on case CASE_ID (STEP for department actions and corrections)."""
    who = _actor(actor)
    with engine_on(db) as engine:
        if action == "accept":
            case = engine.accept(case_id, who, idempotency_key=key)
        elif action == "refuse_intake":
            case = engine.refuse_intake(case_id, who, reason, idempotency_key=key)
        elif action == "withdraw":
            case = engine.withdraw(case_id, who, reason, idempotency_key=key)
        elif action == "deliver":
            case = engine.deliver(case_id, who, method, idempotency_key=key)
        elif action == "supplement":
            case = engine.supplement(case_id, who, step=step, fields=_pairs(fields, "--field"),
                                     materials=_materials(materials),
                                     idempotency_key=key)
        else:
            if not step:
                raise click.UsageError(f"'{action}' needs the STEP it decides on")
            case = engine.act(case_id, step, action, who, reason, idempotency_key=key)
        delivery = engine.delivery(case_id)
    if fmt == "json":
        _json_out({"case": case.id, "version": case.version, "ended": case.ended,
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
        case = engine.verify_commitment(case_id, step, ok, _actor(actor), reason,
                                        idempotency_key=key)
        delivery = engine.delivery(case_id)
    follow_up = case.id if case.id != case_id else None
    if fmt == "json":
        _json_out({"case": case_id, "confirmed": ok, "follow_up": follow_up,
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
@db_option
@format_option
def status(case_id: str, db: str, fmt: str) -> None:
    """Where case CASE_ID stands: waiting steps, what can happen, clocks, delivery."""
    with engine_on(db) as engine:
        case = engine.case(case_id)
        deployed = engine.deployed(case.workflow_id, case.workflow_version)
        waiting = engine.waiting_on(case_id)
        possible = engine.possible(case_id)
        clocks = engine.clocks(case_id)
        delivery = engine.delivery(case_id)
        form = masked_form(deployed.workflow.form, case.form)
    if fmt == "json":
        _json_out({"case": case.id, "workflow": f"{case.workflow_id}@{case.workflow_version}",
                   "green_channel": bool(case.priority), "waiting_on": waiting,
                   "possible": possible, "form": form,
                   "materials": material_hashes(case.materials),
                   "commitments": {step: {k: v for k, v in o.items()
                                          if k in ("commitment", "verify_by")}
                                   for step, o in case.outcomes.items()
                                   if o.get("commitment")},
                   "clocks": [{"clock": v.key, "status": v.status.value,
                               "committed_due": v.committed_due.deadline
                               if v.committed_due else None,
                               "statutory_due": v.statutory_due.deadline
                               if v.statutory_due else None,
                               "provisional": v.provisional} for v in clocks],
                   "delivery": attrs.asdict(delivery) if delivery else None})
        return
    out.print(f"case {case.id}: {deployed.workflow.title} "
              f"(v{case.workflow_version}{', green channel' if case.priority else ''})")
    if delivery is not None:
        out.print(f"  delivered: {delivery.kind} by {delivery.method} at "
                  f"{delivery.at:%Y-%m-%d %H:%M}" + (": " + ", ".join(delivery.items)
                                                     if delivery.items else ""))
    else:
        out.print("  waiting on: " + (", ".join(waiting) or "the window"))
        out.print("  possible now: " + ", ".join(possible))
    for step, outcome in case.outcomes.items():
        if outcome.get("commitment"):
            by = outcome.get("verify_by", "")
            out.print(f"  commitment (告知承诺) of {step}: {outcome['commitment']}"
                      + (f", verify by {by[:10]}" if by and outcome["commitment"] == "pending"
                         else ""))
    table = _table("clock", "status", "committed due", "statutory due")
    for view in clocks:
        table.add_row(view.key, view.status.value, _due(view.committed_due),
                      _due(view.statutory_due))
    if clocks:
        out.print(table)


def _table(*columns: str) -> Table:
    table = Table(show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def _due(due: Any) -> str:
    if due is None:
        return "-"
    return f"{due.deadline:%Y-%m-%d %H:%M}" + (" (provisional)" if due.provisional else "")


@cli.command()
@click.argument("case_id")
@db_option
@format_option
def history(case_id: str, db: str, fmt: str) -> None:
    """Every event of case CASE_ID, in order."""
    with engine_on(db) as engine:
        events = engine.history(case_id)
    if fmt == "json":
        _json_out([attrs.asdict(e) for e in events])
    else:
        _timeline(events)


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
        _json_out([{"case": f.case_id, "timer": f.timer.name, "step": f.timer.step,
                    "kind": f.timer.kind, "due": f.timer.due_at, "fired": f.fired,
                    "provisional": f.provisional, "error": f.error or None}
                   for f in handled])
    else:
        for f in handled:
            state = "" if f.fired else f"  FAILED: {f.error}"
            mark = " (provisional)" if f.provisional else ""
            out.print(f"{f.case_id}  {f.timer.kind:<10} {f.timer.name:<20} "
                      f"{f.timer.step or '':<20} due {local(f.timer.due_at)}{mark}{state}")
        out.print(f"{len(fired)} timer(s) fired" + (f", {len(failed)} failed" if failed
                                                     else ""))
    if failed:
        sys.exit(EXIT_UNSOUND)


@cli.command()
@click.argument("department")
@db_option
@format_option
def queue(department: str, db: str, fmt: str) -> None:
    """DEPARTMENT's waiting steps: green-channel cases first, then by due date."""
    with engine_on(db) as engine:
        items = engine.queue(department)
    if fmt == "json":
        _json_out([attrs.asdict(i) for i in items])
        return
    table = _table("case", "step", "priority", "position", "due", "status")
    for i in items:
        due = (local(i.due) + (" (provisional)" if i.provisional else "")) if i.due else "-"
        table.add_row(i.case_id, i.step, "green" if i.priority else "", i.position, due,
                      i.status)
    out.print(table)
    out.print(f"{len(items)} waiting")


@cli.command()
@click.option("--interval", type=float, default=1.0, show_default=True,
              help="seconds between passes when there is nothing to do")
@click.option("--once", is_flag=True, help="one pass, then exit")
@click.option("--for", "for_seconds", type=float, help="stop after this many seconds")
@db_option
def worker(interval: float, once: bool, for_seconds: float | None, db: str) -> None:
    """Fire due timers and hand deliveries to their channels, until stopped.

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
    with engine_on(db) as engine:
        while not stop["now"]:
            fired = engine.tick()
            sent = engine.dispatch()
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
        _json_out({"moved": list(result.moved),
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
        case = erase_case(engine, case_id, _actor(actor), retention=retention, now=when,
                          idempotency_key=key)
        event = next(e for e in reversed(engine.history(case_id)) if e.action == "erased")
    fields, materials = event.data.get("fields", []), event.data.get("materials", [])
    if fmt == "json":
        _json_out({"case": case.id, "erased_at": event.at, "fields": fields,
                   "materials": materials, "retention": event.data.get("retention")})
        return
    out.print(f"case {case.id}: personal data erased at {event.at:%Y-%m-%d %H:%M} "
              f"({len(fields)} field value(s), {len(materials)} material reference(s)); "
              "kept: history, delivery, material hashes")
