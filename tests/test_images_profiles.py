"""The images lesson's two live profiles, forced one at a time on a CPU: the classroom network on a CPU,
Algorithm 1's defaults with the GPU options on CUDA; the page's experiment text follows both."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import lessons.images as lesson
from wgan_core.images.speed import Accelerated

ROOT = Path(__file__).resolve().parent.parent


def test_the_device_chooses_the_profile_and_the_override_wins():
    assert lesson.profile_for("cpu") is lesson.PROFILES["classroom"]
    assert lesson.profile_for("cuda") is lesson.PROFILES["paper"]
    assert lesson.profile_for("cpu", "paper") is lesson.PROFILES["paper"]
    with pytest.raises(ValueError, match="WGAN_IMAGES_PROFILE must be one of classroom, paper; got 'huge'"):
        lesson.profile_for("cuda", "huge")


def test_live_profile_reads_the_server_settings(monkeypatch):
    monkeypatch.setenv("WGAN_DEVICE", "cpu")
    monkeypatch.delenv(lesson.PROFILE_ENV, raising=False)
    assert lesson.live_profile() == ("cpu", lesson.PROFILES["classroom"])
    monkeypatch.setenv(lesson.PROFILE_ENV, "paper")
    assert lesson.live_profile() == ("cpu", lesson.PROFILES["paper"])


@pytest.mark.parametrize("method", ["wgan", "wgan-gp"])
def test_the_gpu_profile_is_algorithm_1_with_the_gpu_options(method):
    cfg = lesson.lesson_config("digits", "dcgan", method, 0, profile="paper", device="cuda")
    assert (cfg.image_size, cfg.ngf, cfg.ndf, cfg.batch_size, cfg.n_critic) == (64, 64, 64, 64, 5)
    assert cfg.device == "cuda" and cfg.data_on_device and cfg.compile == "reduce-overhead"
    if method == "wgan":
        assert (cfg.optimizer, cfg.lr, cfg.clip_value) == ("rmsprop", 5e-5, 0.01)
    else:
        assert (cfg.optimizer, cfg.lr, cfg.lambda_gp) == ("adam", 1e-4, 10.0)
    profile = lesson.PROFILES["paper"]
    assert profile["speed"] == {"bf16": True, "channels_last": True}


def test_the_cpu_profile_keeps_the_classroom_network():
    cfg = lesson.lesson_config("digits", "mlp", "wgan", 0, profile="classroom", device="cpu")
    assert (cfg.image_size, cfg.ngf, cfg.ndf, cfg.batch_size) == (32, 16, 16, 32)
    assert cfg.lr == lesson.CLASSROOM_LR["mlp"] and cfg.compile == "none" and cfg.device == "cpu"


def test_lsun_takes_the_server_data_root(monkeypatch, tmp_path):
    monkeypatch.setenv("WGAN_DATA_DIR", str(tmp_path))
    cfg = lesson.lesson_config("lsun", "dcgan", "wgan", 0, profile="paper", device="cuda")
    assert (cfg.dataset, cfg.image_size, cfg.data_root) == ("lsun", 64, str(tmp_path))


def test_the_gpu_profile_trains_a_step_on_the_cpu_at_tiny_width():
    """The paper profile's config and wrappers, built on the CPU with 4 filters (no compile: CUDA graphs
    need a GPU); bf16 autocast and channels_last run on the CPU too."""
    profile = lesson.PROFILES["paper"]
    cfg = lesson.lesson_config("digits", "dcgan", "wgan", 0, profile=profile, device="cpu").replace(
        ngf=4, ndf=4, z_dim=8, batch_size=4, eval_samples=16, compile="none")
    trainer = lesson.build_trainer(cfg, profile)
    assert isinstance(trainer.generator, Accelerated) and trainer.generator.bf16
    assert trainer.data.shape == (1, 64, 64)
    trainer.step()
    assert trainer.g_step == 1 and trainer.critic_steps == 5
    assert all(torch.isfinite(p).all() for p in trainer.critic.parameters())
    assert max(p.abs().max().item() for p in trainer.critic.parameters()) <= 0.01 + 1e-7


def test_the_experiment_text_follows_dataset_and_profile():
    paper, classroom = lesson.PROFILES["paper"], lesson.PROFILES["classroom"]
    digits_cpu = lesson.experiment_text("digits", classroom)
    assert "1,797 handwritten digits" in digits_cpu and r"$32\times32$" in digits_cpu
    assert "This server trains on its CPU" in digits_cpu
    digits_gpu = lesson.experiment_text("digits", paper)
    assert r"$64\times64$" in digits_gpu and r"$32\times32$" not in digits_gpu
    assert "ngf = ndf = 64, batch 64" in digits_gpu and "CUDA graphs" in digits_gpu
    bedrooms = lesson.experiment_text("lsun", classroom)
    assert "LSUN bedrooms" in bedrooms and "handwritten" not in bedrooms and "classroom-sized" in bedrooms
    assert "**The experiment.**" not in lesson.OPENING and lesson.INTRO.startswith(lesson.OPENING)


def test_the_page_describes_the_forced_gpu_profile(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WGAN_DEVICE", "cpu")
    monkeypatch.setenv(lesson.PROFILE_ENV, "paper")
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app" / "views" / "images.py"), default_timeout=120).run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "At the paper's settings" in text and r"$64\times64$" in text


def test_a_live_lsun_run_keeps_only_the_first_images(monkeypatch, tmp_path):
    """The live run reads LIVE_LSUN_IMAGES images in its own process (a job's worker may not fork
    DataLoader workers) and, in the GPU profile, holds them on the device as uint8."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "bench" / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    gpu_check.write_tiny_lmdb(tmp_path, n=6)
    monkeypatch.setenv("WGAN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(lesson, "LIVE_LSUN_IMAGES", 4)
    profile = lesson.PROFILES["paper"]
    cfg = lesson.lesson_config("lsun", "dcgan", "wgan", 0, profile=profile, device="cpu").replace(
        ngf=4, ndf=4, z_dim=8, batch_size=4, eval_samples=16, image_size=32, compile="none")
    trainer = lesson.build_trainer(cfg, profile)
    assert len(trainer.data) == 4 and trainer.data.images.dtype == torch.uint8 and trainer.data.shape == (3, 32, 32)
    trainer.step()
    assert trainer.g_step == 1
