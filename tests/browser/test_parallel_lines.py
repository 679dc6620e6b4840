"""Real-browser test of the lesson "Learning parallel lines"; it also takes the README screenshot
(written to ``docs/screenshot.png`` only with ``WGAN_UPDATE_SCREENSHOT=1``, so a test run leaves the
checkout clean)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.helpers import (
    move_slider,
    no_exception,
    open_page,
    plotly_shapes,
    wait_for_charts,
    wait_for_value,
    wait_until,
)

pytestmark = pytest.mark.browser
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"
THETA = "θ (horizontal offset of the model line)"


def _metric_values(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_moving_theta_redraws_the_charts_and_updates_the_link(app_server, page):
    open_page(page, app_server, "parallel_lines", "theta=0.3&n=200")
    no_exception(page)
    wait_for_charts(page, 4)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot')
    assert _metric_values(page)[:2] == ["0.300", "0.693"]
    before = wait_until(lambda: plotly_shapes(page, 1), "the second chart to be drawn")
    assert {s["x0"] for s in before} == {0.3}

    move_slider(page, THETA, "ArrowLeft", presses=3, url_has="theta=0.27")  # 0.30 -> 0.27 in three steps
    # W follows theta, JS does not
    wait_for_value(lambda: _metric_values(page)[:2], ["0.270", "0.693"], "the W and JS metrics")
    wait_for_value(lambda: {s["x0"] for s in plotly_shapes(page, 1) or []}, {0.27}, "the model line's x0")
    after = plotly_shapes(page, 1)
    assert after != before and {s["x0"] for s in after} == {0.27}
    no_exception(page)


def test_readme_screenshot(app_server, page, tmp_path):
    open_page(page, app_server, "parallel_lines", "theta=0.35&n=500&step=4")
    no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 1280})
    # The paragraph above the sliders goes under the app's header; the sliders start the picture.
    page.get_by_text("The earth mover slides every point").scroll_into_view_if_needed()
    page.get_by_text("The earth mover slides every point").evaluate("(el) => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1000)  # let plotly finish resizing after the viewport change
    target = SCREENSHOT if os.environ.get("WGAN_UPDATE_SCREENSHOT") == "1" else tmp_path / "screenshot.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target))
    assert target.stat().st_size > 50_000
