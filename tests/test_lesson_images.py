"""Lesson "Training on images": configs, routing, the median-filtered curve, thumbnails, a live member,
and the replay of runs and checkpoints recorded by the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lessons.images as lesson
from wgan_core.checkpoint import CheckpointError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    """A runs directory with one tiny run recorded by ``train-images`` and one toy run to ignore."""
    from wgan_core.images.cli import main

    root = tmp_path_factory.mktemp("runs")
    torch.set_num_threads(1)
    assert main(["--steps", "4", "--ngf", "4", "--ndf", "4", "--z-dim", "8", "--batch-size", "8", "--device", "cpu",
                 "--metrics-every", "1", "--grid-every", "2", "--eval-samples", "32", "--no-progress",
                 "--out", str(root / "tiny-wgan")]) == 0
    toy = root / "toy"
    toy.mkdir()
    (toy / "config.json").write_text('{"dataset": "8gaussians"}')
    (toy / "metrics.jsonl").write_text("")
    return root


def test_configs_follow_the_controls():
    cfg = lesson.lesson_config("digits", "mlp", "wgan", 3, {"clip_value": 0.02, "n_critic": 2})
    assert (cfg.loss, cfg.generator, cfg.seed, cfg.clip_value, cfg.n_critic) == ("wgan", "mlp", 3, 0.02, 2)
    assert cfg.optimizer == "rmsprop" and cfg.clamp_bn  # Algorithm 1's optimiser; the paper code's clipping
    gp = lesson.lesson_config("digits", "dcgan", "wgan-gp", 0, {"clip_value": 0.02})
    assert gp.optimizer == "adam" and gp.lambda_gp == 10.0 and gp.clip_value != 0.02
    with pytest.raises(ValueError, match="method"):
        lesson.lesson_config(method="hinge")
    with pytest.raises(ValueError, match="generator"):
        lesson.lesson_config(generator="resnet")


def test_sliders_are_routed_to_the_methods_they_act_on():
    both = {"clip_value": 0.1, "n_critic": 3}
    assert lesson.hparam_changes(both, "wgan") == {"run": {"n_critic": 3, "clip_value": 0.1}}
    # the GAN baseline keeps DCGAN's one discriminator step; the handicapped GAN follows n_critic
    assert lesson.hparam_changes({"clip_value": 0.1, "n_critic": 3}, "gan") == {}
    assert lesson.hparam_changes(both, "gan-wgan-settings") == {"run": {"n_critic": 3}}
    assert lesson.hparam_changes({}, "gan") == {}


def test_the_gan_baseline_is_dcgans_standard_procedure_and_the_handicap_is_labelled():
    gan = lesson.lesson_config("digits", "dcgan-nobn", "gan", 0, {"n_critic": 5, "clip_value": 0.01},
                               profile="classroom", device="cpu")
    assert (gan.loss, gan.optimizer, gan.lr, gan.betas[0], gan.n_critic) == ("gan", "adam", 2e-4, 0.5, 1)
    slow = lesson.lesson_config("digits", "dcgan-nobn", "gan-wgan-settings", 0, {"n_critic": 5},
                                profile="classroom", device="cpu")
    assert (slow.loss, slow.optimizer, slow.n_critic) == ("gan", "rmsprop", 5)
    assert "handicapped" in lesson.settings_note(slow, "gan-wgan-settings")
    assert "handicapped" not in lesson.settings_note(gan, "gan")
    assert "betas (0.5, 0.9) (paper (0, 0.9))" in lesson.settings_note(
        lesson.lesson_config("digits", "dcgan", "wgan-gp", 0, profile="classroom", device="cpu"), "wgan-gp")


def test_w_curve_is_median_filtered_like_fig4():
    values = [1.0, 9.0, 3.0, 2.0, 1.0]
    logs = [{"g_step": s, "critic_estimate": v} for s, v in zip(range(10, 60, 10), values, strict=True)]
    logs.append({"g_step": 60})  # a log without the estimate is skipped
    curve = lesson.w_curve(logs, window=3)
    assert curve["steps"].tolist() == [10, 20, 30, 40, 50]
    assert curve["filtered"].tolist() == [5.0, 3.0, 3.0, 2.0, 1.5]  # the spike at step 20 is removed
    assert lesson.w_curve([{"g_step": 1, "critic_estimate": 2.0}])["filtered"].tolist() == [2.0]
    assert len(lesson.w_curve([])["steps"]) == 0


def test_thumbnails_stay_bounded_and_keep_both_ends():
    thumbs = lesson.Thumbnails(limit=5)
    for step in range(1, 40):
        thumbs.add(step, np.zeros((2, 2, 1), np.uint8))
        assert len(thumbs.steps) <= 5
    assert thumbs.steps[0] == 1 and thumbs.steps[-1] == 39 and thumbs.steps == sorted(thumbs.steps)


def test_live_member_steps_measures_and_snapshots():
    run = lesson.build_members({"dataset": "digits", "generator": "dcgan-nobn", "method": "gan", "seed": 0})["run"]
    run.step()
    log = run.metrics()
    assert run.g_step == 1 and {"classes_covered", "class_kl", "w1_pixels", "critic_estimate"} <= set(log)
    snap = run.snapshot()
    assert snap["grid"].shape == (6 * 34 + 2, 6 * 34 + 2, 1) and snap["grid"].dtype == np.uint8
    assert snap["thumb_steps"] == [1] and snap["thumbs"][0].shape == (2 * 34 + 2, 2 * 34 + 2, 1)
    run.set_hparams(n_critic=2)
    run.step()
    # the GAN baseline starts with DCGAN's one discriminator step per generator step
    assert run.hparams()["n_critic"] == 2 and run.trainer.critic_steps == 1 + 2


def test_recorded_runs_are_listed_replayed_and_their_checkpoints_sampled(runs_root):
    assert lesson.list_image_runs(runs_root) == ["tiny-wgan"]
    run = lesson.load_image_run("tiny-wgan", runs_root)
    assert [log["g_step"] for log in run.logs] == [1, 2, 3, 4] and run.snapshot_steps == [2, 4]
    assert run.summary["g_step"] == 4
    assert lesson.run_grid(run, 4).shape == (6 * 34 + 2, 6 * 34 + 2, 1)
    steps, thumbs = lesson.run_thumbnails(run)
    assert steps == [2, 4] and len(thumbs) == 2
    with pytest.raises(ValueError, match="no snapshot"):
        lesson.run_grid(run, 3)
    grid, info = lesson.checkpoint_grid("tiny-wgan", runs_root)
    assert grid.shape[2] == 1 and info == {"g_step": 4, "generator": "dcgan", "loss": "wgan", "dataset": "digits"}
    assert lesson.list_checkpoints(runs_root) == ["tiny-wgan"]
    with pytest.raises(ValueError, match="not a run"):
        lesson.load_image_run("../etc", runs_root)


def test_a_bad_checkpoint_in_the_runs_dir_gives_a_clear_error(runs_root, tmp_path):
    import shutil

    bad = tmp_path / "runs"
    shutil.copytree(runs_root / "tiny-wgan", bad / "broken")
    (bad / "broken" / "checkpoint.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match="checkpoint.pt"):
        lesson.checkpoint_grid("broken", bad)


def test_lsun_is_offered_only_when_the_server_has_it(tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_DATA_DIR", str(tmp_path))
    assert lesson.available_datasets() == ("digits",)
    (tmp_path / "bedroom_train_lmdb").mkdir()
    (tmp_path / "bedroom_train_lmdb" / "data.mdb").write_bytes(b"")
    assert lesson.available_datasets() == ("digits", "lsun")
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path / "r"))
    assert lesson.runs_dir() == tmp_path / "r" and lesson.list_image_runs() == []


def test_text_states_the_objectives_and_explains_the_failure():
    assert r"\mathbb{E}_{x\sim\mathbb{P}_r}[f_w(x)] - \mathbb{E}_{z\sim p(z)}[f_w(g_\theta(z))]" in lesson.INTRO
    assert r"-\log D" in lesson.INTRO
    assert "median filter" in lesson.WHY_GAN_FAILS and "collapses" in lesson.WHY_GAN_FAILS
    assert "clamp_bn" in lesson.BATCH_NORM_CLIPPING
    assert [c.key for c in lesson.CONTROLS] == ["dataset", "generator", "method", "seed"]
    assert [c.key for c in lesson.LIVE_CONTROLS] == ["clip_value", "n_critic"]
