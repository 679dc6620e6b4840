"""The images lesson's live job member: a :class:`~wgan_core.trainer.Trainer` seen through the job
protocol, with a light snapshot (a tiled grid of the fixed-noise samples and a bounded history of
thumbnails). Split from :mod:`lessons.images`, which re-exports it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wgan_core.images.grid import GRID_IMAGES

MAX_THUMBNAILS = 12


@dataclass
class Thumbnails:
    """A bounded history of small sample grids along a run: ``steps`` and ``images`` (uint8 HxWxC)."""

    limit: int = MAX_THUMBNAILS
    steps: list[int] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)

    def add(self, step: int, image: np.ndarray) -> None:
        self.steps.append(int(step))
        self.images.append(image)
        if len(self.steps) > self.limit:  # keep the first, thin the middle, keep the newest
            keep = [0] + list(range(2, len(self.steps) - 1, 2)) + [len(self.steps) - 1]
            self.steps = [self.steps[i] for i in keep]
            self.images = [self.images[i] for i in keep]


class ImageRun:
    """One :class:`~wgan_core.trainer.Trainer` seen through the job protocol, with a light snapshot:
    a tiled grid of the fixed-noise samples and thumbnails recorded at every metrics call."""

    def __init__(self, trainer, grid_images: int = GRID_IMAGES):
        self.trainer = trainer
        self.grid_images = int(grid_images)
        self.thumbnails = Thumbnails()

    @property
    def g_step(self) -> int:
        return self.trainer.g_step

    def step(self) -> None:
        self.trainer.step()

    def set_hparams(self, **changes) -> None:
        self.trainer.set_hparams(**changes)

    def hparams(self) -> dict:
        return self.trainer.hparams()

    def _grid(self, n: int, nrow: int | None = None) -> np.ndarray:
        from wgan_core.images.grid import tile

        samples = self.trainer.sample(n, noise=self.trainer.fixed_noise[:n])
        return tile(samples, nrow=nrow)

    def metrics(self) -> dict:
        log = self.trainer.metrics()
        self.thumbnails.add(self.trainer.g_step, self._grid(4, nrow=2))
        return log

    def snapshot(self) -> dict:
        return {"g_step": self.trainer.g_step, "grid": self._grid(self.grid_images),
                "thumb_steps": list(self.thumbnails.steps), "thumbs": list(self.thumbnails.images)}
