r"""# Learning parallel lines (paper Example 1, Figure 1)

Let $Z \sim U[0, 1]$, let $\mathbb{P}_0$ be the law of $(0, Z) \in \mathbb{R}^2$ — a vertical segment
through the origin — and let the "generator" be $g_\theta(z) = (\theta, z)$, so $\mathbb{P}_\theta$ is
the same segment shifted sideways by $\theta$. For $\theta \ne 0$ the supports are disjoint, and

$$W(\mathbb{P}_0, \mathbb{P}_\theta) = |\theta|, \qquad
JS = \log 2, \qquad KL(\mathbb{P}_\theta\|\mathbb{P}_0) = KL(\mathbb{P}_0\|\mathbb{P}_\theta) = +\infty,
\qquad \delta = 1,$$

while all four are $0$ at $\theta = 0$. Only $W$ is continuous in $\theta$; only $W$ has a useful
derivative, $\partial W / \partial \theta = \operatorname{sign}(\theta)$.

This module evaluates the closed forms (:func:`example1_distances`), their
derivatives, sample-based estimates over several seeds
(:func:`example1_estimate`: exact $W_1$ with POT, histogram
divergences with scipy), and gradient descent on $\theta$ under each distance. The descent is a
plain loop on a scalar and the closed-form derivative — not a GAN training loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lessons import Exercise, Slider, Toggle
from wgan_core import distances

TITLE = "Learning parallel lines"
SUMMARY = "Paper Example 1: two parallel segments θ apart — only the earth mover's distance gives θ a gradient."
#: The paper's figures that `python -m lessons figure N` reproduces from this lesson's computation.
PAPER_FIGURES = ("1",)

#: The distances of Example 1, in the order they are drawn, with their display names.
NAMES = ("W", "JS", "KL", "KL_reverse", "TV")
LABELS = {"W": "W (earth mover)", "JS": "JS", "KL": "KL(P_θ‖P_0)", "KL_reverse": "KL(P_0‖P_θ)", "TV": "TV δ"}

#: θ grid of the closed-form curves (401 points, θ = 0 included exactly).
THETA_GRID = np.round(np.linspace(-1.0, 1.0, 401), 10)
#: θ values where sample estimates are drawn; ±0.04 sits in the same histogram column as the data line.
ESTIMATE_THETAS = (-1.0, -0.6, -0.3, -0.04, 0.0, 0.04, 0.3, 0.6, 1.0)
#: Seeds per estimate (the error bars are their spread) and histogram cells per axis (odd, so that
#: the data line x = 0 sits in the middle of the centre column, which is 2/21 ≈ 0.095 wide).
N_SEEDS = 4
BINS = 21
#: Length of the gradient-descent runs.
GD_STEPS = 30

CONTROLS = (
    Slider("theta", "θ (horizontal offset of the model line)", -1.0, 1.0, 0.5, step=0.01,
           help="g_θ(z) = (θ, z): the model's segment sits θ to the right of the data's."),
    Slider("n", "samples per line for the estimates", 100, 2000, 500, step=100, integer=True,
           help="Points drawn from each segment for the sample-based estimates (exact W1, histogram JS/KL/TV)."),
)
DESCENT_CONTROLS = (
    Slider("lr", "learning rate η", 0.01, 0.3, 0.1, step=0.01, help="Step size of θ ← θ − η ∂ρ/∂θ."),
    Toggle("decay", "decaying step η/√(t+1)", False,
           help="A shrinking step lets the sub-gradient of |θ| settle at 0 instead of bouncing around it."),
    Slider("step", "show step t", 0, GD_STEPS, GD_STEPS, step=1, integer=True,
           help="Step through the descent: the lines drawn are θ_t under W and under JS."),
)

MOTIVATION = r"""
A GAN's generator usually maps a low-dimensional noise $z$ into a high-dimensional space, so the model
distribution lives on a thin manifold that, early in training, does not touch the data manifold at
all. The paper's Example 1 is the smallest such situation: two vertical segments in the plane.
The data is $\mathbb{P}_0$, the law of $(0, Z)$ with $Z \sim U[0,1]$; the model is
$g_\theta(z) = (\theta, z)$ with one parameter $\theta$.
"""

CLOSED_FORMS = r"""
For $\theta \neq 0$ the two segments share no point. The paper (Example 1) works out all four measures:
"""

CLOSED_FORMS_LATEX = r"""
\begin{gathered}
W(\mathbb{P}_0, \mathbb{P}_\theta) = |\theta|, \qquad
JS(\mathbb{P}_0, \mathbb{P}_\theta) = \begin{cases}\log 2 & \theta \ne 0\\ 0 & \theta = 0\end{cases}, \qquad
\delta(\mathbb{P}_0, \mathbb{P}_\theta) = \begin{cases}1 & \theta \ne 0\\ 0 & \theta = 0\end{cases},
\\[6pt]
KL(\mathbb{P}_\theta\|\mathbb{P}_0) = KL(\mathbb{P}_0\|\mathbb{P}_\theta) =
\begin{cases}+\infty & \theta \ne 0\\ 0 & \theta = 0.\end{cases}
\end{gathered}
"""

CLOSED_FORMS_AFTER = r"""
The earth mover slides every point $(\theta, z)$ straight across to $(0, z)$ at cost $|\theta|$. The
other three only ask *whether* the supports overlap, never *how far apart* they are. The θ slider
moves the model line; the sample count sets the size of the samples used further down.
"""

ESTIMATES = r"""
### The same, measured from samples

Markers are estimates from $n$ points per line, averaged over several seeds (bars: ± one standard
deviation). $W$ is the exact $W_1$ between the two point clouds (POT's network simplex); JS, KL and TV
compare 2-D histograms with $21 \times 21$ cells on $[-1, 1] \times [0, 1]$. Two things show: the $W$
estimate sits slightly above $|\theta|$ (finite samples of $Z$ never match perfectly — the gap shrinks
as $n$ grows), and at $\theta = \pm 0.04$ both lines fall in the same histogram column ($2/21 \approx 0.095$ wide),
so the histogram divergences read "almost no difference" — a sample-based JS is only as sharp as its binning.
"""

DERIVATIVES = r"""
### Derivatives with respect to $\theta$

$$\frac{\partial W}{\partial \theta} = \operatorname{sign}(\theta) \quad (\theta \ne 0),$$

$$\partial_\theta JS = \partial_\theta KL = \partial_\theta \delta = 0 \quad (\theta \ne 0).$$

At $\theta = 0$ none is differentiable: $W$ has a kink (every slope in $[-1, 1]$ is a sub-gradient) and
the other three jump. Away from 0, $W$ always says "move towards 0, at unit speed"; the others say nothing.
"""

DESCENT = r"""
### Learning $\theta$ by gradient descent

Start at the slider's $\theta_0$ and repeat $\theta_{t+1} = \theta_t - \eta\, \partial\rho/\partial\theta(\theta_t)$
for $\rho = W$ and for $\rho = JS$ (KL and TV have the same zero gradient as JS). Under $W$ the model
line walks to the data line; under JS it never moves. With a constant $\eta$ the walk under $W$ ends
bouncing within $\eta$ of 0, because $|\theta|$'s slope never shrinks — tick the decaying step to
let it settle.
"""

WHAT_TO_NOTICE = [
    r"$W = |\theta|$ shrinks continuously as the model line approaches the data line; JS, KL and TV stay "
    r"constant until the lines coincide exactly, then drop to 0 in one jump.",
    r"The derivative of $W$ is $\pm 1$ everywhere except 0: a gradient that always points home. The "
    r"derivatives of JS, KL and TV are 0 wherever they exist — gradient descent on them cannot start.",
    r"Sample estimates agree with the closed forms, but histogram divergences are blind below one cell "
    r"width, while the exact $W_1$ on samples still sees a shift of 0.04.",
    r"This is the paper's argument in miniature: for distributions on low-dimensional manifolds, the "
    r"earth mover's distance is the loss that makes learning by gradient descent possible.",
]

EXERCISES = (
    Exercise(
        "Start at θ₀ = 0.5 with η = 0.1 and a constant step. After how many steps does the W run first "
        "reach θ = 0 (to rounding), and what happens next?",
        "Five steps: each moves θ by exactly η·sign(θ) = 0.1, so 0.5 → 0.4 → 0.3 → 0.2 → 0.1 → 0. At exactly "
        "0 the slope sign(0) = 0 stops it. Start at 0.55 instead and it overshoots to −0.05 and then bounces "
        "between ±0.05 forever — which is why the decaying step exists.",
        ("3 steps", "5 steps", "It never reaches 0"),
        correct="5 steps",
    ),
    Exercise(
        "Raise the sample count from 100 to 2000. What happens to the W estimate at θ = 0, and to the JS "
        "estimate at θ = 0.3?",
        "The W estimate at θ = 0 falls towards 0 (it is the W1 between two independent samples of U[0,1], "
        "which shrinks roughly like 1/√n). The JS estimate at θ = 0.3 stays at log 2 ≈ 0.693 for every n: "
        "the lines never share a histogram cell, so more samples change nothing.",
    ),
    Exercise(
        "Why does the paper call this a case where W gives 'a usable gradient everywhere' even though |θ| "
        "is not differentiable at 0?",
        "Because 0 is the minimum: everywhere else the slope is ±1 and points to it, and at 0 itself the "
        "sub-gradient 0 says 'stay'. JS, in contrast, is flat (slope 0) at every θ ≠ 0, so no step size "
        "ever moves θ — its gradient is unusable exactly where learning must happen.",
    ),
)


def _finite(theta: float) -> float:
    theta = float(theta)
    if not math.isfinite(theta):
        raise ValueError(f"theta must be a finite number, got {theta}")
    return theta


def closed_form_curves(thetas=THETA_GRID) -> dict[str, np.ndarray]:
    """The five closed forms of Example 1 on ``thetas`` (shape (k,)); KL values are ``inf`` for θ ≠ 0."""
    values = [example1_distances(t) for t in np.asarray(thetas, dtype=float)]
    return {name: np.array([v[name] for v in values]) for name in NAMES}


def derivative(name: str, theta: float) -> float:
    r"""Closed-form $\partial\rho/\partial\theta$ of distance ``name`` at ``theta``; NaN at θ = 0 (undefined)."""
    if name not in NAMES:
        raise ValueError(f"unknown distance {name!r}; expected one of {NAMES}")
    theta = _finite(theta)
    if theta == 0.0:
        return math.nan
    return math.copysign(1.0, theta) if name == "W" else 0.0


def at_theta(theta: float) -> tuple[dict[str, float], dict[str, float]]:
    """Closed-form values and derivatives of every distance at one ``theta`` (NaN slope: undefined)."""
    return example1_distances(theta), {name: derivative(name, theta) for name in NAMES}


def derivative_curves(thetas=THETA_GRID) -> dict[str, np.ndarray]:
    """``derivative`` of every distance on ``thetas`` (shape (k,)), NaN where undefined."""
    return {name: np.array([derivative(name, t) for t in np.asarray(thetas, dtype=float)]) for name in NAMES}


@dataclass(frozen=True)
class Estimates:
    """Sample-based estimates: ``values[name]`` has shape (len(thetas), seeds)."""

    n: int
    thetas: np.ndarray
    values: dict[str, np.ndarray]

    def mean(self, name: str) -> np.ndarray:
        """Mean over seeds (``inf`` if any seed gave ``inf``)."""
        return self.values[name].mean(axis=1)

    def std(self, name: str) -> np.ndarray:
        """Standard deviation over seeds (0 where the mean is infinite)."""
        v = self.values[name]
        finite = np.all(np.isfinite(v), axis=1)
        out = np.zeros(v.shape[0])
        out[finite] = v[finite].std(axis=1)
        return out


def estimate_curves(n: int, thetas=ESTIMATE_THETAS, seeds: int = N_SEEDS, bins: int = BINS) -> Estimates:
    """Run :func:`example1_estimate` at every θ of ``thetas`` for seeds 0…seeds−1."""
    if int(seeds) < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    grid = np.asarray(thetas, dtype=float)
    values = {name: np.empty((grid.size, int(seeds))) for name in NAMES}
    for i, theta in enumerate(grid):
        for seed in range(int(seeds)):
            est = example1_estimate(theta, int(n), seed=seed, bins=int(bins))
            for name in NAMES:
                values[name][i, seed] = est[name]
    return Estimates(n=int(n), thetas=grid, values=values)


def sample_lines(theta: float, n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points of both segments for drawing: real (0, z) and model (θ, z'), each shape (n, 2)."""
    theta = _finite(theta)
    rng = np.random.default_rng(seed)
    real = np.column_stack([np.zeros(n), rng.uniform(0.0, 1.0, n)])
    fake = np.column_stack([np.full(n, theta), rng.uniform(0.0, 1.0, n)])
    return real, fake


def gradient_descent(name: str, theta0: float, lr: float, steps: int = GD_STEPS, decay: bool = False) -> np.ndarray:
    r"""θ_t of $\theta_{t+1} = \theta_t - \eta_t\, \partial\rho/\partial\theta(\theta_t)$, shape (steps + 1,).

    ``eta_t = lr`` or ``lr / sqrt(t + 1)`` with ``decay``. At θ = 0 (the minimum of every ρ) the step
    uses the sub-gradient 0, so the iterate stays there.
    """
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be positive, got {lr}")
    if int(steps) < 0:
        raise ValueError(f"steps must be non-negative, got {steps}")
    thetas = [_finite(theta0)]
    for t in range(int(steps)):
        slope = derivative(name, thetas[-1])
        slope = 0.0 if math.isnan(slope) else slope
        eta = lr / math.sqrt(t + 1) if decay else lr
        thetas.append(round(thetas[-1] - eta * slope, 12))  # rounding lets 0.5 - 5 * 0.1 land on 0
    return np.array(thetas)


# ----------------------------------------------------------------------------------------------
# Example 1's distances: the closed forms and their sample estimates
# ----------------------------------------------------------------------------------------------

def _finite_theta(theta) -> float:
    value = float(theta)
    if not math.isfinite(value):
        raise ValueError(f"theta must be a finite number, got {value}")
    return value


def example1_distances(theta: float) -> dict[str, float]:
    r"""Closed-form distances of paper Example 1.

    $\mathbb{P}_0$ is the law of $(0, Z)$ and $\mathbb{P}_\theta$ that of $(\theta, Z)$ with
    $Z \sim U[0, 1]$: two parallel vertical segments a distance $|\theta|$ apart.

    * $W(\mathbb{P}_0, \mathbb{P}_\theta) = |\theta|$
    * $JS = \log 2$ if $\theta \ne 0$ else $0$
    * $KL(\mathbb{P}_\theta\|\mathbb{P}_0) = KL(\mathbb{P}_0\|\mathbb{P}_\theta) = +\infty$ if
      $\theta \ne 0$ else $0$
    * $\delta = 1$ if $\theta \ne 0$ else $0$

    Returns
    -------
    dict with keys ``W``, ``JS``, ``KL``, ``KL_reverse``, ``TV``.
    """
    theta = _finite_theta(theta)
    apart = theta != 0.0
    return {
        "W": abs(theta),
        "JS": math.log(2.0) if apart else 0.0,
        "KL": math.inf if apart else 0.0,
        "KL_reverse": math.inf if apart else 0.0,
        "TV": 1.0 if apart else 0.0,
    }


def example1_estimate(theta: float, n: int, seed: int = 0, bins: int = 20, extent: float = 1.0) -> dict[str, float]:
    r"""Sample-based estimate of the Example 1 distances from ``n`` points on each line.

    Draws $z_i, z'_i \sim U[0,1]$, forms $x_i = (0, z_i)$ and $y_i = (\theta, z'_i)$, then

    * ``W``: exact $W_1$ between the two empirical measures (:func:`wgan_core.distances.wasserstein1`, POT);
    * ``JS``, ``KL``, ``KL_reverse``, ``TV``: scipy on the 2-D histograms of both clouds over
      ``bins`` × ``bins`` cells covering $[-\text{extent}, \text{extent}] \times [0, 1]$.

    The histogram estimates only see whether the two lines share a cell: for
    $|\theta|$ below one cell width they read as (nearly) equal distributions.

    Parameters
    ----------
    theta : float
        Horizontal offset of the model line, within ``[-extent, extent]``.
    n : int
        Points drawn from each line (at least 2).
    seed : int
        Seed of the draw.
    bins : int
        Histogram cells per axis (at least 2).
    extent : float
        Half-width of the histogram window on the x-axis.

    Returns
    -------
    dict with keys ``W``, ``JS``, ``KL``, ``KL_reverse``, ``TV``.
    """
    theta = _finite_theta(theta)
    if int(n) < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if int(bins) < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    if not (extent > 0 and abs(theta) <= extent):
        raise ValueError(f"theta={theta} must lie within the histogram window [-{extent}, {extent}]")
    rng = np.random.default_rng(seed)
    n = int(n)
    real = np.column_stack([np.zeros(n), rng.uniform(0.0, 1.0, n)])
    fake = np.column_stack([np.full(n, theta), rng.uniform(0.0, 1.0, n)])
    edges = (np.linspace(-extent, extent, int(bins) + 1), np.linspace(0.0, 1.0, int(bins) + 1))
    h_real, _, _ = np.histogram2d(real[:, 0], real[:, 1], bins=edges)
    h_fake, _, _ = np.histogram2d(fake[:, 0], fake[:, 1], bins=edges)
    return {
        "W": distances.wasserstein1(real, fake),
        "JS": distances.js_divergence(h_real, h_fake),
        "KL": distances.kl_divergence(h_fake, h_real),
        "KL_reverse": distances.kl_divergence(h_real, h_fake),
        "TV": distances.total_variation(h_real, h_fake),
    }
