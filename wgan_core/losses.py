r"""# The objectives: GAN, saturating GAN, WGAN and WGAN-GP

Each function returns a scalar to **minimise**. Throughout, `f_real` is $f_w(x)$ for a batch
$x \sim \mathbb{P}_r$ and `f_fake` is $f_w(g_\theta(z))$ for $z \sim p(z)$, both of shape $(m,)$.

## GAN (Goodfellow et al., 2014)
The discriminator is $D(x) = \sigma(f(x))$ — the network outputs a *logit* and the sigmoid lives in
the loss, which is the numerically stable form. It maximises
$$L(D, g_\theta) = \mathbb{E}_{x \sim \mathbb{P}_r}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(g_\theta(z)))],$$
and with the optimal $D^*$, $L(D^*, g_\theta) = 2\,JS(\mathbb{P}_r, \mathbb{P}_\theta) - 2\log 2$, so
$\tfrac12 L + \log 2$ is a lower bound of $JS$ (the paper's Fig 5 plots it). Using
$\log \sigma(a) = -\mathrm{softplus}(-a)$ and $\log(1 - \sigma(a)) = -\mathrm{softplus}(a)$ every
expression below is a softplus of logits.

The generator either minimises $\mathbb{E}_z[\log(1 - D(g_\theta(z)))]$ (*minimax*, saturating: its
gradient vanishes when $D$ rejects the fakes) or maximises $\mathbb{E}_z[\log D(g_\theta(z))]$ (the
*non-saturating* $-\log D$ trick).

## WGAN (Arjovsky et al., 2017, Algorithm 1)
The critic $f_w$, with weights clamped to $[-c, c]$ after every update, maximises
$$\mathbb{E}_{x \sim \mathbb{P}_r}[f_w(x)] - \mathbb{E}_{z}[f_w(g_\theta(z))],$$
an estimate (up to a constant $K$) of $W_1(\mathbb{P}_r, \mathbb{P}_\theta)$. The generator minimises
$-\mathbb{E}_z[f_w(g_\theta(z))]$.

## WGAN-GP (Gulrajani et al., 2017)
Instead of clipping, the critic minimises
$$\mathbb{E}_z[f_w(\tilde x)] - \mathbb{E}_x[f_w(x)]
  + \lambda\,\mathbb{E}_{\hat x}\big[(\|\nabla_{\hat x} f_w(\hat x)\|_2 - 1)^2\big],$$
where $\hat x = \epsilon x + (1 - \epsilon)\tilde x$ with a fresh $\epsilon \sim U[0, 1]$ **per example**.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["wgan_critic_loss", "wgan_generator_loss", "gradient_penalty", "interpolates",
           "gan_discriminator_loss", "gan_generator_loss", "gan_minimax_generator_loss", "js_lower_bound",
           "critic_loss", "generator_loss"]


def wgan_critic_loss(f_real: torch.Tensor, f_fake: torch.Tensor) -> torch.Tensor:
    r"""$-(\mathbb{E}[f_w(x)] - \mathbb{E}[f_w(g_\theta(z))])$ — Algorithm 1, line 5, negated."""
    return f_fake.mean() - f_real.mean()


def wgan_generator_loss(f_fake: torch.Tensor) -> torch.Tensor:
    r"""$-\mathbb{E}_z[f_w(g_\theta(z))]$ — Algorithm 1, line 10."""
    return -f_fake.mean()


def interpolates(real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    r"""$\hat x_i = \epsilon_i x_i + (1 - \epsilon_i)\tilde x_i$, one $\epsilon_i \sim U[0,1]$ per example.

    ``real`` and ``fake`` have shape ``(m, ...)``; ``eps`` (optional) shape ``(m,)``.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape; got {tuple(real.shape)}, {tuple(fake.shape)}")
    if eps is None:
        eps = torch.rand(real.shape[0], generator=generator, device=real.device, dtype=real.dtype)
    eps = eps.reshape(-1, *([1] * (real.dim() - 1)))
    return eps * real + (1 - eps) * fake


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor | None = None,
                     generator: torch.Generator | None = None,
                     return_norms: bool = False):
    r"""$\mathbb{E}_{\hat x}[(\|\nabla_{\hat x} f_w(\hat x)\|_2 - 1)^2]$ at per-example interpolates.

    The graph is kept (``create_graph=True``) so the penalty can be differentiated w.r.t. $w$.
    With ``return_norms`` also returns $\|\nabla_{\hat x} f_w(\hat x)\|_2$, shape ``(m,)``.
    """
    x_hat = interpolates(real.detach(), fake.detach(), eps, generator).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(dim=1)
    penalty = ((norms - 1) ** 2).mean()
    return (penalty, norms) if return_norms else penalty


def gan_discriminator_loss(logit_real: torch.Tensor, logit_fake: torch.Tensor) -> torch.Tensor:
    r"""$-L = -\mathbb{E}[\log D(x)] - \mathbb{E}[\log(1 - D(g_\theta(z)))]$ with $D = \sigma(\text{logit})$."""
    return F.softplus(-logit_real).mean() + F.softplus(logit_fake).mean()


def gan_generator_loss(logit_fake: torch.Tensor) -> torch.Tensor:
    r"""Non-saturating: $-\mathbb{E}_z[\log D(g_\theta(z))]$."""
    return F.softplus(-logit_fake).mean()


def gan_minimax_generator_loss(logit_fake: torch.Tensor) -> torch.Tensor:
    r"""Saturating (minimax): $\mathbb{E}_z[\log(1 - D(g_\theta(z)))]$."""
    return -F.softplus(logit_fake).mean()


def js_lower_bound(objective: float | torch.Tensor):
    r"""$\tfrac12 L + \log 2$ for the discriminator objective $L$ (paper Fig 5); $\le JS$ (nats)."""
    return 0.5 * objective + math.log(2.0)


def critic_loss(loss: str, f_real: torch.Tensor, f_fake: torch.Tensor) -> torch.Tensor:
    """The critic/discriminator loss of objective ``loss`` *without* the gradient penalty."""
    if loss in ("wgan", "wgan-gp"):
        return wgan_critic_loss(f_real, f_fake)
    if loss in ("gan", "gan-minimax"):
        return gan_discriminator_loss(f_real, f_fake)
    raise ValueError(f"loss must be one of gan, gan-minimax, wgan, wgan-gp; got {loss!r}")


def generator_loss(loss: str, f_fake: torch.Tensor) -> torch.Tensor:
    """The generator loss of objective ``loss``."""
    if loss in ("wgan", "wgan-gp"):
        return wgan_generator_loss(f_fake)
    if loss == "gan":
        return gan_generator_loss(f_fake)
    if loss == "gan-minimax":
        return gan_minimax_generator_loss(f_fake)
    raise ValueError(f"loss must be one of gan, gan-minimax, wgan, wgan-gp; got {loss!r}")
