"""The live job's loop: it runs in the job's worker process, on the one outer loop.

:class:`Loop` trains through :func:`wgan_core.drive.drive`, like every run: it adds what a live job
needs between two steps (pause, manual steps, hyper-parameter changes, stop).

The loop never draws: progress leaves it through a *sink* (``on_steps(steps)``,
``on_record(steps, logs, snapshot)``) as plain data; commands reach it from another thread through
:meth:`Loop.set_running`, :meth:`Loop.add_steps`, :meth:`Loop.set_hparams` and :meth:`Loop.wake`
(see :mod:`wgan_core.live.commands`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from wgan_core.drive import drive

from .member import check_members, member_logs, route_hparams


class Loop:
    """Step every member in turn until told to stop or ``max_steps`` is reached.

    A log round (``member.metrics()`` of each member, plus ``extra_metrics(name, member)``) is taken
    every ``log_every`` steps, after every manual step and right after a hyper-parameter change; a
    snapshot (``member.snapshot()``) follows a log at most every ``snapshot_every_s`` seconds. A
    snapshot therefore always comes after metrics that passed, so a run that diverges keeps its last
    good snapshot.
    """

    def __init__(self, members: Mapping[str, Any], sink: Any, *, max_steps: int | None, log_every: int,
                 snapshot_every_s: float, extra_metrics: Callable[[str, Any], dict] | None = None):
        self.members = check_members(members)
        self.sink = sink
        self.max_steps, self.log_every = max_steps, int(log_every)
        self.snapshot_every_s = float(snapshot_every_s)
        self.extra_metrics = extra_metrics
        self.lock = threading.Condition()
        self.running = False  # continuous training wanted (else: paused, doing pending manual steps)
        self.pending = 0  # manual steps still to do
        self.log_next = False  # log right after a hyper-parameter change, so curves show it promptly
        self._manual = False  # the step under way is a manual one
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
        routed = route_hparams(self.hparams(), member, changes)
        for name, accepted in routed.items():
            if accepted:
                self.members[name].set_hparams(**accepted)
                with self.lock:
                    self.log_next = True
        return {name: dict(self.members[name].hparams()) for name in routed}

    # ---- the loop ----------------------------------------------------------------------------------
    def run(self, should_end: Callable[[], bool]) -> bool:
        """Train until ``should_end()`` (False) or ``max_steps`` (True); exceptions of a member propagate.

        The outer loop is :func:`wgan_core.drive.drive`; its gate (:meth:`_next_step`) waits while the
        job is paused and ends the run on ``should_end()``."""
        self.record(force_snapshot=True)
        for _ in drive(self._step_members, self.max_steps, self._measure, self._log_due,
                       gate=lambda: self._next_step(should_end)):
            pass
        return self.max_steps is not None and self.steps >= self.max_steps

    def _next_step(self, should_end: Callable[[], bool]) -> bool:
        """Wait until a step is wanted (running, or a manual step pending); False once ``should_end()``."""
        while not should_end():
            with self.lock:
                if self.running or self.pending > 0:
                    self._manual = not self.running
                    self.pending -= self._manual
                    return True
                self.lock.wait(timeout=0.25)
        return False

    def _step_members(self) -> None:
        for member in self.members.values():
            member.step()
        self.steps += 1
        self.sink.on_steps(self.steps)

    def _log_due(self, steps: int) -> bool:
        """A log round is due every ``log_every`` steps, after a manual step and after a change."""
        with self.lock:
            due = self._manual or self.log_next or steps % self.log_every == 0
            self.log_next = self.log_next and not due
        return due

    def _measure(self) -> None:
        """A log round; a snapshot too after a manual step or the last step, else when one is due."""
        last = self.max_steps is not None and self.steps >= self.max_steps
        self.record(force_snapshot=self._manual or last)

    def record(self, force_snapshot: bool = False) -> None:
        """One log per member (:func:`~wgan_core.live.member.member_logs`); a snapshot when due."""
        logs = member_logs(self.members, self.extra_metrics)
        now = time.monotonic()
        snap = None
        if force_snapshot or now - self._last_snapshot_t >= self.snapshot_every_s:
            snap = {name: member.snapshot() for name, member in self.members.items()}
            self._last_snapshot_t = now
        self.sink.on_record(self.steps, logs, snap)
