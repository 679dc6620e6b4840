"""THE training loop of a live job (it runs in the job's worker process), and its bounded log.

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

from .member import check_members, route_hparams


class ThinningLog:
    """Rounds of log dicts; keeps at most ``capacity`` rounds by dropping every other one when full,
    so a long run keeps its whole curve at a coarser resolution."""

    def __init__(self, capacity: int):
        if capacity < 4:
            raise ValueError(f"max_logs must be at least 4, got {capacity}")
        self.capacity = capacity
        self.items: list[list[dict]] = []
        self.stride = 1  # record one round in `stride` offered
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
