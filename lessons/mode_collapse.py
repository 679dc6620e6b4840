r"""Mixture of Gaussians and mode collapse (WGAN paper, Fig 2 and §4.1).

**Motivation.** A GAN's generator is trained against the *current* discriminator. For a fixed
discriminator $D$ the best generator puts all its mass on the points where $D$ is highest — a sum of
deltas — so the generator jumps from mode to mode while the discriminator chases it: *mode collapse*.
A WGAN critic can be trained (close) to optimality, and its gradient then points every generated
sample along a transport path towards the data: no mode is left behind.

**The experiment.** Three trainers — GAN, WGAN (weight clipping) and WGAN-GP (gradient penalty) — learn
the same toy distribution from the same seed, side by side, live. For every method we draw what the
paper draws (a KDE of generated samples in green, the samples in blue), the critic (or discriminator)
as a contour map with the generator's gradient as arrows, and three numbers that update as the run
goes: modes covered, the share of high-quality samples (within $3\sigma$ of a mean) and the exact
$W_1$ to held-out real data (POT's network simplex, Euclidean cost). Each method trains with its
standard toy settings (`wgan_core.config.METHOD_PRESETS`: `toy-gan`, with the discriminator and the
generator at the same learning rate and one step each; `toy-wgan`; `toy-wgan-gp`), the same presets as
`python -m lessons figure 2`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lessons import Choice, Exercise, Slider
from wgan_core.config import METHOD_PRESETS

#: The lesson's opening text (motivation and experiment), shown at the top of the page.
INTRO = __doc__.split("\n", 2)[2]

TITLE = "Mixture of Gaussians and mode collapse"
SUMMARY = ("GAN, WGAN and WGAN-GP learn 8 Gaussians side by side, live: watch which method covers all the "
           "modes, and when.")
#: The paper's figures that `python -m lessons figure N` reproduces from this lesson's computation.
PAPER_FIGURES = ("2",)

#: The three methods of the comparison and the trainer preset each one starts from.
METHODS = ("gan", "wgan", "wgan-gp")
METHOD_LABELS = {"gan": "GAN", "wgan": "WGAN (clipping)", "wgan-gp": "WGAN-GP"}
PRESET_OF = METHOD_PRESETS  # the one map, shared with `compare` and figure 2
DATASETS = ("8gaussians", "25gaussians", "swissroll")
#: Which methods each live slider acts on (the GAN has no clip, no penalty and keeps n_critic = 1).
LIVE_TARGETS = {"clip_value": ("wgan",), "n_critic": ("wgan", "wgan-gp"), "lambda_gp": ("wgan-gp",)}
#: Size of the live run: generator steps per method, networks, metric cadence.
MAX_STEPS = 5000
#: Live runs train on the server's device (``WGAN_DEVICE``, see :func:`wgan_core.device.server_device`).
NETWORK = dict(width=64, depth=3, eval_samples=512, metrics_every=25)
#: 8 Gaussians: the ring radius (wgan_core.data) and the half-width of the band counted as "on the circle".
RING_RADIUS = 2.0
RING_BAND = 0.25

CONTROLS = (
    Choice("dataset", "Data", DATASETS, "8gaussians",
           labels={"8gaussians": "8 Gaussians (ring)", "25gaussians": "25 Gaussians (grid)",
                   "swissroll": "Swiss roll"}),
    Slider("seed", "Seed (all three methods)", 0, 9, 0, integer=True),
)
LIVE_CONTROLS = (
    Slider("clip_value", "WGAN clip c", 0.001, 0.1, 0.05, log=True, steps=31,
           help="Critic weights are clamped to [−c, c] after every critic step."),
    Slider("n_critic", "n_critic (WGAN, WGAN-GP)", 1, 20, 5, integer=True,
           help="Critic steps per generator step."),
    Slider("lambda_gp", "WGAN-GP λ", 0.01, 10.0, 0.1, log=True, steps=31,
           help="Weight of the gradient penalty at interpolates."),
)

OBJECTIVES = r"""
**The three objectives** (critic or discriminator first, then the generator):

* **GAN** — $D$ maximises $\mathbb{E}_{x}[\log D(x)] + \mathbb{E}_{z}[\log(1 - D(g_\theta(z)))]$;
  the generator minimises $-\mathbb{E}_z[\log D(g_\theta(z))]$ (the $-\log D$ trick).
* **WGAN** — $f_w$ maximises $\mathbb{E}_{x}[f_w(x)] - \mathbb{E}_{z}[f_w(g_\theta(z))]$, then
  $w \leftarrow \mathrm{clip}(w, -c, c)$ after every critic step; the generator minimises
  $-\mathbb{E}_z[f_w(g_\theta(z))]$.
* **WGAN-GP** — $f_w$ maximises $\mathbb{E}_{x}[f_w(x)] - \mathbb{E}_{z}[f_w(g_\theta(z))]$ minus the penalty
  $\lambda\,\mathbb{E}_{\hat x}[(\lVert\nabla_{\hat x} f_w(\hat x)\rVert_2 - 1)^2]$; the generator minimises
  $-\mathbb{E}_z[f_w(g_\theta(z))]$.

$\hat x = \epsilon x + (1-\epsilon)\,g_\theta(z)$ with $\epsilon \sim U[0, 1]$ drawn per example. The
arrows in each panel are $-\nabla_x$ of the generator's loss at generated points: where the generator
is pushed next.
"""

CIRCLE_THEN_BUMPS = r"""
**Circle first, bumps second.** The paper notes that WGAN, "much like the Wasserstein distance",
first captures the low-dimensional structure — the ring — and only then the individual bumps. On
8 Gaussians we measure both: *on the circle* is the share of samples whose radius is within
$\pm 0.25$ of the ring's radius 2, *high quality* the share within $3\sigma$ of a mean. The lesson marks
the first generator step at which each share passes one half.
"""

WHAT_TO_NOTICE = [
    "The **GAN** (standard procedure) drops modes: on the default seed its modes-covered count stays below "
    "eight for the whole run, while its discriminator's contour has a sharp cliff around the generated points. "
    "(Metz et al.'s GAN, which the paper's Fig 2 follows, rotates between modes instead.)",
    "**WGAN** spreads its samples over the whole ring before the eight bumps sharpen: the *on the circle* "
    "share passes one half well before the *high-quality* share does (paper Fig 2).",
    "**WGAN-GP**'s critic is smooth everywhere and its arrows point from every generated sample towards the "
    "data; on the default seed it is the first to cover all eight modes (the line under the run gives the step).",
    "The clipped **WGAN** learns the ring but sharpens the eight bumps slowly: on the default seed it has not "
    "covered all eight by the end of the run. That is clipping's cost — a critic that is slow to train "
    "(previous lesson) — not mode collapse: its samples stay spread around the ring instead of jumping between "
    "bumps. The paper's claim is about a critic trained to convergence: set **n_critic** to 10 before pressing "
    "Start, or the learning rate to 1e-3 instead of 5e-4, and on the default seed it covers all eight before "
    f"the run's {MAX_STEPS:,} steps end. At which step depends on the seed, and even on the processor (a "
    "seeded run follows the CPU's floating-point arithmetic): the line under the run gives it. On some seeds "
    "it takes longer than the run (`bench/wgan_mode_coverage.py`).",
    "Exact $W_1$ ranks the three methods the same way the pictures do — a number you can trust even when "
    "the generator losses are not comparable.",
]

EXERCISES = (
    Exercise("Before starting: which method will cover all 8 modes first?",
             "WGAN-GP, within a few hundred steps on the default seed. The GAN and the clipped WGAN have not "
             "covered all eight by the end of the default run — the GAN because it drops modes, the WGAN "
             "because its clipped critic learns slowly. Check the modes-covered metric, not only the picture.",
             choices=("GAN", "WGAN", "WGAN-GP"),
             correct="WGAN-GP"),
    Exercise("Set WGAN's clip c to 0.001 while it runs. What happens to its samples and why?",
             "They almost stop moving: with tiny weights the critic is nearly constant, so the generator's "
             "gradient vanishes (the too-small end of the clipping trade-off)."),
    Exercise("On the swiss roll, does the GAN's mode collapse still show as 'modes covered'?",
             "No — a swiss roll has no discrete modes, so only exact W1 and the pictures tell the methods "
             "apart: a collapsed generator covers only a stretch of the roll."),
)


def settings_note() -> str:
    """Markdown: each method's settings where they differ from its paper's (toy presets, live defaults)."""
    from wgan_core.config import PRESETS

    gan, wgan, gp = (PRESETS[PRESET_OF[m]] for m in METHODS)
    live = {c.key: c.default for c in LIVE_CONTROLS}
    return (f"**Settings.** GAN: Adam(lr {gan['lr']:g}, β₁ = {gan['betas'][0]:g}), one discriminator step per "
            f"generator step. WGAN: RMSProp lr {wgan['lr']:g} (the paper's 5e-5), c = {live['clip_value']:g} "
            f"(the paper's 0.01), batch {wgan['batch_size']} (the paper's 64). WGAN-GP: Adam(lr {gp['lr']:g}, β = "
            f"({gp['betas'][0]:g}, {gp['betas'][1]:g})) where Gulrajani et al.'s Algorithm 1 has 1e-4 and β₁ = 0, and "
            f"λ = {live['lambda_gp']:g} on the slider where their Algorithm 1 has λ = 10 (their toy code uses 0.1). "
            "Raised learning rates let a CPU show the story within minutes.")


def coverage_sentence(logs: list[dict], n_modes: int) -> str:
    """Markdown: for each method, the first logged step with all ``n_modes`` modes covered, from the run's logs."""
    parts = []
    for method in METHODS:
        rows = [e for e in logs if e.get("member") == method and "modes" in e]
        if not rows:
            continue
        first = first_step_above(logs, method, "modes", n_modes)
        parts.append(f"{METHOD_LABELS[method]}: " + (f"all {n_modes} by step {first}" if first is not None else
                     f"not all {n_modes} yet ({int(rows[-1]['modes'])} at step {rows[-1]['g_step']})"))
    return ("**Modes covered in this run** — " + "; ".join(parts) + ".") if parts else ""


def configs(dataset: str, seed: int, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """One :class:`~wgan_core.config.TrainConfig` per method: the toy presets on ``dataset`` and ``seed``."""
    from wgan_core.config import preset
    from wgan_core.device import server_device

    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}; got {dataset!r}")
    extra = dict(overrides or {})
    out = {}
    for method in METHODS:
        mine = {k: v for k, v in extra.items() if method in LIVE_TARGETS.get(k, METHODS)}
        out[method] = preset(PRESET_OF[method], dataset=dataset, seed=int(seed), device=server_device(), **NETWORK,
                             **mine)
    return out


def build_members(dataset: str, seed: int, live: dict[str, Any] | None = None) -> dict[str, Any]:
    """The three trainers of the comparison (``wgan_core.trainer.Trainer``), same data seed and noise seed."""
    from wgan_core.trainer import Trainer

    return {method: Trainer(cfg) for method, cfg in configs(dataset, seed, live).items()}


def hparam_changes(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Route live slider values to the methods they act on: ``{method: {name: value}}``."""
    out: dict[str, dict[str, Any]] = {m: {} for m in METHODS}
    for name, methods in LIVE_TARGETS.items():
        if name in values:
            for m in methods:
                out[m][name] = values[name]
    return {m: c for m, c in out.items() if c}


def knob_caption(method: str, hparams: dict[str, Any]) -> str:
    """The live hyper-parameters that matter for ``method``, as one line of text."""
    if method == "gan":
        return f"n_critic = {hparams['n_critic']} (GAN: one discriminator step per generator step)"
    first = f"clip c = {hparams['clip_value']:.3g}" if method == "wgan" else f"λ = {hparams['lambda_gp']:.3g}"
    return f"{first} · n_critic = {hparams['n_critic']}"


def ring_shares(samples: np.ndarray, radius: float = RING_RADIUS, band: float = RING_BAND) -> float:
    r"""Share of ``samples`` (shape ``(n, 2)``) with $\lvert \lVert x\rVert_2 - r\rvert \le$ ``band``."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
        raise ValueError(f"samples must have shape (n, 2) with n > 0; got {x.shape}")
    return float((np.abs(np.linalg.norm(x, axis=1) - radius) <= band).mean())


def kde_grid(samples: np.ndarray, x: np.ndarray, y: np.ndarray, bandwidth: float | None = None) -> np.ndarray:
    r"""Gaussian kernel density estimate of ``samples`` (n, 2) on the grid ``x`` (R,) × ``y`` (S,).

    $\hat p(u) = \frac1n \sum_i \mathcal{N}(u;\, x_i,\, H)$ with $H = h^2 \Sigma$, $\Sigma$ the samples'
    covariance and $h = n^{-1/6}$ (Scott's rule in two dimensions) unless ``bandwidth`` gives $h$ —
    the estimator of :class:`scipy.stats.gaussian_kde`, computed here in one vectorised pass.
    Returns the density, shape ``(S, R)`` with ``out[i, j]`` at ``(x[j], y[i])``. A sample cloud with
    (near) zero spread — a fully collapsed generator — gets a small isotropic jitter so that its KDE is
    a sharp bump instead of an error.
    """
    pts = np.asarray(samples, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        raise ValueError(f"samples must have shape (n, 2) with n >= 3; got {pts.shape}")
    cov = np.cov(pts.T)
    if np.linalg.eigvalsh(cov).min() < 1e-10:
        pts = pts + np.random.default_rng(0).normal(scale=1e-3, size=pts.shape)
        cov = np.cov(pts.T)
    h = len(pts) ** (-1.0 / 6.0) if bandwidth is None else float(bandwidth)
    chol = np.linalg.cholesky(cov * h * h)
    gx, gy = np.meshgrid(np.asarray(x, float), np.asarray(y, float))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    # whiten: ||L^{-1}(u - x_i)||^2 is the Mahalanobis distance under H
    inv = np.linalg.inv(chol)
    gw, pw = grid @ inv.T, pts @ inv.T
    d2 = (gw * gw).sum(1)[:, None] + (pw * pw).sum(1)[None, :] - 2.0 * gw @ pw.T
    norm = 2.0 * np.pi * np.prod(np.diag(chol))
    return (np.exp(-0.5 * np.maximum(d2, 0.0)).mean(axis=1) / norm).reshape(gx.shape)


def first_step_above(logs: list[dict], member: str, key: str, level: float = 0.5) -> int | None:
    """First ``g_step`` at which ``logs`` of ``member`` report ``key`` ≥ ``level`` (None if never)."""
    for entry in logs:
        if entry.get("member") == member and key in entry and entry[key] >= level:
            return int(entry["g_step"])
    return None


def circle_then_bumps(logs: list[dict], member: str = "wgan") -> dict[str, int | None]:
    """Steps at which ``member`` first had half its samples on the ring, and half of high quality."""
    return {"circle": first_step_above(logs, member, "ring_share"),
            "bumps": first_step_above(logs, member, "hq_share")}


class RingShare:
    """Extra per-log metric of a live job: ``ring_share`` of ``n`` fresh samples of each member.

    A small class rather than a closure so that it pickles: a process-mode job
    (:class:`wgan_core.live.Job`) calls it in its worker process.
    """

    def __init__(self, radius: float = RING_RADIUS, band: float = RING_BAND, n: int = 512):
        self.radius, self.band, self.n = float(radius), float(band), int(n)

    def __call__(self, name: str, member: Any) -> dict[str, float]:
        return {"ring_share": ring_shares(member.sample(self.n), self.radius, self.band)}

    def __repr__(self) -> str:
        return f"RingShare(radius={self.radius:g}, band={self.band:g}, n={self.n})"


def ring_metrics(dataset: str) -> RingShare | None:
    """Extra per-log metric for a live job (``ring_share`` on 8 Gaussians; None for other data sets)."""
    return RingShare() if dataset == "8gaussians" else None
