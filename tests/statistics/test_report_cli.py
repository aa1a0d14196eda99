"""``onething report``: tables in Chinese (English with --lang en), charts as PNG and SVG, and
one clear line with its exit code for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from onething.cli import cli
from onething.engine.engine import Engine
from onething.stores.sqlite import SqliteStore
from onething.workdays import FixedClock
from tests.support.factories import START
from tests.support.stats_oracle import hall


@pytest.fixture(scope="module")
def hall_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "hall.sqlite3"
    clock = FixedClock(START)
    store = SqliteStore(path)
    hall(Engine(store, clock=clock), clock, seed=3, cases=30)
    store.close()
    return path


def test_the_tables_are_in_chinese_and_in_english(hall_db: Path) -> None:
    zh = CliRunner().invoke(cli, ["report", "--db", str(hall_db), "--period", "month"])
    assert zh.exit_code == 0, zh.output
    assert "按时办结率" in zh.output and "一次办结率" in zh.output and "好差评" in zh.output
    en = CliRunner().invoke(cli, ["--lang", "en", "report", "--db", str(hall_db)])
    assert en.exit_code == 0 and "on time" in en.output and "按时办结率" not in en.output


def test_charts_are_written_as_png_and_svg(hall_db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "charts"
    done = CliRunner().invoke(cli, ["report", "--db", str(hall_db), "--charts", str(folder),
                                    "--format", "json"])
    assert done.exit_code == 0, done.output
    names = sorted(p.name for p in folder.iterdir())
    assert "lead-time-enterprise-startup.png" in names and "weekly-trend.svg" in names
    assert "overdue-by-department.png" in names
    svg = (folder / "lead-time-enterprise-startup.svg").read_text(encoding="utf-8")
    assert "承诺时限" in svg or "committed" in svg  # the limits are drawn with their names
    assert (folder / "weekly-trend.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("args", "code", "said"), [
    (["--from", "2026-02-30"], 2, "YYYY-MM-DD"),
    (["--from", "2026-05-02", "--to", "2026-05-01"], 2, "after"),
    (["--charts", "/proc/no/such/place"], 2, "cannot use"),
])
def test_bad_input_is_one_line_and_its_exit_code(hall_db: Path, args: list[str], code: int,
                                                 said: str) -> None:
    done = CliRunner().invoke(cli, ["report", "--db", str(hall_db), *args])
    assert done.exit_code == code, done.output
    assert "Traceback" not in done.output and said in done.output


def test_a_database_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    done = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "nothing.sqlite3")])
    assert done.exit_code == 4 and "there is no database" in done.output


def test_a_read_only_database_is_reported_on(hall_db: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "ro.sqlite3"
    shutil.copy(hall_db, copy)
    SqliteStore(copy).close()  # its counts appended by the changes, not merged yet
    done = CliRunner().invoke(cli, ["report", "--db", f"file:{copy}?mode=ro", "--period",
                                    "all", "--format", "json"])
    assert done.exit_code == 0, done.output
    writable = CliRunner().invoke(cli, ["report", "--db", str(copy), "--period", "all",
                                        "--format", "json"])
    assert done.output == writable.output
