"""Real-browser test of the lesson "Measuring the distance between distributions"."""

from __future__ import annotations

import pytest

from tests.browser.helpers import move_slider, no_exception, open_page, wait_idle

pytestmark = pytest.mark.browser
FAR = "P1=10&P2=0&P3=0&P4=0&Q1=0&Q2=0&Q3=0&Q4=10"


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_a_shared_link_opens_the_same_piles_and_a_slider_moves_the_dirt(app_server, page):
    open_page(page, app_server, "distances", FAR)
    no_exception(page)
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 3
    assert page.locator(".katex").count() > 10  # formulas are rendered as LaTeX
    assert _metric(page, "W (shovel-units)") == "30"

    move_slider(page, "P4 (shovelfuls)", "ArrowRight")  # P4: 0 -> 1, totals differ now
    no_exception(page)
    assert "P4=1" in page.url
    assert _metric(page, "W (shovel-units)") == "—"
    move_slider(page, "P1 (shovelfuls)", "ArrowLeft")  # P1: 10 -> 9, equal totals again
    assert "P1=9" in page.url
    assert _metric(page, "W (shovel-units)") == "27"  # 9 shovelfuls x 3, the last one stays put


def test_exercise_answer_is_revealed_only_after_a_prediction(app_server, page):
    open_page(page, app_server, "distances")
    reveal = page.get_by_role("switch", name="Reveal answer").first
    assert reveal.is_disabled()
    page.get_by_text("W = 30, TV = 1", exact=True).click()
    wait_idle(page)
    assert not reveal.is_disabled()
    page.get_by_text("Reveal answer").first.click()
    wait_idle(page)
    no_exception(page)
    assert page.get_by_text("all ten shovelfuls travel three units").is_visible()
