"""What every command shares: consoles, exit codes, turning any error into one clear line (in
the language ``--lang`` / ``$ONETHING_LANG`` chose, Chinese by default), and reading the values
people type."""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from onething.errors import ActionRefused, OnethingError, SubmissionRejected, masked
from onething.privacy.masking import clip

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rich.console import Console

    from onething.language.location import Diagnostic

#: Exit codes (docs/cli.md): 0 done (sound), 1 unsound / some cases refused / some timers
#: failed, 2 invalid input or a refused action, 3 undecided, 4 the database cannot be used,
#: 5 the database stayed busy (try again), 70 an internal error (a bug: please report it),
#: 130 interrupted.
EXIT_SOUND, EXIT_UNSOUND, EXIT_INVALID, EXIT_UNDECIDED = 0, 1, 2, 3
EXIT_DATABASE, EXIT_BUSY, EXIT_INTERNAL, EXIT_INTERRUPTED = 4, 5, 70, 130

#: the largest JSON file a command reads (a form, materials)
MAX_JSON_BYTES = 4 * 1024 * 1024

#: the languages of the message catalogs (onething.messages.LANGS), the default first
LANGS = ("zh", "en")
#: where the invocation keeps the chosen language and output format (click's shared meta)
LANG_KEY, FORMAT_KEY = "onething.lang", "onething.format"
#: where it keeps the format of the log (--log-format)
LOG_FORMAT_KEY = "onething.log_format"


def lang() -> str:
    """The language messages are printed in: ``--lang``, else ``$ONETHING_LANG``, else
    Chinese (what clerks and applicants read)."""
    ctx = click.get_current_context(silent=True)
    chosen = ctx.meta.get(LANG_KEY) if ctx is not None else None
    if chosen is None:
        env = os.environ.get("ONETHING_LANG", "").strip().lower()
        chosen = env if env in LANGS else LANGS[0]
    return str(chosen)


def worded(word: str, chinese: Mapping[str, str]) -> str:
    """``word`` (an English table word) in the language the invocation chose: its Chinese
    from ``chinese`` by default, itself with ``--lang en``."""
    return chinese.get(word, word) if lang() == "zh" else word


def remember_format(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """``--format``'s callback: an error met later is printed as JSON when it is ``json``."""
    ctx.meta[FORMAT_KEY] = value
    return value


class MaskingConsole:
    """A console that masks identity and phone numbers in every text it prints (the case
    commands show form values only through ``masked_form``; this catches any that free text,
    such as a reason or an error message, may quote). The ``rich`` console behind it is made
    on the first print, so ``onething --help`` does not load it."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print like :meth:`rich.console.Console.print`, masked."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False, soft_wrap=True,
                                    emoji=False)
        self._console.print(*(masked(o) if isinstance(o, str) else o for o in objects),
                            **kwargs)


out = MaskingConsole()
err = MaskingConsole(stderr=True)


def exit_code_of(exc: BaseException) -> int:
    """The documented exit code for an error a command met."""
    from onething.errors import StoreBusy, StoreCorrupt, StoreUnavailable

    if isinstance(exc, (StoreUnavailable, StoreCorrupt)):
        return EXIT_DATABASE
    if isinstance(exc, StoreBusy):
        return EXIT_BUSY
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, (OnethingError, OSError, RecursionError, MemoryError)):
        return EXIT_INVALID
    return EXIT_INTERNAL


def explain(exc: BaseException) -> str:
    """One line saying what went wrong (masked, never a traceback); a refusal or a rejected
    submission in the chosen language (:func:`lang`)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, (ActionRefused, SubmissionRejected)):
        return exc.text(lang())
    if isinstance(exc, OnethingError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"cannot use {exc.filename}: {exc.strerror or type(exc).__name__}"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(exc, MemoryError):
        return "the input is too large to read"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}"
    return (f"internal error ({type(exc).__name__}: {clip(exc, 200)}); this is a bug in "
            "onething: please report it (ONETHING_DEBUG=1 shows the traceback)")


def fail(exc: BaseException) -> int:
    """Print ``exc`` as one line on stderr and return its exit code. Under ``--format json``
    a refusal or a rejected submission is printed as JSON instead (schemas/error.json):
    ``{"error": {"code", "kind", "subject", "params", "text", "message", ...}}``."""
    code = exit_code_of(exc)
    if code == EXIT_INTERNAL and os.environ.get("ONETHING_DEBUG"):
        err.print(escape(masked("".join(traceback.format_exception(exc)))))
    ctx = click.get_current_context(silent=True)
    if isinstance(exc, (ActionRefused, SubmissionRejected)) and ctx is not None \
            and ctx.meta.get(FORMAT_KEY) == "json":
        click.echo(json.dumps({"error": error_json(exc)}, ensure_ascii=False, indent=2),
                   err=True)
        return code
    label = f"error[{exc.code}]" if isinstance(exc, (ActionRefused, SubmissionRejected)) \
        else "error"
    err.print(f"[red]{escape(label)}:[/red] {escape(masked(explain(exc)))}")
    return code


def error_json(exc: ActionRefused | SubmissionRejected) -> dict[str, Any]:
    """A refusal or a rejected submission as JSON: its catalog message (code, kind, subject,
    params, text in each language), the English ``message`` and ``hint``, and for a
    submission every problem."""
    data: dict[str, Any] = {**exc.ui.to_json()}
    if isinstance(exc, SubmissionRejected):
        data["message"], data["hint"] = str(exc), ""
        data["problems"] = [p.to_json() for p in exc.problems]
    else:
        data["message"], data["hint"] = exc.message, exc.hint
    return data


class Group(click.Group):
    """The command group: any error a command meets (a refused action, an unknown case, a
    broken file or database, a bug) becomes one clear line on stderr and its documented exit
    code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            ctx.exit(fail(exc))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="onething")
@click.option("--lang", envvar="ONETHING_LANG", default=LANGS[0], show_default=True,
              callback=lambda ctx, param, value: _language(value), metavar="zh|en",
              help="the language of refusals, problems and lists: zh (Chinese) or en "
              "(English), also as a tag such as zh-CN or en_US; also $ONETHING_LANG")
@click.option("--log-format", envvar="ONETHING_LOG_FORMAT", default="text", show_default=True,
              type=click.Choice(["text", "json"], case_sensitive=False),
              help="json: log to stderr as one JSON object a line (time, level, logger, "
              "message, trace and span ids; onething's records from INFO), masked; also "
              "$ONETHING_LOG_FORMAT")
@click.pass_context
def cli(ctx: click.Context, lang: str, log_format: str) -> None:
    """onething: 一件事一次办 workflows - check, draw and run them."""
    ctx.meta[LANG_KEY] = lang
    ctx.meta[LOG_FORMAT_KEY] = log_format = log_format.lower()
    if log_format == "json":
        from onething.telemetry import json_logging

        json_logging()


def _language(value: str) -> str:
    """``--lang`` / ``$ONETHING_LANG`` as a catalog's language (``zh-CN`` is ``zh``)."""
    from onething.messages.catalog import language

    try:
        return language(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--lang / $ONETHING_LANG") from None


def print_diagnostics(path: Path, diagnostics: tuple[Diagnostic, ...], ok: bool) -> None:
    """Print each diagnostic, then a summary line."""
    from onething.language.location import Severity

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
    from onething.language.load import read

    result = read(file)
    if not result.ok:
        print_diagnostics(file, result.diagnostics, False)
        sys.exit(EXIT_INVALID)
    return result.workflow


def read_json(source: str, what: str) -> dict[str, Any]:
    """The JSON object in file ``source`` (``-``: standard input), or a clear refusal."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_JSON_BYTES + 1)
        else:
            path = Path(source)
            if path.is_dir():
                raise click.BadParameter(f"{source} is a directory, not a JSON file",
                                         param_hint=what)
            with path.open("rb") as handle:
                raw = handle.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {source}: {exc.strerror or exc}",
                                 param_hint=what) from None
    if len(raw) > MAX_JSON_BYTES:
        raise click.BadParameter(f"{source} is larger than {MAX_JSON_BYTES // 1024 // 1024} MB",
                                 param_hint=what)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{source} is not UTF-8 text (byte {exc.start})",
                                 param_hint=what) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{source}: not JSON ({exc.msg} at line {exc.lineno}, "
                                 f"column {exc.colno})", param_hint=what) from None
    except RecursionError:
        raise click.BadParameter(f"{source}: nested too deeply", param_hint=what) from None
    if not isinstance(data, dict):
        raise click.BadParameter(f"{source}: expected a JSON object of names to values",
                                 param_hint=what)
    return data


def moment(text: str | None, what: str) -> datetime | None:
    """An ISO time with its zone (``2026-10-08T09:00+08:00``), or a clear refusal."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{masked(text)[:40]!r} is not a time like "
                                 "2026-10-08T09:00+08:00", param_hint=what) from None
    if value.tzinfo is None:
        raise click.BadParameter(f"{clip(text, 40)!r} has no time zone: write it with one, e.g. "
                                 "2026-10-08T09:00+08:00", param_hint=what)
    return value


def seconds(value: float | None, what: str) -> float | None:
    """A finite, positive number of seconds, or a clear refusal."""
    if value is None:
        return None
    if not math.isfinite(value) or value <= 0 or value > 10 ** 9:
        raise click.BadParameter(f"{value!r} is not a number of seconds", param_hint=what)
    return value
