r"""Sample grids as PNG files, with Pillow only (torchvision is not a dependency).

Images in $[-1, 1]$ are mapped back to bytes with $u = \mathrm{round}(127.5\,(x + 1))$ and tiled
row-major with a 2-pixel border, as in the DCGAN examples' ``save_image``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from wgan_core.atomic import atomic_open

__all__ = ["to_uint8", "tile", "save_grid", "GRID_IMAGES"]

#: Images in a sample grid (recorded at every grid step, replayed and drawn live): a 6 x 6 grid.
GRID_IMAGES = 36


def to_uint8(images) -> np.ndarray:
    """``(n, C, H, W)`` floats in $[-1, 1]$ (numpy or torch) to ``(n, H, W, C)`` uint8."""
    x = images.detach().float().cpu().numpy() if hasattr(images, "detach") else np.asarray(images, np.float32)
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (n, 1 or 3, H, W), got {x.shape}")
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)


def tile(images, nrow: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile images into one ``(rows*(H+p)+p, cols*(W+p)+p, C)`` uint8 array (C = 1 or 3)."""
    x = to_uint8(images)
    n, h, w, c = x.shape
    cols = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    out = np.zeros((rows * (h + padding) + padding, cols * (w + padding) + padding, c), np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        top, left = padding + r * (h + padding), padding + k * (w + padding)
        out[top:top + h, left:left + w] = x[i]
    return out


def save_grid(images, path, nrow: int | None = None) -> Path:
    """Write a PNG grid of ``images`` atomically (temporary file, then rename); returns the path."""
    from PIL import Image

    grid = tile(images, nrow)
    path = Path(path)
    with atomic_open(path) as fh:
        Image.fromarray(grid[..., 0] if grid.shape[2] == 1 else grid).save(fh, format="PNG")
    return path
