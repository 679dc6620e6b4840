r"""Reader for the official LSUN lmdb distribution (e.g. ``bedroom_train_lmdb/``).

Each LSUN category is an lmdb environment (a directory with ``data.mdb`` and ``lock.mdb``) whose
keys are image identifiers and whose values are the encoded image bytes — WebP in the current
distribution, JPEG in older copies. The reader

1. lists the keys *once* and stores them in an index file in a cache directory (``WGAN_CACHE_DIR``,
   else ``~/.cache/wgan_classroom``; never the working directory), named after the lmdb's path, size
   and modification time, so a changed database is re-indexed;
2. opens the lmdb lazily, on first read, separately in each DataLoader worker process (an lmdb
   handle must not cross a ``fork``), read-only and without locking;
3. decodes with Pillow (checking WebP support up front on the first value, and again for every
   WebP value), resizes the short side and centre-crops
   (:mod:`wgan_core.images.preprocess`), returning ``uint8`` ``(3, S, S)``.

A value that does not decode raises :class:`~wgan_core.images.preprocess.CorruptImageError` naming
its key; with ``skip_corrupt=True`` the item is returned flagged as bad instead, and the data
source drops and counts it — a corrupt entry is never a silent crash.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch
from torch.utils.data import Dataset

from wgan_core.atomic import atomic_write
from wgan_core.images.preprocess import CorruptImageError, decode_image, resize_center_crop, webp_supported

__all__ = ["LSUNDataset", "default_cache_dir", "index_path", "build_index", "find_lsun"]


def default_cache_dir() -> Path:
    """``$WGAN_CACHE_DIR`` if set, else ``~/.cache/wgan_classroom``."""
    env = os.environ.get("WGAN_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "wgan_classroom"


def _check_lmdb_dir(path: Path) -> Path:
    path = Path(path).expanduser().resolve()
    if not (path / "data.mdb").is_file():
        raise ValueError(f"{path} is not an lmdb directory (no data.mdb); expected e.g. bedroom_train_lmdb/")
    return path


def index_path(lmdb_dir: Path, cache_dir: Path | None = None) -> Path:
    """Where the key index of ``lmdb_dir`` is cached (depends on its path, size and mtime)."""
    lmdb_dir = _check_lmdb_dir(lmdb_dir)
    stat = (lmdb_dir / "data.mdb").stat()
    tag = hashlib.sha1(f"{lmdb_dir}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return Path(cache_dir or default_cache_dir()) / f"lsun-{lmdb_dir.name}-{tag}.keys"


#: Open lmdb handles of this process by path: ``{path: (pid, env)}``. lmdb refuses to open one
#: environment twice in a process, and a handle must not be used across ``fork``.
_ENVS: dict[str, tuple[int, object]] = {}


def _open_env(path: Path):
    """This process's read-only handle on the lmdb at ``path`` (opened on first use).

    A handle inherited from the parent of a forked DataLoader worker is closed in the worker (its
    own copy only) and replaced by a fresh one.
    """
    import lmdb

    key, pid = str(path), os.getpid()
    entry = _ENVS.get(key)
    if entry is not None and entry[0] == pid:
        return entry[1]
    if entry is not None:
        try:
            entry[1].close()
        except lmdb.Error:
            pass
    env = lmdb.open(key, readonly=True, lock=False, readahead=False, meminit=False, max_readers=64)
    _ENVS[key] = (pid, env)
    return env


def build_index(lmdb_dir: Path, cache_dir: Path | None = None) -> list[bytes]:
    """All keys of the lmdb, from the cache file if present, else listed once and cached atomically."""
    target = index_path(lmdb_dir, cache_dir)
    if target.is_file():
        lines = target.read_text(encoding="ascii").split()
        return [bytes.fromhex(line) for line in lines]
    env = _open_env(_check_lmdb_dir(lmdb_dir))
    with env.begin(write=False) as txn:
        keys = [bytes(k) for k in txn.cursor().iternext(keys=True, values=False)]
    atomic_write(target, "\n".join(k.hex() for k in keys) + "\n")
    return keys


class LSUNDataset(Dataset):
    """Images of one LSUN lmdb, preprocessed to ``(3, image_size, image_size)`` uint8.

    ``dataset[i]`` returns ``(image, ok)``; ``ok`` is False only for a corrupt entry read with
    ``skip_corrupt=True`` (the image is then zeros and must be dropped).
    """

    def __init__(self, lmdb_dir, image_size: int = 64, cache_dir=None, skip_corrupt: bool = False,
                 max_items: int | None = None):
        self.path = _check_lmdb_dir(Path(lmdb_dir))
        self.image_size = int(image_size)
        self.skip_corrupt = bool(skip_corrupt)
        keys = build_index(self.path, cache_dir)
        if not keys:
            raise ValueError(f"the lmdb at {self.path} holds no images")
        self.keys = keys[:max_items] if max_items else keys
        self._env = None
        with _open_env(self.path).begin(write=False, buffers=False) as txn:  # self._env stays unset
            first = txn.get(self.keys[0]) or b""
        if first[:4] == b"RIFF" and first[8:12] == b"WEBP" and not webp_supported():
            raise RuntimeError(f"the lmdb at {self.path} holds WebP images but this Pillow has no WebP support; "
                               "reinstall Pillow with libwebp")

    def __len__(self) -> int:
        return len(self.keys)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_env"] = None  # each worker opens its own handle
        return state

    def _txn_get(self, key: bytes) -> bytes | None:
        self._env = _open_env(self.path)  # lazily, once per process
        with self._env.begin(write=False, buffers=False) as txn:
            return txn.get(key)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, bool]:
        key = self.keys[index]
        name = f"LSUN key {key.decode('ascii', 'backslashreplace')!r} in {self.path.name}"
        try:
            data = self._txn_get(key)
            if data is None:
                raise CorruptImageError(f"{name} is listed in the index but missing from the lmdb")
            image = resize_center_crop(decode_image(data, name), self.image_size)
        except CorruptImageError:
            if not self.skip_corrupt:
                raise
            return torch.zeros(3, self.image_size, self.image_size, dtype=torch.uint8), False
        return image, True


def find_lsun(data_dir, category: str = "bedroom", split: str = "train") -> Path | None:
    """The LSUN lmdb that ``data_dir`` names, or None.

    ``data_dir`` may be the lmdb directory itself (``.../bedroom_train_lmdb``, holding ``data.mdb``)
    or its parent, which holds ``<category>_<split>_lmdb/``.
    """
    if not data_dir:
        return None
    given = Path(data_dir).expanduser()
    for path in (given, given / f"{category}_{split}_lmdb"):
        if (path / "data.mdb").is_file():
            return path
    return None
