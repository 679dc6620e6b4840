"""Atomic checkpoints, loaded safely.

:func:`save_checkpoint` writes to a temporary file in the target's directory, flushes it to disk and
renames it over the target with :func:`os.replace` — a reader sees the old file or the new one,
never half of one. :func:`load_checkpoint` uses ``torch.load(weights_only=True)``, which refuses to
unpickle arbitrary objects; any failure (missing, truncated, corrupt or malicious file) becomes a
:class:`CheckpointError` with a message that names the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint"]


class CheckpointError(ValueError):
    """A checkpoint could not be read (missing, truncated, corrupt or not weights-only)."""


def save_checkpoint(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` (tensors, dicts, lists, numbers, strings) to ``path`` atomically.

    Returns the path. The parent directory is created if needed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """Load a checkpoint written by :func:`save_checkpoint` with ``torch.load(weights_only=True)``.

    Raises
    ------
    CheckpointError
        If the file is missing or cannot be loaded as a weights-only checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # unpickling errors come in many types; report them all the same way
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"checkpoint {path} is corrupt or not a weights-only file: {reason}") from None
