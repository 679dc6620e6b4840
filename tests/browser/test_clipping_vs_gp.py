"""Real Chromium: the clipping-vs-penalty page draws its sweep and trains both critics live."""

from __future__ import annotations

import time

import pytest

from tests.browser.helpers import no_exception, open_page
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_sweep_and_live_critics(app_server, page):
    open_page(page, app_server, "clipping_vs_gp", "generator=frozen&seed=0")
    no_exception(page)
    titles = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                           ".map(e => (e.layout.title && e.layout.title.text) || '')")
    assert any("How fast the clipped critic converges" in t for t in titles)  # titles come wrapped in <b>
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Lipschitz meter").first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Start").click()
    progress = page.locator('[data-testid="stProgress"]')
    first = progress.inner_text()
    deadline = time.monotonic() + 120
    while progress.inner_text() == first:  # the fragment redraws while the job runs
        assert time.monotonic() < deadline, "no live update"
        time.sleep(0.5)
    progress.scroll_into_view_if_needed()
    page.mouse.wheel(0, 350)
    page.screenshot(path=str(ARTIFACTS / "clipping_vs_gp-live.png"), full_page=False)
    assert page.locator('[data-testid="stMetric"]').count() >= 6
    no_exception(page)
