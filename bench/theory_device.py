r"""Why the lessons' theory experiments stay on the CPU (``wgan_core.device.THEORY_DEVICE``): per critic
iteration, the wall time on this CPU beside the launch floor a GPU would pay for the same operations.

Each aten operation that computes is at least one kernel launch on a GPU (5-10 us each, before any
arithmetic), so ``ops x 5-10 us`` is the fastest a GPU could run one iteration of these tiny MLPs.
Printed per experiment: CPU ms per iteration, compute ops per iteration and that floor. Example::

    python bench/theory_device.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Shape-only operations: no kernel on a GPU.
NO_KERNEL = ("aten::empty", "aten::view", "aten::as_strided", "aten::t", "aten::detach", "aten::transpose",
             "aten::expand", "aten::resolve", "aten::alias", "aten::slice", "aten::select", "aten::reshape",
             "aten::_reshape", "aten::unsqueeze", "aten::squeeze")


def per_iteration(trainer, n: int = 300) -> tuple[float, float]:
    """(seconds per critic iteration, compute aten ops per iteration) of ``trainer.train_critic``."""
    trainer.train_critic(20)
    t0 = time.perf_counter()
    trainer.train_critic(n)
    seconds = (time.perf_counter() - t0) / n
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        trainer.train_critic(10)
    ops = sum(e.count for e in prof.key_averages() if e.key.startswith("aten::") and not e.key.startswith(NO_KERNEL))
    return seconds, ops / 10


def experiments() -> dict:
    import lessons.optimal_critic as oc
    import lessons.vanishing_gradients as vg
    from wgan_core.config import TrainConfig
    from wgan_core.models import AffineGenerator
    from wgan_core.trainer import Trainer

    out = {}
    for loss in ("wgan", "gan"):
        cfg = TrainConfig(dataset="gaussians-1d", loss=loss, optimizer="rmsprop", lr=oc.LR, clip_value=0.01,
                          batch_size=oc.BATCH, width=128, depth=3, seed=0, device="cpu")
        out[f"optimal_critic {loss}"] = Trainer(cfg, generator=AffineGenerator(2.5, oc.FAKE_STD, learnable=False))
    for name, trainer in vg.make_trainers("lines", 1.0, 3.16e-3, 0).items():
        out[f"vanishing_gradients {name}"] = trainer
    return out


def main() -> int:
    print(f"CPU (the trainer's one torch thread for toys), torch {torch.__version__}")
    print("| experiment | CPU ms / critic iteration | compute ops / iteration | GPU launch floor (ms) |")
    print("| --- | ---: | ---: | ---: |")
    for name, trainer in experiments().items():
        seconds, ops = per_iteration(trainer)
        print(f"| {name} | {seconds * 1e3:.2f} | {ops:.0f} | {ops * 5e-3:.2f}-{ops * 10e-3:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
