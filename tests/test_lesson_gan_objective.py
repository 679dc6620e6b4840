"""Known answers for the optimal-discriminator lesson: D* formula and L(G, D*) = 2 JS - 2 log 2."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lessons.gan_objective as lesson
from lessons import defaults


def test_d_star_formula_on_known_values():
    p_r = np.array([3.0, 1.0, 0.0, 2.0, 0.0])
    p_g = np.array([1.0, 1.0, 5.0, 0.0, 0.0])
    d = lesson.optimal_discriminator(p_r, p_g)
    np.testing.assert_allclose(d[:4], [0.75, 0.5, 0.0, 1.0])
    assert math.isnan(d[4])  # 0/0: outside both supports


def test_d_star_maximises_the_pointwise_integrand():
    """A log t + B log(1 - t) is largest at t = A / (A + B) (checked on a fine grid of t)."""
    t = np.linspace(1e-4, 1 - 1e-4, 100_001)
    for a, b in [(3.0, 1.0), (0.2, 0.7), (1.0, 1.0)]:
        f = a * np.log(t) + b * np.log(1 - t)
        best = t[np.argmax(f)]
        assert best == pytest.approx(lesson.optimal_discriminator(np.array([a]), np.array([b]))[0], abs=1e-4)


def test_d_star_beats_other_discriminators():
    res = lesson.analyse_controls(defaults(lesson.CONTROLS))
    _, dx = lesson.grid()
    best = lesson.gan_value(res.p_r, res.p_g, res.d_star, dx)
    assert best == pytest.approx(res.value, abs=1e-9)
    for d in (np.full_like(res.p_r, 0.5), np.clip(res.d_star + 0.05, 0, 1), 1 / (1 + np.exp(-res.x))):
        assert lesson.gan_value(res.p_r, res.p_g, d, dx) < best


@pytest.mark.parametrize("shape", [
    dict(real_mean_a=-1.5, real_mean_b=2.0, real_width=0.5, real_weight=0.5, gen_mean=0.0, gen_width=1.0),
    dict(real_mean_a=-3.0, real_mean_b=3.0, real_width=0.05, real_weight=0.2, gen_mean=-2.9, gen_width=0.3),
    dict(real_mean_a=0.0, real_mean_b=0.5, real_width=2.0, real_weight=1.0, gen_mean=1.0, gen_width=3.0),
    dict(real_mean_a=4.0, real_mean_b=-4.0, real_width=0.1, real_weight=0.7, gen_mean=0.0, gen_width=0.05),
])
def test_value_at_d_star_is_two_js_minus_two_log_two(shape):
    res = lesson.analyse_controls(shape)
    assert abs(res.value - (2 * res.js - 2 * math.log(2))) < 1e-3
    assert 0.0 <= res.js <= math.log(2) + 1e-12


def test_equal_densities_give_the_global_minimum():
    res = lesson.analyse(lesson.real_mixture(0.0, 0.0, 1.0, 0.5), lesson.generator_density(0.0, 1.0))
    assert res.js == pytest.approx(0.0, abs=1e-12)
    assert res.value == pytest.approx(-2 * math.log(2), abs=1e-6)
    assert np.nanmax(np.abs(res.d_star - 0.5)) < 1e-12


def test_disjoint_supports_give_js_log_two_and_zero_value():
    res = lesson.analyse(lesson.real_mixture(-1.5, 2.0, 0.05, 0.5), lesson.generator_density(5.0, 0.05))
    assert res.js == pytest.approx(math.log(2), abs=1e-9)
    assert res.value == pytest.approx(0.0, abs=1e-9)


def test_known_js_of_two_unit_gaussians_one_apart():
    """Reference value by direct quadrature of the JS integral with scipy's integrate.quad."""
    from scipy import integrate
    from scipy.stats import norm

    def integrand(x):
        p, q = norm.pdf(x), norm.pdf(x, loc=1.0)
        m = 0.5 * (p + q)
        return 0.5 * p * math.log(p / m) + 0.5 * q * math.log(q / m)

    reference, _ = integrate.quad(integrand, -12, 13)
    res = lesson.analyse(lesson.real_mixture(0.0, 0.0, 1.0, 0.5), lesson.generator_density(1.0, 1.0))
    assert res.js == pytest.approx(reference, abs=1e-6)


def test_sweep_reaches_the_log_two_plateau_far_from_the_data():
    values = {**defaults(lesson.CONTROLS), "real_width": 0.1, "gen_width": 0.1}
    sweep = lesson.sweep_controls(values, n=25)
    assert sweep["js"].shape == (25,)
    far = np.abs(sweep["gen_mean"]) > 5.0
    np.testing.assert_allclose(sweep["js"][far], math.log(2), atol=1e-6)
    assert sweep["js"].min() < 0.6


def test_bad_input_raises_value_error_naming_the_problem():
    with pytest.raises(ValueError, match="widths"):
        lesson.generator_density(0.0, 0.0)
    with pytest.raises(ValueError, match="weight_a"):
        lesson.real_mixture(0.0, 1.0, 1.0, 1.5)
    with pytest.raises(ValueError, match="same shape"):
        lesson.optimal_discriminator(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="non-negative"):
        lesson.optimal_discriminator(np.array([-1.0]), np.array([1.0]))
