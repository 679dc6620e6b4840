r"""The toy engine: Algorithm 1's gradients for the toy MLPs by hand, over flat parameter buffers.

Same maths as :class:`~wgan_core.engines.autograd.AutogradEngine` (tests check every gradient and a whole run
against it), several times faster on a CPU for the small toy networks, where autograd's bookkeeping
costs more than the arithmetic:

* both networks' parameters live in one flat buffer each (:func:`.flat.flatten_parameters`), so an
  RMSProp update is five operations per network (:mod:`.optim`) and clipping one ``clamp_``;
* the critic scores real, fake (and, for WGAN-GP, the interpolates) in one forward, starts the
  backward pass from the output derivatives of :mod:`.grads` and writes every gradient straight
  into the flat gradient buffer (:mod:`.kernel`); the penalty's gradient is hand-written too;
* the generator's gradient goes back through the critic to its input and on through the generator,
  without touching the critic's gradient; no autograd graph is recorded anywhere.

A generator the kernels do not cover (e.g. a trainable :class:`~wgan_core.models.AffineGenerator`)
keeps the autograd generator step: the engine holds an autograd engine for such fallbacks.
:func:`unsupported_reason` says when the critic is not covered.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from ... import losses as L
from ...config import TrainConfig
from ...params import trainable
from ..autograd import AutogradEngine
from .flat import FlatCache, flatten_parameters
from .grads import OUTPUT_GRADS, critic_loss_grad, generator_loss_grad
from .kernel import MLPKernel, kernel_for
from .optim import LeanAdam, LeanRMSprop

__all__ = ["ToyKernelEngine", "unsupported_reason"]


def _covered(module: nn.Module) -> bool:
    net = getattr(module, "net", None)
    return isinstance(net, nn.Sequential) and bool(trainable(module))


def unsupported_reason(config: TrainConfig, critic: nn.Module, toy: bool) -> str | None:
    """Why :class:`ToyKernelEngine` cannot train this run, in words; None when it may (its constructor
    then still raises ValueError for a critic ``net`` that is not Linear/ReLU layers)."""
    if not toy:
        return "it covers the toy MLPs only, not image networks"
    if config.compile != "none":
        return f"compile={config.compile!r} needs autograd's forwards"
    if config.track_update_cosine:
        return "track_update_cosine is measured on the autograd path"
    if config.loss not in OUTPUT_GRADS:
        return f"loss {config.loss!r} has no hand-written output derivative"
    if not isinstance(getattr(critic, "net", None), nn.Sequential):
        return f"the critic ({type(critic).__name__}) is not a toy MLP"
    return None


class ToyKernelEngine:
    """A :class:`~wgan_core.engines.GradientEngine` by the hand-written toy kernels; an
    :class:`~wgan_core.engines.autograd.AutogradEngine` it holds (``fallback``) runs what they do not cover."""

    name = "toy-kernel"

    def __init__(self, config: TrainConfig, generator: nn.Module, critic: nn.Module, noise: torch.Generator,
                 toy: bool):
        flatten_parameters(critic)
        self._kc = MLPKernel(critic.net)  # ValueError for a critic it does not cover
        flatten_parameters(generator)
        self.fallback = AutogradEngine(config, generator, critic, noise, toy)
        self.config, self.noise = config, noise
        self.batched_fakes = self.fallback.batched_fakes
        self._kg = kernel_for(generator) if _covered(generator) else None
        self._clip_flat = FlatCache()
        self._wgan_out_grad: dict[tuple[int, int], torch.Tensor] = {}  # the constant ∂ℓ/∂f of wgan
        # one no_grad for the whole iteration, unless the generator step needs autograd
        self._no_grad = self._kg is not None or not self.fallback.generator_params

    def make_optimizer(self, module: nn.Module, lr: float) -> torch.optim.Optimizer:
        """The lean RMSProp/Adam (torch's arithmetic, flat-buffer updates)."""
        params = trainable(module) or [nn.Parameter(torch.zeros(1, device=self.noise.device))]
        if self.config.optimizer == "adam":
            return LeanAdam(params, lr=lr, betas=self.config.betas)
        return LeanRMSprop(params, lr=lr)

    def update(self, opt: torch.optim.Optimizer) -> None:
        """The lean optimiser's update without ``Optimizer.step``'s wrapper (see :mod:`.optim`)."""
        opt.update()

    def grad_mode(self):
        return torch.no_grad() if self._no_grad else contextlib.nullcontext()

    def fakes(self, z: torch.Tensor) -> torch.Tensor:
        if self._kg is None:
            return self.fallback.fakes(z)
        return self._kg.forward(z, keep=False)[0]

    def _critic_out_grad(self, f: torch.Tensor, m: int) -> torch.Tensor:
        if self.config.loss == "wgan":  # ∂ℓ/∂f is the constant (−1/m, +1/m): made once per batch shape
            key = (m, len(f) - m)
            grad_out = self._wgan_out_grad.get(key)
            if grad_out is None:
                grad_out = self._wgan_out_grad[key] = torch.cat(critic_loss_grad("wgan", f[:m], f[m:])).unsqueeze(1)
            return grad_out
        return torch.cat(critic_loss_grad(self.config.loss, f[:m], f[m:])).unsqueeze(1)

    def critic_grads(self, real: torch.Tensor, fake: torch.Tensor, lambda_gp: float):
        m, n = len(real), len(real) + len(fake)
        gp = self.config.loss == "wgan-gp"
        batch = (real, fake, L.interpolates(real, fake, generator=self.noise)) if gp else (real, fake)
        out, inputs = self._kc.forward(torch.cat(batch))
        f = out.reshape(-1)[:n]
        loss = L.critic_loss(self.config.loss, f[:m], f[m:])
        grad_out = self._critic_out_grad(f, m)
        self._kc.attach_grads()
        if not gp:
            self._kc.backward(inputs, grad_out)
            return loss, None
        self._kc.backward([h[:n] for h in inputs], grad_out)
        penalty, _ = self._kc.penalty_backward([h[n:] for h in inputs], lambda_gp)
        return loss, penalty

    def generator_grads(self, z: torch.Tensor) -> torch.Tensor:
        if self._kg is None:
            return self.fallback.generator_grads(z)
        x, g_inputs = self._kg.forward(z)  # back through the critic to its input, then through g
        out, c_inputs = self._kc.forward(x)
        f_fake = out.reshape(-1)
        loss = L.generator_loss(self.config.loss, f_fake)
        grad_x = self._kc.backward(c_inputs, generator_loss_grad(self.config.loss, f_fake).unsqueeze(1),
                                   weights=False, input_grad=True)
        self._kg.attach_grads()
        self._kg.backward(g_inputs, grad_x)
        return loss

    @torch.no_grad()
    def clip_(self, params: list[torch.Tensor], c: float) -> None:
        flat = self._clip_flat(params)
        if flat is None:  # e.g. batch-norm parameters left out of the clip
            self.fallback.clip_(params, c)
        else:  # one clamp over all critic weights
            flat.clamp_(-c, c)
