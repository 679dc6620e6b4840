r"""Measurements of a training run, in plain numpy (and torch where gradients are needed).

* :func:`mode_coverage` — how many mixture components the generator covers, and the share of
  high-quality samples (within $3\sigma$ of some mean); ``ModeCoverage.mass`` is the share of samples
  on each mode.
* :func:`coverage_summary` — a run's coverage the way the mode-collapse literature reports it:
  modes at the end, mean modes over the second half, modes ever visited.
* :func:`input_grad_norms` — $\|\nabla_x f(x)\|_2$ per point: a Lipschitz meter for the critic.
* :func:`critic_field` — the critic evaluated on a grid, for drawing.
* :func:`weight_histogram` — the distribution of critic weights (clipping piles them at $\pm c$).
* :func:`median_filter`, :func:`spearman` — smoothing and rank correlation of metric curves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["ModeCoverage", "mode_coverage", "MODE_MIN_FRACTION", "MODE_MIN_COUNT", "covered_modes",
           "coverage_summary", "COVERAGE_KEYS", "input_grad_norms",
           "critic_field", "weight_histogram", "median_filter", "spearman", "flat_params"]

#: A mode counts as covered when at least this fraction of the samples lie within 3σ of its mean …
MODE_MIN_FRACTION = 0.01
#: … and at least this many samples.
MODE_MIN_COUNT = 2


@dataclass(frozen=True)
class ModeCoverage:
    r"""Result of :func:`mode_coverage`.

    Attributes
    ----------
    modes : int
        Components with at least ``max(MODE_MIN_COUNT, MODE_MIN_FRACTION * n)`` high-quality samples.
    hq_share : float
        Fraction of samples within $3\sigma$ of the nearest mean.
    counts : ndarray, shape (K,)
        High-quality samples assigned to each component.
    n_samples : int
        Samples measured (``mass = counts / n_samples``).
    """

    modes: int
    hq_share: float
    counts: np.ndarray

    n_samples: int = 0

    @property
    def mass(self) -> np.ndarray:
        """Share of all samples that are high quality and nearest each component, shape (K,)."""
        return self.counts / max(self.n_samples, 1)


def mode_coverage(samples, centers, std: float, n_sigma: float = 3.0) -> ModeCoverage:
    r"""Count covered modes and the high-quality share of ``samples``.

    A sample is *high quality* when its distance to the nearest mean is at most $3\sigma$
    (``n_sigma`` times ``std``); it is then assigned to that mean.

    Parameters
    ----------
    samples : array-like, shape (n, d)
    centers : array-like, shape (K, d)
    std : float
        The components' standard deviation $\sigma$.
    """
    x = np.asarray(samples, dtype=np.float64)
    c = np.asarray(centers, dtype=np.float64)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1]:
        raise ValueError(f"samples (n, d) and centers (K, d) must agree; got {x.shape} and {c.shape}")
    if len(x) == 0:
        raise ValueError("samples is empty")
    dist = np.linalg.norm(x[:, None, :] - c[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(x)), nearest] <= n_sigma * std
    counts = np.bincount(nearest[good], minlength=len(c))
    threshold = max(MODE_MIN_COUNT, MODE_MIN_FRACTION * len(x))
    return ModeCoverage(int((counts >= threshold).sum()), float(good.mean()), counts, len(x))


def covered_modes(mass, n_samples: int) -> np.ndarray:
    """Which components a per-mode ``mass`` (shape (K,), shares of ``n_samples``) covers, by the rule of
    :func:`mode_coverage`: at least ``max(MODE_MIN_COUNT, MODE_MIN_FRACTION * n_samples)`` samples."""
    threshold = max(MODE_MIN_COUNT, MODE_MIN_FRACTION * n_samples)
    return np.asarray(mass, dtype=np.float64) * n_samples >= threshold - 1e-9


#: The per-method keys of :func:`coverage_summary`.
COVERAGE_KEYS = ("modes", "modes_mean_late", "modes_visited", "hq_share", "w1_exact")


def coverage_summary(logs: list[dict], n_samples: int) -> dict:
    r"""A run's mode coverage as the mode-collapse literature reports it, from its metric logs.

    ``logs`` are one run's logs in step order, each with ``modes``, ``hq_share``, ``w1_exact`` and
    ``mode_mass`` (the per-mode shares of the ``n_samples`` evaluation samples, see
    :attr:`ModeCoverage.mass`). Returns ``modes``, ``hq_share`` and ``w1_exact`` of the last log;
    ``modes_mean_late``, the mean of ``modes`` over the logs of the run's second half (steps after half
    the last step); ``modes_visited``, the components covered in at least one log. A generator that
    hops between modes covers few at a time but visits many; one that holds all of them has
    ``modes_mean_late`` = ``modes_visited`` = $K$.
    """
    rows = [e for e in logs if e.get("modes") is not None]
    if not rows:
        raise ValueError("coverage_summary needs logs with 'modes'")
    last = rows[-1]
    half = last["g_step"] / 2
    late = [float(e["modes"]) for e in rows if e["g_step"] > half] or [float(last["modes"])]
    masses = [e["mode_mass"] for e in rows if e.get("mode_mass") is not None]
    visited = int(np.any([covered_modes(m, n_samples) for m in masses], axis=0).sum()) if masses else None
    return {"modes": int(last["modes"]), "modes_mean_late": float(np.mean(late)), "modes_visited": visited,
            "hq_share": float(last["hq_share"]), "w1_exact": last.get("w1_exact")}


def input_grad_norms(critic: torch.nn.Module, points: torch.Tensor) -> torch.Tensor:
    r"""$\|\nabla_x f(x)\|_2$ at each of ``points`` (shape ``(n, ...)``); returns shape ``(n,)``.

    No graph is kept; the critic's parameter gradients are left untouched.
    """
    x = points.detach().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(critic(x).sum(), x)
    return grad.flatten(1).norm(dim=1).detach()


@torch.no_grad()
def critic_field(critic: torch.nn.Module, lo, hi, resolution: int = 64) -> dict[str, np.ndarray]:
    r"""The critic $f$ on a regular grid covering the box ``[lo, hi]``.

    Parameters
    ----------
    lo, hi : array-like, shape (d,) with d = 1 or 2
    resolution : int
        Grid points per axis.

    Returns
    -------
    dict
        2-D: ``x`` (R,), ``y`` (R,), ``z`` (R, R) with ``z[i, j] = f(x[j], y[i])``.
        1-D: ``x`` (R,), ``values`` (R,).
    """
    lo, hi = np.atleast_1d(np.asarray(lo, float)), np.atleast_1d(np.asarray(hi, float))
    param = next(critic.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    xs = np.linspace(lo[0], hi[0], resolution)
    if len(lo) == 1:
        pts = torch.as_tensor(xs[:, None], dtype=torch.float32, device=device)
        return {"x": xs, "values": critic(pts).reshape(-1).double().cpu().numpy()}
    if len(lo) != 2:
        raise ValueError(f"critic_field draws 1-D or 2-D data; got dimension {len(lo)}")
    ys = np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    pts = torch.as_tensor(np.stack((gx.ravel(), gy.ravel()), axis=1), dtype=torch.float32, device=device)
    z = critic(pts).reshape(resolution, resolution).double().cpu().numpy()
    return {"x": xs, "y": ys, "z": z}


def flat_params(module: torch.nn.Module) -> torch.Tensor:
    """All parameters of ``module`` as one detached 1-D tensor."""
    return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


def weight_histogram(module: torch.nn.Module, bins: int = 41, clip_value: float | None = None) -> dict:
    """Histogram of all weights of ``module``: ``counts`` (bins,), ``edges`` (bins+1,), ``clip_value``.

    With ``clip_value`` the range is $[-1.05c, 1.05c]$ so that the piles at $\\pm c$ show.
    """
    w = flat_params(module).double().cpu().numpy()
    if clip_value is not None:
        rng = (-1.05 * clip_value, 1.05 * clip_value)
    else:
        m = float(np.abs(w).max()) if w.size else 1.0
        rng = (-m, m) if m > 0 else (-1.0, 1.0)
    counts, edges = np.histogram(w, bins=bins, range=rng)
    return {"counts": counts, "edges": edges, "clip_value": np.nan if clip_value is None else float(clip_value)}


def median_filter(values, window: int = 5) -> np.ndarray:
    """Running median with an odd ``window`` (edges use the available neighbours); shape kept."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be a positive odd integer; got {window}")
    half = window // 2
    return np.array([np.median(v[max(0, i - half): i + half + 1]) for i in range(len(v))])


def spearman(a, b) -> float:
    """Spearman rank correlation of two equal-length sequences (NaN if either is constant)."""
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    if a.shape != b.shape or len(a) < 2:
        raise ValueError(f"a and b must be equal-length sequences of 2+ values; got {a.shape}, {b.shape}")
    from scipy.stats import spearmanr  # imported here: scipy.stats costs ~1 s at start-up, and only this needs it

    return float(spearmanr(a, b).statistic)


# ----------------------------------------------------------------------------------------------
# Readings of a Trainer (called by Trainer.metrics / .snapshot / .generator_grad_norm); the losses
# come through Trainer.drain_losses, never from its private state
# ----------------------------------------------------------------------------------------------

def update_cosine(params, before, grads) -> torch.Tensor:
    r"""Cosine between the optimiser's actual update $\Delta w$ and $-\nabla_w$ (a device scalar)."""
    delta = torch.cat([(p.detach() - b).reshape(-1) for p, b in zip(params, before, strict=True)])
    neg_grad = -torch.cat([g.reshape(-1) for g in grads])
    return torch.nn.functional.cosine_similarity(delta, neg_grad, dim=0, eps=1e-30)


def _heldout_real(trainer, n: int) -> torch.Tensor:
    data = trainer.data
    if hasattr(data, "heldout"):
        real = torch.as_tensor(np.asarray(data.heldout()), dtype=torch.float32, device=trainer.device)
        return real[:n]
    return data.sample(n)


def _interpolates(trainer, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    from .losses import interpolates

    n = min(len(real), len(fake))
    return interpolates(real[:n], fake[:n].to(real.dtype), generator=trainer.aux_rng)


def generator_grad_norm(trainer) -> float:
    r"""$\|\nabla_\theta L_G\|_2$ over the generator's parameters, for a fresh noise batch."""
    from .losses import generator_loss

    params = [p for p in trainer.generator.parameters() if p.requires_grad]
    if not params:
        return 0.0
    z = torch.randn(trainer.config.batch_size, trainer.z_dim, generator=trainer.aux_rng, device=trainer.device)
    with torch.enable_grad():
        loss = generator_loss(trainer.config.loss, trainer.critic(trainer.generator(z)).reshape(-1))
        grads = torch.autograd.grad(loss, params, allow_unused=True)
    return float(torch.sqrt(sum((g.detach() ** 2).sum() for g in grads if g is not None)))


def check_divergence(trainer, losses: dict) -> None:
    """Raise :class:`~wgan_core.divergence.DivergedError` when a loss of ``losses`` (the interval
    means of :meth:`Trainer.drain_losses`) or any critic or generator weight is NaN or infinite."""
    from .divergence import check_finite

    check_finite(trainer.g_step, {"critic loss": losses.get("critic_loss"),
                                  "gradient penalty": losses.get("gradient_penalty"),
                                  "generator loss": losses.get("generator_loss")})
    nets = {f"{name} weights": list(net.parameters())
            for name, net in (("critic", trainer.critic), ("generator", trainer.generator))}
    with torch.no_grad():  # the largest |w| of each network is NaN or inf iff one of its weights is
        largest = [torch.stack([p.detach().abs().amax().float() for p in ps]).amax() for ps in nets.values() if ps]
        values = torch.stack(largest).tolist() if largest else []
    check_finite(trainer.g_step, dict(zip([k for k, ps in nets.items() if ps], values, strict=True)))


def collect_metrics(trainer, losses: dict | None = None) -> dict:
    r"""One metric log of ``trainer``.

    ``losses`` are the interval means of :meth:`Trainer.drain_losses` (drained here when not given).
    Keys: ``g_step``, ``critic_steps``, ``seconds`` (training time), ``g_steps_per_s`` (since the
    previous log), the live hyperparameters, ``critic_loss`` (mean over the interval, without the
    penalty), ``critic_estimate`` $= -$``critic_loss`` (WGAN: the $W_1$ estimate
    $\mathbb{E} f(x) - \mathbb{E} f(g(z))$; GAN: the objective $L$), ``critic_estimate_eval`` (the
    same on the held-out set and the fixed noise), ``js_estimate`` $= \tfrac12 L + \log 2$ (GAN),
    ``gradient_penalty`` (WGAN-GP), ``generator_loss``, ``update_cosine`` with
    ``update_cosine_negative`` (share of negative cosines) and ``update_cosine_min`` (when tracked), the data's
    quality metrics (toys: ``w1_exact``, ``modes``, ``hq_share``), ``grad_norm_mean`` /
    ``grad_norm_max`` ($\|\nabla_x f\|$ at interpolates: the Lipschitz meter),
    ``generator_grad_norm`` and ``weight_max_abs`` (largest $|w|$ of the critic).
    """
    from .losses import gan_discriminator_loss, js_lower_bound, wgan_critic_loss

    losses = trainer.drain_losses() if losses is None else losses
    loss = trainer.config.loss
    out: dict = {"g_step": trainer.g_step, "critic_steps": trainer.critic_steps, "seconds": trainer.seconds}
    if "g_steps_per_s" in losses:
        out["g_steps_per_s"] = losses["g_steps_per_s"]
    out.update(trainer.hparams())
    if "critic_loss" in losses:
        out["critic_loss"] = losses["critic_loss"]
        out["critic_estimate"] = -out["critic_loss"]
        if loss == "wgan-gp" and "gradient_penalty" in losses:
            out["gradient_penalty"] = losses["gradient_penalty"]
        if loss in ("gan", "gan-minimax"):
            out["js_estimate"] = js_lower_bound(out["critic_estimate"])
    for key in ("generator_loss", "update_cosine", "update_cosine_negative", "update_cosine_min"):
        if key in losses:
            out[key] = losses[key]
    fake = trainer.fixed_fakes()
    real = _heldout_real(trainer, len(fake))
    with torch.no_grad():
        f_real = trainer.critic(real).reshape(-1)
        f_fake = trainer.critic(fake[: len(real)]).reshape(-1)
        if loss in ("wgan", "wgan-gp"):
            out["critic_estimate_eval"] = float(-wgan_critic_loss(f_real, f_fake))
        else:
            out["critic_estimate_eval"] = float(-gan_discriminator_loss(f_real, f_fake))
    out.update(trainer.data.evaluate(fake))
    norms = input_grad_norms(trainer.critic, _interpolates(trainer, real, fake))
    out["grad_norm_mean"], out["grad_norm_max"] = float(norms.mean()), float(norms.max())
    out["generator_grad_norm"] = generator_grad_norm(trainer)
    out["weight_max_abs"] = float(max(p.detach().abs().max() for p in trainer.critic.parameters()))
    return out


def _histogram_range(values: np.ndarray) -> tuple[float, float] | None:
    """numpy's range, widened when every value is (nearly) the same large number: numpy's own ±0.5
    is below float resolution at 1e15 (a critic far off its constraint) and it refuses to bin."""
    if not values.size or not np.isfinite(values).all():
        return None
    lo, hi = float(values.min()), float(values.max())
    pad = max(0.5, 1e-6 * max(abs(lo), abs(hi)))
    return (lo - pad, hi + pad) if hi - lo < pad else None


def snapshot(trainer, n: int = 512, resolution: int = 64, arrows: int = 64, bins: int = 30) -> dict:
    r"""A picture of the run as plain numpy.

    Keys: ``g_step``; ``samples`` (n, *shape) from the fixed noise; ``real`` (n, *shape) held out;
    for 1-D/2-D data ``field`` (see :func:`critic_field`) over a box holding both, and ``arrows``
    ``{'x': (k, d), 'u': (k, d)}`` with $u = -\nabla_x \ell_G(x)$ at $k$ samples ($\ell_G$ the
    per-example generator loss: where the critic pushes each sample); ``weights`` (see
    :func:`weight_histogram`, with ``clip_value`` for wgan); ``grad_norms`` ``{'values', 'counts',
    'edges'}`` of $\|\nabla_x f\|$ at interpolates.
    """
    from .losses import generator_loss

    fake = trainer.fixed_fakes(n)
    real = _heldout_real(trainer, len(fake))
    out: dict = {"g_step": trainer.g_step, "samples": fake.float().cpu().numpy(), "real": real.float().cpu().numpy()}
    trainer.critic.eval()
    try:
        if trainer.data.kind == "toy" and len(trainer.data.shape) == 1 and trainer.data.shape[0] <= 2:
            both = np.concatenate((out["samples"], out["real"]))
            lo, hi = both.min(axis=0), both.max(axis=0)
            pad = 0.15 * np.maximum(hi - lo, 0.5)
            out["field"] = critic_field(trainer.critic, lo - pad, hi + pad, resolution)
            x = fake[:arrows].detach().clone().requires_grad_(True)
            with torch.enable_grad():
                per_example = generator_loss(trainer.config.loss, trainer.critic(x).reshape(-1)) * len(x)
                (grad,) = torch.autograd.grad(per_example, x)
            out["arrows"] = {"x": x.detach().float().cpu().numpy(), "u": (-grad).float().cpu().numpy()}
        clip = trainer.hparams()["clip_value"] if trainer.config.loss == "wgan" else None
        out["weights"] = weight_histogram(trainer.critic, clip_value=clip)
        norms = input_grad_norms(trainer.critic, _interpolates(trainer, real, fake)).double().cpu().numpy()
    finally:
        trainer.critic.train()
    counts, edges = np.histogram(norms, bins=bins, range=_histogram_range(norms))
    out["grad_norms"] = {"values": norms, "counts": counts, "edges": edges}
    return out
