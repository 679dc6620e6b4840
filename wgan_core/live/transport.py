"""The server's end of a worker: start it, send it commands, receive its progress, make sure it exits.

Two one-way pipes join the server and the worker: commands go down (:mod:`wgan_core.live.commands`),
progress comes up (``("ready", pid, hparams)``, ``("steps", n)``, ``("record", steps, logs, snapshot)``,
``("hparams", seq, values)``, ``("end", "finished" | "stopped", reason)``, ``("failed", message)``).

Commands given before the worker exists, or while the job holds no slot (:attr:`WorkerLink.gated`),
wait in an outbox and are sent in order later — except ``hparams`` and ``stop``, which never wait for a
slot. Sending is re-entrant: a session's lease stops its job from a garbage-collector finalizer, which
may run in the middle of a send; such a nested command follows the current one.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from . import commands as C
from .worker import WORKER_NAME, worker_context, worker_main


class WorkerLink:
    """One worker process and its pipes, seen from the server (job ``job_id``)."""

    def __init__(self, job_id: int, stop_grace: float):
        self.job_id, self.stop_grace = job_id, float(stop_grace)
        self.gated = True  # run/step wait in the outbox until the job holds a slot
        self.pid: int | None = None
        self.stop_sent: float | None = None  # when the worker was told to stop
        self._send_lock = threading.RLock()
        self._sending = False
        self._deferred: list[tuple] = []
        self._outbox: list[tuple] = []
        self._commands = None  # our end of the command pipe, while the worker runs
        self._events = None
        self._process = None
        self._closed = False
        # every call on the Process object holds this: two threads reaping one child at once could both
        # try to read its exit status from the forkserver
        self._reap_lock = threading.RLock()

    @property
    def started(self) -> bool:
        return self.pid is not None

    # ---- start -----------------------------------------------------------------------------------
    def start(self, factory: Callable, args: Sequence[Any], options: dict) -> None:
        """Start the worker (not under any job lock: the forkserver's first start takes seconds)."""
        ctx = worker_context()
        commands_in, commands_out = ctx.Pipe(duplex=False)
        events_in, events_out = ctx.Pipe(duplex=False)
        process = ctx.Process(target=worker_main, name=f"{WORKER_NAME}-{self.job_id}", daemon=True,
                              args=(factory, tuple(args), options, commands_in, events_out))
        with self._send_lock:
            self._process = process
        try:
            process.start()
            self.pid = process.pid
        finally:
            commands_in.close()  # the worker's ends: only the worker holds them now, so EOF means it is gone
            events_out.close()
            if self.pid is None:
                commands_out.close()
                events_in.close()
        with self._send_lock:
            self._commands, self._events = commands_out, events_in
            self._flush()

    # ---- commands ----------------------------------------------------------------------------------
    def send(self, command: tuple) -> None:
        with self._send_lock:
            if command[0] == "stop" and self.stop_sent is None:
                self.stop_sent = time.monotonic()
            if self._commands is None or (self.gated and command[0] in C.NEEDS_SLOT):
                if not self._closed:
                    self._outbox.append(command)  # sent in order once the worker runs with a slot
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
            except (OSError, ValueError):  # the worker is gone; the receiving side reports how
                pass
            finally:
                self._sending = False

    def open_gate(self) -> None:
        """The job holds a slot: send the held commands, in order, and pass later ones at once."""
        with self._send_lock:
            self.gated = False
            self._flush()

    def close_gate(self) -> None:
        with self._send_lock:
            self.gated = True

    def _flush(self) -> None:
        pending, self._outbox = self._outbox, []
        for command in pending:
            self.send(command)

    # ---- progress ----------------------------------------------------------------------------------
    def receive(self, timeout: float) -> tuple | None:
        """The worker's next message, or None if none came within ``timeout``; EOFError once it is gone."""
        try:
            if self._events.poll(timeout):
                return self._events.recv()
        except OSError as exc:
            raise EOFError("the worker's pipe closed") from exc
        with self._reap_lock:
            alive = self._process.is_alive()
        if not alive and not self._events.poll():
            raise EOFError("the worker exited")
        return None

    def death_note(self) -> str | None:
        """Why the worker ended without a last message (None when it exited as told to stop)."""
        with self._reap_lock:
            self._process.join(2.0)
            code = self._process.exitcode
        if self.stop_sent is not None and code in (None, 0, -signal.SIGTERM):
            return None
        if code is not None and code < 0:
            how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with code {code}" if code is not None else "closed its pipe"
        return f"WorkerDied: the training process (pid {self.pid}) {how} without reporting an error"

    # ---- the end -----------------------------------------------------------------------------------
    def close(self) -> None:
        """Make sure the worker has exited: ``stop_grace`` s after the stop, then terminate, then kill."""
        with self._send_lock:
            self._closed = True
            self._outbox.clear()
            process = self._process
        if process is not None and process.pid is not None:
            with self._reap_lock:
                if process.is_alive():
                    if self.stop_sent is None:
                        self.send(C.STOP)
                    process.join(max(0.0, self.stop_grace - (time.monotonic() - self.stop_sent)))
                if process.is_alive():
                    process.terminate()
                    process.join(2.0)
                if process.is_alive():
                    process.kill()
                    process.join(2.0)
        with self._send_lock:
            if self._commands is not None:
                self._commands.close()
                self._commands = None

    def close_events(self) -> None:
        """Close our end of the progress pipe (by the thread that receives from it, once it is done)."""
        if self._events is not None:
            self._events.close()
