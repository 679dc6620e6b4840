r"""Any folder of images as a dataset.

Files with an image extension (``.jpg``, ``.png``, ``.webp``, ...) anywhere below ``root`` are
listed once, sorted (so the order is reproducible), and read with the same preprocessing as LSUN:
short side resized to $S$, centre crop, ``uint8`` ``(3, S, S)``. An undecodable file raises an
error naming it, or with ``skip_corrupt=True`` is returned flagged as bad and counted by the source.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from wgan_core.images.preprocess import IMAGE_EXTENSIONS, CorruptImageError, decode_image, resize_center_crop

__all__ = ["FolderDataset", "list_images"]


def list_images(root) -> list[Path]:
    """Sorted image files below ``root``; ValueError if ``root`` is missing or holds none."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise ValueError(f"image folder {root} does not exist")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise ValueError(f"image folder {root} holds no images with extensions {IMAGE_EXTENSIONS}")
    return files


class FolderDataset(Dataset):
    """``dataset[i] -> (image uint8 (3, S, S), ok)`` over the images below ``root``."""

    def __init__(self, root, image_size: int = 64, skip_corrupt: bool = False):
        self.files = list_images(root)
        self.image_size = int(image_size)
        self.skip_corrupt = bool(skip_corrupt)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, bool]:
        path = self.files[index]
        try:
            image = resize_center_crop(decode_image(path.read_bytes(), f"file {path}"), self.image_size)
        except CorruptImageError:
            if not self.skip_corrupt:
                raise
            return torch.zeros(3, self.image_size, self.image_size, dtype=torch.uint8), False
        return image, True
