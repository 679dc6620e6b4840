"""A live job: the controls and the read side a page uses, as a state machine plus bounded buffers.

Lifetime: ``new`` → ``start``/``step`` → ``queued`` (until the registry gives it a slot) → ``running``
⇄ ``paused`` → ``stopped`` | ``finished`` | ``failed``. A queued job has no worker yet; once admitted,
its members are built and trained by its worker (a :class:`~wgan_core.live.backend.Link` of the
registry's backend: a worker process, or a Ray actor). A job paused for ``pause_grace`` seconds gives
its slot back (polling does not reset that clock) and stays ``paused``; Resume or Step queues it
again and its worker, kept meanwhile, carries on where it was. The job ends when told to, at
``max_steps``, when its :class:`~wgan_core.live.registry.Watch` says so, or when its worker fails (the
message of :func:`wgan_core.live.worker.describe_failure`; the logs and the last good snapshot stay
readable).

Three owners, one each: the job owns the state (``status`` and its transitions), its
:class:`~wgan_core.live.buffers.Buffers` the steps, logs and snapshots, and its
:class:`~wgan_core.live.supervisor.Supervisor` the slot, the held commands and the worker's link.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import commands as C
from . import settings
from .backend import Link
from .buffers import Buffers
from .member import HparamMirror, check_picklable
from .registry import ENDED, JobRegistry, Watch, default_registry
from .supervisor import Supervisor

_log = logging.getLogger(__name__)


class Job:
    """Train ``factory(*args, device=device) -> {name: member}`` in a worker, under the registry's cap.

    The worker is reached only through the supervisor's link, by commands
    (:mod:`~wgan_core.live.commands`) and events (:mod:`~wgan_core.live.events`, which call the
    ``on_*`` methods here).

    Parameters
    ----------
    factory, args
        Picklable (a module-level function or a ``functools.partial`` of one, plain-data arguments);
        the factory takes the job's ``device`` as a keyword and builds its members on it.
    max_steps, log_every, snapshot_every_s, extra_metrics
        The worker's :class:`~wgan_core.live.loop.Loop`: finish after ``max_steps`` (None: never), a
        log round every ``log_every`` steps, a snapshot at most every ``snapshot_every_s`` s, and
        ``extra_metrics(name, member) -> dict`` (picklable) merged into each log.
    max_logs, max_snapshots : int
        Bounds of the :class:`~wgan_core.live.buffers.Buffers`.
    idle_timeout, owner_alive, owner_grace
        The :class:`~wgan_core.live.registry.Watch`: stop without :meth:`touch` for ``idle_timeout`` s
        (``WGAN_JOB_IDLE_TIMEOUT``), or ``owner_grace`` s after ``owner_alive()`` says False.
    pause_grace, stop_grace : float
        Seconds a paused job keeps its slot (``WGAN_PAUSE_GRACE_S``, default 60); seconds a worker told
        to stop has to exit before it is terminated (then killed).
    registry, link
        Where to take a slot (default :func:`~wgan_core.live.registry.default_registry`), and the
        worker's link (default: a new one from the registry's backend).
    label, client, device
        The lesson, the client the per-client limit counts (None: this computer), and where the
        members train (``"cuda…"`` makes it a GPU job for the cap). The device is chosen once, here:
        it travels to the worker in the options and is passed to the factory.
    """

    _ids = itertools.count(1)

    def __init__(self, factory: Callable[..., Mapping[str, Any]], args: Sequence[Any] = (), *,
                 max_steps: int | None = None, log_every: int = 10, snapshot_every_s: float = 1.0,
                 max_logs: int = 2000, max_snapshots: int = 4, idle_timeout: float | None = None,
                 owner_alive: Callable[[], bool] | None = None, owner_grace: float = 5.0,
                 pause_grace: float | None = None, stop_grace: float = 3.0, registry: JobRegistry | None = None,
                 label: str = "", client: str | None = None, device: str = "cpu",
                 extra_metrics: Callable[[str, Any], dict] | None = None, link: Link | None = None):
        if not callable(factory):
            raise ValueError(f"factory must be callable; got {factory!r}")
        if max_steps is not None and int(max_steps) < 1:
            raise ValueError(f"max_steps must be positive, got {max_steps}")
        if int(log_every) < 1:
            raise ValueError(f"log_every must be at least 1, got {log_every}")
        check_picklable({"factory": factory, "factory args": tuple(args), "extra_metrics": extra_metrics})
        self.id = next(self._ids)
        self.label, self.client, self.device = label, client, str(device)
        self.kind = "gpu" if self.device.startswith("cuda") else "cpu"
        self.max_steps = None if max_steps is None else int(max_steps)
        self.pause_grace = settings.default_pause_grace() if pause_grace is None else float(pause_grace)
        self.watch = Watch(settings.default_idle_timeout() if idle_timeout is None else idle_timeout,
                           owner_alive, owner_grace)
        self.registry = registry if registry is not None else default_registry()
        self.status, self.stop_reason, self.error = "new", "", ""
        self.failure = ""  # what kind of failure ended it (wgan_core.live.worker.FAILURES), if one did
        self.created_at = time.time()
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._want_running = False
        self._paused_at: float | None = None  # when the pause-grace clock started
        self._buffers = Buffers(max_logs, max_snapshots)
        self._hparams = HparamMirror(lambda seq, member, changes: self._worker.send(C.hparams(seq, member, changes)))
        options = dict(max_steps=self.max_steps, log_every=int(log_every), snapshot_every_s=float(snapshot_every_s),
                       extra_metrics=extra_metrics, device=self.device)
        link = link if link is not None else self.registry.backend.link(self.id, float(stop_grace), self.kind)
        self._worker = Supervisor(self, link, self._lock, stop_grace, factory, tuple(args), options)
        self.registry.register(self)  # ClientLimitError when the client holds its share already

    # ---- controls (called from the page) -----------------------------------------------------------
    def start(self) -> None:
        """Start (or resume) continuous training; queues for a slot if the job holds none."""
        with self._lock:
            self._check_usable()
            self._want_running, self._paused_at = True, None
            if self.status == "paused" and self._worker.holding:
                self.status = "running"
            self._worker.send(C.run(True))
            self._worker.wake()

    def pause(self) -> None:
        with self._lock:
            self._want_running = False
            if self.status == "running":
                self.status, self._paused_at = "paused", time.monotonic()
            self._worker.send(C.run(False))

    def step(self, n: int = 1) -> None:
        """Run ``n`` generator steps, then stay paused (queues for a slot if the job holds none)."""
        if int(n) < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        with self._lock:
            self._check_usable()
            self._want_running, self._paused_at = False, time.monotonic()
            if self.status == "running":
                self.status = "paused"
            self._worker.send(C.step(n))
            self._worker.wake()

    def stop(self, reason: str = "stopped by the user", wait: float | None = 5.0) -> None:
        """Stop for good and give the slot back; waits up to ``wait`` seconds for the job to end.

        The supervisor's thread tells the worker; a job that never started ends here.
        """
        self.request_stop(reason)
        with self._lock:
            self._lock.notify_all()
            thread = self._worker.thread
        if thread is None:
            self.registry.forget(self)
        elif wait and thread is not threading.current_thread():
            thread.join(wait)

    def request_stop(self, reason: str) -> None:
        """Only signal the stop (safe from a garbage-collector finalizer: takes no lock, sends nothing);
        the supervisor's thread does the stopping, and the registry drops a job that never started."""
        self.stop_reason = self.stop_reason or reason
        self._stop.set()
        if self._worker.thread is None and self.status == "new":
            self.status = "stopped"

    def touch(self) -> None:
        """Heartbeat from the page that shows the job (resets the watchdog, not the pause grace)."""
        self.watch.touch()

    def set_hparams(self, member: str | None = None, **changes: Any) -> dict[str, dict]:
        """Change hyper-parameters of one member (or all) from their next step; returns the new values.

        ValueError for a name that is not live (:data:`~wgan_core.live.member.LIVE_HPARAMS`) or a bad value."""
        return self._hparams.change(member, changes)

    def close_worker(self) -> None:
        """Make sure the worker has ended (terminate, then kill, after the stop grace)."""
        self._worker.link.close()

    def _check_usable(self) -> None:
        if self.status in ENDED:
            raise ValueError(f"job {self.id} is {self.status}; make a new one")

    # ---- read side ---------------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """Not ended and not being stopped (what the per-client limit counts)."""
        return self.status not in ENDED and not self._stop.is_set()

    @property
    def holds_slot(self) -> bool:
        """Whether the job holds a slot (its supervisor is the one owner of this state)."""
        return self._worker.holding

    @property
    def pid(self) -> Any:
        """The worker's id once admitted and started (a process id, or a Ray actor's id), else None."""
        return self._worker.link.worker_id if self._worker.started else None

    @property
    def steps(self) -> int:
        return self._buffers.steps

    def hparams(self) -> dict[str, dict]:
        return self._hparams.copy()

    def logs(self) -> list[dict]:
        return self._buffers.logs()

    def latest_snapshot(self) -> tuple[int, dict] | None:
        """``(g_step, {member: snapshot})`` of the newest snapshot, or None before the first."""
        return self._buffers.latest_snapshot()

    def progress(self) -> float | None:
        return None if self.max_steps is None else min(1.0, self.steps / self.max_steps)

    def steps_per_second(self) -> float:
        return self._buffers.steps_per_second()

    def queue_position(self) -> int | None:
        return self.registry.queue_position(self)

    def describe(self) -> dict[str, Any]:
        """Plain-data summary for the status file and the teacher's panel."""
        # Lock-free on purpose: the registry calls this while other threads hold their jobs' locks.
        return {"id": self.id, "label": self.label, "client": self.client, "kind": self.kind, "pid": self.pid,
                "status": self.status, "holds_slot": self.holds_slot, "steps": self.steps,
                "age_s": round(time.time() - self.created_at, 1), "stop_reason": self.stop_reason,
                "error": self.error, "failure": self.failure,
                "idle_s": round(time.monotonic() - self.watch.last_touch, 2), "hparams": self._hparams.copy()}

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job (its supervising thread, hence its worker) to end; True if it has."""
        thread = self._worker.thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # ---- transitions the supervisor reports ----------------------------------------------------------
    def should_end(self, now: float) -> bool:
        """Whether the job should end now: told to stop, or its watch says so (then logged once)."""
        reason = self.watch.reason(now)
        if reason is not None and not self._stop.is_set():
            self.stop_reason = self.stop_reason or reason
            if reason.startswith("watchdog"):  # a page still open whose browser stopped polling, or a lost tab
                _log.warning("job %s (%s, client %s) stopped by the %s", self.id, self.label, self.client, reason)
            self._stop.set()
        return self._stop.is_set()

    def on_admitted(self) -> None:
        """Under the lock: the job holds a slot and its worker runs."""
        if self.status not in ENDED:
            self.status = "running" if self._want_running else "paused"
            if self.status == "paused":
                self._paused_at = time.monotonic()  # the grace counts from admission, not the queue

    def parked(self, now: float) -> bool:
        """Under the lock: paused for ``pause_grace`` s, so the slot should go back."""
        return self.status == "paused" and self._paused_at is not None and now - self._paused_at >= self.pause_grace

    def on_closed(self) -> None:
        """Under the lock: the worker is gone; a job that did not end otherwise is stopped."""
        if self.status not in ENDED:
            self.status = "stopped"

    # ---- events from the worker (wgan_core.live.events.apply calls these) --------------------------
    def on_ready(self, worker_id: Any, hparams: dict[str, dict]) -> None:
        for dropped in self._hparams.adopt(hparams):
            _log.warning("job %s: dropped an early hyper-parameter change: %s", self.id, dropped)
        self._buffers.on_ready()

    def on_steps(self, steps: int) -> None:
        self._buffers.on_steps(steps)

    def on_record(self, steps: int, logs: list[dict], snapshot: dict | None) -> None:
        self._buffers.on_record(steps, logs, snapshot)

    def on_hparams(self, seq: int, values: dict[str, dict]) -> None:
        self._hparams.answer(seq, values)

    def on_end(self, how: str, reason: str) -> None:
        if how == "finished":
            with self._lock:
                self.status, self.stop_reason = "finished", reason

    def on_failed(self, message: str, kind: str) -> None:
        with self._lock:
            self.error, self.failure, self.status = message, kind, "failed"
