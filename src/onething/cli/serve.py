"""``onething serve``: the HTTP API and the pages of the hall (docs/http.md)."""

from __future__ import annotations

import ipaddress
import os

import click

from onething.cli._shared import db_option
from onething.cli.common import LOG_FORMAT_KEY, cli, out


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="the address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--auth", type=click.Choice(["dev", "trusted-headers"]), default="dev",
              show_default=True, help="who says who asks: dev, a fixed list of demo people "
              "to sign in as (loopback only); trusted-headers, the X-Onething-Actor header "
              "a sign-on gateway in front sets")
@click.option("--gateway-secret", envvar="ONETHING_GATEWAY_SECRET",
              help="with trusted-headers: trust the header only on requests that carry this "
              "secret in X-Onething-Gateway-Secret (also $ONETHING_GATEWAY_SECRET)")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="server processes (PostgreSQL only: SQLite is served by one process)")
@click.option("--demo", is_flag=True, help="deploy the shipped workflows into the database "
              "first (making an SQLite file that does not exist)")
def serve(db: str, host: str, port: int, auth: str, gateway_secret: str | None, workers: int,
          demo: bool) -> None:
    """Serve the HTTP API (/api/v1, OpenAPI at /api/v1/openapi.json) and the pages of the
    hall (/) until interrupted. Needs: pip install 'onething[web]'."""
    from onething.errors import InvalidArgument
    from onething.stores import is_url
    from onething.web import serving

    try:
        import uvicorn
        from uvicorn.config import LOGGING_CONFIG
    except ImportError:
        raise InvalidArgument("onething serve needs the web extra",
                              "pip install 'onething[web]'") from None
    if auth == "dev" and not _loopback(host):
        raise InvalidArgument(f"--auth dev lets anybody sign in as anybody: it listens on "
                              f"loopback only, not {host}",
                              "put a sign-on gateway in front and use --auth trusted-headers")
    if workers > 1 and not is_url(db):
        raise InvalidArgument("an SQLite database is served by one process",
                              "give --workers 1, or a postgresql:// database")
    serving.prepare(db, demo=demo)  # a database that cannot be served: one line, here
    os.environ.update({serving.DB: db, serving.AUTH: auth})
    json_logs = click.get_current_context().meta.get(LOG_FORMAT_KEY) == "json"
    if json_logs:  # each server process logs JSON (uvicorn's loggers too: no config of its own)
        os.environ[serving.LOG_FORMAT] = "json"
    if gateway_secret:
        os.environ[serving.SECRET] = gateway_secret
    out.print(f"onething serving {'the demo ' if demo else ''}on http://{host}:{port}/ "
              f"(API: /api/v1, OpenAPI: /api/v1/openapi.json); Ctrl-C stops it")
    uvicorn.run("onething.web.serving:app_from_environment", factory=True, host=host,
                port=port, workers=workers, log_level="info", server_header=False,
                log_config=None if json_logs else LOGGING_CONFIG)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
