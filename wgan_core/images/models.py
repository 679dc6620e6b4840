r"""Image generators and critics of the WGAN paper's experiments (§4, Figs 4, 6–8).

* :class:`DCGANGenerator` — the DCGAN generator (Radford et al., 2015): a $4\times4$ seed grown by
  stride-2 transposed convolutions, the number of filters *halving* at every doubling of the
  resolution, batch norm and ReLU, and $\tanh$ at the output. With ``batch_norm=False,
  constant_filters=True`` it is the paper's Fig 7 generator: no batch norm and ``ngf`` filters at
  every layer, "a bit more than an order of magnitude" fewer parameters.
* :class:`MLPGenerator` — Fig 8: four linear layers with 512 hidden ReLU units (no image prior).
* :class:`DCGANCritic` — the DCGAN discriminator *without the sigmoid*: it outputs a real number
  $f_w(x)$ per image, which is what the critic objective
  $\max_w \mathbb{E}_{x\sim\mathbb{P}_r}[f_w(x)] - \mathbb{E}_{z}[f_w(g_\theta(z))]$ needs. The
  GAN baseline reads the same number as a logit, $D(x) = \sigma(f(x))$. A critic trained with a
  gradient penalty has no batch norm: the penalty is per example, and batch norm mixes examples.
* :class:`MLPCritic` — a 4-layer, 512-unit ReLU MLP critic (Fig 4, lower half).

Widths follow the paper's code: ``ngf``/``ndf`` is the width of the layer at the full-resolution
end; the other end has ``ngf * image_size / 8`` filters (512 at $64\times64$ with ``ngf=64``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

__all__ = [
    "DCGANGenerator", "DCGANCritic", "MLPGenerator", "MLPCritic", "dcgan_init",
    "image_channels", "batchnorm_parameters", "build_image_models", "count_parameters", "GENERATORS", "CRITICS",
]

GENERATORS = ("dcgan", "dcgan-nobn", "mlp")
CRITICS = ("dcgan", "mlp")
IMAGE_SIZES = (16, 32, 64, 128)


def _check_size(image_size: int) -> int:
    if image_size not in IMAGE_SIZES:
        raise ValueError(f"image_size must be one of {IMAGE_SIZES}, got {image_size!r}")
    return int(image_size)


def _check_width(name: str, value: int) -> int:
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _as_code(z: Tensor, z_dim: int) -> Tensor:
    """Accept codes of shape ``(n, z_dim)`` or ``(n, z_dim, 1, 1)``; return ``(n, z_dim)``."""
    if z.dim() == 4:
        z = z.flatten(1)
    if z.dim() != 2 or z.shape[1] != z_dim:
        raise ValueError(f"the generator expects codes of shape (n, {z_dim}), got {tuple(z.shape)}")
    return z


class DCGANGenerator(nn.Module):
    """DCGAN generator $g_\\theta: \\mathbb{R}^{d_z} \\to [-1, 1]^{C\\times H\\times W}$.

    Parameters
    ----------
    image_size : int
        Output side $H = W$ (16, 32, 64 or 128).
    z_dim : int
        Dimension $d_z$ of the code $z$.
    channels : int
        Output channels $C$ (1 for digits, 3 for colour).
    ngf : int
        Filters of the last hidden layer (doubling towards the seed), or of every layer when
        ``constant_filters``.
    batch_norm : bool
        Batch norm after every hidden transposed convolution.
    constant_filters : bool
        ``ngf`` filters at every layer (Fig 7) instead of the DCGAN pyramid.

    Shapes: ``forward(z)`` maps ``(n, z_dim)`` to ``(n, channels, image_size, image_size)``.
    """

    def __init__(self, image_size: int = 64, z_dim: int = 100, channels: int = 3, ngf: int = 64,
                 batch_norm: bool = True, constant_filters: bool = False):
        super().__init__()
        size, ngf = _check_size(image_size), _check_width("ngf", ngf)
        self.z_dim, self.image_size, self.channels = _check_width("z_dim", z_dim), size, channels
        n_up = size.bit_length() - 3  # stride-2 layers from 4x4 up to size x size
        widths = [ngf] * n_up if constant_filters else [ngf * 2 ** (n_up - 1 - i) for i in range(n_up)]
        layers: list[nn.Module] = [nn.ConvTranspose2d(self.z_dim, widths[0], 4, 1, 0, bias=not batch_norm)]
        for i in range(n_up):
            layers += [nn.BatchNorm2d(widths[i])] if batch_norm else []
            layers.append(nn.ReLU(inplace=True))
            out = widths[i + 1] if i + 1 < n_up else channels
            last = i + 1 == n_up
            layers.append(nn.ConvTranspose2d(widths[i], out, 4, 2, 1, bias=last or not batch_norm))
        layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, z: Tensor) -> Tensor:
        z = _as_code(z, self.z_dim)
        return self.net(z[:, :, None, None])


class MLPGenerator(nn.Module):
    """Fig 8's generator: four linear layers, 512 ReLU units, $\\tanh$ output, reshaped to an image.

    Shapes: ``forward(z)`` maps ``(n, z_dim)`` to ``(n, channels, image_size, image_size)``.
    """

    def __init__(self, image_size: int = 64, z_dim: int = 100, channels: int = 3, hidden: int = 512):
        super().__init__()
        self.z_dim, self.image_size, self.channels = _check_width("z_dim", z_dim), _check_size(image_size), channels
        hidden = _check_width("hidden", hidden)
        out = channels * image_size * image_size
        self.net = nn.Sequential(
            nn.Linear(self.z_dim, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, out), nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        x = self.net(_as_code(z, self.z_dim))
        return x.view(x.shape[0], self.channels, self.image_size, self.image_size)


class DCGANCritic(nn.Module):
    """DCGAN critic $f_w$ with no sigmoid: ``(n, C, H, W) -> (n,)`` real scores.

    A stride-2 convolution with LeakyReLU(0.2), then stride-2 convolutions doubling the filters
    (with batch norm unless ``batch_norm=False``) down to $4\\times4$, then a $4\\times4$
    convolution to one number.
    """

    def __init__(self, image_size: int = 64, channels: int = 3, ndf: int = 64, batch_norm: bool = True):
        super().__init__()
        size, ndf = _check_size(image_size), _check_width("ndf", ndf)
        self.image_size, self.channels = size, channels
        n_down = size.bit_length() - 3
        layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        width = ndf
        for _ in range(n_down - 1):
            layers.append(nn.Conv2d(width, width * 2, 4, 2, 1, bias=not batch_norm))
            layers += [nn.BatchNorm2d(width * 2)] if batch_norm else []
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            width *= 2
        layers.append(nn.Conv2d(width, 1, 4, 1, 0, bias=False))
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1:] != (self.channels, self.image_size, self.image_size):
            raise ValueError(f"the critic expects images of shape (n, {self.channels}, {self.image_size}, "
                             f"{self.image_size}), got {tuple(x.shape)}")
        return self.net(x).view(-1)


class MLPCritic(nn.Module):
    """A 4-layer ReLU MLP critic with 512 hidden units: ``(n, C, H, W) -> (n,)``."""

    def __init__(self, image_size: int = 64, channels: int = 3, hidden: int = 512):
        super().__init__()
        self.image_size, self.channels = _check_size(image_size), channels
        hidden = _check_width("hidden", hidden)
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(channels * image_size * image_size, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).view(-1)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation: convolutions $\\mathcal{N}(0, 0.02^2)$, batch-norm scales
    $\\mathcal{N}(1, 0.02^2)$, biases zero."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def batchnorm_parameters(module: nn.Module) -> list[nn.Parameter]:
    """The scale and shift parameters of every batch-norm layer of ``module``.

    The paper's code clips *all* critic parameters to $[-c, c]$, batch-norm scales $\\gamma$ and
    shifts $\\beta$ included (``clamp_bn=True``); with ``clamp_bn=False`` these are left free.
    """
    return [p for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) for p in m.parameters()]


def image_channels(dataset: str) -> int:
    """Channels of a dataset's images: the digits are grey, LSUN and folders are RGB."""
    if dataset == "digits":
        return 1
    if dataset in ("lsun", "folder"):
        return 3
    raise ValueError(f"dataset {dataset!r} is not an image dataset (digits, lsun, folder)")


def _get(config: Any, name: str, default: Any) -> Any:
    value = getattr(config, name, default)
    return default if value is None else value


def build_image_models(config: Any) -> tuple[nn.Module, nn.Module]:
    """Generator and critic for an image :class:`~wgan_core.config.TrainConfig`.

    Reads ``dataset`` (channels), ``image_size``, ``generator`` (dcgan | dcgan-nobn | mlp),
    ``critic_arch`` (dcgan | mlp), ``ngf``, ``ndf``, ``z_dim`` and ``loss`` (a ``wgan-gp`` critic
    has no batch norm); the weights are initialised from ``seed``. Raises ValueError naming a bad field.
    """
    channels = image_channels(_get(config, "dataset", "digits"))
    size = _check_size(int(_get(config, "image_size", 32)))
    z_dim, ngf, ndf = int(_get(config, "z_dim", 100)), int(_get(config, "ngf", 64)), int(_get(config, "ndf", 64))
    kind, critic_kind = _get(config, "generator", "dcgan"), _get(config, "critic_arch", "dcgan")
    with torch.random.fork_rng(devices=[]):  # initialised from config.seed, global RNG untouched
        torch.manual_seed(int(_get(config, "seed", 0)))
        return _build(kind, critic_kind, size, z_dim, channels, ngf, ndf, _get(config, "loss", "wgan"))


def _build(kind: str, critic_kind: str, size: int, z_dim: int, channels: int, ngf: int, ndf: int,
           loss: str) -> tuple[nn.Module, nn.Module]:
    if kind == "dcgan":
        generator: nn.Module = DCGANGenerator(size, z_dim, channels, ngf)
    elif kind == "dcgan-nobn":
        generator = DCGANGenerator(size, z_dim, channels, ngf, batch_norm=False, constant_filters=True)
    elif kind == "mlp":
        generator = MLPGenerator(size, z_dim, channels)
    else:
        raise ValueError(f"generator must be one of {GENERATORS}, got {kind!r}")
    if critic_kind == "dcgan":
        critic: nn.Module = DCGANCritic(size, channels, ndf, batch_norm=loss != "wgan-gp")
    elif critic_kind == "mlp":
        critic = MLPCritic(size, channels)
    else:
        raise ValueError(f"critic_arch must be one of {CRITICS}, got {critic_kind!r}")
    return generator, critic


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)

