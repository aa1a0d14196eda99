"""The ``onething`` command: a thin shell over the library (parse arguments, call, print)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from onething.engine.errors import OnethingError
from onething.spec.load import read
from onething.spec.location import Diagnostic, Severity
from onething.verify.check import DEFAULT_BUDGET

EXIT_SOUND, EXIT_UNSOUND, EXIT_INVALID, EXIT_UNDECIDED = 0, 1, 2, 3

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="onething")
def cli() -> None:
    """onething: 一件事一次办 workflows - check, draw and run them."""


# -- check -------------------------------------------------------------------------------------


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json for tools and editors")
@click.option("--budget", type=click.IntRange(min=1), default=DEFAULT_BUDGET, show_default=True,
              help="the most states the proof may visit before it gives up (exit 3)")
@click.option("--explicit", is_flag=True,
              help="explore parallel blocks as a full product (slow; to cross-check)")
def check(files: tuple[Path, ...], fmt: str, budget: int, explicit: bool) -> None:
    """Check workflow FILES and prove each sound: every path ends in exactly one delivery.

    Exit 0 sound, 1 unsound, 2 invalid input, 3 undecided (state budget exceeded).
    """
    from onething.verify.check import check as prove

    worst = EXIT_SOUND
    reports = []
    for path in files:
        result = read(path)
        entry: dict[str, Any] = {"file": str(path), "valid": result.ok,
                                 "diagnostics": [d.to_json() for d in result.diagnostics]}
        if fmt == "text":
            _print_diagnostics(path, result.diagnostics, result.ok)
        if result.workflow is None:
            worst = _worse(worst, EXIT_INVALID)
            reports.append(entry)
            continue
        report = prove(result.workflow, budget=budget, compositional=not explicit)
        entry["proof"] = report.to_json()
        reports.append(entry)
        code = (EXIT_UNDECIDED if not report.decided
                else EXIT_SOUND if report.sound else EXIT_UNSOUND)
        worst = _worse(worst, code)
        if fmt == "text":
            for violation in report.violations:
                colour = "yellow" if violation.warning else "red"
                out.print(f"[{colour}]{_escape(violation.render())}[/{colour}]")
            colour = "green" if report.sound else "red"
            out.print(f"[{colour}]{_escape(report.summary())}[/{colour}]")
    if fmt == "json":
        click.echo(json.dumps({"files": reports}, ensure_ascii=False, indent=2))
    sys.exit(worst)


def _worse(a: int, b: int) -> int:
    """Combine exit codes: invalid input beats undecided beats unsound beats sound."""
    rank = {EXIT_SOUND: 0, EXIT_UNSOUND: 1, EXIT_UNDECIDED: 2, EXIT_INVALID: 3}
    return a if rank[a] >= rank[b] else b


def _print_diagnostics(path: Path, diagnostics: tuple[Diagnostic, ...], ok: bool) -> None:
    for d in diagnostics:
        colour = "red" if d.severity is Severity.ERROR else "yellow"
        out.print(f"[{colour}]{_escape(d.render())}[/{colour}]")
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    if ok:
        if warnings:
            out.print(f"[yellow]{path}: valid, {warnings} warning(s)[/yellow]")
    else:
        out.print(f"[red]{path}: invalid: {errors} error(s), {warnings} warning(s)[/red]")


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


# -- schema and graph --------------------------------------------------------------------------


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the workflow language (for editors)."""
    from onething.spec.schema import schema_text

    click.echo(schema_text())


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid",
              show_default=True)
def graph(file: Path, fmt: str) -> None:
    """Draw workflow FILE as a Mermaid or Graphviz diagram."""
    from onething.machine.render import render_dot, render_mermaid

    workflow = _load_or_exit(file)
    click.echo(render_mermaid(workflow) if fmt == "mermaid" else render_dot(workflow))


def _load_or_exit(file: Path) -> Any:
    result = read(file)
    if not result.ok:
        _print_diagnostics(file, result.diagnostics, False)
        sys.exit(EXIT_INVALID)
    return result.workflow


# -- the calendar ------------------------------------------------------------------------------


@cli.command()
@click.argument("start")
@click.argument("duration", nargs=-1, required=True)
@click.option("--explain", is_flag=True, help="list the days skipped and why")
@click.option("--same-day", is_flag=True, help="count the day of acceptance as day 1")
@click.option("--strict", is_flag=True, help="refuse instead of a provisional answer")
@click.option("--overrides", type=click.Path(path_type=Path, exists=True),
              help="YAML table of extra days off / working days")
def due(start: str, duration: tuple[str, ...], explain: bool, same_day: bool, strict: bool,
        overrides: Path | None) -> None:
    """The due date of a limit: `onething due 2026-02-13 3WD`."""
    from onething.calendar import CalendarError, CalendarOverrides, WorkCalendar
    from onething.calendar import explain as explain_due
    from onething.spec.duration import Duration, DurationError

    try:
        begin: date | datetime = (datetime.fromisoformat(start) if "T" in start
                                  else date.fromisoformat(start))
    except ValueError:
        raise click.BadParameter(f"{start!r} is not a date like 2026-02-13",
                                 param_hint="START") from None
    try:
        amount = Duration.parse(" ".join(duration))
    except DurationError as exc:
        raise click.BadParameter(str(exc), param_hint="DURATION") from None
    try:
        table = CalendarOverrides.load(overrides) if overrides else None
        calendar = WorkCalendar(table, strict=strict)
        result = calendar.add(begin, amount, count_from="same_day" if same_day else "next_day")
    except CalendarError as exc:
        err.print(f"[red]{_escape(str(exc))}[/red]")
        sys.exit(EXIT_INVALID)
    line = f"{result.date.isoformat()} ({result.deadline.strftime('%A %H:%M %Z')})"
    if result.provisional:
        line += "  PROVISIONAL"
    out.print(line)
    for reason in result.reasons:
        out.print(f"  provisional: {_escape(reason)}")
    if explain:
        for text in explain_due(result):
            out.print(f"  {_escape(text)}")


# -- the calendar's data ----------------------------------------------------------------------


@cli.group()
def calendar() -> None:
    """The working-day calendar's data: show it, or adopt a newer schedule."""


@calendar.command("show")
@click.option("--overrides", type=click.Path(path_type=Path, exists=True))
def calendar_show(overrides: Path | None) -> None:
    """Which years have official data, and the data version cases record."""
    from onething.calendar import CalendarOverrides, WorkCalendar

    table = CalendarOverrides.load(overrides) if overrides else None
    cal = WorkCalendar(table)
    out.print(f"data: {_escape(cal.data_version)}")
    out.print(f"official through {cal.official_through}; later years are provisional")


@calendar.command("refresh")
@click.option("--db", "db_path", type=click.Path(path_type=Path, exists=True), required=True,
              help="the SQLite file holding the cases")
@click.option("--overrides", type=click.Path(path_type=Path, exists=True),
              help="a YAML table with the new schedule (official_years, days_off, ...)")
def calendar_refresh(db_path: Path, overrides: Path | None) -> None:
    """Recompute open cases' due dates on the newest calendar data; record it in each history.

    Run it after upgrading the holidays package, or with --overrides holding a new notice.
    """
    from onething.calendar import CalendarOverrides, WorkCalendar
    from onething.engine.engine import Engine
    from onething.stores.sqlite import SqliteStore

    store = SqliteStore(db_path)
    try:
        table = CalendarOverrides.load(overrides) if overrides else None
        changed = Engine(store).refresh_calendar(WorkCalendar(table))
    finally:
        store.close()
    out.print(f"{len(changed)} open case(s) recomputed" + (": " + ", ".join(changed)
                                                             if changed else ""))


# -- export ------------------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--pnml", "pnml_out", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="where to write the control flow as a PNML workflow net")
@click.option("--check", "also_check", is_flag=True,
              help="also decide the exported net's soundness (what Woflan must agree with)")
def export(file: Path, pnml_out: Path, also_check: bool) -> None:
    """Export workflow FILE for independent verification (docs/pnml.md).

    Writes a PNML workflow net that PM4Py and ProM/Woflan read as it is. Exit 0 written (and
    sound, with --check), 1 not a workflow net (nothing written) or unsound, 2 invalid input,
    3 undecided.
    """
    from onething.verify.pnml import NotAWorkflowNet, check_workflow_net, export_pnml

    plain = {"markup": False}
    workflow = _load_or_exit(file)
    try:
        wf = export_pnml(workflow, pnml_out)
    except NotAWorkflowNet as exc:
        out.print(str(exc), style="red", **plain)
        out.print(f"nothing written; `onething check {file}` shows why", **plain)
        sys.exit(EXIT_UNSOUND)
    silent = sum(t.silent for t in wf.transitions)
    out.print(f"wrote {pnml_out}: {len(wf.places)} places, {len(wf.transitions)} transitions "
              f"({silent} invisible), initial marking [i], final marking [o]; left out "
              f"{len(wf.left_out)} case-ending transitions (withdrawal, refusals, timers)",
              **plain)
    if also_check:
        verdict = check_workflow_net(wf)
        for reason in verdict.reasons():
            out.print(reason, style="red", **plain)
        out.print(verdict.summary(), style="green" if verdict.sound else "red", **plain)
        sys.exit(EXIT_UNDECIDED if not verdict.decided
                 else EXIT_SOUND if verdict.sound else EXIT_UNSOUND)


# -- SLA analysis -------------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--start", "start", required=True, help="the acceptance date, e.g. 2026-09-30")
@click.option("--limit", "which", type=click.Choice(["committed", "statutory"]),
              default="committed", show_default=True, help="which limits to add up")
def sla(file: Path, start: str, which: str) -> None:
    """Critical path of workflow FILE in working days, and whether its limit holds.

    Exit 0 when every stage and the whole fit their limits, 1 when one does not.
    """
    from onething.calendar import WorkCalendar
    from onething.sla import analyse

    try:
        begin = date.fromisoformat(start)
    except ValueError:
        raise click.BadParameter(f"{start!r} is not a date like 2026-09-30",
                                 param_hint="--start") from None
    workflow = _load_or_exit(file)
    report = analyse(workflow, begin, WorkCalendar(), which)
    out.print(f"[bold]{_escape(workflow.title)}[/bold]: {which} limits from {begin}")
    for s in report.segments:
        mark = "[green]ok[/green]" if s.holds else "[red]OVER[/red]"
        end = s.end.date.isoformat() if s.end else "-"
        limit = f"{s.declared.normalize():f} WD" if s.declared is not None else "-"
        provisional = " (provisional)" if s.end is not None and s.end.provisional else ""
        out.print(f"  {s.id:<28} {s.start} -> {end}{provisional}  limit {limit:>7}  "
                  f"critical path {s.critical.normalize():f} WD  {mark}")
        out.print(f"      {_escape(' -> '.join(s.path))}")
    total = f"{report.total.normalize():f} WD"
    limit = f"{report.limit.normalize():f} WD" if report.limit is not None else "none"
    colour = "green" if report.holds else "red"
    out.print(f"[{colour}]total {total} against the workflow's {which} limit of "
              f"{limit}: {'holds' if report.holds else 'does NOT hold'}[/{colour}]")
    for note in report.notes:
        out.print(f"  note: {_escape(note)}")
    for advice in report.advice():
        out.print(f"  [yellow]{_escape(advice)}[/yellow]")
    sys.exit(0 if report.holds else 1)


# -- demo --------------------------------------------------------------------------------------


@cli.command()
@click.option("--db", "db_path", type=click.Path(path_type=Path),
              default=Path("onething-demo.sqlite3"), show_default=True,
              help="the SQLite file the demo writes (replaced if it exists)")
def demo(db_path: Path) -> None:
    """Run one enterprise start-up case from the single form to the single delivery."""
    from onething.demo import run_demo
    from onething.stores.sqlite import SqliteStore

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    store = SqliteStore(db_path)
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
    out.print(f"stored in [bold]{db_path.resolve()}[/bold] (SQLite, WAL, synchronous=FULL)")


def _timeline(history: list[Any]) -> None:
    from onething.engine.timeline import timeline

    for line in timeline(history):
        out.print(_escape(line))


def main() -> None:
    """Entry point of the console script; library errors become one clear line."""
    try:
        cli.main(standalone_mode=True)
    except OnethingError as exc:
        err.print(f"[red]error:[/red] {_escape(str(exc))}")
        sys.exit(EXIT_INVALID)
