r"""Background training jobs: one thread drives one or more trainers, the UI only reads their buffers.

A :class:`TrainingJob` owns a small dict of *members* — objects with the trainer protocol
(``.step()``, ``.set_hparams(**kw)``, ``.hparams()``, ``.metrics()``, ``.snapshot()``, ``.g_step``),
normally :class:`wgan_core.trainer.Trainer`. Its thread calls ``member.step()`` in turn for every
member, so a side-by-side comparison (GAN, WGAN, WGAN-GP on one seed) is *one* job and costs one slot
of the process-wide cap. The thread never draws: progress leaves it as data —

* ``logs()`` — metric dicts (``member``, ``g_step`` and whatever ``member.metrics()`` returns), kept in
  a bounded list that halves its resolution when full, so a long run keeps its whole curve;
* ``latest_snapshot()`` — the newest ``member.snapshot()`` per member, taken at most every
  ``snapshot_every_s`` seconds (a bounded deque keeps the last few).

Hyper-parameters move while the job runs: :meth:`TrainingJob.set_hparams` forwards the change to the
members' own thread-safe ``set_hparams`` (validated there; it applies from the next step) and records
it under the job's lock.

Lifetime. ``start`` → (``queued`` until :class:`JobRegistry` admits it) → ``running`` ⇄ ``paused`` →
``stopped`` | ``finished`` | ``failed``. A job stops itself when nobody has called :meth:`touch` for
``idle_timeout`` seconds (the watchdog) or when its ``owner_alive`` callable has returned False for
``owner_grace`` seconds (the owner's session closed). Either way its slot goes back to the registry.

The cap. :data:`REGISTRY` admits at most ``WGAN_MAX_JOBS`` jobs at once (default: the number of CPU
cores) in FIFO order. Each job trains with one torch thread: :func:`configure_torch_threads` sets the
process-wide intra-op pool to ``WGAN_TORCH_THREADS`` (default 1) once, because ``torch.set_num_threads``
is global and tiny MLPs gain nothing from more threads while the others would be starved.
If ``WGAN_JOB_STATUS_FILE`` names a file, the registry rewrites it (atomically, read-only for
everyone else) with its state on every change — the hook the classroom load test reads.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: Hyper-parameters a running job may change (the paper's names).
LIVE_HPARAMS = ("clip_value", "n_critic", "lr", "lambda_gp")
#: States in which a job holds or waits for a slot.
ACTIVE = ("queued", "running", "paused")
#: States a job never leaves.
ENDED = ("stopped", "finished", "failed")


def _env_number(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a number") from exc
    if value < minimum:
        raise ValueError(f"{name}={raw!r} must be at least {minimum}")
    return value


def default_max_jobs() -> int:
    """``WGAN_MAX_JOBS`` if set, else one job per CPU core."""
    return int(_env_number("WGAN_MAX_JOBS", max(1, os.cpu_count() or 1), 1))


def default_idle_timeout() -> float:
    """``WGAN_JOB_IDLE_TIMEOUT`` seconds without a poll before the watchdog stops a job (default 30)."""
    return _env_number("WGAN_JOB_IDLE_TIMEOUT", 30.0, 0.1)


_threads_configured = False


def configure_torch_threads() -> int:
    """Set torch's process-wide intra-op threads once to ``WGAN_TORCH_THREADS`` (default 1)."""
    global _threads_configured
    import torch

    n = int(_env_number("WGAN_TORCH_THREADS", 1, 1))
    if not _threads_configured:
        torch.set_num_threads(n)
        _threads_configured = True
    return torch.get_num_threads()


_REGISTRIES: weakref.WeakSet = weakref.WeakSet()


class JobRegistry:
    """A process-wide cap on concurrently admitted jobs, with a FIFO queue for the others.

    Parameters
    ----------
    max_jobs : int
        How many jobs may hold a slot (be running or paused) at the same time.
    status_file : str or Path, optional
        If given, a JSON file rewritten atomically with :meth:`status` whenever it changes.
    """

    def __init__(self, max_jobs: int, status_file: str | os.PathLike | None = None):
        if int(max_jobs) < 1:
            raise ValueError(f"max_jobs must be at least 1, got {max_jobs}")
        self.max_jobs = int(max_jobs)
        self.status_file = Path(status_file) if status_file else None
        self._cond = threading.Condition()
        self._admitted: list[TrainingJob] = []
        self._queue: deque[TrainingJob] = deque()
        self._jobs: dict[int, TrainingJob] = {}
        _REGISTRIES.add(self)

    def register(self, job: TrainingJob) -> None:
        with self._cond:
            self._jobs[job.id] = job
        self.publish()

    def enqueue(self, job: TrainingJob) -> None:
        """Put ``job`` at the end of the queue (before its thread starts waiting in :meth:`admit`)."""
        with self._cond:
            if job not in self._queue:
                self._queue.append(job)
        self.publish()

    def admit(self, job: TrainingJob, abort: Callable[[], bool]) -> bool:
        """Block until ``job`` (enqueued) holds a slot (True) or ``abort()`` turns true first (False)."""
        self.enqueue(job)
        try:
            with self._cond:
                while True:
                    if abort():
                        return False
                    if self._queue[0] is job and len(self._admitted) < self.max_jobs:
                        self._queue.popleft()
                        self._admitted.append(job)
                        return True
                    self._cond.wait(timeout=0.25)
        finally:
            with self._cond:
                if job in self._queue:
                    self._queue.remove(job)
                self._cond.notify_all()
            self.publish()

    def release(self, job: TrainingJob) -> None:
        """Give the job's slot back (a no-op if it held none)."""
        with self._cond:
            if job in self._admitted:
                self._admitted.remove(job)
            self._cond.notify_all()
        self.publish()

    def queue_position(self, job: TrainingJob) -> int | None:
        """1 for the next job to be admitted, None when not queued."""
        with self._cond:
            return self._queue.index(job) + 1 if job in self._queue else None

    def active_jobs(self) -> list[TrainingJob]:
        with self._cond:
            return [j for j in self._jobs.values() if j.status in ACTIVE]

    def status(self) -> dict[str, Any]:
        """Plain-data view: the cap, slot use, queue length and every job still active."""
        with self._cond:
            jobs = list(self._jobs.values())
            running = len(self._admitted)
            queued = len(self._queue)
            for j in [j for j in jobs if j.status in ENDED]:
                self._jobs.pop(j.id, None)  # forget ended jobs once reported
        return {"max_jobs": self.max_jobs, "admitted": running, "queued": queued,
                "active": sum(j.status in ACTIVE for j in jobs), "time": time.time(),
                "jobs": [j.describe() for j in jobs]}

    def publish(self) -> None:
        """Rewrite the status file, if one is configured (temp file + rename, so readers never see half)."""
        if self.status_file is None:
            return
        text = json.dumps(self.status())
        tmp = self.status_file.with_name(f".{self.status_file.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(text)
        os.replace(tmp, self.status_file)


#: The process-wide registry used by the app.
REGISTRY = JobRegistry(default_max_jobs(), os.environ.get("WGAN_JOB_STATUS_FILE") or None)


@atexit.register
def _stop_all_at_exit() -> None:
    """Stop every job before the interpreter tears torch down under a running thread."""
    for registry in list(_REGISTRIES):
        for job in registry.active_jobs():
            job.stop("the process is exiting", wait=2.0)


class _ThinningLog:
    """Rounds of log dicts; keeps at most ``capacity`` rounds by dropping every other one when full."""

    def __init__(self, capacity: int):
        if capacity < 4:
            raise ValueError(f"max_logs must be at least 4, got {capacity}")
        self.capacity = capacity
        self.items: list[dict] = []
        self.stride = 1  # record one log in `stride` offered
        self._offered = 0

    def offer(self, entry: list[dict]) -> None:
        """Offer one round of logs (one dict per member); rounds are kept or dropped whole."""
        self._offered += 1
        if (self._offered - 1) % self.stride:
            return
        self.items.append(entry)
        if len(self.items) > self.capacity:
            self.items = self.items[::2]
            self.stride *= 2


class TrainingJob:
    """Drive ``members`` (name → trainer) in a background thread; see the module docstring.

    Parameters
    ----------
    members : Mapping[str, trainer]
        The trainers stepped in turn (one shared g-step counter per round).
    max_steps : int, optional
        Finish after this many generator steps per member (None: run until stopped).
    log_every : int
        Call ``member.metrics()`` every this many generator steps (and after every manual step).
    snapshot_every_s : float
        Minimum seconds between two ``member.snapshot()`` calls while running.
    max_logs, max_snapshots : int
        Bounds of the log list (thinned when full) and of the snapshot deque.
    idle_timeout : float, optional
        Watchdog: stop when :meth:`touch` has not been called for this long (default from env, 30 s).
    owner_alive : callable, optional
        Returns False once the owner (a browser session) is gone; the job stops ``owner_grace`` s later.
    registry : JobRegistry, optional
        Where to take a slot (default :data:`REGISTRY`).
    extra_metrics : callable, optional
        ``extra_metrics(name, member) -> dict`` merged into each log (a lesson's own measurement).
    """

    _ids = itertools.count(1)

    def __init__(self, members: Mapping[str, Any], *, max_steps: int | None = None, log_every: int = 10,
                 snapshot_every_s: float = 1.0, max_logs: int = 2000, max_snapshots: int = 4,
                 idle_timeout: float | None = None, owner_alive: Callable[[], bool] | None = None,
                 owner_grace: float = 5.0, registry: JobRegistry | None = None, label: str = "",
                 extra_metrics: Callable[[str, Any], dict] | None = None):
        if not members:
            raise ValueError("members must name at least one trainer")
        if max_steps is not None and int(max_steps) < 1:
            raise ValueError(f"max_steps must be positive, got {max_steps}")
        if int(log_every) < 1:
            raise ValueError(f"log_every must be at least 1, got {log_every}")
        self.id = next(self._ids)
        self.label = label
        self.members = dict(members)
        self.max_steps = None if max_steps is None else int(max_steps)
        self.log_every = int(log_every)
        self.snapshot_every_s = float(snapshot_every_s)
        self.idle_timeout = default_idle_timeout() if idle_timeout is None else float(idle_timeout)
        self.owner_alive = owner_alive
        self.owner_grace = float(owner_grace)
        self.registry = registry if registry is not None else REGISTRY
        self.extra_metrics = extra_metrics
        self.status = "new"
        self.stop_reason = ""
        self.error = ""
        self.steps = 0
        self.started_at: float | None = None
        self.last_touch = time.monotonic()
        self._owner_gone_since: float | None = None
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._pending_steps = 0
        self._want_running = False
        self._log_next = False  # log right after a hyper-parameter change, so curves show it promptly
        self._hparams = {name: dict(m.hparams()) for name, m in self.members.items()}
        self._logs = _ThinningLog(int(max_logs))
        self._snapshots: deque[tuple[int, dict]] = deque(maxlen=int(max_snapshots))
        self._last_snapshot_t = -float("inf")
        self._thread: threading.Thread | None = None
        self.registry.register(self)

    # ---- controls (called from the UI thread) -----------------------------------------------------
    def start(self) -> None:
        """Start (or resume) continuous training."""
        with self._lock:
            if self.status in ("stopped", "finished", "failed"):
                raise ValueError(f"job {self.id} is {self.status}; make a new one")
            self._want_running = True
            if self.status == "paused":
                self._set_status("running")
            self._ensure_thread()
            self._lock.notify_all()

    def pause(self) -> None:
        with self._lock:
            self._want_running = False
            if self.status == "running":
                self._set_status("paused")

    def step(self, n: int = 1) -> None:
        """Run ``n`` generator steps, then stay paused (starts the thread paused if needed)."""
        if int(n) < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        with self._lock:
            if self.status in ("stopped", "finished", "failed"):
                raise ValueError(f"job {self.id} is {self.status}; make a new one")
            self._want_running = False
            if self.status == "running":
                self._set_status("paused")
            self._pending_steps += int(n)
            self._ensure_thread()
            self._lock.notify_all()

    def stop(self, reason: str = "stopped by the user", wait: float | None = 5.0) -> None:
        """Stop for good and give the slot back; waits up to ``wait`` seconds for the thread."""
        with self._lock:
            if not self.stop_reason:
                self.stop_reason = reason
            self._stop.set()
            self._lock.notify_all()
            thread = self._thread
            if thread is None and self.status == "new":
                self._set_status("stopped")
        if thread is not None and wait and thread is not threading.current_thread():
            thread.join(wait)

    def touch(self) -> None:
        """Heartbeat from the page that shows the job (resets the watchdog)."""
        self.last_touch = time.monotonic()

    def set_hparams(self, member: str | None = None, **changes: Any) -> dict[str, dict]:
        """Change hyper-parameters of one member (or all) from their next step; returns the new values."""
        unknown = sorted(set(changes) - set(LIVE_HPARAMS))
        if unknown:
            raise ValueError(f"cannot change {unknown} live; live hyper-parameters are {LIVE_HPARAMS}")
        if member is not None and member not in self.members:
            raise ValueError(f"no member {member!r}; members are {sorted(self.members)}")
        names = [member] if member is not None else list(self.members)
        with self._lock:
            for name in names:
                trainer = self.members[name]
                accepted = {k: v for k, v in changes.items() if k in self._hparams[name]}
                if accepted:
                    trainer.set_hparams(**accepted)
                    self._hparams[name] = dict(trainer.hparams())
                    self._log_next = True
            return {name: dict(self._hparams[name]) for name in names}

    # ---- read side ---------------------------------------------------------------------------------
    def hparams(self) -> dict[str, dict]:
        with self._lock:
            return {name: dict(h) for name, h in self._hparams.items()}

    def logs(self) -> list[dict]:
        with self._lock:
            return [entry for round_ in self._logs.items for entry in round_]

    def latest_snapshot(self) -> tuple[int, dict] | None:
        """``(g_step, {member: snapshot})`` of the newest snapshot, or None before the first."""
        with self._lock:
            return self._snapshots[-1] if self._snapshots else None

    def progress(self) -> float | None:
        return None if self.max_steps is None else min(1.0, self.steps / self.max_steps)

    def steps_per_second(self) -> float:
        if self.started_at is None or self.steps == 0:
            return 0.0
        return self.steps / max(1e-9, time.monotonic() - self.started_at)

    def queue_position(self) -> int | None:
        return self.registry.queue_position(self)

    def describe(self) -> dict[str, Any]:
        """Plain-data summary (status, steps, hyper-parameters, stop reason) for status files and captions."""
        # Lock-free on purpose: the registry calls this while other threads hold their jobs' locks, and
        # set_hparams replaces each member's dict whole, so a copy of the current dicts is consistent.
        hparams = {name: dict(h) for name, h in list(self._hparams.items())}
        return {"id": self.id, "label": self.label, "status": self.status, "steps": self.steps,
                "stop_reason": self.stop_reason, "error": self.error,
                "idle_s": round(time.monotonic() - self.last_touch, 2), "hparams": hparams}

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it has (or never started)."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # ---- the thread --------------------------------------------------------------------------------
    def _set_status(self, status: str) -> None:
        self.status = status

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._set_status("queued")
        self.registry.enqueue(self)
        self._thread = threading.Thread(target=self._run, name=f"training-job-{self.id}", daemon=True)
        self._thread.start()

    def _should_end(self) -> bool:
        now = time.monotonic()
        if now - self.last_touch > self.idle_timeout:
            self.stop_reason = self.stop_reason or f"watchdog: nobody polled for {self.idle_timeout:g} s"
            self._stop.set()
        elif self.owner_alive is not None and not self.owner_alive():
            self._owner_gone_since = self._owner_gone_since or now
            if now - self._owner_gone_since >= self.owner_grace:
                self.stop_reason = self.stop_reason or "the session that owned the job closed"
                self._stop.set()
        else:
            self._owner_gone_since = None
        return self._stop.is_set()

    def _run(self) -> None:
        admitted = False
        try:
            admitted = self.registry.admit(self, self._should_end)
            if not admitted:
                return
            with self._lock:
                self._set_status("running" if self._want_running else "paused")
            self.registry.publish()
            self.started_at = time.monotonic()
            self._record(force_snapshot=True)
            while not self._should_end():
                with self._lock:
                    manual = self.status == "paused" and self._pending_steps > 0
                    if self.status == "paused" and not manual:
                        self._lock.wait(timeout=0.25)
                        continue
                    if manual:
                        self._pending_steps -= 1
                for member in self.members.values():
                    member.step()
                self.steps += 1
                logged = manual or self._log_next or self.steps % self.log_every == 0
                if logged:
                    self._log_next = False
                    self._record(force_snapshot=manual)
                if self.max_steps is not None and self.steps >= self.max_steps:
                    self._record(force_snapshot=True, with_logs=not logged)  # the last step: logged once
                    with self._lock:
                        self._set_status("finished")
                        self.stop_reason = f"reached {self.max_steps} steps"
                    return
        except Exception as exc:  # a crash in a trainer must not take the server down
            with self._lock:
                self.error = f"{type(exc).__name__}: {exc}"
                self._set_status("failed")
        finally:
            with self._lock:
                if self.status in ACTIVE or self.status == "new":
                    self._set_status("stopped")
            if admitted:
                self.registry.release(self)
            else:
                self.registry.publish()

    def _record(self, force_snapshot: bool = False, with_logs: bool = True) -> None:
        """Append one log per member; take a snapshot when due."""
        logs = []
        for name, member in self.members.items() if with_logs else ():
            entry = {"member": name, "g_step": int(member.g_step), **member.metrics()}
            if self.extra_metrics is not None:
                entry.update(self.extra_metrics(name, member))
            logs.append(entry)
        now = time.monotonic()
        snap = None
        if force_snapshot or now - self._last_snapshot_t >= self.snapshot_every_s:
            snap = {name: member.snapshot() for name, member in self.members.items()}
            self._last_snapshot_t = now
        with self._lock:
            if logs:
                self._logs.offer(logs)
            if snap is not None:
                self._snapshots.append((self.steps, snap))
