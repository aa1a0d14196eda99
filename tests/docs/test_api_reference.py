"""The API reference builds from the docstrings, offline, with warnings as errors, and every
public name has a docstring (issue 13 item 7)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

from tests.support.factories import ROOT

import onething


def public_modules() -> list[str]:
    names = ["onething"]
    for info in pkgutil.walk_packages(onething.__path__, "onething."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        names.append(info.name)
    return names


def public_members(module_name: str) -> list[tuple[str, object]]:
    module = importlib.import_module(module_name)
    listed = getattr(module, "__all__", None)
    names = listed if listed is not None else [n for n in vars(module) if not n.startswith("_")]
    found = []
    for name in names:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            if listed is None and value.__module__ != module_name:
                continue  # imported for its own use: documented where it is defined
            if not value.__module__.startswith("onething"):
                continue  # re-exported from elsewhere (typing, attrs, ...)
            found.append((f"{module_name}.{name}", value))
    return found


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        if not (module.__doc__ or "").strip():
            missing.append(module_name)
        for qualified, value in public_members(module_name):
            if not inspect.getdoc(value):
                missing.append(qualified)
            if inspect.isclass(value):
                for name, member in vars(value).items():
                    if name.startswith("_") or not (inspect.isfunction(member) or
                                                    isinstance(member, property)):
                        continue
                    if not inspect.getdoc(getattr(value, name)):
                        missing.append(f"{qualified}.{name}")
    assert sorted(set(missing)) == []


def test_the_api_reference_builds_offline_with_warnings_as_errors(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(ROOT / "docs" / "api"), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / "html" / "face.html").exists()
    conf = (ROOT / "docs" / "api" / "conf.py").read_text(encoding="utf-8")
    assert "intersphinx" not in conf  # nothing is fetched: the build works without a network
