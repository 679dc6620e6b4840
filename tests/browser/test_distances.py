"""Real-browser test of the lesson "Measuring the distance between distributions"."""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    move_slider,
    no_exception,
    open_page,
    wait_for_charts,
    wait_for_value,
    wait_idle,
    wait_until,
)

pytestmark = pytest.mark.browser
FAR = "P1=10&P2=0&P3=0&P4=0&Q1=0&Q2=0&Q3=0&Q4=10"


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text()


def test_a_shared_link_opens_the_same_piles_and_a_slider_moves_the_dirt(app_server, page):
    open_page(page, app_server, "distances", FAR)
    no_exception(page)
    wait_for_charts(page, 3)
    assert page.locator(".katex").count() > 10  # formulas are rendered as LaTeX
    assert _metric(page, "W (shovel-units)") == "30"

    move_slider(page, "P4 (shovelfuls)", "ArrowRight", url_has="P4=1")  # P4: 0 -> 1, totals differ now
    wait_for_value(lambda: _metric(page, "W (shovel-units)"), "—", "W with unequal totals")
    no_exception(page)
    move_slider(page, "P1 (shovelfuls)", "ArrowLeft", url_has="P1=9")  # P1: 10 -> 9, equal totals again
    # 9 shovelfuls x 3, the last one stays put
    wait_for_value(lambda: _metric(page, "W (shovel-units)"), "27", "W with equal totals again")
    no_exception(page)


def test_exercise_answer_is_revealed_only_after_a_prediction(app_server, page):
    open_page(page, app_server, "distances")
    reveal = page.get_by_role("switch", name="Reveal answer").first
    assert reveal.is_disabled()
    page.get_by_text("W = 30, TV = 1", exact=True).click()
    wait_until(reveal.is_enabled, "the reveal switch to unlock after the prediction")
    wait_idle(page)
    page.get_by_text("Reveal answer").first.click()
    answer = page.get_by_text("all ten shovelfuls travel three units")
    wait_until(answer.is_visible, "the revealed answer")
    wait_idle(page)
    no_exception(page)
