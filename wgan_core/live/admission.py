"""This server's admission of live jobs (the process backend's): a cap per kind and a first-come queue per kind.

CPU and GPU jobs are counted apart. A job holds its slot while it runs or stays paused within its
pause grace; the job asks :meth:`LocalAdmission.release` when it ends or parks.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

#: How this server names itself in :meth:`LocalAdmission.jobs` (it serves no other).
SERVER = "this server"
#: What an admission tells of a job (the fields of ``Job.describe`` that the teacher's panel shows).
ROW_FIELDS = ("id", "label", "client", "kind", "status", "holds_slot", "steps", "age_s")


def job_row(job) -> dict[str, Any]:
    """Plain data on ``job`` for the class's list of jobs (``Admission.jobs``), whichever admission."""
    described = job.describe()
    return {name: described[name] for name in ROW_FIELDS}


class LocalAdmission:
    """The cap and FIFO queue in this server's memory (an :class:`~wgan_core.live.backend.Admission`)."""

    def __init__(self, cap: Callable[[str], int]):
        self._cap = cap
        self._lock = threading.Lock()
        self._admitted: list = []
        self._queue: deque = deque()

    def cap(self, kind: str) -> int:
        return self._cap(kind)

    def enqueue(self, job) -> None:
        with self._lock:
            if job not in self._queue and job not in self._admitted:
                self._queue.append(job)

    def try_admit(self, job) -> bool:
        with self._lock:
            if job in self._admitted:
                return True
            if job not in self._queue:
                self._queue.append(job)
            head = next(j for j in self._queue if j.kind == job.kind)
            if head is not job or sum(j.kind == job.kind for j in self._admitted) >= self.cap(job.kind):
                return False
            self._queue.remove(job)
            self._admitted.append(job)
            return True

    def release(self, job) -> None:
        with self._lock:
            if job in self._admitted:
                self._admitted.remove(job)
            if job in self._queue:
                self._queue.remove(job)

    def position(self, job) -> int | None:
        with self._lock:
            if job not in self._queue:
                return None
            return [j for j in self._queue if j.kind == job.kind].index(job) + 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            kinds = [j.kind for j in self._admitted]
            return {"admitted": len(kinds), "admitted_gpu": kinds.count("gpu"), "queued": len(self._queue)}

    def jobs(self) -> list[dict]:
        """This server's jobs that hold a slot or wait for one (the admitted first, then the line)."""
        with self._lock:
            held = [*self._admitted, *self._queue]
        return [dict(job_row(job), server=SERVER, here=True) for job in held]

    def stop(self, row: dict, reason: str) -> None:
        """Stop the job of ``row`` (this server holds every job it lists)."""
        with self._lock:
            job = next((j for j in [*self._admitted, *self._queue] if j.id == row["id"]), None)
        if job is not None:
            job.request_stop(reason)
