"""Commands for people who write workflows: check, schema, graph, export, sla."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from onething.cli.common import (
    EXIT_INVALID,
    EXIT_SOUND,
    EXIT_UNDECIDED,
    EXIT_UNSOUND,
    cli,
    escape,
    load_or_exit,
    out,
    print_diagnostics,
)
from onething.soundness.limits import DEFAULT_BUDGET


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
    from onething.language.load import read
    from onething.soundness.proof import check as prove

    worst = EXIT_SOUND
    reports = []
    for path in files:
        result = read(path)
        entry: dict[str, Any] = {"file": str(path), "valid": result.ok,
                                 "diagnostics": [d.to_json() for d in result.diagnostics]}
        if fmt == "text":
            print_diagnostics(path, result.diagnostics, result.ok)
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
                out.print(f"[{colour}]{escape(violation.render())}[/{colour}]")
            colour = "green" if report.sound else "red"
            out.print(f"[{colour}]{escape(report.summary())}[/{colour}]")
    if fmt == "json":
        click.echo(json.dumps({"files": reports}, ensure_ascii=False, indent=2))
    sys.exit(worst)


def _worse(a: int, b: int) -> int:
    """Combine exit codes: invalid input beats undecided beats unsound beats sound."""
    rank = {EXIT_SOUND: 0, EXIT_UNSOUND: 1, EXIT_UNDECIDED: 2, EXIT_INVALID: 3}
    return a if rank[a] >= rank[b] else b


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the workflow language (for editors)."""
    from onething.language.schema import schema_text

    click.echo(schema_text())


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "svg"]),
              default="mermaid", show_default=True,
              help="svg is a self-contained image, laid out without Graphviz")
def graph(file: Path, fmt: str) -> None:
    """Draw workflow FILE as a Mermaid, Graphviz or SVG diagram."""
    from onething.diagram import render

    workflow = load_or_exit(file)
    click.echo(render(workflow, fmt))


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
    from onething.errors import NotAWorkflowNet
    from onething.soundness.classical import check_workflow_net
    from onething.soundness.pnml import export_pnml

    plain = {"markup": False}
    workflow = load_or_exit(file)
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
    from onething.sla import analyse
    from onething.workdays import WorkCalendar

    try:
        begin = date.fromisoformat(start)
    except ValueError:
        raise click.BadParameter(f"{start!r} is not a date like 2026-09-30",
                                 param_hint="--start") from None
    workflow = load_or_exit(file)
    report = analyse(workflow, begin, WorkCalendar(), which)
    out.print(f"[bold]{escape(workflow.title)}[/bold]: {which} limits from {begin}")
    for s in report.segments:
        mark = "[green]ok[/green]" if s.holds else "[red]OVER[/red]"
        end = s.end.date.isoformat() if s.end else "-"
        limit = f"{s.declared.normalize():f} WD" if s.declared is not None else "-"
        provisional = " (provisional)" if s.end is not None and s.end.provisional else ""
        out.print(f"  {s.id:<28} {s.start} -> {end}{provisional}  limit {limit:>7}  "
                  f"critical path {s.critical.normalize():f} WD  {mark}")
        out.print(f"      {escape(' -> '.join(s.path))}")
    total = f"{report.total.normalize():f} WD"
    colour = "green" if report.holds else "red"
    verdict = "holds" if report.holds else "does NOT hold"
    if report.limit is None:  # nothing to judge the whole against: say so, not "limit of none"
        out.print(f"[{colour}]total {total}; the workflow declares no {which} limit for the "
                  f"whole (each step and stage keeps its own): {verdict}[/{colour}]")
    else:
        out.print(f"[{colour}]total {total} against the workflow's {which} limit of "
                  f"{report.limit.normalize():f} WD: {verdict}[/{colour}]")
    for note in report.notes:
        out.print(f"  note: {escape(note)}")
    for reason in report.provisional_reasons:
        out.print(f"  provisional: {escape(reason)}")
    for advice in report.advice():
        out.print(f"  [yellow]{escape(advice)}[/yellow]")
    sys.exit(0 if report.holds else 1)
