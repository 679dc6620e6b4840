"""The live jobs' settings, read from the environment; a bad value raises a ValueError naming the variable.

=========================  =============================================================  ============
variable                   meaning                                                        default
=========================  =============================================================  ============
``WGAN_MAX_JOBS``          CPU jobs that may hold a slot at once                          CPU cores
``WGAN_MAX_GPU_JOBS``      GPU jobs that may hold a slot at once                          see below
``WGAN_JOB_IDLE_TIMEOUT``  seconds without a poll before the watchdog stops a job         30
``WGAN_PAUSE_GRACE_S``     seconds a paused job keeps its slot before giving it back      60
``WGAN_JOBS_PER_CLIENT``   live jobs one client address may hold (0: no limit)            1
``WGAN_TORCH_THREADS``     torch intra-op threads of each worker                          1
``WGAN_WORKER_NICE``       CPU niceness each worker adds to the server's (0 to 19)        5
``WGAN_JOB_STATUS_FILE``   a JSON file the registry rewrites with its state               (none)
``WGAN_RAY_ADDRESS``       the Ray cluster live jobs train on (``host:port``, ``ray://…``)  (none)
=========================  =============================================================  ============

Without ``WGAN_RAY_ADDRESS`` each job is a worker process of the app server, capped by
``WGAN_MAX_JOBS``; with it each job is a Ray actor, and the cap is the cluster's CPUs (or
``WGAN_MAX_JOBS`` when set), shared by every app server pointed at that cluster.

A worker runs ``WGAN_WORKER_NICE`` steps nicer (0 to 19) than the server, so that on a busy machine
the server answers the class's pages first and the training takes the CPU time left; with a core
free for each job it loses nothing.

The GPU cap's default is the device's memory divided by :data:`GPU_JOB_FOOTPRINT_BYTES`, at least 1.
"""

from __future__ import annotations

import math
import os

#: Memory one live GPU job is assumed to take (the CUDA context, the networks, their optimiser
#: states, a batch of activations and the allocator's cache). The value is a conservative estimate,
#: still to be measured on a GPU (``bench/live_memory.py`` on a CUDA machine); set
#: ``WGAN_MAX_GPU_JOBS`` to override the cap it gives.
GPU_JOB_FOOTPRINT_BYTES = 2 * 1024**3


def env_number(name: str, default: float, minimum: float, maximum: float = math.inf) -> float:
    """``float(os.environ[name])`` (``default`` when unset or empty), checked to lie in
    [``minimum``, ``maximum``]."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} is not a number") from exc
    if value < minimum:
        raise ValueError(f"{name}={raw!r} must be at least {minimum:g}")
    if value > maximum:
        raise ValueError(f"{name}={raw!r} must be at most {maximum:g}")
    return value


def default_max_jobs() -> int:
    """``WGAN_MAX_JOBS`` if set, else one CPU job per core."""
    return int(env_number("WGAN_MAX_JOBS", max(1, os.cpu_count() or 1), 1))


def gpu_job_cap(total_memory_bytes: int, footprint_bytes: int = GPU_JOB_FOOTPRINT_BYTES) -> int:
    """How many live jobs fit in ``total_memory_bytes`` of GPU memory at ``footprint_bytes`` each (at least 1)."""
    if footprint_bytes <= 0:
        raise ValueError(f"footprint_bytes must be positive, got {footprint_bytes}")
    return max(1, int(total_memory_bytes) // int(footprint_bytes))


def cuda_memory_bytes() -> int | None:
    """Total memory of GPU 0, or None without CUDA. (Initialises CUDA in *this* process: the workers
    come from a forkserver that never does, so they stay safe.)"""
    import torch

    if not torch.cuda.is_available():
        return None
    return int(torch.cuda.get_device_properties(0).total_memory)


def default_max_gpu_jobs(total_memory_bytes: int | None) -> int:
    """``WGAN_MAX_GPU_JOBS`` if set, else :func:`gpu_job_cap` of the device's memory (1 when unknown)."""
    fallback = 1 if total_memory_bytes is None else gpu_job_cap(total_memory_bytes)
    return int(env_number("WGAN_MAX_GPU_JOBS", fallback, 1))


def default_idle_timeout() -> float:
    return env_number("WGAN_JOB_IDLE_TIMEOUT", 30.0, 0.1)


def default_pause_grace() -> float:
    return env_number("WGAN_PAUSE_GRACE_S", 60.0, 0.0)


def default_jobs_per_client() -> int:
    return int(env_number("WGAN_JOBS_PER_CLIENT", 1, 0))


def torch_threads() -> int:
    return int(env_number("WGAN_TORCH_THREADS", 1, 1))


def worker_nice() -> int:
    return int(env_number("WGAN_WORKER_NICE", 5, 0, 19))


def status_file() -> str | None:
    """``WGAN_JOB_STATUS_FILE``, or None."""
    return os.environ.get("WGAN_JOB_STATUS_FILE", "").strip() or None


def ray_address() -> str | None:
    """``WGAN_RAY_ADDRESS`` (``host:port`` or ``ray://host:port``), or None for the local worker processes."""
    raw = os.environ.get("WGAN_RAY_ADDRESS", "").strip()
    if not raw:
        return None
    if raw == "auto" or ":" not in raw:
        raise ValueError(f"WGAN_RAY_ADDRESS={raw!r} must be the cluster's host:port (or ray://host:port)")
    return raw


def max_jobs_set() -> int | None:
    """``WGAN_MAX_JOBS`` when set, else None (a cluster then caps by its CPUs)."""
    return int(env_number("WGAN_MAX_JOBS", 0, 1)) or None
