"""A live job: the controls and the read side a page uses, and the server thread that supervises it.

Lifetime: ``new`` → ``start``/``step`` → ``queued`` (until the registry gives it a slot) → ``running``
⇄ ``paused`` → ``stopped`` | ``finished`` | ``failed``. A queued job has no worker yet; once admitted,
its members are built and trained by its worker (a :class:`~wgan_core.live.backend.Link` of the
registry's backend: a worker process, or a Ray actor). A job paused
for ``pause_grace`` seconds gives its slot back (polling does not reset that clock) and stays
``paused``; Resume or Step queues it again (it is admitted at once when a slot is free) and its
worker, kept meanwhile, carries on where it was. The job ends when told to, at ``max_steps``, when
its :class:`~wgan_core.live.registry.Watch` says so, or when its worker fails (the message of
:func:`wgan_core.live.worker.describe_failure`; the logs and the last good snapshot stay readable).
"""

from __future__ import annotations

import itertools
import logging
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from wgan_core.config import validate_hparam

from . import commands as C
from . import events, settings
from .backend import Link
from .loop import ThinningLog
from .member import LIVE_HPARAMS, HparamMirror
from .registry import ENDED, JobRegistry, Watch, default_registry

_log = logging.getLogger(__name__)


class Job:
    """Train ``factory(*args) -> {name: member}`` in a worker, under the registry's cap.

    The job is a state machine plus bounded buffers: its worker is reached only through ``link``,
    by commands (:mod:`~wgan_core.live.commands`) and events (:mod:`~wgan_core.live.events`). The job
    owns its slot state: commands that train (run, step) wait in its outbox while it holds no slot.

    Parameters
    ----------
    factory : callable
        Picklable (a module-level function or a ``functools.partial`` of one), called in the worker.
    args : sequence
        Picklable arguments of ``factory``.
    max_steps : int, optional
        Finish after this many generator steps per member (None: run until stopped).
    log_every : int
        Call ``member.metrics()`` every this many generator steps (and after every manual step).
    snapshot_every_s : float
        Minimum seconds between two ``member.snapshot()`` calls while running.
    max_logs, max_snapshots : int
        Bounds of the log list (thinned when full) and of the snapshot deque.
    idle_timeout : float, optional
        Watchdog: stop when :meth:`touch` has not been called for this long (``WGAN_JOB_IDLE_TIMEOUT``).
    owner_alive : callable, optional
        Returns False once the owner (a browser session) is gone; the job stops ``owner_grace`` s later.
    pause_grace : float, optional
        Seconds a paused job keeps its slot (``WGAN_PAUSE_GRACE_S``, default 60).
    stop_grace : float
        Seconds the worker has to exit after being told to stop before it is terminated (then killed).
    registry : JobRegistry, optional
        Where to take a slot (default :func:`wgan_core.live.registry.default_registry`).
    link : Link, optional
        The worker's link (default: a new one from the registry's backend).
    label, client : str
        The lesson, and the client address the per-client limit counts (None: this computer).
    device : str
        Where the members train; ``"cuda…"`` makes it a GPU job for the cap.
    extra_metrics : callable, optional
        ``extra_metrics(name, member) -> dict`` merged into each log (picklable, like ``factory``).
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
        for what, obj in (("factory", factory), ("factory args", tuple(args)), ("extra_metrics", extra_metrics)):
            try:
                pickle.dumps(obj)
            except Exception as exc:
                raise ValueError(f"a job needs a picklable {what} (a module-level function or a functools.partial "
                                 f"of one, plain-data arguments); {what} {obj!r} is not: "
                                 f"{type(exc).__name__}: {exc}") from exc
        self.id = next(self._ids)
        self.factory, self.args = factory, tuple(args)
        self.label, self.client, self.device = label, client, str(device)
        self.kind = "gpu" if self.device.startswith("cuda") else "cpu"
        self.max_steps = None if max_steps is None else int(max_steps)
        self.log_every, self.snapshot_every_s = int(log_every), float(snapshot_every_s)
        self.extra_metrics = extra_metrics
        self.pause_grace = settings.default_pause_grace() if pause_grace is None else float(pause_grace)
        self.watch = Watch(settings.default_idle_timeout() if idle_timeout is None else idle_timeout,
                           owner_alive, owner_grace)
        self.registry = registry if registry is not None else default_registry()
        self.status, self.stop_reason, self.error = "new", "", ""
        self.failure = ""  # what kind of failure ended it (wgan_core.live.worker.FAILURES), if one did
        self.steps = 0
        self.pid: Any = None  # the worker's id once admitted (a process id, or a Ray actor's id)
        self.created_at = time.time()
        self.started_at: float | None = None
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._want_running = False
        self._holding = False  # holds a slot of the registry
        self._paused_at: float | None = None  # when the pause-grace clock started
        self._outbox: list[tuple] = []  # commands held until the worker runs with a slot
        self._stop_sent: float | None = None  # when the worker was told to stop
        self._hparams = HparamMirror(lambda seq, member, changes: self._send(C.hparams(seq, member, changes)))
        self._logs = ThinningLog(int(max_logs))
        self._snapshots: deque[tuple[int, dict]] = deque(maxlen=int(max_snapshots))
        self._thread: threading.Thread | None = None
        self.stop_grace = float(stop_grace)
        self._link = link if link is not None else self.registry.backend.link(self.id, self.stop_grace, self.kind)
        self.registry.register(self)  # ClientLimitError when the client holds its share already

    # ---- controls (called from the page) -----------------------------------------------------------
    def start(self) -> None:
        """Start (or resume) continuous training; queues for a slot if the job holds none."""
        with self._lock:
            self._check_usable()
            self._want_running, self._paused_at = True, None
            if self.status == "paused" and self._holding:
                self.status = "running"
            self._send(C.run(True))
            self._wake()

    def pause(self) -> None:
        with self._lock:
            self._want_running = False
            if self.status == "running":
                self.status, self._paused_at = "paused", time.monotonic()
            self._send(C.run(False))

    def step(self, n: int = 1) -> None:
        """Run ``n`` generator steps, then stay paused (queues for a slot if the job holds none)."""
        if int(n) < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        with self._lock:
            self._check_usable()
            self._want_running, self._paused_at = False, time.monotonic()
            if self.status == "running":
                self.status = "paused"
            self._send(C.step(n))
            self._wake()

    def stop(self, reason: str = "stopped by the user", wait: float | None = 5.0) -> None:
        """Stop for good and give the slot back; waits up to ``wait`` seconds for the job to end.

        The job's thread tells the worker; a job that never started ends here.
        """
        self.request_stop(reason)
        with self._lock:
            self._lock.notify_all()
            thread = self._thread
        if thread is None:
            self.registry.forget(self)
        elif wait and thread is not threading.current_thread():
            thread.join(wait)

    def request_stop(self, reason: str) -> None:
        """Only signal the stop (safe from a garbage-collector finalizer: takes no lock, sends nothing);
        the job's thread does the stopping, and the registry drops a job that never started."""
        self.stop_reason = self.stop_reason or reason
        self._stop.set()
        if self._thread is None and self.status == "new":
            self.status = "stopped"

    def touch(self) -> None:
        """Heartbeat from the page that shows the job (resets the watchdog, not the pause grace)."""
        self.watch.touch()

    def set_hparams(self, member: str | None = None, **changes: Any) -> dict[str, dict]:
        """Change hyper-parameters of one member (or all) from their next step; returns the new values."""
        unknown = sorted(set(changes) - set(LIVE_HPARAMS))
        if unknown:
            raise ValueError(f"cannot change {unknown} live; live hyper-parameters are {LIVE_HPARAMS}")
        for name, value in changes.items():
            validate_hparam(name, value)
        return self._hparams.change(member, changes)

    # ---- read side ---------------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """Not ended and not being stopped (what the per-client limit counts)."""
        return self.status not in ENDED and not self._stop.is_set()

    @property
    def holds_slot(self) -> bool:
        """Whether the job holds a slot (the job is the one owner of this state)."""
        return self._holding

    def hparams(self) -> dict[str, dict]:
        return self._hparams.copy()

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
        """Plain-data summary for the status file and the teacher's panel."""
        # Lock-free on purpose: the registry calls this while other threads hold their jobs' locks.
        hparams = self._hparams.copy()
        return {"id": self.id, "label": self.label, "client": self.client, "kind": self.kind, "pid": self.pid,
                "status": self.status, "holds_slot": self._holding, "steps": self.steps,
                "age_s": round(time.time() - self.created_at, 1), "stop_reason": self.stop_reason,
                "error": self.error, "failure": self.failure,
                "idle_s": round(time.monotonic() - self.watch.last_touch, 2), "hparams": hparams}

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the job (its supervising thread, hence its worker) to end; True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def close_worker(self) -> None:
        """Make sure the worker has ended (terminate, then kill, after the stop grace)."""
        self._link.close()

    # ---- commands to the worker --------------------------------------------------------------------
    def _send(self, command: tuple) -> None:
        """Send ``command`` now, or hold it in the outbox while the worker is not running with a slot
        (stop and hparams are never held once the worker exists)."""
        with self._lock:
            if self.pid is None or (not self._holding and command[0] in C.NEEDS_SLOT):
                if self.status not in ENDED:
                    self._outbox.append(command)
                return
            self._link.send(command)

    def _flush(self) -> None:
        """Under the lock, with a slot: send the held commands, in order."""
        pending, self._outbox = self._outbox, []
        for command in pending:
            self._link.send(command)

    # ---- supervision (the job's thread in the server) ---------------------------------------------
    def _check_usable(self) -> None:
        if self.status in ENDED:
            raise ValueError(f"job {self.id} is {self.status}; make a new one")

    def _wake(self) -> None:
        """Under the lock: queue for a slot if the job holds none, and let its thread see the change."""
        if self._thread is None:
            self.status = "queued"
            self._thread = threading.Thread(target=self._run, name=f"training-job-{self.id}", daemon=True)
            self._thread.start()
        elif not self._holding and self.status == "paused":
            self.status = "queued"
        if self.status == "queued":
            self.registry.enqueue(self)
        self._lock.notify_all()

    def _run(self) -> None:
        try:
            self._supervise()
        except Exception as exc:  # a crash here must not take the server down
            self._fail(f"{type(exc).__name__}: {exc}")
        finally:
            self._link.close()
            with self._lock:
                self._outbox.clear()
                if self.status not in ENDED:
                    self.status = "stopped"
                self._holding = False
            self.registry.release(self)  # the slot goes back exactly once: here

    def _supervise(self) -> None:
        while True:
            now = time.monotonic()
            if self._should_end(now):
                if self._link.worker_id is None:
                    return
                if self._stop_sent is None:
                    self._stop_sent = now
                    self._link.send(C.STOP)
                elif now - self._stop_sent > self.stop_grace:
                    return  # it had its chance: close() terminates it
            else:
                self._manage_slot(now)
            if self._link.worker_id is None:
                with self._lock:
                    self._lock.wait(0.25)
                continue
            try:
                message = self._link.receive(0.25)
            except EOFError:
                note = self._link.death_note()
                if note is not None:
                    self._fail(note)
                return
            if message is not None and events.apply(self, message):
                return

    def _should_end(self, now: float) -> bool:
        reason = self.watch.reason(now)
        if reason is not None and not self._stop.is_set():
            self.stop_reason = self.stop_reason or reason
            if reason.startswith("watchdog"):  # a page still open whose browser stopped polling, or a lost tab
                _log.warning("job %s (%s, client %s) stopped by the %s", self.id, self.label, self.client, reason)
            self._stop.set()
        return self._stop.is_set()

    def _manage_slot(self, now: float) -> None:
        """Take a slot when queued and first in line; give it back after ``pause_grace`` s of pause."""
        if not self._holding:
            if self.status != "queued" or not self.registry.try_admit(self):
                return
            with self._lock:
                self._holding = True  # still "queued" while its worker starts; holds_slot tells them apart
            if self._link.worker_id is None:  # not under the job's lock: a worker's first start takes seconds
                self._link.start(self.factory, self.args, self._loop_options())
            with self._lock:
                self.pid = self._link.worker_id
                if self.status not in ENDED:
                    self.status = "running" if self._want_running else "paused"
                    if self.status == "paused":
                        self._paused_at = time.monotonic()  # the grace counts from admission, not the queue
                self._flush()
            self.registry.publish()
            return
        with self._lock:
            parked = (self.status == "paused" and self._paused_at is not None and self.registry.backend.parks
                      and now - self._paused_at >= self.pause_grace)
            if parked:
                self._holding = False  # run and step wait in the outbox again
        if parked:
            self.registry.release(self)

    def _loop_options(self) -> dict:
        return dict(max_steps=self.max_steps, log_every=self.log_every, snapshot_every_s=self.snapshot_every_s,
                    extra_metrics=self.extra_metrics)

    # ---- events from the worker (wgan_core.live.events.apply calls these) --------------------------
    def on_ready(self, worker_id: Any, hparams: dict[str, dict]) -> None:
        for dropped in self._hparams.adopt(hparams):
            _log.warning("job %s: dropped an early hyper-parameter change: %s", self.id, dropped)
        self.started_at = time.monotonic()

    def on_steps(self, steps: int) -> None:
        self.steps = int(steps)

    def on_record(self, steps: int, logs: list[dict], snapshot: dict | None) -> None:
        with self._lock:
            self.steps = max(self.steps, int(steps))
            if logs:
                self._logs.offer(logs)
            if snapshot is not None:
                self._snapshots.append((int(steps), snapshot))

    def on_hparams(self, seq: int, values: dict[str, dict]) -> None:
        self._hparams.answer(seq, values)

    def on_end(self, how: str, reason: str) -> None:
        if how == "finished":
            with self._lock:
                self.status, self.stop_reason = "finished", reason

    def on_failed(self, message: str, kind: str) -> None:
        self._fail(message, kind)

    def _fail(self, message: str, kind: str = "error") -> None:
        with self._lock:
            self.error, self.failure, self.status = message, kind, "failed"
