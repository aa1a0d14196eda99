"""Commands about time: due dates and the calendar's data."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click

from onething.cli.common import EXIT_INVALID, cli, err, escape, out


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
    from onething.errors import CalendarError, DurationError
    from onething.workdays import CalendarOverrides, Duration, WorkCalendar
    from onething.workdays import explain as explain_due

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
        err.print(f"[red]{escape(str(exc))}[/red]")
        sys.exit(EXIT_INVALID)
    line = f"{result.date.isoformat()} ({result.deadline.strftime('%A %H:%M %Z')})"
    if result.provisional:
        line += "  PROVISIONAL"
    out.print(line)
    for reason in result.reasons:
        out.print(f"  provisional: {escape(reason)}")
    if explain:
        for text in explain_due(result):
            out.print(f"  {escape(text)}")


# -- the calendar's data ----------------------------------------------------------------------


@cli.group()
def calendar() -> None:
    """The working-day calendar's data: show it, or adopt a newer schedule."""


@calendar.command("show")
@click.option("--overrides", type=click.Path(path_type=Path, exists=True))
def calendar_show(overrides: Path | None) -> None:
    """Which years have official data, and the data version cases record."""
    from onething.workdays import CalendarOverrides, WorkCalendar
    from onething.workdays.projection import later_years

    table = CalendarOverrides.load(overrides) if overrides else None
    cal = WorkCalendar(table)
    out.print(f"data: {escape(cal.data_version)}")
    for line in later_years(cal.official_through, cal.official_years):
        out.print(escape(line))


@calendar.command("refresh")
@click.option("--db", "db", envvar="ONETHING_DB", required=True,
              help="the cases' database: an SQLite file or a postgresql:// URL")
@click.option("--overrides", type=click.Path(path_type=Path, exists=True),
              help="a YAML table with the new schedule (official_years, days_off, ...)")
def calendar_refresh(db: str, overrides: Path | None) -> None:
    """Recompute open cases' due dates on the newest calendar data; record it in each history.

    Run it after upgrading the holidays package, or with --overrides holding a new notice.
    """
    from onething.engine.engine import Engine
    from onething.stores import open_store
    from onething.workdays import CalendarOverrides, WorkCalendar

    table = CalendarOverrides.load(overrides) if overrides else None
    store = open_store(db, create=False)
    try:
        changed = Engine(store).refresh_calendar(WorkCalendar(table))
    finally:
        store.close()
    out.print(f"{len(changed)} open case(s) recomputed" + (": " + ", ".join(changed)
                                                             if changed else ""))
