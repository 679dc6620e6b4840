r"""Where training runs: the one device resolver and the server's device setting ``WGAN_DEVICE``.

* :func:`resolve_device` turns a :class:`~wgan_core.config.TrainConfig` ``device`` (``auto``,
  ``cpu`` or ``cuda``) into a ``torch.device``. ``auto`` picks CUDA when a GPU is present;
  ``cuda`` without one raises :class:`NoGPUError` ("CUDA was requested but no GPU is available")
  — never a silent fallback to the CPU.
* :func:`server_device` reads ``WGAN_DEVICE`` (default ``auto``): where the app's live jobs and
  image runs train. A bad value raises ValueError naming the variable.
* :data:`THEORY_DEVICE` is where the lessons' tiny theory experiments train (see its comment).

GPU presence is asked with ``torch.cuda.device_count()``, which queries NVML and does not
initialise CUDA in the asking process, so a process that forks workers afterwards stays safe.
"""

from __future__ import annotations

import os

import torch

__all__ = ["DEVICES", "DEVICE_ENV", "NO_GPU", "NoGPUError", "THEORY_DEVICE", "cuda_available",
           "resolve_device", "server_device", "describe_device"]

DEVICES = ("auto", "cpu", "cuda")
DEVICE_ENV = "WGAN_DEVICE"
NO_GPU = "CUDA was requested but no GPU is available"

#: The lessons' theory experiments (optimal critic, vanishing gradients, the clip sweep, the recorded
#: loss and optimiser runs) stay on the CPU whatever WGAN_DEVICE says — a measured exception:
#: * reproducible: seeded on the CPU, their numbers are the same on every machine, so the claims the
#:   lessons state, their tests and the precomputed cache hold on a GPU server too (CUDA's random
#:   streams differ from the CPU's);
#: * no faster where it matters: measured on the shared 2-core box (load 30-40, 2 Dec 2026, two runs),
#:   one critic iteration of vanishing_gradients (MLP 64x2, batch 64) takes 0.37-0.92 ms for 48-58
#:   compute ops, about what a GPU pays in launches alone (5-10 us per op: 0.24-0.58 ms); the optimal
#:   critic's (MLP 128x3, batch 256) takes 3.9-8.7 ms for 55-67 ops, so a GPU could save 2-8 s once
#:   per cached result (500 iterations x 2 networks), at the price of a CUDA context in the server.
#: (`python bench/theory_device.py` measures both.) Live jobs and image runs follow WGAN_DEVICE.
THEORY_DEVICE = "cpu"


class NoGPUError(ValueError):
    """``cuda`` was asked for on a machine without a usable GPU."""

    def __init__(self, where: str = ""):
        super().__init__(NO_GPU + (f" ({where})" if where else ""))


def cuda_available() -> bool:
    """Whether a CUDA GPU is present (NVML query; CUDA itself is not initialised)."""
    return torch.cuda.device_count() > 0


def _check(name: object, what: str) -> str:
    if name not in DEVICES:
        raise ValueError(f"{what} must be one of {', '.join(DEVICES)}; got {name!r}")
    return str(name)


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU raises :class:`NoGPUError`."""
    name = _check(name, "device")
    if name == "auto":
        return torch.device("cuda" if cuda_available() else "cpu")
    if name == "cuda" and not cuda_available():
        raise NoGPUError()
    return torch.device(name)


def server_device() -> str:
    """The device the server's live jobs and image runs train on: ``cpu`` or ``cuda``.

    From ``WGAN_DEVICE`` (``auto`` when unset or empty). Raises ValueError for a value that is
    not a device and :class:`NoGPUError` for ``cuda`` on a machine without a GPU.
    """
    raw = os.environ.get(DEVICE_ENV, "").strip().lower() or "auto"
    if raw not in DEVICES:
        raise ValueError(f"{DEVICE_ENV}={os.environ.get(DEVICE_ENV)!r} is not a device; "
                         f"set it to one of {', '.join(DEVICES)}")
    if raw == "cuda" and not cuda_available():
        raise NoGPUError(f"{DEVICE_ENV}=cuda")
    return resolve_device(raw).type


def describe_device(device: str) -> str:
    """A short human name: ``CPU`` or ``GPU (NVIDIA H200)``."""
    if resolve_device(device).type == "cuda":
        return f"GPU ({torch.cuda.get_device_name(0)})"
    return "CPU"
