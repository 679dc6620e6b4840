r"""Training on images (WGAN paper, §4.2–4.3 and Figs 4, 6–8).

The lesson's text is :data:`INTRO` below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from lessons import Choice, Exercise, Slider
from lessons.image_replay import (  # noqa: F401 - the lesson's replay API, re-exported
    checkpoint_grid,
    list_checkpoints,
    list_image_runs,
    load_image_run,
    run_grid,
    run_thumbnails,
    runs_dir,
    skipped_image_runs,
)
from lessons.image_run import GRID_IMAGES, MAX_THUMBNAILS, ImageRun, Thumbnails  # noqa: F401 - re-exported

INTRO = r"""**Motivation.** On toy data every distance can be computed exactly. On images the paper asks two
practical questions: does the critic's estimate of $W_1$ track sample quality (Fig 4), and does a
WGAN keep learning where a GAN fails? The test is to *weaken the generator*. Besides the standard
DCGAN the paper trains (Fig 7) a DCGAN generator **without batch norm and with a constant number of
filters** — the paper reports "a bit more than an order of magnitude" fewer parameters than the standard
DCGAN generator (the counts of the networks on this page are shown below them) — and (Fig 8) a
**4-layer, 512-unit ReLU MLP** with no convolutional prior at all. The paper's baseline is the standard
GAN procedure of DCGAN: the $-\log D$ trick, Adam ($\alpha = 2\cdot10^{-4}$, $\beta_1 = 0.5$) and one
discriminator step per generator step. The paper reports that this GAN failed to learn with the first
weak generator, and with the MLP produced samples of lower quality than the WGAN's with a significant
degree of mode collapse; the WGAN produced bedrooms with both.

**The equations.** The critic $f_w$ (a DCGAN discriminator without its sigmoid) ascends
$$\mathbb{E}_{x\sim\mathbb{P}_r}[f_w(x)] - \mathbb{E}_{z\sim p(z)}[f_w(g_\theta(z))],$$
$n_{critic}$ times per generator step, each step followed by clipping every weight to $[-c, c]$;
the generator descends $-\mathbb{E}_z[f_w(g_\theta(z))]$. The GAN baseline's discriminator ascends
$\mathbb{E}[\log D(x)] + \mathbb{E}[\log(1 - D(g_\theta(z)))]$ and its generator descends
$-\mathbb{E}[\log D(g_\theta(z))]$, with $D = \sigma(f)$.

**The experiment.** Real data that ships with scikit-learn: 1,797 handwritten digits, $8\times8$,
upscaled to $32\times32$ — no download. Because the digits have labels, a small classifier counts
how many of the ten classes the generator produces (*classes covered*) and how far the class
histogram is from uniform (*class KL*, $0$ when balanced, $\log 10 \approx 2.30$ when collapsed):
mode collapse measured on real data. The sample grid always comes from the same fixed noise, so
pictures taken at different steps are comparable.
"""
#: The page shows INTRO up to its experiment paragraph, then :func:`experiment_text` (which follows the
#: chosen dataset and profile) in its place.
OPENING, _, _DIGITS_EXPERIMENT = INTRO.partition("**The experiment.**")

TITLE = "Training on images"
SUMMARY = ("DCGAN, batch-norm-free and MLP generators on real digits: the GAN collapses or stalls, "
           "the WGAN keeps learning, and its loss tracks the samples.")
#: The paper's figures that `python -m lessons figure N` reproduces from this lesson's computation.
PAPER_FIGURES = ("6", "7", "8")

METHOD_LABELS = {"wgan": "WGAN (clipping)", "gan": "GAN (−log D)", "wgan-gp": "WGAN-GP",
                 "gan-wgan-settings": "GAN with the WGAN's settings (handicapped)"}
#: The trainer preset of each method; the GAN baseline is DCGAN's standard procedure (``dcgan-gan``), the
#: handicapped GAN keeps the WGAN's Algorithm 1 settings (RMSProp, 5 discriminator steps per generator step).
METHOD_PRESET = {"wgan": "paper", "gan": "dcgan-gan", "wgan-gp": "gp-paper", "gan-wgan-settings": "paper"}
#: Methods whose learning rate the classroom profile raises (the GAN baseline keeps DCGAN's 2e-4).
RAISED_LR = ("wgan", "wgan-gp", "gan-wgan-settings")
#: Short enough to show whole in the page's select box (the text above the controls describes each).
GENERATOR_LABELS = {"dcgan": "DCGAN", "dcgan-nobn": "No batch norm (Fig 7)", "mlp": "ReLU MLP (Fig 8)"}
#: Learning rates of the classroom profile (see PROFILES), raised from the paper's 5e-5 (the MLP's to
#: 5e-4 only: 1e-3 saturates its tanh). What the runs reach is checked in tests/test_claims.py.
CLASSROOM_LR = {"dcgan": 1e-3, "dcgan-nobn": 1e-3, "mlp": 5e-4}
METRICS_EVERY = 10
MAX_STEPS = 3000
MEDIAN_WINDOW = 5


def data_dir() -> Path | None:
    """The server's data directory (``WGAN_DATA_DIR``), where LSUN lmdbs may be found."""
    raw = os.environ.get("WGAN_DATA_DIR", "")
    return Path(raw).expanduser() if raw else None


def available_datasets() -> tuple[str, ...]:
    """``digits`` always; ``lsun`` when ``<WGAN_DATA_DIR>/bedroom_train_lmdb`` exists."""
    from wgan_core.images.lsun import find_lsun

    return ("digits", "lsun") if find_lsun(data_dir(), "bedroom") else ("digits",)


# ---- PROFILES: the live run's size, chosen by the device it trains on (the one place) ----------
#: Each: TrainConfig fields, lr per generator (None: the paper's α), the speed wrappers of
#: wgan_core.images.speed.accelerate, and the page's reason for the size. The paper's 64x64 DCGAN costs
#: 532 GFLOP per generator step: 69 s a step on the shared 2-core CPU (bench/RESULTS.md). The classroom
#: networks train on one CPU thread (``cpu_threads=1``): their convolutions are too small to gain from a
#: second, and two OpenMP threads on a busy machine spin at every op's barrier (~15x the CPU time a step).
PROFILES: dict[str, dict[str, Any]] = {
    "classroom": dict(
        config=dict(ngf=16, ndf=16, z_dim=32, batch_size=32, eval_samples=256, cpu_threads=1), lr=CLASSROOM_LR,
        speed=dict(bf16=False, channels_last=False),
        why="**Why this size.** This server trains on its CPU, where the paper's network (64 filters, batch 64, "
            "532 GFLOP per generator step at 64×64) takes tens of seconds a step; the live run uses a classroom-sized "
            "one — 16 filters, batch 32, a learning rate raised from 5·10⁻⁵ — that tells the story within a minute."),
    "paper": dict(  # Algorithm 1's defaults, with every speed option that leaves its maths unchanged
        config=dict(ngf=64, ndf=64, z_dim=100, batch_size=64, image_size=64, eval_samples=256, data_on_device=True,
                    compile="reduce-overhead"), lr=None, speed=dict(bf16=True, channels_last=True),
        why="**At the paper's settings.** This server trains on a GPU: the live run is Algorithm 1 as published — "
            "DCGAN 64×64, ngf = ndf = 64, batch 64, RMSProp α = 5·10⁻⁵, c = 0.01, n_critic = 5 (WGAN-GP: Adam 10⁻⁴, "
            "λ = 10) — in bf16, channels_last, images on the GPU as uint8, CUDA graphs (the first steps compile)."),
}
#: For the page's "For instructors" section: the server's data and profile settings.
INSTRUCTORS = ("**Data.** The digits ship with scikit-learn. LSUN bedrooms appear in the dataset menu when the "
               "folder named by `WGAN_DATA_DIR` holds `bedroom_train_lmdb/`.\n\n"
               "**Profile.** The device picks the classroom or the paper's profile; `WGAN_IMAGES_PROFILE` "
               "(`classroom` or `paper`) overrides it.")
PROFILE_ENV = "WGAN_IMAGES_PROFILE"  # classroom | paper overrides the device's choice
LIVE_LSUN_IMAGES = 10_000  # ~120 MB of uint8 at 64x64, read in the job's process (it may not fork loaders)
LSUN_EXPERIMENT = r"""**The experiment.** LSUN bedrooms from this server's data folder, centre-cropped
to $64\times64$ in colour — the paper's dataset. Bedrooms have no labels, so mode collapse is not counted;
the page tracks the exact $W_1$ in pixel space between 256 generated and 256 real images, and the critic's
estimate with samples along the way (Fig 4). The grid always comes from the same fixed noise."""


def profile_for(device: str, override: str | None = None) -> dict[str, Any]:
    """``paper`` on ``cuda``, ``classroom`` on ``cpu``; ``override`` (a profile name) wins."""
    if override and override not in PROFILES:
        raise ValueError(f"{PROFILE_ENV} must be one of {', '.join(PROFILES)}; got {override!r}")
    return PROFILES[override or ("paper" if device == "cuda" else "classroom")]


def live_profile(device: str | None = None) -> tuple[str, dict[str, Any]]:
    """``device`` (default the server's: ``WGAN_DEVICE``, :func:`wgan_core.device.server_device`) and its profile."""
    from wgan_core.device import server_device

    device = device or server_device()
    return device, profile_for(device, os.environ.get(PROFILE_ENV, "").strip() or None)


def experiment_text(dataset: str, profile: dict[str, Any] | None) -> str:
    """The experiment paragraph for ``dataset`` at ``profile``'s image size, then why that size."""
    size = profile["config"].get("image_size", 32) if profile else 32
    text = LSUN_EXPERIMENT if dataset == "lsun" else "**The experiment.**" + _DIGITS_EXPERIMENT.replace(
        r"$32\times32$", rf"${size}\times{size}$")
    return text.strip() + ("\n\n" + profile["why"] if profile else "")


CONTROLS = (
    Choice("dataset", "Dataset", available_datasets(), available_datasets()[-1],  # lsun when the server has it
           labels={"digits": "Handwritten digits", "lsun": "LSUN bedrooms"},
           help="LSUN appears when the server holds the bedroom data (see For instructors at the end of the page)."),
    Choice("generator", "Generator", ("dcgan", "dcgan-nobn", "mlp"), "dcgan-nobn", labels=GENERATOR_LABELS),
    Choice("method", "Method", tuple(METHOD_LABELS), "wgan", labels=METHOD_LABELS),
    Slider("seed", "Seed", 0, 9, 0, integer=True),
)

LIVE_CONTROLS = (
    Slider("clip_value", "Clip c (WGAN)", 0.001, 0.2, 0.01, log=True, steps=31,
           help="After every critic step each critic weight is clamped to [−c, c]."),
    Slider("n_critic", "n_critic", 1, 20, 5, integer=True, help="Critic steps per generator step."),
)

WHY_GAN_FAILS = r"""
### Why the GAN fails with weak generators while the WGAN learns

* **A saturating judge.** Real digits and generated images live on low-dimensional sets of pixel
  space that hardly overlap, so a discriminator separates them almost perfectly and
  $JS(\mathbb{P}_r, \mathbb{P}_g)$ sits at $\log 2$. With $D = \sigma(f)$ saturated, the original
  generator loss has vanishing gradients, and the $-\log D$ trick swaps them for large, unstable ones.
  A strong generator (DCGAN with batch norm) can stay close enough to the data to keep the game
  balanced; a weak one — no batch norm, or an MLP — falls behind, the discriminator wins, and the
  generator either stalls on noise or **collapses** onto the few images the discriminator currently
  likes (watch *classes covered* drop to one or two).
* **A critic that never saturates.** The clipped critic is a $K$-Lipschitz function and the WGAN
  loss is linear in it, so even a critic trained to optimality gives the generator a gradient that
  points along the transport of $\mathbb{P}_g$ onto $\mathbb{P}_r$. Training the critic more makes that
  gradient *better*, not smaller, so there is no balance to keep: the weak generator still learns.
* **A loss that means something.** The critic's estimate
  $\mathbb{E} f(x) - \mathbb{E} f(g(z)) \approx K \cdot W_1$ falls as samples improve. It is noisy from batch
  to batch; the paper passes it through a median filter, as the curve below does.
"""

BATCH_NORM_CLIPPING = r"""
### Clipping and batch norm

The paper's code clamps **every** critic parameter, including the batch-norm scales $\gamma$ and
shifts $\beta$ (``clamp_bn=True``, the default here and in the CLI). A batch-norm layer computes
$\gamma\,\frac{h - \mu_B}{\sigma_B} + \beta$: clipping $\gamma$ to $[-c, c]$ bounds how much the layer may
amplify its normalised input — but it does **not** bound the critic's Lipschitz constant: the layer
divides by the batch's $\sigma_B$, which clipping does not touch, and a batch whose features barely vary
is amplified by $\gamma/\sigma_B$ without limit. Clipping keeps the parameters in a compact set (the
paper's argument), not the function in a fixed Lipschitz ball. For the same reason the scale of the
convolution weights that feed a batch-norm layer is normalised away ($\mathrm{BN}(a\,Wh) = \mathrm{BN}(Wh)$
for $a > 0$): $c$ reaches the critic's scale only through $\gamma$, $\beta$ and the layers without batch
norm, so the steep $c^{L}$ law that the clipping lesson measures for a plain MLP does not carry over.
Left unclipped (``--no-clamp-bn``), $\gamma$ starts near 1 and can grow. Batch norm also makes $f$ depend
on the whole batch, not on one image — which
is why a gradient-penalty critic, whose penalty is taken per example at interpolates
$\hat x = \epsilon x + (1-\epsilon)\tilde x$, has no batch norm at all.
"""

WHAT_TO_NOTICE = [
    "With the **no-batch-norm** generator the WGAN's *classes covered* climbs to most of the ten within a few "
    "hundred steps, while the GAN baseline (DCGAN's procedure) stays on one or two. With the **MLP** both learn "
    "slowly; the GAN produces images but stays collapsed on one or two classes (class KL well above the WGAN's; "
    "log 10 ≈ 2.30 is total collapse) while the WGAN widens — the paper's Fig 8 notes the same "
    "\"significant degree of mode collapse\" in the "
    "GAN's MLP: mode collapse, measured on real data (seed 0, classroom settings).",
    "The median-filtered W estimate falls as the thumbnails on it turn from noise into digits — the "
    "correlation of Fig 4. The GAN's discriminator loss shows no such trend (Fig 5).",
    "Raise the clip **c** during a WGAN run: the critic's estimate grows — how steeply depends on the "
    "architecture (this critic's batch norm normalises its convolutions' scale away; the clipping lesson "
    "measures a plain MLP) — and the samples may get worse; lower **n_critic** to 1 and the critic stops "
    "being a good estimator.",
]

EXERCISES = (
    Exercise("Train the **GAN** with the MLP generator for a few hundred steps. Predict: how many classes "
             "will be covered, and will the samples change much?",
             "One or two classes on seed 0 after 300 steps (class KL well above the WGAN's): its images change, "
             "but the "
             "discriminator saturates and the weak generator follows whatever it currently rewards. The WGAN "
             "with the same generator covers several more classes by step 300 and keeps widening."),
    Exercise("During a WGAN run, you double the clip c. What happens to the critic's estimate, and does a "
             "larger estimate mean worse samples?",
             "It grows: the estimate is $K \\cdot W_1$ with $K$ growing with $c$ — for a plain ReLU MLP like a "
             "power of c near its number of layers (the clipping lesson's log–log plot), for this batch-norm "
             "critic less steeply, since batch norm normalises the convolutions' scale away. A larger estimate "
             "does not mean worse samples: only its trend within one run is comparable, not its scale across c.",
             choices=("It grows", "It stays the same", "It halves"),
             correct="It grows"),
    Exercise("Why does the lesson's WGAN-GP critic have no batch norm, while the WGAN critic does?",
             "The penalty $(\\|\\nabla_{\\hat x} f(\\hat x)\\|_2 - 1)^2$ is a per-example constraint; batch norm "
             "makes f(x) depend on the other images of the batch, so the per-example gradient norm is no longer "
             "the gradient of a function of x alone."),
)


# ----------------------------------------------------------------------------------------------
# Live runs
# ----------------------------------------------------------------------------------------------

def lesson_config(dataset: str = "digits", generator: str = "dcgan-nobn", method: str = "wgan", seed: int = 0,
                  live: dict[str, Any] | None = None, profile: dict[str, Any] | str | None = None,
                  device: str | None = None):
    """The live run's :class:`~wgan_core.config.TrainConfig` (ValueError for bad choices); ``profile`` (a
    :data:`PROFILES` entry or name) and ``device`` default to :func:`live_profile`'s."""
    from wgan_core.config import preset

    device, chosen = live_profile(device)
    profile = profile if isinstance(profile, dict) else profile_for(device, profile) if profile else chosen
    if dataset not in ("digits", "lsun"):
        raise ValueError(f"dataset must be digits or lsun; got {dataset!r}")
    if method not in METHOD_LABELS:
        raise ValueError(f"method must be one of {tuple(METHOD_LABELS)}; got {method!r}")
    if generator not in CLASSROOM_LR:
        raise ValueError(f"generator must be one of {tuple(CLASSROOM_LR)}; got {generator!r}")
    extra: dict[str, Any] = dict(profile["config"], seed=int(seed), generator=generator, dataset=dataset,
                                 metrics_every=METRICS_EVERY, device=device)
    if profile["lr"] is not None and method in RAISED_LR:
        extra["lr"] = profile["lr"][generator]
    if dataset == "lsun":
        extra.update(image_size=64, data_root=str(data_dir() or ""))
    if method == "wgan-gp":
        extra["betas"] = (0.5, 0.9)
    live = dict(live or {})
    if method == "wgan" and "clip_value" in live:
        extra["clip_value"] = float(live["clip_value"])
    else:
        extra.setdefault("clip_value", LIVE_CONTROLS[0].default)
    if "n_critic" in live and method != "gan":  # the GAN baseline keeps one discriminator step
        extra["n_critic"] = int(live["n_critic"])
    return preset(METHOD_PRESET[method], loss="gan" if method.startswith("gan") else method, **extra)


#: The papers' settings each method is compared with on screen (WGAN: Algorithm 1; WGAN-GP: Gulrajani
#: et al.; GAN: DCGAN's standard procedure, whose paper used batch 128).
PAPER_SETTINGS = {"wgan": dict(optimizer="rmsprop", lr=5e-5, n_critic=5, batch_size=64),
                  "wgan-gp": dict(optimizer="adam", lr=1e-4, betas=(0.0, 0.9), n_critic=5, batch_size=64),
                  "gan": dict(optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1, batch_size=128)}


def settings_note(config, method: str) -> str:
    """Markdown: the live run's optimiser settings and every difference from its paper's."""
    paper = PAPER_SETTINGS["gan" if method.startswith("gan") else method]
    betas = f", β = ({config.betas[0]:g}, {config.betas[1]:g})" if config.optimizer == "adam" else ""
    extra = (f", c = {config.clip_value:g}" if config.loss == "wgan" else
             f", λ = {config.lambda_gp:g}" if config.loss == "wgan-gp" else "")
    mine = dict(optimizer=config.optimizer, lr=config.lr, betas=config.betas, n_critic=config.n_critic,
                batch_size=config.batch_size)
    diffs = [f"{k} {_show(mine[k])} (paper {_show(v)})" for k, v in paper.items()
             if mine[k] != v and (k != "betas" or config.optimizer == "adam")]
    text = (f"**Settings of this run:** {config.optimizer} lr {config.lr:g}{betas}, n_critic {config.n_critic}"
            f"{extra}, batch {config.batch_size}. Differences from the paper's: "
            + ("; ".join(diffs) if diffs else "none") + ".")
    if method == "gan-wgan-settings":
        text += (" This GAN is **handicapped on purpose**: it trains with the WGAN's RMSProp and 5 discriminator "
                 "steps per generator step, not with the standard procedure that the paper compares against.")
    return text


def _show(value) -> str:
    return f"({value[0]:g}, {value[1]:g})" if isinstance(value, tuple) else f"{value:g}" if isinstance(value, float) \
        else str(value)


def parameter_counts(config) -> dict[str, int]:
    """Parameters of the chosen generator, of the standard DCGAN generator and of the critic at ``config``."""
    from wgan_core.images.models import build_image_models

    def count(module) -> int:
        return sum(p.numel() for p in module.parameters())

    generator, critic = build_image_models(config)
    standard, _ = build_image_models(config.replace(generator="dcgan"))
    return {"generator": count(generator), "dcgan": count(standard), "critic": count(critic)}


def parameters_sentence(counts: dict[str, int], generator: str) -> str:
    """Markdown: the measured parameter counts and their ratios for the networks of this page."""
    g, d, c = counts["generator"], counts["dcgan"], counts["critic"]

    def versus(other: int) -> str:
        return f"{other / g:.2g}× fewer than" if other >= g else f"{g / other:.2g}× more than"

    if generator == "dcgan":
        return f"Networks of this run: the DCGAN generator has {g:,} parameters, the critic {c:,}."
    name = {"dcgan-nobn": "no-batch-norm", "mlp": "MLP"}[generator]
    return (f"Networks of this run: the {name} generator has {g:,} parameters — {versus(d)} the standard DCGAN "
            f"generator at the same settings ({d:,}) and {versus(c)} the critic ({c:,}).")


def build_members(settings: dict[str, Any], live: dict[str, Any] | None = None, *,
                  device: str | None = None) -> dict[str, ImageRun]:
    """The job's single member ``{"run": ImageRun}`` for the page's settings and live sliders, on ``device``
    (a live job passes its own; default: the server's) with that device's profile."""
    device, profile = live_profile(device)
    config = lesson_config(settings["dataset"], settings["generator"], settings["method"], settings["seed"], live,
                           profile, device)
    return {"run": ImageRun(build_trainer(config, profile))}


def build_trainer(config, profile: dict[str, Any]):
    """A Trainer with ``profile``'s networks; LSUN keeps its first :data:`LIVE_LSUN_IMAGES` images."""
    from wgan_core.images.build import build_image_trainer

    return build_image_trainer(config, **profile["speed"], num_workers=0, skip_corrupt=True,
                               max_images=LIVE_LSUN_IMAGES)


def hparam_changes(values: dict[str, Any], method: str = "wgan") -> dict[str, dict[str, Any]]:
    """Route the live sliders: ``n_critic`` except to the GAN baseline, ``clip_value`` only for the WGAN."""
    changes = {k: values[k] for k in ("n_critic",) if k in values and method != "gan"}
    if method == "wgan" and "clip_value" in values:
        changes["clip_value"] = values["clip_value"]
    return {"run": changes} if changes else {}


def w_curve(logs: list[dict], key: str = "critic_estimate", window: int = MEDIAN_WINDOW) -> dict[str, np.ndarray]:
    """The critic's estimate over generator steps, raw and median-filtered as in the paper's Fig 4."""
    from wgan_core.metrics import median_filter

    rows = [(row["g_step"], row[key]) for row in logs if key in row and np.isfinite(row[key])]
    steps = np.array([r[0] for r in rows], dtype=np.int64)
    raw = np.array([r[1] for r in rows], dtype=np.float64)
    if len(raw) == 0:
        return {"steps": steps, "raw": raw, "filtered": raw}
    width = min(window, len(raw) if len(raw) % 2 else len(raw) - 1)
    return {"steps": steps, "raw": raw, "filtered": median_filter(raw, max(1, width))}
