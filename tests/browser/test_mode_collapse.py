"""Real Chromium: start a live 8-Gaussian run, move clip c while it runs, see the job follow."""

from __future__ import annotations

import pytest

from tests.browser.helpers import no_exception, open_page, wait_for_url, wait_idle, wait_until
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

CHARTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
    e => ({title: (e.layout && e.layout.title && e.layout.title.text) || '',  // may be wrapped in <b>
           ys: (e.data || []).map(d => Array.from(d.y || []))}))"""


def clip_curve(page) -> list[float]:
    for chart in page.evaluate(CHARTS_JS):
        if "WGAN clip c as applied" in chart["title"]:
            return [y for ys in chart["ys"] for y in ys]
    return []


def test_live_run_follows_the_clip_slider(app_server, page):
    open_page(page, app_server, "mode_collapse", "dataset=8gaussians&seed=0&clip_value=0.05")
    no_exception(page)
    page.get_by_text("Recorded seed").first.scroll_into_view_if_needed()
    page.mouse.wheel(0, 300)
    page.locator(".gtitle", has_text="Recorded run, seed").first.wait_for(timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "mode_collapse-recorded.png"), full_page=False)
    assert page.get_by_text("For instructors").count() == 1
    page.get_by_role("button", name="Start").click()
    caption = page.get_by_text("clip c = 0.05 ·")
    caption.wait_for(timeout=120_000)
    wait_until(lambda: 0.05 in clip_curve(page), "c = 0.05 on the clip curve")
    page.locator('[data-testid="stProgress"]').scroll_into_view_if_needed()
    page.mouse.wheel(0, 350)
    page.screenshot(path=str(ARTIFACTS / "mode_collapse-live-1.png"), full_page=False)
    first_step = page.locator('[data-testid="stProgress"]').first.inner_text()

    # move the slider while the job runs: keyboard on the thumb, Home = the smallest c (0.001)
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="WGAN clip c").get_by_role("slider")
    thumb.focus()
    thumb.press("Home")
    page.get_by_text("clip c = 0.001 ·").wait_for(timeout=120_000)
    wait_until(lambda: 0.001 in clip_curve(page), "c = 0.001 on the clip curve")  # the job's logged c changed
    assert 0.05 in clip_curve(page)  # ... after the earlier value
    wait_for_url(page, "clip_value=0.001")
    wait_until(lambda: page.locator('[data-testid="stProgress"]').first.inner_text() != first_step,
               "the live progress to move on")
    page.locator('[data-testid="stProgress"]').scroll_into_view_if_needed()
    page.mouse.wheel(0, 350)
    page.screenshot(path=str(ARTIFACTS / "mode_collapse-live-2.png"), full_page=False)
    page.get_by_role("button", name="Pause").click()
    progress = page.locator('[data-testid="stProgress"]').first
    wait_until(lambda: progress.inner_text().startswith("paused"),
               lambda: f"the job to pause (progress reads {progress.inner_text()!r})")
    wait_idle(page)
    no_exception(page)
