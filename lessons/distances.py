r"""# Measuring the distance between distributions

A generative model is trained by pushing a model distribution $\mathbb{P}_g$ towards the data
distribution $\mathbb{P}_r$, so everything depends on *how we measure* the gap between them. The
WGAN paper (§2) and Lilian Weng's "From GAN to WGAN" (§2, §6.1) compare four measures:

* total variation $\delta(P, Q) = \sup_A |P(A) - Q(A)|$,
* Kullback–Leibler $KL(P\|Q) = \int p \log \frac{p}{q}$,
* Jensen–Shannon $JS(P, Q) = \tfrac12 KL(P\|M) + \tfrac12 KL(Q\|M)$ with $M = \tfrac12(P + Q)$,
* earth mover (Wasserstein-1) $W(P, Q) = \inf_{\gamma \in \Pi(P, Q)} \mathbb{E}_{(x, y)\sim\gamma}\|x - y\|$.

This module holds the lesson's text and two small experiments, both pure and deterministic:

1. :func:`earth_mover` — Weng's dirt piles: four piles per distribution on the positions 1–4, the
   optimal transport plan from ``ot.emd`` (through :func:`wgan_core.distances.transport_plan`) and
   the running-surplus formula $\delta_{i+1} = \delta_i + P_i - Q_i$, $W = \sum_i |\delta_i|$.
2. :func:`gaussian_kl` — the asymmetry of KL on two 1-D Gaussians: the closed form next to numerical
   integration (``scipy.integrate.quad``), with JS, TV and W1 integrated numerically beside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, stats

from lessons import Exercise, Slider
from wgan_core import distances

TITLE = "Measuring the distance between distributions"
SUMMARY = "KL, JS, total variation and the earth mover's distance: definitions, dirt piles and KL's asymmetry."

#: Positions of the four dirt piles on the line (one unit apart, as in Weng's Figure 7).
PILE_POSITIONS = np.arange(1.0, 5.0)
#: Weng's example: P = (3, 2, 1, 4), Q = (1, 2, 4, 3) shovelfuls — W = 5 shovel-units.
P_DEFAULT = (3, 2, 1, 4)
Q_DEFAULT = (1, 2, 4, 3)

PILE_CONTROLS = tuple(
    Slider(f"{name}{i + 1}", f"{name}{i + 1} (shovelfuls)", 0, 10, default, step=1, integer=True,
           help=f"Dirt in pile {i + 1} of {name}, at position {i + 1}.")
    for name, defaults in (("P", P_DEFAULT), ("Q", Q_DEFAULT))
    for i, default in enumerate(defaults)
)
GAUSS_CONTROLS = (
    Slider("mu_p", "mean μ_P", -3.0, 3.0, 0.0, step=0.1, help="Mean of P = N(μ_P, σ_P²)."),
    Slider("sigma_p", "std σ_P", 0.2, 3.0, 1.0, step=0.1, help="Standard deviation of P."),
    Slider("mu_q", "mean μ_Q", -3.0, 3.0, 1.0, step=0.1, help="Mean of Q = N(μ_Q, σ_Q²)."),
    Slider("sigma_q", "std σ_Q", 0.2, 3.0, 0.5, step=0.1, help="Standard deviation of Q."),
)
CONTROLS = PILE_CONTROLS + GAUSS_CONTROLS

MOTIVATION = r"""
Training a generative model means making a model distribution $\mathbb{P}_g$ look like the data
distribution $\mathbb{P}_r$. To do that with gradient descent we need a number that says *how far
apart* two distributions are — and, as the next lesson shows, the choice of that number decides
whether learning can work at all. The WGAN paper (§2) lines up four candidates.
"""

DEFINITIONS = r"""
**Total variation** — the largest disagreement on any event:

$$\delta(P, Q) = \sup_{A} |P(A) - Q(A)| = \tfrac12 \textstyle\sum_x |p(x) - q(x)| \in [0, 1].$$

**Kullback–Leibler** — the expected log-ratio under $P$; asymmetric, and infinite wherever
$q(x) = 0 < p(x)$:

$$KL(P\|Q) = \int p(x) \log \frac{p(x)}{q(x)}\, dx .$$

**Jensen–Shannon** — KL to the mixture $M = \tfrac12(P + Q)$ from both sides; symmetric and bounded:

$$JS(P, Q) = \tfrac12 KL(P\|M) + \tfrac12 KL(Q\|M) \in [0, \log 2].$$

*Note:* the paper's Section 2 writes $JS = KL(\mathbb{P}_r\|\mathbb{P}_m) + KL(\mathbb{P}_g\|\mathbb{P}_m)$,
without the $\tfrac12$ factors, yet its Example 1 states $JS = \log 2$ for disjoint supports, which
is the value of the usual definition above. This course uses the usual definition throughout.

**Earth mover / Wasserstein-1** — the cheapest way to turn the pile of dirt $P$ into the pile $Q$,
when moving one unit of mass over a distance $d$ costs $d$:

$$W(P, Q) = \inf_{\gamma \in \Pi(P, Q)} \mathbb{E}_{(x, y) \sim \gamma} \|x - y\|,$$

where $\Pi(P, Q)$ holds every joint distribution $\gamma(x, y)$ whose marginals are $P$ and $Q$: a
*transport plan* saying how much mass goes from $x$ to $y$.
"""

EARTH_MOVER = r"""
### The earth mover with dirt piles

Weng's example: $P$ and $Q$ each have four piles, one unit apart, with ten shovelfuls in total,
$P = (3, 2, 1, 4)$ and $Q = (1, 2, 4, 3)$. Sweep from left to right and carry the surplus along:
$\delta_0 = 0$, $\delta_{i} = \delta_{i-1} + P_i - Q_i$. Every shovelful of surplus that crosses a
gap costs one unit, so on a line $W = \sum_i |\delta_i|$ — here $2 + 2 + 1 + 0 = 5$.

Below, the plan is not computed by that formula but by the exact linear-programming solver `ot.emd`
(network simplex, Euclidean cost); the running-surplus sum is shown beside it as a check. Edit the
piles: the solver keeps finding a plan whose total shovel-distance is the minimum. Optimal plans are
not unique — the solver may move dirt differently from Weng's three steps — but their cost is.
"""

KL_ASYMMETRY = r"""
### KL is not symmetric

For two Gaussians $P = \mathcal{N}(\mu_P, \sigma_P^2)$ and $Q = \mathcal{N}(\mu_Q, \sigma_Q^2)$ the
divergence has a closed form,

$$KL(P\|Q) = \log\frac{\sigma_Q}{\sigma_P} + \frac{\sigma_P^2 + (\mu_P - \mu_Q)^2}{2\sigma_Q^2} - \frac12 .$$

The table puts it beside a numerical integral of $p \log(p/q)$, in both directions. The shaded curves
are the integrands: $KL(P\|Q)$ pays where $P$ has mass that $Q$ lacks, so a narrow $Q$ under a wide
$P$ is punished heavily, while the reverse barely notices.
"""

WHAT_TO_NOTICE = [
    r"The transport plan's total shovel-distance equals $\sum_i |\delta_i|$ for any piles with equal "
    r"totals: on a line the earth mover's distance is the area between the two cumulative sums.",
    r"Moving dirt farther costs more in $W$, but KL, JS and TV only compare the heights of piles at the "
    r"same position: they do not know how far apart the positions are.",
    r"$KL(P\|Q) \ne KL(Q\|P)$ unless the two standard deviations are equal; JS, TV and $W$ are symmetric.",
    r"The closed form and the numerical integral agree to many digits — the formula is not magic, it is "
    r"the integral done by hand.",
]

EXERCISES = (
    Exercise(
        "Set P = (10, 0, 0, 0) and Q = (0, 0, 0, 10). What is the earth mover's distance in shovel-units, "
        "and what is the total variation?",
        "W = 30 shovel-units: all ten shovelfuls travel three units (W = 3 per unit of mass). TV = 1, its "
        "maximum — and it stays 1 if Q's pile sits at position 2 instead, where W would drop to 10.",
        ("W = 10, TV = 1", "W = 30, TV = 1", "W = 30, TV = 0.5"),
        correct="W = 30, TV = 1",
    ),
    Exercise(
        "Keep μ_P = 0, σ_P = 1, μ_Q = 1 and shrink σ_Q from 1 to 0.3. Which grows faster, KL(P‖Q) or KL(Q‖P)?",
        "KL(P‖Q). Its closed form has σ_Q² in a denominator: a narrow Q assigns almost no density where the "
        "wide P still has mass, and KL(P‖Q) pays log(p/q) there. KL(Q‖P) only averages over Q's narrow "
        "bump, where P still has density, so it grows slowly (roughly like log(1/σ_Q)).",
        ("KL(P‖Q)", "KL(Q‖P)", "They grow at the same rate"),
        correct="KL(P‖Q)",
    ),
    Exercise(
        "With σ_P = σ_Q, move μ_Q far away from μ_P (e.g. 0 and 3). Predict which of JS, TV and W1 keeps "
        "growing linearly in the gap, and which saturate.",
        "JS saturates towards log 2 ≈ 0.693 and TV towards 1 once the bumps stop overlapping; W1 equals the "
        "gap |μ_P − μ_Q| exactly for equal variances, so it keeps growing linearly. That is the property the "
        "next lesson builds on.",
    ),
)


# ----------------------------------------------------------------------------------------------
# Dirt piles
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EarthMover:
    """The earth-mover experiment on four piles.

    ``plan[i, j]`` is the mass moved from pile ``i`` of P to pile ``j`` of Q, in shovelfuls when the
    totals match (else as probabilities). ``w`` is $W_1$ between the normalised distributions;
    ``shovel_cost`` ($= W \times$ total) and ``deltas`` (running surplus) exist only for equal totals.
    """

    p: np.ndarray
    q: np.ndarray
    positions: np.ndarray
    plan: np.ndarray
    w: float
    equal_totals: bool
    shovel_cost: float | None
    deltas: np.ndarray | None
    kl_pq: float
    kl_qp: float
    js: float
    tv: float


def _piles(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != PILE_POSITIONS.shape:
        raise ValueError(f"{name} must hold {PILE_POSITIONS.size} pile sizes, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} pile sizes must be finite and non-negative, got {arr.tolist()}")
    if arr.sum() <= 0:
        raise ValueError(f"{name} has no dirt: put at least one shovelful in one of its piles")
    return arr


def earth_mover(p, q) -> EarthMover:
    """Optimal transport between the piles ``p`` and ``q`` (shovelfuls at positions 1–4)."""
    p_arr, q_arr = _piles(p, "P"), _piles(q, "Q")
    # The solver works on probability distributions; scale its plan back to shovelfuls.
    plan, w = distances.transport_plan(PILE_POSITIONS, PILE_POSITIONS, p_arr, q_arr)
    equal = bool(np.isclose(p_arr.sum(), q_arr.sum()))
    total = float(p_arr.sum())
    return EarthMover(
        p=p_arr, q=q_arr, positions=PILE_POSITIONS.copy(),
        plan=plan * total if equal else plan, w=w, equal_totals=equal,
        shovel_cost=w * total if equal else None,
        # Weng's running surplus: delta_i = delta_{i-1} + P_i - Q_i (delta_0 = 0 is left implicit).
        deltas=np.cumsum(p_arr - q_arr) if equal else None,
        kl_pq=distances.kl_divergence(p_arr, q_arr), kl_qp=distances.kl_divergence(q_arr, p_arr),
        js=distances.js_divergence(p_arr, q_arr), tv=distances.total_variation(p_arr, q_arr),
    )


def plan_moves(result: EarthMover, tol: float = 1e-9) -> list[tuple[int, int, float]]:
    """The non-zero entries of the plan as ``(from_pile, to_pile, amount)``, piles numbered from 1."""
    rows, cols = np.nonzero(result.plan > tol)
    return [(int(i) + 1, int(j) + 1, float(result.plan[i, j])) for i, j in zip(rows, cols, strict=True)]


# ----------------------------------------------------------------------------------------------
# Two Gaussians
# ----------------------------------------------------------------------------------------------

def _gaussian(mu: float, sigma: float, name: str) -> tuple[float, float]:
    mu, sigma = float(mu), float(sigma)
    if not math.isfinite(mu):
        raise ValueError(f"the mean of {name} must be finite, got {mu}")
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"the standard deviation of {name} must be positive, got {sigma}")
    return mu, sigma


def kl_gaussians(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float) -> float:
    r"""Closed form $KL(\mathcal{N}(\mu_P,\sigma_P^2)\|\mathcal{N}(\mu_Q,\sigma_Q^2))$ in nats."""
    mu_p, sigma_p = _gaussian(mu_p, sigma_p, "P")
    mu_q, sigma_q = _gaussian(mu_q, sigma_q, "Q")
    return math.log(sigma_q / sigma_p) + (sigma_p**2 + (mu_p - mu_q) ** 2) / (2 * sigma_q**2) - 0.5


@dataclass(frozen=True)
class GaussianComparison:
    """Both KLs (closed form and numeric), numeric JS, TV and W1, and curves for the plot."""

    kl_pq: float
    kl_qp: float
    kl_pq_numeric: float
    kl_qp_numeric: float
    js_numeric: float
    tv_numeric: float
    w1_numeric: float
    x: np.ndarray
    p: np.ndarray
    q: np.ndarray
    kl_pq_integrand: np.ndarray
    kl_qp_integrand: np.ndarray


def gaussian_kl(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float, points: int = 400) -> GaussianComparison:
    """Compare two 1-D Gaussians: closed-form KLs beside ``scipy.integrate.quad`` integrals."""
    mu_p, sigma_p = _gaussian(mu_p, sigma_p, "P")
    mu_q, sigma_q = _gaussian(mu_q, sigma_q, "Q")
    P, Q = stats.norm(mu_p, sigma_p), stats.norm(mu_q, sigma_q)
    spread = max(sigma_p, sigma_q)
    lo, hi = min(mu_p, mu_q) - 12 * spread, max(mu_p, mu_q) + 12 * spread
    breaks = [mu_p, mu_q]

    def quad(f) -> float:
        return float(integrate.quad(f, lo, hi, points=breaks, limit=200)[0])

    def kl_density(a, b):
        # a(x) log(a(x)/b(x)) via log-densities, so the tails never divide 0 by 0.
        return lambda x: a.pdf(x) * (a.logpdf(x) - b.logpdf(x))

    def js_density(x):
        log_m = np.logaddexp(P.logpdf(x), Q.logpdf(x)) - math.log(2.0)
        return 0.5 * P.pdf(x) * (P.logpdf(x) - log_m) + 0.5 * Q.pdf(x) * (Q.logpdf(x) - log_m)

    x = np.linspace(min(mu_p - 4 * sigma_p, mu_q - 4 * sigma_q), max(mu_p + 4 * sigma_p, mu_q + 4 * sigma_q), points)
    return GaussianComparison(
        kl_pq=kl_gaussians(mu_p, sigma_p, mu_q, sigma_q),
        kl_qp=kl_gaussians(mu_q, sigma_q, mu_p, sigma_p),
        kl_pq_numeric=quad(kl_density(P, Q)),
        kl_qp_numeric=quad(kl_density(Q, P)),
        js_numeric=quad(js_density),
        tv_numeric=0.5 * quad(lambda t: abs(P.pdf(t) - Q.pdf(t))),
        # In one dimension W1 is the area between the two cumulative distribution functions.
        w1_numeric=quad(lambda t: abs(P.cdf(t) - Q.cdf(t))),
        x=x, p=P.pdf(x), q=Q.pdf(x),
        kl_pq_integrand=kl_density(P, Q)(x), kl_qp_integrand=kl_density(Q, P)(x),
    )
