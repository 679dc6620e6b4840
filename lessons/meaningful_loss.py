r"""A loss that means something (paper §4.3, Figs 4–5).

Because the critic is trained (nearly) to optimality before every generator step, the critic's
objective at that moment,

$$\widehat{W} = \frac{1}{m}\sum_{i=1}^m f_w(x^{(i)}) - \frac{1}{m}\sum_{i=1}^m f_w(g_\theta(z^{(i)})),$$

is an estimate of the earth-mover distance $W(\mathbb{P}_r, \mathbb{P}_\theta)$ up to the constant
$K$ fixed by the clipping box (paper eq. 3). A GAN's discriminator objective

$$L(D, g_\theta) = \mathbb{E}_{x\sim\mathbb{P}_r}[\log D(x)] + \mathbb{E}_{x\sim\mathbb{P}_\theta}[\log(1 - D(x))]$$

is a lower bound of $2\,JS(\mathbb{P}_r, \mathbb{P}_\theta) - 2\log 2$, so $\tfrac12 L + \log 2$ is a
lower bound of the JS divergence (usual definition with the $\tfrac12$ factors, maximum $\log 2$).

This module runs three seeded toy trainings with :class:`wgan_core.trainer.Trainer` — a WGAN, a GAN,
and a WGAN with a far too high learning rate — and records, at regular generator steps, each run's
loss-based estimate, the *exact* $W_1$ between fresh samples and data (POT, Euclidean cost), and a
batch of samples. Curves are median-filtered for display, as in the paper; the correlation with
sample quality (Spearman's $\rho$ against the exact $W_1$) is computed on the raw values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons import Choice, Exercise, Slider

TITLE = "A loss that means something"
SUMMARY = ("Watch the WGAN critic's loss track the true earth-mover distance and the samples' quality, "
           "while the GAN's JS estimate barely follows them (and can never exceed log 2).")
#: The paper's figures that `python -m lessons figure N` reproduces from this lesson's computation.
PAPER_FIGURES = ("4",)

CONTROLS = (
    Choice("dataset", "Data set", options=("8gaussians", "25gaussians", "swissroll"), default="8gaussians",
           labels={"8gaussians": "8 Gaussians", "25gaussians": "25 Gaussians", "swissroll": "Swiss roll"}),
    Slider("steps", "Generator iterations", min=100, max=3000, default=1500, step=100, integer=True),
    Slider("failed_lr", "Learning rate of the failed run", min=0.003, max=0.3, default=0.1, log=True, steps=21,
           help="Both networks of the third run use this learning rate (the paper's lower panels)."),
    Slider("median_window", "Median filter width (points)", min=1, max=15, default=5, step=2, integer=True,
           help="Display only: correlations are computed on the raw curves."),
)

INTRO = r"""
Before WGAN, a GAN's training curves told you almost nothing: the discriminator's loss went up, down
or nowhere regardless of whether the samples improved, and the only way to know how training went was
to stare at samples. Section 4.3 of the paper claims WGAN fixes this: because the critic is trained
to (near) optimality before each generator step, **its loss is an estimate of the earth-mover
distance**, and that estimate goes down as the samples get better.

Here we check that claim on toy data, where — unlike on images — we can compute the *true*
$W_1$ between the generator's samples and the data exactly, and compare.
"""

EQUATIONS = r"""
**WGAN (Fig 4).** After the $n_\text{critic}$ critic steps of Algorithm 1, the critic's objective is

$$\widehat{W} = \frac1m \sum_i [f_w(x^{(i)}) - f_w(g_\theta(z^{(i)}))] \approx K\,W(\mathbb{P}_r, \mathbb{P}_\theta)$$

where $K$ is the Lipschitz constant the clipping box allows. So its *shape* over training should
follow the true distance; its *scale* depends on the critic's architecture and $c$.

**GAN (Fig 5).** The discriminator maximises
$L(D, g_\theta) = \mathbb{E}_{x\sim\mathbb{P}_r}[\log D(x)] + \mathbb{E}_{x\sim\mathbb{P}_\theta}[\log(1 - D(x))]$,
a lower bound of $2\,JS - 2\log 2$. We plot

$$\widehat{JS} = \tfrac12 L(D, g_\theta) + \log 2 \le JS(\mathbb{P}_r, \mathbb{P}_\theta) \le \log 2 \approx 0.693$$

(We use the usual JS with the $\tfrac12$ factors; the paper's Section 2 writes it without them, but
its bound and its $\log 2$ ceiling are those of the usual definition.)

**Sample quality** is the exact $W_1$ between $n$ fresh generator samples and a held-out real set,
solved with POT's network simplex on the Euclidean cost — available only because the data is a toy.
We report Spearman's rank correlation $\rho$ between each loss curve and this quality curve: $+1$
means the loss goes down exactly when the samples get better.
"""

FAILED = r"""
**A failed run** (the paper's lower panels): the same WGAN with a learning rate far too high for
both networks. The first few huge updates wreck both players: the generator's samples are thrown away
from the modes (its exact $W_1$ ends more than twice the working WGAN's),
the critic's estimate drops to $\approx 0$ and stays there, and the loss no longer says anything about
the samples. The curve is honest — it just has nothing
good to report.
"""

WHAT_TO_NOTICE = [
    "The WGAN's critic estimate and the exact W1 fall together, and the sample snapshots improve as "
    "both curves go down: its ρ above is close to +1.",
    "The critic estimate and the exact W1 differ by a scale factor (the Lipschitz constant K of the "
    "clipped critic): the shapes agree, the numbers do not — the paper's caution about comparing "
    "models with different critics.",
    "The GAN's JS estimate is a poorer guide: it wanders down and up with no steady relation to the "
    "samples (compare its ρ with the WGAN's), and it can never exceed log 2 ≈ 0.69, so it cannot say how "
    "far apart two barely overlapping distributions are.",
    "The failed high-learning-rate run's loss is flat at zero while its samples sit far from the modes — "
    "like the lower panels of Fig 4.",
]

EXERCISES = (
    Exercise(
        question="Before looking at the numbers: which correlation with sample quality (Spearman ρ "
                 "against the exact W1) will be higher, the WGAN critic estimate's or the GAN's JS "
                 "estimate's?",
        choices=("WGAN's critic estimate", "GAN's JS estimate", "About the same"),
        correct="WGAN's critic estimate",
        answer="The WGAN's (the two ρ above the curves). Its loss "
               "estimates K·W1, which is the quality measure up to scale. The GAN's discriminator "
               "bounds the JS divergence, which is capped at log 2 and barely changes once the supports "
               "stop overlapping, so its value says how easily the current samples are told apart, "
               "not how far they are from the data.",
    ),
    Exercise(
        question="The WGAN's critic estimate ends far below the exact W1 (the numbers under the runs). "
                 "Is the critic wrong?",
        answer="Not necessarily. The critic is K-Lipschitz for a K fixed by the clipping box and the "
               "architecture, so it estimates K·W1, not W1; the ratio of the two numbers under the runs "
               "is this run's K (the clipping lesson measures how it grows with c). That scale factor is "
               "why the paper does not propose the loss as a way to compare models with different "
               "critics — only to follow one run.",
    ),
    Exercise(
        question="Lower the failed run's learning rate step by step. What do you expect to see in its "
                 "curve once training starts to work?",
        answer="Once the rate is low enough (the healthy WGAN run uses the rate of the settings above) "
               "the curve stops being flat: "
               "it starts high and comes down while the samples improve, like the upper panels of Fig 4. "
               "Either way the curve tells the truth, and a flat critic estimate is itself a diagnosis: "
               "nothing is being learned.",
    ),
)

#: Seed shared by the three runs (same networks at step 0, same data stream).
SEED = 0
#: Metric reads per run (the curves' resolution) and the fractions of the run where samples are kept.
READS = 40
SNAPSHOT_AT = (0.05, 0.25, 0.5, 1.0)
#: Generator samples per snapshot (drawn from the trainer's fixed noise, so panels are comparable).
SNAPSHOT_SAMPLES = 400
#: Held-out real points and generated points used for the exact W1 at every read.
EVAL_SAMPLES = 400
#: Settings of the runs, pinned here so that the lesson's notes stay true if the presets are retuned.
#: They differ from the toy presets of :mod:`wgan_core.config` (the WGAN's lr is 1e-3, toy-wgan's 5e-4;
#: the GAN is toy-gan-slow-d's) and from the paper; :func:`settings_note` states both on screen.
WGAN = dict(loss="wgan", optimizer="rmsprop", lr=1e-3, clip_value=0.05, n_critic=5, batch_size=256,
            width=64, depth=3, z_dim=8)
GAN = dict(loss="gan", optimizer="adam", lr=1e-3, betas=(0.5, 0.999), critic_lr_ratio=0.3, n_critic=1,
           batch_size=256, width=64, depth=3, z_dim=8)
#: The three runs: a name, its settings and the label of its loss-based estimate.
RUNS = (
    ("WGAN", WGAN, "critic estimate Ŵ"),
    ("GAN", GAN, "JS estimate ½L + log 2"),
    ("WGAN, learning rate too high", WGAN, "critic estimate Ŵ"),
)


@dataclass(frozen=True)
class RunCurves:
    """One recorded run. Curves have shape ``(K,)``; ``snapshots`` has shape ``(S, n, 2)``."""

    name: str
    loss: str
    lr: float
    steps: np.ndarray
    estimate: np.ndarray
    estimate_label: str
    w1: np.ndarray
    snapshot_steps: np.ndarray
    snapshots: np.ndarray
    rho: float  # Spearman correlation of the raw estimate with the exact W1 (NaN if either is flat)


@dataclass(frozen=True)
class LossCurves:
    """The three runs of the lesson on one data set, with the data for drawing."""

    dataset: str
    real: np.ndarray   # held-out real points, shape (n, 2)
    extent: float      # half-width of a square that holds the data
    runs: tuple[RunCurves, ...]


def record_run(name: str, config, steps: int, label: str, progress=None,
               share: tuple[float, float] = (0.0, 1.0)) -> RunCurves:
    """Train one run with the Trainer, reading metrics ``READS`` times and keeping snapshots."""
    from wgan_core.metrics import spearman
    from wgan_core.trainer import Trainer

    trainer = Trainer(config)
    every = max(1, steps // READS)
    # snapshot steps: multiples of `every` (where run() yields) nearest to the fractions, or the end
    keep = {min(steps, max(every, int(round(f * steps / every)) * every)) for f in SNAPSHOT_AT}
    key = "js_estimate" if config.loss in ("gan", "gan-minimax") else "critic_estimate"
    noise = trainer.fixed_noise[:SNAPSHOT_SAMPLES]
    rows, snaps, snap_steps = [], [], []
    for log in trainer.run(steps, metrics_every=every):
        rows.append((log["g_step"], log[key], log["w1_exact"]))
        if log["g_step"] in keep:
            snaps.append(trainer.sample(len(noise), noise=noise))
            snap_steps.append(log["g_step"])
        if progress is not None:
            lo, hi = share
            progress(lo + (hi - lo) * log["g_step"] / steps, f"Training: {name}")
    g, est, w1 = (np.array(col, dtype=np.float64) for col in zip(*rows, strict=True))
    flat = np.ptp(est) == 0 or np.ptp(w1) == 0
    rho = float("nan") if flat or len(g) < 3 else spearman(est, w1)
    return RunCurves(name=name, loss=config.loss, lr=config.lr, steps=g, estimate=est, estimate_label=label,
                     w1=w1, snapshot_steps=np.array(snap_steps), snapshots=np.stack(snaps), rho=rho)


def loss_curves(dataset: str = "8gaussians", steps: int = 1500, failed_lr: float = 0.1,
                progress=None) -> LossCurves:
    r"""Run the WGAN, the GAN and the failed WGAN on ``dataset`` and record their curves.

    Parameters
    ----------
    dataset : str
        A 2-D toy of :mod:`wgan_core.data` (``8gaussians``, ``25gaussians``, ``swissroll``).
    steps : int
        Generator iterations of every run (at least ``READS // 4``).
    failed_lr : float
        Learning rate $\alpha$ of both networks in the third run.
    progress : callable(fraction, text), optional
        Called after every metric read.

    Returns
    -------
    LossCurves
        Runs in the order of :data:`RUNS`.
    """
    from wgan_core.config import TrainConfig
    from wgan_core.data import make_toy

    if dataset not in ("8gaussians", "25gaussians", "swissroll"):
        raise ValueError(f"dataset must be 8gaussians, 25gaussians or swissroll; got {dataset!r}")
    if int(steps) < READS // 4:
        raise ValueError(f"steps must be at least {READS // 4}; got {steps}")
    if not 0 < failed_lr <= 1:
        raise ValueError(f"failed_lr must be in (0, 1]; got {failed_lr}")
    from wgan_core.device import THEORY_DEVICE  # recorded toy runs: faster on the CPU (see there)

    common = dict(dataset=dataset, seed=SEED, device=THEORY_DEVICE, eval_samples=EVAL_SAMPLES)
    configs = [TrainConfig(**RUNS[0][1], **common), TrainConfig(**RUNS[1][1], **common),
               TrainConfig(**{**RUNS[2][1], "lr": float(failed_lr)}, **common)]
    runs = tuple(record_run(name, cfg, int(steps), label, progress, (i / 3, (i + 1) / 3))
                 for i, ((name, _, label), cfg) in enumerate(zip(RUNS, configs, strict=True)))
    real = make_toy(dataset, seed=SEED, eval_samples=EVAL_SAMPLES).heldout()
    return LossCurves(dataset=dataset, real=real, extent=float(np.abs(real).max() * 1.25), runs=runs)


def smooth(run: RunCurves, window: int) -> np.ndarray:
    """The run's estimate through the median filter of width ``window`` (odd), as in Figs 4–5."""
    from wgan_core.metrics import median_filter

    return median_filter(run.estimate, int(window))


#: The paper's Algorithm 1 settings, which :func:`settings_note` compares with the lesson's runs.
PAPER_WGAN = dict(optimizer="rmsprop", lr=5e-5, clip_value=0.01, n_critic=5, batch_size=64)


def settings_note() -> str:
    """Markdown: the runs' settings and where they differ from the toy presets and from the paper."""
    from wgan_core.config import PRESETS

    def diff(mine: dict, ref: dict) -> str:
        keys = [k for k in ref if k in mine and mine[k] != ref[k]]
        return ", ".join(f"{k} {mine[k]:g} (there {ref[k]:g})" if isinstance(mine[k], float)
                         else f"{k} {mine[k]} (there {ref[k]})" for k in keys) or "none"

    return (f"**Settings.** WGAN: RMSProp, lr {WGAN['lr']:g}, clip c = {WGAN['clip_value']:g}, "
            f"n_critic {WGAN['n_critic']}, batch {WGAN['batch_size']}, MLPs of width {WGAN['width']}. "
            f"Differences from the `toy-wgan` preset: {diff(WGAN, PRESETS['toy-wgan'])}; from the paper's "
            f"Algorithm 1: {diff(WGAN, PAPER_WGAN)} — raised so that a CPU shows the curves in a minute. "
            f"GAN: Adam(lr {GAN['lr']:g}, β₁ = {GAN['betas'][0]:g}), the discriminator at "
            f"{GAN['critic_lr_ratio']:g}× that rate, one discriminator step per generator step "
            f"(differences from `toy-gan-slow-d`: {diff(GAN, PRESETS['toy-gan-slow-d'])}).")


def findings(result: LossCurves) -> str:
    """Markdown: what the runs on screen measured — both correlations and the WGAN's scale factor."""
    wgan, gan, failed = result.runs

    def rho(value: float) -> str:
        return "n/a (a flat curve)" if np.isnan(value) else f"{value:+.2f}"

    ratio = wgan.estimate[-1] / wgan.w1[-1] if wgan.w1[-1] > 0 else float("nan")
    return (f"**Measured in these runs** ({result.dataset}, {int(wgan.steps[-1])} generator iterations, seed "
            f"{SEED}): ρ(critic estimate, exact W1) = **{rho(wgan.rho)}** for the WGAN and ρ(JS estimate, exact "
            f"W1) = **{rho(gan.rho)}** for the GAN. The WGAN's critic estimate ends at {wgan.estimate[-1]:.2g} "
            f"while the exact W1 of its samples is {wgan.w1[-1]:.3f}: a scale factor K ≈ {ratio:.2g}. The GAN's "
            f"JS estimate ends at {gan.estimate[-1]:.3f} (at most log 2 ≈ 0.693). The failed run's exact W1 "
            f"ends at {failed.w1[-1]:.2f}.")
