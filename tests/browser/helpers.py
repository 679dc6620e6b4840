"""Helpers for the real-browser tests: open a page of the app and wait until Streamlit is idle."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.helpers import compute_link

#: How long a test waits for the app to react to an action. Generous: on a loaded 2-core CI machine
#: (``pytest -n 2`` with training jobs beside it) a rerun can take many seconds to start and finish.
REACT_TIMEOUT = 120.0

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
    """Open ``path?query`` and wait until idle. A heavy lesson's setting that the link selects is
    computed first, on the disk cache the server shares: a link selects only computed settings."""
    compute_link(path, query)
    url = f"{base_url}/{path}" + (f"?{query}" if query else "")
    page.goto(url)
    page.wait_for_selector('[data-testid="stMainBlockContainer"], [data-testid="stMain"]', timeout=60_000)
    wait_idle(page)


def wait_for_charts(page: Page, count: int, timeout: float = REACT_TIMEOUT) -> None:
    """Wait until the page holds exactly ``count`` Plotly charts: the browser may still be adding the
    last of them after the status widget has gone quiet."""
    charts = page.locator('[data-testid="stPlotlyChart"]')
    wait_for_value(charts.count, count, "the number of charts", timeout)


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


def wait_until(condition: Callable[[], Any], message: str | Callable[[], str] = "the condition",
               timeout: float = REACT_TIMEOUT, interval: float = 0.25) -> Any:
    """Poll ``condition`` until it returns something truthy (returned), failing after ``timeout`` seconds.

    Use this instead of asserting right after an action: a Streamlit rerun starts some time after
    the input event (widgets debounce, the server may be busy), so "idle" right after a click or
    key press can be the idle state *before* the rerun. A Playwright error inside ``condition``
    (an element being redrawn, a chart not yet plotted) counts as "not yet".
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except PlaywrightError:
            result = None
        if result:
            return result
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {text}")
        time.sleep(interval)


def wait_for_url(page: Page, fragment: str, timeout: float = REACT_TIMEOUT) -> None:
    """Wait until the page's URL contains ``fragment`` (the app writes its controls into the query string)."""
    # page.url is a cached value that the sync API only refreshes inside Playwright calls, so ask the page
    href = lambda: page.evaluate("() => window.location.href")  # noqa: E731
    wait_until(lambda: fragment in href(), lambda: f"{fragment!r} in the URL, which is {href()!r}", timeout)


def wait_for_value(read: Callable[[], Any], expected: Any, what: str = "the value",
                   timeout: float = REACT_TIMEOUT) -> None:
    """Wait until ``read()`` equals ``expected``; the failure names the last value read."""
    last: list[Any] = [None]

    def check() -> bool:
        last[0] = read()
        return last[0] == expected

    wait_until(check, lambda: f"{what} to be {expected!r} (last read {last[0]!r})", timeout)


def wait_for_change(read: Callable[[], Any], before: Any, what: str = "the value",
                    timeout: float = REACT_TIMEOUT) -> Any:
    """Wait until ``read()`` differs from ``before``; return the new value.

    ``None`` and empty reads (a chart or metric row that is being redrawn) do not count as a change.
    """
    last: list[Any] = [before]

    def check() -> bool:
        last[0] = read()
        empty = last[0] is None or (hasattr(last[0], "__len__") and len(last[0]) == 0)
        return not empty and last[0] != before

    wait_until(check, lambda: f"{what} to change from {before!r}", timeout)
    return last[0]


def move_slider(page: Page, label: str, key: str, presses: int = 1, url_has: str | None = None) -> None:
    """Focus the slider named ``label`` and press an arrow key ``presses`` times (each is one step).

    With ``url_has``, wait until the URL shows the new value (the rerun that the move causes has
    reached the controls) before waiting for the app to go idle.
    """
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    for _ in range(presses):
        slider.press(key)
    if url_has is not None:
        wait_for_url(page, url_has)
    wait_idle(page)
