"""Atomic checkpoints of finite weights, loaded safely.

:func:`save_checkpoint` writes through :func:`wgan_core.atomic.atomic_open` (a temporary file renamed
over the target: a reader sees the old file or the new one, never half of one), and refuses to store
a tensor holding NaN or inf: the weights of a diverged run are not worth resuming. :func:`load_checkpoint`
uses ``torch.load(weights_only=True)``, which refuses to unpickle arbitrary objects; any failure
(missing, truncated, corrupt or code-carrying file) becomes a :class:`CheckpointError` with a message
that names the file. Nothing in a refused file is run.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from .atomic import atomic_open

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint"]


class CheckpointError(ValueError):
    """A checkpoint could not be written (non-finite values) or read (missing, truncated, corrupt or
    not weights-only)."""


def _tensors(obj: Any, where: str = "") -> Iterator[tuple[str, torch.Tensor]]:
    """``(path, tensor)`` for every tensor inside nested dicts, lists and tuples of ``obj``."""
    if isinstance(obj, torch.Tensor):
        yield where or "the object", obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _tensors(value, f"{where}/{key}" if where else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _tensors(value, f"{where}[{i}]")


def _check_finite(path: Path, obj: Any) -> None:
    for where, t in _tensors(obj):
        if (t.is_floating_point() or t.is_complex()) and not bool(torch.isfinite(t).all()):
            raise CheckpointError(f"refusing to save checkpoint {path}: {where} holds NaN or inf values "
                                  f"(the run diverged); the previous checkpoint, if any, is kept")


def save_checkpoint(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` (tensors, dicts, lists, numbers, strings) to ``path`` atomically.

    Returns the path. The parent directory is created if needed.

    Raises
    ------
    CheckpointError
        If a floating-point tensor in ``obj`` holds NaN or inf (nothing is written).
    """
    path = Path(path)
    _check_finite(path, obj)
    with atomic_open(path) as fh:
        torch.save(obj, fh)
    return path


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """Load a checkpoint written by :func:`save_checkpoint` with ``torch.load(weights_only=True)``.

    Raises
    ------
    CheckpointError
        If the file is missing, or cannot be loaded as a weights-only checkpoint (a file that would
        run code when unpickled is refused without running it).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # unpickling errors come in many types; never pass on torch's advice
        found = re.search(r"GLOBAL (\S+)", str(exc))
        if found:  # the file names a Python callable to import and call when unpickled
            raise CheckpointError(f"checkpoint {path} is not a weights-only checkpoint: it asks to import "
                                  f"{found.group(1)}, which could run code, so it will not be loaded") from None
        if isinstance(exc, pickle.UnpicklingError):
            raise CheckpointError(f"checkpoint {path} is not a weights-only checkpoint (it is corrupt, or it "
                                  f"holds Python objects whose loading could run code), so it will not be "
                                  f"loaded") from None
        raise CheckpointError(f"checkpoint {path} is corrupt or truncated and cannot be loaded "
                              f"({type(exc).__name__})") from None
