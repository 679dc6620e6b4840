"""Job factories shared by the live tests and benches, in a module of their own so that a worker
process or a Ray actor imports them by this name (``tests.live_factories``) from the project root."""

from __future__ import annotations

from wgan_core.config import preset
from wgan_core.trainer import Trainer

TINY = dict(width=16, depth=2, batch_size=32, eval_samples=64, metrics_every=5)


# A job calls its factory with the job's device as a keyword (wgan_core.live.worker.run_job).
def tiny_members(seed: int = 0, *, device: str) -> dict:
    return {"wgan": Trainer(preset("toy-wgan", seed=seed, device=device, **TINY))}


def broken_members(*, device: str) -> dict:
    raise RuntimeError("no data for this lesson")
