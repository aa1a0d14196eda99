"""The ``onething`` command: a thin shell over the library (parse arguments, call, print)."""

from __future__ import annotations

import sys

from onething.cli import (
    authoring,
    cases,
    events,
    hall,
    operations,
    report,
    serve,
    simulate,
    staff,
    supervision,
    timecmds,
)
from onething.cli.common import cli, fail

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the console script: any error becomes one clear line and its
    documented exit code (see :mod:`onething.cli.common`)."""
    try:
        cli.main(standalone_mode=True)
    except (Exception, KeyboardInterrupt) as exc:  # outside any command: the same one line
        sys.exit(fail(exc))
