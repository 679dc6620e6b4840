"""Real-browser test of the vanishing-gradients page: move θ, the measured gradients change."""

from __future__ import annotations

from tests.browser.helpers import no_exception, open_page, wait_idle


def _metric_texts(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_vanishing_gradients_page_reacts_to_theta(app_server, page):
    open_page(page, app_server, "vanishing_gradients", query="iters=200")
    no_exception(page)
    page.locator('[data-testid="stPlotlyChart"]').nth(2).wait_for()
    before = _metric_texts(page)
    assert len(before) == 3 and "→" in before[0]
    thumb = page.get_by_role("slider", name="Offset θ of the generator's line")
    thumb.focus()
    thumb.press("ArrowLeft")  # one step: one new (uncached) experiment
    wait_idle(page)
    page.locator('[data-testid="stPlotlyChart"]').nth(2).wait_for()
    no_exception(page)
    assert "theta=0.9" in page.url
    assert _metric_texts(page) != before
    page.screenshot(path="tests/_artifacts/vanishing_gradients.png")
