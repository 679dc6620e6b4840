r"""``train_images``: drive the one :class:`~wgan_core.trainer.Trainer` on images and record the run.

This module adds no training logic: it builds the models and data, wraps them for speed and DDP,
calls ``trainer.step()`` ``steps`` times, and records what the lesson replays. A run directory holds

* ``config.json`` — the :class:`~wgan_core.config.TrainConfig` (``TrainConfig.from_dict``);
* ``metrics.jsonl`` — one JSON log per ``metrics_every`` generator steps (``critic_estimate`` is
  the paper's W estimate $\mathbb{E} f(x) - \mathbb{E} f(g(z))$ averaged over the interval);
* ``samples/NNNNNN.png`` — grids of the generator on the *fixed* noise (comparable over time);
* ``snapshots/NNNNNN.npz`` — the same samples as ``uint8`` arrays ``(n, C, H, W)`` for thumbnails;
* ``checkpoint.pt`` — models, optimisers, counters and RNG states (atomic, ``weights_only`` load);
* ``summary.json`` — ``g_steps_per_s``, ``critic_estimate`` (last and median-filtered), the data
  metrics (``classes_covered``, ``class_kl``, ``w1_pixels`` for the digits), ``images_skipped``
  (corrupt images dropped with ``--skip-corrupt``) and the run's shape.

Resuming from a checkpoint restores everything, so a run of $2k$ steps and a run of $k$ steps
resumed for $k$ more end with bit-identical weights (for device-resident data).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wgan_core.atomic import atomic_open, atomic_write
from wgan_core.images import ddp
from wgan_core.images.grid import save_grid, to_uint8

__all__ = ["train_images", "load_image_checkpoint", "GRID_IMAGES", "CHECKPOINT_FORMAT"]

GRID_IMAGES = 64
CHECKPOINT_FORMAT = "wgan-classroom/images-1"


def _write_json(path: Path, obj: Any) -> None:
    atomic_write(path, json.dumps(obj, indent=2, sort_keys=True))


def load_image_checkpoint(path) -> dict:
    """Load a checkpoint written by :func:`train_images` (``weights_only=True``; a corrupt,
    truncated or code-carrying file raises ``CheckpointError`` and runs nothing)."""
    from wgan_core.checkpoint import CheckpointError, load_checkpoint

    state = load_checkpoint(path)
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not an image-training checkpoint of this project")
    return state


def _truncate_log(path: Path, g_step: int) -> None:
    """Keep only the logs up to ``g_step`` (a resumed run rewrites what came after)."""
    if not path.exists():
        return
    kept = [line for line in path.read_text().splitlines() if line and json.loads(line).get("g_step", 0) <= g_step]
    atomic_write(path, "".join(f"{line}\n" for line in kept))


def _build(config, ctx: ddp.DistContext, bf16: bool, channels_last: bool, num_workers, skip_corrupt: bool):
    from wgan_core.images.data import build_image_data
    from wgan_core.images.models import build_image_models
    from wgan_core.images.speed import accelerate
    from wgan_core.trainer import Trainer

    torch.manual_seed(config.seed)  # the same initial weights on every rank (DDP also broadcasts them)
    generator, critic = build_image_models(config)
    generator = ddp.wrap(accelerate(generator, bf16, channels_last), ctx)
    critic = ddp.wrap(accelerate(critic, bf16, channels_last), ctx)
    rank_config = config.replace(seed=config.seed + ctx.rank, device=ctx.device.type)
    data = build_image_data(rank_config, ctx.device, num_workers=num_workers, skip_corrupt=skip_corrupt)
    return Trainer(rank_config, data=data, generator=generator, critic=critic)


def _rank_state(trainer) -> dict:
    state = trainer.state_dict()
    return {"rng": state["rng"], "data": state["data"]}


def train_images(config, out_dir, steps: int, resume=None, metrics_every: int = 50, grid_every: int = 100,
                 checkpoint_every: int = 500, bf16: bool = False, channels_last: bool = False,
                 num_workers: int | None = None, skip_corrupt: bool = False, progress: bool = True) -> dict:
    """Train until ``trainer.g_step == steps`` and record the run in ``out_dir``; return the summary.

    ``config`` is a :class:`~wgan_core.config.TrainConfig` with an image dataset; with ``resume``
    (a checkpoint path) the saved config, weights, optimisers, counters and RNG states are restored
    and ``config`` only supplies the device. Under ``torchrun`` each rank calls this; rank 0 writes.
    """
    from wgan_core.checkpoint import save_checkpoint
    from wgan_core.config import TrainConfig
    from wgan_core.metrics import median_filter
    from wgan_core.runs import RUN_FORMAT
    from wgan_core.trainer import resolve_device

    for name, value in (("steps", steps), ("metrics_every", metrics_every), ("grid_every", grid_every),
                        ("checkpoint_every", checkpoint_every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "steps" else 1):
            kind = "non-negative" if name == "steps" else "positive"
            raise ValueError(f"{name} must be a {kind} integer; got {value!r}")
    state = load_image_checkpoint(resume) if resume else None
    if state is not None:
        config = TrainConfig.from_dict({**state["config"], "device": config.device})
    if config.is_toy:
        raise ValueError(f"dataset must be an image dataset (digits, lsun, folder); got {config.dataset!r}")
    ctx = ddp.init_distributed(resolve_device(config.device))
    trainer = _build(config, ctx, bf16, channels_last, num_workers, skip_corrupt)
    if state is not None:
        trainer.load_state_dict(state["trainer"])
        ranks = state.get("ranks") or []
        if ctx.rank < len(ranks):  # each rank continues its own noise and data streams
            own = {**trainer.state_dict(), **ranks[ctx.rank]}
            trainer.load_state_dict(own)
    out = Path(out_dir)
    if ctx.is_main:
        for sub in ("samples", "snapshots"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        _write_json(out / "config.json", config.to_dict())
        _truncate_log(out / "metrics.jsonl", trainer.g_step)
    bar = None
    if progress and ctx.is_main:
        from tqdm import tqdm

        bar = tqdm(total=steps, initial=min(trainer.g_step, steps), unit="G-step", dynamic_ncols=True)
    start_step, start_seconds, t0 = trainer.g_step, trainer.seconds, time.perf_counter()
    logs: list[dict] = []

    def checkpoint() -> None:
        ranks = ddp.gather(ctx, _rank_state(trainer))
        if ctx.is_main:
            save_checkpoint(out / "checkpoint.pt", {"format": CHECKPOINT_FORMAT, "config": config.to_dict(),
                                                    "trainer": trainer.state_dict(), "ranks": ranks})

    while trainer.g_step < steps:
        trainer.step()
        g = trainer.g_step
        if bar is not None:
            bar.update(1)
        if g % metrics_every == 0 or g == steps:
            log = trainer.metrics()
            logs.append(log)
            if ctx.is_main:
                with open(out / "metrics.jsonl", "a") as fh:
                    fh.write(json.dumps(log) + "\n")
                if bar is not None:
                    bar.set_postfix(W=f"{log.get('critic_estimate', float('nan')):.4f}")
        if ctx.is_main and (g % grid_every == 0 or g == steps):
            fake = torch.from_numpy(trainer.sample(GRID_IMAGES, noise=trainer.fixed_noise[:GRID_IMAGES]))
            save_grid(fake, out / "samples" / f"{g:06d}.png", nrow=8)
            with atomic_open(out / "snapshots" / f"{g:06d}.npz") as fh:
                np.savez_compressed(fh, g_step=g, samples=to_uint8(fake).transpose(0, 3, 1, 2))
        if g % checkpoint_every == 0 or g == steps:
            checkpoint()
    if bar is not None:
        bar.close()
    ddp.check_in_step(ctx, trainer.critic_steps, trainer.g_step)
    ddp.check_in_sync(ctx, trainer.generator, trainer.critic)
    done, seconds = trainer.g_step - start_step, trainer.seconds - start_seconds
    summary: dict[str, Any] = {"g_step": trainer.g_step, "critic_steps": trainer.critic_steps, "steps_this_run": done,
                               "g_steps_per_s": done / seconds if seconds > 0 else 0.0,
                               "wall_seconds": time.perf_counter() - t0, "device": str(ctx.device),
                               "world_size": ctx.world_size, "resumed_from": str(resume) if resume else None,
                               "dataset": config.dataset, "generator": config.generator, "loss": config.loss,
                               "images_skipped": int(getattr(trainer.data, "skipped", 0))}
    if ctx.is_main:
        history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line]
        curve = [h["critic_estimate"] for h in history if "critic_estimate" in h]
        if history:
            last = history[-1]
            for key in ("critic_estimate", "classes_covered", "class_kl", "w1_pixels", "critic_estimate_eval"):
                if key in last:
                    summary[key] = last[key]
        if curve:
            window = min(len(curve) - (len(curve) + 1) % 2, 9)  # odd, at most the curve's length
            summary["critic_estimate_median"] = float(median_filter(curve, window)[-1])
        _write_json(out / "summary.json", {**summary, "format": RUN_FORMAT})
    ddp.shutdown()
    return summary
