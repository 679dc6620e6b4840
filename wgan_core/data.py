r"""Toy data sources, sampled vectorised on the training device.

Every source follows the ``DataSource`` protocol of docs/ARCHITECTURE.md:

* ``shape`` — one sample's shape, ``(d,)`` for toys;
* ``kind`` — ``'toy'`` or ``'image'``;
* ``sample(n)`` — a float32 tensor of shape ``(n, *shape)`` on the source's device, drawn with the
  source's own ``torch.Generator`` (so a seed fixes the data stream), without Python loops;
* ``evaluate(fake)`` — quality metrics of generated samples against a fixed held-out real set.

Toys
----
``8gaussians``
    $\tfrac18 \sum_k \mathcal{N}(\mu_k, \sigma^2 I)$ with the $\mu_k$ evenly spaced on a circle of
    radius 2 and $\sigma = 0.05$ (the ring of the WGAN paper's Fig 2). VEEGAN/PacGAN use
    $\sigma = 0.02$; we widen the bumps so that the few hundred generator iterations a CPU
    classroom can afford already resolve them (high quality = within $3\sigma = 0.15$).
``8gaussians-narrow``
    The same ring with the literature's $\sigma = 0.02$ (Metz et al.'s Unrolled GANs, VEEGAN, PacGAN).
``25gaussians``
    A $5 \times 5$ grid of means $\{-4, -2, 0, 2, 4\}^2$, $\sigma = 0.05$.
``swissroll``
    $t = \tfrac{3\pi}{2}(1 + 2u)$, $u \sim U[0,1]$; $x = (t\cos t, t\sin t)/7.5 + \mathcal{N}(0, (0.25/7.5)^2 I)$.
``gaussians-1d``
    The real side of the optimal-critic experiment (paper Fig 3): $\mathcal{N}(0, 0.5^2)$ in one
    dimension; the other Gaussian is an :class:`wgan_core.models.AffineGenerator`.
``parallel-lines``
    The paper's Example 1: $(0, Z)$ with $Z \sim U[0, 1]$; a generator $(\theta, Z)$ is at
    $W_1 = |\theta|$.

Metrics: ``w1_exact`` (exact $W_1$ by :func:`wgan_core.distances.wasserstein1`) for every toy;
``modes`` and ``hq_share`` (see :mod:`wgan_core.metrics`) for the Gaussian mixtures.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import torch

from .config import IMAGE_DATASETS, TOY_DATASETS, TrainConfig
from .metrics import mode_coverage

__all__ = ["DataSource", "ToySource", "GaussianMixture", "SwissRoll", "ParallelLines", "make_toy",
           "build_data", "toy_dim"]

#: Seed offset of the held-out evaluation set, so it never equals a training batch.
HELDOUT_SEED_OFFSET = 1_000_003


class DataSource(Protocol):
    shape: tuple[int, ...]
    kind: str

    def sample(self, n: int) -> torch.Tensor: ...

    def evaluate(self, fake: torch.Tensor) -> dict[str, float]: ...


class ToySource:
    """Base of the toy sources: a seeded device-side generator and the held-out real set.

    Parameters
    ----------
    name : str
    dim : int
        Dimension $d$ of a sample.
    device : torch.device or str
    seed : int
    eval_samples : int
        Size of the held-out real set used by :meth:`evaluate`.
    """

    kind = "toy"

    def __init__(self, name: str, dim: int, device="cpu", seed: int = 0, eval_samples: int = 512):
        self.name = name
        self.shape = (dim,)
        self.device = torch.device(device)
        self.seed = seed
        self.eval_samples = eval_samples
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self._heldout: np.ndarray | None = None

    # -- sampling ---------------------------------------------------------------------------------
    def _draw(self, n: int, gen: torch.Generator) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample(self, n: int) -> torch.Tensor:
        """Draw ``n`` real samples, shape ``(n, d)``, float32 on :attr:`device`."""
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer; got {n!r}")
        return self._draw(n, self.generator)

    def heldout(self) -> np.ndarray:
        """The fixed held-out real set, shape ``(eval_samples, d)``, float64 numpy."""
        if self._heldout is None:
            gen = torch.Generator(device=self.device)
            gen.manual_seed(self.seed + HELDOUT_SEED_OFFSET)
            self._heldout = self._draw(self.eval_samples, gen).double().cpu().numpy()
        return self._heldout

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper corners of a box that holds the data with a margin, shape ``(d,)`` each."""
        real = self.heldout()
        lo, hi = real.min(axis=0), real.max(axis=0)
        pad = 0.25 * np.maximum(hi - lo, 1.0)
        return lo - pad, hi + pad

    # -- evaluation -------------------------------------------------------------------------------
    def evaluate(self, fake) -> dict[str, float]:
        """Exact $W_1$ between ``fake`` (shape ``(n, d)``) and the held-out real set."""
        from .distances import wasserstein1

        pts = _as_numpy(fake, self.shape[0])
        return {"w1_exact": float(wasserstein1(self.heldout(), pts))}

    def state_dict(self) -> dict:
        return {"rng": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["rng"].cpu())


def _as_numpy(fake, dim: int) -> np.ndarray:
    arr = fake.detach().double().cpu().numpy() if isinstance(fake, torch.Tensor) else np.asarray(fake, float)
    if arr.ndim == 1 and dim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"fake must have shape (n, {dim}); got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("fake contains NaN or infinite values")
    return arr


class GaussianMixture(ToySource):
    r"""Equal-weight mixture $\tfrac1K\sum_k \mathcal{N}(\mu_k, \sigma^2 I)$.

    Parameters
    ----------
    centers : array-like, shape (K, d)
    std : float
        $\sigma$, shared by all components.
    """

    def __init__(self, name: str, centers, std: float, device="cpu", seed: int = 0, eval_samples: int = 512):
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2 or len(centers) == 0:
            raise ValueError(f"centers must have shape (K, d); got {centers.shape}")
        if not std > 0:
            raise ValueError(f"std must be positive; got {std}")
        super().__init__(name, centers.shape[1], device, seed, eval_samples)
        self.centers = centers
        self.std = float(std)
        self._centers_t = torch.as_tensor(centers, dtype=torch.float32, device=self.device)

    def _draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        k = torch.randint(len(self.centers), (n,), generator=gen, device=self.device)
        noise = torch.randn(n, self.shape[0], generator=gen, device=self.device)
        return self._centers_t[k] + self.std * noise

    def evaluate(self, fake) -> dict[str, float]:
        r"""``w1_exact``, ``modes`` (covered components), ``hq_share`` (within $3\sigma$ of a mean) and
        ``mode_mass`` (a list: the share of ``fake`` within $3\sigma$ of each mean, in the order of ``centers``)."""
        out = super().evaluate(fake)
        cover = mode_coverage(_as_numpy(fake, self.shape[0]), self.centers, self.std)
        out.update(modes=float(cover.modes), hq_share=cover.hq_share, mode_mass=[float(v) for v in cover.mass])
        return out


class SwissRoll(ToySource):
    r"""The swiss roll of scikit-learn's ``make_swiss_roll`` (x and z axes), scaled by $1/7.5$."""

    noise = 0.25

    def _draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        u = torch.rand(n, generator=gen, device=self.device)
        t = 1.5 * math.pi * (1.0 + 2.0 * u)
        pts = torch.stack((t * torch.cos(t), t * torch.sin(t)), dim=1)
        pts = pts + self.noise * torch.randn(n, 2, generator=gen, device=self.device)
        return pts / 7.5


class ParallelLines(ToySource):
    r"""Example 1 of the paper: $\mathbb{P}_0$ = law of $(0, Z)$, $Z \sim U[0, 1]$."""

    def _draw(self, n: int, gen: torch.Generator) -> torch.Tensor:
        z = torch.rand(n, generator=gen, device=self.device)
        return torch.stack((torch.zeros_like(z), z), dim=1)


def _ring(k: int = 8, radius: float = 2.0) -> np.ndarray:
    angles = 2 * np.pi * np.arange(k) / k
    return radius * np.stack((np.cos(angles), np.sin(angles)), axis=1)


def _grid(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    return np.array([(a, b) for a in ticks for b in ticks])


def toy_dim(name: str) -> int:
    """Dimension of a toy dataset's samples."""
    if name not in TOY_DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(TOY_DATASETS)}; got {name!r}")
    return 1 if name == "gaussians-1d" else 2


def make_toy(name: str, device="cpu", seed: int = 0, eval_samples: int = 512) -> ToySource:
    """Build the toy source ``name`` (see the module docstring for the definitions)."""
    common = dict(device=device, seed=seed, eval_samples=eval_samples)
    if name == "8gaussians":
        return GaussianMixture(name, _ring(), 0.05, **common)
    if name == "8gaussians-narrow":
        return GaussianMixture(name, _ring(), 0.02, **common)
    if name == "25gaussians":
        return GaussianMixture(name, _grid(), 0.05, **common)
    if name == "gaussians-1d":
        return GaussianMixture(name, [[0.0]], 0.5, **common)
    if name == "swissroll":
        return SwissRoll(name, 2, **common)
    if name == "parallel-lines":
        return ParallelLines(name, 2, **common)
    raise ValueError(f"dataset must be one of {', '.join(TOY_DATASETS)}; got {name!r}")


def build_data(config: TrainConfig, device) -> DataSource:
    """The data source of ``config`` on ``device`` (image sources come from ``wgan_core.images``)."""
    if config.dataset in IMAGE_DATASETS:
        from .images.data import build_image_data  # lazy: images are optional

        return build_image_data(config, device)
    return make_toy(config.dataset, device=device, seed=config.seed, eval_samples=config.eval_samples)
