r"""Optimal discriminator vs critic (paper Fig 3).

Two one-dimensional Gaussians: the data $\mathbb{P}_r$ and a *fixed* model $\mathbb{P}_\theta$ (an affine
generator $g_\theta(z) = \mu + \sigma z$ whose parameters are never updated). We train, with the same
trainer core, two functions of $x$ until they stop improving:

* a GAN discriminator $D_w(x) = \operatorname{sigmoid}(h_w(x))$ maximising
  $\mathbb{E}_{x\sim\mathbb{P}_r}[\log D_w(x)] + \mathbb{E}_{x\sim\mathbb{P}_\theta}[\log(1 - D_w(x))]$;
* a WGAN critic $f_w$ with weights clipped to $[-c, c]$, maximising
  $\mathbb{E}_{x\sim\mathbb{P}_r}[f_w(x)] - \mathbb{E}_{x\sim\mathbb{P}_\theta}[f_w(x)]$.

The generator learns only through $\nabla_x$ of these functions at its own samples, so we measure
$|\nabla_x D|$ and $|\nabla_x f|$ there. The two functions live on different scales ($D$ in
$(0, 1)$, $f$ in whatever range the clipped weights allow — the paper calls that scale "an
irrelevant scaling factor"), so we compare *range-normalised* slopes:

$$\widehat{|\nabla h|}(x) = \frac{|h'(x)|\,(b - a)}{\max_{[a,b]} h - \min_{[a,b]} h},$$

the slope of $h$ after rescaling both the window $[a, b]$ and the values of $h$ to $[0, 1]$. A
straight line scores 1 everywhere; a step scores about 0 away from the step. Slopes are central
differences of the trained networks on a fine grid; the summary is the *median* over the fake
samples, i.e. what a typical generated sample receives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons import Exercise, Slider

TITLE = "Optimal discriminator vs critic"
SUMMARY = ("Train a GAN discriminator and a WGAN critic to optimality on two Gaussians: one saturates "
           "and stops giving gradients, the other stays a clean slope.")
#: The paper's figures that `python -m lessons figure N` reproduces from this lesson's computation.
PAPER_FIGURES = ("3",)

CONTROLS = (
    Slider("fake_mean", "Mean of the fake Gaussian", min=-4.0, max=4.0, default=2.5, step=0.25,
           help="The generator is frozen at N(mean, std²); the data Gaussian stays where it is."),
    Slider("iters", "Training iterations of each function", min=100, max=2000, default=500, step=100,
           integer=True, help="Steps that train only the critic; the generator stays frozen."),
    Slider("clip_value", "WGAN clipping value c", min=0.001, max=0.1, default=0.01, log=True, steps=21,
           help="Every critic weight is clamped to [-c, c] after each step (Algorithm 1, line 7)."),
    Slider("fake_std", "Width (std) of the fake Gaussian", min=0.25, max=2.0, default=0.5, step=0.25,
           help="0.5 = the data's width: the CDFs never cross and the optimal critic is a line. Any other "
                "width makes them cross, and the optimum bends into a V."),
)

#: Learning rate of both functions (RMSProp). Larger than the paper's 5e-5 so that "till optimality"
#: takes hundreds rather than tens of thousands of steps; the end point is what this lesson studies.
LR = 1e-3
#: Seed of both training runs (same initial weights, same batches), and their batch size.
SEED = 0
BATCH = 256
#: Standard deviation of the fake Gaussian by default, and of the data (``gaussians-1d`` is N(0, 0.5²)).
FAKE_STD = 0.5
DATA_STD = 0.5
#: Central mass of ½(P_r + P_θ) over which the trained critic is compared with the exact optimum.
COMPARE_MASS = 0.98
#: Window over which the functions are drawn and normalised, and its resolution.
WINDOW = (-5.0, 5.0)
GRID_POINTS = 801
#: Where the discriminator counts as saturated: D within this distance of 0 or 1.
SATURATION = 0.01

INTRO = r"""
The GAN's trouble with disjoint supports (previous lessons) is a statement about the *optimal*
discriminator. Section 3 of the paper argues the opposite for the critic: the Wasserstein distance is
continuous and differentiable almost everywhere, so **we can — and should — train the critic till
optimality**. The more we train it, the better its gradient estimate. For the JS divergence the
opposite happens: a better discriminator means a *flatter* one where the fake samples are.

Figure 3 of the paper shows this with two Gaussians. Here it is, trained live by the same trainer
used everywhere in the course.
"""

EQUATIONS = r"""
**The two objectives** (the generator $g_\theta$ is frozen; only $w$ moves):

$$\text{GAN:}\quad \max_w\ \mathbb{E}_{x\sim\mathbb{P}_r}[\log D_w(x)] + \mathbb{E}_{z}[\log(1 - D_w(g_\theta(z)))]$$

whose optimum is $D^*(x) = p_r(x) / (p_r(x) + p_\theta(x))$;

$$\text{WGAN:}\quad \max_{w \in [-c, c]^l}\ \mathbb{E}_{x\sim\mathbb{P}_r}[f_w(x)] - \mathbb{E}_{z}[f_w(g_\theta(z))]$$

When the Gaussians barely overlap, $D^*$ is almost 1 on the data and almost 0 on the samples: a
sigmoid pushed into its flat tails. Its slope $|\nabla_x D^*(x)|$ is then nearly zero exactly where the
generator would need it.

**The optimal critic in one dimension.** Clipping every weight to $[-c, c]$ makes every
$f_w$ $K$-Lipschitz for one $K$ fixed by the architecture and $c$. Integrating by parts,
$\mathbb{E}_{\mathbb{P}_r}[f] - \mathbb{E}_{\mathbb{P}_\theta}[f] = \int f'(x)\,\big(F_\theta(x) - F_r(x)\big)\,dx$
with $F$ the two CDFs, so the best $K$-Lipschitz $f$ has slope $f'(x) = K\,\mathrm{sign}(F_\theta(x) - F_r(x))$:
it rises as steeply as allowed wherever one CDF lies above the other, and **turns where the CDFs cross**.
The optimum is a straight line $\pm K x + \text{const}$ only when the CDFs never cross — for two
Gaussians, when they have the same width (one is a shift of the other). With unequal widths the CDFs
cross once and the optimum is **V-shaped** (upside down when, as here, the data is the narrower one:
highest over the data); its gradient still has the same size at every sample, far
from the data or close to it. Set the fake width to something other than 0.5 to see it.
"""

FAIRNESS = r"""
**Comparing like with like.** $D$ is squeezed into $(0, 1)$; $f$'s scale depends on $c$ and the
width of the network (with $c = 0.01$ it is tiny). Raw gradients would make the critic look flat
simply because it is small. The generator's update is also rescaled by RMSProp, which divides by the
gradient's running size. So we compare each function's slope *relative to its own range over the
window*: the gradient of the function after mapping its values to $[0, 1]$. Under that measure a
line scores 1 everywhere, and a function that spends its whole range in one narrow step scores
near 0 everywhere else.

*Settings:* both functions train with RMSProp at $\alpha = 10^{-3}$ (the paper's $5\cdot10^{-5}$ would need
tens of thousands of steps to reach optimality; the end point is what this lesson studies) and batch 256.
"""

NON_SATURATING = r"""
*An aside:* the $-\log D$ trick differentiates $\log D = \log \operatorname{sigmoid}(h)$, whose slope
at the samples is roughly $h'(x)$ — it sidesteps the flat sigmoid. Arjovsky & Bottou (2017) show
that this trick trades vanishing gradients for unstable, high-variance updates; the critic needs no
such trick.
"""

WHAT_TO_NOTICE = [
    "The discriminator is a step: near 1 over the data, near 0 over the fake samples. The shaded "
    "saturated zone (D within 0.01 of 0 or 1) covers the fake Gaussian, and there its slope is ~0.",
    "With equal widths the critic is close to a straight line from the data to the fake samples and "
    "beyond, so its normalised slope is of order 1 at the fake samples — far from the data as well as near it.",
    "With unequal widths the CDFs cross and the exact optimum (dashed) is a V with its corner at the "
    "crossing; the trained critic follows the V, not a line — the correlations under the plot say how closely.",
    "The ratio in the metrics row is the paper's claim in one number: a typical generated sample gets "
    "orders of magnitude less (normalised) signal from an optimal discriminator than from an optimal "
    "critic. Only the few fake samples in the far tail, on the discriminator's step, get any.",
    "Move the fake Gaussian onto the data: the discriminator falls back to ~½ and loses its step, and "
    "the critic flattens because there is little left to separate.",
]

EXERCISES = (
    Exercise(
        question="Double the number of training iterations. Does the discriminator's slope at the fake "
                 "samples grow or shrink?",
        choices=("It grows: a better discriminator gives better gradients",
                 "It shrinks: a better discriminator saturates more",
                 "No change"),
        correct="It shrinks: a better discriminator saturates more",
        answer="It shrinks (or stays ~0). Training longer brings D closer to D* = p_r/(p_r + p_θ), which "
               "is flatter still over the fake samples. For the critic, training longer only makes the "
               "slope cleaner: that is why WGAN can train its critic to optimality.",
    ),
    Exercise(
        question="Raise the clipping value c from 0.01 to 0.1. What happens to the critic's raw values "
                 "and to its normalised slope?",
        answer="The raw values grow by orders of magnitude — while the weights sit at ±c the critic's scale "
               "grows like a power of c close to its number of weight layers, which the clipping lesson "
               "measures on a log–log plot — but the normalised slope stays close to 1: the shape does not "
               "depend on c, only its scale does. The scale is the paper's 'irrelevant scaling factor'.",
    ),
    Exercise(
        question="Put the fake Gaussian's mean equal to the data's. What should both functions look like "
                 "at optimality?",
        answer="With identical distributions D* = ½ everywhere and the best critic is any constant "
               "(E f(x) − E f(g(z)) = 0 for every f). Both trained functions come out nearly flat "
               "and their remaining shape is noise from finite batches.",
    ),
)


@dataclass(frozen=True)
class Fig3Result:
    """Everything Figure 3 needs. Arrays on ``grid`` have shape ``(GRID_POINTS,)``."""

    grid: np.ndarray           # x values of the window
    real: np.ndarray           # samples of P_r, shape (n,)
    fake: np.ndarray           # samples of P_theta, shape (n,)
    disc: np.ndarray           # D(x) = sigmoid(h(x)) on the grid
    critic: np.ndarray         # f(x) on the grid
    critic_unit: np.ndarray    # f rescaled to [0, 1] over the window, for drawing beside D
    disc_slope: np.ndarray     # range-normalised |D'(x)| on the grid
    critic_slope: np.ndarray   # range-normalised |f'(x)| on the grid
    saturated: np.ndarray      # bool mask on the grid: D < SATURATION or D > 1 - SATURATION
    disc_at_fake: float        # median normalised |D'| over the fake samples
    critic_at_fake: float      # median normalised |f'| over the fake samples
    disc_raw_at_fake: float    # median raw |D'| over the fake samples
    critic_raw_at_fake: float  # median raw |f'| over the fake samples
    saturated_share: float     # share of fake samples inside the saturated zone
    critic_range: float        # max f - min f on the window
    fake_std: float            # width of the fake Gaussian
    optimum_unit: np.ndarray   # the exact optimal 1-Lipschitz critic on the grid, rescaled to [0, 1]
    crossings: np.ndarray      # x where the two CDFs cross inside the window (empty: the optimum is a line)
    optimum_corr: float        # correlation of the trained critic with the exact optimum (central mass)
    linear_corr: float         # |correlation| of the trained critic with a straight line there

    @property
    def ratio(self) -> float:
        """Normalised discriminator slope over normalised critic slope at the fake samples."""
        return self.disc_at_fake / self.critic_at_fake if self.critic_at_fake > 0 else float("inf")


def _normalised_slope(values: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Raw $|h'(x)|$ by central differences, and the same divided by $\text{range}(h) / (b - a)$."""
    raw = np.abs(np.gradient(values, grid))
    span = float(values.max() - values.min())
    width = float(grid[-1] - grid[0])
    normalised = raw * width / span if span > 0 else np.zeros_like(raw)
    return raw, normalised


def exact_optimum(grid: np.ndarray, fake_mean: float, fake_std: float) -> tuple[np.ndarray, np.ndarray]:
    r"""The optimal 1-Lipschitz critic between N(0, DATA_STD²) and N(fake_mean, fake_std²) on ``grid``.

    $f^{*\prime}(x) = \mathrm{sign}(F_\theta(x) - F_r(x))$, integrated along the grid (up to a constant).
    Returns ``(f_star, crossings)``: its values and the points where the two CDFs cross.
    """
    from scipy.stats import norm

    gap = norm.cdf(grid, fake_mean, fake_std) - norm.cdf(grid, 0.0, DATA_STD)
    slope = np.sign(gap)
    f_star = np.concatenate([[0.0], np.cumsum(0.5 * (slope[1:] + slope[:-1]) * np.diff(grid))])
    clear = np.abs(gap) > 1e-12
    inner, signs = grid[clear], np.sign(gap[clear])
    flips = np.flatnonzero(np.diff(signs) != 0)
    return f_star, 0.5 * (inner[flips] + inner[flips + 1])


def _central(grid: np.ndarray, fake_mean: float, fake_std: float, mass: float = COMPARE_MASS) -> np.ndarray:
    """Mask of the grid points inside the central ``mass`` of ½(P_r + P_θ)."""
    from scipy.stats import norm

    cdf = 0.5 * (norm.cdf(grid, 0.0, DATA_STD) + norm.cdf(grid, fake_mean, fake_std))
    return (cdf >= (1 - mass) / 2) & (cdf <= 1 - (1 - mass) / 2)


def _trained_function(loss: str, fake_mean: float, iters: int, clip_value: float, grid: np.ndarray,
                      progress=None, share: tuple[float, float] = (0.0, 1.0), fake_std: float = FAKE_STD):
    """Train a critic (``loss='wgan'``) or a discriminator (``loss='gan'``) with the generator frozen.

    Returns the trainer (for its samples) and the raw network output on ``grid``, shape ``(G,)``.
    """
    from wgan_core.config import TrainConfig
    from wgan_core.device import THEORY_DEVICE  # a tiny MLP: faster on the CPU (see there)
    from wgan_core.models import AffineGenerator
    from wgan_core.trainer import Trainer

    config = TrainConfig(dataset="gaussians-1d", loss=loss, optimizer="rmsprop", lr=LR, clip_value=clip_value,
                         batch_size=BATCH, width=128, depth=3, seed=SEED, device=THEORY_DEVICE)
    generator = AffineGenerator(mean=fake_mean, std=fake_std, learnable=False)
    trainer = Trainer(config, generator=generator)
    chunk = max(1, iters // 10)
    done = 0
    while done < iters:  # in chunks, only so that the caller can show progress
        n = min(chunk, iters - done)
        trainer.train_critic(n)
        done += n
        if progress is not None:
            lo, hi = share
            progress(lo + (hi - lo) * done / iters, f"Training the {'critic' if loss == 'wgan' else 'discriminator'}")
    values = np.asarray(trainer.critic_values(grid[:, None]), dtype=np.float64).reshape(-1)
    return trainer, values


def fig3(fake_mean: float = 2.5, iters: int = 500, clip_value: float = 0.01, progress=None,
         n_samples: int = 2000, fake_std: float = FAKE_STD) -> Fig3Result:
    r"""Run the Fig 3 experiment: a GAN discriminator and a WGAN critic trained on the same pair.

    Parameters
    ----------
    fake_mean : float
        $\mu$ of the frozen fake Gaussian $\mathcal N(\mu, \text{FAKE\_STD}^2)$; the data is
        ``gaussians-1d``.
    iters : int
        Critic-only steps for each function (``Trainer.train_critic``), at least 1.
    clip_value : float
        $c$ of the WGAN critic (the discriminator is not clipped).
    progress : callable(fraction, text), optional
        Called as training advances.
    n_samples : int
        Samples of each distribution returned for drawing and for the slopes at the fake points.
    fake_std : float
        Width of the fake Gaussian; unequal to the data's (0.5), the CDFs cross and the optimum is a V.
    """
    if not (WINDOW[0] < fake_mean < WINDOW[1]):
        raise ValueError(f"fake_mean must lie inside the window {WINDOW}; got {fake_mean}")
    if int(iters) < 1:
        raise ValueError(f"iters must be at least 1; got {iters}")
    if not clip_value > 0:
        raise ValueError(f"clip_value must be positive; got {clip_value}")
    if not 0 < fake_std <= 5:
        raise ValueError(f"fake_std must be in (0, 5]; got {fake_std}")
    grid = np.linspace(*WINDOW, GRID_POINTS)
    gan, logits = _trained_function("gan", fake_mean, int(iters), clip_value, grid, progress, (0.0, 0.5), fake_std)
    _, critic = _trained_function("wgan", fake_mean, int(iters), clip_value, grid, progress, (0.5, 1.0), fake_std)
    f_star, crossings = exact_optimum(grid, fake_mean, fake_std)
    mid = _central(grid, fake_mean, fake_std)

    disc = 1.0 / (1.0 + np.exp(-logits))  # D(x) = sigmoid(h(x))
    disc_raw, disc_slope = _normalised_slope(disc, grid)
    critic_raw, critic_slope = _normalised_slope(critic, grid)

    real = np.asarray(gan.data.sample(n_samples).cpu().numpy(), dtype=np.float64).reshape(-1)
    fake = np.asarray(gan.sample(n_samples), dtype=np.float64).reshape(-1)
    inside = fake[(fake > WINDOW[0]) & (fake < WINDOW[1])]

    def at_fake(slope: np.ndarray) -> float:
        # the median: what a typical generated sample receives (a mean would be ruled by the few
        # samples in the far tail that land on the discriminator's steep step)
        return float(np.median(np.interp(inside, grid, slope)))

    span = float(critic.max() - critic.min())
    return Fig3Result(
        grid=grid, real=real, fake=fake, disc=disc, critic=critic,
        critic_unit=(critic - critic.min()) / span if span > 0 else np.zeros_like(critic),
        disc_slope=disc_slope, critic_slope=critic_slope,
        saturated=(disc < SATURATION) | (disc > 1.0 - SATURATION),
        disc_at_fake=at_fake(disc_slope), critic_at_fake=at_fake(critic_slope),
        disc_raw_at_fake=at_fake(disc_raw), critic_raw_at_fake=at_fake(critic_raw), critic_range=span,
        fake_std=float(fake_std), optimum_unit=_unit(f_star), crossings=crossings,
        optimum_corr=_corr(critic[mid], f_star[mid]), linear_corr=abs(_corr(critic[mid], grid[mid])),
        saturated_share=float(np.mean((np.interp(inside, grid, disc) < SATURATION)
                                      | (np.interp(inside, grid, disc) > 1.0 - SATURATION))),
    )


def _unit(values: np.ndarray) -> np.ndarray:
    span = float(values.max() - values.min())
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1]) if np.ptp(a) > 0 and np.ptp(b) > 0 else float("nan")


def shape_sentence(result: Fig3Result) -> str:
    """Markdown: whether the CDFs cross in this setting, and how close the trained critic is to the optimum."""
    if np.ptp(result.optimum_unit) == 0:
        return "The two distributions are identical: every constant is an optimal critic."
    if len(result.crossings):
        at = ", ".join(f"x = {x:.2f}" for x in result.crossings)
        where = (f"With the fake std {result.fake_std:g} ≠ the data's {DATA_STD:g} the CDFs cross at {at}: the "
                 "exact optimum turns there (a V).")
    elif result.fake_std == DATA_STD:
        where = (f"With equal widths (fake std {result.fake_std:g} = the data's) the CDFs never cross: the exact "
                 "optimum is a straight line.")
    else:
        where = (f"The widths differ ({result.fake_std:g} vs {DATA_STD:g}), so the CDFs cross once, at "
                 f"x = μσ_r/(σ_r − σ_θ) — outside this window: inside it the optimum is a straight line. Move "
                 "the mean towards 0 to bring the corner of the V into view.")
    corr = (f"Over the central {COMPARE_MASS:.0%} of the two distributions the trained critic correlates "
            f"{result.optimum_corr:.3f} with the exact optimum and {result.linear_corr:.3f} with a straight line")
    return f"{where} {corr}."
