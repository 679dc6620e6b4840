"""Atomic file writes: the one temp-file-and-rename helper of the project.

A reader of ``path`` sees the old file or the whole new one, never a torn one: the bytes go to a
temporary file in the same directory, are flushed to disk, and the temporary file is renamed over
``path`` with :func:`os.replace` (atomic on POSIX and Windows within one file system).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_open", "atomic_write"]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a binary file that replaces ``path`` only when the ``with`` block ends without error.

    The parent directory is created if needed. On an error the temporary file is removed and
    ``path`` is left as it was.

    Examples
    --------
    >>> with atomic_open(tmp / "a.pt") as fh:   # doctest: +SKIP
    ...     torch.save(obj, fh)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (``str`` is encoded as UTF-8) to ``path`` atomically; returns the path."""
    with atomic_open(path) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)
