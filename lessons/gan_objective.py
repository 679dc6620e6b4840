r"""# The GAN game and the optimal discriminator

A GAN is a two-player game. The discriminator $D$ outputs the probability that a point is real;
the generator $G$ turns noise $z \sim p_z$ into samples whose density we call $p_g$. With $p_r$
the data density, the two players share one value function (Goodfellow et al., 2014; Weng §3):

$$\min_G \max_D L(G, D) = \mathbb{E}_{x \sim p_r}[\log D(x)] + \mathbb{E}_{x \sim p_g}[\log(1 - D(x))].$$

**The best discriminator.** Written as an integral, $L = \int p_r(x)\log D(x) + p_g(x)\log(1 - D(x))\,dx$,
and each $x$ can be optimised on its own. With $A = p_r(x)$, $B = p_g(x)$ and $t = D(x)$ the integrand
is $A\log t + B\log(1 - t)$, whose derivative $A/t - B/(1-t)$ vanishes at $t = A/(A+B)$:

$$D^*(x) = \frac{p_r(x)}{p_r(x) + p_g(x)}.$$

**What the generator then minimises.** Put $D^*$ back into $L$ and add and subtract $\log 2$ inside
each logarithm; with $M = \tfrac12(p_r + p_g)$ this gives

$$
L(G, D^*) = 2\,JS(p_r, p_g) - 2\log 2, \qquad
JS(P, Q) = \tfrac12 KL(P\|M) + \tfrac12 KL(Q\|M) \in [0, \log 2].
$$

(The WGAN paper's §2 writes JS without the $\tfrac12$ factors, but its Example 1 uses the value
$\log 2$ of the usual definition above, which is the one used throughout this course.)

This module computes all of it on a fine 1-D grid for densities the student shapes: a real
mixture of two Gaussian bumps and a single Gaussian generator. The JS divergence is computed
independently with :func:`wgan_core.distances.js_divergence` so the identity above is a check,
not a tautology.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lessons import Exercise, Slider
from wgan_core.distances import js_divergence

TITLE = "The GAN game and the optimal discriminator"
SUMMARY = ("Shape two 1-D densities, watch the optimal discriminator D* = p_r/(p_r+p_g) and check "
           "on screen that the GAN value at D* is 2·JS − 2·log 2.")

#: The grid the densities live on: wide enough for every slider position, fine enough for the
#: narrowest bump (width 0.05 spans 20 grid steps).
GRID_LIMIT = 10.0
GRID_POINTS = 8001
#: Densities below this are treated as exactly zero (see :meth:`GaussianMixture.density`).
DENSITY_FLOOR = 1e-250
#: The ceiling of the JS divergence (natural log), reached exactly by disjoint supports.
LOG_2 = math.log(2.0)

CONTROLS = (
    Slider("real_mean_a", "Real bump A: mean", -4.0, 4.0, -1.5, step=0.1),
    Slider("real_mean_b", "Real bump B: mean", -4.0, 4.0, 2.0, step=0.1),
    Slider("real_width", "Real bumps: width σ_r", 0.05, 2.0, 0.5, step=0.05),
    Slider("real_weight", "Weight of bump A", 0.0, 1.0, 0.5, step=0.05),
    Slider("gen_mean", "Generator: mean", -6.0, 6.0, 0.0, step=0.1),
    Slider("gen_width", "Generator: width σ_g", 0.05, 3.0, 1.0, step=0.05),
)

INTRO = r"""
A GAN pits two networks against each other. The **discriminator** $D(x) \in [0, 1]$ says how likely
$x$ is to be real; the **generator** maps noise to samples with density $p_g$ and tries to fool it.
Both play with one value function:

$$
\min_G \max_D \; L(G, D) = \mathbb{E}_{x \sim p_r}\big[\log D(x)\big] +
\mathbb{E}_{x \sim p_g}\big[\log(1 - D(x))\big].
$$

The discriminator pushes $L$ up (confident on real data, dismissive of fakes); the generator pushes
the second term down. Below, $p_r$ is a mixture of two Gaussian bumps and $p_g$ a single Gaussian:
shape them with the sliders.
"""

OPTIMAL_D = r"""
**The optimal discriminator.** Write $L$ as $\int p_r(x)\log D(x) + p_g(x)\log(1-D(x))\,dx$. Every
point $x$ can be optimised separately: with $A = p_r(x)$, $B = p_g(x)$, the function
$t \mapsto A\log t + B\log(1-t)$ has derivative $\frac{A}{t} - \frac{B}{1-t}$, which is zero at

$$D^*(x) = \frac{p_r(x)}{p_r(x) + p_g(x)}.$$

Where only real data lives $D^* = 1$; where only fakes live $D^* = 0$; where the densities are equal
$D^* = \tfrac12$. Far out in the tails the *wider* Gaussian always wins the ratio, so $D^*$ heads to 0 or 1
there although both densities are tiny; where both are numerically zero $D^*$ is 0/0, undefined, and the
plot leaves it blank.
"""

IDENTITY = r"""
**What the generator is really minimising.** Substituting $D^*$ and writing
$\log\frac{p_r}{p_r + p_g} = \log\frac{p_r}{M} - \log 2$ with $M = \frac{p_r + p_g}{2}$:

$$L(G, D^*) = KL(p_r\|M) + KL(p_g\|M) - 2\log 2 = 2\,JS(p_r, p_g) - 2\log 2.$$

So an optimal discriminator turns the game into minimising the Jensen–Shannon divergence, whose
minimum $-2\log 2$ is reached only at $p_g = p_r$ (where $D^* \equiv \tfrac12$). The numbers below
compute both sides independently on a grid of 8001 points.
(We use the usual JS with the $\tfrac12$ factors, bounded by $\log 2$; the WGAN paper's §2 drops
them, but its Example 1 quotes the value $\log 2$ of this definition.)
"""

PERFECT = r"""
**Why a perfect discriminator means $JS = \log 2$.** Make the bumps narrow and move the generator away
from them. When the supports do not overlap, $D^* = 1$ on every real point and $D^* = 0$ on every
fake one, so both expectations are $\log 1 = 0$: $L(G, D^*) = 0$ and therefore $JS = \log 2 \approx
0.693$, its largest value. It stays exactly there however far or near the generator sits, as long as
the supports stay apart — the sweep below shows the plateau. A flat loss gives the generator no
direction to move in: that is the trouble the next lessons take apart.
"""

WHAT_TO_NOTICE = [
    r"$D^*$ is $\tfrac12$ exactly where the two curves cross, near 1 where real data dominates and near 0 "
    r"where fakes dominate — it is a ratio of densities, not a classifier with a fixed shape.",
    r"The two numbers $L(G, D^*)$ and $2\,JS - 2\log 2$ agree to many decimals for every slider position: "
    r"the identity is exact, only the grid adds a tiny error.",
    r"With narrow bumps far from the generator, $JS$ sits at $\log 2 \approx 0.693$ and $L(G, D^*)$ at 0: "
    r"the sweep is flat there, so small moves of the generator change nothing.",
    r"The minimum $-2\log 2 \approx -1.386$ needs $p_g = p_r$; a single Gaussian cannot match a two-bump "
    r"mixture, so here the best it can do is a compromise.",
]

EXERCISES = (
    Exercise(
        question=r"Set both real means to 0, the real width equal to the generator width and the generator "
                 r"mean to 0. What values will $D^*$ and $L(G, D^*)$ take?",
        answer=r"The densities coincide, so $D^*(x) = \tfrac12$ everywhere, $JS = 0$ and "
               r"$L(G, D^*) = \log\tfrac12 + \log\tfrac12 = -2\log 2 \approx -1.386$, the global minimum.",
    ),
    Exercise(
        question=r"Narrow everything (widths 0.05) and put the generator at 5. Now move it to 4. By how much "
                 r"does $JS$ change?",
        answer=r"Not at all (to display precision): the supports are effectively disjoint in both positions, "
               r"so $D^*$ is a perfect classifier and $JS = \log 2$. The generator gets no signal telling it "
               r"that 4 is closer than 5 — the motivation for the Wasserstein distance.",
        choices=("It grows", "It shrinks a lot", "It stays at log 2", "It becomes negative"),
        correct="It stays at log 2",
    ),
    Exercise(
        question=r"At a point where $p_r(x) = 3\,p_g(x)$, what is $D^*(x)$, and what does the discriminator's "
                 r"integrand $A\log t + B\log(1-t)$ lose if it answers $t = 0.5$ instead?",
        answer=r"$D^*(x) = 3/(3+1) = 0.75$. With $B = A/3$ the loss of answering 0.5 is "
               r"$A[\log 0.75 - \log 0.5] + \tfrac{A}{3}[\log 0.25 - \log 0.5] \approx A(0.405 - 0.231) "
               r"= 0.174\,A > 0$: any other answer lowers $L$.",
    ),
)


# ----------------------------------------------------------------------------------------------
# Compute
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GaussianMixture:
    r"""A 1-D mixture $\sum_k w_k\,\mathcal{N}(\mu_k, \sigma_k^2)$; weights are normalised."""

    means: tuple[float, ...]
    widths: tuple[float, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if not (len(self.means) == len(self.widths) == len(self.weights)) or not self.means:
            raise ValueError("means, widths and weights must be non-empty and of equal length")
        if any(not math.isfinite(s) or s <= 0 for s in self.widths):
            raise ValueError(f"widths must be positive, got {self.widths}")
        if any(not math.isfinite(m) for m in self.means):
            raise ValueError(f"means must be finite, got {self.means}")
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError(f"weights must be non-negative with a positive sum, got {self.weights}")

    def density(self, x: np.ndarray) -> np.ndarray:
        """Density at ``x`` (any shape)."""
        total = float(sum(self.weights))
        out = np.zeros_like(np.asarray(x, dtype=float))
        for m, s, w in zip(self.means, self.widths, self.weights, strict=True):
            out += (w / total) * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        # Flush values far below any visible mass to exactly zero: a subnormal density halved in
        # M = (P + Q)/2 underflows to 0 and would make KL(P||M) infinite. The mass removed is < 1e-245.
        out[out < DENSITY_FLOOR] = 0.0
        return out


def real_mixture(mean_a: float, mean_b: float, width: float, weight_a: float) -> GaussianMixture:
    """The lesson's real density: two bumps of equal width, weights ``weight_a`` and ``1 - weight_a``."""
    if not 0.0 <= weight_a <= 1.0:
        raise ValueError(f"weight_a must lie in [0, 1], got {weight_a}")
    return GaussianMixture((mean_a, mean_b), (width, width), (weight_a, 1.0 - weight_a))


def generator_density(mean: float, width: float) -> GaussianMixture:
    """The lesson's generator: one Gaussian."""
    return GaussianMixture((mean,), (width,), (1.0,))


def optimal_discriminator(p_r: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    r"""$D^*(x) = p_r(x) / (p_r(x) + p_g(x))$ pointwise; NaN where both densities vanish (0/0)."""
    p_r, p_g = np.asarray(p_r, dtype=float), np.asarray(p_g, dtype=float)
    if p_r.shape != p_g.shape:
        raise ValueError(f"p_r and p_g must have the same shape, got {p_r.shape} and {p_g.shape}")
    if (p_r < 0).any() or (p_g < 0).any():
        raise ValueError("densities must be non-negative")
    total = p_r + p_g
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, p_r / np.where(total > 0, total, 1.0), np.nan)


def _xlogy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""$a \log b$ with the convention $0 \log 0 = 0$ (mass-free points contribute nothing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, a * np.log(np.where(a > 0, b, 1.0)), 0.0)


def gan_value(p_r: np.ndarray, p_g: np.ndarray, d: np.ndarray, dx: float) -> float:
    r"""$L(G, D) = \int p_r \log D + p_g \log(1 - D)\,dx$ for any discriminator values ``d`` on the grid
    (Riemann sum with step ``dx``; NaN entries of ``d`` sit where both densities vanish and count 0)."""
    d = np.nan_to_num(np.asarray(d, dtype=float), nan=0.5)
    return float(np.sum(_xlogy(p_r, d) + _xlogy(p_g, 1.0 - d)) * dx)


def optimal_value(p_r: np.ndarray, p_g: np.ndarray, dx: float) -> float:
    r"""$L(G, D^*)$, i.e. :func:`gan_value` at $D^* = p_r/(p_r+p_g)$, in a form that cannot underflow:
    $p_r\log\frac{p_r}{p_r+p_g} + p_g\log\frac{p_g}{p_r+p_g} = p_r\log p_r + p_g\log p_g - (p_r+p_g)\log(p_r+p_g)$."""
    total = p_r + p_g
    return float(np.sum(_xlogy(p_r, p_r) + _xlogy(p_g, p_g) - _xlogy(total, total)) * dx)


@dataclass(frozen=True)
class OptimalDResult:
    """Everything the lesson draws. Arrays have shape (GRID_POINTS,)."""

    x: np.ndarray
    p_r: np.ndarray
    p_g: np.ndarray
    d_star: np.ndarray
    value: float          # L(G, D*) by quadrature
    js: float             # JS(p_r, p_g), computed independently from the value
    identity_rhs: float   # 2 JS - 2 log 2

    @property
    def identity_gap(self) -> float:
        return abs(self.value - self.identity_rhs)


def grid() -> tuple[np.ndarray, float]:
    """The evaluation grid and its step."""
    x = np.linspace(-GRID_LIMIT, GRID_LIMIT, GRID_POINTS)
    return x, float(x[1] - x[0])


def analyse(real: GaussianMixture, gen: GaussianMixture) -> OptimalDResult:
    """Densities, $D^*$, $L(G, D^*)$ and $JS$ on the lesson's grid."""
    x, dx = grid()
    p_r, p_g = real.density(x), gen.density(x)
    d_star = optimal_discriminator(p_r, p_g)
    value = optimal_value(p_r, p_g, dx)
    # JS from the histogram masses p * dx — a different code path (scipy's Jensen–Shannon distance).
    js = js_divergence(p_r * dx, p_g * dx)
    return OptimalDResult(x, p_r, p_g, d_star, value, js, 2.0 * js - 2.0 * LOG_2)


def analyse_controls(values: dict) -> OptimalDResult:
    """:func:`analyse` for the lesson's slider values (keys of :data:`CONTROLS`)."""
    real = real_mixture(values["real_mean_a"], values["real_mean_b"], values["real_width"], values["real_weight"])
    return analyse(real, generator_density(values["gen_mean"], values["gen_width"]))


def js_sweep(real: GaussianMixture, gen_width: float, means: np.ndarray) -> dict[str, np.ndarray]:
    """$JS$ and $L(G, D^*)$ as the generator's mean slides over ``means`` (shape (k,))."""
    means = np.asarray(means, dtype=float)
    js = np.empty_like(means)
    value = np.empty_like(means)
    for i, m in enumerate(means):
        res = analyse(real, generator_density(float(m), gen_width))
        js[i], value[i] = res.js, res.value
    return {"gen_mean": means, "js": js, "value": value}


def sweep_controls(values: dict, n: int = 121) -> dict[str, np.ndarray]:
    """:func:`js_sweep` over the generator-mean slider's whole range for the current shapes."""
    real = real_mixture(values["real_mean_a"], values["real_mean_b"], values["real_width"], values["real_weight"])
    lo, hi = CONTROLS[4].min, CONTROLS[4].max
    return js_sweep(real, values["gen_width"], np.linspace(lo, hi, n))
