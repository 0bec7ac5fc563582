"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's
``live_server``.

Playwright's sync API runs an asyncio event loop in this thread, which makes Django
refuse database access from the test ("async unsafe"); the test itself never runs
inside that loop, so allowing it is safe here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
#: Screenshots for people to look at; the directory is git-ignored.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One Chromium per test module (started in about a second; no download: the
    system's browser is used)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def wait_until_decoded(image, timeout_s: float = 20.0) -> None:
    """Visible is not loaded: wait for the browser to have decoded ``image`` (a locator).
    Polled from here: ``page.wait_for_function`` evaluates a string in the page, which
    the Content-Security-Policy's ``script-src 'self'`` forbids."""
    import time

    deadline = time.monotonic() + timeout_s
    while not image.evaluate("img => img.complete && img.naturalWidth > 0"):
        assert time.monotonic() < deadline, "the image was never decoded"
        image.page.wait_for_timeout(100)
