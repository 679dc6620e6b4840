"""Real-browser test of the page "Optimal discriminator vs critic"."""

from __future__ import annotations

import pytest

from tests.browser.helpers import move_slider, no_exception, open_page, wait_for_change, wait_for_charts

pytestmark = pytest.mark.browser
QUERY = "fake_mean=2.5&iters=100&clip_value=0.01"


def _metric_values(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_moving_the_fake_gaussian_changes_the_metrics(app_server, page):
    open_page(page, app_server, "optimal_critic", QUERY)
    no_exception(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=120_000)
    wait_for_charts(page, 2)
    before = _metric_values(page)
    # 2.5 → 2.25 (one step, one rerun)
    move_slider(page, "Mean of the fake Gaussian", "ArrowLeft", url_has="fake_mean=2.25")
    wait_for_change(lambda: _metric_values(page), before, "the metrics")
    no_exception(page)
