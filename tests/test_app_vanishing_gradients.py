"""AppTest for the vanishing-gradients lesson page (small iteration counts through the URL)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _metrics(at: AppTest) -> list[str]:
    return [m.value for m in at.metric]


@pytest.fixture
def _open(app_test):
    def _open(**query) -> AppTest:
        return app_test("vanishing_gradients", dict(iters="200", **query))

    return _open


def test_page_renders_restores_the_url_and_reacts_to_theta(_open):
    at = _open(theta="0.5", seed="1")
    assert not at.exception
    assert at.slider(key="vanishing_gradients.iters").value == 200
    assert at.slider(key="vanishing_gradients.theta").value == 0.5
    assert len(at.get("plotly_chart")) == 3
    assert at.subheader.values[-2:] == ["What to notice", "Exercises"]
    before = _metrics(at)
    at.slider(key="vanishing_gradients.theta").set_value(1.5).run()
    assert not at.exception
    assert _metrics(at) != before
    assert at.query_params["theta"] == "1.5"


def test_the_ring_setting_renders(_open):
    at = _open(setting="ring")
    assert not at.exception
    assert at.selectbox(key="vanishing_gradients.setting").value == "ring"
    gan = at.metric[0]
    gan_peak = float(gan.label.split("(peak ")[1].rstrip(")"))
    assert float(gan.value) < gan_peak
