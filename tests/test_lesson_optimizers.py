"""Lesson "Optimizers": RMSProp's cosine is positive by construction, Adam's momentum can flip it."""

from __future__ import annotations

import numpy as np
import pytest

from lessons import optimizers as lesson


@pytest.fixture(scope="module")
def runs():
    # a high learning rate, where the paper saw trouble: 60 seeded generator iterations are enough
    return lesson.compare(beta1=0.9, lr=1e-2, steps=100)


def test_rmsprop_step_never_points_against_the_gradient(runs):
    rms, _ = runs
    assert rms.optimizer == "rmsprop"
    # Δw = α g / (√v + ε) coordinate-wise: a positive rescaling, so cos(Δw, g) > 0 at every step
    assert np.all(rms.cosine_min > 0)
    assert rms.negative_share == 0.0 and not rms.negative.any()


def test_adam_with_momentum_sometimes_steps_against_the_gradient(runs):
    rms, adam = runs
    assert adam.optimizer == "adam" and adam.beta1 == 0.9
    assert adam.cosine.shape == rms.cosine.shape == (100 // lesson.READ_EVERY,)
    assert np.all(np.abs(adam.cosine) <= 1.0 + 1e-6)
    assert np.all(adam.cosine_min <= adam.cosine + 1e-9)
    # the momentum m_t averages stale gradients of a moving objective: some steps go downhill
    assert adam.negative.any() and 0.0 < adam.negative_share < 0.5
    assert adam.cosine_min.min() < rms.cosine_min.min()


def test_adam_without_momentum_is_always_aligned():
    _, adam0 = lesson.compare(beta1=0.0, lr=1e-2, steps=20)
    assert np.all(adam0.cosine_min > 0)


def test_w1_split_by_the_sign_of_the_cosine():
    run = lesson.OptimizerRun(name="x", optimizer="adam", beta1=0.9, steps=np.arange(1.0, 5.0),
                              cosine=np.array([0.5, 0.1, 0.2, -0.3]), cosine_min=np.array([0.2, -0.1, 0.1, -0.5]),
                              negative_frac=np.array([0.0, 0.2, 0.0, 0.6]), w1=np.array([1.0, 3.0, 2.0, 5.0]),
                              estimate=np.zeros(4))
    assert list(run.negative) == [False, True, False, True]
    assert run.negative_share == pytest.approx(0.2)
    assert run.w1_where(True) == 4.0 and run.w1_where(False) == 1.5
    assert run.final_w1 == 5.0  # mean over the last fifth (at least one read)
    none = lesson.OptimizerRun(name="y", optimizer="rmsprop", beta1=0.0, steps=np.arange(2.0),
                               cosine=np.ones(2), cosine_min=np.ones(2), negative_frac=np.zeros(2),
                               w1=np.ones(2), estimate=np.zeros(2))
    assert np.isnan(none.w1_where(True))


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="beta1"):
        lesson.compare(beta1=1.0, steps=10)
    with pytest.raises(ValueError, match="lr"):
        lesson.compare(lr=0.0, steps=10)
    with pytest.raises(ValueError, match="steps"):
        lesson.compare(steps=1)
    with pytest.raises(ValueError, match="optimizer"):
        lesson.train("sgd", steps=10)


def test_compare_is_one_run_per_optimizer():
    rms, adam = lesson.compare(beta1=0.5, lr=1e-2, steps=20)
    alone = lesson.train("rmsprop", 0.0, 1e-2, 20)
    assert np.array_equal(rms.w1, alone.w1) and rms.name == "RMSProp" and adam.name == "Adam (β₁ = 0.5)"
