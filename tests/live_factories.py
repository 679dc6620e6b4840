"""Job factories shared by the live tests and benches, in a module of their own so that a worker
process or a Ray actor imports them by this name (``tests.live_factories``) from the project root."""

from __future__ import annotations

from wgan_core.config import preset
from wgan_core.trainer import Trainer

TINY = dict(width=16, depth=2, batch_size=32, eval_samples=64, metrics_every=5, device="cpu")


def tiny_members(seed: int = 0) -> dict:
    return {"wgan": Trainer(preset("toy-wgan", seed=seed, **TINY))}


def broken_members() -> dict:
    raise RuntimeError("no data for this lesson")
