"""Recorded runs: a directory that holds a whole training run, and loading it back for replay.

Layout of a run directory::

    config.json            TrainConfig.to_dict()
    metrics.jsonl          one Trainer.metrics() log per line
    snapshots/NNNNNN.npz   Trainer.snapshot() at generator iteration NNNNNN (nested keys joined by '.')
    summary.json           final numbers (see :func:`summarize`)
    checkpoint.pt          Trainer.state_dict(), written atomically, loaded with weights_only=True

:func:`record_run` drives a :class:`~wgan_core.trainer.Trainer` and writes all of it;
:func:`load_run` returns a :class:`RecordedRun`; :func:`list_runs` finds run directories.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig

__all__ = ["RunRecorder", "RecordedRun", "record_run", "load_run", "list_runs", "summarize", "SUMMARY_KEYS"]

#: Keys every summary has (None where the data has no such metric, e.g. modes on the swiss roll).
SUMMARY_KEYS = ("g_steps_per_s", "modes", "hq_share", "w1_exact", "critic_estimate", "seconds")


def _plain(value):
    """JSON-ready copy: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _flatten(tree: dict, prefix: str = "") -> dict[str, np.ndarray]:
    flat: dict[str, np.ndarray] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = np.asarray(value)
    return flat


def _unflatten(flat) -> dict:
    tree: dict = {}
    for name in flat.files if hasattr(flat, "files") else flat:
        node = tree
        *parents, leaf = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        value = flat[name]
        node[leaf] = value.item() if value.ndim == 0 else value
    return tree


class RunRecorder:
    """Write one run into ``out_dir`` (created; an existing run there raises ValueError)."""

    def __init__(self, out_dir: str | os.PathLike, config: TrainConfig):
        self.path = Path(out_dir)
        if (self.path / "config.json").exists():
            raise ValueError(f"out_dir {self.path} already holds a recorded run; choose another directory")
        (self.path / "snapshots").mkdir(parents=True, exist_ok=True)
        _write_atomic(self.path / "config.json", json.dumps(config.to_dict(), indent=2))
        self._metrics = self.path / "metrics.jsonl"
        self._metrics.touch()

    def log(self, metrics: dict) -> None:
        """Append one metrics dict as a JSON line."""
        with self._metrics.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(_plain(metrics)) + "\n")

    def snapshot(self, snap: dict) -> Path:
        """Save a ``Trainer.snapshot()`` as ``snapshots/<g_step>.npz`` (atomically)."""
        target = self.path / "snapshots" / f"{int(snap['g_step']):06d}.npz"
        fd, tmp = tempfile.mkstemp(prefix=".snap.", suffix=".npz", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **_flatten(snap))
        os.replace(tmp, target)
        return target

    def checkpoint(self, trainer) -> Path:
        return save_checkpoint(self.path / "checkpoint.pt", trainer.state_dict())

    def finish(self, summary: dict) -> None:
        _write_atomic(self.path / "summary.json", json.dumps(_plain(summary), indent=2))


def summarize(last: dict, trainer, wall_seconds: float) -> dict:
    """Summary of a finished run from its last metrics log.

    ``g_steps_per_s`` is generator iterations per second of training time (metric evaluation
    excluded); ``seconds`` is the wall time of the whole recorded run.
    """
    out = {"dataset": trainer.config.dataset, "loss": trainer.config.loss, "g_steps": trainer.g_step,
           "g_steps_per_s": trainer.g_step / trainer.seconds if trainer.seconds > 0 else None,
           "seconds": wall_seconds}
    for key in ("modes", "hq_share", "w1_exact", "critic_estimate", "critic_estimate_eval", "js_estimate",
                "classes_covered", "class_kl", "w1_pixels"):
        if key in last:
            out[key] = last[key]
    for key in SUMMARY_KEYS:
        out.setdefault(key, None)
    return out


def record_run(trainer, out_dir, steps: int, snapshot_every: int | None = None,
               callback: Callable[[dict], None] | None = None) -> dict:
    """Train ``steps`` generator iterations and record everything into ``out_dir``.

    Metrics are logged every ``trainer.config.metrics_every``; snapshots at the start, every
    ``snapshot_every`` iterations (default: every metrics log) and at the end. ``callback`` gets
    each metrics dict (e.g. to advance a progress bar). Returns the summary.
    """
    start = time.perf_counter()
    rec = RunRecorder(out_dir, trainer.config)
    every = snapshot_every or trainer.config.metrics_every
    rec.snapshot(trainer.snapshot())
    last: dict = {}
    last_snap = trainer.g_step
    for log in trainer.run(steps):
        rec.log(log)
        last = log
        if trainer.g_step - last_snap >= every or trainer.g_step == steps:
            rec.snapshot(trainer.snapshot())
            last_snap = trainer.g_step
        if callback is not None:
            callback(log)
    rec.checkpoint(trainer)
    summary = summarize(last, trainer, time.perf_counter() - start)
    rec.finish(summary)
    return summary


@dataclass
class RecordedRun:
    """A run directory loaded back: config, metric logs, summary and snapshot index."""

    path: Path
    config: TrainConfig
    metrics: list[dict]
    summary: dict
    snapshot_steps: list[int]

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(g_steps, values)`` of one metric over the run (logs without it are skipped)."""
        rows = [(m["g_step"], m[key]) for m in self.metrics if m.get(key) is not None]
        if not rows:
            raise ValueError(f"metric {key} was not recorded in {self.path}")
        steps, values = zip(*rows, strict=True)
        return np.asarray(steps), np.asarray(values, dtype=np.float64)

    def snapshot(self, g_step: int) -> dict:
        """The snapshot recorded at ``g_step`` (see ``snapshot_steps``)."""
        if g_step not in self.snapshot_steps:
            raise ValueError(f"g_step {g_step} has no snapshot; recorded: {self.snapshot_steps}")
        with np.load(self.path / "snapshots" / f"{g_step:06d}.npz", allow_pickle=False) as flat:
            return _unflatten(flat)

    def trainer(self):
        """A :class:`~wgan_core.trainer.Trainer` restored from the checkpoint (to resume or sample)."""
        from .trainer import Trainer

        state = load_checkpoint(self.path / "checkpoint.pt")
        trainer = Trainer(self.config)
        trainer.load_state_dict(state)
        return trainer


def load_run(path: str | os.PathLike) -> RecordedRun:
    """Load the run recorded in ``path``; a missing or malformed file raises ValueError naming it."""
    path = Path(path)
    for name in ("config.json", "metrics.jsonl"):
        if not (path / name).is_file():
            raise ValueError(f"{path} is not a recorded run: {name} is missing")
    try:
        config = TrainConfig.from_dict(json.loads((path / "config.json").read_text(encoding="utf-8")))
        lines = (path / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
        metrics = [json.loads(line) for line in lines if line.strip()]
        summary_file = path / "summary.json"
        summary = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.is_file() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} holds a malformed JSON file: {exc}") from None
    snaps = sorted(int(p.stem) for p in (path / "snapshots").glob("*.npz") if p.stem.isdigit())
    return RecordedRun(path, config, metrics, summary, snaps)


def list_runs(root: str | os.PathLike) -> list[Path]:
    """Run directories (those with a ``config.json``) directly under ``root`` or nested, sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p.parent for p in root.rglob("config.json"))
