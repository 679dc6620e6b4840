"""THE seam between a job and where its training runs: a :class:`Backend` makes one :class:`Link` per job.

Two backends satisfy it:

* :class:`wgan_core.live.transport.ProcessBackend` — a worker process of this server per job (the
  embedded default: a laptop starts nothing else);
* :class:`wgan_core.live.ray_backend.RayBackend` — a Ray actor per job on a cluster, chosen by
  ``WGAN_RAY_ADDRESS`` (``ray`` is imported only then).

Both run the same worker body (:func:`wgan_core.live.worker.run_job`), take the same commands
(:mod:`wgan_core.live.commands`) and report the same events (:mod:`wgan_core.live.events`). The
backend also says who admits jobs: an :class:`Admission` (this server's cap and queue, or the
cluster's, shared by every app server on it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol


class Link(Protocol):
    """The server's end of one job's worker."""

    #: The worker's id once started (a process id, or a Ray actor id), else None.
    worker_id: Any

    def start(self, factory: Callable, args: Sequence[Any], options: dict) -> None:
        """Start the worker; it runs :func:`~wgan_core.live.worker.run_job`, which builds
        ``factory(*args, device=options["device"])``."""

    def send(self, command: tuple) -> None:
        """Deliver one command (:mod:`wgan_core.live.commands`); a gone worker drops it silently."""

    def receive(self, timeout: float) -> tuple | None:
        """The next event, None if none came within ``timeout``; EOFError once the worker is gone."""

    def death_note(self) -> str | None:
        """Why the worker ended without a last event (None when it ended as told to stop)."""

    def close(self) -> None:
        """Make sure the worker has ended (after its stop grace: terminate, then kill) and free its resources."""


class Admission(Protocol):
    """Who gives jobs a slot: a cap per kind (``"cpu"``, ``"gpu"``) and a first-come queue per kind."""

    def cap(self, kind: str) -> int: ...

    def enqueue(self, job) -> None: ...

    def try_admit(self, job) -> bool:
        """Give ``job`` a slot if it is first of its kind in line and one is free; True when it holds one."""

    def release(self, job) -> None:
        """Give the job's slot back, or take it out of the line (a no-op if it has neither)."""

    def position(self, job) -> int | None:
        """1 for the next job of its kind to be admitted, None when not queued."""

    def counts(self) -> dict[str, int]:
        """``{"admitted", "admitted_gpu", "queued"}``."""

    def jobs(self) -> list[dict]:
        """Every job holding a slot or waiting in line, on every app server this admission serves, in
        the order they asked: a :func:`~wgan_core.live.admission.job_row` each, with ``here`` (a job of this server) and
        ``server`` (the name of the app server that holds it)."""

    def stop(self, row: dict, reason: str) -> None:
        """Ask the app server that holds the job of ``row`` (one of :meth:`jobs`) to stop it; a job of
        another server stops when that server next hears from the cluster (a few seconds)."""


class Backend(Protocol):
    """Where live jobs train: makes their links, and says who admits them."""

    #: ``"process"`` or ``"ray"``.
    name: str
    #: Whether a paused job may give its slot back and keep its worker (False where the worker itself
    #: holds the slot's resources, as a Ray actor holds its CPU).
    parks: bool

    def check(self) -> None:
        """Raise a RuntimeError naming the problem when jobs cannot train here (an unreachable cluster)."""

    def link(self, job_id: int, stop_grace: float, kind: str) -> Link:
        """A new, unstarted link for job ``job_id`` of ``kind`` (``"cpu"`` or ``"gpu"``)."""

    def admission(self, cap: Callable[[str], int]) -> Admission:
        """The admission for a registry whose configured cap of each kind is ``cap(kind)``."""


def default_backend() -> Backend:
    """Worker processes of this server, or the Ray cluster at ``WGAN_RAY_ADDRESS`` when it is set
    (``ray`` is imported only then)."""
    from . import settings

    address = settings.ray_address()
    if address is None:
        from .transport import ProcessBackend

        return ProcessBackend()
    from .ray_backend import RayBackend

    return RayBackend(address)
