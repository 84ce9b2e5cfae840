"""Debian's chromium, driven by Playwright, on a folder of the build served from 127.0.0.1.

Shared by the PDF build (``build_pdf.py``) and the browser tests (``tests/book/test_browser.py``).
Playwright cannot download its own browser here, so it is pointed at the chromium that Debian
installs (``apt-get install chromium``): ``/usr/bin/chromium``, or ``PGBOOK_CHROMIUM``.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("PGBOOK_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def launch(playwright):
    """Chromium, headless, from :data:`CHROMIUM` (the caller says what a missing browser means)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free port of 127.0.0.1; yields the base URL (no trailing slash)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


def block_outside(context, base: str, problems: list[str]) -> None:
    """Block, and record in ``problems``, every request of ``context`` that leaves ``base``: the book
    must load whole from its own folder."""

    def route(r):
        if r.request.url.startswith(base + "/") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            problems.append(f"blocked request to {r.request.url}")
            r.abort()

    context.route("**/*", route)


def record_errors(page, problems: list[str]) -> None:
    """Record the page's console and page errors, failed requests and HTTP errors in ``problems``."""
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request {r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} for {r.url}"))
