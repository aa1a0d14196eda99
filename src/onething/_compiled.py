"""Compiled hot modules, optional: the engine's hot path built by Cython, loaded only while its
source is the one it was built from.

``python -m onething._compile`` (needs the ``speed`` extra: Cython, setuptools and a C
compiler) builds each module of :data:`HOT` into :func:`directory`, one file per module named
by the module and the SHA-256 of its source. At import, :func:`install` puts a finder before
Python's own: for a module of :data:`HOT` it looks for the file of the source as it is now, and
loads it if it is there; otherwise (never built, or the source changed since: an edit takes
effect at once) the ``.py`` loads as always. ``ONETHING_PURE=1`` turns the finder off.
The compiled modules run the same source, so the same tests hold for both.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what a finder needs is imported when it is asked for a hot module
    from importlib.machinery import ModuleSpec

#: the modules compiled: those an action spends its time in (issue 20)
HOT = (
    "onething.engine._actions", "onething.engine._unit", "onething.engine._listing",
    "onething.engine._promises", "onething.engine.engine",
    "onething.cases.clocks", "onething.cases.timers", "onething.cases.status",
    "onething.cases.tallies", "onething.cases.supervision", "onething.cases.intake",
    "onething.cases.rules", "onething.stores.memory", "onething.net.semantics",
    "onething.machine.compile",
)


def directory() -> str:
    """Where the compiled modules are: ``ONETHING_COMPILED_DIR``, else ``_compiled_modules``
    beside this package's sources."""
    given = os.environ.get("ONETHING_COMPILED_DIR")
    return given or os.path.join(os.path.dirname(__file__), "_compiled_modules")


def artifact(name: str, source: bytes) -> str:
    """The file name of module ``name`` compiled from ``source``."""
    import hashlib
    import importlib.machinery

    digest = hashlib.sha256(source).hexdigest()[:20]
    return f"{name}.{digest}{importlib.machinery.EXTENSION_SUFFIXES[0]}"


class _Finder:
    """Finds the compiled module of a hot module's current source, when there is one (a
    meta path finder: :class:`importlib.abc.MetaPathFinder`'s one method)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.loaded: list[str] = []

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname not in HOT:
            return None
        import importlib.machinery
        import importlib.util

        pure = importlib.machinery.PathFinder.find_spec(fullname, path)
        if pure is None or pure.origin is None or not pure.origin.endswith(".py"):
            return None
        with open(pure.origin, "rb") as source:
            compiled = os.path.join(self.where, artifact(fullname, source.read()))
        if not os.path.isfile(compiled):
            return None
        self.loaded.append(fullname)
        return importlib.util.spec_from_file_location(
            fullname, compiled,
            loader=importlib.machinery.ExtensionFileLoader(fullname, compiled))


def install() -> _Finder | None:
    """Put the finder first on ``sys.meta_path`` when there are compiled modules (and
    ``ONETHING_PURE`` is not set); returns it, or None."""
    where = directory()
    if os.environ.get("ONETHING_PURE") or not os.path.isdir(where):
        return None
    for finder in sys.meta_path:
        if isinstance(finder, _Finder):
            return finder
    finder = _Finder(where)
    sys.meta_path.insert(0, finder)
    return finder


def loaded() -> list[str]:
    """The hot modules loaded compiled in this process."""
    return [name for finder in sys.meta_path if isinstance(finder, _Finder)
            for name in finder.loaded]
