"""Losses equal their formulas on hand-made inputs; the gradient penalty uses per-example interpolates."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from wgan_core import losses as L


def t(*values):
    return torch.tensor(values, dtype=torch.float64)


def test_wgan_losses_by_hand():
    f_real, f_fake = t(1.0, 2.0, 3.0), t(-1.0, 0.5, 0.0)
    # E f(x) - E f(g(z)) = 2 - (-1/6) = 13/6, negated for minimisation
    assert L.wgan_critic_loss(f_real, f_fake).item() == pytest.approx(-13 / 6)
    assert L.wgan_generator_loss(f_fake).item() == pytest.approx(1 / 6)


def test_gan_losses_equal_log_formulas():
    lr, lf = t(0.3, -1.2, 2.0), t(-0.7, 0.1, 1.5)
    d_real, d_fake = torch.sigmoid(lr), torch.sigmoid(lf)
    objective = torch.log(d_real).mean() + torch.log(1 - d_fake).mean()
    assert L.gan_discriminator_loss(lr, lf).item() == pytest.approx(-objective.item())
    assert L.gan_generator_loss(lf).item() == pytest.approx(-torch.log(d_fake).mean().item())
    assert L.gan_minimax_generator_loss(lf).item() == pytest.approx(torch.log(1 - d_fake).mean().item())
    # optimal discriminator on identical distributions: D = 1/2 everywhere, L = -2 log 2, bound = 0
    zero = torch.zeros(4, dtype=torch.float64)
    assert L.js_lower_bound(-L.gan_discriminator_loss(zero, zero).item()) == pytest.approx(0.0, abs=1e-12)
    assert L.js_lower_bound(0.0) == pytest.approx(math.log(2))


def test_dispatch_and_bad_name():
    f = t(1.0, 2.0)
    assert L.critic_loss("wgan-gp", f, f).item() == 0.0
    assert L.generator_loss("gan-minimax", f).item() == L.gan_minimax_generator_loss(f).item()
    with pytest.raises(ValueError, match="loss"):
        L.critic_loss("hinge", f, f)


def test_interpolates_are_per_example():
    real, fake = torch.ones(5, 3), torch.zeros(5, 3)
    eps = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0])
    x_hat = L.interpolates(real, fake, eps)
    assert torch.allclose(x_hat, eps[:, None].expand(5, 3))
    x_rand = L.interpolates(real, fake, generator=torch.Generator().manual_seed(0))
    assert x_rand[:, 0].unique().numel() == 5  # one epsilon per example, shared across coordinates
    assert torch.equal(x_rand[:, 0], x_rand[:, 2])


def test_gradient_penalty_of_linear_critics():
    real, fake = torch.randn(64, 2), torch.randn(64, 2) + 3
    unit = nn.Linear(2, 1)
    with torch.no_grad():
        unit.weight.copy_(torch.tensor([[0.6, 0.8]]))  # ||w|| = 1: gradient norm 1 everywhere
    gp, norms = L.gradient_penalty(unit, real, fake, return_norms=True)
    assert gp.item() == pytest.approx(0.0, abs=1e-10)
    assert torch.allclose(norms, torch.ones(64))
    with torch.no_grad():
        unit.weight.mul_(3.0)  # ||w|| = 3: penalty (3 - 1)^2 = 4
    assert L.gradient_penalty(unit, real, fake).item() == pytest.approx(4.0, rel=1e-6)
    gp = L.gradient_penalty(unit, real, fake)
    gp.backward()  # differentiable w.r.t. the critic weights: d/dw (||w|| - 1)^2 = 2(||w||-1) w/||w||
    assert torch.allclose(unit.weight.grad, 4 * unit.weight.detach() / 3, atol=1e-5)


@pytest.mark.parametrize("loss", ["wgan", "wgan-gp", "gan", "gan-minimax"])
def test_output_derivatives_equal_autograd(loss):
    from wgan_core.engines.toy.grads import critic_loss_grad, generator_loss_grad
    from wgan_core.losses import critic_loss, generator_loss

    f_real = torch.randn(7, dtype=torch.float64, requires_grad=True)
    f_fake = torch.randn(5, dtype=torch.float64, requires_grad=True)
    auto = torch.autograd.grad(critic_loss(loss, f_real, f_fake), (f_real, f_fake))
    mine = critic_loss_grad(loss, f_real.detach(), f_fake.detach())
    for a, b in zip(auto, mine, strict=True):
        torch.testing.assert_close(a, b)
    (auto_g,) = torch.autograd.grad(generator_loss(loss, f_fake), (f_fake,))
    torch.testing.assert_close(auto_g, generator_loss_grad(loss, f_fake.detach()))
    with pytest.raises(ValueError, match="no hand-written output derivative.*'hinge'"):
        critic_loss_grad("hinge", f_real, f_fake)
