"""Lesson mode_collapse: KDE and ring measurements with known answers; the three trainers share a seed."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import lessons.mode_collapse as lesson
from wgan_core import live

live.configure_torch_threads()


def test_ring_share_counts_points_within_the_band():
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    on = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    off = 0.5 * on  # radius 1: outside the ±0.25 band around 2
    assert lesson.ring_shares(on) == 1.0
    assert lesson.ring_shares(np.concatenate([on, off])) == 0.5
    assert lesson.ring_shares(np.array([[2.24, 0.0], [0.0, -1.76]])) == 1.0
    with pytest.raises(ValueError, match="shape"):
        lesson.ring_shares(np.zeros((3, 3)))


def test_kde_integrates_to_one_and_peaks_at_the_data():
    rng = np.random.default_rng(0)
    pts = rng.normal(loc=(1.0, -1.0), scale=0.3, size=(400, 2))
    x = np.linspace(-2, 4, 121)
    y = np.linspace(-4, 2, 101)
    dens = lesson.kde_grid(pts, x, y)
    assert dens.shape == (101, 121)
    mass = dens.sum() * (x[1] - x[0]) * (y[1] - y[0])
    assert mass == pytest.approx(1.0, abs=0.01)
    i, j = np.unravel_index(dens.argmax(), dens.shape)
    assert abs(x[j] - 1.0) < 0.2 and abs(y[i] + 1.0) < 0.2
    from scipy.stats import gaussian_kde  # the reference estimator

    gx, gy = np.meshgrid(x, y)
    ref = gaussian_kde(pts.T)(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    np.testing.assert_allclose(dens, ref, rtol=1e-8, atol=1e-12)
    collapsed = np.tile([[0.5, 0.5]], (50, 1))  # a fully collapsed generator still gets a density
    assert np.isfinite(lesson.kde_grid(collapsed, x, y)).all()


def test_first_crossings_read_the_logs_in_order():
    logs = [{"member": "wgan", "g_step": s, "ring_share": r, "hq_share": h}
            for s, r, h in [(0, 0.1, 0.0), (25, 0.6, 0.1), (50, 0.9, 0.55), (75, 0.95, 0.8)]]
    logs.append({"member": "gan", "g_step": 25, "ring_share": 1.0, "hq_share": 1.0})
    assert lesson.circle_then_bumps(logs) == {"circle": 25, "bumps": 50}
    assert lesson.first_step_above(logs, "wgan", "hq_share", 0.99) is None


def test_sliders_reach_only_the_methods_they_belong_to():
    routed = lesson.hparam_changes({"clip_value": 0.02, "n_critic": 7, "lambda_gp": 1.0})
    assert routed == {"wgan": {"clip_value": 0.02, "n_critic": 7}, "wgan-gp": {"n_critic": 7, "lambda_gp": 1.0}}
    cfgs = lesson.configs("25gaussians", 4, {"clip_value": 0.02, "n_critic": 7})
    assert cfgs["gan"].n_critic == 1 and cfgs["wgan"].n_critic == 7 and cfgs["wgan"].clip_value == 0.02
    assert {c.seed for c in cfgs.values()} == {4} and {c.dataset for c in cfgs.values()} == {"25gaussians"}
    assert [cfgs[m].loss for m in lesson.METHODS] == ["gan", "wgan", "wgan-gp"]
    with pytest.raises(ValueError, match="dataset"):
        lesson.configs("mnist", 0)


def test_the_three_members_start_from_the_same_seed_and_report_the_paper_metrics():
    members = lesson.build_members("8gaussians", 2)
    data = [m.data.sample(16) for m in members.values()]
    assert all(torch.equal(data[0], d) for d in data[1:])  # same data stream
    # a job pickles its extra metric into the worker: a round trip must keep it working
    extra = pickle.loads(pickle.dumps(lesson.ring_metrics("8gaussians")))
    gan = members["gan"]
    gan.step()
    row = {**gan.metrics(), **extra("gan", gan)}
    for key in ("modes", "hq_share", "w1_exact", "ring_share"):
        assert key in row
    assert 0 <= row["modes"] <= 8 and 0.0 <= row["ring_share"] <= 1.0 and row["w1_exact"] > 0
    assert lesson.ring_metrics("swissroll") is None


def test_lesson_text_is_complete():
    assert lesson.TITLE == "Mixture of Gaussians and mode collapse"
    assert "circle" in lesson.CIRCLE_THEN_BUMPS and "clip" in lesson.OBJECTIVES
    assert 2 <= len(lesson.EXERCISES) <= 3 and len(lesson.WHAT_TO_NOTICE) >= 2
    clip = next(c for c in lesson.LIVE_CONTROLS if c.key == "clip_value")
    assert clip.log and clip.min == 0.001 and clip.max == 0.1
