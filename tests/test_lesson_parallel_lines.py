"""Lesson "Learning parallel lines" (paper Example 1): closed forms, derivatives, estimates, descent."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lessons import defaults
from lessons import parallel_lines as lesson

LOG2 = math.log(2.0)


def test_closed_form_curves_follow_example_1():
    thetas = np.array([-0.5, 0.0, 0.25])
    curves = lesson.closed_form_curves(thetas)
    np.testing.assert_allclose(curves["W"], [0.5, 0.0, 0.25])
    np.testing.assert_allclose(curves["JS"], [LOG2, 0.0, LOG2])
    np.testing.assert_array_equal(curves["KL"], [math.inf, 0.0, math.inf])
    np.testing.assert_array_equal(curves["KL_reverse"], [math.inf, 0.0, math.inf])
    np.testing.assert_allclose(curves["TV"], [1.0, 0.0, 1.0])


def test_the_grid_contains_zero_exactly():
    assert (lesson.THETA_GRID == 0.0).sum() == 1
    assert set(lesson.ESTIMATE_THETAS) <= set(np.round(lesson.THETA_GRID, 10)) | {0.04, -0.04}


def test_derivatives_are_sign_for_w_zero_for_the_others_and_undefined_at_zero():
    assert lesson.derivative("W", 0.3) == 1.0 and lesson.derivative("W", -0.01) == -1.0
    for name in ("JS", "KL", "KL_reverse", "TV"):
        assert lesson.derivative(name, 0.7) == 0.0 and lesson.derivative(name, -0.7) == 0.0
    for name in lesson.NAMES:
        assert math.isnan(lesson.derivative(name, 0.0))
    slopes = lesson.derivative_curves()
    assert np.isnan(slopes["W"][lesson.THETA_GRID == 0]).all()


def test_finite_differences_of_the_closed_forms_agree_with_the_derivatives():
    h = 1e-6
    for theta in (-0.8, -0.1, 0.3, 0.9):
        values = lesson.closed_form_curves(np.array([theta - h, theta + h]))
        for name in ("W", "JS", "TV"):
            numeric = (values[name][1] - values[name][0]) / (2 * h)
            assert numeric == pytest.approx(lesson.derivative(name, theta), abs=1e-6)


def test_at_theta_returns_values_and_slopes():
    value, slope = lesson.at_theta(-0.25)
    assert value["W"] == 0.25 and slope["W"] == -1.0 and slope["JS"] == 0.0


def test_estimates_are_seeded_and_agree_with_the_closed_forms_away_from_the_histogram_cell():
    est = lesson.estimate_curves(60, thetas=(-0.5, 0.0, 0.04, 0.5), seeds=2)
    again = lesson.estimate_curves(60, thetas=(-0.5, 0.0, 0.04, 0.5), seeds=2)
    for name in lesson.NAMES:
        np.testing.assert_array_equal(est.values[name], again.values[name])
        assert est.values[name].shape == (4, 2)
    w = est.mean("W")
    assert w[0] >= 0.5 and w[3] >= 0.5 and w[0] < 0.6
    assert w[2] > 0.04 > 0 < w[1] < w[2]  # W still sees a shift smaller than a histogram cell
    np.testing.assert_allclose(est.mean("JS")[[0, 3]], LOG2)
    np.testing.assert_allclose(est.mean("TV")[[0, 3]], 1.0)
    assert np.isinf(est.mean("KL")[[0, 3]]).all() and (est.std("KL")[[0, 3]] == 0).all()
    # theta = 0.04 sits in the data line's histogram column: the histogram estimates barely tell.
    assert est.mean("JS")[2] < 0.5 * LOG2 and est.mean("TV")[2] < 0.5


def test_gradient_descent_under_w_reaches_zero_and_under_js_never_moves():
    path = lesson.gradient_descent("W", 0.5, 0.1, steps=8)
    np.testing.assert_allclose(path[:6], [0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    assert (path[5:] == 0).all()
    for name in ("JS", "KL", "KL_reverse", "TV"):
        assert (lesson.gradient_descent(name, 0.5, 0.1, steps=8) == 0.5).all()


def test_constant_steps_bounce_around_zero_and_decaying_steps_settle():
    bounce = lesson.gradient_descent("W", 0.55, 0.1, steps=30)
    np.testing.assert_allclose(np.abs(bounce[6:]), 0.05)
    settle = lesson.gradient_descent("W", 0.55, 0.1, steps=400, decay=True)
    assert abs(settle[-1]) < 0.01
    assert lesson.gradient_descent("W", 0.3, 0.1).shape == (lesson.GD_STEPS + 1,)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: lesson.gradient_descent("W", 0.5, 0.0), "lr"),
        (lambda: lesson.gradient_descent("W", 0.5, 0.1, -1), "steps"),
        (lambda: lesson.derivative("Hellinger", 0.1), "unknown distance"),
        (lambda: lesson.sample_lines(math.inf), "theta"),
        (lambda: lesson.estimate_curves(50, seeds=0), "seeds"),
    ],
)
def test_bad_inputs_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_controls_defaults_are_inside_their_ranges():
    for control in lesson.CONTROLS + lesson.DESCENT_CONTROLS:
        if hasattr(control, "min"):
            assert control.min <= control.default <= control.max
    assert defaults(lesson.DESCENT_CONTROLS)["step"] == lesson.GD_STEPS
