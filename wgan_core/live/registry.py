"""The live jobs of this server: who they are, the per-client limit, admission through the backend's
:class:`~wgan_core.live.backend.Admission` (the cap, CPU and GPU jobs counted apart, and the FIFO
queue), and each job's watch (the watchdog and the owner check).

A job takes a slot when it is first started and holds it while it runs or stays paused; a job paused
for longer than its pause grace gives the slot back (:class:`wgan_core.live.job.Job` asks
:meth:`JobRegistry.release`) and queues again on Resume. A job is forgotten as soon as it ends.
The app's registry, :func:`default_registry`, is built from the settings on first use (not at import).
"""

from __future__ import annotations

import atexit
import json
import multiprocessing.util  # noqa: F401 - before our atexit hook: hooks run last-in first-out, so ours stops the jobs
import os
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wgan_core.atomic import atomic_write

from . import settings
from .backend import Backend, default_backend

#: States in which a job holds or waits for a slot.
ACTIVE = ("queued", "running", "paused")
#: States a job never leaves.
ENDED = ("stopped", "finished", "failed")


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
    """This server's live jobs, admitted by ``backend`` with a cap per kind (``"cpu"``, ``"gpu"``).

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
    backend : Backend, optional
        Where jobs train and who admits them (default: :func:`wgan_core.live.backend.default_backend`,
        worker processes unless ``WGAN_RAY_ADDRESS`` is set).
    """

    def __init__(self, max_jobs: int, status_file: str | os.PathLike | None = None, *,
                 max_gpu_jobs: int | None = None, jobs_per_client: int | None = None,
                 gpu_memory: Callable[[], int | None] = settings.cuda_memory_bytes, backend: Backend | None = None):
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
        self.backend = backend if backend is not None else default_backend()
        self.admission = self.backend.admission(self._configured_cap)
        self._lock = threading.Lock()
        self._publish_lock = threading.Lock()  # one snapshot-and-write at a time, so files land in order
        self._jobs: dict[int, Any] = {}
        _REGISTRIES.add(self)

    @property
    def max_gpu_jobs(self) -> int:
        if self._max_gpu_jobs is None:
            self._max_gpu_jobs = settings.default_max_gpu_jobs(self._gpu_memory())
        return self._max_gpu_jobs

    def _configured_cap(self, kind: str) -> int:
        return self.max_gpu_jobs if kind == "gpu" else self.max_jobs

    def cap(self, kind: str) -> int:
        """The cap the admission applies to ``kind`` (a cluster's may differ from the configured one)."""
        return self.admission.cap(kind)

    # ---- membership --------------------------------------------------------------------------------
    def register(self, job) -> None:
        """Track ``job``; ClientLimitError if its client already holds ``jobs_per_client`` live jobs."""
        with self._lock:
            self._prune()
            if self.jobs_per_client:
                held = [j for j in self._jobs.values() if j is not job and j.client == job.client and j.live]
                if len(held) >= self.jobs_per_client:
                    raise ClientLimitError(job.client, self.jobs_per_client, held[0])
            self._jobs[job.id] = job
        self.publish()

    def forget(self, job) -> None:
        """Drop an ended job (its slot was given back already)."""
        with self._lock:
            self._jobs.pop(job.id, None)
        self.publish()

    def _prune(self) -> None:
        """Under the lock: drop jobs that ended without passing :meth:`release` (a job that a closed
        session's finalizer stopped before it ever started: the finalizer only signals)."""
        for job in [j for j in self._jobs.values() if j.status in ENDED]:
            del self._jobs[job.id]

    def jobs(self) -> list:
        """Every job this registry still tracks (none of them ended)."""
        with self._lock:
            self._prune()
            return list(self._jobs.values())

    def jobs_of(self, client: str | None) -> list:
        """The live jobs of one client address."""
        return [j for j in self.jobs() if j.client == client and j.live]

    def find(self, job_id: int):
        with self._lock:
            return self._jobs.get(int(job_id))

    def active_jobs(self) -> list:
        return [j for j in self.jobs() if j.status in ACTIVE]

    # ---- slots (the backend's admission decides) ---------------------------------------------------
    def enqueue(self, job) -> None:
        self.admission.enqueue(job)
        self.publish()

    def try_admit(self, job) -> bool:
        """Give ``job`` a slot if it is first in its kind's line and one is free; True when it holds one."""
        admitted = self.admission.try_admit(job)
        if admitted:
            self.publish()
        return admitted

    def release(self, job) -> None:
        """Give the job's slot back, or take it out of the queue (a no-op if it has neither); an ended
        job is forgotten."""
        self.admission.release(job)
        if job.status in ENDED:
            self.forget(job)
        else:
            self.publish()

    def queue_position(self, job) -> int | None:
        """1 for the next job of its kind to be admitted, None when not queued."""
        return self.admission.position(job)

    # ---- reporting and the end ---------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Plain data: the caps, slot use, queue length and every job not ended."""
        jobs = self.jobs()
        counts = self.admission.counts()
        gpu_known = self._max_gpu_jobs is not None or not counts["admitted_gpu"]
        gpu_cap = self._max_gpu_jobs if gpu_known else self.max_gpu_jobs
        return {"max_jobs": self.cap("cpu"), "max_gpu_jobs": gpu_cap, "jobs_per_client": self.jobs_per_client,
                "backend": self.backend.name, **counts, "active": sum(j.status in ACTIVE for j in jobs),
                "time": time.time(), "jobs": [j.describe() for j in jobs]}

    def class_jobs(self) -> list[dict[str, Any]]:
        """Every job of the class, for the teacher's panel: this server's jobs not ended (their
        :meth:`Job.describe`, ``here`` True), then those that the admission reports from other app
        servers on its cluster (``here`` False; see :meth:`~wgan_core.live.backend.Admission.jobs`)."""
        mine = [dict(job.describe(), here=True) for job in self.jobs()]
        return mine + [row for row in self.admission.jobs() if not row["here"]]

    def stop_job(self, row: dict[str, Any], reason: str) -> None:
        """Stop the job of a :meth:`class_jobs` row: one of this server's now, another server's
        through the admission (that server stops it within seconds)."""
        if not row["here"]:
            self.admission.stop(row, reason)
            return
        job = self.find(row["id"])
        if job is not None:
            job.stop(reason, wait=None)

    def publish(self) -> None:
        """Rewrite the status file, if one is configured (atomically: readers never see half).

        The snapshot and its write happen under one lock: two threads that each took a snapshot and
        then raced to write could leave the older one on disk for good (a file that says a job is
        still active after the last job ended).
        """
        if self.status_file is None:
            return
        with self._publish_lock:
            atomic_write(self.status_file, json.dumps(self.status()))

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


_default: JobRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> JobRegistry:
    """The app's registry, built from the settings (``WGAN_MAX_JOBS``, ``WGAN_JOB_STATUS_FILE``,
    ``WGAN_RAY_ADDRESS``, ...) on first use, so a bad value is named there and never on import."""
    global _default
    with _default_lock:
        if _default is None:
            _default = JobRegistry(settings.default_max_jobs(), settings.status_file())
        return _default


def __getattr__(name: str):
    if name == "REGISTRY":  # the app's registry, made on first use
        return default_registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@atexit.register
def _stop_all_at_exit() -> None:
    """Stop every job (and its worker) before the interpreter tears torch down under a running thread."""
    for registry in list(_REGISTRIES):
        registry.shutdown("the process is exiting", wait=5.0)
