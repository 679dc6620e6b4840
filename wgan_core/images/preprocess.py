r"""Decoding and preprocessing of image files shared by the LSUN and folder readers.

Every image becomes a ``uint8`` tensor of shape ``(3, S, S)``: decode with Pillow, convert to RGB,
resize so that the *short* side is $S$ (aspect ratio kept, bilinear with antialiasing), then cut the
central $S\times S$ square. The map into the generator's range, $u \mapsto u/127.5 - 1 \in [-1, 1]$,
happens in :func:`to_unit_range`, on the device and in float32, so that datasets can be held as
``uint8`` (a quarter of the memory of float32).
"""

from __future__ import annotations

import io

import numpy as np
import torch

__all__ = ["CorruptImageError", "decode_image", "resize_center_crop", "to_unit_range", "webp_supported",
           "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


class CorruptImageError(ValueError):
    """An entry could not be decoded as an image; the message names the entry."""


def webp_supported() -> bool:
    """Whether this Pillow can decode WebP (the format of the official LSUN lmdb values)."""
    from PIL import features

    return bool(features.check("webp"))


def _is_webp(data: bytes) -> bool:
    return len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def decode_image(data: bytes, name: str):
    """Decode ``data`` (JPEG, WebP, PNG, ...) to an RGB ``PIL.Image``.

    Raises
    ------
    CorruptImageError
        The bytes are not a decodable image; the message names ``name`` (a key or a file).
    RuntimeError
        The bytes are WebP and this Pillow was built without WebP support.
    """
    from PIL import Image, UnidentifiedImageError

    if _is_webp(data) and not webp_supported():
        raise RuntimeError(f"{name} is WebP but this Pillow has no WebP support; reinstall Pillow with libwebp")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return img.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptImageError(f"could not decode image {name}: {exc}") from exc


def resize_center_crop(img, size: int) -> torch.Tensor:
    """Resize the short side of a PIL image to ``size``, centre-crop; ``(3, size, size)`` uint8."""
    from PIL import Image

    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    w, h = img.size
    scale = size / min(w, h)
    new_w, new_h = max(size, round(w * scale)), max(size, round(h * scale))
    img = img.resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=None)
    left, top = (new_w - size) // 2, (new_h - size) // 2
    img = img.crop((left, top, left + size, top + size))
    array = np.asarray(img, dtype=np.uint8).reshape(size, size, 3)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """``uint8`` images to float32 in $[-1, 1]$ via $u/127.5 - 1$ (same device)."""
    if images.dtype != torch.uint8:
        raise ValueError(f"expected uint8 images, got {images.dtype}")
    return images.float().div_(127.5).sub_(1.0)
