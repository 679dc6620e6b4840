r"""The one training loop: GAN, WGAN (Algorithm 1) and WGAN-GP, for toys and images.

One call of :meth:`Trainer.step` is one generator iteration of Algorithm 1 of the WGAN paper, and
reads like it (its comments quote the algorithm's lines):

```
 1: while θ has not converged do
 2:     for t = 0, ..., n_critic do
 3:         Sample {x_i} ~ P_r a batch from the real data.
 4:         Sample {z_i} ~ p(z) a batch of priors.
 5:         g_w ← ∇_w [1/m Σ f_w(x_i) − 1/m Σ f_w(g_θ(z_i))]
 6:         w ← w + α · RMSProp(w, g_w)
 7:         w ← clip(w, −c, c)
 8:     end for
 9:     Sample {z_i} ~ p(z) a batch of prior samples.
10:     g_θ ← −∇_θ 1/m Σ f_w(g_θ(z_i))
11:     θ ← θ − α · RMSProp(θ, g_θ)
12: end while
```

WGAN-GP replaces line 7 by the penalty of :func:`wgan_core.losses.gradient_penalty` in line 5; the
GAN baselines use the losses of :mod:`wgan_core.losses`. *How* lines 5 and 10 form their gradients
is one seam, the gradient engine, picked once at construction (:func:`wgan_core.engines.pick_engine`):
autograd by default, for every network; the toys may take the hand-written kernels of
:mod:`wgan_core.engines.toy` (``config.engine``). For every engine the ``n_critic`` fake batches come
from one generator forward when the generator has no batch norm (θ is frozen meanwhile), and the
losses are summed on the device (:class:`~wgan_core.accumulator.LossAccumulator`) and read only at
the metrics interval, where a NaN or inf loss or weight raises :class:`~wgan_core.divergence.DivergedError`.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from . import metrics as M
from .accumulator import LossAccumulator
from .config import TrainConfig
from .data import build_data
from .drive import drive
from .engines import GradientEngine, pick_engine
from .hparams import LiveHparams
from .models import build_models, resolve_device
from .params import clip_params, load_optimizer_state, thread_limit, trainable

__all__ = ["Trainer", "resolve_device", "OFFICIAL_BURST"]

#: The official code's schedule: this many critic iterations for the first 25 and every 500th G-step.
OFFICIAL_BURST = 100


class Trainer:
    """Train ``generator`` against ``critic`` on ``data`` as ``config`` says.

    Parameters
    ----------
    config : TrainConfig
    data : DataSource, optional
        Defaults to ``build_data(config, device)``.
    generator, critic : nn.Module, optional
        Default to ``build_models(config)``. The generator maps ``(n, z_dim)`` noise (``z_dim`` is
        read from ``generator.z_dim`` when present) to samples; the critic maps samples to ``(n,)``
        scores (logits for the GAN losses).

    Attributes
    ----------
    engine : GradientEngine
        The gradient engine (``engine.name``: ``"autograd"`` or ``"toy-kernel"``).
    losses : LossAccumulator
        This interval's device sums of the losses; :meth:`drain_losses` reads them.
    aux_rng : torch.Generator
        The randomness of measurements (metrics, :meth:`sample`), apart from the training noise.
    """

    def __init__(self, config: TrainConfig, data=None, generator: nn.Module | None = None,
                 critic: nn.Module | None = None):
        if not isinstance(config, TrainConfig):
            raise ValueError(f"config must be a TrainConfig; got {type(config).__name__}")
        self.config = config
        self.device = resolve_device(config.device)
        self.data = data if data is not None else build_data(config, self.device)
        if generator is None or critic is None:
            g, c = build_models(config)
            generator = generator if generator is not None else g
            critic = critic if critic is not None else c
        self.generator = generator.to(self.device)
        self.critic = critic.to(self.device)
        self.z_dim = int(getattr(self.generator, "z_dim", config.z_dim))
        self._noise_rng = self._rng(1)      # training noise and GP's ε
        self.aux_rng = self._rng(2)         # metric-only randomness (never perturbs training)
        self.fixed_noise = torch.randn(config.eval_samples, self.z_dim, generator=self._rng(3), device=self.device)
        toy = self.data.kind == "toy"
        self.engine: GradientEngine = pick_engine(config, self.generator, self.critic, self._noise_rng, toy)
        self._g_trainable = bool(trainable(self.generator))
        self.opt_g = self.engine.make_optimizer(self.generator, config.lr)
        self.opt_c = self.engine.make_optimizer(self.critic, config.lr * config.critic_lr_ratio)
        self._critic_params = trainable(self.critic)
        self._clip_params = clip_params(self.critic, config.clamp_bn)
        self._hparams = LiveHparams(config)
        self._stop = threading.Event()
        self.g_step, self.critic_steps, self.seconds = 0, 0, 0.0
        self.losses = LossAccumulator(self.device)

    def _rng(self, offset: int) -> torch.Generator:
        return torch.Generator(device=self.device).manual_seed(self.config.seed * 7919 + offset)

    def _threads(self):
        """``config.cpu_threads`` torch threads while the body runs (0: one for toys)."""
        want = self.config.cpu_threads or (1 if self.data.kind == "toy" else 0)
        return thread_limit(want if self.device.type == "cpu" else 0)

    # ---- live hyperparameters -----------------------------------------------------------------
    def set_hparams(self, **changes) -> None:
        """Change ``clip_value``, ``n_critic``, ``lr`` or ``lambda_gp`` from any thread.

        Values are validated like the config (ValueError names the field) and take effect at the
        start of the next step or critic phase.
        """
        self._hparams.set(**changes)

    def hparams(self) -> dict:
        """Current live hyperparameters (including changes not applied yet)."""
        return self._hparams.current()

    def _begin(self) -> dict:
        """Apply pending changes and return this step's private copy of the hyperparameters."""
        hp, lr_changed = self._hparams.begin()
        if lr_changed:
            self._apply_lr(hp["lr"])
        return hp

    # ---- Algorithm 1 ----------------------------------------------------------------------------
    def step(self) -> None:
        """One generator iteration of Algorithm 1 (lines 2-11). Never reads a value back to the host."""
        t0 = time.perf_counter()
        hp = self._begin()
        for net in (self.critic, self.generator):
            if not net.training:  # a metric's eval() switched it off; train() walks every submodule
                net.train()
        with self._threads(), self.engine.grad_mode():
            # 2: for t = 0, ..., n_critic do   (lines 3-4 in _critic_phase, 5-7 in _critic_update)
            self._critic_phase(self._critic_iters(hp), hp)
            if self._g_trainable:
                # 9: Sample {z_i} ~ p(z) a batch of prior samples.
                z = self._noise(self.config.batch_size)
                # 10: g_θ ← −∇_θ 1/m Σ f_w(g_θ(z_i))   (or the GAN generator loss's gradient)
                loss = self.engine.generator_grads(z)
                # 11: θ ← θ − α · RMSProp(θ, g_θ)   (or Adam)
                self.engine.update(self.opt_g)
                self.losses.add_generator(loss)
        self.g_step += 1
        dt = time.perf_counter() - t0
        self.seconds += dt
        self.losses.add_step_time(dt)

    def _critic_update(self, real: torch.Tensor, fake: torch.Tensor, hp: dict) -> None:
        # 5: g_w ← ∇_w [1/m Σ f_w(x_i) − 1/m Σ f_w(g_θ(z_i))]   (the gradient of the critic loss, its
        #    negation; WGAN-GP adds λ·penalty, the GAN baselines use the discriminator loss)
        loss, penalty = self.engine.critic_grads(real, fake, hp["lambda_gp"])
        # 6: w ← w + α · RMSProp(w, g_w)   (or Adam)
        if self.config.track_update_cosine:  # the lesson "optimizers" measures every update
            self._tracked_critic_update()
        else:
            self.engine.update(self.opt_c)
        # 7: w ← clip(w, −c, c)   (WGAN only: after every critic update)
        if self.config.loss == "wgan":
            self.engine.clip_(self._clip_params, hp["clip_value"])
        self.losses.add_critic(loss, penalty)
        self.critic_steps += 1

    def _tracked_critic_update(self) -> None:
        r"""Line 6, and the cosine between the update it made and $-\nabla_w$ added to the interval's
        losses (:func:`metrics.update_cosine`)."""
        params = self._critic_params
        grads = [p.grad.detach().clone() for p in params]
        before = [p.detach().clone() for p in params]
        self.engine.update(self.opt_c)
        self.losses.add_cosine(M.update_cosine(params, before, grads))

    def _critic_phase(self, iters: int, hp: dict) -> None:
        """Lines 2-8: ``iters`` critic updates against the frozen generator."""
        m = self.config.batch_size
        if self.engine.batched_fakes:  # θ is frozen: one forward makes all n_critic fake batches
            fakes = self.engine.fakes(self._noise(iters * m))  # 4: Sample {z_i} ~ p(z)
            reals = self.data.sample(iters * m)                # 3: Sample {x_i} ~ P_r
            for t in range(iters):
                self._critic_update(reals[t * m:(t + 1) * m], fakes[t * m:(t + 1) * m], hp)
            return
        for _ in range(iters):
            real = self.data.sample(m)                         # 3: Sample {x_i} ~ P_r
            fake = self.engine.fakes(self._noise(m))           # 4: Sample {z_i} ~ p(z)
            self._critic_update(real, fake, hp)

    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.z_dim, generator=self._noise_rng, device=self.device)

    def _critic_iters(self, hp: dict) -> int:
        if self.config.official_schedule and (self.g_step < 25 or self.g_step % 500 == 0):
            return OFFICIAL_BURST
        return hp["n_critic"]

    def train_critic(self, iters: int) -> None:
        """``iters`` critic (discriminator) updates with the generator frozen; ``g_step`` unchanged."""
        if isinstance(iters, bool) or not isinstance(iters, int) or iters < 1:
            raise ValueError(f"iters must be a positive integer; got {iters!r}")
        with self._threads(), self.engine.grad_mode():
            self._critic_phase(iters, self._begin())

    def run(self, steps: int, metrics_every: int | None = None,
            callbacks: Sequence[Callable[[Trainer], None]] = ()) -> Iterator[dict]:
        """Run ``steps`` generator iterations, yielding :meth:`metrics` at every ``g_step`` that is a
        multiple of ``metrics_every`` (default ``config.metrics_every``; a resumed run logs at the same
        steps as an uninterrupted one) and after the last step. :meth:`stop` ends it early.

        Driven by the one outer loop, :func:`wgan_core.drive.drive`: after each step (and after the
        consumer has handled that step's metrics) each of ``callbacks`` is called with the trainer; a
        recorder's grid and checkpoint hooks (:class:`~wgan_core.runs.RunRecorder`) are such callbacks.

        Raises :class:`~wgan_core.divergence.DivergedError` from :meth:`metrics` when the run diverged."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be a non-negative integer; got {steps!r}")
        every = metrics_every or self.config.metrics_every
        self._stop.clear()
        yield from drive(self.step, steps, self.metrics, due=lambda _: self.g_step % every == 0,
                         gate=lambda: not self._stop.is_set(),
                         callbacks=[lambda _, callback=callback: callback(self) for callback in callbacks])
        if self._stop.is_set() and self.losses.steps:
            yield self.metrics()

    def stop(self) -> None:
        """Ask a running :meth:`run` to return after the current step (thread-safe)."""
        self._stop.set()

    # ---- metrics and divergence -----------------------------------------------------------------
    def drain_losses(self) -> dict[str, float]:
        """The interval's mean losses, in one host read, and a new interval (``LossAccumulator.drain``)."""
        return self.losses.drain()

    def metrics(self) -> dict:
        """Read the interval's losses (the only host sync), check them and the weights for divergence
        (DivergedError) and evaluate; see :func:`metrics.collect_metrics`."""
        with self._threads():
            losses = self.drain_losses()
            M.check_divergence(self, losses)
            return M.collect_metrics(self, losses)

    # ---- reading the state ------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, noise: torch.Tensor | None = None) -> np.ndarray:
        """``n`` generated samples as a float32 numpy array of shape ``(n, *data.shape)``."""
        z = noise if noise is not None else torch.randn(n, self.z_dim, generator=self.aux_rng, device=self.device)
        self.generator.eval()
        try:
            with self._threads():
                return self.generator(z.to(self.device)).float().cpu().numpy()
        finally:
            self.generator.train()

    @torch.no_grad()
    def fixed_fakes(self, n: int | None = None) -> torch.Tensor:
        """The generator (in eval mode) on the first ``n`` (default: all) fixed noise vectors, as a
        device tensor; the metrics and snapshots read the same samples every time."""
        z = self.fixed_noise if n is None else self.fixed_noise[:n]
        self.generator.eval()
        try:
            return self.generator(z)
        finally:
            self.generator.train()

    @torch.no_grad()
    def critic_values(self, points) -> np.ndarray:
        """Raw critic output $f(x)$ at ``points`` (shape ``(n, *data.shape)``) as a numpy ``(n,)``.

        For the GAN losses this is the discriminator's **logit**; see :meth:`discriminator_prob`.
        """
        x = torch.as_tensor(np.asarray(points, dtype=np.float32), device=self.device)
        return self.critic(x).reshape(-1).double().cpu().numpy()

    def discriminator_prob(self, points) -> np.ndarray:
        """$D(x) = \\sigma(f(x))$ at ``points``, shape ``(n,)`` (meaningful for the GAN losses)."""
        return 1.0 / (1.0 + np.exp(-self.critic_values(points)))

    def generator_grad_norm(self) -> float:
        r"""$\|\nabla_\theta L_G\|_2$ for a fresh noise batch (no parameter ``.grad`` is touched)."""
        return M.generator_grad_norm(self)

    def snapshot(self) -> dict:
        """Samples, real data, critic field, gradient arrows and histograms as plain numpy."""
        with self._threads():
            return M.snapshot(self)

    # ---- stop and resume --------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Models, optimisers, counters, hyperparameters and RNG states (tensors and plain data).

        A deep copy: training on afterwards does not change it."""
        data_state = self.data.state_dict() if hasattr(self.data, "state_dict") else {}
        return copy.deepcopy({"config": self.config.to_dict(), "generator": self.generator.state_dict(),
                "critic": self.critic.state_dict(), "opt_g": self.opt_g.state_dict(),
                "opt_c": self.opt_c.state_dict(), "g_step": self.g_step, "critic_steps": self.critic_steps,
                "seconds": self.seconds, "hparams": self.hparams(),
                "rng": {"noise": self._noise_rng.get_state(), "aux": self.aux_rng.get_state()},
                "data": data_state})

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` saved (the config must describe the same networks)."""
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        load_optimizer_state(self.opt_g, state["opt_g"])
        load_optimizer_state(self.opt_c, state["opt_c"])
        self.g_step, self.critic_steps = int(state["g_step"]), int(state["critic_steps"])
        self.seconds = float(state.get("seconds", 0.0))
        self._noise_rng.set_state(state["rng"]["noise"].cpu())
        self.aux_rng.set_state(state["rng"]["aux"].cpu())
        if state.get("data") and hasattr(self.data, "load_state_dict"):
            self.data.load_state_dict(state["data"])
        self._hparams.load(state["hparams"])
        self._apply_lr(self._hparams.current()["lr"])
        self.losses.reset()

    def _apply_lr(self, lr: float) -> None:
        for opt, value in ((self.opt_g, lr), (self.opt_c, lr * self.config.critic_lr_ratio)):
            for group in opt.param_groups:
                group["lr"] = value
