"""docs/tutorial.md works as written: its workflows, its diagnostics and its commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from tests.support.factories import ROOT

from onething.cli import cli

TEXT = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
FIRST, SECOND = re.findall(r"```yaml\n(.*?)```", TEXT, re.S)


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_first_workflow_is_sound_and_the_typo_is_located(tmp_path: Path) -> None:
    path = tmp_path / "home_transfer.yaml"
    path.write_text(FIRST, encoding="utf-8")
    assert "home-transfer@1: sound" in run("check", str(path)).output
    path.write_text(FIRST.replace("    department:", "    departmnt:"), encoding="utf-8")
    result = run("check", str(path))
    assert result.exit_code == 2
    located = re.search(r"`(home_transfer\.yaml:\d+:\d+): error\[unknown-key\]", TEXT).group(1)
    assert f"{tmp_path / located}: error[unknown-key]: a step has no key 'departmnt'" \
        in result.output
    assert "did you mean 'department'?" in result.output


def test_the_full_bundle_runs_as_the_tutorial_says(tmp_path: Path) -> None:
    path = tmp_path / "home_transfer.yaml"
    path.write_text(SECOND, encoding="utf-8")
    checked = run("check", str(path))
    assert checked.exit_code == 0 and "4 distinct form(s)" in checked.output
    sla = run("sla", str(path), "--start", "2026-09-30")
    assert "total 4 WD against the workflow's committed limit of 5 WD: holds" in sla.output
    assert run("graph", str(path)).output.startswith("flowchart TD")
    db = str(tmp_path / "homes.sqlite3")
    assert run("deploy", str(path), "--db", db).exit_code == 0
    form = re.search(r"cat > form.json <<'EOF'\n(.*?)\nEOF", TEXT, re.S).group(1)
    (tmp_path / "form.json").write_text(form, encoding="utf-8")
    materials = re.search(r"echo '(.*?)' > materials.json", TEXT).group(1)
    (tmp_path / "materials.json").write_text(materials, encoding="utf-8")
    missing = run("submit", "home-transfer", "--form", str(tmp_path / "form.json"),
                  "--db", db, "--format", "json")
    assert missing.exit_code == 2 and "sale_contract" in missing.output
    written = re.search(r"^\$ onething submit (.*) --db homes\.sqlite3 --format json$", TEXT,
                        re.M).group(1).split()
    assert written[written.index("--as") + 1] == "applicant:chen"  # who supplements later
    args = [str(tmp_path / a) if a.endswith(".json") else a for a in written]
    submitted = run("submit", *args, "--db", db, "--format", "json")
    case_id = json.loads(submitted.output)["case"]
    commands = re.findall(r"^\$ onething act CASE (.*) --db homes\.sqlite3$", TEXT, re.M)
    assert len(commands) == 8
    for command in commands:
        result = run("act", case_id, *command.split(), "--db", db)
        assert result.exit_code == 0, (command, result.output)
    status = run("status", case_id, "--db", db)
    shown = re.search(r"^\$ onething status CASE --db homes\.sqlite3\n(.*?)```", TEXT,
                      re.M | re.S).group(1).splitlines()
    assert len(shown) >= 4
    for line in shown:  # each line as written, … standing for a case id or a time
        pattern = ".*?".join(re.escape(part) for part in line.split("…"))
        assert re.search(pattern, status.output), line
