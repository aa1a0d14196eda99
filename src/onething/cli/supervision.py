"""``onething supervision``: 电子监察 records of cases, as JSON or CSV."""

from __future__ import annotations

import click

from onething.cli._shared import db_option, engine_on, json_out, new_table, scrub
from onething.cli.common import cli, moment, out, remember_format


@cli.command()
@click.argument("case_ids", nargs=-1, metavar="[CASE_ID]...")
@click.option("--now", help="the moment the records describe, with its zone "
              "(2026-10-08T09:00+08:00; default: now): a fixed --now makes an export "
              "reproducible")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True, callback=remember_format,
              help="json: an array of records; csv: a header row, then a row per record")
def supervision(case_ids: tuple[str, ...], now: str | None, db: str, fmt: str) -> None:
    """The 电子监察 records of CASE_IDs (none: every case): for each clock of each case — the
    case's, each step's, each special procedure's, the delivery's — its limits and due dates,
    the working days used and paused, and its state (normal, warning, overdue, paused, met,
    late). Nothing personal is in a record (docs/supervision.md)."""
    from onething.cases.supervision import csv_text
    from onething.errors import InvalidArgument
    from onething.workdays.clock import SHANGHAI, local_text

    try:
        when = moment(now, "--now")
    except click.BadParameter as exc:  # one line, like every other error (exit 2)
        raise InvalidArgument(f"--now: {exc.message}") from None
    with engine_on(db) as engine:
        found = engine.supervision(case_ids or None, now=when)
    if fmt == "json":
        json_out([r.to_json() for r in found])
        return
    if fmt == "csv":
        click.echo(csv_text(scrub(r.to_json()) for r in found), nl=False)
        return
    table = new_table("case", "clock", "department", "limit", "due", "used WD", "paused WD",
                      "state")
    for r in found:
        limits = " / ".join(t for t in (r.committed, r.statutory) if t) or "-"
        if r.extension:
            limits += f" +{r.extension}"
        due = r.committed_due or r.statutory_due
        shown = f"{due.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" + (
            " (provisional)" if r.provisional else "") if due is not None else "-"
        state = r.state.value + (f" ({r.paused_reason})" if r.paused and r.paused_reason
                                 else "")
        table.add_row(r.case, r.clock, r.department, limits, shown, str(r.used_days),
                      str(r.paused_days), state)
    if found:
        out.print(f"as of {local_text(found[0].as_of)}")
    out.print(table)
    out.print(f"{len(found)} clock(s)")
