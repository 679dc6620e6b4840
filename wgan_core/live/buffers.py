"""The read side of a live job: its step count and bounded buffers of logs and snapshots.

The worker's events fill them (:meth:`Buffers.on_steps`, :meth:`Buffers.on_record`); a page reads
them from another thread. Both buffers are bounded, so a run of any length costs the server the same
memory: the logs are thinned (:class:`ThinningLog`), the snapshots are the newest few.
"""

from __future__ import annotations

import threading
import time
from collections import deque


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


class Buffers:
    """A job's steps, its log rounds (at most ``max_logs``, thinned) and its newest ``max_snapshots``."""

    def __init__(self, max_logs: int, max_snapshots: int):
        self._lock = threading.Lock()
        self.steps = 0
        self.started_at: float | None = None  # when the worker reported its members built
        self._logs = ThinningLog(int(max_logs))
        self.snapshots: deque[tuple[int, dict]] = deque(maxlen=int(max_snapshots))

    def on_ready(self) -> None:
        self.started_at = time.monotonic()

    def on_steps(self, steps: int) -> None:
        self.steps = int(steps)

    def on_record(self, steps: int, logs: list[dict], snapshot: dict | None) -> None:
        with self._lock:
            self.steps = max(self.steps, int(steps))
            if logs:
                self._logs.offer(logs)
            if snapshot is not None:
                self.snapshots.append((int(steps), snapshot))

    def logs(self) -> list[dict]:
        with self._lock:
            return [entry for round_ in self._logs.items for entry in round_]

    def latest_snapshot(self) -> tuple[int, dict] | None:
        """``(g_step, {member: snapshot})`` of the newest snapshot, or None before the first."""
        with self._lock:
            return self.snapshots[-1] if self.snapshots else None

    def steps_per_second(self) -> float:
        if self.started_at is None or self.steps == 0:
            return 0.0
        return self.steps / max(1e-9, time.monotonic() - self.started_at)
