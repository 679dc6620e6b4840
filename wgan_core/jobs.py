r"""Live training jobs: one training loop per job, in a worker process (or a thread); the UI only reads buffers.

A job owns a small dict of *members* — objects with the trainer protocol (``.step()``,
``.set_hparams(**kw)``, ``.hparams()``, ``.metrics()``, ``.snapshot()``, ``.g_step``), normally
:class:`wgan_core.trainer.Trainer`. Its loop calls ``member.step()`` in turn for every member, so a
side-by-side comparison (GAN, WGAN, WGAN-GP on one seed) is *one* job and costs one slot of the cap.
The loop never draws: progress leaves it as data —

* ``logs()`` — metric dicts (``member``, ``g_step``, ``critic_steps`` and whatever ``member.metrics()``
  returns), kept in a bounded list that halves its resolution when full, so a long run keeps its whole
  curve;
* ``latest_snapshot()`` — the newest ``member.snapshot()`` per member, taken at most every
  ``snapshot_every_s`` seconds (a bounded deque keeps the last few).

Two modes, one loop (:class:`_Loop`; there is never a second implementation of it):

* **process** (:class:`ProcessTrainingJob`, the app's default) — the members are built *in a worker
  process* by a picklable ``factory(*args) -> {name: trainer}`` (a module-level function or a
  ``functools.partial`` of one; the same holds for ``extra_metrics``). The toy MLPs are Python-bound, so
  a training thread inside the Streamlit server would compete for the GIL with every figure the pages
  build; a worker process trains on its own core. The worker sets torch to ``WGAN_TORCH_THREADS``
  (default 1) threads, runs the loop, and sends its progress through a pipe (steps, log rounds,
  snapshots, its hyper-parameters after each change, and at the end ``finished``/``stopped`` or the
  error as ``"Type: message"``); commands go the other way (run/pause, step n, stop, set_hparams). A
  reader thread in the server receives the messages and fills the same bounded buffers, so the read
  side is the same in both modes. Workers start from a ``forkserver`` that imports
  :data:`WORKER_PRELOAD` once (torch, POT, the trainer, the lessons: a worker trains 0.05 s after
  Start), never by ``fork`` (the server is multi-threaded), as daemon processes that never re-run the
  server's ``__main__`` (under Streamlit, a page script).
* **thread** (:class:`TrainingJob`) — the members are built in the caller's process and the loop runs
  in a daemon thread (tests, scripts, and ``WGAN_JOB_MODE=thread``).

:meth:`TrainingJob.from_factory` builds either, from ``WGAN_JOB_MODE`` (``process`` | ``thread``;
default ``process``) unless ``mode=`` is given.

Hyper-parameters move while the job runs: ``set_hparams(member, **changes)`` validates the values
(:func:`wgan_core.config.validate_hparam` names the field) and forwards them to the members' own
thread-safe ``set_hparams`` (in the worker, for process jobs); they apply from the next step, a log is
taken right after, and :meth:`hparams` shows the change at once.

Lifetime. ``start`` → (``queued`` until :class:`JobRegistry` admits it) → ``running`` ⇄ ``paused`` →
``stopped`` | ``finished`` | ``failed``. Admission stays in the server: a queued process job has no
worker yet. A job stops itself when nobody has called :meth:`touch` for ``idle_timeout`` seconds (the
watchdog) or when its ``owner_alive`` callable has returned False for ``owner_grace`` seconds (the
owner's session closed); both are checked in the server, which then tells the worker to stop and
terminates (then kills) it if it has not exited within ``stop_grace`` seconds. A crash in the worker
(an exception, or the process dying) marks the job ``failed`` with the error text; the server stays up.
Whatever the ending, the slot goes back to the registry exactly once, and no worker outlives its job:
workers are daemons, :meth:`JobRegistry.shutdown` (also run at exit) stops every job, and a worker whose
server went away sees its command pipe close and stops.

The cap. :data:`REGISTRY` admits at most ``WGAN_MAX_JOBS`` jobs at once (default: the number of CPU
cores) in FIFO order. Each job trains with one torch thread (``WGAN_TORCH_THREADS``, default 1):
tiny MLPs gain nothing from more threads, and N jobs × 1 thread never oversubscribe N cores. In thread
mode :func:`configure_torch_threads` sets the server's process-wide pool (``torch.set_num_threads`` is
global); each worker process sets its own. If ``WGAN_JOB_STATUS_FILE`` names a file, the registry
rewrites it (atomically, read-only for everyone else) with its state on every change — the hook the
classroom load test reads (it lists each job's worker ``pid``).
"""

from __future__ import annotations

import abc
import atexit
import itertools
import json
import logging
import multiprocessing
import multiprocessing.util  # before our atexit hook: hooks run last-in first-out, so ours stops the jobs
import os
import pickle
import signal
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from wgan_core.config import validate_hparam

#: Hyper-parameters a running job may change (the paper's names).
LIVE_HPARAMS = ("clip_value", "n_critic", "lr", "lambda_gp")
#: States in which a job holds or waits for a slot.
ACTIVE = ("queued", "running", "paused")
#: States a job never leaves.
ENDED = ("stopped", "finished", "failed")
#: Values of ``WGAN_JOB_MODE``.
JOB_MODES = ("process", "thread")
#: Modules the worker forkserver imports once, so that no worker pays for importing them: torch,
#: ``torch._dynamo`` (the first optimizer a process builds imports it: about 1 s), POT (``import ot``
#: takes about 2 s, and the first log of every run computes an exact W1 with it), the trainer, the lessons.
WORKER_PRELOAD = ("torch", "torch._dynamo", "ot", "wgan_core.trainer", "lessons")

_log = logging.getLogger(__name__)


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


def default_job_mode() -> str:
    """``WGAN_JOB_MODE``: ``process`` (the default: each job trains in a worker process) or ``thread``."""
    raw = os.environ.get("WGAN_JOB_MODE", "").strip().lower()
    if raw == "":
        return "process"
    if raw not in JOB_MODES:
        raise ValueError(f"WGAN_JOB_MODE={os.environ['WGAN_JOB_MODE']!r} is not a job mode; "
                         f"use one of {', '.join(JOB_MODES)}")
    return raw


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


_context: Any = None
_context_lock = threading.Lock()


#: Name prefix of the worker processes (see :func:`_without_main_for_workers`).
WORKER_NAME = "wgan-training-job"


def _without_main_for_workers(get_preparation_data: Callable[[str], dict]) -> Callable[[str], dict]:
    """Wrap ``multiprocessing.spawn.get_preparation_data`` so that *our* workers never re-run ``__main__``.

    A forkserver/spawn child normally re-executes the parent's main script as ``__mp_main__``. In the
    Streamlit server ``sys.modules["__main__"]`` is the page script being run (AppTest and the script
    runner put it there), so a worker would run a whole page — Streamlit included — before training.
    Workers need nothing from ``__main__``: their target and factory live in importable modules. Only
    processes named :data:`WORKER_NAME`-… are affected; every other process keeps the default.
    """
    def preparation_data(name: str) -> dict:
        data = get_preparation_data(name)
        if name.startswith(WORKER_NAME):
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    preparation_data.wraps_for_workers = True  # type: ignore[attr-defined]
    return preparation_data


def worker_context():
    """The multiprocessing context of the workers: ``forkserver`` with :data:`WORKER_PRELOAD` (else ``spawn``).

    Never ``fork``: the server is multi-threaded, and a forked copy of a threaded process can inherit
    locks held by threads that do not exist in the child.
    """
    global _context
    with _context_lock:
        if _context is None:
            from multiprocessing import spawn

            if not getattr(spawn.get_preparation_data, "wraps_for_workers", False):
                spawn.get_preparation_data = _without_main_for_workers(spawn.get_preparation_data)
            if "forkserver" in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(list(WORKER_PRELOAD))
            else:
                ctx = multiprocessing.get_context("spawn")
            _context = ctx
        return _context


def prepare_workers() -> None:
    """Start the worker forkserver now (it imports torch once), so the first Start does not wait for it."""
    ctx = worker_context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


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
        self._admitted: list[Job] = []
        self._queue: deque[Job] = deque()
        self._jobs: dict[int, Job] = {}
        _REGISTRIES.add(self)

    def register(self, job: Job) -> None:
        with self._cond:
            self._jobs[job.id] = job
        self.publish()

    def enqueue(self, job: Job) -> None:
        """Put ``job`` at the end of the queue (before its thread starts waiting in :meth:`admit`)."""
        with self._cond:
            if job not in self._queue:
                self._queue.append(job)
        self.publish()

    def admit(self, job: Job, abort: Callable[[], bool]) -> bool:
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

    def release(self, job: Job) -> None:
        """Give the job's slot back (a no-op if it held none)."""
        with self._cond:
            if job in self._admitted:
                self._admitted.remove(job)
            self._cond.notify_all()
        self.publish()

    def queue_position(self, job: Job) -> int | None:
        """1 for the next job to be admitted, None when not queued."""
        with self._cond:
            return self._queue.index(job) + 1 if job in self._queue else None

    def active_jobs(self) -> list[Job]:
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

    def shutdown(self, reason: str = "the server is shutting down", wait: float = 10.0) -> None:
        """Stop every active job and wait up to ``wait`` s in all for them (process jobs: their workers)."""
        active = self.active_jobs()
        for job in active:
            job.stop(reason, wait=None)
        deadline = time.monotonic() + wait
        for job in active:
            job.join(max(0.0, deadline - time.monotonic()))
        for job in active:
            job._kill_worker()  # a worker still alive after the wait: terminate, then kill

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
    """Stop every job (and its worker) before the interpreter tears torch down under a running thread."""
    for registry in list(_REGISTRIES):
        registry.shutdown("the process is exiting", wait=5.0)


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


class _Loop:
    """THE training loop, shared by both modes: thread jobs run it in a thread of the server, process jobs
    in their worker. Progress goes to a *sink* (``on_steps(steps)``, ``on_record(steps, logs, snapshot)``);
    commands arrive through :meth:`set_running`, :meth:`add_steps`, :meth:`set_hparams` and :meth:`wake`,
    from another thread, under ``lock`` (a Condition the loop waits on while paused).
    """

    def __init__(self, members: Mapping[str, Any], sink: Any, *, max_steps: int | None, log_every: int,
                 snapshot_every_s: float, extra_metrics: Callable[[str, Any], dict] | None = None,
                 lock: threading.Condition | None = None):
        if not members:
            raise ValueError("members must name at least one trainer")
        self.members = dict(members)
        self.sink = sink
        self.max_steps, self.log_every = max_steps, int(log_every)
        self.snapshot_every_s = float(snapshot_every_s)
        self.extra_metrics = extra_metrics
        self.lock = lock if lock is not None else threading.Condition()
        self.running = False  # continuous training wanted (else: paused, doing pending manual steps)
        self.pending = 0  # manual steps still to do
        self.log_next = False  # log right after a hyper-parameter change, so curves show it promptly
        self.steps = 0
        self._last_snapshot_t = -float("inf")

    # ---- commands (any thread) -------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        with self.lock:
            self.running = bool(running)
            self.lock.notify_all()

    def add_steps(self, n: int) -> None:
        """Pause, then do ``n`` more generator steps."""
        with self.lock:
            self.running = False
            self.pending += int(n)
            self.lock.notify_all()

    def wake(self) -> None:
        """Let a paused loop re-check whether it should end."""
        with self.lock:
            self.lock.notify_all()

    def hparams(self) -> dict[str, dict]:
        return {name: dict(member.hparams()) for name, member in self.members.items()}

    def set_hparams(self, member: str | None, changes: Mapping[str, Any]) -> dict[str, dict]:
        """Forward ``changes`` to one member (or all) that has them; returns their hyper-parameters after."""
        if member is not None and member not in self.members:
            raise ValueError(f"no member {member!r}; members are {sorted(self.members)}")
        out = {}
        for name in [member] if member is not None else list(self.members):
            trainer = self.members[name]
            current = trainer.hparams()
            accepted = {k: v for k, v in changes.items() if k in current}
            if accepted:
                trainer.set_hparams(**accepted)
                with self.lock:
                    self.log_next = True
            out[name] = dict(trainer.hparams())
        return out

    # ---- the loop ----------------------------------------------------------------------------------
    def run(self, should_end: Callable[[], bool]) -> bool:
        """Train until ``should_end()`` (False) or ``max_steps`` (True); exceptions of a member propagate."""
        self.record(force_snapshot=True)
        while not should_end():
            with self.lock:
                manual = not self.running and self.pending > 0
                if not self.running and not manual:
                    self.lock.wait(timeout=0.25)
                    continue
                if manual:
                    self.pending -= 1
            for member in self.members.values():
                member.step()
            self.steps += 1
            self.sink.on_steps(self.steps)
            with self.lock:
                logged = manual or self.log_next or self.steps % self.log_every == 0
                self.log_next = self.log_next and not logged
            if logged:
                self.record(force_snapshot=manual)
            if self.max_steps is not None and self.steps >= self.max_steps:
                self.record(force_snapshot=True, with_logs=not logged)  # the last step: logged once
                return True
        return False

    def record(self, force_snapshot: bool = False, with_logs: bool = True) -> None:
        """One log per member (the member's own ``g_step`` and ``critic_steps`` on each); a snapshot when due."""
        logs = []
        for name, member in self.members.items() if with_logs else ():
            entry = {"member": name, "g_step": int(member.g_step), **member.metrics()}
            entry["g_step"] = int(member.g_step)  # the member's count wins (a frozen-generator adapter counts rounds)
            if "critic_steps" not in entry and hasattr(member, "critic_steps"):
                entry["critic_steps"] = int(member.critic_steps)
            if self.extra_metrics is not None:
                entry.update(self.extra_metrics(name, member))
            logs.append(entry)
        now = time.monotonic()
        snap = None
        if force_snapshot or now - self._last_snapshot_t >= self.snapshot_every_s:
            snap = {name: member.snapshot() for name, member in self.members.items()}
            self._last_snapshot_t = now
        if logs or snap is not None:
            self.sink.on_record(self.steps, logs, snap)


class Job(abc.ABC):
    """What both modes share: controls, the read side, the watchdog and the slot (see the module docstring).

    Parameters
    ----------
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
    mode = ""

    def __init__(self, *, max_steps: int | None = None, log_every: int = 10, snapshot_every_s: float = 1.0,
                 max_logs: int = 2000, max_snapshots: int = 4, idle_timeout: float | None = None,
                 owner_alive: Callable[[], bool] | None = None, owner_grace: float = 5.0,
                 registry: JobRegistry | None = None, label: str = "",
                 extra_metrics: Callable[[str, Any], dict] | None = None):
        if max_steps is not None and int(max_steps) < 1:
            raise ValueError(f"max_steps must be positive, got {max_steps}")
        if int(log_every) < 1:
            raise ValueError(f"log_every must be at least 1, got {log_every}")
        self.id = next(self._ids)
        self.label = label
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
        self.pid: int | None = None  # the worker process (process mode, once admitted)
        self.started_at: float | None = None
        self.last_touch = time.monotonic()
        self._owner_gone_since: float | None = None
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._want_running = False
        self._hparams: dict[str, dict] = {}
        self._logs = _ThinningLog(int(max_logs))
        self._snapshots: deque[tuple[int, dict]] = deque(maxlen=int(max_snapshots))
        self._thread: threading.Thread | None = None

    # ---- controls (called from the UI thread) -----------------------------------------------------
    def start(self) -> None:
        """Start (or resume) continuous training."""
        with self._lock:
            self._check_usable()
            self._want_running = True
            if self.status == "paused":
                self._set_status("running")
            self._command(("run", True))
            self._ensure_thread()
            self._lock.notify_all()

    def pause(self) -> None:
        with self._lock:
            self._want_running = False
            if self.status == "running":
                self._set_status("paused")
            self._command(("run", False))

    def step(self, n: int = 1) -> None:
        """Run ``n`` generator steps, then stay paused (starts the job paused if needed)."""
        if int(n) < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        with self._lock:
            self._check_usable()
            self._want_running = False
            if self.status == "running":
                self._set_status("paused")
            self._command(("step", int(n)))
            self._ensure_thread()
            self._lock.notify_all()

    def stop(self, reason: str = "stopped by the user", wait: float | None = 5.0) -> None:
        """Stop for good and give the slot back; waits up to ``wait`` seconds for the job to end."""
        with self._lock:
            if not self.stop_reason:
                self.stop_reason = reason
            self._stop.set()
            self._command(("stop",))
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
        for name, value in changes.items():
            validate_hparam(name, value)
        return self._apply_hparams(member, dict(changes))

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
        # the job replaces each member's dict whole, so a copy of the current dicts is consistent.
        hparams = {name: dict(h) for name, h in list(self._hparams.items())}
        return {"id": self.id, "label": self.label, "mode": self.mode, "pid": self.pid, "status": self.status,
                "steps": self.steps, "stop_reason": self.stop_reason, "error": self.error,
                "idle_s": round(time.monotonic() - self.last_touch, 2), "hparams": hparams}

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job to end (its thread, and for process jobs its worker); True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # ---- the driving thread ------------------------------------------------------------------------
    def _check_usable(self) -> None:
        if self.status in ENDED:
            raise ValueError(f"job {self.id} is {self.status}; make a new one")

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
        """The stop flag, the watchdog and the owner check (always evaluated in this process)."""
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
            self._drive()
        except Exception as exc:  # a crash in a trainer must not take the server down
            with self._lock:
                self.error = f"{type(exc).__name__}: {exc}"
                self._set_status("failed")
        finally:
            self._kill_worker()
            with self._lock:
                if self.status in ACTIVE or self.status == "new":
                    self._set_status("stopped")
            if admitted:
                self.registry.release(self)  # the slot goes back exactly once: here
            else:
                self.registry.publish()

    def _admitted_status(self) -> None:
        with self._lock:
            if self.status not in ENDED:
                self._set_status("running" if self._want_running else "paused")
        self.registry.publish()

    def _finish(self, reason: str) -> None:
        with self._lock:
            self._set_status("finished")
            self.stop_reason = reason

    # sink of the loop (thread mode: the loop calls these directly; process mode: the reader thread)
    def on_steps(self, steps: int) -> None:
        self.steps = int(steps)

    def on_record(self, steps: int, logs: list[dict], snapshot: dict | None) -> None:
        with self._lock:
            self.steps = max(self.steps, int(steps))
            if logs:
                self._logs.offer(logs)
            if snapshot is not None:
                self._snapshots.append((int(steps), snapshot))

    # mode-specific (TrainingJob: a thread; ProcessTrainingJob: a worker process)
    @abc.abstractmethod
    def _command(self, command: tuple) -> None:
        """Deliver a control command (run/pause, step n, stop) to the loop."""

    @abc.abstractmethod
    def _apply_hparams(self, member: str | None, changes: dict[str, Any]) -> dict[str, dict]:
        """Apply validated hyper-parameter changes; return the members' new values."""

    @abc.abstractmethod
    def _drive(self) -> None:
        """Body of the job's thread in the server: run the loop (thread) or supervise the worker."""

    def _kill_worker(self) -> None:  # noqa: B027 - deliberately a no-op unless a mode has a worker
        """Process mode: make sure the worker is gone (thread mode has none)."""


class TrainingJob(Job):
    """Drive ``members`` (name → trainer) in a background thread of this process; see the module docstring.

    Parameters
    ----------
    members : Mapping[str, trainer]
        The trainers stepped in turn (one shared g-step counter per round).
    **options
        See :class:`Job` (``max_steps``, ``log_every``, ``snapshot_every_s``, ``idle_timeout``, …).
    """

    mode = "thread"

    def __init__(self, members: Mapping[str, Any], **options: Any):
        if not members:
            raise ValueError("members must name at least one trainer")
        super().__init__(**options)
        self.members = dict(members)
        self._loop = _Loop(self.members, self, max_steps=self.max_steps, log_every=self.log_every,
                           snapshot_every_s=self.snapshot_every_s, extra_metrics=self.extra_metrics,
                           lock=self._lock)
        self._hparams = self._loop.hparams()
        self.registry.register(self)

    @classmethod
    def from_factory(cls, factory: Callable[..., Mapping[str, Any]], args: Sequence[Any] = (), *,
                     mode: str | None = None, **options: Any) -> Job:
        """A job whose members are ``factory(*args)``: in a worker process (``mode="process"``) or built
        here and trained in a thread (``"thread"``); ``mode`` defaults to ``WGAN_JOB_MODE``."""
        mode = default_job_mode() if mode is None else mode
        if mode == "process":
            return ProcessTrainingJob(factory, args, **options)
        if mode == "thread":
            return cls(factory(*args), **options)
        raise ValueError(f"mode must be one of {JOB_MODES}; got {mode!r}")

    def _command(self, command: tuple) -> None:
        kind = command[0]
        if kind == "run":
            self._loop.set_running(command[1])
        elif kind == "step":
            self._loop.add_steps(command[1])
        else:
            self._loop.wake()

    def _apply_hparams(self, member: str | None, changes: dict[str, Any]) -> dict[str, dict]:
        with self._lock:
            new = self._loop.set_hparams(member, changes)
            self._hparams.update(new)
            return {name: dict(h) for name, h in new.items()}

    def _drive(self) -> None:
        self._admitted_status()
        self.started_at = time.monotonic()
        if self._loop.run(self._should_end):
            self._finish(f"reached {self.max_steps} steps")


class ProcessTrainingJob(Job):
    """Build the members with ``factory(*args)`` in a worker process and train them there.

    Same public API as :class:`TrainingJob` (without ``members``: they live in the worker). Admission,
    the watchdog and the owner check stay in this process; a reader thread receives the worker's
    progress into the same bounded buffers. See the module docstring.

    Parameters
    ----------
    factory : callable
        ``factory(*args) -> {name: trainer}``, picklable (a module-level function or a
        ``functools.partial`` of one), called in the worker.
    args : sequence
        Picklable arguments of ``factory``.
    stop_grace : float
        Seconds the worker has to exit after being told to stop before it is terminated (then killed).
    **options
        See :class:`Job`; ``extra_metrics`` must be picklable too.
    """

    mode = "process"

    def __init__(self, factory: Callable[..., Mapping[str, Any]], args: Sequence[Any] = (), *,
                 stop_grace: float = 3.0, **options: Any):
        super().__init__(**options)
        if not callable(factory):
            raise ValueError(f"factory must be callable; got {factory!r}")
        self.factory, self.args = factory, tuple(args)
        self.stop_grace = float(stop_grace)
        for what, obj in (("factory", factory), ("factory args", self.args), ("extra_metrics", self.extra_metrics)):
            try:
                pickle.dumps(obj)
            except Exception as exc:
                raise ValueError(f"a process-mode job needs a picklable {what} (a module-level function or a "
                                 f"functools.partial of one, plain-data arguments); {what} {obj!r} is not: "
                                 f"{type(exc).__name__}: {exc}") from exc
        self._members_known = False  # until the worker reports its members' hyper-parameters
        self._early: list[tuple[str | None, dict]] = []  # set_hparams calls before that
        self._hp_seq = 0  # numbers hyper-parameter changes; only the worker's answer to the latest counts
        # re-entrant: a session's lease stops its job from a garbage-collector finalizer, which may run
        # in the middle of a send; such a nested command waits in _deferred and follows the current one
        self._send_lock = threading.RLock()
        self._sending = False
        self._deferred: list[tuple] = []
        self._outbox: list[tuple] = []  # commands given before the worker exists
        self._commands = None  # our end of the command pipe, while the worker runs
        self._process = None
        self._worker_done = False
        self._stop_sent: float | None = None  # when the worker was told to stop
        # every call on the Process object (is_alive, join, terminate, kill) holds this: two threads
        # reaping one child at once could both try to read its exit status from the forkserver
        self._reap_lock = threading.RLock()
        self.registry.register(self)

    # ---- commands to the worker ----------------------------------------------------------------------
    def _command(self, command: tuple) -> None:
        with self._send_lock:
            if self._commands is None:
                if not self._worker_done:
                    self._outbox.append(command)  # sent in order once the worker runs
                return
            if self._sending:
                self._deferred.append(command)
                return
            self._sending = True
            queue = [command]
            try:
                while queue:
                    self._commands.send(queue.pop(0))
                    queue += self._deferred
                    self._deferred.clear()
            except (OSError, ValueError):  # the worker is gone; the reader thread reports how
                pass
            finally:
                self._sending = False

    def _apply_hparams(self, member: str | None, changes: dict[str, Any]) -> dict[str, dict]:
        with self._lock:
            if not self._members_known:  # held, then sent when the worker reports its members
                self._early.append((member, changes))
                if member is not None:
                    self._hparams[member] = {**self._hparams.get(member, {}), **changes}
                return {name: dict(h) for name, h in self._hparams.items() if member in (None, name)}
            if member is not None and member not in self._hparams:
                raise ValueError(f"no member {member!r}; members are {sorted(self._hparams)}")
            out = {}
            for name in [member] if member is not None else list(self._hparams):
                accepted = {k: v for k, v in changes.items() if k in self._hparams[name]}
                if accepted:
                    self._hparams[name] = {**self._hparams[name], **accepted}
                out[name] = dict(self._hparams[name])
            self._hp_seq += 1
            self._command(("hparams", self._hp_seq, member, changes))
            return out

    # ---- the supervising (reader) thread ---------------------------------------------------------
    def _drive(self) -> None:
        ctx = worker_context()
        commands_in, commands_out = ctx.Pipe(duplex=False)
        events_in, events_out = ctx.Pipe(duplex=False)
        options = dict(max_steps=self.max_steps, log_every=self.log_every,
                       snapshot_every_s=self.snapshot_every_s, extra_metrics=self.extra_metrics)
        process = ctx.Process(target=_worker_main, name=f"{WORKER_NAME}-{self.id}", daemon=True,
                              args=(self.factory, self.args, options, commands_in, events_out))
        with self._send_lock:
            self._process = process
        try:
            if not self._stop.is_set():
                process.start()  # not under the job's lock: the forkserver's first start takes seconds
                self.pid = process.pid
        finally:
            commands_in.close()  # the worker's ends: only the worker holds them now, so EOF means it is gone
            events_out.close()
            if self.pid is None:  # stopped before it started, or the start failed
                commands_out.close()
                events_in.close()
        if self.pid is None:
            return
        with self._send_lock:
            self._commands = commands_out
            pending, self._outbox = self._outbox, []
            for command in pending:  # in order; a worker that died at once is reported by the pump
                self._command(command)
        self._admitted_status()
        try:
            self._pump(process, events_in)
        finally:
            events_in.close()

    def _pump(self, process, events) -> None:
        """Receive the worker's messages until it ends; tell it to stop when the job should end."""
        while True:
            if self._stop_sent is None and self._should_end():
                self._command(("stop",))
                self._stop_sent = time.monotonic()
            if self._stop_sent is not None and time.monotonic() - self._stop_sent > self.stop_grace:
                return  # it had its chance: _kill_worker terminates it
            try:
                message = events.recv() if events.poll(0.25) else None
            except (EOFError, OSError):
                self._worker_gone(process, stopping=self._stop_sent is not None)
                return
            if message is None:
                with self._reap_lock:
                    alive = process.is_alive()
                if not alive and not events.poll():
                    self._worker_gone(process, stopping=self._stop_sent is not None)
                    return
                continue
            if self._handle(message):
                return

    def _handle(self, message: tuple) -> bool:
        """Apply one message from the worker; True when it was the last."""
        kind = message[0]
        if kind == "steps":
            self.steps = int(message[1])
        elif kind == "record":
            self.on_record(message[1], message[2], message[3])
        elif kind == "hparams":
            _, seq, values = message
            with self._lock:
                if seq == self._hp_seq:  # else a newer change is on its way; keep showing that one
                    self._hparams.update({name: dict(h) for name, h in values.items()})
        elif kind == "ready":
            self._ready(message[2])
        elif kind == "end":
            if message[1] == "finished":
                self._finish(message[2])
            return True
        elif kind == "failed":
            with self._lock:
                self.error = message[1]
                self._set_status("failed")
            return True
        return False

    def _ready(self, reported: dict[str, dict]) -> None:
        """The worker built its members: adopt their hyper-parameters and send the changes made before."""
        with self._lock:
            hp = {name: dict(h) for name, h in reported.items()}
            for member, changes in self._early:
                if member is not None and member not in hp:
                    _log.warning("job %s: dropped a change for unknown member %r (members are %s)",
                                 self.id, member, sorted(hp))
                    continue
                for name in [member] if member is not None else list(hp):
                    accepted = {k: v for k, v in changes.items() if k in hp[name] and hp[name][k] != v}
                    if accepted:
                        hp[name].update(accepted)
                        self._hp_seq += 1
                        self._command(("hparams", self._hp_seq, name, accepted))
            self._early.clear()
            self._hparams = hp
            self._members_known = True
            self.started_at = time.monotonic()

    def _worker_gone(self, process, stopping: bool) -> None:
        """The worker's pipe closed without a last message: it died (or exited while being stopped)."""
        with self._reap_lock:
            process.join(2.0)
            code = process.exitcode
        if stopping and code in (None, 0, -signal.SIGTERM):
            return
        if code is not None and code < 0:
            how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with code {code}" if code is not None else "closed its pipe"
        with self._lock:
            self.error = f"WorkerDied: the training process (pid {process.pid}) {how} without reporting an error"
            self._set_status("failed")

    def _kill_worker(self) -> None:
        """Make sure the worker has exited: wait ``stop_grace`` s after the stop, then terminate, then kill."""
        with self._send_lock:
            process, commands = self._process, self._commands
            self._worker_done = process is not None
        if process is None or process.pid is None:
            return
        with self._reap_lock:
            if process.is_alive():
                if self._stop_sent is None:
                    self._command(("stop",))
                    self._stop_sent = time.monotonic()
                process.join(max(0.0, self.stop_grace - (time.monotonic() - self._stop_sent)))
            if process.is_alive():
                process.terminate()
                process.join(2.0)
            if process.is_alive():
                process.kill()
                process.join(2.0)
        if commands is not None:
            with self._send_lock:
                commands.close()
                self._commands = None


# ---- the worker process ------------------------------------------------------------------------------
class _PipeSink:
    """The loop's sink in a worker: progress goes to the server through the events pipe."""

    def __init__(self, conn):
        self.conn = conn
        self.lock = threading.Lock()

    def send(self, message: tuple) -> None:
        with self.lock:
            self.conn.send(message)

    def on_steps(self, steps: int) -> None:
        self.send(("steps", steps))

    def on_record(self, steps: int, logs: list[dict], snapshot: dict | None) -> None:
        self.send(("record", steps, logs, snapshot))


def _worker_commands(loop: _Loop, commands, stop: threading.Event, sink: _PipeSink) -> None:
    """Worker side of the command pipe: apply each command to the loop; EOF (server gone) means stop."""
    while True:
        try:
            command = commands.recv()
        except (EOFError, OSError):
            command = ("stop",)
        kind = command[0]
        if kind == "run":
            loop.set_running(command[1])
        elif kind == "step":
            loop.add_steps(command[1])
        elif kind == "hparams":
            _, seq, member, changes = command
            try:
                values = loop.set_hparams(member, changes)
            except Exception:  # validated by the server already; keep serving commands, report the truth
                values = loop.hparams()
            try:
                sink.send(("hparams", seq, values))
            except OSError:
                command = ("stop",)
        if command[0] == "stop":
            stop.set()
            loop.wake()
            return


def _worker_main(factory, args, options, commands, events) -> None:
    """Entry point of a worker process: build the members, then run the shared loop until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the server's terminal: the server decides
    sink = _PipeSink(events)
    try:
        configure_torch_threads()
        members = factory(*args)
        if not isinstance(members, Mapping) or not members:
            raise ValueError(f"the factory must return a non-empty dict of trainers; got {members!r}")
        loop = _Loop(members, sink, **options)
        sink.send(("ready", os.getpid(), loop.hparams()))
        stop = threading.Event()
        threading.Thread(target=_worker_commands, args=(loop, commands, stop, sink), daemon=True).start()
        if loop.run(stop.is_set):
            sink.send(("end", "finished", f"reached {options['max_steps']} steps"))
        else:
            sink.send(("end", "stopped", ""))
    except BaseException as exc:  # reported to the server, which marks the job failed
        try:
            sink.send(("failed", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass  # the server is gone too
    finally:
        events.close()
