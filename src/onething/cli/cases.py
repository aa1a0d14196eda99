"""Commands that run cases: the demo, and (against a database) the case commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from onething.cli.common import cli, escape, out


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
        out.print(escape(line))
