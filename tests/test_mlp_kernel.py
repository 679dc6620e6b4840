"""The hand-written backward passes of wgan_core.engines.toy give autograd's gradients."""

import pytest
import torch

import wgan_core.losses as L
from wgan_core.config import TrainConfig
from wgan_core.engines.toy import MLPKernel, flatten_parameters, kernel_for
from wgan_core.engines.toy.grads import critic_loss_grad, generator_loss_grad
from wgan_core.models import MLPCritic, MLPGenerator
from wgan_core.trainer import Trainer


def _flat(grads):
    return torch.cat([g.reshape(-1) for g in grads])


def _nets(width=24, depth=3, seed=0):
    torch.manual_seed(seed)
    c, g = MLPCritic(2, width, depth), MLPGenerator(4, 2, width, depth)
    flatten_parameters(c)
    flatten_parameters(g)
    return c, g, kernel_for(c), kernel_for(g)


@pytest.mark.parametrize("loss", ["wgan", "gan", "gan-minimax"])
def test_critic_gradient_equals_autograd(loss):
    c, _, kc, _ = _nets()
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    out, inputs = kc.forward(torch.cat((real, fake)))
    f = out.reshape(-1)
    torch.testing.assert_close(f, torch.cat((c(real), c(fake))).detach())
    kc.backward(inputs, torch.cat(critic_loss_grad(loss, f[:16], f[16:])).unsqueeze(1))
    auto = torch.autograd.grad(L.critic_loss(loss, c(real), c(fake)), list(c.parameters()))
    torch.testing.assert_close(kc.grad, _flat(auto), rtol=1e-5, atol=1e-7)
    assert all(p.grad is v for p, v in zip(kc.params, kc._grad_views, strict=True))  # written in place


@pytest.mark.parametrize("loss", ["wgan", "gan", "gan-minimax"])
def test_generator_gradient_through_the_critic_equals_autograd(loss):
    c, g, kc, kg = _nets(seed=1)
    z = torch.randn(16, 4)
    x, g_inputs = kg.forward(z)
    out, c_inputs = kc.forward(x)
    critic_grad_before = kc.grad.clone()
    grad_x = kc.backward(c_inputs, generator_loss_grad(loss, out.reshape(-1)).unsqueeze(1),
                         weights=False, input_grad=True)
    torch.testing.assert_close(kc.grad, critic_grad_before, rtol=0, atol=0)  # the critic's grads untouched
    kg.backward(g_inputs, grad_x)
    auto = torch.autograd.grad(L.generator_loss(loss, c(g(z))), list(g.parameters()))
    torch.testing.assert_close(kg.grad, _flat(auto), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("depth", [1, 3])
def test_gradient_penalty_gradient_equals_double_backprop(depth):
    c, _, kc, _ = _nets(width=32, depth=depth, seed=2)
    real, fake, eps = torch.randn(12, 2), torch.randn(12, 2), torch.rand(12)
    x_hat = L.interpolates(real, fake, eps)
    out, inputs = kc.forward(torch.cat((real, fake, x_hat)))
    f = out.reshape(-1)
    kc.backward([h[:24] for h in inputs], torch.cat(critic_loss_grad("wgan-gp", f[:12], f[12:24])).unsqueeze(1))
    penalty, norms = kc.penalty_backward([h[24:] for h in inputs], lambda_gp=10.0)
    ref_penalty, ref_norms = L.gradient_penalty(c, real, fake, eps, return_norms=True)
    torch.testing.assert_close(penalty, ref_penalty.detach())
    torch.testing.assert_close(norms, ref_norms.detach())
    total = L.critic_loss("wgan-gp", c(real), c(fake)) + 10.0 * L.gradient_penalty(c, real, fake, eps)
    auto = torch.autograd.grad(total, list(c.parameters()))
    torch.testing.assert_close(kc.grad, _flat(auto), rtol=1e-5, atol=1e-6)


def test_kernel_refuses_networks_it_does_not_cover():
    with pytest.raises(ValueError, match="flattened"):
        MLPKernel(MLPCritic(2, 8, 2).net)  # parameters not in one flat buffer
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    flatten_parameters(net)
    with pytest.raises(ValueError, match="Linear/ReLU"):
        MLPKernel(net)
    assert kernel_for(torch.nn.Linear(2, 2)) is None


@pytest.mark.parametrize("loss", ["wgan", "wgan-gp", "gan"])
def test_trainer_fast_path_follows_the_autograd_path(loss):
    """Same seed, same steps: the trainer with the hand-written passes and with autograd agree."""
    cfg = TrainConfig(loss=loss, width=32, depth=2, batch_size=64, n_critic=3, lr=1e-3, eval_samples=64, seed=3,
                      optimizer="adam" if loss != "wgan" else "rmsprop", clip_value=0.05)
    fast, slow = Trainer(cfg), Trainer(cfg.replace(engine="autograd"))
    assert (fast.engine.name, slow.engine.name) == ("toy-kernel", "autograd")
    assert fast.engine._kg is not None  # the generator's step is hand-written too
    for _ in range(4):
        fast.step()
        slow.step()
    for a, b in ((fast.critic, slow.critic), (fast.generator, slow.generator)):
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)
    if loss == "wgan":  # Algorithm 1's invariant holds on the fast path too
        assert max(p.abs().max().item() for p in fast.critic.parameters()) <= 0.05 + 1e-7
    mf, ms = fast.metrics(), slow.metrics()
    assert mf["critic_loss"] == pytest.approx(ms["critic_loss"], rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("depth, n_critic", [(2, 1), (3, 5)])
def test_trainer_forms_exactly_the_products_algorithm_1_needs(depth, n_critic):
    """The hand-written path does no matrix product beyond the ones listed in bench/matmul_floor.py
    (the floor that bench/toy_throughput.py compares the trainer with), and misses none."""
    from collections import Counter

    from torch.profiler import ProfilerActivity, profile

    from bench.matmul_floor import algorithm1_products

    cfg = TrainConfig(loss="wgan", width=16, depth=depth, batch_size=8, n_critic=n_critic, seed=0)
    tr = Trainer(cfg)
    tr.step()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        tr.step()
    formed = Counter()
    for event in prof.events():
        shapes = event.input_shapes
        if event.name == "aten::mm":
            formed[("mm", shapes[0][0], shapes[0][1], shapes[1][1])] += 1
        elif event.name == "aten::addmm":
            formed[("addmm", shapes[1][0], shapes[1][1], shapes[2][1])] += 1
    expected = Counter(algorithm1_products(16, depth, 8, n_critic, z_dim=tr.z_dim))
    assert formed == expected
