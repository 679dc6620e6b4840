"""Heavy lesson runs, computed once per setting and kept on disk for every student of the server.

A heavy run (the parallel-lines sample estimates, the meaningful-loss, optimizers, optimal-critic and
vanishing-gradients trainings) depends only on its lesson's control values, and those lie on the
controls' grids (:meth:`lessons.Slider.parse` snaps a link's value onto them), so the settings are a
finite set. :func:`run` returns a setting's result from ``<runs dir>/.lesson-cache/`` when it was
computed before — by this server, an earlier one, or ``python -m app.precomputed`` run before
class — and otherwise computes it once:

* one computation per setting: students who ask for the same one wait for it under a lock, and so
  do other processes on the machine that share the folder (a second app server, the warming command):
  a file lock (one of :data:`FILE_LOCKS` in ``.locks/``) is held while a setting is computed;
* at most ``WGAN_HEAVY_RUNS`` (default 1, :func:`heavy_runs`) computations at a time in the whole server, whatever
  the number of sessions or links, so lesson runs cannot crowd out the live training jobs;
* a link can select a setting only once it is computed (:func:`is_cached`; the app falls back to
  the defaults otherwise and says so), so a crafted link never starts a computation;
* the result is written atomically (:func:`wgan_core.atomic.atomic_write`) as an ``.npz`` of arrays
  and a JSON tree (:mod:`app.result_codec`), read back with ``allow_pickle=False`` — a cache file can
  never run code. Only the lesson's own dataclasses are rebuilt; a file that does not decode is
  recomputed.

Where a shorter run is exactly the start of a longer one (:data:`PREFIX`: the optimizers lesson's
generator iterations), a longer cached run serves every shorter setting, cut to length. The file name
holds a hash of the code that computes it (``lessons/`` and ``wgan_core/``) and of the
torch/numpy versions, so an edit of the code never serves an old result. Each function keeps at most
:data:`MAX_FILES` files (the oldest go first). ``WGAN_LESSON_CACHE`` moves the folder; ``off`` keeps
nothing on disk.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from app.result_codec import decode, encode

#: The heavy function of each lesson (it takes the lesson's control values as keywords).
HEAVY = {
    "parallel_lines": "estimate_curves",
    "optimal_critic": "fig3",
    "vanishing_gradients": "run_controls",
    "meaningful_loss": "loss_curves",
    "optimizers": "compare",
}
#: Functions whose run for fewer generator iterations is exactly the start of a longer run with the
#: same other arguments (same seed, same RNG order, metric reads at a fixed interval; checked by
#: tests/test_precomputed.py): the argument, and a longer cached run is cut (:func:`first_steps`).
PREFIX = {("optimizers", "compare"): "steps"}
#: Result files kept per function (a few MB at most each).
MAX_FILES = 200
#: Lock files shared by the processes that use one cache folder (a setting's file is chosen by its hash:
#: a bounded set of files, never removed while another process may hold one).
FILE_LOCKS = 64
#: How often a caller waiting for a lock or a slot hears about it (seconds).
WAIT_POLL = 0.5

_KEY_LOCKS: dict[str, threading.Lock] = {}
_KEY_LOCKS_GUARD = threading.Lock()
_SLOTS: list[threading.BoundedSemaphore] = []  # made on first use, from heavy_runs()
_ROOT = Path(__file__).resolve().parent.parent
_VERSION: list[str] = []


def heavy_runs() -> int:
    """``WGAN_HEAVY_RUNS``: heavy computations at a time in the whole server (default 1; a value
    below 1 or not a number raises ValueError naming the variable)."""
    from wgan_core.live.settings import env_number

    return int(env_number("WGAN_HEAVY_RUNS", 1, 1))


def _slots() -> threading.BoundedSemaphore:
    with _KEY_LOCKS_GUARD:
        if not _SLOTS:
            _SLOTS.append(threading.BoundedSemaphore(heavy_runs()))
        return _SLOTS[0]


def cache_dir() -> Path | None:
    """Where results are kept: ``$WGAN_LESSON_CACHE``, else ``<runs dir>/.lesson-cache``; None if ``off``."""
    env = os.environ.get("WGAN_LESSON_CACHE")
    if env == "off":
        return None
    if env:
        return Path(env).expanduser().resolve()
    from wgan_core.runs import runs_root

    return runs_root() / ".lesson-cache"


def code_version() -> str:
    """Hash of every source file of ``lessons/`` and ``wgan_core/`` and of the torch/numpy versions."""
    if not _VERSION:
        import torch

        digest = hashlib.sha256(f"{torch.__version__}|{np.__version__}".encode())
        for path in sorted([*(_ROOT / "lessons").rglob("*.py"), *(_ROOT / "wgan_core").rglob("*.py")]):
            digest.update(path.relative_to(_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
        _VERSION.append(digest.hexdigest()[:16])
    return _VERSION[0]


def _canonical(value: Any) -> Any:
    """``value`` for hashing: 2.0 and 2 are one setting (a float slider's default may be written 2)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def file_stem(slug: str, function: str, kwargs: dict) -> str:
    """The start of a result's file name: function, code version and a hash of the arguments."""
    args = json.dumps(_canonical(kwargs), sort_keys=True, default=float)
    return f"{slug}.{function}-{code_version()}-{hashlib.sha256(args.encode()).hexdigest()[:16]}"


def first_steps(value: Any, last: int) -> Any:
    """``value`` with every dataclass holding a ``steps`` array cut to its reads at ``steps <= last``
    (each array field as long as ``steps`` is cut the same way)."""
    if isinstance(value, tuple | list):
        return type(value)(first_steps(v, last) for v in value)
    steps = getattr(value, "steps", None)
    if not (dataclasses.is_dataclass(value) and isinstance(steps, np.ndarray)):
        return value
    keep = steps <= last
    cut = {f.name: getattr(value, f.name)[keep] for f in dataclasses.fields(value)
           if isinstance(getattr(value, f.name), np.ndarray) and getattr(value, f.name).shape[:1] == steps.shape}
    return dataclasses.replace(value, **cut)


# ----------------------------------------------------------------------------------------------
# One computation per setting, a bounded number at a time
# ----------------------------------------------------------------------------------------------

def _key_lock(name: str) -> threading.Lock:
    with _KEY_LOCKS_GUARD:
        return _KEY_LOCKS.setdefault(name, threading.Lock())


@contextmanager
def _file_lock(folder: Path | None, stem: str, waiting: Callable[[str], None] | None, text: str) -> Iterator[None]:
    """Hold the lock file of ``stem`` in ``folder`` (none without a folder), telling ``waiting`` every
    WAIT_POLL seconds while another process holds it."""
    if folder is None:
        yield
        return
    locks = folder / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    bucket = int(hashlib.sha256(stem.encode()).hexdigest(), 16) % FILE_LOCKS
    with open(locks / f"{bucket:02d}.lock", "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waiting is not None:
                    waiting(text)
                time.sleep(WAIT_POLL)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _acquire(lock, waiting: Callable[[str], None] | None, text: str) -> None:
    """Take ``lock`` (a Lock or the slots semaphore), telling ``waiting`` every WAIT_POLL seconds."""
    while not lock.acquire(timeout=WAIT_POLL):
        if waiting is not None:
            waiting(text)


def _result_types(module) -> dict[str, type]:
    return {name: obj for name, obj in vars(module).items() if isinstance(obj, type) and dataclasses.is_dataclass(obj)}


def _read(path: Path, module) -> Any | None:
    try:
        return decode(path.read_bytes(), _result_types(module))
    except (OSError, ValueError, TypeError):  # missing, or torn, corrupt or foreign: computed again
        return None


def _prune(folder: Path, prefix: str) -> None:
    files = sorted(folder.glob(f"{prefix}-*.npz"), key=lambda p: p.stat().st_mtime)
    for old in files[:-MAX_FILES]:
        old.unlink(missing_ok=True)


def _cached(folder: Path, stem: str, module, prefix: str | None, want) -> Any | None:
    """The result of ``stem`` from disk: the file of exactly this setting, or with ``prefix`` the
    shortest cached run at least ``want`` long, cut to ``want``."""
    if prefix is None:
        return _read(folder / f"{stem}.npz", module)
    lengths = sorted(int(p.stem.rsplit("-", 1)[1]) for p in folder.glob(f"{stem}-*.npz")
                     if p.stem.rsplit("-", 1)[1].isascii() and p.stem.rsplit("-", 1)[1].isdigit())
    for length in (n for n in lengths if n >= want):
        hit = _read(folder / f"{stem}-{length}.npz", module)
        if hit is not None:
            return hit if length == want else first_steps(hit, want)
    return None


def run(module, function: str, kwargs: dict, progress: Callable[[float, str], None] | None = None,
        waiting: Callable[[str], None] | None = None) -> Any:
    """``getattr(module, function)(**kwargs, progress=progress)``, computed once per setting.

    ``module`` is a lesson module; ``kwargs`` its control values for ``function`` (``progress`` is
    passed on only when given). ``waiting(text)`` is called every :data:`WAIT_POLL` s while another
    session computes this setting or the server's heavy-run slots are busy.
    """
    slug = module.__name__.rsplit(".", 1)[-1]
    prefix = PREFIX.get((slug, function))
    want = int(kwargs[prefix]) if prefix else None
    stem = file_stem(slug, function, {k: v for k, v in kwargs.items() if k != prefix})
    folder = cache_dir()
    path = None if folder is None else folder / (f"{stem}-{want}.npz" if prefix else f"{stem}.npz")
    lock, busy = _key_lock(stem), "Another student's page is computing this setting: it appears here when done…"
    _acquire(lock, waiting, busy)
    try:
        if folder is not None:
            hit = _cached(folder, stem, module, prefix, want)
            if hit is not None:
                return hit
        with _file_lock(folder, stem, waiting, busy):
            hit = None if folder is None else _cached(folder, stem, module, prefix, want)  # another process's
            return hit if hit is not None else _compute(module, function, kwargs, progress, waiting, path)
    finally:
        lock.release()


def _compute(module, function: str, kwargs: dict, progress, waiting, path: Path | None) -> Any:
    """Compute in one of the server's heavy-run slots and keep the result at ``path`` (None: nowhere),
    pruning the oldest files of the same function."""
    slots = _slots()
    _acquire(slots, waiting, "Waiting for the server to finish another lesson's computation…")
    try:
        compute = getattr(module, function)
        result = compute(**kwargs, progress=progress) if progress is not None else compute(**kwargs)
    finally:
        slots.release()
    if path is not None:
        from wgan_core.atomic import atomic_write

        atomic_write(path, encode(result))
        _prune(path.parent, f"{module.__name__.rsplit('.', 1)[-1]}.{function}")
    return result


def kwargs_of(slug: str, values: dict) -> dict:
    """The keyword arguments of a heavy lesson's function for the control values ``values``."""
    import inspect

    import lessons

    if HEAVY[slug] == "run_controls":
        return {"values": dict(values)}
    params = inspect.signature(getattr(lessons.lesson_module(slug), HEAVY[slug])).parameters
    return {k: v for k, v in values.items() if k in params}


def defaults_of(slug: str) -> dict:
    """The keyword arguments of a heavy lesson's function at the lesson's default control values."""
    import lessons

    return kwargs_of(slug, lessons.defaults(lessons.lesson_module(slug).CONTROLS))


def is_cached(slug: str, values: dict) -> bool:
    """Whether the heavy run at the control values ``values`` is on disk and reads back, so a page
    can show it without computing anything (a link may select only such settings)."""
    import lessons

    folder = cache_dir()
    if folder is None:
        return False
    kwargs = kwargs_of(slug, values)
    prefix = PREFIX.get((slug, HEAVY[slug]))
    stem = file_stem(slug, HEAVY[slug], {k: v for k, v in kwargs.items() if k != prefix})
    want = int(kwargs[prefix]) if prefix else None
    return _cached(folder, stem, lessons.lesson_module(slug), prefix, want) is not None


def run_defaults(slug: str) -> Any:
    """The heavy run that lesson ``slug``'s page opens with (its default setting), computed or found."""
    import lessons

    return run(lessons.lesson_module(slug), HEAVY[slug], defaults_of(slug))


def warm(slugs=tuple(HEAVY), report: Callable[[str], None] = print) -> None:
    """Compute (or find) the default setting of each heavy lesson, e.g. before a class."""
    for slug in slugs:
        start = time.perf_counter()
        run_defaults(slug)
        report(f"{slug}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    warm()
