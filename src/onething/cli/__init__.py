"""The ``onething`` command: a thin shell over the library (parse arguments, call, print)."""

from __future__ import annotations

import sys

from onething.cli import authoring, cases, timecmds  # noqa: F401  (they register commands)
from onething.cli.common import EXIT_INVALID, cli, err, escape
from onething.engine.errors import OnethingError

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the console script; library errors become one clear line."""
    try:
        cli.main(standalone_mode=True)
    except OnethingError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(EXIT_INVALID)
