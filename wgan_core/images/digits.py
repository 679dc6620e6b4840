r"""The offline default dataset: the 1,797 handwritten digits that ship inside scikit-learn.

``sklearn.datasets.load_digits`` holds $8\times8$ grey images with 17 intensity levels
($0\ldots16$) and their labels $0\ldots9$, read from a file inside the scikit-learn package — no
download. We upscale them bilinearly to $32\times32$ (or $64\times64$), quantise to ``uint8`` and
later map $u \mapsto u/127.5 - 1$ into $[-1, 1]$, the range of the generator's $\tanh$ output.
A fresh machine therefore trains an image WGAN on *real* data at once, and because the images have
labels, mode collapse can be measured (:mod:`wgan_core.images.classifier`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["N_DIGITS", "load_digit_images", "digits_8x8"]

#: Number of images in scikit-learn's digits set.
N_DIGITS = 1797


@lru_cache(maxsize=1)
def digits_8x8() -> tuple[np.ndarray, np.ndarray]:
    """The raw digits: images ``(1797, 8, 8)`` float64 in $[0, 16]$ and labels ``(1797,)`` int64."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.astype(np.float64), bunch.target.astype(np.int64)


@lru_cache(maxsize=4)
def _upscaled(image_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = digits_8x8()
    x = torch.from_numpy(images / 16.0).float()[:, None]  # (n, 1, 8, 8) in [0, 1]
    x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    u8 = (x.clamp(0, 1) * 255.0).round().to(torch.uint8)
    return u8, torch.from_numpy(labels)


def load_digit_images(image_size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits upscaled to ``image_size``.

    Returns
    -------
    images : Tensor, shape (1797, 1, image_size, image_size), uint8
        0 is the background (black), 255 full ink.
    labels : Tensor, shape (1797,), int64
    """
    if image_size not in (8, 16, 32, 64, 128):
        raise ValueError(f"image_size must be 8, 16, 32, 64 or 128 for the digits, got {image_size!r}")
    images, labels = _upscaled(int(image_size))
    return images.clone(), labels.clone()
