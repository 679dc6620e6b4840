"""A run that really diverges stops with DivergedError at the metrics interval, and its weights never
reach a checkpoint. The learning rates below are the largest the config allows (lr 1, critic at
1000x, λ = 1000): the critic's weights overflow to inf within a few steps and the losses turn NaN."""

from __future__ import annotations

import pytest
import torch

from wgan_core.checkpoint import CheckpointError, save_checkpoint
from wgan_core.config import TrainConfig
from wgan_core.divergence import DivergedError
from wgan_core.trainer import Trainer

DIVERGING = dict(loss="wgan-gp", optimizer="rmsprop", lr=1.0, critic_lr_ratio=1000.0, lambda_gp=1000.0)


def _toy(**kw) -> TrainConfig:
    return TrainConfig(**{**dict(dataset="8gaussians", width=32, depth=3, batch_size=64, device="cpu", seed=0,
                                 eval_samples=64), **DIVERGING, **kw})


@pytest.mark.parametrize("engine", ["toy-kernel", "autograd"])
def test_a_diverging_toy_run_stops_at_the_metrics_interval(engine):
    tr = Trainer(_toy(engine=engine))
    assert tr.engine.name == engine
    logs = []
    with pytest.raises(DivergedError) as err:
        for log in tr.run(50, metrics_every=5):
            logs.append(log)
    assert logs == []  # it diverged within the first interval
    assert err.value.step == 5 and err.value.step % 5 == 0  # found at a metrics read, not mid-interval
    assert str(err.value) == f"diverged at step 5 ({err.value.what} {err.value.value})"
    assert err.value.what in ("critic loss", "gradient penalty", "critic weights")
    assert not all(torch.isfinite(p).all() for p in tr.critic.parameters())  # really diverged: not injected
    with pytest.raises(DivergedError):  # the next read still sees the non-finite weights
        tr.metrics()


def test_a_finite_run_with_the_same_config_but_a_small_lr_does_not_raise():
    logs = list(Trainer(_toy(lr=1e-3, critic_lr_ratio=1.0, lambda_gp=1.0)).run(10, metrics_every=5))
    assert [log["g_step"] for log in logs] == [5, 10]


def test_the_weights_of_a_diverged_run_never_reach_a_checkpoint(tmp_path):
    tr = Trainer(_toy())
    good = save_checkpoint(tmp_path / "checkpoint.pt", tr.state_dict())
    with pytest.raises(DivergedError):
        list(tr.run(10, metrics_every=5))
    before = good.read_bytes()
    with pytest.raises(CheckpointError, match=r"(critic|generator)/net\.\d\.(weight|bias) holds NaN or inf"):
        save_checkpoint(good, tr.state_dict())
    assert good.read_bytes() == before  # the last good checkpoint is kept


def test_a_diverging_image_run_raises_from_train_images(tmp_path):
    from wgan_core.images.train import train_images

    cfg = TrainConfig(dataset="digits", ngf=4, ndf=4, z_dim=8, batch_size=8, device="cpu", eval_samples=32,
                      n_critic=5, **DIVERGING)
    with pytest.raises(DivergedError, match=r"^diverged at step \d+ \("):
        train_images(cfg, tmp_path / "run", steps=20, metrics_every=5, grid_every=100, checkpoint_every=100,
                     progress=False)
