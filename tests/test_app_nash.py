"""AppTest for the Nash-dynamics lesson page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _metrics(at: AppTest) -> list[str]:
    return [m.value for m in at.metric]


def test_page_renders_with_both_schemes(app_test):
    at = app_test("nash", timeout=60)
    assert not at.exception
    assert len(at.get("plotly_chart")) == 4
    assert float(_metrics(at)[1]) > float(_metrics(at)[0])  # the simultaneous iterates moved outward
    assert at.subheader.values[-2:] == ["What to notice", "Exercises"]


def test_changing_eta_changes_the_final_radius_and_the_url(app_test):
    at = app_test("nash", timeout=60)
    before = _metrics(at)[1]
    at.slider(key="nash.eta").set_value(0.2).run()
    assert not at.exception
    assert float(_metrics(at)[1]) > float(before)
    assert at.query_params["eta"] == "0.2"
    at.toggle(key="nash.alternating").set_value(False).run()
    assert len(at.get("plotly_chart")) == 3
    assert at.query_params["alternating"] == "0"


def test_state_is_restored_from_the_url(app_test):
    at = app_test("nash", timeout=60, run=False)
    at.query_params.update(eta="0.1", steps="100", x0="1", y0="1", alternating="0")
    at.run()
    assert not at.exception
    assert at.slider(key="nash.steps").value == 100
    assert at.toggle(key="nash.alternating").value is False
    assert abs(float(_metrics(at)[1]) - 2**0.5 * 1.01**50) < 5e-4  # ≈ 2.326, shown to 4 significant digits
