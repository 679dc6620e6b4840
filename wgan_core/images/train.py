r"""``train_images``: build an image trainer, wrap it for DDP, and record the run.

This module adds no training logic and no loop of its own: it builds the trainer
(:func:`~wgan_core.images.build.build_image_trainer`), drives it with :meth:`Trainer.run
<wgan_core.trainer.Trainer.run>` and records with :class:`~wgan_core.runs.RunRecorder` (the run
layout of :mod:`wgan_core.runs`), whose callbacks write at their own intervals:

* ``metrics.jsonl`` — one log per ``metrics_every`` generator steps (``critic_estimate`` is the
  paper's W estimate $\mathbb{E} f(x) - \mathbb{E} f(g(z))$ averaged over the interval);
* ``samples/NNNNNN.png`` and ``snapshots/NNNNNN.npz`` — the image-grid hook every ``grid_every``:
  the generator on the *fixed* noise (comparable over time), as a PNG and as ``uint8`` arrays;
* ``checkpoint.pt`` — every ``checkpoint_every``: models, optimisers, counters and RNG states of
  every rank (:data:`CHECKPOINT_FORMAT`; atomic, ``weights_only`` load);
* ``summary.json`` — ``g_steps_per_s``, ``critic_estimate`` (last and median-filtered), the data
  metrics (``classes_covered``, ``class_kl``, ``w1_pixels`` for the digits), ``images_skipped``
  (corrupt images dropped with ``--skip-corrupt``) and the run's shape.

Resuming from a checkpoint restores everything, so a run of $2k$ steps and a run of $k$ steps
resumed for $k$ more end with bit-identical weights (for device-resident data).
"""

from __future__ import annotations

import time
from typing import Any

import torch

from wgan_core.images import ddp
from wgan_core.images.build import build_image_trainer

__all__ = ["train_images", "load_image_checkpoint", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "wgan-classroom/images-1"


def load_image_checkpoint(path) -> dict:
    """Load a checkpoint written by :func:`train_images` (``weights_only=True``; a corrupt,
    truncated or code-carrying file raises ``CheckpointError`` and runs nothing)."""
    from wgan_core.checkpoint import CheckpointError, load_checkpoint

    state = load_checkpoint(path)
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not an image-training checkpoint of this project")
    return state


def _rank_state(trainer) -> dict:
    state = trainer.state_dict()
    return {"rng": state["rng"], "data": state["data"]}


def _check_counts(**counts) -> None:
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "steps" else 1):
            kind = "non-negative" if name == "steps" else "positive"
            raise ValueError(f"{name} must be a {kind} integer; got {value!r}")


def _resume(trainer, state: dict, rank: int) -> None:
    trainer.load_state_dict(state["trainer"])
    ranks = state.get("ranks") or []
    if rank < len(ranks):  # each rank continues its own noise and data streams
        trainer.load_state_dict({**trainer.state_dict(), **ranks[rank]})


def train_images(config, out_dir, steps: int, resume=None, metrics_every: int = 50, grid_every: int = 100,
                 checkpoint_every: int = 500, bf16: bool = False, channels_last: bool = False,
                 num_workers: int | None = None, skip_corrupt: bool = False, progress: bool = True) -> dict:
    """Train until ``trainer.g_step == steps`` and record the run in ``out_dir``; return the summary.

    ``config`` is a :class:`~wgan_core.config.TrainConfig` with an image dataset; with ``resume``
    (a checkpoint path) the saved config, weights, optimisers, counters and RNG states are restored
    and ``config`` only supplies the device. Under ``torchrun`` each rank calls this; rank 0 writes.
    """
    from wgan_core.config import TrainConfig
    from wgan_core.runs import RunRecorder
    from wgan_core.trainer import resolve_device

    _check_counts(steps=steps, metrics_every=metrics_every, grid_every=grid_every, checkpoint_every=checkpoint_every)
    state = load_image_checkpoint(resume) if resume else None
    if state is not None:
        config = TrainConfig.from_dict({**state["config"], "device": config.device})
    if config.is_toy:
        raise ValueError(f"dataset must be an image dataset (digits, lsun, folder); got {config.dataset!r}")
    ctx = ddp.init_distributed(resolve_device(config.device))
    torch.manual_seed(config.seed)  # the same global RNG on every rank (DDP also broadcasts the weights)
    trainer = build_image_trainer(config, bf16=bf16, channels_last=channels_last, ctx=ctx, num_workers=num_workers,
                                  skip_corrupt=skip_corrupt)
    if state is not None:
        _resume(trainer, state, ctx.rank)
    rec = RunRecorder(out_dir, config, continue_at=trainer.g_step) if ctx.is_main else None
    if rec is not None:
        (rec.path / "samples").mkdir(exist_ok=True)
    bar = None
    if progress and ctx.is_main:
        from tqdm import tqdm

        bar = tqdm(total=steps, initial=min(trainer.g_step, steps), unit="G-step", dynamic_ncols=True)
    start_step, start_seconds, t0 = trainer.g_step, trainer.seconds, time.perf_counter()

    def due(every: int) -> bool:
        return trainer.g_step % every == 0 or trainer.g_step == steps

    def grid(_) -> None:
        if rec is not None and due(grid_every):
            rec.grid(trainer)

    def checkpoint(_) -> None:  # every rank joins the gather; rank 0 writes
        if due(checkpoint_every):
            ranks = ddp.gather(ctx, _rank_state(trainer))
            if rec is not None:
                rec.checkpoint({"format": CHECKPOINT_FORMAT, "config": config.to_dict(),
                                "trainer": trainer.state_dict(), "ranks": ranks})

    callbacks = [grid, checkpoint] + ([lambda _: bar.update(1)] if bar is not None else [])
    for log in trainer.run(max(steps - trainer.g_step, 0), metrics_every, callbacks):
        if rec is not None:
            rec.log(log)
        if bar is not None:
            bar.set_postfix(W=f"{log.get('critic_estimate', float('nan')):.4f}")
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
    if rec is not None:
        summary.update(_curve_summary(rec.history()))
        rec.finish(summary)
    ddp.shutdown()
    return summary


def _curve_summary(history: list[dict]) -> dict[str, float]:
    """The last log's critic estimate and data metrics, and the median-filtered critic estimate."""
    from wgan_core.metrics import median_filter

    out: dict[str, float] = {}
    if history:
        last = history[-1]
        out.update({k: last[k] for k in ("critic_estimate", "classes_covered", "class_kl", "w1_pixels",
                                         "critic_estimate_eval") if k in last})
    curve = [h["critic_estimate"] for h in history if "critic_estimate" in h]
    if curve:
        window = min(len(curve) - (len(curve) + 1) % 2, 9)  # odd, at most the curve's length
        out["critic_estimate_median"] = float(median_filter(curve, window)[-1])
    return out
