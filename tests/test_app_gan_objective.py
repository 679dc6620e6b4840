"""AppTest for the optimal-discriminator lesson page."""

from __future__ import annotations

import math

from streamlit.testing.v1 import AppTest


def _metrics(at: AppTest) -> list[str]:
    return [m.value for m in at.metric]


def test_page_renders_and_shows_the_identity(app_test):
    at = app_test("gan_objective", timeout=60)
    assert not at.exception
    value, rhs, _gap = _metrics(at)
    assert abs(float(value) - float(rhs)) < 1e-3
    assert len(at.get("plotly_chart")) == 2
    assert at.subheader.values[-2:] == ["What to notice", "Exercises"]


def test_moving_the_generator_changes_the_value_and_the_url(app_test):
    at = app_test("gan_objective", timeout=60)
    before = _metrics(at)[0]
    at.slider(key="gan_objective.gen_mean").set_value(5.0).run()
    assert not at.exception
    assert _metrics(at)[0] != before
    assert at.query_params["gen_mean"] == "5"


def test_state_is_restored_from_the_url(app_test):
    at = app_test("gan_objective", timeout=60, run=False)
    at.query_params.update(real_mean_a="0", real_mean_b="0", real_width="1", gen_mean="0", gen_width="1")
    at.run()
    assert not at.exception
    assert at.slider(key="gan_objective.gen_width").value == 1.0
    # p_g = p_r: the global minimum -2 log 2
    assert abs(float(_metrics(at)[0]) + 2 * math.log(2)) < 1e-5


def test_a_bad_link_value_falls_back_to_the_default(app_test):
    at = app_test("gan_objective", timeout=60, run=False)
    at.query_params["gen_width"] = "-3"
    at.run()
    assert not at.exception
    assert at.slider(key="gan_objective.gen_width").value == 1.0
