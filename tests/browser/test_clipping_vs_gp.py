"""Real Chromium: the clipping-vs-penalty page draws its sweep and trains both critics live."""

from __future__ import annotations

import pytest

from tests.browser.helpers import no_exception, open_page, wait_for_change, wait_idle, wait_until
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_sweep_and_live_critics(app_server, page):
    open_page(page, app_server, "clipping_vs_gp", "generator=frozen&seed=0")
    no_exception(page)
    titles_js = ("() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                 ".map(e => (e.layout && e.layout.title && e.layout.title.text) || '')")
    # titles come wrapped in <b>
    wait_until(lambda: any("How fast the clipped critic converges" in t for t in page.evaluate(titles_js)),
               lambda: f"the sweep chart (chart titles: {page.evaluate(titles_js)})")
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Lipschitz meter").first.wait_for(timeout=120_000)
    wait_idle(page)  # the rerun that the Step started has drawn the paused job (as the images test does)
    page.get_by_role("button", name="Resume").click()  # the Step left the run paused
    progress = page.locator('[data-testid="stProgress"]').first

    def progress_text() -> str:
        return progress.inner_text(timeout=2_000) if progress.count() else ""

    first = wait_until(lambda: (t := progress_text()).startswith("running") and t,
                       lambda: f"the job to run (progress reads {progress_text()!r})")
    # the status fragment redraws the progress while the job runs
    wait_for_change(progress_text, first, "the live progress (no live update)")
    # three metrics per critic, drawn by the figures fragment (they can be missing for a moment
    # while a full rerun or a fragment run redraws them)
    metrics = page.locator('[data-testid="stMetric"]')
    wait_until(lambda: metrics.count() >= 6, lambda: f"six live metrics (found {metrics.count()})")
    progress.scroll_into_view_if_needed()
    page.mouse.wheel(0, 350)
    page.screenshot(path=str(ARTIFACTS / "clipping_vs_gp-live.png"), full_page=False)
    no_exception(page)
