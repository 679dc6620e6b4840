"""Real-browser test of the page "A loss that means something"."""

from __future__ import annotations

import pytest

from tests.browser.helpers import move_slider, no_exception, open_page, wait_for_change, wait_for_charts, wait_until

pytestmark = pytest.mark.browser
QUERY = "dataset=8gaussians&steps=100&failed_lr=0.1&median_window=5"
# the filtered WGAN curve as drawn: the y values of the first figure's second trace
SMOOTHED_Y = "() => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[0].data[1].y)"


def test_changing_the_median_filter_redraws_the_curve(app_server, page):
    open_page(page, app_server, "meaningful_loss", QUERY)
    no_exception(page)
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    wait_for_charts(page, 6)
    assert len(page.locator('[data-testid="stMetricValue"]').all_inner_texts()) == 3
    before = wait_until(lambda: page.evaluate(SMOOTHED_Y), "the filtered curve to be drawn")
    assert before and len(before) > 10  # the trace holds data
    move_slider(page, "Median filter width (points)", "ArrowLeft", url_has="median_window=3")  # 5 → 3
    wait_for_change(lambda: page.evaluate(SMOOTHED_Y), before, "the filtered curve")
    no_exception(page)
