"""Real-browser test of the page "Optimizers"."""

from __future__ import annotations

import pytest

from tests.browser.helpers import move_slider, no_exception, open_page, wait_for_change, wait_for_charts, wait_until

pytestmark = pytest.mark.browser
QUERY = "beta1=0.9&lr=0.001&steps=100"
ADAM_COSINE = "() => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[0].data[3].y)"


def test_moving_beta1_retrains_adam(app_server, page):
    open_page(page, app_server, "optimizers", QUERY)
    no_exception(page)
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    wait_for_charts(page, 2)
    before = wait_until(lambda: page.evaluate(ADAM_COSINE), "the Adam curve to be drawn")
    assert before and len(before) > 10  # the trace holds data
    move_slider(page, "Adam β₁ (momentum)", "ArrowLeft", url_has="beta1=0.85")  # 0.9 → 0.85
    wait_for_change(lambda: page.evaluate(ADAM_COSINE), before, "the Adam curve")
    no_exception(page)
