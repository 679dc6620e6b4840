"""AppTest for the lesson page "Optimizers" (tiny, seeded runs via the URL)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

SMALL = {"beta1": "0.9", "lr": "0.001", "steps": "100"}


@pytest.fixture
def _app(app_test):
    def _app(**query: str) -> AppTest:
        return app_test("optimizers", {**SMALL, **query}, timeout=180)

    return _app


def test_page_renders_figures_metrics_and_footer(_app):
    at = _app()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    assert len(at.metric) == 4
    assert at.metric[0].value == "0.0%"  # RMSProp never steps against the gradient
    assert at.subheader.values[-2:] == ["What to notice", "Exercises"]


def test_moving_beta1_changes_the_adam_run_and_the_url(_app):
    at = _app()
    before = [m.value for m in at.metric]
    at.slider(key="optimizers.beta1").set_value(0.0).run()
    assert not at.exception
    after = [m.value for m in at.metric]
    assert after != before and after[1] == "0.0%"  # no momentum: Adam's cosine is positive too
    assert at.query_params["beta1"] == "0"


def test_state_is_restored_from_the_url_and_bad_values_fall_back(_app):
    at = _app(beta1="0.5", lr="7")
    assert not at.exception
    assert at.slider(key="optimizers.beta1").value == 0.5
    assert at.select_slider(key="optimizers.lr").value == 0.001
