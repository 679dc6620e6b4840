"""The server's side of one live job's worker: its link, its slot, and the thread that watches it.

A :class:`Supervisor` is the one owner of a job's slot state (whether it holds a slot of the registry,
the commands held back while it holds none) and of its :class:`~wgan_core.live.backend.Link`. Its
thread takes the slot when the job is first in line, starts the worker, hands the worker's events to
the job (:func:`wgan_core.live.events.apply`), gives a parked job's slot back, and tells the worker to
stop when the job should end. The job's state machine (:class:`wgan_core.live.job.Job`) says which
state the job is in; the supervisor never decides that, it only reports what happened.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from . import commands as C
from . import events
from .backend import Link
from .registry import ENDED


class Supervisor:
    """The slot, held commands, link and supervising thread of ``job``; ``lock`` is the job's lock.

    ``options`` (the loop's, and the job's ``device``) go to the worker with ``factory`` and ``args``,
    which builds ``factory(*args, device=options["device"])`` (:func:`wgan_core.live.worker.run_job`).
    """

    def __init__(self, job: Any, link: Link, lock: threading.Condition, stop_grace: float,
                 factory: Any, args: tuple, options: dict):
        self.job, self.link, self.lock, self.stop_grace = job, link, lock, float(stop_grace)
        self._start_args = (factory, args, options)
        self.holding = False  # holds a slot of the registry
        self.started = False  # the worker runs and the held commands went out
        self.outbox: list[tuple] = []  # commands held until the worker runs with a slot
        self.thread: threading.Thread | None = None
        self._stop_sent: float | None = None  # when the worker was told to stop

    def send(self, command: tuple) -> None:
        """Send ``command`` now, or hold it while the worker is not running with a slot (stop and
        hparams are never held once the worker runs)."""
        with self.lock:
            if not self.started or (not self.holding and command[0] in C.NEEDS_SLOT):
                if self.job.status not in ENDED:
                    self.outbox.append(command)
                return
            self.link.send(command)

    def wake(self) -> None:
        """Under the lock: start the thread on the first call (the job is queued), queue the job for a
        slot when it holds none, and let the thread see the change."""
        job = self.job
        if self.thread is None:
            job.status = "queued"
            self.thread = threading.Thread(target=self._run, name=f"training-job-{job.id}", daemon=True)
            self.thread.start()
        elif not self.holding and job.status == "paused":
            job.status = "queued"
        if job.status == "queued":
            job.registry.enqueue(job)
        self.lock.notify_all()

    def _run(self) -> None:
        try:
            self._supervise()
        except Exception as exc:  # a crash here must not take the server down
            self.job.on_failed(f"{type(exc).__name__}: {exc}", "error")
        finally:
            self.link.close()
            with self.lock:
                self.outbox.clear()
                self.holding = False
                self.job.on_closed()
            self.job.registry.release(self.job)  # the slot goes back exactly once: here

    def _supervise(self) -> None:
        while True:
            now = time.monotonic()
            if self.job.should_end(now):
                if self.link.worker_id is None:
                    return
                if self._stop_sent is None:
                    self._stop_sent = now
                    self.link.send(C.STOP)
                elif now - self._stop_sent > self.stop_grace:
                    return  # it had its chance: close() terminates it
            else:
                self._manage_slot(now)
            if self.link.worker_id is None:
                with self.lock:
                    self.lock.wait(0.25)
                continue
            try:
                message = self.link.receive(0.25)
            except EOFError:
                note = self.link.death_note()
                if note is not None:
                    self.job.on_failed(note, "error")
                return
            if message is not None and events.apply(self.job, message):
                return

    def _manage_slot(self, now: float) -> None:
        """Take a slot when queued and first in line; give it back when the job says it is parked."""
        job, registry = self.job, self.job.registry
        if not self.holding:
            if job.status != "queued" or not registry.try_admit(job):
                return
            with self.lock:
                self.holding = True  # still "queued" while its worker starts; holds_slot tells them apart
            if self.link.worker_id is None:  # not under the job's lock: a worker's first start takes seconds
                self.link.start(*self._start_args)
            with self.lock:
                self.started = True
                job.on_admitted()
                pending, self.outbox = self.outbox, []
                for command in pending:
                    self.link.send(command)
            registry.publish()
            return
        with self.lock:
            parked = registry.backend.parks and job.parked(now)
            if parked:
                self.holding = False  # run and step wait in the outbox again
        if parked:
            registry.release(job)
