r"""The one training loop: GAN, WGAN (Algorithm 1) and WGAN-GP, for toys and images.

One call of :meth:`Trainer.step` is one generator iteration of Algorithm 1:

```
while θ has not converged:
    for t = 0..n_critic-1:
        sample {x_i} ~ P_r, {z_i} ~ p(z)
        g_w <- ∇_w [ 1/m Σ f_w(x_i) − 1/m Σ f_w(g_θ(z_i)) ]
        w   <- w + α · RMSProp(w, g_w)          (ascent on the critic objective)
        w   <- clip(w, −c, c)                     (every critic step)
    sample {z_i} ~ p(z)
    g_θ <- −∇_θ 1/m Σ f_w(g_θ(z_i))
    θ   <- θ − α · RMSProp(θ, g_θ)
```

WGAN-GP swaps the clipping for the penalty of :func:`wgan_core.losses.gradient_penalty`; the GAN
baselines use the discriminator and generator losses of :mod:`wgan_core.losses`.

Speed without changing the maths: the ``n_critic`` fake batches of one generator iteration come from
one generator forward (θ is frozen while the critic trains); for toy critics (no batch norm, so
examples are independent) real and fake go through the critic in one concatenated forward; toy
networks keep their parameters in one flat buffer each (:func:`wgan_core.models.flatten_parameters`),
so RMSProp is five operations per network and clipping one ``clamp_`` (else two ``_foreach``
clamps); the critic's parameters are frozen during the generator step so no unused gradient is
computed; losses are accumulated on the device and read only by :meth:`metrics`. For the toy MLPs
the backward passes are hand-written (:mod:`wgan_core.mlp_kernel`: the chain rule of a ReLU MLP, the
WGAN-GP penalty's second-order term included, checked against autograd in tests) and write every
gradient straight into a flat buffer the optimiser reads, so no autograd graph is recorded per step.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from . import losses as L
from . import metrics as M
from .config import HPARAM_NAMES, TrainConfig, validate_hparam
from .data import build_data
from .mlp_kernel import kernel_for
from .models import (
    FlatCache,
    build_models,
    flatten_parameters,
    has_batchnorm,
    make_optimizer,
    resolve_device,
    thread_limit,
)

__all__ = ["Trainer", "resolve_device", "OFFICIAL_BURST"]

#: The official code's schedule: this many critic iterations for the first 25 generator iterations
#: and for every 500th one.
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
        self._aux_rng = self._rng(2)        # metric-only randomness (never perturbs training)
        self.fixed_noise = torch.randn(config.eval_samples, self.z_dim, generator=self._rng(3), device=self.device)
        self._g_trainable = any(p.requires_grad for p in self.generator.parameters())
        if self.data.kind == "toy":  # small nets: element-wise updates as one op on a flat buffer
            flatten_parameters(self.generator)
            flatten_parameters(self.critic)
        self.opt_g = make_optimizer(self.generator, config, self.device, config.lr)
        self.opt_c = make_optimizer(self.critic, config, self.device, config.lr * config.critic_lr_ratio)
        # the lean optimisers' update without Optimizer.step's wrapper (see LeanRMSprop.update)
        self._update_g = getattr(self.opt_g, "update", self.opt_g.step)
        self._update_c = getattr(self.opt_c, "update", self.opt_c.step)
        self._critic_params = [p for p in self.critic.parameters() if p.requires_grad]
        bn_ids = {id(p) for m in self.critic.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
                  for p in m.parameters()}
        self._clip_params = [p for p in self._critic_params if config.clamp_bn or id(p) not in bn_ids]
        self._clip_flat = FlatCache()
        self._concat = self.data.kind == "toy" and not has_batchnorm(self.critic)
        self._batch_fakes = self.data.kind == "toy" and not has_batchnorm(self.generator)
        self._critic_fwd, self._gen_fwd = self.critic, self.generator
        # Toy MLPs: hand-written backward with gradients written into flat buffers (wgan_core.mlp_kernel).
        self._kc = self._kg = None
        if (self.data.kind == "toy" and config.manual_backward and config.compile == "none"
                and not config.track_update_cosine):
            self._kc = kernel_for(self.critic)
            self._kg = kernel_for(self.generator) if self._g_trainable else None
        self._manual_critic = self._kc is not None and self._concat
        self._manual_gen = self._kc is not None and self._kg is not None
        self._wgan_out_grad: dict[tuple[int, int], torch.Tensor] = {}  # constant ∂ℓ/∂f for wgan
        if config.compile != "none":
            self._critic_fwd = torch.compile(self.critic, mode=config.compile)
            self._gen_fwd = torch.compile(self.generator, mode=config.compile)
        self._lock = threading.Lock()
        self._hp = {name: getattr(config, name) for name in HPARAM_NAMES}
        self._pending: dict = {}
        self._stop = threading.Event()
        self.g_step = 0
        self.critic_steps = 0
        self.seconds = 0.0
        self._reset_accumulators()

    # ---- set-up helpers -----------------------------------------------------------------------
    def _rng(self, offset: int) -> torch.Generator:
        gen = torch.Generator(device=self.device)
        gen.manual_seed(self.config.seed * 7919 + offset)
        return gen

    def _reset_accumulators(self) -> None:
        zero = lambda: torch.zeros((), device=self.device)  # noqa: E731
        self._acc = {"critic_loss": zero(), "gp": zero(), "gen_loss": zero(), "cosine": zero()}
        # per-update extremes of the cosine, which the interval mean hides (lesson "optimizers")
        self._acc["cosine_neg"], self._acc["cosine_min"] = zero(), torch.ones((), device=self.device)
        self._acc_n = {"critic": 0, "gen": 0, "cosine": 0}
        self._interval_t = 0.0
        self._interval_steps = 0

    def _threads(self):
        """``config.cpu_threads`` torch threads while the body runs (0: one for toys); see models.thread_limit."""
        want = self.config.cpu_threads or (1 if self.data.kind == "toy" else 0)
        return thread_limit(want if self.device.type == "cpu" else 0)

    # ---- live hyperparameters -----------------------------------------------------------------
    def set_hparams(self, **changes) -> None:
        """Change ``clip_value``, ``n_critic``, ``lr`` or ``lambda_gp`` from any thread.

        Values are validated like the config (ValueError names the field) and take effect at the
        start of the next step or critic phase.
        """
        for name, value in changes.items():
            validate_hparam(name, value)
        with self._lock:
            self._pending.update(changes)

    def hparams(self) -> dict:
        """Current live hyperparameters (including changes not applied yet)."""
        with self._lock:
            return {**self._hp, **self._pending}

    def _begin(self) -> dict:
        """Apply pending changes and return this step's private copy of the hyperparameters."""
        with self._lock:
            if self._pending:
                self._hp.update(self._pending)
                if "lr" in self._pending:
                    self._apply_lr(self._pending["lr"])
                self._pending.clear()
            return dict(self._hp)

    # ---- Algorithm 1 ----------------------------------------------------------------------------
    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.z_dim, generator=self._noise_rng, device=self.device)

    def _critic_iters(self, hp: dict) -> int:
        if self.config.official_schedule and (self.g_step < 25 or self.g_step % 500 == 0):
            return OFFICIAL_BURST
        return hp["n_critic"]

    def _critic_phase(self, iters: int, hp: dict) -> None:
        """``iters`` critic updates against the frozen generator."""
        m = self.config.batch_size
        if self._batch_fakes:  # θ is frozen: one forward makes all n_critic fake batches
            if self._kg is not None:
                fakes, _ = self._kg.forward(self._noise(iters * m), keep=False)
            else:
                with torch.no_grad():
                    fakes = self._gen_fwd(self._noise(iters * m))
            reals = self.data.sample(iters * m)
        for t in range(iters):
            if self._batch_fakes:
                real, fake = reals[t * m:(t + 1) * m], fakes[t * m:(t + 1) * m]
            else:
                real = self.data.sample(m)
                with torch.no_grad():
                    fake = self._gen_fwd(self._noise(m))
            self._critic_update(real, fake, hp)

    def _critic_update(self, real: torch.Tensor, fake: torch.Tensor, hp: dict) -> None:
        # (1) Update the critic: maximise E f(x) − E f(g(z)) [− λ·GP], i.e. minimise its negation.
        if self._manual_critic:
            loss = self._critic_grads_manual(real, fake, hp)
            self._update_c()
            self._clip(hp)
            self._acc["critic_loss"] += loss
            self._acc_n["critic"] += 1
            self.critic_steps += 1
            return
        if self._concat:
            out = self._critic_fwd(torch.cat((real, fake))).reshape(-1)
            f_real, f_fake = out[: len(real)], out[len(real):]
        else:
            f_real, f_fake = self._critic_fwd(real).reshape(-1), self._critic_fwd(fake).reshape(-1)
        loss = L.critic_loss(self.config.loss, f_real, f_fake)
        total = loss
        if self.config.loss == "wgan-gp":
            gp = L.gradient_penalty(self.critic, real, fake, generator=self._noise_rng)
            total = loss + hp["lambda_gp"] * gp
            self._acc["gp"] += gp.detach()
        self.opt_c.zero_grad(set_to_none=True)
        total.backward()
        if self.config.track_update_cosine:
            grads = [p.grad.detach().clone() for p in self._critic_params]
            before = [p.detach().clone() for p in self._critic_params]
            self._update_c()
            M.accumulate_cosine(self, M.update_cosine(self._critic_params, before, grads))
        else:
            self._update_c()
        self._clip(hp)
        self._acc["critic_loss"] += loss.detach()
        self._acc_n["critic"] += 1
        self.critic_steps += 1

    def _clip(self, hp: dict) -> None:
        """Algorithm 1, line 7: for wgan, clip every critic weight to [−c, c] after EVERY critic update."""
        if self.config.loss != "wgan":
            return
        c = hp["clip_value"]
        with torch.no_grad():
            flat = self._clip_flat(self._clip_params)
            if flat is not None:  # flat toy critic: one clamp over all weights
                flat.clamp_(-c, c)
            else:
                torch._foreach_clamp_min_(self._clip_params, -c)
                torch._foreach_clamp_max_(self._clip_params, c)

    def _critic_grads_manual(self, real: torch.Tensor, fake: torch.Tensor, hp: dict) -> torch.Tensor:
        """Toy critic: one forward on [real; fake] (and, for WGAN-GP, the interpolates), the loss by its
        formula, and the gradient of loss (+ λ·penalty) written into the critic's flat gradient buffer
        by the hand-written backward passes of :mod:`wgan_core.mlp_kernel`."""
        m, n = len(real), len(real) + len(fake)
        gp = self.config.loss == "wgan-gp"
        batch = (real, fake, L.interpolates(real, fake, generator=self._noise_rng)) if gp else (real, fake)
        out, inputs = self._kc.forward(torch.cat(batch))
        f = out.reshape(-1)[:n]
        loss = L.critic_loss(self.config.loss, f[:m], f[m:])
        if self.config.loss == "wgan":  # ∂ℓ/∂f is the constant (−1/m, +1/m): made once per batch shape
            key = (m, len(fake))
            grad_out = self._wgan_out_grad.get(key)
            if grad_out is None:
                grad_out = torch.cat(L.critic_loss_grad("wgan", f[:m], f[m:])).unsqueeze(1)
                self._wgan_out_grad[key] = grad_out
        else:
            grad_out = torch.cat(L.critic_loss_grad(self.config.loss, f[:m], f[m:])).unsqueeze(1)
        self._kc.attach_grads()
        if not gp:
            self._kc.backward(inputs, grad_out)
            return loss
        self._kc.backward([h[:n] for h in inputs], grad_out)
        penalty, _ = self._kc.penalty_backward([h[n:] for h in inputs], hp["lambda_gp"])
        self._acc["gp"] += penalty
        return loss

    def _generator_update(self) -> None:
        # (2) Update the generator: minimise −E f(g(z)) (or the GAN generator loss).
        if self._manual_gen:  # toy MLPs: back through the critic to its input, then through g
            x, g_inputs = self._kg.forward(self._noise(self.config.batch_size))
            out, c_inputs = self._kc.forward(x)
            f_fake = out.reshape(-1)
            loss = L.generator_loss(self.config.loss, f_fake)
            grad_x = self._kc.backward(c_inputs, L.generator_loss_grad(self.config.loss, f_fake).unsqueeze(1),
                                       weights=False, input_grad=True)
            self._kg.attach_grads()
            self._kg.backward(g_inputs, grad_x)
            self._update_g()
            self._acc["gen_loss"] += loss
            self._acc_n["gen"] += 1
            return
        for p in self._critic_params:
            p.requires_grad_(False)
        try:
            f_fake = self._critic_fwd(self._gen_fwd(self._noise(self.config.batch_size))).reshape(-1)
            loss = L.generator_loss(self.config.loss, f_fake)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            self._update_g()
        finally:
            for p in self._critic_params:
                p.requires_grad_(True)
        self._acc["gen_loss"] += loss.detach()
        self._acc_n["gen"] += 1

    def step(self) -> None:
        """One generator iteration: ``n_critic`` critic updates (each clipped for wgan), then one
        generator update. Never reads a value back to the host."""
        t0 = time.perf_counter()
        hp = self._begin()
        for net in (self.critic, self.generator):
            if not net.training:  # a metric's eval() switched it off; train() walks every submodule
                net.train()
        # all hand-written (toy MLPs): one no_grad for the whole iteration, not one per kernel call
        no_grad = self._manual_critic and (self._manual_gen or not self._g_trainable)
        with self._threads(), (torch.no_grad() if no_grad else contextlib.nullcontext()):
            self._critic_phase(self._critic_iters(hp), hp)
            if self._g_trainable:
                self._generator_update()
        self.g_step += 1
        dt = time.perf_counter() - t0
        self.seconds += dt
        self._interval_t += dt
        self._interval_steps += 1

    def train_critic(self, iters: int) -> None:
        """``iters`` critic (discriminator) updates with the generator frozen; ``g_step`` unchanged."""
        if isinstance(iters, bool) or not isinstance(iters, int) or iters < 1:
            raise ValueError(f"iters must be a positive integer; got {iters!r}")
        with self._threads():
            self._critic_phase(iters, self._begin())

    def run(self, steps: int, metrics_every: int | None = None) -> Iterator[dict]:
        """Run ``steps`` generator iterations, yielding :meth:`metrics` every ``metrics_every``
        (default ``config.metrics_every``) and after the last step. :meth:`stop` ends it early."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be a non-negative integer; got {steps!r}")
        every = metrics_every or self.config.metrics_every
        self._stop.clear()
        for i in range(steps):
            if self._stop.is_set():
                break
            self.step()
            if (i + 1) % every == 0 or i + 1 == steps:
                yield self.metrics()
        if self._stop.is_set() and self._interval_steps:
            yield self.metrics()

    def stop(self) -> None:
        """Ask a running :meth:`run` to return after the current step (thread-safe)."""
        self._stop.set()

    # ---- reading the state ------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, noise: torch.Tensor | None = None) -> np.ndarray:
        """``n`` generated samples as a float32 numpy array of shape ``(n, *data.shape)``."""
        z = noise if noise is not None else torch.randn(n, self.z_dim, generator=self._aux_rng, device=self.device)
        self.generator.eval()
        try:
            return self.generator(z.to(self.device)).float().cpu().numpy()
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

    def metrics(self) -> dict:
        """Read the device accumulators (the only host sync) and evaluate; see :func:`metrics.collect_metrics`."""
        with self._threads():
            return M.collect_metrics(self)

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
                "rng": {"noise": self._noise_rng.get_state(), "aux": self._aux_rng.get_state()},
                "data": data_state})

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` saved (the config must describe the same networks)."""
        self.generator.load_state_dict(state["generator"])
        self.critic.load_state_dict(state["critic"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_c.load_state_dict(state["opt_c"])
        self.g_step, self.critic_steps = int(state["g_step"]), int(state["critic_steps"])
        self.seconds = float(state.get("seconds", 0.0))
        self._noise_rng.set_state(state["rng"]["noise"].cpu())
        self._aux_rng.set_state(state["rng"]["aux"].cpu())
        if state.get("data") and hasattr(self.data, "load_state_dict"):
            self.data.load_state_dict(state["data"])
        with self._lock:
            self._hp.update(state["hparams"])
            self._pending.clear()
        self._apply_lr(self._hp["lr"])
        self._reset_accumulators()

    def _apply_lr(self, lr: float) -> None:
        for opt, value in ((self.opt_g, lr), (self.opt_c, lr * self.config.critic_lr_ratio)):
            for group in opt.param_groups:
                group["lr"] = value
