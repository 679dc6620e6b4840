"""The GPU paths, each run on every device this machine has: the CPU always, CUDA where a GPU exists
(the ``cuda`` cases skip without one; ``bench/gpu_check.py`` runs this file on a GPU machine).

Only torch is needed (synthetic uint8 images, no metrics), so the file runs on a bare GPU image; the
case that trains the images lesson's own GPU profile on the digits also needs scikit-learn."""

from __future__ import annotations

import pytest
import torch

from wgan_core.config import preset
from wgan_core.images.data import TensorImageSource
from wgan_core.images.models import build_image_models
from wgan_core.images.speed import Accelerated, accelerate
from wgan_core.trainer import Trainer

HAS_CUDA = torch.cuda.device_count() > 0
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
DEVICES = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=needs_cuda)]
TINY = dict(ngf=8, ndf=8, z_dim=16, batch_size=8, eval_samples=16, image_size=64)


def images_on(device: str, n: int = 64, size: int = 64) -> TensorImageSource:
    gen = torch.Generator().manual_seed(0)
    return TensorImageSource(torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=gen), device)


def image_trainer(device: str, bf16: bool, channels_last: bool, **overrides) -> Trainer:
    cfg = preset("paper", dataset="lsun", data_root="synthetic", device=device, data_on_device=True,
                 **{**TINY, **overrides})
    g, c = (accelerate(m, bf16, channels_last) for m in build_image_models(cfg))
    return Trainer(cfg, data=images_on(device), generator=g, critic=c)


def assert_clipped_and_finite(trainer: Trainer, clip: float = 0.01) -> None:
    params = list(trainer.critic.parameters())
    assert all(torch.isfinite(p).all() for p in params)
    assert max(p.detach().abs().max().item() for p in params) <= clip + 1e-7


@pytest.mark.parametrize("device", DEVICES)
def test_uint8_images_stay_on_the_device_and_sample_in_unit_range(device):
    data = images_on(device)
    assert data.images.dtype == torch.uint8 and data.images.device.type == device
    batch = data.sample(16)
    assert batch.device.type == device and batch.dtype == torch.float32
    assert -1.0 <= batch.min().item() and batch.max().item() <= 1.0


@pytest.mark.parametrize("device", DEVICES)
def test_bf16_channels_last_trainer_steps_and_clips(device):
    trainer = image_trainer(device, bf16=True, channels_last=True)
    assert isinstance(trainer.critic, Accelerated)
    for _ in range(2):
        trainer.step()
    assert trainer.g_step == 2 and trainer.critic_steps == 10
    assert_clipped_and_finite(trainer)
    assert next(trainer.critic.parameters()).device.type == device
    assert trainer.sample(4).shape == (4, 3, 64, 64)


@pytest.mark.parametrize("device", DEVICES)
def test_bf16_critic_agrees_with_float32(device):
    torch.manual_seed(0)
    cfg = preset("paper", dataset="lsun", data_root="synthetic", device=device, **TINY)
    _, critic = build_image_models(cfg)
    critic = critic.to(device).eval()
    x = images_on(device).sample(8)
    with torch.no_grad():
        exact = critic(x).float()
        fast = accelerate(critic, bf16=True, channels_last=True)(x)
    assert fast.dtype == torch.float32
    assert torch.allclose(fast, exact, rtol=0.05, atol=0.05 * exact.abs().max().item())


@needs_cuda
def test_cuda_graphs_trainer_steps_and_clips():
    trainer = image_trainer("cuda", bf16=True, channels_last=True, compile="reduce-overhead")
    for _ in range(4):  # the first calls record the graphs, the later ones replay them
        trainer.step()
    torch.cuda.synchronize()
    assert trainer.g_step == 4 and trainer.critic_steps == 20
    assert_clipped_and_finite(trainer)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("loss", ["wgan", "wgan-gp"])
def test_toy_trainer_steps_on_the_device(device, loss):
    cfg = preset("toy-wgan" if loss == "wgan" else "toy-wgan-gp", dataset="8gaussians", device=device,
                 eval_samples=64)
    trainer = Trainer(cfg)
    for _ in range(3):
        trainer.step()
    assert trainer.g_step == 3
    assert all(torch.isfinite(p).all() for p in trainer.critic.parameters())
    assert trainer.sample(8).shape == (8, 2)


@needs_cuda
def test_wgan_device_cuda_is_honoured(monkeypatch):
    from wgan_core.device import describe_device, server_device

    monkeypatch.setenv("WGAN_DEVICE", "cuda")
    assert server_device() == "cuda"
    assert describe_device("cuda").startswith("GPU (")


@needs_cuda
def test_the_images_lesson_trains_its_gpu_profile_on_the_gpu():
    pytest.importorskip("sklearn", reason="the digits come from scikit-learn")
    import lessons.images as lesson

    profile = lesson.PROFILES["paper"]
    cfg = lesson.lesson_config("digits", "dcgan", "wgan", 0, profile=profile, device="cuda").replace(compile="none")
    trainer = lesson.build_trainer(cfg, profile)
    trainer.step()
    torch.cuda.synchronize()
    assert trainer.data.images.device.type == "cuda" and trainer.data.shape == (1, 64, 64)
    assert_clipped_and_finite(trainer)
