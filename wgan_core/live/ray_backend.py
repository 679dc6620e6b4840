"""The Ray backend: each live job is a Ray actor on a cluster, and the class's queue lives in the cluster.

Chosen by ``WGAN_RAY_ADDRESS`` (:func:`wgan_core.live.backend.default_backend`); this module is the only
one that imports ``ray``, and only then. Every node runs the project's code (installed as on the app
server), so an actor unpickles a job's factory by name, as a worker process does.

* A job's actor (:class:`_JobActor`) asks for 1 CPU, or 1 CPU and a fraction of a GPU when it trains on
  CUDA; it runs :func:`wgan_core.live.worker.run_job` in a thread, takes commands through
  :meth:`_JobActor.send` and hands its events over in batches (:meth:`_JobActor.drain`).
* Admission (:class:`ClusterAdmission`) goes through one named, detached actor (:class:`_ClassQueue`,
  ``wgan-class-queue`` in the ``wgan-classroom`` namespace) that every app server on the cluster
  shares: one cap (the cluster's CPUs, or ``WGAN_MAX_JOBS``), one first-come queue, and the class's list
  of jobs for the teacher's panel. It lives on the head node (a worker node may be lost). Each server
  renews its entries, with their status and steps, every few seconds, and hears then which of its
  jobs a teacher on another server asked to stop; the entries of a server that stopped renewing them
  expire.
* A paused job keeps its actor and so its slot (the actor holds its CPU): on a cluster, Stop, Reset,
  the closed session or the watchdog give it back.
* An actor that dies (its node lost, ``ray kill``) fails its job with a message saying so; Ray takes
  its resources back.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from .admission import job_row

NAMESPACE = "wgan-classroom"
QUEUE_NAME = "wgan-class-queue"
#: Seconds after which the queue forgets the entries of a server that stopped renewing them.
ENTRY_TTL_S = 30.0
RENEW_EVERY_S = 5.0
#: Seconds a call to the class's queue waits for its answer before it fails (GetTimeoutError).
QUEUE_TIMEOUT_S = 30.0
#: The share of a GPU one live GPU job asks for.
GPU_FRACTION = 0.25
#: Ray's resource that only the head node has: it pins the class's queue there.
HEAD_NODE_RESOURCE = "node:__internal_head__"


class ClusterUnreachable(RuntimeError):
    """The Ray cluster at ``WGAN_RAY_ADDRESS`` does not answer."""


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail fast, before Ray's own retries, when nothing listens at ``host:port``."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise ClusterUnreachable(f"cannot reach the Ray cluster at {address} (WGAN_RAY_ADDRESS): {exc}") from exc


_connect_lock = threading.Lock()


def connect(address: str):
    """The ``ray`` module, connected to ``address`` in :data:`NAMESPACE` (once per process: the live
    jobs' backend and the class store share the connection, whichever connects first)."""
    _check_reachable(address)
    import ray

    with _connect_lock:
        if not ray.is_initialized():
            try:
                ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, logging_level=logging.WARNING)
            except Exception as exc:
                raise ClusterUnreachable(f"cannot reach the Ray cluster at {address} (WGAN_RAY_ADDRESS): "
                                         f"{type(exc).__name__}: {exc}") from exc
    return ray


class _JobActor:
    """One job on the cluster: :func:`run_job` in a thread, commands in, events out in batches."""

    def __init__(self, factory: Callable, args: Sequence[Any], options: dict, worker_id: str):
        from .worker import configure_torch_threads, lower_worker_priority, run_job

        lower_worker_priority()
        configure_torch_threads()
        self._commands: queue.Queue = queue.Queue()
        self._events: list[tuple] = []
        self._cond = threading.Condition()
        threading.Thread(target=run_job, args=(factory, args, options, self._commands.get, self._emit, worker_id),
                         daemon=True, name="wgan-training-job").start()

    def _emit(self, event: tuple) -> None:
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()

    def send(self, command: tuple) -> None:
        self._commands.put(command)

    def drain(self, timeout: float) -> list[tuple]:
        """The events since the last call, waiting up to ``timeout`` s for the first."""
        with self._cond:
            self._cond.wait_for(lambda: self._events, timeout)
            batch, self._events = self._events, []
        return batch

    def pid(self) -> int:
        return os.getpid()


class _ClassQueue:
    """The class's cap and first-come queue, shared by every app server on the cluster (a detached actor)."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.entries: dict[str, dict] = {}  # key -> {kind, admitted, seen, row}, in ask order
        self.clock = clock

    def _expire(self, now: float) -> None:
        for key in [k for k, e in self.entries.items() if now - e["seen"] > ENTRY_TTL_S]:
            del self.entries[key]

    def ask(self, key: str, kind: str, cap: int, admit: bool, row: dict) -> int:
        """0 when ``key`` holds a slot (taking one if ``admit``, it is first in line and one is free),
        else its place in its kind's line. ``row`` is what the panel shows of the job."""
        now = self.clock()
        self._expire(now)
        entry = self.entries.setdefault(key, {"kind": kind, "admitted": False})
        entry.update(seen=now, row=row)
        if entry["admitted"]:
            return 0
        waiting = [k for k, e in self.entries.items() if e["kind"] == kind and not e["admitted"]]
        held = sum(e["kind"] == kind and e["admitted"] for e in self.entries.values())
        if admit and waiting[0] == key and held < cap:
            entry["admitted"] = True
            return 0
        return waiting.index(key) + 1

    def position(self, key: str) -> int | None:
        entry = self.entries.get(key)
        if entry is None or entry["admitted"]:
            return None
        return [k for k, e in self.entries.items() if e["kind"] == entry["kind"] and not e["admitted"]].index(key) + 1

    def renew(self, rows: dict[str, dict]) -> dict[str, str]:
        """Keep these entries (``{key: row}``), with what their jobs are doing now; returns the stops
        asked for them (``{key: reason}``)."""
        now = self.clock()
        for key, row in rows.items():
            if key in self.entries:
                self.entries[key].update(seen=now, row=row)
        return {key: self.entries[key]["stop"] for key in rows if "stop" in self.entries.get(key, {})}

    def ask_stop(self, key: str, reason: str) -> None:
        """Ask the server that holds ``key`` to stop it (it hears so when it next renews)."""
        if key in self.entries:
            self.entries[key]["stop"] = reason

    def release(self, key: str) -> None:
        self.entries.pop(key, None)

    def counts(self) -> dict[str, int]:
        self._expire(self.clock())
        admitted = [e["kind"] for e in self.entries.values() if e["admitted"]]
        return {"admitted": len(admitted), "admitted_gpu": admitted.count("gpu"),
                "queued": sum(not e["admitted"] for e in self.entries.values())}

    def jobs(self) -> list[dict]:
        """What every server said of its jobs when it last asked or renewed, in ask order."""
        self._expire(self.clock())
        return [dict(e["row"], key=k, holds_slot=e["admitted"]) for k, e in self.entries.items()]


class ClusterAdmission:
    """Admission through the cluster's :class:`_ClassQueue` (an :class:`~wgan_core.live.backend.Admission`).

    The CPU cap is ``WGAN_MAX_JOBS`` when set, else the cluster's CPUs (so that every admitted actor
    finds its CPU); the GPU cap is the registry's, ``configured("gpu")``.
    """

    def __init__(self, backend: RayBackend, configured: Callable[[str], int]):
        from . import settings

        self._backend, self._configured = backend, configured
        self._max_jobs = settings.max_jobs_set()
        self._server = uuid.uuid4().hex[:8]
        self._held: dict[int, Any] = {}  # job id -> job, while it is queued or admitted here
        self._lock = threading.Lock()
        self._cpus: tuple[float, int] = (-float("inf"), 1)
        self._class_queue = None

    @property
    def _ray(self):
        return self._backend.connected()

    @property
    def _queue(self):
        """The class's queue actor, found or made on first use (the renewing thread starts with it)."""
        ray = self._ray
        with self._lock:
            if self._class_queue is None:
                self._class_queue = ray.remote(_ClassQueue).options(
                    name=QUEUE_NAME, namespace=NAMESPACE, lifetime="detached", get_if_exists=True, num_cpus=0,
                    resources={HEAD_NODE_RESOURCE: 0.001}).remote()
                threading.Thread(target=self._renew_forever, daemon=True, name="wgan-class-queue-renew").start()
            return self._class_queue

    def _key(self, job) -> str:
        return f"{self._server}:{job.id}"

    def cap(self, kind: str) -> int:
        if kind == "gpu":
            return self._configured("gpu")
        if self._max_jobs is not None:
            return self._max_jobs
        when, cpus = self._cpus
        if time.monotonic() - when > 5.0:
            cpus = max(1, int(self._ray.cluster_resources().get("CPU", 1)))
            self._cpus = (time.monotonic(), cpus)
        return cpus

    def _ask(self, job, admit: bool) -> int:
        with self._lock:
            self._held[job.id] = job
        return self._ray.get(self._queue.ask.remote(self._key(job), job.kind, self.cap(job.kind), admit, job_row(job)),
                             timeout=QUEUE_TIMEOUT_S)

    def enqueue(self, job) -> None:
        self._ask(job, admit=False)

    def try_admit(self, job) -> bool:
        return self._ask(job, admit=True) == 0

    def release(self, job) -> None:
        with self._lock:
            self._held.pop(job.id, None)
        try:
            self._ray.get(self._queue.release.remote(self._key(job)), timeout=QUEUE_TIMEOUT_S)
        except Exception:  # the cluster is gone or does not answer: its entry expires by itself
            pass

    def position(self, job) -> int | None:
        return self._ray.get(self._queue.position.remote(self._key(job)), timeout=QUEUE_TIMEOUT_S)

    def counts(self) -> dict[str, int]:
        return self._ray.get(self._queue.counts.remote(), timeout=QUEUE_TIMEOUT_S)

    def jobs(self) -> list[dict]:
        """Every job of the class holding or waiting for a slot, on every app server, in ask order (the
        other servers' as of their last renewal, at most :data:`RENEW_EVERY_S` s old)."""
        rows = self._ray.get(self._queue.jobs.remote(), timeout=QUEUE_TIMEOUT_S)
        return [dict(row, server=row["key"].partition(":")[0], here=row["key"].startswith(f"{self._server}:"))
                for row in rows]

    def stop(self, row: dict, reason: str) -> None:
        """Ask the server that holds the job of ``row`` to stop it (within :data:`RENEW_EVERY_S` s)."""
        self._ray.get(self._queue.ask_stop.remote(row["key"], reason), timeout=QUEUE_TIMEOUT_S)

    def _renew_forever(self) -> None:
        ray = self._ray
        while ray.is_initialized():  # ends with the driver's connection (never reconnects at exit)
            time.sleep(RENEW_EVERY_S)
            with self._lock:
                held = {self._key(job): job for job in self._held.values()}
            try:
                asked = ray.get(self._queue.renew.remote({key: job_row(job) for key, job in held.items()}),
                                timeout=QUEUE_TIMEOUT_S)
            except Exception:  # the cluster went away: the jobs' own calls report it
                continue
            for key, reason in asked.items():
                held[key].request_stop(reason)  # only signals: the job's thread ends it


class RayLink:
    """One job's actor, seen from the server (a :class:`~wgan_core.live.backend.Link`)."""

    def __init__(self, ray, actor_class, job_id: int, stop_grace: float, kind: str):
        self._ray, self._actor_class = ray, actor_class
        self.job_id, self.stop_grace, self.kind = job_id, float(stop_grace), kind
        self.worker_id: str | None = None
        self._actor = None
        self._inflight = None  # the drain call under way
        self._pending: deque[tuple] = deque()
        self._stop_sent = False
        self._death: BaseException | None = None

    def start(self, factory: Callable, args: Sequence[Any], options: dict) -> None:
        resources = {"num_cpus": 1} if self.kind == "cpu" else {"num_cpus": 1, "num_gpus": GPU_FRACTION}
        worker_id = f"ray-{uuid.uuid4().hex[:12]}"
        self._actor = self._actor_class.options(max_concurrency=4, max_restarts=0, **resources).remote(
            factory, tuple(args), options, worker_id)
        self.worker_id = worker_id

    def send(self, command: tuple) -> None:
        if command[0] == "stop":
            self._stop_sent = True
        if self._actor is not None:
            try:
                self._actor.send.remote(command)
            except Exception:  # the actor is gone; receive() reports how
                pass

    def receive(self, timeout: float) -> tuple | None:
        if not self._pending:
            if self._inflight is None:
                self._inflight = self._actor.drain.remote(timeout)
            ready, _ = self._ray.wait([self._inflight], timeout=timeout + 1.0)
            if not ready:
                return None
            ref, self._inflight = self._inflight, None
            try:
                self._pending.extend(self._ray.get(ref))
            except Exception as exc:  # RayActorError and its kin: the actor died
                self._death = exc
                raise EOFError("the job's actor died") from exc
        return self._pending.popleft() if self._pending else None

    def death_note(self) -> str | None:
        if self._death is None:
            return None
        lines = [line.strip() for line in str(self._death).splitlines() if line.strip()]
        why = " … ".join(dict.fromkeys([lines[0], lines[-1]])) if lines else type(self._death).__name__
        node_lost = any("node" in line and ("died" in line or "terminated" in line) for line in lines)
        how = ("the cluster lost the node it ran on" if node_lost
               else "it was killed, or it could not start")
        return (f"WorkerDied: the training actor ({self.worker_id}) on the Ray cluster ended without reporting "
                f"an error: {how}. Ray says {type(self._death).__name__}: {why}"[:800])

    def close(self) -> None:
        """End the actor (the job's thread calls this after the end event or the stop grace): its
        resources go back to the cluster."""
        actor, self._actor = self._actor, None
        if actor is not None:
            try:
                self._ray.kill(actor, no_restart=True)
            except Exception:
                pass


class RayBackend:
    """Live jobs as actors on the Ray cluster at ``address``; the class's queue in the cluster."""

    name = "ray"
    parks = False  # a paused job's actor holds its CPU: it never gives its slot back while it lives

    def __init__(self, address: str):
        self.address = address
        self._lock = threading.Lock()
        self._ray = None
        self._actor_class = None

    def check(self) -> None:
        """Connect now (once); ClusterUnreachable names the address when the cluster does not answer."""
        self.connected()

    def connected(self):
        with self._lock:
            if self._ray is None:
                ray = connect(self.address)
                self._actor_class = ray.remote(_JobActor)
                self._ray = ray
            return self._ray

    def link(self, job_id: int, stop_grace: float, kind: str) -> RayLink:
        ray = self.connected()
        return RayLink(ray, self._actor_class, job_id, stop_grace, kind)

    def admission(self, cap: Callable[[str], int]) -> ClusterAdmission:
        """The cluster's admission; it connects on first use, so building a registry never does."""
        return ClusterAdmission(self, cap)
