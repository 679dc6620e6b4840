r"""Networks for the toy problems.

* :class:`MLPGenerator` — $g_\theta: \mathbb{R}^{z} \to \mathbb{R}^{d}$, ``depth`` hidden ReLU layers of
  ``width`` units, linear output.
* :class:`MLPCritic` — $f_w: \mathbb{R}^{d} \to \mathbb{R}$, same body, one linear output and **no
  sigmoid**: a WGAN critic outputs a score; the GAN losses read the same output as a logit
  (see :mod:`wgan_core.losses`), so $D(x) = \sigma(f(x))$.
* :class:`AffineGenerator` — the 1-D generator $x = \mu + s z$, $z \sim \mathcal N(0, 1)$, used
  as the "fake" Gaussian of the optimal-critic experiment (paper Fig 3).

:func:`build_models` makes the pair for a :class:`~wgan_core.config.TrainConfig`; image models come from
``wgan_core.images.models`` (imported lazily). :func:`resolve_device` turns ``config.device`` into a
``torch.device``. How the networks are trained (optimisers, gradient engines) is not here: see
:mod:`wgan_core.engines`.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import TrainConfig
from .device import resolve_device  # the one resolver (re-exported: trainer and CLI import it from here)

__all__ = ["MLPGenerator", "MLPCritic", "AffineGenerator", "build_models", "mlp", "resolve_device"]


def mlp(n_in: int, n_out: int, width: int, depth: int) -> nn.Sequential:
    """``depth`` hidden layers ``Linear → ReLU`` of ``width`` units, then a linear layer to ``n_out``."""
    layers: list[nn.Module] = []
    prev = n_in
    for _ in range(depth):
        layers += [nn.Linear(prev, width), nn.ReLU(inplace=True)]
        prev = width
    layers.append(nn.Linear(prev, n_out))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """Generator $g_\\theta$: input ``z`` of shape ``(n, z_dim)``, output shape ``(n, data_dim)``."""

    def __init__(self, z_dim: int, data_dim: int, width: int = 128, depth: int = 3):
        super().__init__()
        self.z_dim, self.data_dim = z_dim, data_dim
        self.net = mlp(z_dim, data_dim, width, depth)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MLPCritic(nn.Module):
    """Critic $f_w$: input shape ``(n, data_dim)``, output shape ``(n,)`` — a score (or a logit)."""

    def __init__(self, data_dim: int, width: int = 128, depth: int = 3):
        super().__init__()
        self.data_dim = data_dim
        self.net = mlp(data_dim, 1, width, depth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class AffineGenerator(nn.Module):
    r"""One-dimensional Gaussian generator $x = \mu + s\,z$ with $z \sim \mathcal{N}(0, 1)$.

    Parameters
    ----------
    mean, std : float
        Initial $\mu$ and $s$ (the model distribution is $\mathcal N(\mu, s^2)$).
    learnable : bool
        If False, $\mu$ and $s$ are frozen (``requires_grad=False``): a fixed fake distribution.

    Input ``z`` has shape ``(n, 1)`` (or ``(n,)``); output shape ``(n, 1)``.
    """

    z_dim = 1
    data_dim = 1

    def __init__(self, mean: float = 0.0, std: float = 1.0, learnable: bool = True):
        super().__init__()
        if not std > 0:
            raise ValueError(f"std must be positive; got {std}")
        self.mean = nn.Parameter(torch.tensor(float(mean)), requires_grad=learnable)
        self.std = nn.Parameter(torch.tensor(float(std)), requires_grad=learnable)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (self.mean + self.std * z).reshape(-1, 1)


def build_models(config: TrainConfig) -> tuple[nn.Module, nn.Module]:
    """``(generator, critic)`` for ``config``, initialised from ``config.seed`` (on the CPU)."""
    if not config.is_toy:
        from .images.models import build_image_models  # lazy: images are optional

        return build_image_models(config)
    from .data import toy_dim

    dim = toy_dim(config.dataset)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        generator = MLPGenerator(config.z_dim, dim, config.width, config.depth)
        critic = MLPCritic(dim, config.width, config.depth)
    return generator, critic
