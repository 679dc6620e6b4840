"""The teacher's cockpit, apart from drawing: stop every live run of the class, pause this server's,
and prepare the class by computing each heavy lesson's default setting in the background (one thread
per server).

Live jobs are reached only through the registry's public methods (``REGISTRY.class_jobs()`` and
``REGISTRY.stop_job``, which reach the other app servers' jobs on a Ray cluster; ``REGISTRY.active_jobs()``
and ``Job.pause`` for this server's); heavy runs only through :mod:`app.precomputed` (``HEAVY``,
``is_cached``, ``defaults_of``, ``run``).
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass, field

import lessons
from app import precomputed
from wgan_core.live import ACTIVE, REGISTRY


def stop_all(reason: str = "stopped by the teacher") -> int:
    """Stop every live run of the class (queued, running or paused): this server's now, and on a Ray
    cluster the other app servers' too (each stops its own within seconds); how many were stopped."""
    rows = [row for row in REGISTRY.class_jobs() if row["status"] in ACTIVE]
    for row in rows:
        REGISTRY.stop_job(row, reason)
    return len(rows)


def pause_all() -> int:
    """Pause every running or queued live run of this server (each student's **Start** resumes it); how
    many were paused. Only this server's: the class's admission can stop another server's job, not
    pause it."""
    jobs = [j for j in REGISTRY.active_jobs() if j.status in ("running", "queued")]
    for job in jobs:
        job.pause()
    return len(jobs)


def default_computed(slug: str) -> bool:
    """Whether the heavy lesson's default setting is on disk already."""
    return precomputed.is_cached(slug, lessons.defaults(lessons.lesson_module(slug).CONTROLS))


@dataclass
class Preparation:
    """Progress of one "Prepare the class": the lessons to compute, those done, the one in progress."""

    todo: tuple[str, ...] = ()
    done: list[str] = field(default_factory=list)
    current: str | None = None
    fraction: float = 0.0  # of the current lesson
    error: str | None = None
    running: bool = False

    @property
    def overall(self) -> float:
        if not self.todo:
            return 1.0
        return min(1.0, (len(self.done) + self.fraction) / len(self.todo))


class Preparer:
    """Computes the missing default settings in one background thread; the panel polls :attr:`state`."""

    def __init__(self):
        self._lock = threading.Lock()
        self.state = Preparation()

    def start(self, slugs: list[str]) -> bool:
        """Begin computing ``slugs``' defaults; False when a preparation is already running."""
        with self._lock:
            if self.state.running:
                return False
            self.state = Preparation(todo=tuple(slugs), running=True)
        threading.Thread(target=self._work, name="prepare-the-class", daemon=True).start()
        return True

    def _progress(self, fraction: float, _text: str = "") -> None:
        self.state.fraction = max(0.0, min(1.0, float(fraction)))

    def _work(self) -> None:
        state = self.state
        try:
            for slug in state.todo:
                state.current, state.fraction = slug, 0.0
                module, function = lessons.lesson_module(slug), precomputed.HEAVY[slug]
                reports = "progress" in inspect.signature(getattr(module, function)).parameters
                precomputed.run(module, function, precomputed.defaults_of(slug),
                                progress=self._progress if reports else None)
                state.done.append(slug)
        except Exception as exc:  # noqa: BLE001 - shown on the panel, the server goes on
            state.error = f"{state.current}: {exc}"
        finally:
            state.current, state.running = None, False


PREPARER = Preparer()
