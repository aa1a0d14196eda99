"""What the case commands share: the database option, an engine on it, JSON output, and
reading actors, fields and materials from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from onething.cases.records import Actor
    from onething.engine.engine import Engine
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from onething.cli.common import escape, out, remember_format
from onething.errors import masked


def print_timeline(history: list[Any]) -> None:
    from onething.cases.timeline import timeline

    for line in timeline(history):
        out.print(escape(line))


DB_HELP = ("the cases' database: an SQLite file, or postgresql://user@host/db "
           "(default: $ONETHING_DB, else onething.sqlite3)")


def db_option(command: Any) -> Any:
    return click.option("--db", "db", envvar="ONETHING_DB", default="onething.sqlite3",
                        show_default=True, help=DB_HELP)(command)


def format_option(command: Any) -> Any:
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                        default="text", show_default=True, callback=remember_format)(command)


@contextmanager
def engine_on(db: str, *, create: bool = False) -> Iterator[Engine]:
    """An engine on the database named by ``db``, closed afterwards. Only ``deploy`` creates
    a database: every other command refuses one that does not exist (a mistyped path)."""
    from onething.stores import open_store

    store = open_store(db, create=create)
    try:
        from onething.engine.engine import Engine

        yield Engine(store)
    finally:
        store.close()


def json_out(data: Any) -> None:
    """Print ``data`` as typed JSON (:func:`~onething.cases.typed_json.public_json`: numbers,
    booleans, null, times in Asia/Shanghai with their offset), free text masked. A value
    json_value does not know is an error, never its ``str()``."""
    from onething.cases.typed_json import public_json

    click.echo(json.dumps(public_json(data), ensure_ascii=False, indent=2))


def scrub(data: Any) -> Any:
    """``data`` with identity and phone numbers masked in every text in it
    (:func:`~onething.cases.typed_json.scrubbed`)."""
    from onething.cases.typed_json import scrubbed

    return scrubbed(data)


def pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out_ = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep:  # the value is not quoted back: it may be personal data
            raise click.BadParameter(f"a {what} has no '=': write each {what} as name=value")
        out_[name] = text
    return out_


def materials_of(values: tuple[str, ...], licences: tuple[str, ...] = ()) -> dict[str, Any]:
    """``--material name=ref`` or ``--material name=ref#sha256=<64 hex digits>``, and
    ``--licence name=<electronic licence identifier>`` (with or without a reference)."""
    from onething.cases.forms import HASH_SUFFIX

    given: dict[str, Any] = {}
    for name, text in pairs(values, "--material").items():
        found = HASH_SUFFIX.search(text)
        given[name] = {"ref": text[:found.start()], "sha256": found.group(1)} if found \
            else text
    for name, licence in pairs(licences, "--licence").items():
        ref = given.get(name)
        given[name] = {**(ref if isinstance(ref, dict) else
                          {} if ref is None else {"ref": ref}), "licence": licence}
    return given


def actor_of(text: str) -> Actor:
    """The actor ``--as`` names (``department:wang@tax``), or a usage error."""
    from onething.cases.records import Actor, Role

    try:
        return Actor.parse(text)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise click.BadParameter(masked(f"{text!r}: write ROLE:ID[@DEPARTMENT] with ROLE "
                                           f"one of {roles}, e.g. department:wang@tax")) \
            from None


def new_table(*columns: str) -> Table:
    """A plain table with these columns (rich is loaded here, not at start)."""
    from rich.table import Table

    made = Table(show_edge=False, header_style="bold")
    for column in columns:
        made.add_column(column)
    return made
