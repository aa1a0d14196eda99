"""Build the compiled hot modules (:mod:`onething._compiled`): ``python -m onething._compile``.

Needs Cython, setuptools and a C compiler (``pip install -e ".[speed]"``). Each module of
:data:`~onething._compiled.HOT` is compiled from its source as it is, with its annotations
left to Python (Cython would otherwise hold a ``dict`` argument to exactly ``dict``), into
:func:`~onething._compiled.directory` under a name that carries the source's hash; files built
from older sources are removed. Exit codes: 0 built, 2 Cython or a compiler missing.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from onething._compiled import HOT, artifact, directory


def source_of(name: str) -> Path:
    """The ``.py`` file of module ``name`` of this package."""
    return Path(__file__).parent.joinpath(*name.split(".")[1:]).with_suffix(".py")


def build(into: Path | None = None, names: tuple[str, ...] = HOT) -> list[Path]:
    """Compile the hot modules ``names`` (all by default) into ``into``
    (:func:`~onething._compiled.directory` by default); the files made. Files there of
    other sources of these modules are removed."""
    # optional (the speed extra): imported by name, so that type checks need neither
    cythonize = importlib.import_module("Cython.Build").cythonize
    setuptools: Any = importlib.import_module("setuptools")
    Distribution, Extension = setuptools.Distribution, setuptools.Extension

    where = into or Path(directory())
    where.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory() as scratch:
        extensions = []
        for name in names:
            text = source_of(name).read_bytes()  # never the compiled module it may load as
            copy = Path(scratch) / (name.replace(".", "_") + ".py")
            copy.write_bytes(text)
            extensions.append((name, text, Extension(name, [str(copy)])))
        built = cythonize(
            [e for _, _, e in extensions], quiet=True, nthreads=2, build_dir=scratch,
            compiler_directives={"language_level": 3, "annotation_typing": False})
        dist = Distribution({"ext_modules": built})
        command = dist.get_command_obj("build_ext")
        command.build_lib = str(Path(scratch) / "lib")
        command.build_temp = str(Path(scratch) / "temp")
        command.parallel = 2
        command.ensure_finalized()
        command.run()
        for name, text, _ in extensions:
            output = Path(command.get_ext_fullpath(name))
            target = where / artifact(name, text)
            shutil.copyfile(output, target)
            made.append(target)
    keep = {path.name for path in made}
    for name in names:
        built_from = re.compile(re.escape(name) + r"\.[0-9a-f]{20}\.")
        for stale in where.iterdir():
            if built_from.match(stale.name) and stale.name not in keep:
                stale.unlink()
    return made


def main() -> int:
    try:
        for needed in ("Cython", "setuptools"):
            importlib.import_module(needed)
    except ImportError:
        print("onething._compile needs Cython and setuptools: pip install -e \".[speed]\"",
              file=sys.stderr)
        return 2
    made = build()
    print(f"{len(made)} modules compiled into {made[0].parent if made else directory()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
