"""Real-browser test of the page "Optimizers"."""

from __future__ import annotations

import pytest

from tests.browser.helpers import no_exception, open_page, wait_idle

pytestmark = pytest.mark.browser
QUERY = "beta1=0.9&lr=0.001&steps=100"
ADAM_COSINE = "() => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[0].data[3].y)"


def test_moving_beta1_retrains_adam(app_server, page):
    open_page(page, app_server, "optimizers", QUERY)
    no_exception(page)
    page.wait_for_selector(".js-plotly-plot")
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 2
    before = page.evaluate(ADAM_COSINE)
    assert before and len(before) > 10  # the trace holds data
    slider = page.get_by_role("slider", name="Adam β₁ (momentum)")
    slider.focus()
    page.keyboard.press("ArrowLeft")  # 0.9 → 0.85
    wait_idle(page)
    no_exception(page)
    assert "beta1=0.85" in page.url
    page.wait_for_selector(".js-plotly-plot")
    assert page.evaluate(ADAM_COSINE) != before
