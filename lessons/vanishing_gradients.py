r"""# Low-dimensional supports and vanishing gradients

Real data concentrate near low-dimensional manifolds, and a generator that maps a low-dimensional
noise $z$ through a network can only produce a low-dimensional set. Two such sets almost never
overlap, so a *perfect* discriminator exists — one with $D = 1$ on the data and $D = 0$ on the
fakes (Arjovsky & Bottou, 2017; Weng §4.2–4.3).

**Why that kills the generator's gradient.** With $D = \sigma(f_w)$, the original (minimax,
"saturating") generator loss $\mathbb{E}_z[\log(1 - D(g_\theta(z)))]$ has gradient

$$
\nabla_\theta \log\big(1 - \sigma(f_w(g_\theta(z)))\big) = -\,
D(g_\theta(z))\,\nabla_x f_w(g_\theta(z))\,J_\theta g_\theta(z).
$$

As the discriminator approaches perfection, $D(g_\theta(z)) \to 0$ exponentially in the logit while
$\nabla_x f_w$ grows far more slowly, so the gradient vanishes. Arjovsky & Bottou (Thm 2.4)
make this precise: if $\|D - D^*\| < \epsilon$ for a perfect $D^*$ and
$\mathbb{E}_z\|J_\theta g_\theta(z)\|^2 \le M^2$, the gradient norm is below $M\epsilon / (1 - \epsilon)$.

**The WGAN critic does not saturate.** Its generator loss $-\mathbb{E}_z[f_w(g_\theta(z))]$ has gradient
$-\mathbb{E}_z[\nabla_x f_w \, J_\theta g_\theta]$, and the clipped critic, a $K$-Lipschitz function pushed
to separate the two sets, keeps a slope of order $K$ between them: a gradient that stays.

**The experiment** (after Arjovsky & Bottou, 2017, shown as Weng's Fig. 5): fix the generator, train a
fresh discriminator with :meth:`wgan_core.trainer.Trainer.train_critic` and read
:meth:`~wgan_core.trainer.Trainer.generator_grad_norm` at log-spaced discriminator iterations —
for loss ``gan-minimax`` and, beside it, for ``wgan``. Nothing here is a training loop of its own.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lessons import Choice, Exercise, Slider
from wgan_core.config import preset
from wgan_core.device import THEORY_DEVICE
from wgan_core.metrics import critic_field
from wgan_core.models import MLPGenerator
from wgan_core.trainer import Trainer

TITLE = "Low-dimensional supports and vanishing gradients"
SUMMARY = ("Fix the generator, train the discriminator towards perfection: the saturating GAN gradient "
           "falls by orders of magnitude, the WGAN critic's does not.")

#: The small networks of the experiment, run on the CPU (tiny MLPs are faster there than on a GPU, see
#: ``THEORY_DEVICE``, and the seeded result is then the same on every machine).
NET = dict(width=64, depth=2, batch_size=64, z_dim=1, device=THEORY_DEVICE, eval_samples=256)
#: Points per axis of the discriminator / critic pictures.
FIELD_RESOLUTION = 60
#: Number of log-spaced discriminator iterations at which the gradient norm is read.
CHECKPOINTS = 40
#: The ceiling of the JS divergence (natural log).
LOG_2 = math.log(2.0)

CONTROLS = (
    Choice("setting", "Supports", ("lines", "ring"), "lines",
           labels={"lines": "Parallel lines (Example 1)", "ring": "8 Gaussians vs a curve"},
           help="Both sets are lower-dimensional than the plane they live in, and disjoint."),
    Slider("theta", "Offset θ of the generator's line", 0.1, 2.0, 1.0, step=0.1,
           help="Parallel lines only: the generator draws (θ, Z) against the data (0, Z)."),
    Slider("iters", "Discriminator iterations", 100, 4000, 2000, step=100, integer=True),
    Slider("lr", "Discriminator learning rate (Adam)", 1e-4, 1e-2, 3.16e-3, log=True, steps=5,
           help="The WGAN critic keeps the toy-wgan preset (RMSProp, lr 5e-4, c = 0.05)."),
    Slider("seed", "Seed", 0, 9, 0, step=1, integer=True),
)

INTRO = r"""
Real data such as images fill only a thin, low-dimensional part of their space, and a generator that
maps a small noise vector through a network can only draw a low-dimensional set as well. Two such sets
**almost never overlap**, so some discriminator separates them perfectly: $D = 1$ on every real point,
$D = 0$ on every fake. Below, both supports are curves in the plane: either two parallel segments —
the data $(0, Z)$ and the generator $(\theta, Z)$, $Z \sim U[0, 1]$ — or the 8-Gaussian ring against an
MLP generator fed 1-D noise, whose samples lie on a curve.
"""

WHY = r"""
**Why the gradient vanishes.** The discriminator outputs a logit $f_w$ and $D = \sigma(f_w)$. The original
generator loss $\mathbb{E}_z[\log(1 - D(g_\theta(z)))]$ has gradient

$$
\nabla_\theta \log\big(1 - D(g_\theta(z))\big) = -\,
D(g_\theta(z))\;\nabla_x f_w\big(g_\theta(z)\big)\,J_\theta g_\theta(z).
$$

As the discriminator gets better, $D(g_\theta(z)) = \sigma(f_w) \approx e^{f_w}$ goes to 0 *exponentially*
in the logit, faster than $\nabla_x f_w$ can grow: the product vanishes. Arjovsky & Bottou (2017, Thm 2.4)
bound it by $M\epsilon/(1-\epsilon)$ when $D$ is within $\epsilon$ of a perfect discriminator and
$\mathbb{E}_z\|J_\theta g_\theta(z)\|^2 \le M^2$. The GAN is stuck in a dilemma: a poor discriminator
gives wrong feedback, a good one gives none.

**Why the WGAN critic's does not.** Its generator loss is $-\mathbb{E}_z[f_w(g_\theta(z))]$, with gradient
$-\mathbb{E}_z[\nabla_x f_w \, J_\theta g_\theta]$. Clipping keeps $f_w$ $K$-Lipschitz, so it cannot saturate:
the best it can do is rise with slope about $K$ from the fakes to the data — and that slope is exactly
the gradient the generator needs.
"""

#: For the page's "For instructors" section: where the experiment lives in the code.
INSTRUCTORS = ("Both runs call the course's trainer (`wgan_core/trainer.py`): `Trainer.train_critic` trains the "
               "discriminator or critic against the frozen generator, `Trainer.generator_grad_norm` reads the "
               "generator's gradient norm.")

EXPERIMENT = r"""
**The experiment** (after Arjovsky & Bottou, 2017, shown as Weng's Fig. 5): the generator is **fixed**;
a fresh discriminator is trained with the loss $-L(D, g_\theta)$ (Adam), and after $k$ iterations we
read $\|\nabla_\theta\, \mathbb{E}_z[\log(1 - D(g_\theta(z)))]\|_2$ on a fresh batch. Beside it a WGAN
critic, trained by RMSProp with clipping after every step, gives
$\|\nabla_\theta\, \mathbb{E}_z[-f_w(g_\theta(z))]\|_2$. Both runs use the course's one trainer. In the
original experiment (a DCGAN generator trained for 1, 10 or 25 epochs, then frozen) the norm fell by up
to 5 orders of magnitude in 4000 discriminator iterations.
"""

WHAT_TO_NOTICE = [
    r"On the log scale the GAN gradient falls roughly along a straight line once the discriminator "
    r"separates the sets: exponential decay, by several orders of magnitude.",
    r"At the same time $D$ on the real points goes to 1, $D$ on the fakes to 0 and the JS estimate "
    r"$\tfrac12 L + \log 2$ climbs to $\log 2$: the discriminator *wins*, and that is the problem.",
    r"The WGAN critic's gradient moves while the critic learns (it may dip first) and then levels off at a "
    r"steady value: it never collapses.",
    r"In the pictures, $D$ is flat (saturated at 0) all around the generator's samples, while the "
    r"critic is a ramp from the fakes towards the data.",
]

EXERCISES = (
    Exercise(
        question=r"Move the generator's line closer, from $\theta = 1$ to $\theta = 0.3$. Will the GAN "
                 r"gradient still vanish?",
        answer=r"Yes. The supports are still disjoint, so a perfect discriminator still exists and training "
               r"still finds it; the closer line only makes the discriminator's job take a little longer. "
               r"$JS$ is $\log 2$ for every $\theta \ne 0$, so the distance gives no signal either.",
        choices=("Yes, it still vanishes", "No, it stays large", "It vanishes only for θ > 1"),
        correct="Yes, it still vanishes",
    ),
    Exercise(
        question=r"If a fake sample gets logit $f_w = -12$, roughly how large is the factor $D(g_\theta(z))$ "
                 r"in its gradient, compared with a sample at logit 0?",
        answer=r"$\sigma(-12) \approx e^{-12} \approx 6\times10^{-6}$ against $\sigma(0) = 0.5$: about "
               r"$10^{-5}$ times smaller. A few units of logit cost orders of magnitude of gradient.",
    ),
    Exercise(
        question=r"Does giving the discriminator a larger learning rate make the GAN gradient vanish "
                 r"sooner or later?",
        answer=r"Sooner: a faster discriminator reaches near-perfect separation in fewer iterations, and from "
               r"there the gradient decays. Try the learning-rate slider: the decline starts earlier.",
        choices=("Sooner", "Later", "No difference"),
        correct="Sooner",
    ),
)


# ----------------------------------------------------------------------------------------------
# Compute
# ----------------------------------------------------------------------------------------------

class LineGenerator(nn.Module):
    r"""The generator of the paper's Example 1: $g_\theta(z) = (\theta, \Phi(z))$, $z \sim \mathcal N(0, 1)$.

    $\Phi$ is the standard normal CDF, so $\Phi(z) \sim U[0, 1]$ and the samples are the segment
    $\{\theta\} \times [0, 1]$. Input ``z`` of shape ``(n, 1)`` or ``(n,)``; output shape ``(n, 2)``.
    The only parameter is $\theta$ (so $\|J_\theta g_\theta\| = 1$ for every sample).
    """

    z_dim = 1

    def __init__(self, theta: float):
        super().__init__()
        if not math.isfinite(theta):
            raise ValueError(f"theta must be a finite number, got {theta}")
        self.theta = nn.Parameter(torch.tensor(float(theta)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        u = 0.5 * (1.0 + torch.erf(z.reshape(-1) / math.sqrt(2.0)))
        return torch.stack((self.theta.expand_as(u), u), dim=1)


def make_generator(setting: str, theta: float, seed: int) -> nn.Module:
    """The fixed generator of ``setting``: a :class:`LineGenerator` or a seeded MLP on 1-D noise."""
    if setting == "lines":
        return LineGenerator(theta)
    if setting == "ring":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return MLPGenerator(1, 2, NET["width"], NET["depth"])
    raise ValueError(f"setting must be 'lines' or 'ring', got {setting!r}")


def make_trainers(setting: str, theta: float, lr: float, seed: int) -> dict[str, Trainer]:
    """A ``gan-minimax`` and a ``wgan`` trainer on the same fixed generator, each with a fresh critic."""
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr}")
    dataset = "parallel-lines" if setting == "lines" else "8gaussians"
    generator = make_generator(setting, theta, seed)
    common = dict(dataset=dataset, seed=seed, **NET)
    gan = preset("toy-gan", loss="gan-minimax", lr=lr, **common)
    wgan = preset("toy-wgan", **common)
    return {"gan-minimax": Trainer(gan, generator=copy.deepcopy(generator)),
            "wgan": Trainer(wgan, generator=copy.deepcopy(generator))}


def checkpoints(iters: int, n: int = CHECKPOINTS) -> np.ndarray:
    """Discriminator iterations at which to measure: 0, then ~``n`` log-spaced values up to ``iters``."""
    if isinstance(iters, bool) or int(iters) != iters or iters < 1:
        raise ValueError(f"iters must be a positive integer, got {iters}")
    return np.unique(np.concatenate(([0], np.geomspace(1, iters, n).round().astype(int))))


def _log_sigmoid(a: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -a)


def _read(trainer: Trainer, real: np.ndarray, fake_noise: torch.Tensor) -> dict[str, float]:
    """Generator-gradient norm and how the critic scores fixed real / fake sets."""
    fake = trainer.sample(len(fake_noise), noise=fake_noise)
    f_real, f_fake = trainer.critic_values(real), trainer.critic_values(fake)
    out = {"grad_norm": trainer.generator_grad_norm()}
    if trainer.config.loss == "wgan":
        out["estimate"] = float(f_real.mean() - f_fake.mean())  # E f(x) - E f(g(z))
    else:
        # L = E log D(x) + E log(1 - D(g(z))) with D = sigmoid(f); the JS lower bound is L/2 + log 2
        objective = _log_sigmoid(f_real).mean() + _log_sigmoid(-f_fake).mean()
        out["d_real"] = float(np.mean(1.0 / (1.0 + np.exp(-f_real))))
        out["d_fake"] = float(np.mean(1.0 / (1.0 + np.exp(-f_fake))))
        out["js_estimate"] = float(0.5 * objective + LOG_2)
    return out


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run the tiny networks on one intra-op thread: for 64-unit MLPs thread hand-offs cost more than
    they save (measured 5.7 s vs 49 s of CPU for 2 x 1000 iterations on a loaded 2-core machine).
    Results are identical; the previous setting is restored afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass(frozen=True)
class VanishingResult:
    """Curves (arrays of shape (k,)) indexed by ``iters``, final fields and the samples (n, 2)."""

    iters: np.ndarray
    curves: dict[str, dict[str, np.ndarray]]   # loss -> {'grad_norm', ...}
    fields: dict[str, dict[str, np.ndarray]]   # loss -> critic_field (x, y, z); GAN's z is D = sigmoid(f)
    real: np.ndarray
    fake: np.ndarray

    def orders_fallen(self, loss: str = "gan-minimax") -> float:
        """$\\log_{10}$ of the peak gradient norm over the final one."""
        g = self.curves[loss]["grad_norm"]
        return float(math.log10(g.max() / max(g[-1], 1e-300)))

    def fall_text(self, loss: str = "gan-minimax") -> str:
        """``"-3.2 orders of magnitude"`` (a fall, never "-0.0"), or ``"no fall"`` below 0.05 orders."""
        return fall_text(self.orders_fallen(loss))


def fall_text(orders: float) -> str:
    """How many orders of magnitude a gradient fell, signed as a change: ``-3.2 orders of magnitude``;
    a fall that rounds to 0.0 reads ``no fall`` (never ``-0.0``)."""
    shown = round(orders, 1)
    return f"-{shown:.1f} orders of magnitude" if shown > 0 else "no fall"


def run_experiment(setting: str = "lines", theta: float = 1.0, iters: int = 2000, lr: float = 3.16e-3,
                   seed: int = 0, progress: Callable[[float, str], None] | None = None) -> VanishingResult:
    """Train both critics against the fixed generator, reading the generator gradient at log-spaced
    iterations; ``progress(fraction, message)`` is called after every reading."""
    with _one_thread():
        return _run(setting, theta, iters, lr, seed, progress)


def _run(setting: str, theta: float, iters: int, lr: float, seed: int,
         progress: Callable[[float, str], None] | None) -> VanishingResult:
    trainers = make_trainers(setting, theta, lr, seed)
    points = checkpoints(iters)
    real = trainers["wgan"].data.heldout()
    noise = trainers["wgan"].fixed_noise
    curves: dict[str, dict[str, list]] = {}
    total, done_work = 2 * int(points[-1]), 0
    for loss, trainer in trainers.items():
        rows: dict[str, list] = {}
        done = 0
        for k in points:
            if k > done:
                trainer.train_critic(int(k - done))
                done_work += int(k - done)
                done = int(k)
            for key, value in _read(trainer, real, noise).items():
                rows.setdefault(key, []).append(value)
            if progress is not None:
                progress(done_work / total, f"{loss}: {done} discriminator iterations")
        curves[loss] = {key: np.asarray(v) for key, v in rows.items()}
    fake = trainers["wgan"].sample(len(noise), noise=noise)
    both = np.concatenate((real, fake))
    lo, hi = both.min(axis=0) - 0.5, both.max(axis=0) + 0.5
    fields = {}
    for loss, trainer in trainers.items():
        with torch.no_grad():
            field = critic_field(trainer.critic, lo, hi, FIELD_RESOLUTION)
        if loss != "wgan":
            field["z"] = 1.0 / (1.0 + np.exp(-field["z"]))
        fields[loss] = field
    return VanishingResult(points, curves, fields, real, fake)


def run_controls(values: dict, progress: Callable[[float, str], None] | None = None) -> VanishingResult:
    """:func:`run_experiment` for the lesson's control values (keys of :data:`CONTROLS`)."""
    return run_experiment(values["setting"], float(values["theta"]), int(values["iters"]), float(values["lr"]),
                          int(values["seed"]), progress)
