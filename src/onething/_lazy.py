"""Package faces that load their modules when a name is first used (like attrs' lazy
submodules): ``import onething.workdays`` costs nothing until ``WorkCalendar`` is touched."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any],
                                                          Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` whose public ``names`` live in the
    given modules (``{"WorkCalendar": "onething.workdays.calendar"}``)."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*names, *(k for k in namespace if not k.startswith("_"))})

    return __getattr__, __dir__
