"""What every command shares: consoles, exit codes, loading a workflow or exiting."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from onething.engine.errors import OnethingError
from onething.spec.load import read
from onething.spec.location import Diagnostic, Severity
from onething.spec.values import mask_text

EXIT_SOUND, EXIT_UNSOUND, EXIT_INVALID, EXIT_UNDECIDED = 0, 1, 2, 3


class MaskingConsole(Console):
    """A console that masks identity and phone numbers in every text it prints (the case
    commands show form values only through ``masked_form``; this catches any that free text,
    such as a reason or an error message, may quote)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(mask_text(o) if isinstance(o, str) else o for o in objects), **kwargs)


out = MaskingConsole(highlight=False, soft_wrap=True, emoji=False)
err = MaskingConsole(stderr=True, highlight=False, soft_wrap=True, emoji=False)


class Group(click.Group):
    """The command group: a library error (refused action, unknown case, ...) becomes one
    clear line on stderr and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OnethingError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            ctx.exit(EXIT_INVALID)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="onething")
def cli() -> None:
    """onething: 一件事一次办 workflows - check, draw and run them."""


def print_diagnostics(path: Path, diagnostics: tuple[Diagnostic, ...], ok: bool) -> None:
    for d in diagnostics:
        colour = "red" if d.severity is Severity.ERROR else "yellow"
        out.print(f"[{colour}]{escape(d.render())}[/{colour}]")
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    if ok:
        if warnings:
            out.print(f"[yellow]{path}: valid, {warnings} warning(s)[/yellow]")
    else:
        out.print(f"[red]{path}: invalid: {errors} error(s), {warnings} warning(s)[/red]")


def escape(text: str) -> str:
    """``text`` safe to print through rich (no markup read into it)."""
    return text.replace("[", r"\[")


def load_or_exit(file: Path) -> Any:
    """The workflow in ``file``, or its diagnostics printed and exit 2."""
    result = read(file)
    if not result.ok:
        print_diagnostics(file, result.diagnostics, False)
        sys.exit(EXIT_INVALID)
    return result.workflow
