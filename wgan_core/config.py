"""One validated configuration per training run, and named presets.

:class:`TrainConfig` holds every knob of a run — the objective, the critic schedule, the optimiser,
the networks, the data and the metrics cadence. It validates itself on construction (and on
:meth:`TrainConfig.replace`); an out-of-range value raises :class:`ValueError` whose message starts
with the field's name, so a CLI or a UI can show it as is.

Presets
-------
``paper``
    Algorithm 1 of Arjovsky, Chintala & Bottou (2017): $\\alpha = 5\\cdot10^{-5}$, $c = 0.01$,
    $m = 64$, $n_{critic} = 5$, RMSProp.
``gp-paper``
    Algorithm 1 of Gulrajani et al. (2017): $\\lambda = 10$, $n_{critic} = 5$, Adam with
    $\\alpha = 10^{-4}$, $\\beta = (0, 0.9)$.
``toy-gan``, ``toy-wgan``, ``toy-wgan-gp``
    Fast toy settings (larger learning rates) so that a classroom sees the characteristic behaviour of
    each method on a laptop CPU within seconds.
``toy-gan-slow-d``
    ``toy-gan`` with the discriminator at 0.3x the generator's learning rate (a handicap that makes
    the GAN hop between modes; no method trains it by default).

:data:`METHOD_PRESETS` maps each method of a GAN / WGAN / WGAN-GP comparison to its toy preset: the
one map that ``compare``, ``figure 2`` and the mode-collapse lesson use.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["TrainConfig", "PRESETS", "METHOD_PRESETS", "preset", "TOY_DATASETS", "IMAGE_DATASETS", "LOSSES",
           "HPARAM_NAMES", "ENGINES", "validate_hparam"]

TOY_DATASETS = ("8gaussians", "8gaussians-narrow", "25gaussians", "swissroll", "gaussians-1d", "parallel-lines")
IMAGE_DATASETS = ("digits", "lsun", "folder")
LOSSES = ("gan", "gan-minimax", "wgan", "wgan-gp")
OPTIMIZERS = ("rmsprop", "adam")
DEVICES = ("auto", "cpu", "cuda")
GENERATORS = ("dcgan", "dcgan-nobn", "mlp")
CRITIC_ARCHS = ("dcgan", "mlp")
COMPILE_MODES = ("none", "default", "reduce-overhead")
#: Gradient engines (wgan_core.engines.pick_engine): auto = the toy kernels where they apply, else autograd.
ENGINES = ("auto", "autograd", "toy-kernel")

#: Hyperparameters that may change while a run goes on (see ``Trainer.set_hparams``).
HPARAM_NAMES = ("clip_value", "n_critic", "lr", "lambda_gp")


def _choice(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def _int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}; got {value}")


def _float(name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    if value > hi or value < lo or (lo_open and value == lo):
        bracket = "(" if lo_open else "["
        raise ValueError(f"{name} must be in {bracket}{lo}, {hi}]; got {value}")


def _bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false; got {value!r}")


def validate_hparam(name: str, value: Any) -> None:
    """Check one live-changeable hyperparameter with the same rules as :class:`TrainConfig`."""
    if name == "clip_value":
        _float(name, value, 0.0, 10.0, lo_open=True)
    elif name == "n_critic":
        _int(name, value, 1, 100)
    elif name == "lr":
        _float(name, value, 0.0, 1.0, lo_open=True)
    elif name == "lambda_gp":
        _float(name, value, 0.0, 1000.0)
    else:
        raise ValueError(f"{name} is not a live hyperparameter; choose from {', '.join(HPARAM_NAMES)}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines one training run.

    Attributes
    ----------
    dataset : str
        Toy: ``8gaussians``, ``8gaussians-narrow`` (σ 0.02), ``25gaussians``, ``swissroll``, ``gaussians-1d``,
        ``parallel-lines``;
        images: ``digits``, ``lsun``, ``folder`` (built by ``wgan_core.images``).
    loss : str
        ``gan`` (non-saturating, the $-\\log D$ trick), ``gan-minimax`` (saturating
        $\\log(1 - D)$), ``wgan`` (weight clipping), ``wgan-gp`` (gradient penalty).
    n_critic : int
        Critic (discriminator) iterations per generator iteration.
    clip_value : float
        $c$: critic weights are clamped to $[-c, c]$ after every critic step (``wgan`` only).
    lambda_gp : float
        $\\lambda$: gradient-penalty coefficient (``wgan-gp`` only).
    optimizer, lr, betas
        ``rmsprop`` or ``adam``; learning rate $\\alpha$; Adam's $(\\beta_1, \\beta_2)$.
    critic_lr_ratio : float
        The critic's learning rate is ``lr * critic_lr_ratio`` (1 in both papers; the toy GAN uses a
        slower discriminator, as in the Unrolled-GAN experiments, which shows its mode hopping).
    batch_size : int
        $m$, examples per critic and generator step.
    width, depth, z_dim : int
        Toy MLPs: hidden units per layer, hidden layers, latent dimension.
    seed : int
        Seeds the networks, the noise and the data stream.
    device : str
        ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
    metrics_every, eval_samples : int
        Generator iterations between metric reads; samples used for exact W1 and mode coverage.
    official_schedule : bool
        The official WGAN code's schedule: 100 critic iterations for the first 25 generator
        iterations and every 500th one.
    clamp_bn : bool
        Whether batch-norm parameters of the critic are clamped too (the official code does).
    track_update_cosine : bool
        Record the cosine between the critic optimiser's update and the negative gradient.
    compile : str
        ``none``, or a ``torch.compile`` mode (``default``, ``reduce-overhead`` = CUDA graphs).
    engine : str
        How the gradients are formed (:func:`wgan_core.engines.pick_engine`): ``autograd``;
        ``toy-kernel``, the hand-written backward passes of :mod:`wgan_core.engines.toy` (toy MLPs
        only; ValueError elsewhere); ``auto`` (default): the toy kernels where they apply, else
        autograd. Same maths either way; the bench compares the two. A saved config's older
        ``manual_backward`` flag still loads (True: ``auto``, False: ``autograd``).
    cpu_threads : int
        Torch intra-op threads while a CPU trainer works (restored afterwards). 0 (auto): one
        thread for toy data — toy-sized matrices gain little from threads, and threads that wait
        on each other are very slow when the cores are shared — and torch's setting for images.
    image_size, generator, critic_arch, ngf, ndf, data_root, lsun_category, data_on_device
        Image runs only (see ``wgan_core.images``).
    """

    dataset: str = "8gaussians"
    loss: str = "wgan-gp"
    n_critic: int = 5
    clip_value: float = 0.01
    lambda_gp: float = 10.0
    optimizer: str = "adam"
    lr: float = 1e-4
    betas: tuple[float, float] = (0.0, 0.9)
    critic_lr_ratio: float = 1.0
    batch_size: int = 64
    width: int = 128
    depth: int = 3
    z_dim: int = 2
    seed: int = 0
    device: str = "auto"
    metrics_every: int = 100
    eval_samples: int = 512
    official_schedule: bool = False
    clamp_bn: bool = True
    track_update_cosine: bool = False
    compile: str = "none"
    engine: str = "auto"
    cpu_threads: int = 0
    image_size: int = 32
    generator: str = "dcgan"
    critic_arch: str = "dcgan"
    ngf: int = 64
    ndf: int = 64
    data_root: str = ""
    lsun_category: str = "bedroom"
    data_on_device: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.betas, list):
            object.__setattr__(self, "betas", tuple(self.betas))
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first field that is out of range."""
        _choice("dataset", self.dataset, TOY_DATASETS + IMAGE_DATASETS)
        _choice("loss", self.loss, LOSSES)
        _int("n_critic", self.n_critic, 1, 100)
        validate_hparam("clip_value", self.clip_value)
        validate_hparam("lambda_gp", self.lambda_gp)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        validate_hparam("lr", self.lr)
        if not (isinstance(self.betas, tuple) and len(self.betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2); got {self.betas!r}")
        _float("critic_lr_ratio", self.critic_lr_ratio, 1e-3, 1e3)
        for i, b in enumerate(self.betas):
            _float(f"betas[{i}]", b, 0.0, 0.9999)
        _int("batch_size", self.batch_size, 1, 65536)
        _int("width", self.width, 1, 4096)
        _int("depth", self.depth, 1, 16)
        _int("z_dim", self.z_dim, 1, 1024)
        _int("seed", self.seed, 0, 2**63 - 1)
        _choice("device", self.device, DEVICES)
        _int("metrics_every", self.metrics_every, 1, 10**9)
        _int("eval_samples", self.eval_samples, 16, 20000)
        for flag in ("official_schedule", "clamp_bn", "track_update_cosine", "data_on_device"):
            _bool(flag, getattr(self, flag))
        _choice("compile", self.compile, COMPILE_MODES)
        _choice("engine", self.engine, ENGINES)
        _int("cpu_threads", self.cpu_threads, 0, 1024)
        _choice("image_size", self.image_size, (32, 64))
        _choice("generator", self.generator, GENERATORS)
        _choice("critic_arch", self.critic_arch, CRITIC_ARCHS)
        _int("ngf", self.ngf, 1, 1024)
        _int("ndf", self.ndf, 1, 1024)
        if not isinstance(self.data_root, str):
            raise ValueError(f"data_root must be a string; got {self.data_root!r}")
        if self.dataset in ("lsun", "folder") and not self.data_root:
            raise ValueError(f"data_root must be set for dataset {self.dataset}")
        if not isinstance(self.lsun_category, str) or not self.lsun_category.replace("_", "").isalnum():
            raise ValueError(f"lsun_category must be a plain name such as 'bedroom'; got {self.lsun_category!r}")

    @property
    def is_toy(self) -> bool:
        return self.dataset in TOY_DATASETS

    @property
    def is_wasserstein(self) -> bool:
        return self.loss in ("wgan", "wgan-gp")

    def replace(self, **changes: Any) -> TrainConfig:
        """A validated copy with ``changes`` applied (unknown names raise ValueError)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]} is not a TrainConfig field")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (``betas`` as a list)."""
        out = dataclasses.asdict(self)
        out["betas"] = list(self.betas)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ValueError naming them."""
        if not isinstance(data, dict):
            raise ValueError(f"config must be a mapping; got {type(data).__name__}")
        kwargs = dict(data)
        if "manual_backward" in kwargs:  # configs saved before `engine` replaced this flag
            _bool("manual_backward", kwargs["manual_backward"])
            legacy = "auto" if kwargs.pop("manual_backward") else "autograd"
            kwargs.setdefault("engine", legacy)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(kwargs) - names
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]} is not a TrainConfig field")
        if "betas" in kwargs and isinstance(kwargs["betas"], list):
            kwargs["betas"] = tuple(kwargs["betas"])
        return cls(**kwargs)


PRESETS: dict[str, dict[str, Any]] = {
    # Algorithm 1 of the WGAN paper.
    "paper": dict(loss="wgan", optimizer="rmsprop", lr=5e-5, clip_value=0.01, batch_size=64, n_critic=5),
    # Algorithm 1 of "Improved Training of Wasserstein GANs".
    "gp-paper": dict(loss="wgan-gp", optimizer="adam", lr=1e-4, betas=(0.0, 0.9), lambda_gp=10.0,
                     n_critic=5, batch_size=64),
    # The image GAN baseline of the WGAN paper: DCGAN's standard procedure (Radford et al.), one
    # discriminator step per generator step and Adam(2e-4, beta1 = 0.5); batch 64 as the WGAN's.
    "dcgan-gan": dict(loss="gan", optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1, batch_size=64),
    # Fast toy presets: the same objectives on small nets (width 64, z_dim 8) with raised learning
    # rates so that toys move within seconds on a CPU.
    "toy-gan": dict(loss="gan", optimizer="adam", lr=1e-3, betas=(0.5, 0.999), n_critic=1, batch_size=256,
                    width=64, z_dim=8),
    # A handicapped GAN: its discriminator learns 0.3x as fast as its generator (as in the
    # Unrolled-GAN experiments), which makes the GAN hop from mode to mode instead of covering them.
    "toy-gan-slow-d": dict(loss="gan", optimizer="adam", lr=1e-3, betas=(0.5, 0.999), critic_lr_ratio=0.3,
                           n_critic=1, batch_size=256, width=64, z_dim=8),
    "toy-wgan": dict(loss="wgan", optimizer="rmsprop", lr=5e-4, clip_value=0.05, n_critic=5, batch_size=256,
                     width=64, z_dim=8),
    "toy-wgan-gp": dict(loss="wgan-gp", optimizer="adam", lr=1e-3, betas=(0.5, 0.9), lambda_gp=1.0, n_critic=5,
                        batch_size=256, width=64, z_dim=8),
}

#: The toy preset of each method in a comparison (compare, figure 2, the mode-collapse lesson). Each
#: method gets its standard procedure: the GAN trains its discriminator and generator at the same
#: learning rate, one step each, as Goodfellow et al. and DCGAN do (not the handicapped ``toy-gan-slow-d``).
METHOD_PRESETS: dict[str, str] = {"gan": "toy-gan", "wgan": "toy-wgan", "wgan-gp": "toy-wgan-gp"}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """Build the named preset (see :data:`PRESETS`) with ``overrides`` applied and validated."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
    return TrainConfig(**{**PRESETS[name], **overrides})
