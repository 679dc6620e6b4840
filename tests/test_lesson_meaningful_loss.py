"""Lesson "A loss that means something": the recorded runs, their correlations and the filter."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lessons import meaningful_loss as lesson
from wgan_core.config import TrainConfig


@pytest.fixture(scope="module")
def curves():
    return lesson.loss_curves("8gaussians", steps=200, failed_lr=0.1)


def test_three_runs_with_aligned_curves_and_snapshots(curves):
    assert [r.name for r in curves.runs] == [name for name, _, _ in lesson.RUNS]
    for run in curves.runs:
        k = len(run.steps)
        assert k == lesson.READS and run.steps[-1] == 200
        assert run.estimate.shape == run.w1.shape == (k,)
        assert np.all(np.isfinite(run.estimate)) and np.all(run.w1 >= 0)
        assert run.snapshots.shape == (len(lesson.SNAPSHOT_AT), lesson.SNAPSHOT_SAMPLES, 2)
        assert list(run.snapshot_steps) == sorted(run.snapshot_steps) and run.snapshot_steps[-1] == 200
    assert curves.real.shape == (lesson.EVAL_SAMPLES, 2)


def test_js_estimate_is_a_lower_bound_below_log_two(curves):
    gan = curves.runs[1]
    assert gan.loss == "gan"
    # ½L + log 2 ≤ JS ≤ log 2 for any discriminator (L ≤ 2 JS − 2 log 2)
    assert np.all(gan.estimate <= math.log(2) + 1e-6)


def test_wgan_critic_estimate_tracks_the_exact_w1(curves):
    wgan = curves.runs[0]
    assert wgan.loss == "wgan"
    quarter = len(wgan.steps) // 4
    # the samples got better (exact W1 down) and the loss said so (estimate down)
    assert wgan.w1[-quarter:].mean() < 0.75 * wgan.w1[:quarter].mean()
    assert wgan.estimate[-quarter:].mean() < 0.75 * wgan.estimate[:quarter].mean()


def test_over_a_longer_wgan_run_the_ranks_agree():
    # past the first transient the critic estimate and the exact W1 fall together (0.96 at 1500 steps)
    config = TrainConfig(**lesson.WGAN, dataset="8gaussians", seed=lesson.SEED, device="cpu",
                         eval_samples=lesson.EVAL_SAMPLES)
    run = lesson.record_run("WGAN", config, 600, "critic estimate")
    assert run.rho > 0.5


def test_failed_run_is_flat(curves):
    failed = curves.runs[2]
    assert failed.lr == 0.1
    # wrecked in the first steps: the estimate sits at ~0 and the samples stay far from the data
    assert np.abs(failed.estimate[2:]).max() < 1e-2
    assert failed.w1.min() > 1.0


def test_seeded_and_failed_run_uses_its_learning_rate():
    a = lesson.loss_curves("25gaussians", steps=10, failed_lr=0.05)
    b = lesson.loss_curves("25gaussians", steps=10, failed_lr=0.05)
    for ra, rb in zip(a.runs, b.runs, strict=True):
        np.testing.assert_array_equal(ra.estimate, rb.estimate)
        np.testing.assert_array_equal(ra.snapshots, rb.snapshots)
    assert a.runs[2].lr == 0.05 and a.runs[0].lr != 0.05


def test_median_filter_is_applied_to_the_estimate():
    run = lesson.RunCurves(name="x", loss="wgan", lr=1e-3, steps=np.arange(5.0),
                           estimate=np.array([1.0, 9.0, 2.0, 3.0, 4.0]), estimate_label="e",
                           w1=np.ones(5), snapshot_steps=np.array([4]), snapshots=np.zeros((1, 1, 2)),
                           rho=float("nan"))
    np.testing.assert_array_equal(lesson.smooth(run, 3), [5.0, 2.0, 3.0, 3.0, 3.5])
    np.testing.assert_array_equal(lesson.smooth(run, 1), run.estimate)


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="dataset"):
        lesson.loss_curves("mnist", steps=10)
    with pytest.raises(ValueError, match="steps"):
        lesson.loss_curves(steps=2)
    with pytest.raises(ValueError, match="failed_lr"):
        lesson.loss_curves(steps=10, failed_lr=0.0)
