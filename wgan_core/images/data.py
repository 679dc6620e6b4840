r"""Image data sources for the trainer: ``build_image_data(config, device) -> DataSource``.

A data source (the protocol of :mod:`wgan_core.data`) has ``.shape`` (one image, ``(C, H, W)``),
``.kind == "image"``, ``.sample(n)`` — float32 images in $[-1, 1]$ on the trainer's device — and
``.evaluate(fake) -> dict`` of quality numbers:

* ``w1_pixels`` — the exact earth-mover distance $W_1$ in pixel space between ``min(n, 256)``
  generated images and as many fixed real ones, each image a point of $[-1, 1]^{CHW}$ with the
  Euclidean ground cost (:func:`wgan_core.distances.wasserstein1`, POT's network simplex);
* for the digits, ``classes_covered`` and ``class_kl`` (:mod:`wgan_core.images.classifier`).

Two kinds of source:

* :class:`TensorImageSource` holds the whole preprocessed dataset as one ``uint8`` tensor — on the
  training device for the digits, and for LSUN/folders with ``data_on_device=True`` (on a GPU this
  removes the input pipeline from the loop: a batch is one gather and one multiply-add). Sampling
  draws indices uniformly *with replacement* from the source's own seeded generator on that device;
  its state travels in the trainer's checkpoint (``state_dict``), so resumed runs are bit-exact.
* :class:`StreamingImageSource` streams shuffled epochs from a DataLoader (the lmdb is opened in
  each worker). Its shuffle order has its own seeded generator, so resume is exact in the models
  and optimisers but continues with a fresh shuffle.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from wgan_core.images.preprocess import to_unit_range

__all__ = ["TensorImageSource", "StreamingImageSource", "build_image_data", "preload", "W1_SAMPLES"]

#: Images per side in the pixel-space W1 of ``evaluate`` (exact OT cost grows like n^3).
W1_SAMPLES = 256


def _w1_pixels(real: torch.Tensor, fake: torch.Tensor) -> float:
    from wgan_core.distances import wasserstein1

    n = min(len(real), len(fake), W1_SAMPLES)
    x = real[:n].detach().float().reshape(n, -1).cpu().numpy().astype(np.float64)
    y = fake[:n].detach().float().reshape(n, -1).cpu().numpy().astype(np.float64)
    return wasserstein1(x, y)


def _check_fake(fake: torch.Tensor, shape: tuple[int, ...]) -> None:
    if fake.dim() != 4 or tuple(fake.shape[1:]) != tuple(shape) or fake.shape[0] == 0:
        raise ValueError(f"evaluate expects images of shape (n, {', '.join(map(str, shape))}), got {tuple(fake.shape)}")


class TensorImageSource:
    """A dataset held as one ``uint8`` tensor ``(N, C, H, W)`` on ``device``.

    Parameters
    ----------
    images : Tensor, shape (N, C, H, W), uint8
    device : torch.device or str
    labels : Tensor, shape (N,), optional
        Digit labels; when given (grey digits), ``evaluate`` adds class coverage.
    name : str
        For messages.
    """

    kind = "image"

    def __init__(self, images: torch.Tensor, device, labels: torch.Tensor | None = None, name: str = "images",
                 seed: int = 0, eval_seed: int = 1234):
        if images.dtype != torch.uint8 or images.dim() != 4 or len(images) == 0:
            raise ValueError(f"{name}: expected a non-empty uint8 tensor (N, C, H, W), got "
                             f"{images.dtype} {tuple(images.shape)}")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels
        self.name = name
        self.shape = tuple(images.shape[1:])
        self.skipped = 0
        self._rng = torch.Generator(device=self.device)
        self._rng.manual_seed(int(seed))
        pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(eval_seed))[:W1_SAMPLES]
        self._reference = to_unit_range(images[pick].cpu())

    def __len__(self) -> int:
        return len(self.images)

    def sample(self, n: int) -> torch.Tensor:
        """``n`` images ``(n, C, H, W)`` float32 in $[-1, 1]$ on the device, drawn with replacement."""
        if n < 1:
            raise ValueError(f"n must be positive, got {n}")
        index = torch.randint(len(self.images), (n,), device=self.device, generator=self._rng)
        return to_unit_range(self.images[index])

    def heldout(self) -> np.ndarray:
        """A fixed set of real images ``(256, C, H, W)`` float32 for metrics (no RNG is consumed)."""
        return self._reference.numpy()

    def state_dict(self) -> dict:
        """The sampling generator's state (a uint8 tensor), for exact resume."""
        return {"rng": self._rng.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self._rng.set_state(state["rng"].cpu())

    def evaluate(self, fake: torch.Tensor) -> dict[str, float]:
        """``w1_pixels`` and, for the digits, ``classes_covered`` and ``class_kl``."""
        _check_fake(fake, self.shape)
        out = {"w1_pixels": _w1_pixels(self._reference, fake)}
        if self.labels is not None:
            from wgan_core.images.classifier import class_coverage

            out.update(class_coverage(fake))
        return out


class StreamingImageSource:
    """Shuffled epochs of a ``Dataset`` returning ``(uint8 image, ok)``; bad items are dropped and
    counted in ``.skipped``."""

    kind = "image"

    def __init__(self, dataset: Dataset, device, batch_size: int = 64, num_workers: int = 0, seed: int = 0,
                 name: str = "images"):
        self.dataset, self.device, self.name = dataset, torch.device(device), name
        self.batch_size, self.num_workers = int(batch_size), int(num_workers)
        self.skipped = 0
        first, ok = dataset[0]
        self.shape = tuple(first.shape)
        self._loader = DataLoader(dataset, batch_size=self.batch_size, shuffle=True, drop_last=False,
                                  num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
                                  generator=torch.Generator().manual_seed(seed),
                                  pin_memory=self.device.type == "cuda")
        self._iter = None
        self._buffer: list[torch.Tensor] = []
        ref_loader = DataLoader(dataset, batch_size=W1_SAMPLES, shuffle=True,
                                generator=torch.Generator().manual_seed(seed + 1))
        images, oks = next(iter(ref_loader))
        self._reference = to_unit_range(images[oks])

    def heldout(self) -> np.ndarray:
        """A fixed set of real images (up to 256) float32 for metrics."""
        return self._reference.numpy()

    def _next_batch(self) -> torch.Tensor:
        for _ in range(2):
            if self._iter is None:
                self._iter = iter(self._loader)
            try:
                images, oks = next(self._iter)
                self.skipped += int((~oks).sum())
                return images[oks]
            except StopIteration:
                self._iter = None
        raise ValueError(f"{self.name}: the dataset yielded no images")

    def sample(self, n: int) -> torch.Tensor:
        if n < 1:
            raise ValueError(f"n must be positive, got {n}")
        have = sum(len(b) for b in self._buffer)
        while have < n:
            batch = self._next_batch()
            self._buffer.append(batch)
            have += len(batch)
        everything = torch.cat(self._buffer)
        out, rest = everything[:n], everything[n:]
        self._buffer = [rest] if len(rest) else []
        return to_unit_range(out.to(self.device, non_blocking=True))

    def evaluate(self, fake: torch.Tensor) -> dict[str, float]:
        _check_fake(fake, self.shape)
        return {"w1_pixels": _w1_pixels(self._reference, fake)}


def preload(dataset: Dataset, num_workers: int = 0, batch_size: int = 256) -> tuple[torch.Tensor, int]:
    """Read a whole ``(image, ok)`` dataset into one ``uint8`` tensor; returns (images, skipped)."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    kept, skipped = [], 0
    for images, oks in loader:
        kept.append(images[oks])
        skipped += int((~oks).sum())
    return torch.cat(kept), skipped


def _get(config: Any, name: str, default: Any) -> Any:
    value = getattr(config, name, default)
    return default if value is None else value


def default_workers(device: torch.device) -> int:
    """DataLoader workers: none on CPU (the cores train), up to 8 feeding a GPU."""
    return 0 if device.type == "cpu" else min(8, os.cpu_count() or 1)


def build_image_data(config: Any, device, num_workers: int | None = None, skip_corrupt: bool = False,
                     seed: int | None = None, max_images: int | None = None):
    """The data source of an image config (``dataset`` digits | lsun | folder).

    Reads ``image_size``, ``data_root`` (lsun: ``<category>_train_lmdb`` itself or its parent;
    folder: the image folder), ``lsun_category``, ``data_on_device``, ``batch_size`` and ``seed``
    (``seed`` overrides it: distributed ranks draw different batches). ``max_images`` keeps only the
    first that many LSUN images (a live run decodes them onto the GPU, not the whole lmdb).
    Raises ValueError naming a missing or bad dataset.
    """
    device = torch.device(device)
    dataset, size = _get(config, "dataset", "digits"), int(_get(config, "image_size", 32))
    workers = default_workers(device) if num_workers is None else int(num_workers)
    seed = int(_get(config, "seed", 0)) if seed is None else int(seed)
    if dataset == "digits":
        from wgan_core.images.digits import load_digit_images

        images, labels = load_digit_images(size)
        return TensorImageSource(images, device, labels=labels, name="digits", seed=seed)
    root = _get(config, "data_root", "")
    if not root:
        raise ValueError(f"data_root is required for dataset {dataset!r}")
    if dataset == "lsun":
        from wgan_core.images.lsun import LSUNDataset, find_lsun

        category = _get(config, "lsun_category", "bedroom")
        path = find_lsun(root, category)
        if path is None:
            raise ValueError(f"data_root: {root} is neither an lmdb directory (with a data.mdb) nor the folder "
                             f"that holds {category}_train_lmdb/")
        source: Dataset = LSUNDataset(path, size, skip_corrupt=skip_corrupt, max_items=max_images)
        name = f"LSUN {category}"
    elif dataset == "folder":
        from wgan_core.images.folder import FolderDataset

        source, name = FolderDataset(root, size, skip_corrupt=skip_corrupt), f"folder {root}"
    else:
        raise ValueError(f"dataset {dataset!r} is not an image dataset (digits, lsun, folder)")
    if _get(config, "data_on_device", False):
        images, skipped = preload(source, workers)
        out = TensorImageSource(images, device, name=name, seed=seed)
        out.skipped = skipped
        return out
    return StreamingImageSource(source, device, batch_size=int(_get(config, "batch_size", 64)),
                                num_workers=workers, seed=seed, name=name)
