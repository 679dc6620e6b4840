"""Lesson "Optimal discriminator vs critic": the slope measure and the Fig 3 experiment."""

from __future__ import annotations

import numpy as np
import pytest

from lessons import optimal_critic as lesson


def test_a_straight_line_has_normalised_slope_one_everywhere():
    grid = np.linspace(-5.0, 5.0, 101)
    raw, normalised = lesson._normalised_slope(-0.003 * grid + 7.0, grid)
    np.testing.assert_allclose(raw, 0.003, rtol=1e-9)
    np.testing.assert_allclose(normalised, 1.0, rtol=1e-9)


def test_the_measure_ignores_the_scale_of_the_function():
    grid = np.linspace(-5.0, 5.0, 201)
    h = np.tanh(grid)
    _, a = lesson._normalised_slope(h, grid)
    _, b = lesson._normalised_slope(1e-4 * h + 3.0, grid)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-12)


def test_a_constant_has_slope_zero_and_a_step_is_flat_away_from_it():
    grid = np.linspace(-5.0, 5.0, 1001)
    _, flat = lesson._normalised_slope(np.full_like(grid, 0.5), grid)
    assert np.all(flat == 0.0)
    step = 1.0 / (1.0 + np.exp(-20.0 * grid))  # a saturated sigmoid
    _, slope = lesson._normalised_slope(step, grid)
    assert slope[np.abs(grid) > 2.0].max() < 1e-10
    assert slope.max() > 40.0  # 20 · (b − a) / 4 = 50 at the centre, minus discretisation


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="fake_mean"):
        lesson.fig3(fake_mean=9.0, iters=10)
    with pytest.raises(ValueError, match="iters"):
        lesson.fig3(iters=0)
    with pytest.raises(ValueError, match="clip_value"):
        lesson.fig3(clip_value=0.0, iters=10)


@pytest.fixture(scope="module")
def fig3():
    return lesson.fig3(fake_mean=2.5, iters=300, clip_value=0.01, n_samples=1000)


def test_fig3_discriminator_gives_vanishing_gradients_where_the_critic_does_not(fig3):
    # The paper's claim, on a common scale (slope relative to each function's own range): at the
    # generated points the optimal discriminator is flat and the optimal critic is not.
    assert fig3.disc_at_fake < 0.01 * fig3.critic_at_fake
    assert fig3.critic_at_fake > 0.5  # a line scores 1
    # the fake Gaussian sits in the saturated zone: D ≈ 0 there
    centre = np.argmin(np.abs(fig3.grid - 2.5))
    assert fig3.saturated[centre] and fig3.disc[centre] < lesson.SATURATION


def test_fig3_discriminator_separates_and_critic_ranks_real_above_fake(fig3):
    real_side, fake_side = np.argmin(np.abs(fig3.grid)), np.argmin(np.abs(fig3.grid - 2.5))
    assert fig3.disc[real_side] > 0.9
    assert fig3.critic[real_side] > fig3.critic[fake_side]
    assert 0.0 <= fig3.critic_unit.min() and fig3.critic_unit.max() == pytest.approx(1.0)


def test_fig3_is_seeded():
    a = lesson.fig3(fake_mean=-2.0, iters=20, n_samples=50)
    b = lesson.fig3(fake_mean=-2.0, iters=20, n_samples=50)
    np.testing.assert_array_equal(a.critic, b.critic)
    np.testing.assert_array_equal(a.disc, b.disc)


def test_progress_reaches_one():
    seen = []
    lesson.fig3(iters=20, n_samples=50, progress=lambda f, text: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


def test_exact_optimum_is_a_line_when_the_cdfs_never_cross_and_turns_where_they_do():
    grid = np.linspace(-5.0, 5.0, 2001)
    line, none = lesson.exact_optimum(grid, fake_mean=2.5, fake_std=lesson.DATA_STD)
    assert len(none) == 0
    np.testing.assert_allclose(np.abs(np.diff(line) / np.diff(grid)), 1.0, atol=1e-9)
    vee, cross = lesson.exact_optimum(grid, fake_mean=1.0, fake_std=1.5)
    # N(0, 0.5²) and N(1, 1.5²): the CDFs cross at x = μσ_r / (σ_r − σ_θ) = −0.5
    assert len(cross) == 1 and cross[0] == pytest.approx(-0.5, abs=0.01)
    slope = np.diff(vee) / np.diff(grid)
    # a V with its corner there (upside down: highest over the narrower data, which f must score high)
    assert np.all(slope[grid[1:] < -0.6] > 0) and np.all(slope[grid[:-1] > -0.4] < 0)


def test_with_unequal_widths_the_trained_critic_follows_the_v_not_a_line():
    r = lesson.fig3(fake_mean=0.0, fake_std=1.5, iters=300, n_samples=500)
    assert len(r.crossings) == 1 and abs(r.crossings[0]) < 0.01
    assert r.optimum_corr > 0.9 and r.linear_corr < 0.5
    assert "cross" in lesson.shape_sentence(r)
    with pytest.raises(ValueError, match="fake_std"):
        lesson.fig3(fake_std=0.0, iters=10)
