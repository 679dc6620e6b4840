"""AppTest for the lesson page "A loss that means something" (tiny, seeded runs via the URL)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

SMALL = {"dataset": "8gaussians", "steps": "100", "failed_lr": "0.1", "median_window": "5"}


@pytest.fixture
def _app(app_test):
    def _app(**query: str) -> AppTest:
        return app_test("meaningful_loss", {**SMALL, **query}, timeout=180)

    return _app


def test_page_renders_three_runs_with_correlations_and_footer(_app):
    at = _app()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 6  # a curve and a snapshot strip per run
    assert len(at.metric) == 3
    assert at.subheader.values[-2:] == ["What to notice", "Exercises"]


def test_the_median_filter_changes_the_curves_and_the_url_without_retraining(_app):
    at = _app()
    before = at.get("plotly_chart")[0].proto.spec
    at.slider(key="meaningful_loss.median_window").set_value(1).run()
    assert not at.exception
    assert at.get("plotly_chart")[0].proto.spec != before
    assert at.query_params["median_window"] == "1"


def test_state_is_restored_from_the_url_and_bad_values_fall_back(_app):
    at = _app(median_window="9", dataset="nonsense")
    assert not at.exception
    assert at.slider(key="meaningful_loss.median_window").value == 9
    assert at.selectbox(key="meaningful_loss.dataset").value == "8gaussians"
    assert at.slider(key="meaningful_loss.steps").value == 100
