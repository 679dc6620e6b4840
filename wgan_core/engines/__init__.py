r"""Gradient engines: how the trainer gets $g_w$ and $g_\theta$ of Algorithm 1. One seam, picked once.

The :class:`~wgan_core.trainer.Trainer` states *what* a step does (Algorithm 1); a
:class:`GradientEngine` says *how* the gradients are formed, the optimisers step and the weights are
clipped. :func:`pick_engine` chooses one when the trainer is built:

* :class:`~.autograd.AutogradEngine` (the default, for every network): the losses of
  :mod:`wgan_core.losses`, ``backward()`` and the ``torch.optim`` optimisers.
* :class:`~.toy.ToyKernelEngine`: the toy MLPs' hand-written backward passes over flat parameter
  buffers, the same maths several times faster on a CPU. ``config.engine = "auto"`` takes it where
  it covers the networks and the loss (toy data, ``compile="none"``, no update-cosine tracking, a
  loss with a hand-written output derivative); anything else falls back to autograd. It holds an
  autograd engine for the parts its kernels do not cover.

An engine writes the gradients into the parameters' ``.grad`` and returns the losses as device
tensors (nothing is read back to the host); the trainer calls the engine's methods and counts.
Imports run one way: this package → ``autograd`` and (lazily) ``toy`` → ``autograd``; neither engine
imports this package.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import nn

from ..config import TrainConfig
from .autograd import AutogradEngine

__all__ = ["GradientEngine", "AutogradEngine", "pick_engine"]


class GradientEngine(Protocol):
    """What the trainer asks of an engine (Algorithm 1, lines 4-7 and 10-11)."""

    #: ``"autograd"`` or ``"toy-kernel"``.
    name: str
    #: Whether a critic phase's ``n_critic`` fake batches may come from one generator forward (θ is
    #: frozen meanwhile; false when the generator's batch norm would mix the batches).
    batched_fakes: bool

    def make_optimizer(self, module: nn.Module, lr: float) -> torch.optim.Optimizer:
        """The optimiser ``config.optimizer`` names over the trainable parameters of ``module``."""

    def update(self, opt: torch.optim.Optimizer) -> None:
        """One step of ``opt`` from the gradients in ``.grad`` (lines 6 and 11)."""

    def grad_mode(self):
        """The autograd context a whole generator iteration runs in."""

    def fakes(self, z: torch.Tensor) -> torch.Tensor:
        r"""$g_\theta(z)$ without a graph (line 4)."""

    def critic_grads(self, real: torch.Tensor, fake: torch.Tensor, lambda_gp: float):
        """Write the critic loss's gradient into ``.grad`` (line 5); return ``(loss, penalty)``."""

    def generator_grads(self, z: torch.Tensor) -> torch.Tensor:
        """Write the generator loss's gradient into ``.grad`` (line 10); return the loss."""

    def clip_(self, params: list[torch.Tensor], c: float) -> None:
        """Clamp ``params`` to ``[-c, c]`` in place (line 7)."""


def pick_engine(config: TrainConfig, generator: nn.Module, critic: nn.Module, noise: torch.Generator,
                toy: bool) -> GradientEngine:
    """The gradient engine ``config.engine`` names (``auto``: the toy kernels where they apply).

    Raises ValueError when ``engine="toy-kernel"`` is asked for networks or a loss it cannot train.
    """
    if config.engine == "autograd":
        return AutogradEngine(config, generator, critic, noise, toy)
    from .toy import ToyKernelEngine, unsupported_reason  # only when it may be used

    reason = unsupported_reason(config, critic, toy)
    if reason is None:
        try:
            return ToyKernelEngine(config, generator, critic, noise, toy)
        except ValueError as exc:
            reason = str(exc)
    if config.engine == "toy-kernel":
        raise ValueError(f"engine toy-kernel cannot train this run: {reason}")
    return AutogradEngine(config, generator, critic, noise, toy)
