"""Lesson clipping_vs_gp: the clip sweep shows vanishing vs slow; frozen-generator members; routing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lessons.clipping_vs_gp as lesson
from wgan_core import live

live.configure_torch_threads()


@pytest.fixture(scope="module")
def sweep():
    return lesson.clip_sweep(clips=(0.001, 0.01, 0.1), iters=20, seed=0)


def test_small_clips_vanish_large_clips_rarely_reach_the_box(sweep):
    assert sweep.clips.tolist() == [0.001, 0.01, 0.1]
    assert sweep.traces.shape == (3, 20)
    # the critic's gradient at generated points grows by orders of magnitude with c
    assert sweep.grad_at_fake[0] < 1e-3 * sweep.grad_at_fake[2]
    assert np.all(np.diff(sweep.grad_at_fake) > 0)
    # tiny boxes are filled almost at once; a wide box leaves most weights inside it
    assert sweep.at_limit[0] > 0.5 > sweep.at_limit[2]
    assert np.all((sweep.iters_to_90 >= 1) & (sweep.iters_to_90 <= 20))
    assert sweep.traces[:, -1] == pytest.approx(1.0)  # normalised by the final estimate
    assert np.all(sweep.lipschitz >= sweep.grad_at_fake)


def test_estimate_matches_its_formula():
    members = lesson.build_members(0, "trained")
    t = members["wgan"]
    real = np.array([[2.0, 0.0], [0.0, 2.0]], dtype=np.float32)
    fake = np.array([[0.0, 0.0]], dtype=np.float32)
    expected = t.critic_values(real).mean() - t.critic_values(fake).mean()
    assert lesson.critic_estimate(t, real, fake) == pytest.approx(expected)


def test_frozen_generator_member_trains_only_the_critic():
    members = lesson.build_members(1, "frozen", live={"n_critic": 3})
    m = members["wgan"]
    before_g = [p.clone() for p in m.generator.parameters()]
    before_c = [p.clone() for p in m.critic.parameters()]
    m.step()
    assert m.g_step == 1 and m.trainer.g_step == 0 and m.trainer.critic_steps == 3
    assert all(torch.equal(a, b) for a, b in zip(before_g, m.generator.parameters(), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(before_c, m.critic.parameters(), strict=True))
    c = m.hparams()["clip_value"]  # the preset's c (no live override given)
    assert max(p.abs().max().item() for p in m.critic.parameters()) <= c + 1e-7  # clipped after each step


def test_configs_and_routing():
    cfgs = lesson.configs(3, "trained", official_schedule=True, live={"clip_value": 0.05, "lambda_gp": 1.0})
    assert cfgs["wgan"].clip_value == 0.05 and cfgs["wgan-gp"].lambda_gp == 1.0
    assert cfgs["wgan"].official_schedule and cfgs["wgan"].loss == "wgan" and cfgs["wgan-gp"].loss == "wgan-gp"
    assert lesson.hparam_changes({"lr": 1e-3, "clip_value": 0.02}) == {
        "wgan": {"clip_value": 0.02, "lr": 1e-3}, "wgan-gp": {"lr": 1e-3}}
    with pytest.raises(ValueError, match="generator"):
        lesson.configs(0, "sleepy")
    with pytest.raises(ValueError, match="clips"):
        lesson.clip_sweep(clips=(0.0,), iters=5)


def test_text_explains_signs_and_official_code():
    assert "Loss_D" in lesson.SIGN_CONVENTION and "backward" in lesson.SIGN_CONVENTION
    assert "Diters" in lesson.PAPER_VS_CODE and "batch-norm" in lesson.PAPER_VS_CODE
    keys = {c.key for c in lesson.LIVE_CONTROLS}
    assert keys == {"clip_value", "n_critic", "lr", "lambda_gp"}


def test_clamping_batch_norm_cuts_its_scales_to_c():
    clamped = lesson.bn_scales_after_clipping(True, clip_value=0.01)
    free = lesson.bn_scales_after_clipping(False, clip_value=0.01)
    assert clamped["gamma"].max() <= 0.01 + 1e-7 and clamped["other_max"] <= 0.01 + 1e-7
    assert free["gamma"].min() > 0.5 and free["other_max"] <= 0.01 + 1e-7  # γ keeps its ≈ 1 start
    assert clamped["counts"].sum() == len(clamped["gamma"])


def test_scale_fit_recovers_a_known_exponent_over_the_saturated_clips():
    clips = np.array([0.001, 0.01, 0.1, 1.0])
    estimate = 3.0 * clips ** 4
    estimate[-1] = 0.5  # not saturated: left out of the fit
    sweep = lesson.ClipSweep(clips, np.ones(4), np.ones(4), np.array([0.9, 0.8, 0.6, 0.0]), estimate,
                             np.zeros((4, 2)), np.ones(4))
    fit = lesson.scale_fit(sweep)
    assert fit.slope == pytest.approx(4.0) and np.exp(fit.intercept) == pytest.approx(3.0)
    assert list(fit.used) == [True, True, True, False]
    assert "c^{4.00}" in lesson.scale_sentence(sweep) and "by about 16" in lesson.scale_sentence(sweep)
    with pytest.raises(ValueError, match="two clip values"):
        lesson.scale_fit(sweep, saturated=0.85)
