"""Real Chromium: the images lesson restores its controls from a link, trains one live step on the
digits and shows the fixed-noise grid, the W-estimate curve and the class-coverage numbers."""

from __future__ import annotations

import pytest

from tests.browser.helpers import no_exception, open_page, wait_idle, wait_until
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_images_page_steps_a_live_digits_run(app_server, page):
    open_page(page, app_server, "images", "generator=mlp&method=gan&n_critic=3")
    no_exception(page)
    page.get_by_text(lesson_title := "Training on images").first.wait_for(timeout=120_000)
    boxes = page.locator('[data-testid="stSelectbox"]')
    generator = boxes.filter(has_text="Generator").first.inner_html()
    method = boxes.filter(has_text="Method").first.inner_html()
    assert "MLP" in generator and "GAN (" in method and "WGAN" not in method, (generator, method)  # from the link
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("classes covered").first.wait_for(timeout=120_000)
    page.get_by_text("Fixed noise, step").first.wait_for(timeout=120_000)
    wait_idle(page)
    no_exception(page)
    assert "n_critic=3" in page.url and "generator=mlp" in page.url
    charts = page.locator(".js-plotly-plot")
    wait_until(lambda: charts.count() >= 3, lambda: f"three charts (found {charts.count()})")
    page.screenshot(path=str(ARTIFACTS / "images-live.png"), full_page=False)
    page.get_by_role("button", name="New run", exact=True).click()
    # New run drops the run: its live figures go away
    wait_until(lambda: page.get_by_text("Fixed noise, step").count() == 0, "New run to clear the live run")
    wait_idle(page)
    no_exception(page)
    assert lesson_title
