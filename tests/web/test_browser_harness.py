"""The browser harness itself (tests/support/browser.py): Chromium opens a page served on the
loopback, shows its Chinese text, and a screenshot of it is written."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import screenshot

if TYPE_CHECKING:  # at run time the fixtures skip, or fail under CI, without Playwright
    from playwright.sync_api import Page

HTML = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>一件事</title></head>
<body><h1>一件事一次办</h1><p>办事不用来回跑。</p></body>
</html>
""".encode()

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Handler(BaseHTTPRequestHandler):
    """Answers every GET with HTML above."""

    def do_GET(self) -> None:
        """Send the page."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(HTML)))
        self.end_headers()
        self.wfile.write(HTML)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test's output quiet."""


@pytest.fixture
def site() -> Iterator[str]:
    """The URL of the tiny page, served on 127.0.0.1 (a free port) for one test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_page_shows_chinese_text_and_screenshot_is_written(
    page: Page, site: str, tmp_path: Path
) -> None:
    page.goto(site)
    heading = page.get_by_role("heading", name="一件事一次办")
    heading.wait_for(state="visible", timeout=10_000)
    assert heading.is_visible()
    assert page.viewport_size == {"width": 1280, "height": 900}

    path = screenshot(page, "harness", tmp_path)
    assert path == tmp_path / "harness.png"
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 1000


def test_phone_page_is_a_touch_phone(phone_page: Page, site: str) -> None:
    phone_page.goto(site)
    text = phone_page.get_by_text("办事不用来回跑。")
    text.wait_for(state="visible", timeout=10_000)
    assert text.is_visible()
    assert phone_page.viewport_size is not None
    assert phone_page.viewport_size["width"] == 412
    assert phone_page.evaluate("navigator.maxTouchPoints > 0")
    assert phone_page.evaluate("navigator.language") == "zh-CN"
