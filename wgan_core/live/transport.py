"""The process backend (the embedded default): one worker process of this server per job, joined by pipes.

Two one-way pipes join the server and the worker: commands go down (:mod:`wgan_core.live.commands`),
events come up (:mod:`wgan_core.live.events`). The link only carries them: which commands wait for a
slot is the job's supervisor's business (:class:`wgan_core.live.supervisor.Supervisor`), and the cap
and queue are this server's (:class:`wgan_core.live.admission.LocalAdmission`).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from . import commands as C
from .admission import LocalAdmission
from .worker import WORKER_NAME, worker_context, worker_main


class ProcessLink:
    """One worker process and its pipes, seen from the server (job ``job_id``): a
    :class:`~wgan_core.live.backend.Link`."""

    def __init__(self, job_id: int, stop_grace: float):
        self.job_id, self.stop_grace = job_id, float(stop_grace)
        self.worker_id: int | None = None  # the worker's pid
        self._stop_sent: float | None = None  # when the worker was told to stop
        self._commands = None  # our end of the command pipe, while the worker runs
        self._events = None
        self._process = None
        # every call on the Process object holds this: two threads reaping one child at once could both
        # try to read its exit status from the forkserver
        self._lock = threading.RLock()

    def start(self, factory: Callable, args: Sequence[Any], options: dict) -> None:
        """Start the worker (not under any job lock: the forkserver's first start takes seconds)."""
        ctx = worker_context()
        commands_in, commands_out = ctx.Pipe(duplex=False)
        events_in, events_out = ctx.Pipe(duplex=False)
        process = ctx.Process(target=worker_main, name=f"{WORKER_NAME}-{self.job_id}", daemon=True,
                              args=(factory, tuple(args), options, commands_in, events_out))
        try:
            process.start()
        finally:
            commands_in.close()  # the worker's ends: only the worker holds them now, so EOF means it is gone
            events_out.close()
        with self._lock:
            self._process, self._commands, self._events = process, commands_out, events_in
            self.worker_id = process.pid

    def send(self, command: tuple) -> None:
        with self._lock:
            if command[0] == "stop" and self._stop_sent is None:
                self._stop_sent = time.monotonic()
            if self._commands is None:
                return
            try:
                self._commands.send(command)
            except (OSError, ValueError):  # the worker is gone; receive() reports how
                pass

    def receive(self, timeout: float) -> tuple | None:
        events = self._events
        try:
            if events is None:
                raise OSError("closed")
            if events.poll(timeout):
                return events.recv()
        except OSError as exc:
            raise EOFError("the worker's pipe closed") from exc
        with self._lock:
            alive = self._process.is_alive()
        if not alive and not events.poll():
            raise EOFError("the worker exited")
        return None

    def death_note(self) -> str | None:
        with self._lock:
            self._process.join(2.0)
            code = self._process.exitcode
        if self._stop_sent is not None and code in (None, 0, -signal.SIGTERM):
            return None
        if code is not None and code < 0:
            how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with code {code}" if code is not None else "closed its pipe"
        return f"WorkerDied: the training process (pid {self.worker_id}) {how} without reporting an error"

    def close(self) -> None:
        """``stop_grace`` s after the stop, terminate, then kill; then close both pipes."""
        with self._lock:
            process = self._process
            if process is not None and process.is_alive():
                if self._stop_sent is None:
                    self.send(C.STOP)
                process.join(max(0.0, self.stop_grace - (time.monotonic() - self._stop_sent)))
                if process.is_alive():
                    process.terminate()
                    process.join(2.0)
                if process.is_alive():
                    process.kill()
                    process.join(2.0)
            for conn in (self._commands, self._events):
                if conn is not None:
                    conn.close()
            self._commands = self._events = None


class ProcessBackend:
    """Worker processes of this server, admitted by this server's cap and queue."""

    name = "process"
    parks = True

    def check(self) -> None:
        """Worker processes of this server can always be started."""

    def link(self, job_id: int, stop_grace: float, kind: str) -> ProcessLink:
        return ProcessLink(job_id, stop_grace)

    def admission(self, cap: Callable[[str], int]) -> LocalAdmission:
        return LocalAdmission(cap)
