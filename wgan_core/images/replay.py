r"""Reading runs recorded by ``train-images`` for replay: logs, snapshot grids and checkpoint samples.

A class can watch a run recorded earlier (on a GPU, say) without training: the page lists the run
directories of a server-configured root and the user *picks* one by name — a name that resolves
outside the root is refused, so no free-text path ever reaches the file system. Checkpoints are read
with ``torch.load(weights_only=True)`` and sampled on the CPU from the run's fixed noise.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wgan_core.images.grid import GRID_IMAGES
from wgan_core.runs import check_run, snapshot_steps

__all__ = ["RecordedImageRun", "list_image_runs", "scan_image_runs", "load_image_run", "run_grid", "run_thumbnails",
           "checkpoint_grid", "list_checkpoints", "GRID_IMAGES"]


@dataclass(frozen=True)
class RecordedImageRun:
    """A run directory of the CLI: ``config``, ``logs``, ``summary`` and snapshot steps."""

    name: str
    path: Path
    config: dict
    logs: list[dict]
    summary: dict
    snapshot_steps: list[int]


def _is_image_run(d: Path) -> bool:
    try:
        return json.loads((d / "config.json").read_text()).get("dataset") in ("digits", "lsun", "folder")
    except (json.JSONDecodeError, OSError, AttributeError):
        return True  # not readable as an image run's config: check_run says why


def scan_image_runs(root) -> tuple[list[str], dict[str, str]]:
    """Run directories directly under ``root`` made by train-images: ``(replayable names, {skipped name:
    why})`` — a run still being recorded, a torn log or an unknown version is skipped
    (:func:`wgan_core.runs.check_run`)."""
    root = Path(root)
    if not root.is_dir():
        return [], {}
    names, skipped = [], {}
    for d in sorted(root.iterdir()):
        if not (d.is_dir() and (d / "config.json").is_file() and _is_image_run(d)):
            continue
        why = check_run(d)
        if why is None:
            names.append(d.name)
        else:
            skipped[d.name] = why
    return names, skipped


def list_image_runs(root) -> list[str]:
    """Names of the replayable run directories under ``root`` made by train-images."""
    return scan_image_runs(root)[0]


def _inside(root: Path, name: str) -> Path:
    path = (root / name).resolve()
    if path.parent != root.resolve():
        raise ValueError(f"{name!r} is not a run of {root}")
    return path


def load_image_run(name: str, root) -> RecordedImageRun:
    """Read one run picked from :func:`list_image_runs` (a name, never a free path)."""
    from wgan_core.runs import load_run

    run = load_run(_inside(Path(root), name))  # ValueError naming a half-written, torn or unknown run
    return RecordedImageRun(name, run.path, run.config.to_dict(), run.metrics, run.summary, snapshot_steps(run.path))


def run_grid(run: RecordedImageRun, step: int, n: int = GRID_IMAGES) -> np.ndarray:
    """The tiled fixed-noise samples recorded at ``step`` (uint8 HxWxC)."""
    from wgan_core.images.grid import tile

    if step not in run.snapshot_steps:
        raise ValueError(f"run {run.name} has no snapshot at step {step}")
    try:
        with np.load(run.path / "snapshots" / f"{step:06d}.npz", allow_pickle=False) as npz:
            samples = npz["samples"][:n]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"the snapshot at step {step} of run {run.name} is unreadable ({exc})") from None
    if samples.dtype == np.uint8:  # train-images stores bytes; float snapshots are already in [-1, 1]
        samples = samples.astype(np.float32) / 127.5 - 1.0
    return tile(samples)


def checkpoint_grid(name: str, root, n: int = GRID_IMAGES) -> tuple[np.ndarray, dict]:
    """Samples of the generator saved in ``<run>/checkpoint.pt`` on its fixed noise, on the CPU.

    Returns the tiled grid and ``{'g_step', 'generator', 'loss', 'dataset'}``. The checkpoint is loaded
    with ``weights_only=True``; a bad file raises ``CheckpointError`` without running code.
    """
    import torch

    from wgan_core.config import TrainConfig
    from wgan_core.images.grid import tile
    from wgan_core.images.models import build_image_models
    from wgan_core.images.train import load_image_checkpoint
    from wgan_core.trainer import Trainer

    root = Path(root)
    state = load_image_checkpoint(_inside(root, name) / "checkpoint.pt")
    config = TrainConfig.from_dict({**state["config"], "device": "cpu", "data_on_device": False})
    generator, critic = build_image_models(config)

    class _NoData:  # the generator alone is needed: no dataset is opened
        kind, shape = "image", (1,)

    trainer = Trainer(config, data=_NoData(), generator=generator, critic=critic)
    generator.load_state_dict({k: v.cpu() for k, v in state["trainer"]["generator"].items()})
    with torch.no_grad():
        samples = trainer.sample(n, noise=trainer.fixed_noise[:n].cpu())
    info = {"g_step": int(state["trainer"]["g_step"]), "generator": config.generator, "loss": config.loss,
            "dataset": config.dataset}
    return tile(samples), info


def list_checkpoints(root) -> list[str]:
    """Names of the runs under ``root`` that hold a ``checkpoint.pt``."""
    root = Path(root)
    return [name for name in list_image_runs(root) if (root / name / "checkpoint.pt").is_file()]


def run_thumbnails(run: RecordedImageRun, k: int = 8) -> tuple[list[int], list[np.ndarray]]:
    """Up to ``k`` evenly spaced snapshot steps of a recorded run and a 2x2 thumbnail at each."""
    steps = run.snapshot_steps
    if not steps:
        return [], []
    picks = sorted({steps[round(i)] for i in np.linspace(0, len(steps) - 1, min(k, len(steps)))})
    return picks, [run_grid(run, s, n=4) for s in picks]
