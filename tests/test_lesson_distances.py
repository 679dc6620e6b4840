"""Lesson "Measuring the distance between distributions": dirt piles and the Gaussian KLs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lessons import Slider, defaults
from lessons import distances as lesson


def test_wengs_piles_cost_five_shovel_units_and_match_the_running_surplus():
    result = lesson.earth_mover(lesson.P_DEFAULT, lesson.Q_DEFAULT)
    assert result.equal_totals
    assert result.shovel_cost == pytest.approx(5.0)
    assert result.w == pytest.approx(0.5)
    np.testing.assert_allclose(result.deltas, [2, 2, -1, 0])
    assert np.abs(result.deltas).sum() == pytest.approx(result.shovel_cost)
    # The plan is in shovelfuls: rows add up to P's piles, columns to Q's.
    np.testing.assert_allclose(result.plan.sum(axis=1), lesson.P_DEFAULT, atol=1e-9)
    np.testing.assert_allclose(result.plan.sum(axis=0), lesson.Q_DEFAULT, atol=1e-9)
    moved = sum(amount * abs(dst - src) for src, dst, amount in lesson.plan_moves(result))
    assert moved == pytest.approx(5.0)


def test_the_controls_start_on_wengs_example():
    start = defaults(lesson.CONTROLS)
    assert [start[f"P{i}"] for i in range(1, 5)] == list(lesson.P_DEFAULT)
    assert [start[f"Q{i}"] for i in range(1, 5)] == list(lesson.Q_DEFAULT)
    piles = [c for c in lesson.PILE_CONTROLS if isinstance(c, Slider)]
    assert len(piles) == 8 and all(c.integer and c.min == 0 and c.max == 10 for c in piles)


@pytest.mark.parametrize(
    ("p", "q"), [((3, 1, 4, 1), (5, 0, 2, 2)), ((0, 0, 0, 7), (7, 0, 0, 0)), ((1, 2, 3, 4), (1, 2, 3, 4))]
)
def test_plan_cost_equals_the_running_surplus_for_equal_totals(p, q):
    result = lesson.earth_mover(p, q)
    assert result.shovel_cost == pytest.approx(np.abs(np.cumsum(np.subtract(p, q))).sum())


def test_piles_far_apart_cost_more_in_w_but_not_in_tv():
    near = lesson.earth_mover((10, 0, 0, 0), (0, 10, 0, 0))
    far = lesson.earth_mover((10, 0, 0, 0), (0, 0, 0, 10))
    assert (near.shovel_cost, far.shovel_cost) == (pytest.approx(10.0), pytest.approx(30.0))
    assert near.tv == far.tv == pytest.approx(1.0)
    assert near.js == pytest.approx(math.log(2)) and far.js == pytest.approx(math.log(2))
    assert near.kl_pq == math.inf


def test_unequal_totals_are_compared_as_probability_distributions():
    result = lesson.earth_mover((2, 0, 0, 0), (0, 0, 0, 4))
    assert not result.equal_totals and result.shovel_cost is None and result.deltas is None
    assert result.w == pytest.approx(3.0)
    assert result.plan.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("p", "q", "message"),
    [((0, 0, 0, 0), (1, 1, 1, 1), "P has no dirt"), ((1, 1, 1, 1), (1, -1, 1, 1), "Q pile sizes"),
     ((1, 1, 1), (1, 1, 1, 1), "P must hold 4"), ((1, 1, 1, float("nan")), (1, 1, 1, 1), "finite")],
)
def test_bad_piles_raise(p, q, message):
    with pytest.raises(ValueError, match=message):
        lesson.earth_mover(p, q)


def test_gaussian_kl_closed_form_known_values():
    assert lesson.kl_gaussians(0, 1, 0, 1) == 0.0
    assert lesson.kl_gaussians(0, 1, 1, 1) == pytest.approx(0.5)  # (mu_P - mu_Q)^2 / (2 sigma^2)
    assert lesson.kl_gaussians(0, 1, 0, 2) == pytest.approx(math.log(2) + 1 / 8 - 0.5)


def test_closed_forms_match_numerical_integration_and_kl_is_asymmetric():
    cmp = lesson.gaussian_kl(0.0, 1.0, 1.0, 0.5)
    assert cmp.kl_pq_numeric == pytest.approx(cmp.kl_pq, rel=1e-7)
    assert cmp.kl_qp_numeric == pytest.approx(cmp.kl_qp, rel=1e-7)
    assert cmp.kl_pq > 3 * cmp.kl_qp
    assert 0 < cmp.js_numeric < math.log(2) and 0 < cmp.tv_numeric < 1
    # The plotted integrands integrate (on the plotting grid) to the KLs they illustrate.
    assert np.trapezoid(cmp.kl_pq_integrand, cmp.x) == pytest.approx(cmp.kl_pq, rel=2e-2)
    assert cmp.x.shape == cmp.p.shape == cmp.kl_qp_integrand.shape


def test_equal_variances_make_kl_symmetric_and_w1_equal_to_the_mean_gap():
    cmp = lesson.gaussian_kl(0.0, 0.8, 2.5, 0.8)
    assert cmp.kl_pq == pytest.approx(cmp.kl_qp)
    assert cmp.w1_numeric == pytest.approx(2.5, rel=1e-6)


@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan")])
def test_bad_gaussians_raise(sigma):
    with pytest.raises(ValueError, match="standard deviation of Q"):
        lesson.gaussian_kl(0.0, 1.0, 0.0, sigma)
