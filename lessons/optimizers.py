r"""Optimizers (paper §4.3): RMSProp vs Adam with momentum on the critic.

The paper reports, as a negative result, that WGAN training "becomes unstable at times" with a
momentum-based optimizer such as Adam ($\beta_1 > 0$) on the critic, and that in those moments the
cosine between Adam's step and the gradient turned negative.

For a critic with parameters $w$ and gradient $g_t = \nabla_w \big[\tfrac1m\sum f_w(x) - \tfrac1m\sum
f_w(g_\theta(z))\big]$ of the objective it *maximises*, the two optimizers step along

$$\text{RMSProp:}\quad \Delta w_t = \alpha\,\frac{g_t}{\sqrt{v_t} + \epsilon},
\qquad v_t = \rho\, v_{t-1} + (1 - \rho)\, g_t^2,$$

$$\text{Adam:}\quad \Delta w_t = \alpha\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},
\qquad m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,$$

with the bias corrections $\hat m_t = m_t / (1 - \beta_1^t)$, $\hat v_t = v_t / (1 - \beta_2^t)$.
RMSProp divides each coordinate of the *current* gradient by a positive number, so

$$\cos(\Delta w_t, g_t) = \frac{\langle \Delta w_t, g_t\rangle}{\|\Delta w_t\|\,\|g_t\|} > 0$$

always. Adam steps along the running mean $\hat m_t$ of *past* gradients: when the objective moves
under it — and the critic's objective moves every time the generator does — $\hat m_t$ can point
against the current gradient, and the cosine goes negative. With $\beta_1 = 0$, $\hat m_t = g_t$
and Adam is RMSProp with bias correction: its cosine is positive again.

This module runs the same seeded toy WGAN (weight clipping, Algorithm 1) twice with
:class:`wgan_core.trainer.Trainer`: once with RMSProp and once with Adam at the chosen $\beta_1$,
recording the critic's update cosine (``config.track_update_cosine``), the critic estimate and the
exact $W_1$ of the samples at every metrics read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons import Exercise, Slider

TITLE = "Optimizers"
SUMMARY = ("RMSProp vs Adam on the same WGAN: momentum makes the critic's step point against its own "
           "gradient, and the run suffers when it does.")

CONTROLS = (
    Slider("beta1", "Adam β₁ (momentum)", min=0.0, max=0.95, default=0.9, step=0.05,
           help="β₁ = 0 removes momentum: Adam then steps along the current gradient, like RMSProp."),
    Slider("lr", "Learning rate α (both optimizers)", min=1e-4, max=1e-2, default=1e-3, log=True, steps=21,
           help="The paper also saw instability at high learning rates."),
    Slider("steps", "Generator iterations", min=100, max=3000, default=1000, step=100, integer=True),
)

INTRO = r"""
Algorithm 1 uses RMSProp, not Adam — at a time when Adam was everybody's default. The paper explains
why in one paragraph of Section 4.3: with momentum on the critic, training "becomes unstable at
times", and the paper reports that *at those unstable moments* the cosine between the Adam step and the
gradient usually turned negative — the optimizer walking uphill on the very loss it was meant to
descend. Here you can repeat that measurement on a toy WGAN. Negative steps are rare over a whole run
(the page counts them below); what to look for is whether they come when the run goes wrong.
"""

UPDATES = r"""
**The two updates.** Write
$g_t = \nabla_w \big[\tfrac1m\sum_i f_w(x^{(i)}) - \tfrac1m\sum_i f_w(g_\theta(z^{(i)}))\big]$
for the gradient of the objective the critic climbs (Algorithm 1, line 5).

$$\text{RMSProp:}\ \Delta w_t = \alpha\,\frac{g_t}{\sqrt{v_t} + \epsilon}, \quad v_t = \rho v_{t-1} + (1 - \rho) g_t^2$$

$$\text{Adam:}\ \Delta w_t = \alpha \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}$$

with the momentum $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$ and $v_t$ as in RMSProp with $\beta_2$ for $\rho$

(squares and divisions coordinate-wise; $\hat m_t, \hat v_t$ are bias-corrected). We measure, at
every critic step and before clipping,

$$\cos(\Delta w_t, g_t) = \frac{\langle \Delta w_t, g_t\rangle}{\|\Delta w_t\|\,\|g_t\|}.$$

For RMSProp each coordinate of $\Delta w_t$ is a coordinate of $g_t$ times a positive number, so the
cosine is always positive. Adam steps along $\hat m_t$, an average of *past* gradients: if the
current gradient has turned away from them, the cosine is negative and the step goes *down* the
objective the critic should be climbing. The curves below average the cosine over the
$n_\text{critic} \times 5$ critic steps between two reads.
"""

WHY_NONSTATIONARY = r"""
**Why momentum hurts here.** Momentum assumes the loss surface under the parameters stays put, so
past gradients are good advice about the next one. The critic's objective
$\mathbb{E}[f_w(x)] - \mathbb{E}[f_w(g_\theta(z))]$ changes every time the generator moves, and with
clipping the critic's weights keep bouncing off the walls of the box $[-c, c]^l$. Advice from the
past then points the wrong way. RMSProp keeps only a running *scale* of the gradient, never a
running *direction*, so every step points uphill on the current objective. WGAN-GP later went back
to Adam — but with $\beta_1 = 0$, i.e. without momentum (Gulrajani et al.'s Algorithm 1; the toy
WGAN-GP runs of the other lessons use $\beta_1 = 0.5$, and say so where they run).
"""

WHAT_TO_NOTICE = [
    "RMSProp's cosine never goes below zero — it cannot: each coordinate of the gradient is divided by a "
    "positive number. Its dotted 'worst step' line stays above zero too.",
    "Adam with β₁ > 0 steps along an average of past gradients. Its worst-step line dips below zero now "
    "and then: a small share of its critic updates (the number above the curves) walk downhill on the "
    "critic's own objective.",
    "Look at the shaded reads, the moments with a negative step, against Adam's exact W1: the sentence "
    "under the curves gives the W1 at those reads and at the others — the paper's observation in "
    "miniature. Not every blow-up has a negative step: momentum also hurts quietly, through stale "
    "gradients.",
    "The run with momentum ends worse than RMSProp's on the same seed (the two final W1 above); set "
    "β₁ = 0 and Adam's run moves back toward RMSProp's.",
]

EXERCISES = (
    Exercise(
        question="Set β₁ = 0. What will the cosine between Adam's step and the gradient be?",
        choices=("Always positive", "Sometimes negative", "Exactly 1"),
        correct="Always positive",
        answer="Always positive. With β₁ = 0 the first moment is the current gradient, so the step is g / "
               "(√v̂ + ε) coordinate-wise — a positive rescaling of each coordinate. That keeps the "
               "angle with g below 90°, but not at 0° (so not exactly 1): coordinates are rescaled by "
               "different amounts.",
    ),
    Exercise(
        question="Why does momentum hurt the critic more than it would a classifier trained on a fixed "
                 "data set?",
        answer="The critic's objective is nonstationary: it depends on the generator, which moves after "
               "every n_critic critic steps, and clipping keeps resetting the weights to the box. "
               "Momentum averages gradients of objectives that no longer exist, so its step can point "
               "against the current gradient. A classifier's loss surface stays the same, so past "
               "gradients stay good advice.",
    ),
    Exercise(
        question="Raise the learning rate to 1e-2 with β₁ = 0.9. Predict how the share of negative-cosine "
                 "critic steps and the final W1 change — for Adam, and for RMSProp.",
        answer="Adam's share of negative-cosine critic steps grows above its share at 1e-3. RMSProp is "
               "not immune to the high rate either: its cosine stays positive, but its final W1 ends well "
               "above its W1 at 1e-3. The paper names both momentum and high learning rates as causes of "
               "instability; only the first shows in the cosine.",
    ),
)

#: Data set, seed and shape of the toy run shared by both optimizers (Algorithm 1, weight clipping).
DATASET = "8gaussians"
SEED = 0
#: Metric reads: every READ_EVERY generator iterations (each read averages the cosine over the
#: n_critic · READ_EVERY critic steps since the previous one, and solves an exact W1).
READ_EVERY = 5
EVAL_SAMPLES = 256
#: Networks of both runs: wider than the toy preset's and with a 2-D latent, the setting in which we
#: saw Adam's critic steps turn against the gradient (the preset's smaller nets rarely do).
NETWORK = dict(width=128, depth=3, z_dim=2)
#: The rest of Algorithm 1's settings (the toy WGAN preset's values, pinned here).
WGAN = dict(loss="wgan", clip_value=0.05, n_critic=5, batch_size=256)


@dataclass(frozen=True)
class OptimizerRun:
    """One run. Curves have shape ``(K,)`` over the metric reads at generator iterations ``steps``."""

    name: str
    optimizer: str
    beta1: float
    steps: np.ndarray
    cosine: np.ndarray        # mean cos(Δw, g) of the critic's updates since the previous read
    cosine_min: np.ndarray    # smallest cos(Δw, g) among those updates
    negative_frac: np.ndarray  # share of those updates whose cosine was negative
    w1: np.ndarray            # exact W1 between generated samples and held-out data
    estimate: np.ndarray      # critic estimate E f(x) − E f(g(z)) since the previous read

    @property
    def negative(self) -> np.ndarray:
        """Boolean mask of the reads during which at least one critic step had a negative cosine."""
        return self.cosine_min < 0

    @property
    def negative_share(self) -> float:
        """Share of all critic updates of the run whose cosine was negative."""
        return float(self.negative_frac.mean())

    def w1_where(self, negative: bool) -> float:
        """Mean exact W1 over the reads with negative (or non-negative) cosine; NaN if there are none."""
        mask = self.negative if negative else ~self.negative
        return float(self.w1[mask].mean()) if mask.any() else float("nan")

    @property
    def final_w1(self) -> float:
        """Exact W1 averaged over the last fifth of the run (one read is noisy)."""
        return float(self.w1[-max(1, len(self.w1) // 5):].mean())


def _config(optimizer: str, beta1: float, lr: float):
    from wgan_core.config import TrainConfig
    from wgan_core.device import THEORY_DEVICE  # recorded toy runs: faster on the CPU (see there)

    return TrainConfig(**WGAN, **NETWORK, dataset=DATASET, seed=SEED, device=THEORY_DEVICE, optimizer=optimizer,
                       lr=float(lr), betas=(float(beta1), 0.999), eval_samples=EVAL_SAMPLES,
                       track_update_cosine=True)


def _record(name: str, config, steps: int, progress, share: tuple[float, float]) -> OptimizerRun:
    from wgan_core.trainer import Trainer

    trainer = Trainer(config)
    rows = []
    for log in trainer.run(steps, metrics_every=READ_EVERY):
        rows.append((log["g_step"], log["update_cosine"], log["update_cosine_min"], log["update_cosine_negative"],
                     log["w1_exact"], log["critic_estimate"]))
        if progress is not None:
            lo, hi = share
            progress(lo + (hi - lo) * log["g_step"] / steps, f"Training with {name}")
    g, cos, low, neg, w1, est = (np.array(col, dtype=np.float64) for col in zip(*rows, strict=True))
    return OptimizerRun(name=name, optimizer=config.optimizer, beta1=config.betas[0], steps=g, cosine=cos,
                        cosine_min=low, negative_frac=neg, w1=w1, estimate=est)


def train(optimizer: str, beta1: float = 0.0, lr: float = 1e-3, steps: int = 1000, progress=None,
          share: tuple[float, float] = (0.0, 1.0)) -> OptimizerRun:
    r"""Train the toy WGAN with one optimizer and record its update cosines and W1.

    Parameters
    ----------
    optimizer : {"rmsprop", "adam"}
    beta1 : float
        Adam's momentum coefficient $\beta_1 \in [0, 1)$ (RMSProp has none: 0).
    lr : float
        Learning rate $\alpha$ of both networks.
    steps : int
        Generator iterations (at least ``READ_EVERY``).
    progress : callable(fraction, text), optional
        Told the fraction done, scaled into ``share``.
    """
    if optimizer not in ("rmsprop", "adam"):
        raise ValueError(f"optimizer must be 'rmsprop' or 'adam'; got {optimizer!r}")
    if not 0.0 <= beta1 < 1.0:
        raise ValueError(f"beta1 must be in [0, 1); got {beta1}")
    if not 0.0 < lr <= 1.0:
        raise ValueError(f"lr must be in (0, 1]; got {lr}")
    if int(steps) < READ_EVERY:
        raise ValueError(f"steps must be at least {READ_EVERY}; got {steps}")
    name = "RMSProp" if optimizer == "rmsprop" else f"Adam (β₁ = {beta1:g})"
    return _record(name, _config(optimizer, beta1 if optimizer == "adam" else 0.0, lr), int(steps), progress, share)


def compare(beta1: float = 0.9, lr: float = 1e-3, steps: int = 1000, progress=None) -> tuple[OptimizerRun, ...]:
    r"""Train the same toy WGAN with RMSProp and with Adam($\beta_1$, 0.999); return both runs
    (arguments as in :func:`train`)."""
    if not 0.0 <= beta1 < 1.0:  # before the first run, not after it
        raise ValueError(f"beta1 must be in [0, 1); got {beta1}")
    rms = train("rmsprop", 0.0, lr, steps, progress, (0.0, 0.5))
    adam = train("adam", beta1, lr, steps, progress, (0.5, 1.0))
    return rms, adam


def findings(rms: OptimizerRun, adam: OptimizerRun) -> str:
    """Markdown: what the two runs on screen measured (negative steps, where they fell, final W1)."""
    where = adam.steps[adam.negative]
    first = (f"the first at generator iteration {int(where[0])}" if len(where) else "none")
    return (f"**Measured in these runs** (seed {SEED}, {int(rms.steps[-1])} generator iterations): "
            f"{rms.negative_share:.2%} of RMSProp's critic steps and {adam.negative_share:.2%} of {adam.name}'s "
            f"pointed against the gradient; {len(where)} of Adam's {len(adam.steps)} reads held one ({first}). "
            f"Final exact W1 (mean of the last fifth): RMSProp {rms.final_w1:.2f}, Adam {adam.final_w1:.2f}. "
            f"Settings: clip c = {WGAN['clip_value']:g}, n_critic {WGAN['n_critic']}, batch {WGAN['batch_size']}, "
            f"MLPs of width {NETWORK['width']} with a {NETWORK['z_dim']}-D latent, lr on the slider (the paper's "
            f"Algorithm 1: c = 0.01, batch 64, lr 5e-5).")
