"""Real-browser test of the vanishing-gradients page: move θ, the measured gradients change."""

from __future__ import annotations

from tests.browser.helpers import move_slider, no_exception, open_page, wait_for_change


def _metric_texts(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_vanishing_gradients_page_reacts_to_theta(app_server, page):
    open_page(page, app_server, "vanishing_gradients", query="iters=200")
    no_exception(page)
    page.locator('[data-testid="stPlotlyChart"]').nth(2).wait_for(timeout=120_000)
    before = _metric_texts(page)
    assert len(before) == 3 and "e-" in before[0]  # the GAN gradient at the end, in powers of ten
    # one step: one new (uncached) experiment
    move_slider(page, "Offset θ of the generator's line", "ArrowLeft", url_has="theta=0.9")
    page.locator('[data-testid="stPlotlyChart"]').nth(2).wait_for(timeout=120_000)
    wait_for_change(lambda: _metric_texts(page), before, "the measured gradients")
    no_exception(page)
    page.screenshot(path="tests/_artifacts/vanishing_gradients.png")
