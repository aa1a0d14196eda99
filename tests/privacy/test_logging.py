"""No personal number in a log record or an exception (issue 12 item 5).

The test adds no masking of its own: it captures what reaches a plain handler on the root
logger, and reads exceptions as a host would log them (``str``, ``repr``, the traceback).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
import pkgutil
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.factories import ROOT

import onething
from onething.errors import OnethingError

ID_NUMBER, PHONE = "430381199001011234", "13800138000"
SPELLINGS = [ID_NUMBER, PHONE, "138 0013 8000", "+86-138-0013-8000", "ID" + ID_NUMBER,
             "１３８００１３８０００", "430381 19900101 1234"]


def all_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(onething.__path__, "onething."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
        names.append(info.name)
    return names


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def root_capture() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def digits(text: str) -> str:
    import unicodedata

    return "".join(str(unicodedata.decimal(ch)) for ch in text if unicodedata.decimal(ch, None)
                   is not None)


def test_every_onething_logger_masks_every_record(root_capture: Capture) -> None:
    all_modules()
    loggers = {name: logger for name, logger in logging.Logger.manager.loggerDict.items()
               if name.startswith("onething") and isinstance(logger, logging.Logger)}
    assert {"onething.dispatch", "onething.erasure", "onething.engine"} <= set(loggers)
    for logger in loggers.values():
        for spelling in SPELLINGS:
            logger.warning("applicant %s called about case %s", spelling, "c1")
            try:
                raise ValueError(f"bad value {spelling}")
            except ValueError:
                logger.exception("failed for %s", spelling)
    assert len(root_capture.lines) == len(loggers) * len(SPELLINGS) * 2
    for line in root_capture.lines:
        assert ID_NUMBER not in digits(line) and PHONE not in digits(line), line


def test_no_module_makes_a_logger_without_the_mask() -> None:
    for path in (ROOT / "src" / "onething").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "getLogger":
                assert path.name == "masking.py", f"{path}: use personal_logger(name)"


def library_errors() -> Iterator[type[OnethingError]]:
    all_modules()
    seen: set[type] = set()
    todo = [OnethingError]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
        yield cls


def made_with(cls: type[OnethingError], text: str) -> OnethingError | None:
    parameters = list(inspect.signature(cls).parameters.values())
    if parameters and parameters[0].name == "problems":
        from onething.errors import Problem

        return cls([Problem("field", text, text)])  # type: ignore[call-arg]
    names = [p.name for p in parameters]
    if names[:1] in (["diagnostics"], ["diagnostic"]):
        from onething.language.location import Diagnostic, Location

        made = Diagnostic("code", text, Location(text, 1, 1), text)
        return cls([made] if names[0] == "diagnostics" else made)  # type: ignore[call-arg]
    if names[:1] == ["report"]:
        return None  # made from the checker's report by the library itself, not from text
    if names == ["case_id", "expected", "current"]:  # VersionChanged: the case's number
        return cls(text, 1, 2)  # type: ignore[call-arg]
    for listed in ("reasons", "problems"):
        if listed in names:
            return cls(*([text] * names.index(listed)), [text])  # type: ignore[call-arg]
    try:
        return cls(text, text)  # type: ignore[call-arg]
    except TypeError:
        return cls(text)


def test_every_library_error_masks_its_text_however_it_is_read() -> None:
    checked = 0
    for cls in library_errors():
        for spelling in SPELLINGS:
            error = made_with(cls, f"no case for {spelling} (key order-{spelling})")
            if error is None:
                continue
            try:
                raise error
            except OnethingError as caught:
                shown = [str(caught), repr(caught), "".join(traceback.format_exception(caught)),
                         str(getattr(caught, "message", "")), str(getattr(caught, "hint", ""))]
            for text in shown:
                assert ID_NUMBER not in digits(text) and PHONE not in digits(text), (cls, text)
            checked += 1
    assert checked >= 20 * len(SPELLINGS)


def test_engine_errors_never_quote_an_idempotency_key(tmp_path: Path) -> None:
    from tests.support.factories import START, sample_form, sample_materials, shipped

    from onething.engine.engine import Engine
    from onething.errors import IdempotencyMismatch
    from onething.workdays import FixedClock

    startup = shipped("enterprise_startup.yaml")
    engine = Engine(clock=FixedClock(START))
    engine.deploy(startup)
    key = f"order-{PHONE}-{ID_NUMBER}"
    engine.submit(startup.id, sample_form(startup), sample_materials(startup),
                  idempotency_key=key)
    with pytest.raises(IdempotencyMismatch) as caught:
        engine.submit(startup.id, {**sample_form(startup), "employees": 9},
                      sample_materials(startup), idempotency_key=key)
    assert "order-" not in str(caught.value) and PHONE not in digits(repr(caught.value))


def test_a_formatter_that_reads_the_records_arguments_still_gets_them_masked() -> None:
    """Regression (found running `onething serve`): the filter replaced a record's arguments
    with None once it masked anything, and uvicorn's access formatter, which unpacks them,
    failed on every request line ("--- Logging error ---" instead of the line)."""
    import io
    import logging

    from onething.privacy.masking import MaskingFilter

    class Unpacking(logging.Formatter):  # what uvicorn.logging.AccessFormatter does
        def formatMessage(self, record: logging.LogRecord) -> str:
            client, method, path, version, status = record.args  # type: ignore[misc]
            return f"{client} {method} {path} {version} {status}"

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Unpacking())
    logger = logging.getLogger("onething.test.access")
    logger.addHandler(handler)
    logger.addFilter(MaskingFilter())
    logger.propagate = False
    try:
        logger.warning('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET",
                       f"/api/v1/cases/{ID_NUMBER}", "1.1", 404)
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert line.startswith("127.0.0.1:5 GET /api/v1/cases/") and line.rstrip().endswith("404")
    assert ID_NUMBER not in digits(line)
