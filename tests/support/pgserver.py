"""A throwaway PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` in a temporary directory.

Fixtures (load this module as a plugin: ``pytest_plugins = ["tests.support.pgserver"]``):

- ``pg_url`` (session): ``postgresql://onething@127.0.0.1:PORT/postgres`` of a server started
  for this test run and stopped (its directory removed) at the end;
- ``pg_database`` (function): the URL of a fresh, empty database, dropped afterwards;
- ``pg_store`` (function): a :class:`~onething.stores.postgres.PostgresStore` on it.

Without the server binaries (or without psycopg) the tests that use them are skipped, with the
reason in the summary, except under ``CI=true``, where that is a failure. ``initdb`` refuses
to run as root, so as root the server runs as the Debian ``postgres`` user, or as a system
user ``onething-pg`` created for it.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

NO_SERVER = ("PostgreSQL server binaries not installed (initdb/pg_ctl); install Debian's "
             "postgresql to run these tests")
NO_DRIVER = "psycopg 3 not installed; pip install 'onething[postgres]' to run these tests"
SYSTEM_USER = "onething-pg"

# what the summary says about the server (or why there was none)
_report: list[str] = []


def find_bindir() -> Path | None:
    """A directory holding both ``initdb`` and ``pg_ctl``: PATH first, then Debian's
    ``/usr/lib/postgresql/<version>/bin``, newest version first."""
    candidates = []
    found = shutil.which("initdb")
    if found:
        candidates += [Path(found).parent, Path(found).resolve().parent]

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    candidates += [Path(p) for p in
                   sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)]
    for directory in candidates:
        if all(os.access(directory / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            return directory
    return None


def unavailable(reason: str) -> None:
    """Skip, or fail under CI=true, where every test must run."""
    _report.append(f"PostgreSQL tests {'FAILED' if _in_ci() else 'skipped'}: {reason}")
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)", pytrace=False)
    pytest.skip(reason)


def _in_ci() -> bool:
    return os.environ.get("CI") == "true"


class PgServer:
    """One PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = 0
        self.startup_seconds = 0.0
        self.base = Path(tempfile.mkdtemp(prefix="onething-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self._ids: tuple[int, int] | None = None
        self._running = False
        if os.geteuid() == 0:
            self._ids = _unprivileged_ids()
            os.chown(self.base, *self._ids)

    @property
    def url(self) -> str:
        return f"postgresql://onething@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        extra = {}
        if self._ids is not None:
            extra = {"user": self._ids[0], "group": self._ids[1], "extra_groups": []}
        out = self.base / "command.out"
        with out.open("w") as sink:
            done = subprocess.run([str(self.bindir / args[0]), *args[1:]], cwd=self.base,
                                  env=env, stdin=subprocess.DEVNULL, stdout=sink,
                                  stderr=subprocess.STDOUT, timeout=timeout, check=False,
                                  text=True, **extra)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n"
                               f"{out.read_text(errors='replace')[-2000:]}\n{log}")
        return done

    def start(self) -> None:
        began = time.perf_counter()
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "onething",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        for attempt in range(3):
            self.port = _free_port()
            options = (f"-k {self.base} -p {self.port} -c listen_addresses=127.0.0.1 "
                       "-c fsync=on")
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w",
                          "-t", "30", "-o", options, "start")
            except RuntimeError:
                if attempt == 2:  # the port was taken meanwhile three times, or worse
                    raise
                continue
            break
        self._running = True
        atexit.register(self.stop)
        self.startup_seconds = time.perf_counter() - began

    def stop(self) -> None:
        if self._running:
            self._running = False
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


def _unprivileged_ids() -> tuple[int, int]:
    """(uid, gid) of Debian's ``postgres`` user, else of a system user created for this."""
    for name in ("postgres", SYSTEM_USER):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                    "--shell", "/usr/sbin/nologin", SYSTEM_USER], check=True,
                   capture_output=True)
    entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = find_bindir()
    if bindir is None:
        unavailable(NO_SERVER)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable(NO_DRIVER)
    server = PgServer(bindir)
    try:
        server.start()
        _report.append(f"PostgreSQL for the tests: {bindir}, 127.0.0.1:{server.port}, "
                       f"started in {server.startup_seconds:.2f} s")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> str:
    return pg_server.url


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[str]:
    import psycopg

    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_store(pg_database: str) -> Iterator[object]:
    from onething.stores.postgres import PostgresStore

    store = PostgresStore(pg_database)
    try:
        yield store
    finally:
        store.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in dict.fromkeys(_report):
        terminalreporter.write_line(line)
