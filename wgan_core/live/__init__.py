"""Live training jobs: one training loop per job, in a worker process; the page only reads buffers.

=============  =====================================================================================
module         what it holds
=============  =====================================================================================
``member``     :class:`JobMember`, the contract of what a job trains, and :func:`route_hparams`
``loop``       THE training loop (:class:`Loop`) and the bounded, thinning log
``commands``   the commands a job sends its loop, and :func:`commands.apply`, the one dispatcher
``worker``     the worker process: forkserver start-up (:func:`prepare_workers`), its main function
``transport``  the server's end of a worker: pipes, held commands, exit and kill
``registry``   the cap (CPU and GPU apart), FIFO queue, per-client limit, watchdog and owner check
``job``        :class:`Job`: the controls and read side a page uses, and its supervising thread
``settings``   the environment variables, with their defaults
=============  =====================================================================================

A comparison (GAN, WGAN and WGAN-GP on one seed) is one job with three members, so one slot.
"""

from .job import Job
from .member import LIVE_HPARAMS, JobMember, check_members, route_hparams
from .registry import ACTIVE, ENDED, REGISTRY, ClientLimitError, JobRegistry
from .settings import default_max_jobs
from .worker import WORKER_NAME, configure_torch_threads, prepare_workers, worker_context

__all__ = ["ACTIVE", "ENDED", "LIVE_HPARAMS", "REGISTRY", "WORKER_NAME", "ClientLimitError", "Job", "JobMember",
           "JobRegistry", "check_members", "configure_torch_threads", "default_max_jobs", "prepare_workers",
           "route_hparams", "worker_context"]
