"""Replay of recorded image runs and checkpoints for the images lesson (thin wrappers over
:mod:`wgan_core.images.replay`, rooted at the server's runs directory). Split from
:mod:`lessons.images`, which re-exports these names."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lessons.image_run import GRID_IMAGES


def runs_dir() -> Path:
    """The server's directory of recorded runs: :func:`wgan_core.runs.runs_root` (the one resolver:
    ``WGAN_RUNS_DIR``, else ``./runs``)."""
    from wgan_core.runs import runs_root

    return runs_root()



def list_image_runs(root: Path | None = None) -> list[str]:
    """Image runs under ``root`` (default :func:`runs_dir`)."""
    from wgan_core.images import replay

    return replay.list_image_runs(root if root is not None else runs_dir())


def skipped_image_runs(root: Path | None = None) -> dict[str, str]:
    """Image runs under ``root`` that are not offered for replay, with the reason (half-written, torn,
    unknown version)."""
    from wgan_core.images import replay

    return replay.scan_image_runs(root if root is not None else runs_dir())[1]


def load_image_run(name: str, root: Path | None = None):
    """One recorded run, by name (see :func:`wgan_core.images.replay.load_image_run`)."""
    from wgan_core.images import replay

    return replay.load_image_run(name, root if root is not None else runs_dir())


def list_checkpoints(root: Path | None = None) -> list[str]:
    """Runs under ``root`` (default :func:`runs_dir`) that hold a checkpoint."""
    from wgan_core.images import replay

    return replay.list_checkpoints(root if root is not None else runs_dir())


def checkpoint_grid(name: str, root: Path | None = None, n: int = GRID_IMAGES):
    """Samples of a run's checkpointed generator on its fixed noise: ``(grid, info)``."""
    from wgan_core.images import replay

    return replay.checkpoint_grid(name, root if root is not None else runs_dir(), n)


def run_grid(run, step: int, n: int = GRID_IMAGES) -> np.ndarray:
    from wgan_core.images import replay

    return replay.run_grid(run, step, n)


def run_thumbnails(run, k: int = 8):
    from wgan_core.images import replay

    return replay.run_thumbnails(run, k)
