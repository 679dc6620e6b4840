"""Admission of live jobs: the cap (CPU and GPU jobs counted apart), the FIFO queue, the per-client
limit, and each job's watch (the watchdog and the owner check).

A job takes a slot when it is first started and holds it while it runs or stays paused; a job paused
for longer than its pause grace gives the slot back (:class:`wgan_core.live.job.Job` asks
:meth:`JobRegistry.release`) and queues again on Resume. Everything here runs in the server process.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing.util  # noqa: F401 - before our atexit hook: hooks run last-in first-out, so ours stops the jobs
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wgan_core.atomic import atomic_write

from . import settings

#: States in which a job holds or waits for a slot.
ACTIVE = ("queued", "running", "paused")
#: States a job never leaves.
ENDED = ("stopped", "finished", "failed")
KINDS = ("cpu", "gpu")


class ClientLimitError(ValueError):
    """The client already holds as many live jobs as ``WGAN_JOBS_PER_CLIENT`` allows; ``holder`` is one."""

    def __init__(self, client: str | None, limit: int, holder):
        self.client, self.limit, self.holder = client, limit, holder
        where = f"in the lesson {holder.label!r}" if holder.label else f"(job {holder.id})"
        super().__init__(f"this computer ({client or 'localhost'}) already has {limit} live job"
                         f"{'s' * (limit > 1)} running {where}; stop it there (or here) to start a new one")


class Watch:
    """The watchdog (no :meth:`touch` for ``idle_timeout`` s) and the owner check of one job."""

    def __init__(self, idle_timeout: float, owner_alive: Callable[[], bool] | None, owner_grace: float):
        self.idle_timeout, self.owner_alive, self.owner_grace = float(idle_timeout), owner_alive, float(owner_grace)
        self.last_touch = time.monotonic()
        self._owner_gone_since: float | None = None

    def touch(self) -> None:
        self.last_touch = time.monotonic()

    def reason(self, now: float) -> str | None:
        """Why the job should stop now, or None."""
        if now - self.last_touch > self.idle_timeout:
            return f"watchdog: nobody polled for {self.idle_timeout:g} s"
        if self.owner_alive is not None and not self.owner_alive():
            self._owner_gone_since = self._owner_gone_since or now
            if now - self._owner_gone_since >= self.owner_grace:
                return "the session that owned the job closed"
        else:
            self._owner_gone_since = None
        return None


_REGISTRIES: weakref.WeakSet = weakref.WeakSet()


class JobRegistry:
    """A process-wide cap on admitted jobs per kind (``"cpu"``, ``"gpu"``), with a FIFO queue per kind.

    Parameters
    ----------
    max_jobs : int
        CPU jobs that may hold a slot (be running or paused within the grace) at once.
    status_file : str or Path, optional
        A JSON file rewritten atomically with :meth:`status` on every change.
    max_gpu_jobs : int, optional
        GPU jobs that may hold a slot at once (default: :func:`settings.default_max_gpu_jobs` of
        ``gpu_memory()``, worked out when a GPU job first asks).
    jobs_per_client : int, optional
        Live jobs one client address may hold (0: no limit; default ``WGAN_JOBS_PER_CLIENT``).
    gpu_memory : callable, optional
        ``gpu_memory() -> bytes or None``, the device's memory (injected by tests).
    """

    def __init__(self, max_jobs: int, status_file: str | os.PathLike | None = None, *,
                 max_gpu_jobs: int | None = None, jobs_per_client: int | None = None,
                 gpu_memory: Callable[[], int | None] = settings.cuda_memory_bytes):
        for name, value in (("max_jobs", max_jobs), ("max_gpu_jobs", max_gpu_jobs)):
            if value is not None and int(value) < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self.max_jobs = int(max_jobs)
        self._max_gpu_jobs = None if max_gpu_jobs is None else int(max_gpu_jobs)
        self._gpu_memory = gpu_memory
        self.jobs_per_client = settings.default_jobs_per_client() if jobs_per_client is None else int(jobs_per_client)
        if self.jobs_per_client < 0:
            raise ValueError(f"jobs_per_client must be 0 (no limit) or more, got {jobs_per_client}")
        settings.worker_nice()  # each worker reads it; a bad value is named here, before any Start
        self.status_file = Path(status_file) if status_file else None
        self._cond = threading.Condition()
        self._publish_lock = threading.Lock()  # one snapshot-and-write at a time, so files land in order
        self._publishing = threading.local()
        self._publish_again = False
        self._admitted: list = []
        self._queue: deque = deque()
        self._jobs: dict[int, Any] = {}
        _REGISTRIES.add(self)

    @property
    def max_gpu_jobs(self) -> int:
        if self._max_gpu_jobs is None:
            self._max_gpu_jobs = settings.default_max_gpu_jobs(self._gpu_memory())
        return self._max_gpu_jobs

    def cap(self, kind: str) -> int:
        return self.max_gpu_jobs if kind == "gpu" else self.max_jobs

    # ---- membership --------------------------------------------------------------------------------
    def register(self, job) -> None:
        """Track ``job``; ClientLimitError if its client already holds ``jobs_per_client`` live jobs."""
        with self._cond:
            if self.jobs_per_client:
                held = [j for j in self._jobs.values() if j is not job and j.client == job.client and j.live]
                if len(held) >= self.jobs_per_client:
                    raise ClientLimitError(job.client, self.jobs_per_client, held[0])
            self._jobs[job.id] = job
        self.publish()

    def jobs_of(self, client: str | None) -> list:
        """The live jobs of one client address."""
        with self._cond:
            return [j for j in self._jobs.values() if j.client == client and j.live]

    def find(self, job_id: int):
        with self._cond:
            return self._jobs.get(int(job_id))

    def active_jobs(self) -> list:
        with self._cond:
            return [j for j in self._jobs.values() if j.status in ACTIVE]

    # ---- slots -------------------------------------------------------------------------------------
    def enqueue(self, job) -> None:
        with self._cond:
            if job not in self._queue and job not in self._admitted:
                self._queue.append(job)
        self.publish()

    def try_admit(self, job) -> bool:
        """Give ``job`` a slot if it is first in its kind's line and one is free; True when it holds one."""
        with self._cond:
            if job in self._admitted:
                return True
            if job not in self._queue:
                self._queue.append(job)
            head = next(j for j in self._queue if j.kind == job.kind)
            if head is not job or sum(j.kind == job.kind for j in self._admitted) >= self.cap(job.kind):
                return False
            self._queue.remove(job)
            self._admitted.append(job)
        self.publish()
        return True

    def release(self, job) -> None:
        """Give the job's slot back, or take it out of the queue (a no-op if it has neither)."""
        with self._cond:
            if job in self._admitted:
                self._admitted.remove(job)
            if job in self._queue:
                self._queue.remove(job)
            self._cond.notify_all()
        self.publish()

    def holds_slot(self, job) -> bool:
        with self._cond:
            return job in self._admitted

    def queue_position(self, job) -> int | None:
        """1 for the next job of its kind to be admitted, None when not queued."""
        with self._cond:
            if job not in self._queue:
                return None
            return [j for j in self._queue if j.kind == job.kind].index(job) + 1

    # ---- reporting and the end ---------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Plain data: the caps, slot use, queue length and every job not yet reported as ended."""
        with self._cond:
            jobs = list(self._jobs.values())
            admitted = [j.kind for j in self._admitted]
            queued = len(self._queue)
            for j in [j for j in jobs if j.status in ENDED]:
                self._jobs.pop(j.id, None)  # forget ended jobs once reported
        gpu_cap = self._max_gpu_jobs if self._max_gpu_jobs is not None or "gpu" not in admitted else self.max_gpu_jobs
        return {"max_jobs": self.max_jobs, "max_gpu_jobs": gpu_cap, "jobs_per_client": self.jobs_per_client,
                "admitted": len(admitted), "admitted_gpu": admitted.count("gpu"), "queued": queued,
                "active": sum(j.status in ACTIVE for j in jobs), "time": time.time(),
                "jobs": [j.describe() for j in jobs]}

    def publish(self) -> None:
        """Rewrite the status file, if one is configured (atomically: readers never see half).

        The snapshot and its write happen under one lock: two threads that each took a snapshot and
        then raced to write could leave the older one on disk for good (a file that says a job is
        still active after the last job ended). A call nested in a publish of the same thread (a
        session's finalizer stopping its job mid-write) only asks the outer call to write once more.
        """
        if self.status_file is None:
            return
        if getattr(self._publishing, "active", False):
            self._publish_again = True
            return
        with self._publish_lock:
            self._publishing.active, self._publish_again = True, True
            try:
                while self._publish_again:
                    self._publish_again = False
                    atomic_write(self.status_file, json.dumps(self.status()))
            finally:
                self._publishing.active = False

    def shutdown(self, reason: str = "the server is shutting down", wait: float = 10.0) -> None:
        """Stop every active job and wait up to ``wait`` s in all for them and their workers."""
        active = self.active_jobs()
        for job in active:
            job.stop(reason, wait=None)
        deadline = time.monotonic() + wait
        for job in active:
            job.join(max(0.0, deadline - time.monotonic()))
        for job in active:
            job.close_worker()  # a worker still alive after the wait: terminate, then kill


#: The process-wide registry used by the app.
REGISTRY = JobRegistry(settings.default_max_jobs(), os.environ.get("WGAN_JOB_STATUS_FILE") or None)


@atexit.register
def _stop_all_at_exit() -> None:
    """Stop every job (and its worker) before the interpreter tears torch down under a running thread."""
    for registry in list(_REGISTRIES):
        registry.shutdown("the process is exiting", wait=5.0)
