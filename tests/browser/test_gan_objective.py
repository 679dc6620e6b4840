"""Real-browser test of the optimal-discriminator page: move the generator, the numbers change."""

from __future__ import annotations

from tests.browser.helpers import move_slider, no_exception, open_page, wait_for_change, wait_for_charts


def _first_metric(page) -> str:
    return page.locator('[data-testid="stMetricValue"]').first.inner_text()


def test_gan_objective_page_reacts_to_the_generator_slider(app_server, page):
    open_page(page, app_server, "gan_objective")
    no_exception(page)
    page.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for(timeout=120_000)
    wait_for_charts(page, 2)
    before = _first_metric(page)
    move_slider(page, "Generator: mean", "ArrowRight", presses=3, url_has="gen_mean=0.3")
    wait_for_change(lambda: _first_metric(page), before, "the first metric")
    no_exception(page)
    page.screenshot(path="tests/_artifacts/gan_objective.png", full_page=True)
