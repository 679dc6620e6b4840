r"""The autograd engine: Algorithm 1's gradients by ``backward()``, for any generator and critic.

The default :class:`~wgan_core.engines.GradientEngine`: the losses of :mod:`wgan_core.losses`,
``backward()`` and the ``torch.optim`` optimisers (multi-tensor RMSProp, fused Adam). The toy engine
(:mod:`wgan_core.engines.toy`) holds one of these for whatever its kernels do not cover.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from .. import losses as L
from ..config import TrainConfig
from ..params import has_batchnorm, trainable

__all__ = ["AutogradEngine"]


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
        self.batched_fakes = toy and not has_batchnorm(generator)
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

    def update(self, opt: torch.optim.Optimizer) -> None:
        """One optimiser update from the gradients in ``.grad`` (``opt.step()``)."""
        opt.step()

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
