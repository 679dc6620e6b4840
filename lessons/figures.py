r"""The paper's figures as numbers, for the command line (``python -m lessons figure N``).

Each function runs the same computation that the lesson for that figure draws in the app, and
returns a :class:`Figure`: a table of the numbers the figure shows, one line for each claim the
figure makes (each line states the measured value, so that the reader can judge the claim), and
the arrays behind the curves. The CLI prints the table and the lines, and writes the arrays to
``figure.npz`` and the rest to ``figure.json``.

* Figure 1 (:func:`figure_1`): Example 1, parallel lines. $W$, JS, KL and TV as functions of
  $\theta$ in closed form, and the same distances estimated from samples (exact $W_1$ with POT,
  histogram divergences with scipy).
* Figure 3 (:func:`figure_3`): the optimal discriminator and the optimal critic between two 1-D
  Gaussians, and the slopes that each gives the generated samples.
* Figures 4 and 5 (:func:`figures_4_5`): the critic's estimate of $W$ and the GAN's estimate of JS
  during training, each beside the exact $W_1$ between real and generated samples.

Figure 2 (mixture of Gaussians) is :func:`wgan_core.compare.compare`, whose verdict states each run's
coverage and what the seed table measured at the same setting; Figures 6–8 (images) are
``train-images`` runs; :mod:`lessons.__main__` runs those for ``figure 2`` and ``figure 6|7|8``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Figure", "figure_1", "figure_3", "figures_4_5", "command", "FIGURE_1_THETAS"]

#: θ values of Figure 1's table (the curves use the lesson's full grid).
FIGURE_1_THETAS = (-1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0)


def command(number: str) -> str:
    """The shell command that reproduces figure ``number`` without the app (shown under its lesson)."""
    return f"python -m lessons figure {number}"


@dataclass
class Figure:
    """A reproduced figure: its table, its claims with their measured values, and its arrays."""

    number: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple]
    claims: list[str]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def table(self) -> str:
        """The rows as aligned text (floats to 4 significant digits, ∞ for infinity)."""
        def cell(v) -> str:
            if isinstance(v, float):
                return "∞" if math.isinf(v) else ("nan" if math.isnan(v) else f"{v:.4g}")
            return str(v)

        text = [self.columns] + [tuple(cell(v) for v in row) for row in self.rows]
        widths = [max(len(r[i]) for r in text) for i in range(len(self.columns))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in text)

    def to_json(self) -> dict:
        """Everything but the arrays, with infinities as the string ``"inf"`` (JSON has none)."""
        def clean(v):
            if isinstance(v, float) and not math.isfinite(v):
                return str(v)
            return v

        return {"figure": self.number, "title": self.title, "settings": self.settings,
                "columns": list(self.columns), "rows": [[clean(v) for v in row] for row in self.rows],
                "claims": self.claims, "arrays": sorted(self.arrays)}


def figure_1(samples: int = 2000, seeds: int = 4) -> Figure:
    r"""Figure 1: distances between $\mathbb P_0$ and $\mathbb P_\theta$ (paper Example 1).

    Closed forms from :func:`lessons.parallel_lines.example1_distances` at :data:`FIGURE_1_THETAS`, and the
    sample estimates of :func:`lessons.parallel_lines.estimate_curves` (``samples`` points per line,
    ``seeds`` draws, mean over draws).
    """
    from . import parallel_lines as pl

    if int(samples) < 2:
        raise ValueError(f"samples must be at least 2; got {samples}")
    thetas = np.array(FIGURE_1_THETAS)
    exact = pl.closed_form_curves(thetas)
    est = pl.estimate_curves(int(samples), thetas=thetas, seeds=int(seeds))
    w_est, js_est = est.mean("W"), est.mean("JS")
    rows = [(float(t), float(exact["W"][i]), float(w_est[i]), float(exact["JS"][i]), float(js_est[i]),
             float(exact["KL"][i]), float(exact["TV"][i])) for i, t in enumerate(thetas)]
    grid = np.asarray(pl.THETA_GRID, dtype=float)
    curves = pl.closed_form_curves(grid)
    near = np.abs(thetas) == 0.1
    claims = [
        f"W(P0, Pθ) = |θ| is continuous: the largest gap between the POT estimate and |θ| is "
        f"{float(np.max(np.abs(w_est - np.abs(thetas)))):.4f} with {int(samples)} points per line.",
        f"JS jumps: {float(exact['JS'][thetas == 0][0]):.4f} at θ = 0, log 2 = {math.log(2):.4f} at every θ ≠ 0 "
        f"(θ = ±0.1 included), so a small step towards θ = 0 does not lower it.",
        f"KL is +∞ for every θ ≠ 0 and TV is {float(exact['TV'][near][0]):g}: neither gives a gradient either.",
        f"The estimate from samples shows the same jump: scipy's JS between the two 2-D histograms is "
        f"{float(js_est[thetas == 0][0]):.4f} at θ = 0 and {float(np.mean(js_est[near])):.4f} at θ = ±0.1.",
    ]
    return Figure(number="1", title="Distances between parallel lines (Example 1)",
                  columns=("theta", "W exact", "W (POT)", "JS exact", "JS (scipy)", "KL", "TV"), rows=rows,
                  claims=claims, settings={"samples": int(samples), "seeds": int(seeds)},
                  arrays={"theta": grid, **{f"closed_{k}": v for k, v in curves.items()},
                          "table_theta": thetas, "W_estimate": w_est, "JS_estimate": js_est})


def figure_3(iters: int = 500, fake_mean: float = 2.5, clip_value: float = 0.01) -> Figure:
    r"""Figure 3: a discriminator and a clipped critic trained to optimality on the same two Gaussians.

    Runs :func:`lessons.optimal_critic.fig3` (``iters`` critic-only steps for each network).
    """
    from . import optimal_critic as oc

    r = oc.fig3(fake_mean=fake_mean, iters=int(iters), clip_value=clip_value)
    fake = r.fake[(r.fake > r.grid[0]) & (r.fake < r.grid[-1])]
    c10, c90 = np.percentile(np.interp(fake, r.grid, r.critic_slope), [10, 90])
    d10, d90 = np.percentile(np.interp(fake, r.grid, r.disc_slope), [10, 90])
    # the generator ascends f: its samples move along f'(x); "towards the data" means towards the real mean
    ascent = np.interp(fake, r.grid, np.gradient(r.critic, r.grid))
    towards = float(np.mean(ascent * (float(np.mean(r.real)) - fake) > 0))
    rows = [
        ("median |slope| at the generated samples, normalised", r.disc_at_fake, r.critic_at_fake),
        ("median |slope| at the generated samples, raw", r.disc_raw_at_fake, r.critic_raw_at_fake),
        ("range over the window", float(r.disc.max() - r.disc.min()), r.critic_range),
    ]
    claims = [
        f"The discriminator saturates: {100 * r.saturated_share:.0f}% of the generated samples lie where "
        f"D < {oc.SATURATION} or D > {1 - oc.SATURATION}.",
        f"There its slope is small: normalised by each function's range over the window, the "
        f"discriminator's median slope at the generated samples is {r.disc_at_fake:.3g} against the "
        f"critic's {r.critic_at_fake:.3g} (ratio {r.ratio:.3g}).",
        f"The clipped critic is close to linear (equal widths: the CDFs never cross, so the optimum is a line; "
        f"CDF crossings in the window: {len(r.crossings)}): across the generated samples its normalised slope stays "
        f"between {c10:.2f} and {c90:.2f} (10th to 90th percentile), where the discriminator's runs from "
        f"{d10:.2g} to {d90:.2g}. For {100 * towards:.0f}% of the samples, the critic's gradient points "
        f"towards the real data.",
    ]
    return Figure(number="3", title="Optimal discriminator and critic (two 1-D Gaussians)",
                  columns=("quantity", "GAN discriminator D", "WGAN critic f"), rows=rows, claims=claims,
                  settings={"iters": int(iters), "fake_mean": fake_mean, "clip_value": clip_value},
                  arrays={"x": r.grid, "D": r.disc, "critic": r.critic, "D_slope": r.disc_slope,
                          "critic_slope": r.critic_slope, "real": r.real, "fake": r.fake})


def figures_4_5(steps: int = 1500, dataset: str = "8gaussians", failed_lr: float = 0.1) -> Figure:
    r"""Figures 4 and 5: the training curves of :func:`lessons.meaningful_loss.loss_curves`.

    These are three runs: a WGAN, a GAN, and a WGAN whose learning rate is too high. Each run has its
    own estimate: the critic's $\hat W$ for the WGANs, and $\tfrac12 L + \log 2$ (the JS lower bound)
    for the GAN. The table shows the estimate's first and last values beside the exact $W_1$ (POT)
    between held-out real and generated samples. It also gives the Spearman correlation of the two
    over the run.
    """
    from . import meaningful_loss as ml

    curves = ml.loss_curves(dataset=dataset, steps=int(steps), failed_lr=failed_lr)
    rows, arrays = [], {}
    for run in curves.runs:
        rows.append((run.name, run.estimate_label, float(run.estimate[0]), float(run.estimate[-1]),
                     float(run.w1[0]), float(run.w1[-1]), run.rho))
        key = run.name.lower().replace(",", "").replace(" ", "_")
        arrays[f"{key}_steps"], arrays[f"{key}_estimate"], arrays[f"{key}_w1"] = run.steps, run.estimate, run.w1
    wgan, gan, failed = curves.runs

    def rho(v: float) -> str:
        return "undefined (a flat curve)" if math.isnan(v) else f"{v:+.2f}"

    claims = [
        f"Figure 4: the WGAN's critic estimate follows the exact W1 of its samples: Spearman "
        f"{rho(wgan.rho)} over {len(wgan.steps)} reads, as W1 goes from {wgan.w1[0]:.3f} to {wgan.w1[-1]:.3f}.",
        f"Figure 4, a run that does not learn (α = {failed.lr:g}): W1 goes from {failed.w1[0]:.3f} to "
        f"{failed.w1[-1]:.3f} (the WGAN ends at {wgan.w1[-1]:.3f}), its estimate ends at "
        f"{failed.estimate[-1]:.3g}, and the Spearman correlation is {rho(failed.rho)}.",
        f"Figure 5: the GAN's JS estimate against exact W1: Spearman {rho(gan.rho)}, final estimate "
        f"{gan.estimate[-1]:.3f} (log 2 = {math.log(2):.3f} is its largest value). The paper finds it does "
        f"not track sample quality.",
    ]
    return Figure(number="4-5", title=f"A loss that means something ({dataset})",
                  columns=("run", "estimate", "first", "last", "W1 first", "W1 last", "Spearman(est, W1)"),
                  rows=rows, claims=claims,
                  settings={"steps": int(steps), "dataset": dataset, "failed_lr": failed_lr}, arrays=arrays)
