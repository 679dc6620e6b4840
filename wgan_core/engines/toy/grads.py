r"""Derivatives of the losses with respect to the network outputs, where the backward pass starts.

Each is the derivative of the loss of the same objective in :mod:`wgan_core.losses`, element by
element, with $m$ the batch size; ``tests/test_losses.py`` checks every one against autograd.
:data:`OUTPUT_GRADS` lists the objectives that have them: for any other loss the trainer falls back
to autograd (:func:`wgan_core.engines.pick_engine`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["critic_loss_grad", "generator_loss_grad", "OUTPUT_GRADS"]


def _wgan_critic(f_real: torch.Tensor, f_fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # ℓ = 1/m Σ f(x̃_i) − 1/m Σ f(x_i): −1/m for every real, +1/m for every fake
    return torch.full_like(f_real, -1.0 / f_real.shape[0]), torch.full_like(f_fake, 1.0 / f_fake.shape[0])


def _gan_critic(f_real: torch.Tensor, f_fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # ℓ = 1/m Σ softplus(−f(x_i)) + 1/m Σ softplus(f(x̃_i)): −σ(−f(x_i))/m and σ(f(x̃_i))/m
    return torch.sigmoid(-f_real).mul_(-1.0 / f_real.shape[0]), torch.sigmoid(f_fake).mul_(1.0 / f_fake.shape[0])


def _wgan_generator(f_fake: torch.Tensor) -> torch.Tensor:
    return torch.full_like(f_fake, -1.0 / f_fake.shape[0])  # ℓ = −1/m Σ f


def _gan_generator(f_fake: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(-f_fake).mul_(-1.0 / f_fake.shape[0])  # ℓ = 1/m Σ softplus(−f)


def _gan_minimax_generator(f_fake: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(f_fake).mul_(-1.0 / f_fake.shape[0])  # ℓ = −1/m Σ softplus(f)


#: loss name -> (∂ℓ_critic/∂f, ∂ℓ_generator/∂f). WGAN-GP's critic part excludes the penalty, whose
#: gradient :meth:`~.kernel.MLPKernel.penalty_backward` writes.
OUTPUT_GRADS: dict[str, tuple[Callable, Callable]] = {
    "wgan": (_wgan_critic, _wgan_generator),
    "wgan-gp": (_wgan_critic, _wgan_generator),
    "gan": (_gan_critic, _gan_generator),
    "gan-minimax": (_gan_critic, _gan_minimax_generator),
}


def _lookup(loss: str, which: int) -> Callable:
    if loss not in OUTPUT_GRADS:
        raise ValueError(f"loss has no hand-written output derivative; one of {', '.join(OUTPUT_GRADS)} "
                         f"expected, got {loss!r}")
    return OUTPUT_GRADS[loss][which]


def critic_loss_grad(loss: str, f_real: torch.Tensor, f_fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""$(\partial\ell/\partial f(x_i),\ \partial\ell/\partial f(\tilde x_i))$ for
    :func:`wgan_core.losses.critic_loss` (the penalty excluded).

    * wgan, wgan-gp: $-1/m$ for every real and $+1/m$ for every fake;
    * gan, gan-minimax: $-\sigma(-f(x_i))/m$ and $\sigma(f(\tilde x_i))/m$.
    """
    return _lookup(loss, 0)(f_real, f_fake)


def generator_loss_grad(loss: str, f_fake: torch.Tensor) -> torch.Tensor:
    r"""$\partial\ell/\partial f(g_\theta(z_i))$ for :func:`wgan_core.losses.generator_loss`.

    * wgan, wgan-gp: $-1/m$;  * gan (non-saturating): $-\sigma(-f)/m$;  * gan-minimax: $-\sigma(f)/m$.
    """
    return _lookup(loss, 1)(f_fake)
