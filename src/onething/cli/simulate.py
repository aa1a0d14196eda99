"""``onething simulate``: a Monte Carlo of a workflow's lead times, with its durations from a
file or fitted from a database's history, printed as a table (Chinese by default) or JSON,
with charts on request (docs/simulation.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from onething.cli._shared import json_out
from onething.cli.common import cli, lang, load_or_exit, out, remember_format


@cli.command()
@click.argument("workflow")
@click.option("--cases", type=click.IntRange(1, 10_000_000), default=10_000, show_default=True,
              help="how many cases to simulate")
@click.option("--durations", "durations_file", type=click.Path(path_type=Path),
              help="a durations file (YAML): each step's working days, corrections, special "
              "procedures, refusals, forms, intake, start and arrivals (docs/simulation.md)")
@click.option("--fit-db", "fit_db", metavar="DB",
              help="a database (SQLite file or postgresql://...) whose delivered cases give "
              "each step the file leaves out its observed working days")
@click.option("--start", help="the first day cases arrive, e.g. 2026-10-08 (default: the "
              "durations file's start, else today)")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="the same seed gives the same cases")
@click.option("--charts", "charts_dir", type=click.Path(path_type=Path, file_okay=False),
              help="write the lead-time histogram and the critical steps there (PNG and SVG)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, callback=remember_format)
@click.option("--lang", "language", type=click.Choice(["zh", "en"]), default=None,
              help="the language of the table and charts (default: onething --lang)")
def simulate(workflow: str, cases: int, durations_file: Path | None, fit_db: str | None,
             start: str | None, seed: int, charts_dir: Path | None, fmt: str,
             language: str | None) -> None:
    """Simulate CASES cases of WORKFLOW (a workflow file; with --fit-db also the id of a
    workflow deployed there) and report the lead time on the case clock — p50, p90, p99,
    the share within the committed and statutory limits, each stage's — and how often each
    step is on the critical path. Exit 2 on a bad workflow, durations file or option."""
    from onething.errors import InvalidArgument
    from onething.simulate.durations_file import read_durations
    from onething.simulate.report import SimulationReport
    from onething.simulate.simulation import simulate as run

    first = None
    if start is not None:
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise InvalidArgument(f"--start: {start[:40]!r} is not a date like 2026-10-08") \
                from None
    observed = None
    path = Path(workflow)
    if path.exists() or fit_db is None:
        loaded = load_or_exit(path)
    if fit_db is not None:
        from onething.cli._shared import engine_on

        with engine_on(fit_db) as engine:
            if not path.exists():
                loaded = engine.deployed(workflow).workflow
            observed = engine.observed_step_days(loaded.id)
    durations = read_durations(durations_file, loaded) if durations_file is not None \
        else None
    result = run(loaded, cases, durations=durations, start=first, seed=seed,
                 observed=observed)
    report = SimulationReport.of(result)
    words = language or lang()
    written = report.charts(charts_dir, words) if charts_dir is not None else []
    if fmt == "json":
        json_out(report.to_json() | {"charts": [str(p) for p in written]})
        return
    out.print(report.text(words), markup=False)
    for chart in written:
        out.print(str(chart), markup=False)
