"""What the live panel keeps about its run between polls, and how it words it: the rate over running
time (:class:`RunningRate`), the hyper-parameters a member trains with (:func:`hparams_text`), and
objects held per job in the session (:func:`per_job`), and whether its figures still change
(:func:`drawing`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:
    from wgan_core.live import Job

#: How the applied hyper-parameters read under a run, in this order.
HPARAM_TEXT = (("clip_value", "c = {:.3g}"), ("lambda_gp", "λ = {:.3g}"), ("n_critic", "n_critic = {}"),
               ("lr", "α = {:.3g}"))


class RunningRate:
    """Steps per second over the time a job was running: the page feeds it each poll's ``(status,
    steps, time)``, and only intervals that begin and end with the job running count, so a paused run's
    rate does not fall while nothing runs and a resumed one does not start from a diluted value."""

    def __init__(self) -> None:
        self.steps, self.seconds = 0, 0.0
        self._last: tuple[str, int, float] | None = None

    def update(self, status: str, steps: int, now: float) -> None:
        if self._last is not None and self._last[0] == status == "running" and now > self._last[2]:
            self.steps += max(0, steps - self._last[1])
            self.seconds += now - self._last[2]
        self._last = (status, steps, now)

    @property
    def rate(self) -> float | None:
        """Steps per running second, None before a full running interval was seen."""
        return self.steps / self.seconds if self.seconds > 0 and self.steps > 0 else None


def hparams_text(values: dict[str, Any]) -> str:
    """``"c = 0.01 · n_critic = 5 · α = 0.0005"``: the live hyper-parameters a member trains with now."""
    return " · ".join(fmt.format(values[k]) for k, fmt in HPARAM_TEXT if values.get(k) is not None)


def per_job(key: str, job, make: Callable[[], Any]) -> Any:
    """This session's object ``key`` for ``job`` (made anew for another job)."""
    held = st.session_state.get(key)
    if held is None or held[0] != job.id:
        held = (job.id, make())
        st.session_state[key] = held
    return held[1]


def drawing(job: Job | None) -> bool:
    """Whether the page redraws ``job``'s figures: while it runs, and while paused until the snapshot
    of its last step is in (then its figures no longer change)."""
    if job is None or job.status not in ("running", "paused"):
        return False
    snapshot = job.latest_snapshot()
    return job.status == "running" or snapshot is None or snapshot[0] < job.steps
