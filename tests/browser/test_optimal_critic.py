"""Real-browser test of the page "Optimal discriminator vs critic"."""

from __future__ import annotations

import pytest

from tests.browser.helpers import no_exception, open_page, wait_idle

pytestmark = pytest.mark.browser
QUERY = "fake_mean=2.5&iters=100&clip_value=0.01"


def _metric_values(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_moving_the_fake_gaussian_changes_the_metrics(app_server, page):
    open_page(page, app_server, "optimal_critic", QUERY)
    no_exception(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"]')
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 2
    before = _metric_values(page)
    slider = page.get_by_role("slider", name="Mean of the fake Gaussian")
    slider.focus()
    page.keyboard.press("ArrowLeft")  # 2.5 → 2.25 (one step, one rerun)
    wait_idle(page, settle=1.0)
    no_exception(page)
    assert "fake_mean=2.25" in page.url
    assert _metric_values(page) != before
