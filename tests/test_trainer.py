"""Trainer: Algorithm 1 invariants, WGAN-GP, GAN baselines, live hyperparameters, stop and resume."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from wgan_core.config import PRESETS, TrainConfig, preset
from wgan_core.models import AffineGenerator
from wgan_core.trainer import Trainer


def tiny(**kw) -> TrainConfig:
    base = dict(dataset="8gaussians", width=16, depth=2, batch_size=32, device="cpu", seed=0,
                metrics_every=5, eval_samples=64)
    return TrainConfig(**{**base, **kw})


@pytest.mark.parametrize("loss", ["gan", "gan-minimax", "wgan", "wgan-gp"])
def test_every_loss_steps_and_reports(loss):
    tr = Trainer(tiny(loss=loss, n_critic=2))
    logs = list(tr.run(6, metrics_every=3))
    assert [log["g_step"] for log in logs] == [3, 6]
    assert tr.critic_steps == 12
    last = logs[-1]
    for key in ("critic_estimate", "generator_loss", "w1_exact", "modes", "hq_share", "grad_norm_mean",
                "generator_grad_norm", "g_steps_per_s"):
        assert np.isfinite(last[key]), key
    assert ("js_estimate" in last) == loss.startswith("gan")
    assert ("gradient_penalty" in last) == (loss == "wgan-gp")


def test_weights_clipped_after_every_critic_step():
    c = 0.003
    tr = Trainer(tiny(loss="wgan", clip_value=c, optimizer="rmsprop", lr=0.05, n_critic=1))
    seen = []
    original = tr.engine.update  # every optimiser update, as the trainer calls it

    def checked_update(opt):
        # before the critic's step, the previous clip must have held; after it the values may exceed c …
        if opt is tr.opt_c:
            seen.append(max(p.detach().abs().max().item() for p in tr.critic.parameters()))
        return original(opt)

    tr.engine.update = checked_update
    for _ in range(4):
        tr.step()
        assert all(p.detach().abs().max().item() <= c + 1e-9 for p in tr.critic.parameters())
    tr.train_critic(3)
    assert all(p.detach().abs().max().item() <= c + 1e-9 for p in tr.critic.parameters())
    assert all(v <= c + 1e-9 for v in seen[1:])  # every update started from clipped weights
    assert len(seen) == 7


def test_set_hparams_validates_and_applies_next_step():
    tr = Trainer(tiny(loss="wgan", n_critic=3))
    with pytest.raises(ValueError, match="clip_value"):
        tr.set_hparams(clip_value=-1.0)
    with pytest.raises(ValueError, match="n_critic"):
        tr.set_hparams(n_critic=0)
    tr.set_hparams(n_critic=1, lr=0.002, clip_value=0.5)
    assert tr.hparams()["n_critic"] == 1
    tr.step()
    assert tr.critic_steps == 1
    assert all(g["lr"] == 0.002 for g in tr.opt_c.param_groups + tr.opt_g.param_groups)
    worker = threading.Thread(target=lambda: tr.set_hparams(n_critic=2))
    worker.start()
    worker.join()
    tr.step()
    assert tr.critic_steps == 3


def test_critic_lr_ratio_follows_live_lr():
    tr = Trainer(tiny(loss="gan", lr=1e-3, critic_lr_ratio=0.5))
    assert tr.opt_c.param_groups[0]["lr"] == pytest.approx(5e-4)
    tr.set_hparams(lr=2e-3)
    tr.step()
    assert tr.opt_g.param_groups[0]["lr"] == pytest.approx(2e-3)
    assert tr.opt_c.param_groups[0]["lr"] == pytest.approx(1e-3)


def test_same_seed_same_metrics_and_resume_matches():
    a, b = Trainer(tiny(loss="wgan-gp")), Trainer(tiny(loss="wgan-gp"))
    la, lb = list(a.run(4, metrics_every=4)), list(b.run(4, metrics_every=4))
    for key in ("critic_estimate", "w1_exact", "generator_loss"):
        assert la[-1][key] == lb[-1][key]
    state = a.state_dict()
    list(a.run(3))
    c = Trainer(tiny(loss="wgan-gp"))
    c.load_state_dict(state)
    list(c.run(3))
    assert c.g_step == a.g_step == 7
    for pa, pc in zip(a.generator.parameters(), c.generator.parameters(), strict=True):
        assert torch.equal(pa, pc)


def test_official_schedule_and_stop():
    tr = Trainer(tiny(loss="wgan", official_schedule=True, n_critic=5))
    tr.step()
    assert tr.critic_steps == 100
    tr = Trainer(tiny(loss="wgan"))
    logs = []
    for log in tr.run(100, metrics_every=2):
        logs.append(log)
        tr.stop()  # e.g. from another thread: the run returns after the current step
    assert [log["g_step"] for log in logs] == [2] and tr.g_step == 2


def test_frozen_affine_generator_train_critic_and_readers():
    cfg = tiny(dataset="gaussians-1d", loss="gan", optimizer="rmsprop", lr=1e-3)
    tr = Trainer(cfg, generator=AffineGenerator(2.0, 0.5, learnable=False))
    tr.train_critic(20)
    assert tr.g_step == 0 and tr.critic_steps == 20
    logits = tr.critic_values(np.array([[-1.0], [0.0], [2.0]]))
    probs = tr.discriminator_prob(np.array([[-1.0], [0.0], [2.0]]))
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-logits)))
    assert logits[1] > logits[2]  # real mass at 0, fake at 2
    samples = tr.sample(1000)
    assert samples.shape == (1000, 1) and abs(samples.mean() - 2.0) < 0.1
    snap = tr.snapshot()
    assert set(snap["field"]) == {"x", "values"}


def test_snapshot_shapes_2d():
    tr = Trainer(tiny(loss="wgan"))
    tr.step()
    snap = tr.snapshot()
    assert snap["samples"].shape == snap["real"].shape == (64, 2)
    f = snap["field"]
    assert f["z"].shape == (len(f["y"]), len(f["x"]))
    assert snap["arrows"]["x"].shape == snap["arrows"]["u"].shape
    assert snap["weights"]["counts"].sum() == sum(p.numel() for p in tr.critic.parameters())
    assert snap["weights"]["clip_value"] == 0.01
    assert len(snap["grad_norms"]["values"]) == 64


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_build(name):
    """Each preset trains with its own procedure: its loss, optimiser and learning rates, n_critic
    critic updates per generator update, clipping for WGAN and a penalty for WGAN-GP."""
    small = dict(device="cpu", width=8, depth=1, eval_samples=32)
    spec = PRESETS[name]
    tr = Trainer(preset(name, **small))
    assert all(getattr(tr.config, key) == value for key, value in spec.items() if key not in small)
    assert ("Adam" in type(tr.opt_c).__name__) == (spec["optimizer"] == "adam")
    assert tr.opt_g.param_groups[0]["lr"] == spec["lr"]
    assert tr.opt_c.param_groups[0]["lr"] == pytest.approx(spec["lr"] * spec.get("critic_lr_ratio", 1.0))
    before = [p.detach().clone() for p in (*tr.generator.parameters(), *tr.critic.parameters())]
    tr.step()
    assert (tr.g_step, tr.critic_steps) == (1, spec["n_critic"])
    after = [p.detach() for p in (*tr.generator.parameters(), *tr.critic.parameters())]
    n_g = len(list(tr.generator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(before[:n_g], after[:n_g], strict=True))  # θ moved
    assert not all(torch.equal(a, b) for a, b in zip(before[n_g:], after[n_g:], strict=True))  # w moved
    losses = tr.drain_losses()
    assert all(np.isfinite(v) for v in losses.values())
    assert ("gradient_penalty" in losses) == (spec["loss"] == "wgan-gp")
    if spec["loss"] == "wgan":
        assert max(p.abs().max().item() for p in tr.critic.parameters()) <= np.float32(spec["clip_value"])


def test_lean_rmsprop_equals_torch_rmsprop():
    from wgan_core.engines.toy import LeanRMSprop
    from wgan_core.models import MLPCritic

    torch.manual_seed(0)
    a, b = MLPCritic(2, 16, 2), MLPCritic(2, 16, 2)
    b.load_state_dict(a.state_dict())
    opt_a, opt_b = torch.optim.RMSprop(a.parameters(), lr=1e-2), LeanRMSprop(b.parameters(), lr=1e-2)
    for _ in range(5):
        x = torch.randn(32, 2)
        for net, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            net(x).pow(2).mean().backward()
            opt.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q)


@pytest.mark.parametrize("engine", ["toy-kernel", "autograd"])
@pytest.mark.parametrize("loss, optimizer", [("gan", "adam"), ("wgan", "rmsprop"), ("wgan-gp", "adam")])
def test_a_step_never_reads_a_value_back_to_the_host(loss, optimizer, engine):
    """The issue's "no host synchronisation per step": a generator iteration calls no operator that
    turns a tensor into a Python number (``.item()``, ``float(t)``, ``bool(t)`` all go through
    ``aten._local_scalar_dense``; ``aten.is_nonzero`` is the test ``if t:``). On a GPU each such
    call would stall the launch queue. Metrics read values back, but only every ``metrics_every`` steps."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class HostReads(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.reads = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func in (torch.ops.aten._local_scalar_dense.default, torch.ops.aten.is_nonzero.default,
                        torch.ops.aten.equal.default):
                self.reads.append(str(func))
            return func(*args, **(kwargs or {}))

    tr = Trainer(tiny(loss=loss, optimizer=optimizer, n_critic=2, engine=engine))
    tr.step()  # first step builds the flat-buffer plans
    with HostReads() as mode:
        for _ in range(3):
            tr.step()
    assert mode.reads == []
    assert tr.g_step == 4


def test_the_engine_seam_picks_once_and_names_what_it_cannot_do():
    assert Trainer(tiny(loss="wgan")).engine.name == "toy-kernel"  # auto: the toys keep the fast engine
    assert Trainer(tiny(loss="wgan", engine="autograd")).engine.name == "autograd"
    assert Trainer(tiny(loss="wgan", track_update_cosine=True)).engine.name == "autograd"
    with pytest.raises(ValueError, match="engine toy-kernel cannot train this run: track_update_cosine"):
        Trainer(tiny(loss="wgan", engine="toy-kernel", track_update_cosine=True))
    with pytest.raises(ValueError, match="engine must be one of"):
        tiny(engine="fast")
    from wgan_core.config import TrainConfig as TC

    old = {**tiny().to_dict(), "manual_backward": False}  # a config saved before the engine field
    del old["engine"]
    assert TC.from_dict(old).engine == "autograd"


def test_a_loss_without_a_hand_written_derivative_falls_back_to_autograd(monkeypatch):
    from wgan_core.engines.toy import grads

    monkeypatch.delitem(grads.OUTPUT_GRADS, "gan-minimax")  # as a newly registered loss would be
    tr = Trainer(tiny(loss="gan-minimax", n_critic=2))
    assert tr.engine.name == "autograd"
    logs = list(tr.run(4, metrics_every=2))
    assert [log["g_step"] for log in logs] == [2, 4] and np.isfinite(logs[-1]["generator_loss"])
    with pytest.raises(ValueError, match="loss 'gan-minimax' has no hand-written output derivative"):
        Trainer(tiny(loss="gan-minimax", engine="toy-kernel"))


def test_the_trainer_runs_without_the_toy_engine(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "wgan_core.engines.toy", None)  # any import of it now fails
    tr = Trainer(tiny(loss="wgan-gp", engine="autograd"))
    logs = list(tr.run(3, metrics_every=3))
    assert tr.engine.name == "autograd" and np.isfinite(logs[-1]["critic_loss"])
    assert type(tr.opt_c).__module__.startswith("torch.optim")


def test_drain_losses_is_the_public_read_of_the_interval():
    tr = Trainer(tiny(loss="wgan-gp", n_critic=2))
    tr.step()
    tr.step()
    losses = tr.drain_losses()
    assert {"critic_loss", "gradient_penalty", "generator_loss", "g_steps_per_s"} <= set(losses)
    assert all(isinstance(v, float) for v in losses.values())
    assert tr.drain_losses() == {}  # drained: a new interval starts empty


def test_a_lean_rmsprop_checkpoint_resumes_on_the_autograd_engine():
    """Checkpoints written with the lean RMSProp (no ``step`` counter: image runs before the engine
    seam, toy runs now) load into ``torch.optim.RMSprop`` and continue with the same arithmetic."""
    a = Trainer(tiny(loss="wgan", optimizer="rmsprop", lr=1e-3))
    a.step()
    state = a.state_dict()
    assert all("step" not in s for s in state["opt_c"]["state"].values())
    b = Trainer(tiny(loss="wgan", optimizer="rmsprop", lr=1e-3, engine="autograd"))
    b.load_state_dict(state)
    a.step()
    b.step()
    for p, q in zip(a.critic.parameters(), b.critic.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)


def test_both_engines_give_the_gradient_engine_protocol_and_the_toy_one_holds_autograd():
    from wgan_core.engines import AutogradEngine, GradientEngine

    wanted = {n for n in vars(GradientEngine) if not n.startswith("_")} | set(GradientEngine.__annotations__)
    assert {"update", "critic_grads", "generator_grads", "clip_", "fakes", "batched_fakes", "name"} <= wanted
    fast, slow = Trainer(tiny(loss="wgan")).engine, Trainer(tiny(loss="wgan", engine="autograd")).engine
    for engine in (fast, slow):
        assert all(hasattr(engine, n) for n in wanted), sorted(n for n in wanted if not hasattr(engine, n))
    assert not isinstance(fast, AutogradEngine) and isinstance(fast.fallback, AutogradEngine)
