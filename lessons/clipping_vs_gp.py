r"""Weight clipping vs gradient penalty (WGAN paper §3; WGAN vs WGAN-GP slides).

The lesson's text is :data:`INTRO` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lessons import Choice, Exercise, Slider, Toggle

#: The lesson's opening text (motivation and experiment), shown at the top of the page.
INTRO = r"""**Motivation.** The dual form of $W_1$ takes a supremum over 1-Lipschitz functions,
$W(\mathbb{P}_r, \mathbb{P}_\theta) = \sup_{\lVert f\rVert_L \le 1} \mathbb{E}_{x\sim\mathbb{P}_r}[f(x)] -
\mathbb{E}_{x\sim\mathbb{P}_\theta}[f(x)]$. A neural critic $f_w$ is not Lipschitz by construction, so
the WGAN paper keeps its weights in a compact box: after *every* critic step,
$w \leftarrow \mathrm{clip}(w, -c, c)$. Every $f_w$ is then $K$-Lipschitz for a $K$ that depends only
on $c$ and the architecture — "a clearly terrible way to enforce a Lipschitz constraint", in the paper's
own words: if $c$ is **too small** the critic is almost constant and the gradients vanish; if $c$ is
**too large** the weights take a long time to reach their limit and the critic is slow to train to
optimality.

**The alternative.** WGAN-GP replaces the box by a soft penalty at random interpolates
$\hat x = \epsilon x + (1 - \epsilon) g_\theta(z)$, $\epsilon \sim U[0,1]$ per example:
$$
L = \mathbb{E}_z[f_w(g_\theta(z))] - \mathbb{E}_x[f_w(x)] +
\lambda\,\mathbb{E}_{\hat x}\big[(\lVert \nabla_{\hat x} f_w(\hat x)\rVert_2 - 1)^2\big],
$$
with $\lambda = 10$, $n_{critic} = 5$ and Adam ($\alpha = 10^{-4}$, $\beta_1 = 0$, $\beta_2 = 0.9$)
in its paper.
"""

TITLE = "Weight clipping vs gradient penalty"
SUMMARY = "Sweep the clip c from vanishing to sluggish, watch weights pile up at ±c, and meet the gradient penalty."

METHODS = ("wgan", "wgan-gp")
METHOD_LABELS = {"wgan": "WGAN (clipping)", "wgan-gp": "WGAN-GP (penalty)"}
PRESET_OF = {"wgan": "toy-wgan", "wgan-gp": "toy-wgan-gp"}
LIVE_TARGETS = {"clip_value": ("wgan",), "n_critic": ("wgan", "wgan-gp"), "lr": ("wgan", "wgan-gp"),
                "lambda_gp": ("wgan-gp",)}
MAX_STEPS = 4000
#: The device is not part of it: live runs train where the server says (``WGAN_DEVICE``), the clip sweep on
#: the CPU (``wgan_core.device.THEORY_DEVICE``, tiny networks are faster there).
NETWORK = dict(dataset="8gaussians", width=64, depth=3, eval_samples=256, metrics_every=25)
#: The clip values of the sweep (log grid from "vanishing" to "slow") and its critic budget.
SWEEP_CLIPS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
SWEEP_ITERS = 120
#: A c counts as *saturated* in the scale fit when at least this share of critic weights sits at ±c.
SATURATED = 0.5
#: Linear layers of the toy critic (``depth`` hidden layers and the output layer).
CRITIC_LAYERS = NETWORK["depth"] + 1

CONTROLS = (
    Choice("generator", "Generator", ("frozen", "trained"), "frozen",
           labels={"frozen": "frozen (critic only)", "trained": "trained"},
           help="Frozen: only the critics train, against one fixed generator."),
    Toggle("official_schedule", "Official Diters schedule", False,
           help="100 critic iterations for the first 25 generator iterations and every 500th (official code)."),
    Slider("seed", "Seed", 0, 9, 0, integer=True),
)
#: The batch-norm demonstration (a small DCGAN critic on digits), off by default: it loads the digits.
BN_CONTROLS = (
    Toggle("bn_demo", "Show it on a DCGAN critic", False,
           help="Trains one clipped critic step of a small DCGAN critic on the digits data."),
    Toggle("clamp_bn", "Clamp batch-norm parameters too (official code)", True),
)
LIVE_CONTROLS = (
    Slider("clip_value", "clip c (WGAN)", 0.001, 0.1, 0.01, log=True, steps=31,
           help="Weights are clamped to [−c, c] after every critic step."),
    Slider("n_critic", "n_critic", 1, 20, 5, integer=True, help="Critic steps per generator step."),
    Slider("lr", "learning rate α", 1e-5, 1e-2, 5e-4, log=True, steps=31, help="Both optimisers."),
    Slider("lambda_gp", "λ (WGAN-GP)", 0.01, 100.0, 10.0, log=True, steps=41,
           help="Weight of the gradient penalty."),
)

SIGN_CONVENTION = r"""
**Sign convention: Loss_D vs −Loss_D.** Algorithm 1 *maximises* $\mathbb{E}[f_w(x)] -
\mathbb{E}[f_w(g_\theta(z))]$. Our trainer hands an optimiser the negation,
$\text{critic loss} = \mathbb{E}[f_w(g_\theta(z))] - \mathbb{E}[f_w(x)]$, and logs the estimate
$\widehat W = -\text{critic loss}$, which is the number the paper plots. The official code instead
backpropagates ``errD_real`` with $+1$ and ``errD_fake`` with $-1$ (the ``backward(mone)`` trick) and
prints ``Loss_D = errD_real - errD_fake``: its critic is $-f_w$, and its printed ``Loss_D`` is the
negative of the estimate. Compare curves from that code with the paper by plotting $-$``Loss_D``.
"""

PAPER_VS_CODE = r"""
**Paper vs code.** Two details of the official implementation are not in Algorithm 1:

* **Diters = 100.** For the first 25 generator iterations, and every 500th one after, the critic is
  trained 100 times instead of $n_{critic} = 5$, so that it starts (and regularly returns) near
  optimality. Toggle *Official Diters schedule*: the live run is set
  back, and **Start** trains a new one with it.
* **Clamping batch-norm parameters.** The official code clamps *every* critic parameter, including
  batch-norm's scale and shift (``clamp_bn``). A scale initialised near 1 is cut to $c$ at the first
  step. The toy critics here are plain MLPs without batch norm; switch on the demonstration below to
  see one clipped step of a small DCGAN critic on digits, with and without clamping batch norm.
"""

CLIP_SCALE = r"""
**How the critic's scale depends on $c$.** A ReLU layer is positively homogeneous: scaling every
weight of a layer by $a > 0$ scales its output by $a$. When the clipped weights all sit at $\pm c$,
each of the critic's $L$ weight layers contributes roughly one factor of $c$ to how $f_w$ varies with $x$, so
$\widehat W$ grows like $c^{L}$ — not in proportion to $c$. The plot below fits a line to
$\log \widehat W$ against $\log c$ over the clip values whose weights are saturated (at least half of
them at $\pm c$); its slope is the measured exponent for this critic
($L$ = """ + str(CRITIC_LAYERS) + r""" weight layers).
At large $c$ the weights never reach the box within the critic budget and the points fall below the line.
"""

WHAT_TO_NOTICE = [
    "In the sweep, the critic's gradient at generated points grows with $c$: at $c = 0.001$ it is "
    "orders of magnitude smaller — the *vanishing* end.",
    "At large $c$ few weights ever reach $\\pm c$ within the critic budget and the estimate keeps "
    "climbing: the *slow* end, where the critic is far from optimal.",
    "Live, with clipping, most weights pile up at exactly $\\pm c$ (the histogram's edge bars); move "
    "$c$ and the piles follow within a few steps.",
    "The Lipschitz meter (largest $\\lVert\\nabla_x f\\rVert$ seen) of the clipped critic depends on $c$; "
    "under the penalty the gradient norms at interpolates gather around 1.",
]

EXERCISES = (
    Exercise("If you multiply c by 10, roughly what happens to the clipped critic's estimate Ŵ?",
             "It grows by orders of magnitude, not tenfold: while the weights sit at ±c, Ŵ scales like c to the "
             "slope of the log–log plot (about the number of weight layers), so ×10 in c is ×10^slope in Ŵ. "
             "Ŵ is W1 only up to a constant K that depends steeply on c.",
             choices=("stays the same", "grows about tenfold", "grows by orders of magnitude", "shrinks"),
             correct="grows by orders of magnitude"),
    Exercise("Under the gradient penalty, why are the gradient norms measured at interpolates and not at "
             "real points?",
             "The optimal critic has gradient norm 1 on the straight lines between coupled real and generated "
             "points; interpolates sample exactly those lines, while real points alone say nothing about the "
             "region between the distributions."),
    Exercise("With λ = 0.01, does WGAN-GP's Lipschitz meter stay near 1?",
             "No — the penalty is too weak to hold the slope, the critic's gradients grow and the meter climbs "
             "to tens of times 1 within a few hundred live steps (with λ = 10 it stays within a few tenths of 1)."),
)


@dataclass(frozen=True)
class ClipSweep:
    """Result of :func:`clip_sweep`: one row per clip value ``c`` (shape ``(C,)`` each, traces ``(C, T)``)."""

    clips: np.ndarray
    grad_at_fake: np.ndarray      # mean ||∇_x f|| at generated points after training the critic
    lipschitz: np.ndarray         # max ||∇_x f|| over real, fake and interpolates
    at_limit: np.ndarray          # share of critic weights with |w| ≥ 0.999 c
    estimate: np.ndarray          # final Ŵ = E f(x) − E f(g(z))
    traces: np.ndarray            # Ŵ after every critic iteration, normalised by its final value
    iters_to_90: np.ndarray       # first critic iteration reaching 90 % of the final Ŵ


def configs(seed: int, generator: str = "frozen", official_schedule: bool = False,
            live: dict[str, Any] | None = None, device: str | None = None) -> dict[str, Any]:
    """One :class:`~wgan_core.config.TrainConfig` per method (toy presets on 8 Gaussians), on ``device``
    (default: the server's, :func:`wgan_core.device.server_device`)."""
    from wgan_core.config import preset
    from wgan_core.device import server_device

    if generator not in ("frozen", "trained"):
        raise ValueError(f"generator must be 'frozen' or 'trained'; got {generator!r}")
    out = {}
    for method in METHODS:
        mine = {k: v for k, v in (live or {}).items() if method in LIVE_TARGETS.get(k, ())}
        out[method] = preset(PRESET_OF[method], seed=int(seed), official_schedule=bool(official_schedule),
                             device=device or server_device(), **NETWORK, **mine)
    return out


class FrozenGenerator:
    """Trainer adapter whose ``step()`` trains only the critic (``Trainer.train_critic(n_critic)``).

    Everything else is the wrapped :class:`~wgan_core.trainer.Trainer`'s own; ``g_step`` counts the
    rounds of critic training, since the generator never moves.
    """

    def __init__(self, trainer):
        self.trainer = trainer
        self.g_step = 0

    def step(self) -> None:
        self.trainer.train_critic(int(self.trainer.hparams()["n_critic"]))
        self.g_step += 1

    def __getattr__(self, name: str):
        return getattr(self.trainer, name)


def build_members(seed: int, generator: str = "frozen", official_schedule: bool = False,
                  live: dict[str, Any] | None = None, *, device: str | None = None) -> dict[str, Any]:
    """The two live members (clipping and penalty), optionally with their generators frozen, on ``device``
    (a live job passes its own; default: the server's)."""
    from wgan_core.trainer import Trainer

    members = {m: Trainer(cfg) for m, cfg in configs(seed, generator, official_schedule, live, device).items()}
    if generator == "frozen":
        members = {m: FrozenGenerator(t) for m, t in members.items()}
    return members


def hparam_changes(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Route live slider values to the methods they act on: ``{method: {name: value}}``."""
    out: dict[str, dict[str, Any]] = {}
    for name, methods in LIVE_TARGETS.items():
        if name in values:
            for m in methods:
                out.setdefault(m, {})[name] = values[name]
    return out


def critic_estimate(trainer, real, fake) -> float:
    r"""$\widehat W = \mathbb{E}[f_w(x)] - \mathbb{E}[f_w(g_\theta(z))]$ on the given point sets."""
    return float(np.mean(trainer.critic_values(real)) - np.mean(trainer.critic_values(fake)))


def clip_sweep(clips=SWEEP_CLIPS, iters: int = SWEEP_ITERS, seed: int = 0) -> ClipSweep:
    """Train a clipped critic against one frozen generator for each ``c``; measure gradients and speed.

    Every run starts from the same seed (same initial networks, same data stream); only $c$ changes.
    """
    import torch

    from wgan_core.device import THEORY_DEVICE  # a tiny critic: faster on the CPU (see there)
    from wgan_core.metrics import input_grad_norms
    from wgan_core.trainer import Trainer

    clips = np.asarray(clips, dtype=float)
    if clips.ndim != 1 or len(clips) == 0 or (clips <= 0).any():
        raise ValueError("clips must be a non-empty list of positive numbers")
    if int(iters) < 2:
        raise ValueError(f"iters must be at least 2; got {iters}")
    rows = []
    for c in clips:
        trainer = Trainer(configs(seed, "frozen", live={"clip_value": float(c)}, device=THEORY_DEVICE)["wgan"])
        real = trainer.data.sample(512)
        fake = torch.as_tensor(trainer.sample(512), device=real.device)
        trace, real_np, fake_np = [], real.cpu().numpy(), fake.cpu().numpy()
        for _ in range(int(iters)):
            trainer.train_critic(1)
            trace.append(critic_estimate(trainer, real_np, fake_np))
        eps = torch.rand(len(real), 1, generator=torch.Generator().manual_seed(seed))
        inter = eps * real + (1 - eps) * fake
        g_fake = input_grad_norms(trainer.critic, fake)
        g_all = input_grad_norms(trainer.critic, torch.cat([real, fake, inter]))
        w = torch.cat([p.detach().reshape(-1) for p in trainer.critic.parameters()])
        trace = np.asarray(trace)
        final = trace[-1]
        norm = trace / final if abs(final) > 0 else np.zeros_like(trace)
        reach = np.flatnonzero(norm >= 0.9)
        rows.append((float(g_fake.mean()), float(g_all.max()), float((w.abs() >= 0.999 * c).float().mean()),
                     float(final), norm, int(reach[0]) + 1 if len(reach) else int(iters)))
    cols = list(zip(*rows, strict=True))
    return ClipSweep(clips, *(np.asarray(col) for col in cols[:4]), np.stack(cols[4]), np.asarray(cols[5]))


@dataclass(frozen=True)
class ScaleFit:
    r"""Least-squares fit $\log \widehat W = k \log c + b$ over the saturated clip values of a sweep."""

    slope: float        # k, the measured exponent
    intercept: float    # b
    used: np.ndarray    # bool mask over the sweep's clips: saturated and with Ŵ > 0


def scale_fit(sweep: ClipSweep, saturated: float = SATURATED) -> ScaleFit:
    """Fit the critic estimate against ``c`` on log–log axes, over the clips whose weights are saturated."""
    used = (sweep.at_limit >= saturated) & (sweep.estimate > 0)
    if used.sum() < 2:
        raise ValueError(f"need at least two clip values with {saturated:.0%} of weights at ±c and Ŵ > 0")
    slope, intercept = np.polyfit(np.log(sweep.clips[used]), np.log(sweep.estimate[used]), 1)
    return ScaleFit(float(slope), float(intercept), used)


def scale_sentence(sweep: ClipSweep) -> str:
    """Markdown: the measured exponent and what doubling or multiplying c by 10 does to Ŵ."""
    fit = scale_fit(sweep)
    lo, hi = sweep.clips[fit.used].min(), sweep.clips[fit.used].max()
    return (f"**Measured:** over $c$ from {lo:g} to {hi:g} (weights saturated) "
            f"$\\widehat W \\propto c^{{{fit.slope:.2f}}}$ "
            f"for this {CRITIC_LAYERS}-weight-layer critic: doubling $c$ multiplies the estimate by about "
            f"{2 ** fit.slope:.0f}, multiplying it by 10 by about {10 ** fit.slope:.2g}.")


def settings_note() -> str:
    """Markdown: the live runs' settings where they differ from the two papers."""
    from wgan_core.config import PRESETS

    gp, wgan = PRESETS[PRESET_OF["wgan-gp"]], PRESETS[PRESET_OF["wgan"]]
    return (f"**Settings of the live runs** (toy presets `{PRESET_OF['wgan']}`, `{PRESET_OF['wgan-gp']}`; "
            f"learning rate, n_critic, c and λ from the sliders): WGAN uses RMSProp as in the paper "
            f"(lr {wgan['lr']:g} in the preset, the paper's 5e-5 is slower); WGAN-GP uses Adam with "
            f"β = ({gp['betas'][0]:g}, {gp['betas'][1]:g}) where Gulrajani et al. use β₁ = 0, and the λ slider "
            f"starts at their λ = 10 (the preset, used by the other lessons, has λ = {gp['lambda_gp']:g}).")


def bn_scales_after_clipping(clamp_bn: bool, clip_value: float = 0.01, seed: int = 0, bins: int = 30) -> dict:
    r"""One clipped critic step of a small DCGAN critic (digits, 32×32) with or without clamping batch norm.

    Returns the batch-norm scales $\gamma$ (``gamma``, shape ``(k,)``), their histogram (``counts``,
    ``edges``) and the largest $|w|$ of the other critic parameters (``other_max``): with ``clamp_bn``
    every $\gamma$ (initialised near 1) is cut to at most $c$.
    """
    import torch

    from wgan_core.config import preset
    from wgan_core.device import THEORY_DEVICE  # one critic step of a small DCGAN (see there)
    from wgan_core.trainer import Trainer

    cfg = preset("paper", dataset="digits", image_size=32, critic_arch="dcgan", generator="dcgan", ndf=16, ngf=16,
                 batch_size=16, eval_samples=64, device=THEORY_DEVICE, seed=int(seed), clip_value=float(clip_value),
                 clamp_bn=bool(clamp_bn))
    trainer = Trainer(cfg)
    trainer.train_critic(1)
    norms = [m for m in trainer.critic.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        raise ValueError("the DCGAN critic has no batch-norm layer")
    bn_ids = {id(p) for m in norms for p in m.parameters()}
    gamma = torch.cat([m.weight.detach().reshape(-1) for m in norms]).double().numpy()
    other = max(float(p.detach().abs().max()) for p in trainer.critic.parameters() if id(p) not in bn_ids)
    lo, hi = min(0.0, float(gamma.min())), max(1.2, float(gamma.max()))
    counts, edges = np.histogram(gamma, bins=bins, range=(lo, hi))
    return {"gamma": gamma, "counts": counts, "edges": edges, "other_max": other, "clip_value": float(clip_value)}
