"""AppTest of the lesson "Learning parallel lines" (few samples, so the estimates are quick)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

QUICK = {"n": "100"}


@pytest.fixture
def _open(app_test):
    def _open(query: dict[str, str] | None = None) -> AppTest:
        return app_test("parallel_lines", {**QUICK, **(query or {})})

    return _open


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _charts(at: AppTest) -> list[dict]:
    """Figures in page order: the lines, the distances, their derivatives, the descent."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_default_page_runs_and_shows_the_closed_forms(_open):
    at = _open()
    assert not at.exception
    assert at.title[0].value == "Learning parallel lines"
    assert _metrics(at) == {"W": "0.500", "JS": "0.693", "KL(P_θ‖P_0)": "+∞", "KL(P_0‖P_θ)": "+∞",
                            "TV δ": "1.000"}
    assert len(at.get("plotly_chart")) == 4
    assert [h.value for h in at.subheader][-2:] == ["What to notice", "Exercises"]
    assert at.code[-1].value == "python -m lessons figure 1"  # the same figure, headless
    assert dict(at.query_params) == {"n": "100", "theta": "0.5", "lr": "0.1", "decay": "0", "step": "30"}


def test_moving_theta_changes_the_numbers_and_every_chart(_open):
    at = _open()
    before = _charts(at)
    at.slider(key="parallel_lines.theta").set_value(-0.2).run()
    assert not at.exception
    assert _metrics(at)["W"] == "0.200"
    assert _metrics(at)["JS"] == "0.693"  # JS does not move with theta
    after = _charts(at)
    for i in range(4):
        assert after[i] != before[i]
    # The divergence panels mark the current theta with a dotted line on each of the five panels.
    assert {shape["x0"] for shape in after[1]["layout"]["shapes"]} == {-0.2}
    assert at.query_params["theta"] == "-0.2"


def test_theta_zero_makes_every_distance_vanish(_open):
    at = _open({"theta": "0"})
    assert set(_metrics(at).values()) == {"0.000"}
    assert any("undefined (kink)" in m.value for m in at.markdown)


def test_gradient_descent_under_w_reaches_the_data_line_and_js_stays(_open):
    at = _open({"theta": "0.5", "lr": "0.1", "step": "5"})
    caption = next(c.value for c in at.caption if "After 5 steps" in c.value)
    assert "θ = 0.000 under W" in caption and "θ = 0.500 under JS" in caption
    at.slider(key="parallel_lines.step").set_value(2).run()
    assert any("θ = 0.300 under W" in c.value for c in at.caption)
    assert at.query_params["step"] == "2"


def test_a_shared_link_restores_the_state(_open):
    at = _open({"theta": "-0.35", "lr": "0.05", "decay": "1", "step": "12"})
    assert not at.exception and not at.toast
    assert at.slider(key="parallel_lines.theta").value == -0.35
    assert at.slider(key="parallel_lines.n").value == 100
    assert at.slider(key="parallel_lines.lr").value == 0.05
    assert at.toggle(key="parallel_lines.decay").value is True
    assert at.slider(key="parallel_lines.step").value == 12
    assert _metrics(at)["W"] == "0.350"
    assert dict(at.query_params) == {"n": "100", "theta": "-0.35", "lr": "0.05", "decay": "1", "step": "12"}


def test_a_bad_link_value_falls_back_to_the_default(_open):
    at = _open({"theta": "3"})
    assert not at.exception
    assert any("theta=" in t.value for t in at.toast)
    assert at.slider(key="parallel_lines.theta").value == 0.5
