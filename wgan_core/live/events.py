"""The events a job's worker reports to the server, and THE one place that reads them.

An event is a small tuple (it crosses a worker's pipe, or comes back from a Ray actor, as it is). Both
backends emit the same events, made only by the constructors here:

* ``("ready", worker_id, hparams)`` — the members are built; ``hparams`` is ``{member: values}``;
* ``("steps", n)`` — the loop has done ``n`` generator steps;
* ``("record", steps, logs, snapshot)`` — a round of logs (one dict per member) and/or a snapshot;
* ``("hparams", seq, values)`` — the members' values after hyper-parameter change ``seq``;
* ``("end", how, reason)`` — the loop ended, ``how`` is ``"finished"`` (at ``max_steps``) or ``"stopped"``;
* ``("failed", message, kind)`` — a member (or the factory) raised; ``kind`` is one of
  :data:`wgan_core.live.worker.FAILURES`.

:func:`apply` hands each event to the matching method of a :class:`Handler`.
"""

from __future__ import annotations

from typing import Any, Protocol

#: How a loop can end on its own terms.
ENDINGS = ("finished", "stopped")


def ready(worker_id: Any, hparams: dict[str, dict]) -> tuple:
    return ("ready", worker_id, {name: dict(values) for name, values in hparams.items()})


def steps(n: int) -> tuple:
    return ("steps", int(n))


def record(steps: int, logs: list[dict], snapshot: dict | None) -> tuple:
    return ("record", int(steps), list(logs), snapshot)


def hparams(seq: int, values: dict[str, dict]) -> tuple:
    return ("hparams", int(seq), values)


def end(how: str, reason: str = "") -> tuple:
    if how not in ENDINGS:
        raise ValueError(f"a loop ends {ENDINGS}, not {how!r}")
    return ("end", how, str(reason))


def failed(message: str, kind: str) -> tuple:
    return ("failed", str(message), str(kind))


class Handler(Protocol):
    """What receives a job's events on the server (:class:`wgan_core.live.job.Job`)."""

    def on_ready(self, worker_id: Any, hparams: dict[str, dict]) -> None: ...

    def on_steps(self, steps: int) -> None: ...

    def on_record(self, steps: int, logs: list[dict], snapshot: dict | None) -> None: ...

    def on_hparams(self, seq: int, values: dict[str, dict]) -> None: ...

    def on_end(self, how: str, reason: str) -> None: ...

    def on_failed(self, message: str, kind: str) -> None: ...


def apply(handler: Handler, event: tuple) -> bool:
    """Hand ``event`` to ``handler``; True when it was the last event of the job (an end or a failure)."""
    kind, *fields = event
    method = {"ready": handler.on_ready, "steps": handler.on_steps, "record": handler.on_record,
              "hparams": handler.on_hparams, "end": handler.on_end, "failed": handler.on_failed}.get(kind)
    if method is None:
        raise ValueError(f"unknown job event {event!r}")
    method(*fields)
    return kind in ("end", "failed")
