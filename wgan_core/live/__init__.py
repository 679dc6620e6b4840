"""Live training jobs: one training loop per job, in a worker; the page only reads buffers.

===============  ====================================================================================
module           what it holds
===============  ====================================================================================
``member``       :class:`JobMember`, the contract of what a job trains, and :func:`route_hparams`
``loop``         the live job's loop (:class:`Loop`), on the one outer loop :func:`wgan_core.drive.drive`
``commands``     the commands a job sends its loop, and :func:`commands.apply`, the one dispatcher
``events``       the events a worker reports, and :func:`events.apply`, the one decoder
``worker``       :func:`worker.run_job`, the body of every worker; the worker process's start-up
``backend``      the seam: :class:`backend.Backend` and :class:`backend.Link`, and the default choice
``transport``    the process backend (the default): a worker process per job, joined by pipes
``ray_backend``  the Ray backend (``WGAN_RAY_ADDRESS``): an actor per job, the class's queue in the cluster
``admission``    this server's cap (CPU and GPU apart) and FIFO queue
``registry``     the jobs of this server, the per-client limit, watchdog and owner check
``job``          :class:`Job`: the controls and read side a page uses, the job's state machine
``supervisor``   a job's slot, held commands, worker link and supervising thread
``buffers``      a job's step count and bounded buffers: the thinning log, the newest snapshots
``settings``     the environment variables, with their defaults
===============  ====================================================================================

A comparison (GAN, WGAN and WGAN-GP on one seed) is one job with three members, so one slot.
"""

from . import events
from .job import Job
from .member import LIVE_HPARAMS, JobMember, check_members, route_hparams
from .registry import ACTIVE, ENDED, ClientLimitError, JobRegistry, default_registry
from .settings import default_max_jobs
from .worker import WORKER_NAME, configure_torch_threads, prepare_workers, worker_context

__all__ = ["ACTIVE", "ENDED", "LIVE_HPARAMS", "REGISTRY", "WORKER_NAME", "ClientLimitError", "Job", "JobMember",
           "JobRegistry", "check_members", "configure_torch_threads", "default_max_jobs", "default_registry",
           "events", "prepare_workers", "route_hparams", "worker_context"]


def __getattr__(name: str):
    if name == "REGISTRY":  # the app's registry, built from the settings on first use, never at import
        return default_registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
