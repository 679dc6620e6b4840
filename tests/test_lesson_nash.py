"""Known answers for the x·y game: the simultaneous radius grows as (1+η²)^(t/2); alternating is bounded."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lessons.nash as lesson
from lessons import defaults


def test_simultaneous_radius_grows_for_eta_0_1():
    traj = lesson.simultaneous(1.0, 1.0, 0.1, 100)
    r = traj.radius
    assert np.all(np.diff(r) > 0)  # strictly outward, every single step
    assert r[-1] == pytest.approx(math.sqrt(2) * 1.01**50, rel=1e-12)  # ≈ 2.326


@pytest.mark.parametrize("eta", [0.01, 0.1, 0.37, 0.5])
def test_simultaneous_radius_matches_the_closed_form(eta):
    traj = lesson.simultaneous(0.3, -1.2, eta, 80)
    np.testing.assert_allclose(traj.radius, lesson.radius_theory(math.hypot(0.3, -1.2), eta, 80), rtol=1e-12)


def test_first_step_by_hand():
    traj = lesson.simultaneous(1.0, 2.0, 0.1, 1)
    assert (traj.x[1], traj.y[1]) == pytest.approx((1.0 - 0.1 * 2.0, 2.0 + 0.1 * 1.0))
    alt = lesson.alternating(1.0, 2.0, 0.1, 1)
    assert (alt.x[1], alt.y[1]) == pytest.approx((0.8, 2.0 + 0.1 * 0.8))


@pytest.mark.parametrize("eta", [0.05, 0.1, 0.5, 1.5])
def test_alternating_conserves_q_and_stays_bounded(eta):
    traj = lesson.alternating(1.0, 1.0, eta, 400)
    q = lesson.alternating_invariant(traj, eta)
    np.testing.assert_allclose(q, q[0], rtol=1e-10)
    # Q is positive definite for eta < 2, so a constant Q bounds the radius: r² ≤ Q / (1 - eta/2)
    assert traj.radius.max() ** 2 <= q[0] / (1 - eta / 2) + 1e-9
    # ...and it does not converge either: it keeps coming back near the start radius
    assert traj.radius[-50:].max() > 0.5 * traj.radius[0]


def test_equilibrium_is_a_fixed_point():
    for scheme in (lesson.simultaneous, lesson.alternating):
        traj = scheme(0.0, 0.0, 0.3, 20)
        assert np.all(traj.x == 0) and np.all(traj.y == 0)


def test_gradient_flow_is_the_circle_through_the_start():
    x, y = lesson.gradient_flow(0.6, -0.8)
    np.testing.assert_allclose(np.hypot(x, y), 1.0, rtol=1e-12)
    assert (x[0], y[0]) == pytest.approx((0.6, -0.8))


def test_play_with_defaults_and_without_alternating():
    game = lesson.play(defaults(lesson.CONTROLS))
    assert game["simultaneous"].x.shape == (151,)
    assert game["growth_per_step"] == pytest.approx(math.sqrt(1.01))
    assert "alternating" in game
    game = lesson.play({**defaults(lesson.CONTROLS), "alternating": False})
    assert "alternating" not in game


def test_bad_input_raises_value_error_naming_the_problem():
    with pytest.raises(ValueError, match="eta"):
        lesson.simultaneous(1.0, 1.0, 0.0, 10)
    with pytest.raises(ValueError, match="steps"):
        lesson.alternating(1.0, 1.0, 0.1, 0)
    with pytest.raises(ValueError, match="steps"):
        lesson.radius_theory(1.0, 0.1, 2.5)
