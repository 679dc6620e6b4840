"""Flat parameter buffers (the toy trainer's fast path) change no arithmetic."""

import torch

from wgan_core.config import TrainConfig
from wgan_core.engines.toy import LeanRMSprop, flat_view, flatten_parameters
from wgan_core.models import MLPCritic
from wgan_core.trainer import Trainer


def _train_side_by_side(pairs, k: int) -> None:
    """``k`` steps of every (network, optimiser) pair on the same random batches."""
    for _ in range(k):
        x = torch.randn(32, 2)
        for net, opt in pairs:
            opt.zero_grad()
            net(x).pow(2).mean().backward()
            opt.step()


def test_flat_lean_rmsprop_equals_torch_rmsprop_and_survives_resume():
    torch.manual_seed(0)
    a, b = MLPCritic(2, 16, 2), MLPCritic(2, 16, 2)
    b.load_state_dict(a.state_dict())
    flat = flatten_parameters(b)
    assert flat is not None and flat_view(list(b.parameters())) is not None
    opt_a, opt_b = torch.optim.RMSprop(a.parameters(), lr=1e-2), LeanRMSprop(b.parameters(), lr=1e-2)

    def train(k):
        _train_side_by_side(((a, opt_a), (b, opt_b)), k)

    train(3)
    opt_b.load_state_dict(opt_b.state_dict())  # resume: state goes back into one flat buffer
    avgs = [opt_b.state[p]["square_avg"] for p in b.parameters()]
    assert flat_view(avgs) is not None
    train(3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert flat_view(list(b.parameters())) is not None


def test_toy_trainer_clips_flat_critic_and_matches_unflattened_maths():
    cfg = TrainConfig(loss="wgan", width=16, depth=2, batch_size=32, clip_value=0.01, lr=1e-2, eval_samples=32)
    tr = Trainer(cfg)
    assert flat_view(tr._critic_params) is not None
    for _ in range(3):
        tr.step()
    assert max(p.abs().max().item() for p in tr.critic.parameters()) <= 0.01


def test_flat_lean_adam_equals_torch_fused_adam_and_survives_resume():
    from wgan_core.engines.toy import LeanAdam

    torch.manual_seed(0)
    a, b = MLPCritic(2, 16, 2), MLPCritic(2, 16, 2)
    b.load_state_dict(a.state_dict())
    flatten_parameters(b)
    opt_a = torch.optim.Adam(a.parameters(), lr=1e-2, betas=(0.5, 0.9), fused=True)
    opt_b = LeanAdam(b.parameters(), lr=1e-2, betas=(0.5, 0.9))

    def train(k):
        _train_side_by_side(((a, opt_a), (b, opt_b)), k)

    train(3)
    opt_b.load_state_dict(opt_b.state_dict())  # resume: moments go back into flat buffers
    assert flat_view([opt_b.state[p]["exp_avg"] for p in b.parameters()]) is not None
    opt_c = LeanAdam(b.parameters(), lr=1e-2, betas=(0.5, 0.9))
    opt_c.load_state_dict(opt_a.state_dict())  # a torch Adam checkpoint loads into LeanAdam
    train(3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    assert float(opt_b.state[next(b.parameters())]["step"]) == 6


def test_lean_optimisers_step_with_a_closure_equals_update_after_backward():
    """``step(closure)`` evaluates the closure with autograd on (as torch's optimisers do) and returns
    its loss; ``update()`` — what the trainer calls — gives the same parameters."""
    from wgan_core.engines.toy import LeanAdam

    x = torch.randn(32, 2, generator=torch.Generator().manual_seed(0))
    for cls in (LeanRMSprop, LeanAdam):
        a, b = MLPCritic(2, 16, 2), MLPCritic(2, 16, 2)
        b.load_state_dict(a.state_dict())
        flatten_parameters(a)
        flatten_parameters(b)
        opt_a, opt_b = cls(a.parameters(), lr=1e-2), cls(b.parameters(), lr=1e-2)
        for _ in range(3):
            def closure(opt_a=opt_a, a=a):
                opt_a.zero_grad()
                loss = a(x).pow(2).mean()
                loss.backward()
                return loss
            with torch.no_grad():  # the closure still gets autograd
                loss = opt_a.step(closure)
            assert loss is not None and loss.item() > 0
            opt_b.zero_grad()
            b(x).pow(2).mean().backward()
            opt_b.update()
        for p, q in zip(a.parameters(), b.parameters(), strict=True):
            assert torch.equal(p, q)
