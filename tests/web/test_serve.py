"""``onething serve``: the settings it refuses (one clear line, exit 2 or 4), and the real
server — uvicorn on a port — answering on SQLite (one process) and PostgreSQL (two)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from onething.cli import cli
from tests.support.servers import serving
from tests.support.web import submission

ID_NUMBER = "430381199001011234"


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result


def test_the_development_sign_in_listens_on_loopback_only(tmp_path: Path) -> None:
    result = invoke("serve", "--host", "0.0.0.0", "--db", str(tmp_path / "c.sqlite3"))
    assert result.exit_code == 2
    assert "loopback" in result.output and len(result.output.strip().splitlines()) == 1


def test_sqlite_is_served_by_one_process(tmp_path: Path) -> None:
    result = invoke("serve", "--workers", "2", "--db", str(tmp_path / "c.sqlite3"))
    assert result.exit_code == 2 and "one process" in result.output


def test_a_database_that_does_not_exist_is_not_made_without_demo(tmp_path: Path) -> None:
    result = invoke("serve", "--db", str(tmp_path / "missing.sqlite3"))
    assert result.exit_code == 4 and not (tmp_path / "missing.sqlite3").exists()


def _post(url: str, body: Any, user: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Onething-User": user})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_the_demo_server_serves_the_api_and_the_pages(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with serving("--demo", "--db", str(tmp_path / "demo.sqlite3"), log_to=log) as base:
        status, answer = _post(base + "/api/v1/cases", submission(), "zhang-san")
        assert status == 201, answer
        status, answer = _post(f"{base}/api/v1/cases/{answer['case']}/accept", {}, "window-3")
        assert status == 200 and answer["version"] == 1
        with urllib.request.urlopen(base + "/", timeout=10) as home:
            page = home.read().decode()
        assert "一件事一次办" in page and "window-3" in page
        with urllib.request.urlopen(base + "/static/htmx.min.js", timeout=10) as script:
            assert script.status == 200
        try:  # a personal number in an address: never in the server's log
            urllib.request.urlopen(f"{base}/api/v1/cases/{ID_NUMBER}", timeout=10)
        except urllib.error.HTTPError as unknown:
            assert unknown.code in (401, 404)
    assert (tmp_path / "demo.sqlite3").exists()
    written = log.read_text(encoding="utf-8")
    assert '"GET /api/v1/cases/430*************34 HTTP/1.1" 401' in written
    assert ID_NUMBER not in written and "Logging error" not in written


def test_two_server_processes_on_postgresql(pg_database: str) -> None:
    with serving("--demo", "--db", pg_database, "--workers", "2") as base:
        made = [_post(base + "/api/v1/cases", submission(), "zhang-san") for _ in range(6)]
        assert [status for status, _ in made] == [201] * 6
        assert len({answer["case"] for _, answer in made}) == 6


@pytest.mark.parametrize("args", [("--help",), ("serve", "--help")])
def test_help_loads_no_server(args: tuple[str, ...]) -> None:
    import subprocess
    import sys

    code = ("import sys, runpy; sys.argv = ['onething', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('onething', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('fastapi', 'uvicorn', "
            "'onething.web', 'starlette'))))")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
