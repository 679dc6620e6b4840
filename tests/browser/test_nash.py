"""Real-browser test of the Nash-dynamics page: a larger η makes the spiral end further out."""

from __future__ import annotations

from tests.browser.helpers import no_exception, open_page, wait_idle


def _final_radius(page) -> float:
    return float(page.locator('[data-testid="stMetricValue"]').nth(1).inner_text())


def test_nash_page_reacts_to_the_learning_rate(app_server, page):
    open_page(page, app_server, "nash")
    no_exception(page)
    page.locator('[data-testid="stPlotlyChart"]').nth(3).wait_for()
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 4
    before = _final_radius(page)
    thumb = page.get_by_role("slider", name="Learning rate η")
    thumb.focus()
    for _ in range(2):
        thumb.press("ArrowRight")
    wait_idle(page)
    no_exception(page)
    assert "eta=0.12" in page.url
    assert _final_radius(page) > before
    page.screenshot(path="tests/_artifacts/nash.png")
