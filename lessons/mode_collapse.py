r"""Mixture of Gaussians and mode collapse (WGAN paper, Fig 2 and §4.1).

The lesson's text is in :data:`INTRO` and the constants below; the computations are the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lessons import Choice, Exercise, Slider
from wgan_core.config import METHOD_PRESETS

#: The lesson's opening text (motivation and experiment), shown at the top of the page.
INTRO = r"""
**Motivation.** A GAN's generator is trained against the *current* discriminator. For a fixed
discriminator $D$ the best generator puts all its mass on the points where $D$ is highest — a sum of
deltas — so the generator jumps from mode to mode while the discriminator chases it: *mode collapse*.
A WGAN critic can be trained (close) to optimality, and its gradient then points every generated
sample along a transport path towards the data: no mode is left behind.

**How the literature measures it.** Eight Gaussians on a ring of radius 2. A generated sample is of
*high quality* when it lies within $3\sigma$ of a mean; a mode is *covered* when at least 1 % of the
samples are of high quality near it. Because a collapsing GAN hops between modes, one reading at the end
of a run can miss it: we log coverage all along the run and report the modes covered at the end, the
mean over the run's second half, and the modes ever visited.

**The experiment.** Three trainers — GAN, WGAN (weight clipping) and WGAN-GP (gradient penalty) — learn
the same toy distribution from the same seed. Each gets its standard procedure: the GAN trains its
discriminator and generator at the same learning rate, one step each. The page first shows what these
runs did over several seeds (recorded once, on a CPU), then lets you train all three live. For every
method we draw what the paper draws (a KDE of generated samples in green, the samples in blue), the
critic (or discriminator) as a contour map with the generator's gradient as arrows, and the numbers
above, with the exact $W_1$ to held-out real data.
"""

TITLE = "Mixture of Gaussians and mode collapse"
SUMMARY = ("GAN, WGAN and WGAN-GP learn 8 Gaussians side by side, live: watch which method covers all the "
           "modes, and when.")
#: The paper's figures that the lessons' command line reproduces from this lesson's computation.
PAPER_FIGURES = ("2",)

#: The three methods of the comparison and the trainer preset each one starts from.
METHODS = ("gan", "wgan", "wgan-gp")
METHOD_LABELS = {"gan": "GAN", "wgan": "WGAN (clipping)", "wgan-gp": "WGAN-GP"}
PRESET_OF = METHOD_PRESETS  # the one map, shared with `compare` and figure 2
DATASETS = ("8gaussians", "8gaussians-narrow", "25gaussians", "swissroll")
#: Which methods each live slider acts on (the GAN has no clip, no penalty and keeps n_critic = 1).
LIVE_TARGETS = {"clip_value": ("wgan",), "n_critic": ("wgan", "wgan-gp"), "lambda_gp": ("wgan-gp",)}
#: Size of the live run: generator steps per method, networks, metric cadence.
MAX_STEPS = 5000
#: Live runs train on the server's device (see :func:`wgan_core.device.server_device`).
NETWORK = dict(width=64, depth=3, eval_samples=512, metrics_every=25)
#: 8 Gaussians: the ring radius (wgan_core.data) and the half-width of the band counted as "on the circle".
RING_RADIUS = 2.0
RING_BAND = 0.25

CONTROLS = (
    Choice("dataset", "Data", DATASETS, "8gaussians",
           labels={"8gaussians": "8 Gaussians (ring, σ 0.05)", "8gaussians-narrow": "8 Gaussians (ring, σ 0.02)",
                   "25gaussians": "25 Gaussians (grid)",
                   "swissroll": "Swiss roll"}),
    Slider("seed", "Seed (all three methods)", 0, 9, 0, integer=True),
)
LIVE_CONTROLS = (
    Slider("clip_value", "WGAN clip c", 0.001, 0.1, 0.05, log=True, steps=31,
           help="Critic weights are clamped to [−c, c] after every critic step."),
    Slider("n_critic", "n_critic (WGAN, WGAN-GP)", 1, 20, 5, integer=True,
           help="Critic steps per generator step."),
    Slider("lambda_gp", "WGAN-GP λ", 0.01, 10.0, 1.0, log=True, steps=31,
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

#: The setting whose seed table the page's claims state (chosen from the bench's table): the ring, the
#: generator steps a classroom run reaches, and the longer budget the table also measured.
SEED_DATASET = "8gaussians"
SEED_STEPS = 1500
SEED_STEPS_LONG = 3000
#: σ of each ring, for labels.
RING_SIGMA = {"8gaussians": 0.05, "8gaussians-narrow": 0.02}


def seed_table() -> dict:
    """The bench's recorded seeds (see :func:`wgan_core.compare.seed_table`)."""
    from wgan_core.compare import seed_table as load

    return load()


def findings(dataset: str = SEED_DATASET, steps: int = SEED_STEPS, table: dict | None = None) -> dict:
    """What the seed table measured at ``dataset`` and ``steps`` (:func:`wgan_core.compare.seed_findings`)."""
    from wgan_core.compare import seed_findings

    found = seed_findings(dataset, steps, table if table is not None else seed_table())
    if found is None:
        raise ValueError(f"the seed table has no runs at {dataset} and {steps} steps")
    return found


def _span(values: list[float], pattern: str = "{:.1f}") -> str:
    lo, hi = pattern.format(min(values)), pattern.format(max(values))
    return lo if lo == hi else f"{lo} to {hi}"


def what_to_notice(short: dict, long: dict, dataset: str = SEED_DATASET) -> list[str]:
    """The lesson's outcome claims, each a count over the seed table's seeds (``short``: the classroom budget,
    ``long``: the longer one; both :func:`findings`)."""
    n, where = short["seeds"], f"σ = {RING_SIGMA[dataset]:g}, {short['steps']:,} generator steps"
    gan, gp, wgan = short["gan"], short["wgan-gp"], short["wgan"]
    most = short["gan_fewer"] > n / 2
    first = (f"The **GAN** (standard procedure) held fewer modes at a time than WGAN-GP on {short['gan_fewer']} of "
             f"{n} recorded seeds ({where}): on average over the run's second half it covered "
             f"{_span(gan['modes_mean_late'])} of 8, WGAN-GP {_span(gp['modes_mean_late'])}. ")
    if not most:
        first += "At this setting that is not most seeds: a fair GAN does not collapse reliably on this ring. "
    first += (f"It visited {_span(gan['modes_visited'], '{:.0f}')} modes over the run, and on {short['gan_hops']} of "
              f"{n} seeds at least one more than it held on average: the set of modes it covers moves (the heatmap).")
    return [
        first,
        f"**WGAN-GP** held all eight in every log of the second half on {short['gp_steady']} of {n} seeds: a "
        "steady band of eight rows in the heatmap. In your run, compare its critic's contour and arrows with the "
        "GAN discriminator's.",
        f"The clipped **WGAN** learns the ring but sharpens the eight bumps slowly: it covered all eight at the end "
        f"on {short['wgan_all']} of {n} seeds after {short['steps']:,} steps and on {long['wgan_all']} of "
        f"{long['seeds']} after {long['steps']:,}. That is clipping's cost — a critic that is slow to train "
        f"(previous lesson) — not mode collapse: its high-quality share stays low (median "
        f"{np.median(wgan['hq_share']):.2f} after {short['steps']:,} steps) while it visits "
        f"{_span(wgan['modes_visited'], '{:.0f}')} modes, so its samples are spread around the ring rather than "
        "piled on a few bumps. The paper's claim is about a critic trained to convergence.",
        "**WGAN** spreads its samples over the whole ring before the eight bumps sharpen, the paper reports: the "
        "chart under your run marks the steps at which the *on the circle* and the *high-quality* shares pass "
        "one half.",
        f"Exact $W_1$ at the end, median over the {n} seeds: GAN {np.median(gan['w1_exact']):.3f}, WGAN "
        f"{np.median(wgan['w1_exact']):.3f}, WGAN-GP {np.median(gp['w1_exact']):.3f} — a number you can compare "
        "across methods even when their generator losses are not comparable.",
    ]


def _exercises(short: dict, long: dict) -> tuple[Exercise, ...]:
    n = short["seeds"]
    return (
        Exercise("Before starting: which method will hold all 8 modes through the second half of the run?",
                 f"In the recorded seeds, WGAN-GP did on {short['gp_steady']} of {n}, the GAN on "
                 f"{sum(v >= 8 for v in short['gan']['modes_mean_late'])} of {n} and the clipped WGAN on "
                 f"{sum(v >= 8 for v in short['wgan']['modes_mean_late'])} of {n}. Check your own run's line: "
                 "the modes-covered metric, not only the picture.",
                 choices=("GAN", "WGAN", "WGAN-GP"), correct="WGAN-GP"),
        Exercise("Set WGAN's clip c to 0.001 while it runs. What happens to its samples and why?",
                 "They almost stop moving: with tiny weights the critic is nearly constant, so the generator's "
                 "gradient vanishes (the too-small end of the clipping trade-off)."),
        Exercise("On the swiss roll, does the GAN's mode collapse still show as 'modes covered'?",
                 "No — a swiss roll has no discrete modes, so only exact W1 and the pictures tell the methods "
                 "apart: a collapsed generator covers only a stretch of the roll."),
    )


def seeds_text(short: dict, long: dict, dataset: str = SEED_DATASET) -> str:
    """Markdown above the seed table: what was recorded, the setting the page's claims count over, and
    the headline count."""
    n = short["seeds"]
    seeds = {d: len({r["seed"] for r in seed_table()["runs"] if r["dataset"] == d}) for d in RING_SIGMA}
    return (f"The three methods were trained on the classroom ring (σ = 0.05, {seeds['8gaussians']} seeds) and on the "
            f"narrower ring of the mode-collapse literature (σ = 0.02, {seeds['8gaussians-narrow']} seeds), and "
            "measured every 50 generator steps. "
            f"The claims on this page count seeds at σ = {RING_SIGMA[dataset]:g} after {short['steps']:,} generator "
            f"steps (the table's last column gives each run's CPU seconds) and after {long['steps']:,}. There the "
            f"GAN held fewer modes at a time than WGAN-GP on **{short['gan_fewer']} of {n} seeds**, and WGAN-GP held "
            f"all eight through the second half on **{short['gp_steady']} of {n}**. The heatmap shows one recorded "
            "seed: each row is a mode, the colour the share of samples on it.\n")


#: Developer-facing notes, shown collapsed under "For instructors".
INSTRUCTORS = """
* The same comparison without the app: `python -m wgan_core compare --dataset 8gaussians --seed 0` (or
  `python -m lessons figure 2`); its verdict quotes the seed table at the same data set and budget.
* The seed table comes from `bench/mode_collapse_seeds.py` (it writes `wgan_core/mode_collapse_seeds.json`);
  the presets are `toy-gan`, `toy-wgan` and `toy-wgan-gp` in `wgan_core.config.METHOD_PRESETS`.
* A run for the replay block: `python -m wgan_core train-toy --dataset 8gaussians --loss gan --out runs/NAME`.
"""

_FROM_THE_TABLE = {"WHAT_TO_NOTICE": what_to_notice, "EXERCISES": _exercises, "SEEDS_TEXT": seeds_text}


def __getattr__(name: str):
    """``WHAT_TO_NOTICE``, ``EXERCISES`` and ``SEEDS_TEXT``: written from the seed table on first use (not at
    import, so that importing the lesson reads no file)."""
    if name not in _FROM_THE_TABLE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    short, long = findings(SEED_DATASET, SEED_STEPS), findings(SEED_DATASET, SEED_STEPS_LONG)
    value = _FROM_THE_TABLE[name](short, long)
    globals()[name] = value
    return value


def settings_note() -> str:
    """Markdown: each method's settings where they differ from its paper's (toy presets, live defaults)."""
    from wgan_core.config import PRESETS

    gan, wgan, gp = (PRESETS[PRESET_OF[m]] for m in METHODS)
    live = {c.key: c.default for c in LIVE_CONTROLS}
    return (f"**Settings.** GAN: Adam(lr {gan['lr']:g}, β₁ = {gan['betas'][0]:g}), one discriminator step per "
            f"generator step. WGAN: RMSProp lr {wgan['lr']:g} (the paper's 5e-5), c = {live['clip_value']:g} "
            f"(the paper's 0.01), batch {wgan['batch_size']} (the paper's 64). WGAN-GP: Adam(lr {gp['lr']:g}, β = "
            f"({gp['betas'][0]:g}, {gp['betas'][1]:g})) where Gulrajani et al.'s Algorithm 1 has 1e-4 and β₁ = 0, and "
            f"λ = {live['lambda_gp']:g} where their Algorithm 1 has λ = 10. The live sliders start at these values, "
            "the ones the recorded seeds used. "
            "Raised learning rates let a CPU show the story within minutes.")


def run_summary(logs: list[dict], n_samples: int = NETWORK["eval_samples"]) -> dict[str, dict]:
    """Per method, the coverage summary of a run's logs (:func:`wgan_core.metrics.coverage_summary`):
    ``modes``, ``modes_mean_late``, ``modes_visited``, ``hq_share``, ``w1_exact``."""
    from wgan_core.metrics import coverage_summary

    out = {}
    for method in METHODS:
        rows = [e for e in logs if e.get("member") == method and "modes" in e]
        if rows:
            out[method] = coverage_summary(rows, n_samples)
    return out


def coverage_sentence(logs: list[dict], n_modes: int, n_samples: int = NETWORK["eval_samples"]) -> str:
    """Markdown: for each method of the run's logs, its coverage summary and the first step with all modes."""
    parts = []
    for method, row in run_summary(logs, n_samples).items():
        first = first_step_above(logs, method, "modes", n_modes)
        visited = "" if row["modes_visited"] is None else f", {row['modes_visited']} ever covered"
        parts.append(f"{METHOD_LABELS[method]}: {row['modes']} of {n_modes} now, "
                     f"{row['modes_mean_late']:.1f} on average over the second half{visited}, "
                     + (f"all {n_modes} first at step {first}" if first is not None else f"never all {n_modes}"))
    return ("**Modes covered in this run** — " + "; ".join(parts) + ".") if parts else ""


def mass_traces(logs: list[dict]) -> dict[str, tuple[list[int], list[list[float]]]]:
    """Per method, ``(steps, mode_mass per step)`` from a run's logs (logs without ``mode_mass`` skipped)."""
    out = {}
    for method in METHODS:
        rows = [e for e in logs if e.get("member") == method and e.get("mode_mass") is not None]
        if rows:
            out[method] = ([int(e["g_step"]) for e in rows], [list(e["mode_mass"]) for e in rows])
    return out


def recorded_traces(seed: int, dataset: str = SEED_DATASET, table: dict | None = None) -> dict:
    """:func:`mass_traces` of the seed table's recorded runs at ``dataset`` and ``seed``."""
    table = table if table is not None else seed_table()
    return {t["method"]: (t["g_step"], t["mode_mass"]) for t in table["traces"]
            if t["dataset"] == dataset and t["seed"] == seed}


def table_markdown(table: dict | None = None) -> str:
    """The seed table as Markdown (:func:`wgan_core.compare.table_markdown`)."""
    from wgan_core.compare import table_markdown as markdown

    return markdown(table if table is not None else seed_table(), METHOD_LABELS)


def configs(dataset: str, seed: int, overrides: dict[str, Any] | None = None,
            device: str | None = None) -> dict[str, Any]:
    """One :class:`~wgan_core.config.TrainConfig` per method: the toy presets on ``dataset`` and ``seed``,
    on ``device`` (default: the server's, :func:`wgan_core.device.server_device`)."""
    from wgan_core.config import preset
    from wgan_core.device import server_device

    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}; got {dataset!r}")
    extra = dict(overrides or {})
    out = {}
    for method in METHODS:
        mine = {k: v for k, v in extra.items() if method in LIVE_TARGETS.get(k, METHODS)}
        out[method] = preset(PRESET_OF[method], dataset=dataset, seed=int(seed), device=device or server_device(),
                             **NETWORK, **mine)
    return out


def build_members(dataset: str, seed: int, live: dict[str, Any] | None = None, *,
                  device: str | None = None) -> dict[str, Any]:
    """The three trainers of the comparison (``wgan_core.trainer.Trainer``), same data seed and noise seed,
    on ``device`` (a live job passes its own; default: the server's)."""
    from wgan_core.trainer import Trainer

    return {method: Trainer(cfg) for method, cfg in configs(dataset, seed, live, device).items()}


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
    """Extra per-log metric for a live job (``ring_share`` on the 8-Gaussian rings; None for other data sets)."""
    return RingShare() if dataset in RING_SIGMA else None
