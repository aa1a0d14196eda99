"""Real-browser fixtures: Debian's headless Chromium driven by Playwright for Python.

A pytest plugin module (listed in ``pytest_plugins`` of tests/conftest.py). It gives

- ``playwright_session``: Playwright for Python, started once for the session;
- ``browser``: one headless Chromium for the whole session, started from /usr/bin/chromium
  (installed by apt, see .ci/run; ``playwright install`` is never used);
- ``page``: a fresh desktop context and page per test (1280x900, locale zh-CN);
- ``phone_page``: a fresh phone context and page per test (Pixel 7: 412x915, touch, zh-CN);
- ``screenshot()``: saves a full-page PNG into the test's folder and, with
  ONETHING_SCREENSHOTS=1, into docs/screenshots/ too.

When Playwright or the browser is missing the browser tests are skipped, except under CI=true,
where they fail: CI must run them. The sync Playwright API cannot run inside a running asyncio
loop; the project's tests are plain sync pytest, so that is no limit here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium (``apt-get install chromium``), the only browser these tests use."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Flags this machine needs: running as root without a sandbox, no GPU, and no traffic of the
browser's own (the only network here is the package registries and the loopback)."""

LOCALE = "zh-CN"
"""The locale of every context: the pages are in Chinese."""

DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
"""The viewport of ``page``."""

PHONE_DEVICE = "Pixel 7"
"""The Playwright device that ``phone_page`` emulates (412x915 screen, mobile, touch)."""

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository's root: tests/support/browser.py is two folders below it."""

SCREENSHOTS_DIR = REPO_ROOT / "docs" / "screenshots"
"""Where ``screenshot()`` also writes when ONETHING_SCREENSHOTS=1."""


def _in_ci() -> bool:
    """Whether this run is CI's (CI=true, any case), where browser tests must not be skipped."""
    return os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason: str) -> NoReturn:
    """Skip the test for want of a browser, or fail it under CI=true."""
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    """Playwright for Python, started once for the session and stopped at its end.

    Skips (fails under CI=true) when Playwright for Python is not installed or /usr/bin/chromium
    is missing, so every fixture built on it does the same.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"Playwright for Python is not installed ({exc}): pip install -e '.[test]'")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    """One headless Chromium (/usr/bin/chromium with CHROMIUM_ARGS) for the session."""
    launched = playwright_session.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    try:
        yield launched
    finally:
        launched.close()


def _open_page(browser: Browser, **context_options: Any) -> Iterator[Page]:
    """A new context with these options and a page in it; the context is closed afterwards."""
    context = browser.new_context(locale=LOCALE, **context_options)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh desktop page (1280x900, locale zh-CN) in a context of its own."""
    yield from _open_page(browser, viewport=DESKTOP_VIEWPORT)


@pytest.fixture
def phone_page(playwright_session: Playwright, browser: Browser) -> Iterator[Page]:
    """A fresh phone page in a context of its own: Playwright's Pixel 7 (viewport 412x839 on a
    412x915 screen, is_mobile, has_touch, its user agent), locale zh-CN."""
    device = dict(playwright_session.devices[PHONE_DEVICE])
    device.pop("default_browser_type", None)  # a descriptor key that new_context does not take
    yield from _open_page(browser, **device)


def screenshot(page: Page, name: str, tmp_dir: Path) -> Path:
    """Save a full-page PNG of ``page`` as ``tmp_dir/name.png`` and return that path.

    With ONETHING_SCREENSHOTS=1 the same picture is also written to docs/screenshots/name.png in
    the repository (the folder is made when missing), for the docs to show.
    """
    tmp_dir.mkdir(parents=True, exist_ok=True)
    path = tmp_dir / f"{name}.png"
    png = page.screenshot(path=str(path), full_page=True)
    if os.environ.get("ONETHING_SCREENSHOTS") == "1":
        SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS_DIR / f"{name}.png").write_bytes(png)
    return path
