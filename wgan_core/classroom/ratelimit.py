"""A token bucket per key, with a bounded number of keys (the least recently used is forgotten)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """Allow ``burst`` actions at once per key, then one every ``per_s`` seconds.

    >>> limit = RateLimiter(burst=2, per_s=10.0, clock=lambda: 0.0)
    >>> [limit.allow("a") for _ in range(3)], limit.allow("b")
    ([True, True, False], True)
    """

    def __init__(self, burst: int, per_s: float, max_keys: int = 4096,
                 clock: Callable[[], float] = time.monotonic):
        if burst < 1 or per_s <= 0 or max_keys < 1:
            raise ValueError(f"RateLimiter needs burst >= 1, per_s > 0 and max_keys >= 1, got "
                             f"{burst}, {per_s}, {max_keys}")
        self.burst, self.per_s, self.max_keys, self._clock = burst, per_s, max_keys, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token for ``key``: True if there was one."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) / self.per_s)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return allowed

    def wait_s(self, key: str) -> float:
        """Seconds until ``key`` has a token again (0 when it has one now)."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) / self.per_s)
        return max(0.0, (1.0 - tokens) * self.per_s)
