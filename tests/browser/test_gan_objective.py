"""Real-browser test of the optimal-discriminator page: move the generator, the numbers change."""

from __future__ import annotations

from tests.browser.helpers import no_exception, open_page, wait_idle


def _first_metric(page) -> str:
    return page.locator('[data-testid="stMetricValue"]').first.inner_text()


def test_gan_objective_page_reacts_to_the_generator_slider(app_server, page):
    open_page(page, app_server, "gan_objective")
    no_exception(page)
    page.locator('[data-testid="stPlotlyChart"]').nth(1).wait_for()
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 2
    before = _first_metric(page)
    thumb = page.get_by_role("slider", name="Generator: mean")
    thumb.focus()
    for _ in range(3):
        thumb.press("ArrowRight")
    wait_idle(page)
    no_exception(page)
    assert "gen_mean=0.3" in page.url
    assert _first_metric(page) != before
    page.screenshot(path="tests/_artifacts/gan_objective.png", full_page=True)
