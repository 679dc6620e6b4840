"""A plain, straightforward eager loop of Algorithm 1 — the reference the trainer is timed against.

This is how the algorithm is usually written in a script: real batches sampled with numpy on the
host and copied in, one generator forward per critic step, separate critic forwards for real and
fake, a Python loop over parameters to clamp, optimisers with their defaults, and the critic loss
read back with ``.item()`` once per generator iteration for logging. Same MLPs
(:class:`wgan_core.models.MLPGenerator` / :class:`~wgan_core.models.MLPCritic`), batch size,
``n_critic``, ``clip_value`` and learning rate as the trainer it is compared with.

Run directly for a quick look: ``python bench/plain_wgan.py``.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from wgan_core.models import MLPCritic, MLPGenerator


def ring_centers(k: int = 8, radius: float = 2.0) -> np.ndarray:
    angles = 2 * np.pi * np.arange(k) / k
    return radius * np.stack((np.cos(angles), np.sin(angles)), axis=1)


def plain_wgan(steps: int, width: int = 128, depth: int = 3, batch_size: int = 256, n_critic: int = 5,
               clip_value: float = 0.01, lr: float = 5e-5, seed: int = 0, z_dim: int = 2,
               device: str = "cpu") -> dict:
    """Run ``steps`` generator iterations of Algorithm 1 on 8 Gaussians; return timing and losses.

    On ``device="cuda"`` it is the same loop as a script would move to a GPU: the networks and noise
    on the device, real batches still drawn with numpy and copied in with ``.to(device)``.

    Returns
    -------
    dict
        ``seconds`` (wall time of the loop), ``g_steps_per_s``, ``losses`` (critic loss per G-step),
        ``generator`` and ``critic`` (the trained modules).
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    centers = ring_centers()
    netG = MLPGenerator(z_dim, 2, width, depth).to(device)
    netD = MLPCritic(2, width, depth).to(device)
    optimizerD = torch.optim.RMSprop(netD.parameters(), lr=lr)
    optimizerG = torch.optim.RMSprop(netG.parameters(), lr=lr)

    def sample_real(m: int) -> torch.Tensor:
        idx = rng.integers(len(centers), size=m)
        points = centers[idx] + 0.02 * rng.standard_normal((m, 2))
        return torch.from_numpy(points).float().to(device)

    losses = []
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        # (1) Update the critic n_critic times: maximise E f(x) - E f(g(z)), then clip.
        for p in netD.parameters():
            p.requires_grad = True
        for _ in range(n_critic):
            real = sample_real(batch_size)
            noise = torch.randn(batch_size, z_dim, device=device)
            fake = netG(noise).detach()
            errD = netD(fake).mean() - netD(real).mean()
            optimizerD.zero_grad()
            errD.backward()
            optimizerD.step()
            for p in netD.parameters():
                p.data.clamp_(-clip_value, clip_value)
        # (2) Update the generator: minimise -E f(g(z)).
        for p in netD.parameters():
            p.requires_grad = False
        noise = torch.randn(batch_size, z_dim, device=device)
        errG = -netD(netG(noise)).mean()
        optimizerG.zero_grad()
        errG.backward()
        optimizerG.step()
        losses.append(errD.item())
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "g_steps_per_s": steps / seconds, "losses": losses,
            "generator": netG, "critic": netD}


if __name__ == "__main__":
    out = plain_wgan(200)
    print(f"plain Algorithm 1: {out['g_steps_per_s']:.1f} G-steps/s, last critic loss {out['losses'][-1]:.4f}")
