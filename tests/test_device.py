"""WGAN_DEVICE: one setting decides where live jobs and image runs train; CUDA asked for on a machine
without a GPU is refused with one clear sentence on the page and in the CLI (no fallback, no traceback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from wgan_core import device
from wgan_core.device import NO_GPU, NoGPUError, resolve_device, server_device

ROOT = Path(__file__).resolve().parent.parent
no_gpu = pytest.mark.skipif(torch.cuda.device_count() > 0, reason="checks the machine without a GPU")


@pytest.mark.parametrize("raw", ["", "auto", " AUTO ", "cpu"])
def test_server_device_reads_wgan_device(monkeypatch, raw):
    monkeypatch.setenv("WGAN_DEVICE", raw)
    expected = "cpu" if raw.strip().lower() == "cpu" or not device.cuda_available() else "cuda"
    assert server_device() == expected


def test_unset_means_auto(monkeypatch):
    monkeypatch.delenv("WGAN_DEVICE", raising=False)
    assert server_device() == ("cuda" if device.cuda_available() else "cpu")


@pytest.mark.parametrize("raw", ["gpu", "cuda:0", "mps", "1"])
def test_a_bad_value_is_named(monkeypatch, raw):
    monkeypatch.setenv("WGAN_DEVICE", raw)
    with pytest.raises(ValueError, match=f"WGAN_DEVICE={raw!r} is not a device; set it to one of auto, cpu, cuda"):
        server_device()


@no_gpu
def test_cuda_without_a_gpu_is_refused_not_replaced(monkeypatch):
    monkeypatch.setenv("WGAN_DEVICE", "cuda")
    with pytest.raises(NoGPUError, match=NO_GPU):
        server_device()
    with pytest.raises(NoGPUError, match="^CUDA was requested but no GPU is available$"):
        resolve_device("cuda")
    assert resolve_device("auto").type == "cpu"


def test_resolve_device_rejects_other_names():
    with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda; got 'tpu'"):
        resolve_device("tpu")


def test_the_trainer_and_the_cli_share_the_one_resolver():
    from wgan_core import models, trainer

    assert models.resolve_device is trainer.resolve_device is resolve_device


def test_theory_experiments_stay_on_the_cpu_and_live_runs_follow_the_setting(monkeypatch):
    from lessons import clipping_vs_gp, mode_collapse, vanishing_gradients

    assert device.THEORY_DEVICE == "cpu"
    assert vanishing_gradients.NET["device"] == "cpu"
    assert "device" not in mode_collapse.NETWORK and "device" not in clipping_vs_gp.NETWORK
    monkeypatch.setenv("WGAN_DEVICE", "cpu")
    assert {c.device for c in mode_collapse.configs("8gaussians", 0).values()} == {"cpu"}
    assert {c.device for c in clipping_vs_gp.configs(0).values()} == {"cpu"}
    monkeypatch.setenv("WGAN_DEVICE", "bogus")
    with pytest.raises(ValueError, match="WGAN_DEVICE"):
        mode_collapse.configs("8gaussians", 0)


def test_no_lesson_or_view_hard_codes_a_device():
    for folder in ("lessons", "app"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            assert 'device="cpu"' not in text and "device='cpu'" not in text, path
            assert 'device="cuda"' not in text, path


@no_gpu
@pytest.mark.parametrize("command", [["train-toy", "--steps", "2"], ["train-images", "--steps", "2"]])
def test_cli_says_cuda_was_requested_without_a_traceback(tmp_path, command):
    out = subprocess.run([sys.executable, "-m", "wgan_core", *command, "--device", "cuda", "--no-progress",
                          "--out", str(tmp_path / "run")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "CUDA was requested but no GPU is available" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


@no_gpu
@pytest.mark.parametrize("slug", ["images", "mode_collapse"])
def test_page_says_cuda_was_requested_and_offers_no_start(monkeypatch, tmp_path, slug):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WGAN_DEVICE", "cuda")
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app" / "views" / f"{slug}.py"), default_timeout=120).run()
    assert not at.exception
    assert any("CUDA was requested but no GPU is available" in e.value for e in at.error)
    assert at.button(key=f"{slug}.live.start").disabled
    assert at.button(key=f"{slug}.live.step").disabled


def test_page_shows_where_live_jobs_train(monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WGAN_DEVICE", "cpu")
    monkeypatch.setenv("WGAN_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app" / "views" / "images.py"), default_timeout=120).run()
    assert not at.exception
    # said to the teacher, in the page's collapsed "For instructors" section
    (notes,) = [e for e in at.expander if e.label == "For instructors"]
    assert any("**Live runs** train on this server's CPU" in m.value for m in notes.markdown)
    assert not at.button(key="images.live.start").disabled
