"""``onething serve`` as a real process: started on a free port, waited for, stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(*args: str, cwd: Path | None = None, timeout: float = 60,
            log_to: Path | None = None) -> Iterator[str]:
    """``onething serve ARGS --port P`` running; yields its base URL; stopped after. Its
    output goes to ``log_to`` when given (a pipe nobody reads would fill up and stop it)."""
    import tempfile

    port = free_port()
    command = [sys.executable, "-m", "onething", "serve", *args, "--port", str(port)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (open(log_to, "w+", encoding="utf-8") if log_to is not None
          else tempfile.TemporaryFile(mode="w+", encoding="utf-8")) as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, text=True)
        try:
            yield _answering(f"http://127.0.0.1:{port}", process, log, timeout)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answering(base: str, process: subprocess.Popen[str], log: IO[str], timeout: float
               ) -> str:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"onething serve stopped: {log.read()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2):
                return base
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError("onething serve did not answer in time") from None
            time.sleep(0.1)


@contextmanager
def in_thread(app: object) -> Iterator[str]:
    """``app`` served by uvicorn in a thread of this process (its engine stays reachable from
    the test); yields the base URL."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
