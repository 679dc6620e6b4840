"""Helpers for the real-browser tests: open a page of the app and wait until Streamlit is idle."""

from __future__ import annotations

import time

from playwright.sync_api import Page


def wait_idle(page: Page, settle: float = 0.5, timeout: float = 60.0) -> None:
    """Wait until the app has rendered and no script run is in progress."""
    page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= settle:
            return
        time.sleep(0.1)
    raise TimeoutError("the Streamlit app did not go idle")


def open_page(page: Page, base_url: str, path: str = "", query: str = "") -> None:
    url = f"{base_url}/{path}" + (f"?{query}" if query else "")
    page.goto(url)
    page.wait_for_selector('[data-testid="stMainBlockContainer"], [data-testid="stMain"]', timeout=60_000)
    wait_idle(page)


def no_exception(page: Page) -> None:
    """Fail if Streamlit shows an exception box on the page."""
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()
