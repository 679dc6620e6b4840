"""Recorded runs: a directory that holds a whole training run, and loading it back for replay.

Layout of a run directory, toy or image run (:class:`RunRecorder` is its one writer)::

    config.json            TrainConfig.to_dict()
    metrics.jsonl          one Trainer.metrics() log per line
    snapshots/NNNNNN.npz   Trainer.snapshot() at generator iteration NNNNNN (nested keys joined by '.');
                           image runs: the grid's samples as uint8 ``{g_step, samples}``
    samples/NNNNNN.png     image runs: the sample grid (:meth:`RunRecorder.grid`, the image-grid hook)
    summary.json           final numbers (see :func:`summarize`), with ``format`` = :data:`RUN_FORMAT`
    checkpoint.pt          Trainer.state_dict() (image runs: wrapped with every rank's streams),
                           written atomically, loaded with weights_only=True

Every file except ``metrics.jsonl`` (appended one whole line at a time) is written atomically, so a
reader sees a file whole or not at all. ``summary.json`` comes last: a run without one is still
being recorded (or was cut short) and is not offered for replay.

:func:`record_run` drives a :class:`~wgan_core.trainer.Trainer` with :meth:`Trainer.run
<wgan_core.trainer.Trainer.run>` and records it (so does :func:`wgan_core.images.train.train_images`);
:func:`load_run` returns a :class:`RecordedRun`; :func:`scan_runs` finds the complete run
directories under a root and says why it skipped the others; :func:`runs_root` is the one place that
decides where runs live.
"""

from __future__ import annotations

import json
import os
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from .atomic import atomic_open, atomic_write
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .jsonready import json_ready

__all__ = ["RunRecorder", "RecordedRun", "record_run", "load_run", "list_runs", "scan_runs", "check_run",
           "snapshot_steps", "summarize", "json_ready", "write_json", "runs_root", "new_run_dir",
           "SUMMARY_KEYS", "RUN_FORMAT"]

#: Keys every summary has (None where the data has no such metric, e.g. modes on the swiss roll).
SUMMARY_KEYS = ("g_steps_per_s", "modes", "hq_share", "w1_exact", "critic_estimate", "seconds")
#: Version of the run-directory layout, stored as ``format`` in ``summary.json`` (absent in runs
#: recorded before it was introduced, which have the same layout).
RUN_FORMAT = 1
_SNAPSHOT_NAME = re.compile(r"[0-9]{1,12}")  # ASCII digits only: "²".isdigit() is True, int("²") raises


def runs_root() -> Path:
    """The directory of recorded runs: ``$WGAN_RUNS_DIR``, else ``runs/`` in the working directory.

    The one resolver for the CLIs, the lessons and the app (a server started in the repository finds
    ``<repo>/runs``). Returned absolute, so that it does not change if the working directory does.
    """
    return Path(os.environ.get("WGAN_RUNS_DIR") or "runs").expanduser().resolve()


def new_run_dir(name: str) -> Path:
    """A fresh run directory path ``<runs_root()>/<name>-<YYYYmmdd-HHMMSS>`` (not created)."""
    return runs_root() / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def write_json(path: str | os.PathLike, obj) -> Path:
    """Write ``obj`` (made :func:`json_ready`) as indented JSON to ``path``, atomically."""
    return atomic_write(path, json.dumps(json_ready(obj), indent=2))


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
    """Write one run into ``out_dir``: the one writer of the run layout above, for toy and image runs.

    ``continue_at=None`` starts a new run (an existing run in ``out_dir`` raises ValueError); an
    integer continues the run in ``out_dir`` from that generator step (a resumed run): its config is
    rewritten and the logs after that step are dropped, since the resumed run writes them again.
    """

    def __init__(self, out_dir: str | os.PathLike, config: TrainConfig, continue_at: int | None = None):
        self.path = Path(out_dir)
        if continue_at is None and (self.path / "config.json").exists():
            raise ValueError(f"out_dir {self.path} already holds a recorded run; choose another directory")
        (self.path / "snapshots").mkdir(parents=True, exist_ok=True)
        write_json(self.path / "config.json", config.to_dict())
        self._metrics = self.path / "metrics.jsonl"
        if continue_at is not None and self._metrics.exists():
            kept = [line for line in self._metrics.read_text(encoding="utf-8").splitlines()
                    if line and json.loads(line).get("g_step", 0) <= continue_at]
            atomic_write(self._metrics, "".join(f"{line}\n" for line in kept))
        self._metrics.touch()

    def log(self, metrics: dict) -> None:
        """Append one metrics dict as a JSON line."""
        with self._metrics.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(json_ready(metrics)) + "\n")

    def snapshot(self, snap: dict) -> Path:
        """Save a ``Trainer.snapshot()`` as ``snapshots/<g_step>.npz`` (atomically)."""
        target = self.path / "snapshots" / f"{int(snap['g_step']):06d}.npz"
        with atomic_open(target) as fh:
            np.savez_compressed(fh, **_flatten(snap))
        return target

    def grid(self, trainer, n: int | None = None) -> Path:
        """The image-grid hook: the generator on the first ``n`` (default
        :data:`~wgan_core.images.grid.GRID_IMAGES`) fixed noise vectors, as ``samples/<g_step>.png``
        and as the snapshot ``{g_step, samples}`` (``uint8``, ``(n, C, H, W)``)."""
        from .images.grid import GRID_IMAGES, save_grid, to_uint8

        n = n or GRID_IMAGES
        g = trainer.g_step
        fake = trainer.sample(n, noise=trainer.fixed_noise[:n])
        save_grid(fake, self.path / "samples" / f"{g:06d}.png")
        return self.snapshot({"g_step": g, "samples": to_uint8(fake).transpose(0, 3, 1, 2)})

    def checkpoint(self, state: dict) -> Path:
        """Save ``state`` (e.g. ``Trainer.state_dict()``) as ``checkpoint.pt``, atomically."""
        return save_checkpoint(self.path / "checkpoint.pt", state)

    def history(self) -> list[dict]:
        """The logs written so far (of this run and, when continued, of the run before)."""
        return _read_metrics(self.path)

    def finish(self, summary: dict) -> None:
        write_json(self.path / "summary.json", {**summary, "format": RUN_FORMAT})


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
    rec.checkpoint(trainer.state_dict())
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
        try:
            with np.load(self.path / "snapshots" / f"{g_step:06d}.npz", allow_pickle=False) as flat:
                return _unflatten(flat)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"snapshot {g_step} of {self.path} is unreadable ({exc})") from None

    def trainer(self):
        """A :class:`~wgan_core.trainer.Trainer` restored from the checkpoint (to resume or sample)."""
        from .trainer import Trainer

        state = load_checkpoint(self.path / "checkpoint.pt")
        trainer = Trainer(self.config)
        trainer.load_state_dict(state)
        return trainer


def _read_metrics(path: Path) -> list[dict]:
    """The logs of ``metrics.jsonl``; a torn last line or a line that is not JSON raises ValueError."""
    text = (path / "metrics.jsonl").read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        raise ValueError("its metrics.jsonl ends in a cut line (torn while written)")
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                raise ValueError(f"line {number} of its metrics.jsonl is not JSON") from None
    return rows


def _read_json(file: Path) -> dict:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"its {file.name} is malformed JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"its {file.name} is not a JSON object")
    return data


def _read_run(path: Path) -> tuple[dict, list[dict], dict]:
    """``(config dict, metrics, summary)`` of a complete run of a known format, else ValueError (why)."""
    for name in ("config.json", "metrics.jsonl"):
        if not (path / name).is_file():
            raise ValueError(f"{name} is missing")
    if not (path / "summary.json").is_file():
        raise ValueError("it is still being recorded or was cut short (no summary.json yet)")
    summary = _read_json(path / "summary.json")
    if summary.get("format", RUN_FORMAT) != RUN_FORMAT:
        raise ValueError(f"it was recorded in an unknown format ({summary.get('format')!r}; "
                         f"this version reads {RUN_FORMAT})")
    return _read_json(path / "config.json"), _read_metrics(path), summary


def check_run(path: str | os.PathLike) -> str | None:
    """Why the run in ``path`` cannot be replayed (half-written, torn, unknown version), or None."""
    path = Path(path)
    try:
        config, _, _ = _read_run(path)
        TrainConfig.from_dict(config)
    except ValueError as exc:
        text = str(exc)
        return f"unknown version ({text})" if "TrainConfig field" in text else text
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    return None


def snapshot_steps(path: str | os.PathLike) -> list[int]:
    """Generator steps of the ``snapshots/NNNNNN.npz`` in a run (other names are ignored)."""
    folder = Path(path) / "snapshots"
    if not folder.is_dir():
        return []
    return sorted(int(p.stem) for p in folder.glob("*.npz") if _SNAPSHOT_NAME.fullmatch(p.stem))


def load_run(path: str | os.PathLike) -> RecordedRun:
    """Load the run recorded in ``path``; a missing, half-written, torn or unknown-version run raises
    ValueError naming the directory and the reason."""
    path = Path(path)
    try:
        config_dict, metrics, summary = _read_run(path)
        config = TrainConfig.from_dict(config_dict)
    except ValueError as exc:
        raise ValueError(f"{path} is not a replayable run: {exc}") from None
    return RecordedRun(path, config, metrics, summary, snapshot_steps(path))


def scan_runs(root: str | os.PathLike) -> tuple[list[Path], dict[Path, str]]:
    """Run directories (holding a ``config.json``) under ``root``, nested or not, sorted:
    ``(replayable, {skipped: why})``."""
    root = Path(root)
    if not root.is_dir():
        return [], {}
    good, skipped = [], {}
    for path in sorted(p.parent for p in root.rglob("config.json")):
        why = check_run(path)
        if why is None:
            good.append(path)
        else:
            skipped[path] = why
    return good, skipped


def list_runs(root: str | os.PathLike) -> list[Path]:
    """The replayable run directories under ``root`` (see :func:`scan_runs`)."""
    return scan_runs(root)[0]
