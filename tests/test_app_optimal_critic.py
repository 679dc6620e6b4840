"""AppTest for the lesson page "Optimal discriminator vs critic" (tiny, seeded settings via the URL)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

SMALL = {"fake_mean": "2.5", "iters": "100", "clip_value": "0.01"}


@pytest.fixture
def _app(app_test):
    def _app(**query: str) -> AppTest:
        return app_test("optimal_critic", {**SMALL, **query}, timeout=60)

    return _app


def test_page_renders_figures_metrics_and_footer(_app):
    at = _app()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    assert len(at.metric) == 3
    assert at.subheader.values[-2:] == ["What to notice", "Exercises"]


def test_moving_the_fake_gaussian_changes_the_output_and_the_url(_app):
    at = _app()
    before = [m.value for m in at.metric]
    at.slider(key="optimal_critic.fake_mean").set_value(-2.0).run()
    assert not at.exception
    assert [m.value for m in at.metric] != before
    assert at.query_params["fake_mean"] == "-2"


def test_state_is_restored_from_the_url_and_bad_values_fall_back(_app):
    at = _app(fake_mean="1.5", clip_value="banana")
    assert not at.exception
    assert at.slider(key="optimal_critic.fake_mean").value == 1.5
    assert at.slider(key="optimal_critic.iters").value == 100
    assert at.select_slider(key="optimal_critic.clip_value").value == 0.01
