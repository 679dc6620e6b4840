"""Real-browser test of the Nash-dynamics page: a larger η makes the spiral end further out."""

from __future__ import annotations

from tests.browser.helpers import move_slider, no_exception, open_page, wait_for_charts, wait_until


def _final_radius(page) -> float:
    return float(page.locator('[data-testid="stMetricValue"]').nth(1).inner_text())


def test_nash_page_reacts_to_the_learning_rate(app_server, page):
    open_page(page, app_server, "nash")
    no_exception(page)
    page.locator('[data-testid="stPlotlyChart"]').nth(3).wait_for(timeout=120_000)
    wait_for_charts(page, 4)
    before = _final_radius(page)
    move_slider(page, "Learning rate η", "ArrowRight", presses=2, url_has="eta=0.12")
    wait_until(lambda: _final_radius(page) > before,
               lambda: f"the final radius to grow from {before} (now {_final_radius(page)})")
    no_exception(page)
    page.screenshot(path="tests/_artifacts/nash.png")
