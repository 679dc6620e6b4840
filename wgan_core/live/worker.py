r"""The worker process of a live job: how it starts, and what runs in it.

Workers start from a ``forkserver`` (else ``spawn``), never by ``fork`` from the server:

* the server is multi-threaded, and a forked copy of a threaded process can inherit locks held by
  threads that do not exist in the child;
* CUDA cannot be used in a child forked after CUDA was initialised in the parent. The forkserver is a
  fresh interpreter that imports the preload list and never touches CUDA, so each worker initialises
  CUDA itself; :func:`worker_main` checks that it was not forked from a process that had
  (``torch.cuda`` reports such a child as a "bad fork").

The forkserver imports a preload list once, so that no worker pays for it (a worker trains 0.05 s
after Start): :data:`BASE_PRELOAD` here, plus what the application passes to :func:`prepare_workers`
(the app adds its lessons; the library never names them). Workers never re-run the server's
``__main__`` (under Streamlit, a page script): see :func:`_without_main_for_workers`.

In the worker, :func:`worker_main` runs :func:`run_job`, the body every backend shares: it builds the
members with the job's picklable factory on the job's device (chosen once, by the server), runs the
loop, applies commands as they arrive (:func:`wgan_core.live.commands.apply`) and reports events
(:mod:`wgan_core.live.events`). A member's exception ends the job with :func:`describe_failure`; the
worker then frees its GPU memory and exits.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import commands as C
from . import events
from .loop import Loop
from .settings import torch_threads, worker_nice

#: Name prefix of the worker processes.
WORKER_NAME = "wgan-training-job"
#: Modules every worker needs: torch, ``torch._dynamo`` (the first optimizer a process builds imports
#: it: about 1 s), POT (:mod:`wgan_core.pot`: about 1 s; the toy metrics compute an exact W1 with it) and
#: the trainer.
BASE_PRELOAD = ("torch", "torch._dynamo", "wgan_core.pot", "wgan_core.trainer")

_context: Any = None
_preload: list[str] = list(BASE_PRELOAD)
_context_lock = threading.Lock()


def _without_main_for_workers(get_preparation_data: Callable[[str], dict]) -> Callable[[str], dict]:
    """Wrap ``multiprocessing.spawn.get_preparation_data`` so that *our* workers never re-run ``__main__``.

    A forkserver/spawn child normally re-executes the parent's main script as ``__mp_main__``. In the
    Streamlit server ``sys.modules["__main__"]`` is the page script being run, so a worker would run a
    whole page before training. Workers need nothing from ``__main__``: their target and factory live
    in importable modules. Only processes named :data:`WORKER_NAME`-… are affected.
    """
    def preparation_data(name: str) -> dict:
        data = get_preparation_data(name)
        if name.startswith(WORKER_NAME):
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    preparation_data.wraps_for_workers = True  # type: ignore[attr-defined]
    return preparation_data


def worker_context():
    """The multiprocessing context of the workers: ``forkserver`` with the preload list, else ``spawn``."""
    global _context
    with _context_lock:
        if _context is None:
            from multiprocessing import spawn

            if not getattr(spawn.get_preparation_data, "wraps_for_workers", False):
                spawn.get_preparation_data = _without_main_for_workers(spawn.get_preparation_data)
            if "forkserver" in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(list(_preload))
            else:
                ctx = multiprocessing.get_context("spawn")
            assert ctx.get_start_method() != "fork", "live workers must never be forked from the server"
            _context = ctx
        return _context


def prepare_workers(preload: Sequence[str] = ()) -> None:
    """Start the worker forkserver now, importing :data:`BASE_PRELOAD` and ``preload`` once.

    Call it early (the app does, with its lessons) so that the first Start does not wait for it. The
    list counts only before the forkserver starts; a module missing from it is imported by each worker.
    """
    global _context
    with _context_lock:
        extra = [m for m in preload if m not in _preload]
        if extra and _context is not None and _context.get_start_method() == "forkserver":
            _context.set_forkserver_preload(_preload + extra)  # effective unless it is running already
        _preload.extend(extra)
    ctx = worker_context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def lower_worker_priority() -> int:
    """Make this worker ``WGAN_WORKER_NICE`` steps nicer than the process that started it; returns
    its niceness."""
    return os.nice(worker_nice())


def configure_torch_threads() -> int:
    """Set this process's torch intra-op threads to ``WGAN_TORCH_THREADS`` (default 1); returns the count."""
    import torch

    torch.set_num_threads(torch_threads())
    return torch.get_num_threads()


#: Kinds of failure a job reports (``Job.failure``), so that a page can say what to do.
FAILURES = ("diverged", "gpu-memory", "error")


def describe_failure(exc: BaseException) -> tuple[str, str]:
    """``(kind, message)`` of a member's exception: a divergence keeps its own message
    ("diverged at step N (critic loss nan)"), running out of GPU memory gets a plain sentence, anything
    else is ``"Type: message"``."""
    import torch

    from wgan_core.divergence import DivergedError

    if isinstance(exc, DivergedError):
        return "diverged", str(exc)
    if isinstance(exc, torch.OutOfMemoryError):
        detail = str(exc).splitlines()[0] if str(exc) else "out of memory"
        return "gpu-memory", ("the GPU ran out of memory, so this run stopped and gave its memory back; the "
                              "other runs go on. Start again when fewer runs train at once (the teacher can lower "
                              f"WGAN_MAX_GPU_JOBS). torch said: {detail}")
    return "error", f"{type(exc).__name__}: {exc}"


def _free_gpu_memory() -> None:
    import torch

    if torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def _check_cuda_not_inherited() -> None:
    import torch

    if getattr(torch.cuda, "_is_in_bad_fork", lambda: False)():
        raise RuntimeError("this worker was forked from a process that had initialised CUDA; "
                           "live workers must come from the forkserver or spawn")


class EventSink:
    """The loop's sink: progress leaves as events (:mod:`wgan_core.live.events`) through ``emit``,
    one at a time (the loop's thread and the command thread both report)."""

    def __init__(self, emit: Callable[[tuple], None]):
        self._emit = emit
        self._lock = threading.Lock()

    def send(self, event: tuple) -> None:
        with self._lock:
            self._emit(event)

    def on_steps(self, steps: int) -> None:
        self.send(events.steps(steps))

    def on_record(self, steps: int, logs: list[dict], snapshot: dict | None) -> None:
        self.send(events.record(steps, logs, snapshot))


def _serve_commands(loop: Loop, next_command: Callable[[], tuple], stop: threading.Event, sink: EventSink) -> None:
    """Apply commands as they come; the end of the command stream (EOFError, OSError) means stop."""
    while True:
        try:
            command = next_command()
        except (EOFError, OSError):
            command = C.STOP
        try:
            done = C.apply(loop, command, sink.send)
        except OSError:  # the events' way back is gone: nobody to train for
            done = True
        if done:
            stop.set()
            loop.wake()
            return


def _train(factory, args, options, next_command, sink: EventSink, worker_id) -> None:
    """Build the members on the job's device, serve commands in a thread, run the loop, report the end."""
    loop_options = {k: v for k, v in options.items() if k != "device"}
    loop = Loop(factory(*args, device=options["device"]), sink, **loop_options)
    sink.send(events.ready(worker_id, loop.hparams()))
    stop = threading.Event()
    threading.Thread(target=_serve_commands, args=(loop, next_command, stop, sink), daemon=True).start()
    if loop.run(stop.is_set):
        sink.send(events.end("finished", f"reached {options['max_steps']} steps"))
    else:
        sink.send(events.end("stopped"))


def run_job(factory: Callable, args: Sequence[Any], options: dict, next_command: Callable[[], tuple],
            emit: Callable[[tuple], None], worker_id: Any = None) -> None:
    """THE body of a job's worker, whatever runs it (a worker process or a Ray actor).

    Builds ``factory(*args, device=options["device"])`` (the job's device, chosen once by the server:
    the factory never resolves it again), trains the members in a :class:`~wgan_core.live.loop.Loop`
    with the other ``options``,
    applies each ``next_command()`` (blocking; EOFError when the server is gone) and reports every event
    through ``emit``. A member's exception ends the job with :func:`describe_failure`: the members live
    only in :func:`_train`'s frame, so once the exception is handled they are garbage and their GPU
    memory goes back to the driver before the failure is reported.
    """
    sink = EventSink(emit)
    failed = None
    try:
        _train(factory, tuple(args), options, next_command, sink, os.getpid() if worker_id is None else worker_id)
    except BaseException as exc:  # reported to the server, which marks the job failed
        failed = describe_failure(exc)
    if failed is not None:
        gc.collect()
        _free_gpu_memory()
        sink.send(events.failed(failed[1], failed[0]))


def worker_main(factory, args, options, commands, events_out) -> None:
    """Entry point of a worker process: :func:`run_job` over its two pipes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the server's terminal: the server decides
    try:
        _check_cuda_not_inherited()
        lower_worker_priority()
        configure_torch_threads()
        run_job(factory, args, options, commands.recv, events_out.send)
    except OSError:
        pass  # the server is gone too
    finally:
        events_out.close()
