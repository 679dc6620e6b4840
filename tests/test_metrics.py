"""Metrics: mode coverage on hand-made samples, Lipschitz meter, field, histograms, Spearman, and the
run-level claims (WGAN-GP covers the ring; the critic estimate tracks exact W1)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from wgan_core import metrics as M
from wgan_core.config import preset
from wgan_core.data import make_toy
from wgan_core.trainer import Trainer


def test_mode_coverage_by_hand():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    samples = np.array([[0.01, 0.0]] * 50 + [[10.0, 0.05]] * 40 + [[5.0, 5.0]] * 10)
    cov = M.mode_coverage(samples, centers, std=0.02)  # 3σ = 0.06: the first 90 are high quality
    assert cov.modes == 2 and cov.hq_share == pytest.approx(0.9)
    assert cov.counts.tolist() == [50, 40, 0]
    few = np.array([[0.0, 0.0]] * 999 + [[0.0, 10.0]])  # one sample is below the 1 % / 2-sample floor
    assert M.mode_coverage(few, centers, 0.02).modes == 1
    with pytest.raises(ValueError):
        M.mode_coverage(np.zeros((3, 3)), centers, 0.02)


def test_toy_sources_evaluate_themselves():
    ring = make_toy("8gaussians", seed=1, eval_samples=400)
    real = ring.sample(400)
    assert real.shape == (400, 2) and real.dtype == torch.float32
    scores = ring.evaluate(real)
    assert scores["modes"] == 8 and scores["hq_share"] > 0.97 and scores["w1_exact"] < 0.2
    collapsed = torch.tensor(ring.centers[:1], dtype=torch.float32).repeat(400, 1)
    assert ring.evaluate(collapsed)["modes"] == 1
    lines = make_toy("parallel-lines", eval_samples=300)
    shifted = lines.sample(300) + torch.tensor([0.7, 0.0])
    assert lines.evaluate(shifted)["w1_exact"] == pytest.approx(0.7, abs=0.05)  # W1 = |θ|
    assert make_toy("gaussians-1d").sample(10).shape == (10, 1)
    assert make_toy("swissroll").sample(10).shape == (10, 2)
    with pytest.raises(ValueError, match="dataset"):
        make_toy("moons")


def test_lipschitz_meter_field_and_histogram():
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 4.0]]))
        lin.bias.zero_()
    norms = M.input_grad_norms(lambda x: lin(x).squeeze(-1), torch.randn(7, 2))
    assert torch.allclose(norms, torch.full((7,), 5.0))
    field = M.critic_field(lin, [0, 0], [1, 2], resolution=5)
    assert field["z"].shape == (5, 5)
    assert field["z"][4, 4] == pytest.approx(3 * 1 + 4 * 2)  # z[i, j] = f(x[j], y[i])
    hist = M.weight_histogram(lin, bins=10, clip_value=5.0)
    assert hist["counts"].sum() == 3 and hist["clip_value"] == 5.0


def test_median_filter_and_spearman():
    assert M.median_filter([1, 100, 3, 4, 5], 3).tolist() == [50.5, 3, 4, 4, 4.5]
    assert M.spearman([1, 2, 3, 4], [10, 20, 25, 100]) == pytest.approx(1.0)
    assert M.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    with pytest.raises(ValueError):
        M.median_filter([1, 2], 2)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wgan_gp_covers_all_eight_modes(seed):
    # the fast toy preset with a doubled learning rate: all 8 modes (a sample within 3σ) are reached
    # within 600 G-steps, and coverage stays (the count at one check moves by a mode as g still moves)
    tr = Trainer(preset("toy-wgan-gp", seed=seed, lr=2e-3, device="cpu", eval_samples=512))
    modes = [log["modes"] for log in tr.run(600, metrics_every=100)]
    assert max(modes) == 8 and modes[-1] >= 7, modes


@pytest.mark.slow
def test_critic_estimate_tracks_exact_w1():
    # Fig 4 of the paper: with clipping and the official schedule (a near-optimal critic from the
    # start), the critic's estimate E f(x) - E f(g(z)) falls together with the exact W1.
    tr = Trainer(preset("toy-wgan", seed=0, lr=5e-4, official_schedule=True, device="cpu", eval_samples=256))
    logs = list(tr.run(300, metrics_every=20))
    est = [log["critic_estimate"] for log in logs]
    w1 = [log["w1_exact"] for log in logs]
    assert w1[-1] < w1[0]
    assert M.spearman(est, w1) >= 0.8
