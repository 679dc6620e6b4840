"""Helpers for the real-browser tests: open a page of the app and wait until Streamlit is idle."""

from __future__ import annotations

import time

from playwright.sync_api import Page

#: Elements that mean a script run, a cached computation or a chart is still in progress.
BUSY = '[data-testid="stStatusWidget"], [data-testid="stSpinner"], [data-testid="stSkeleton"]'


def wait_idle(page: Page, settle: float = 1.0, timeout: float = 120.0) -> None:
    """Wait until the page shows content and no script run, spinner or skeleton for ``settle`` seconds.

    A fresh page has no running indicator for a moment before its first run starts, so "nothing is
    running" only counts once the main block holds at least one element.
    """
    page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        started = page.locator('[data-testid="stMain"] [data-testid="stElementContainer"]').count() > 0
        busy = page.locator(BUSY).count() > 0
        if busy or not started:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= settle:
            return
        time.sleep(0.1)
    raise TimeoutError(f"the Streamlit app did not go idle within {timeout}s")


def open_page(page: Page, base_url: str, path: str = "", query: str = "") -> None:
    url = f"{base_url}/{path}" + (f"?{query}" if query else "")
    page.goto(url)
    page.wait_for_selector('[data-testid="stMainBlockContainer"], [data-testid="stMain"]', timeout=60_000)
    wait_idle(page)


def no_exception(page: Page) -> None:
    """Fail if Streamlit shows an exception box on the page."""
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def plotly_shapes(page: Page, nth: int) -> list[dict]:
    """The layout shapes of the ``nth`` Plotly chart on the page, as drawn by plotly.js in the browser."""
    return page.evaluate(
        "(n) => { const gd = document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot')[n];"
        " return gd && gd.layout ? JSON.parse(JSON.stringify(gd.layout.shapes || [])) : null; }",
        nth,
    )


def move_slider(page: Page, label: str, key: str, presses: int = 1) -> None:
    """Focus the slider named ``label`` and press an arrow key ``presses`` times (each is one step)."""
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    for _ in range(presses):
        page.keyboard.press(key)
    wait_idle(page)
