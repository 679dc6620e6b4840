"""AppTest of the lesson "Measuring the distance between distributions"."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture
def _open(app_test):
    def _open(query: dict[str, str] | None = None) -> AppTest:
        return app_test("distances", query)

    return _open


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _chart_specs(at: AppTest) -> list[str]:
    return [chart.proto.spec for chart in at.get("plotly_chart")]


def test_default_page_shows_wengs_piles_at_five_shovel_units(_open):
    at = _open()
    assert not at.exception
    assert at.title[0].value == "Measuring the distance between distributions"
    assert _metrics(at)["W (shovel-units)"] == "5"
    assert any(r"= 5" in latex.value for latex in at.latex)
    assert len(at.get("plotly_chart")) == 3
    assert [h.value for h in at.subheader][-2:] == ["What to notice", "Exercises"]
    assert any("drops the" in m.value or "without the" in m.value for m in at.markdown)  # the 1/2 in JS


def test_moving_a_pile_changes_the_plan_and_the_url(_open):
    at = _open()
    before = _chart_specs(at)
    at.slider(key="distances.P1").set_value(1)
    at.slider(key="distances.Q3").set_value(2).run()
    assert not at.exception
    # P = (1, 2, 1, 4), Q = (1, 2, 2, 3): running surplus 0, 0, -1, 0 -> one shovelful moves one pile.
    assert _metrics(at)["W (shovel-units)"] == "1"
    assert _metrics(at)["W per unit mass"] == f"{1 / 8:.4g}"
    assert _chart_specs(at)[:2] != before[:2]
    assert at.query_params["P1"] == "1" and at.query_params["Q3"] == "2"


def test_moving_a_gaussian_changes_the_kl_table(_open):
    at = _open()
    table_before = at.table[0].value.copy()
    at.slider(key="distances.sigma_q").set_value(1.0).run()
    table = at.table[0].value
    assert not table.equals(table_before)
    kl = table.set_index("quantity")
    # Equal variances: both KLs equal (mu_P - mu_Q)^2 / 2 = 0.5.
    assert kl.loc["KL(P‖Q)", "closed form"] == "0.500000" == kl.loc["KL(Q‖P)", "closed form"]
    assert kl.loc["KL(P‖Q)", "numerical integral"] == "0.500000"


def test_a_shared_link_restores_the_state(_open):
    at = _open({"P1": "10", "P2": "0", "P3": "0", "P4": "0", "Q1": "0", "Q2": "0", "Q3": "0", "Q4": "10",
                "sigma_q": "2"})
    assert not at.exception and not at.toast
    assert at.slider(key="distances.P1").value == 10 and at.slider(key="distances.Q4").value == 10
    assert at.slider(key="distances.sigma_q").value == 2.0
    assert _metrics(at)["W (shovel-units)"] == "30"
    assert at.query_params["Q4"] == "10" and at.query_params["sigma_q"] == "2"


def test_empty_piles_and_unequal_totals_are_explained_not_crashed(_open):
    at = _open({"P1": "0", "P2": "0", "P3": "0", "P4": "0"})
    assert not at.exception
    assert "P has no dirt" in at.warning[0].value
    at = _open({"P1": "9"})
    assert not at.exception
    assert "rescaled to probability distributions" in at.info[0].value
    assert _metrics(at)["W (shovel-units)"] == "—"
