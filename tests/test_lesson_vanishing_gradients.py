"""The vanishing-gradient experiment: seeded, small, and with the answers the theory predicts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import lessons.vanishing_gradients as lesson


@pytest.fixture(scope="module")
def lines_run():
    calls = []
    result = lesson.run_experiment("lines", theta=1.0, iters=1000, lr=3.16e-3, seed=0,
                                   progress=lambda f, m: calls.append((f, m)))
    return result, calls


def test_gan_generator_gradient_falls_by_at_least_three_orders_of_magnitude(lines_run):
    result, _ = lines_run
    gan = result.curves["gan-minimax"]["grad_norm"]
    assert result.orders_fallen("gan-minimax") >= 3.0
    assert gan[-1] < 1e-3 * gan.max()
    # ...and the discriminator it measures is (nearly) perfect: D -> 1 on data, -> 0 on fakes, JS bound -> log 2
    state = result.curves["gan-minimax"]
    assert state["d_real"][-1] > 0.999 and state["d_fake"][-1] < 1e-3
    assert state["js_estimate"][-1] == pytest.approx(math.log(2), abs=1e-3)


def test_wgan_critic_gradient_does_not_vanish(lines_run):
    result, _ = lines_run
    wgan = result.curves["wgan"]["grad_norm"]
    assert result.orders_fallen("wgan") < 0.5
    assert wgan[-1] > 100 * result.curves["gan-minimax"]["grad_norm"][-1]
    assert result.curves["wgan"]["estimate"][-1] > 0  # the critic scores data above fakes


def test_shapes_checkpoints_and_progress(lines_run):
    result, calls = lines_run
    k = len(result.iters)
    assert result.iters[0] == 0 and result.iters[-1] == 1000 and np.all(np.diff(result.iters) > 0)
    for curve in result.curves.values():
        assert all(v.shape == (k,) for v in curve.values())
    assert result.real.shape == result.fake.shape == (lesson.NET["eval_samples"], 2)
    np.testing.assert_allclose(result.fake[:, 0], 1.0)  # the generator's line sits at theta = 1
    assert result.fields["gan-minimax"]["z"].shape == (lesson.FIELD_RESOLUTION, lesson.FIELD_RESOLUTION)
    assert result.fields["gan-minimax"]["z"].min() >= 0 and result.fields["gan-minimax"]["z"].max() <= 1
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_line_generator_is_example_one():
    g = lesson.LineGenerator(0.7)
    with torch.no_grad():
        x = g(torch.randn(2000, 1, generator=torch.Generator().manual_seed(0)))
    assert x.shape == (2000, 2)
    assert torch.all(x[:, 0] == 0.7)
    assert 0.0 <= float(x[:, 1].min()) and float(x[:, 1].max()) <= 1.0
    assert float(x[:, 1].mean()) == pytest.approx(0.5, abs=0.02)  # U[0, 1]


def test_minimax_gradient_formula_on_the_line_generator():
    r"""d/dθ E log(1 − σ(f(θ, u))) = −E σ(f) ∂f/∂x₁ — for the linear logit f = a·x₁ + b it is −a·σ(aθ + b)."""
    g = lesson.LineGenerator(0.5)
    a, b = 3.0, -1.0
    z = torch.randn(64, 1, generator=torch.Generator().manual_seed(1))
    loss = torch.log1p(-torch.sigmoid(a * g(z)[:, 0] + b)).mean()
    (grad,) = torch.autograd.grad(loss, [g.theta])
    assert float(grad) == pytest.approx(-a * float(torch.sigmoid(torch.tensor(a * 0.5 + b))), rel=1e-5)


def test_runs_are_seeded_and_the_ring_setting_works():
    one = lesson.run_experiment("ring", iters=60, seed=3)
    two = lesson.run_experiment("ring", iters=60, seed=3)
    np.testing.assert_array_equal(one.curves["gan-minimax"]["grad_norm"], two.curves["gan-minimax"]["grad_norm"])
    np.testing.assert_array_equal(one.fake, two.fake)
    assert one.real.shape == (lesson.NET["eval_samples"], 2)


def test_checkpoints_are_log_spaced_from_zero():
    pts = lesson.checkpoints(2000)
    assert pts[0] == 0 and pts[1] == 1 and pts[-1] == 2000
    assert len(pts) <= lesson.CHECKPOINTS + 1


def test_bad_input_raises_value_error_naming_the_problem():
    with pytest.raises(ValueError, match="setting"):
        lesson.make_generator("cube", 1.0, 0)
    with pytest.raises(ValueError, match="iters"):
        lesson.checkpoints(0)
    with pytest.raises(ValueError, match="lr"):
        lesson.make_trainers("lines", 1.0, -1.0, 0)
    with pytest.raises(ValueError, match="theta"):
        lesson.LineGenerator(float("nan"))
