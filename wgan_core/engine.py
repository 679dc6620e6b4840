r"""Gradient engines: how the trainer gets $g_w$ and $g_\theta$ of Algorithm 1. One seam, picked once.

The :class:`~wgan_core.trainer.Trainer` states *what* a step does (Algorithm 1); an engine says *how*
the gradients are formed and the weights clipped. :func:`pick_engine` chooses one when the trainer is
built:

* :class:`AutogradEngine` (the default, for every network): the losses of :mod:`wgan_core.losses`,
  ``backward()`` and the ``torch.optim`` optimisers.
* :class:`wgan_core.toy_engine.ToyKernelEngine`: the toy MLPs' hand-written backward passes over flat
  parameter buffers, the same maths several times faster on a CPU. ``config.engine = "auto"`` takes
  it where it covers the networks and the loss (toy data, ``compile="none"``, no update-cosine
  tracking, a loss with a hand-written output derivative); anything else falls back to autograd.

An engine writes the gradients into the parameters' ``.grad`` and returns the losses as device
tensors (nothing is read back to the host); the trainer runs the optimisers and counts.
"""

from __future__ import annotations

import contextlib
from contextlib import contextmanager

import torch
from torch import nn

from . import losses as L
from .config import TrainConfig

__all__ = ["AutogradEngine", "pick_engine", "has_batchnorm", "trainable", "clip_params", "load_optimizer_state",
           "thread_limit"]


def has_batchnorm(module: nn.Module) -> bool:
    """Whether ``module`` holds a batch-norm layer (its outputs then depend on the whole batch)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def trainable(module: nn.Module) -> list[nn.Parameter]:
    """The parameters of ``module`` that require gradients."""
    return [p for p in module.parameters() if p.requires_grad]


def clip_params(critic: nn.Module, clamp_bn: bool) -> list[nn.Parameter]:
    """The critic weights that WGAN clips: every trainable one, batch norm's only with ``clamp_bn``."""
    bn = {id(p) for m in critic.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) for p in m.parameters()}
    return [p for p in trainable(critic) if clamp_bn or id(p) not in bn]


@contextmanager
def thread_limit(n: int):
    """Run the body with ``n`` torch intra-op threads and restore the previous count (0: no change)."""
    prev = torch.get_num_threads()
    if n <= 0 or n == prev:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


class AutogradEngine:
    """Gradients by autograd, for any generator and critic.

    Parameters
    ----------
    config : TrainConfig
    generator, critic : nn.Module
        Already on the trainer's device.
    noise : torch.Generator
        The training noise stream (WGAN-GP draws its interpolation weights ε from it).
    toy : bool
        Toy data: critics without batch norm score real and fake in one concatenated forward
        (examples are independent, so the scores are the same).
    """

    name = "autograd"

    def __init__(self, config: TrainConfig, generator: nn.Module, critic: nn.Module, noise: torch.Generator,
                 toy: bool):
        self.config, self.generator, self.critic, self.noise = config, generator, critic, noise
        self.critic_params, self.generator_params = trainable(critic), trainable(generator)
        self._concat = toy and not has_batchnorm(critic)
        self._critic_fwd, self._gen_fwd = critic, generator
        if config.compile != "none":
            self._critic_fwd = torch.compile(critic, mode=config.compile)
            self._gen_fwd = torch.compile(generator, mode=config.compile)

    def make_optimizer(self, module: nn.Module, lr: float) -> torch.optim.Optimizer:
        """RMSProp (multi-tensor) or Adam (fused) over the trainable parameters of ``module``; a fully
        frozen module gets a dummy parameter so the optimiser exists."""
        params = trainable(module) or [nn.Parameter(torch.zeros(1, device=self.noise.device))]
        if self.config.optimizer == "adam":
            return torch.optim.Adam(params, lr=lr, betas=self.config.betas, fused=True)
        return torch.optim.RMSprop(params, lr=lr, foreach=True)

    def grad_mode(self):
        """The autograd mode a whole generator iteration runs in (autograd: on)."""
        return contextlib.nullcontext()

    @torch.no_grad()
    def fakes(self, z: torch.Tensor) -> torch.Tensor:
        r"""$g_\theta(z)$ without a graph (θ is frozen while the critic trains)."""
        return self._gen_fwd(z)

    def critic_grads(self, real: torch.Tensor, fake: torch.Tensor, lambda_gp: float):
        r"""Write $\nabla_w$ of the critic loss (+ $\lambda$·penalty for WGAN-GP) into ``.grad``;
        return ``(loss, penalty)`` as detached device scalars (``penalty`` None without one)."""
        if self._concat:
            out = self._critic_fwd(torch.cat((real, fake))).reshape(-1)
            f_real, f_fake = out[: len(real)], out[len(real):]
        else:
            f_real, f_fake = self._critic_fwd(real).reshape(-1), self._critic_fwd(fake).reshape(-1)
        loss = L.critic_loss(self.config.loss, f_real, f_fake)
        total, gp = loss, None
        if self.config.loss == "wgan-gp":
            gp = L.gradient_penalty(self.critic, real, fake, generator=self.noise)
            total = loss + lambda_gp * gp
            gp = gp.detach()
        for p in self.critic_params:
            p.grad = None
        total.backward()
        return loss.detach(), gp

    def generator_grads(self, z: torch.Tensor) -> torch.Tensor:
        r"""Write $\nabla_\theta$ of the generator loss at $z$ into ``.grad`` (the critic frozen, so no
        critic gradient is formed); return the loss as a detached device scalar."""
        for p in self.critic_params:
            p.requires_grad_(False)
        try:
            loss = L.generator_loss(self.config.loss, self._critic_fwd(self._gen_fwd(z)).reshape(-1))
            for p in self.generator_params:
                p.grad = None
            loss.backward()
        finally:
            for p in self.critic_params:
                p.requires_grad_(True)
        return loss.detach()

    @torch.no_grad()
    def clip_(self, params: list[torch.Tensor], c: float) -> None:
        """Clamp every tensor of ``params`` to ``[-c, c]`` in place."""
        torch._foreach_clamp_min_(params, -c)
        torch._foreach_clamp_max_(params, c)


def pick_engine(config: TrainConfig, generator: nn.Module, critic: nn.Module, noise: torch.Generator,
                toy: bool) -> AutogradEngine:
    """The gradient engine ``config.engine`` names (``auto``: the toy kernels where they apply).

    Raises ValueError when ``engine="toy-kernel"`` is asked for networks or a loss it cannot train.
    """
    if config.engine == "autograd":
        return AutogradEngine(config, generator, critic, noise, toy)
    from .toy_engine import ToyKernelEngine, unsupported_reason  # only when it may be used

    reason = unsupported_reason(config, critic, toy)
    if reason is None:
        try:
            return ToyKernelEngine(config, generator, critic, noise, toy)
        except ValueError as exc:
            reason = str(exc)
    if config.engine == "toy-kernel":
        raise ValueError(f"engine toy-kernel cannot train this run: {reason}")
    return AutogradEngine(config, generator, critic, noise, toy)


def load_optimizer_state(opt: torch.optim.Optimizer, state: dict) -> None:
    """``opt.load_state_dict(state)`` for a state saved by either engine's optimisers: the lean ones
    keep fewer group options (their defaults are filled in from ``opt``) and the lean RMSProp no
    ``step`` counter (``torch.optim.RMSprop`` needs one; it does not enter the update)."""
    groups = [{**opt.defaults, **group} for group in state["param_groups"]]
    per_param = {k: s if "step" in s else {**s, "step": torch.zeros(())} for k, s in state["state"].items()}
    opt.load_state_dict({**state, "param_groups": groups, "state": per_param})
