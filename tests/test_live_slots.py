"""Slots of live jobs: a paused job gives its slot back after its grace and queues again on Resume, one
live job per client, GPU jobs capped apart from CPU jobs, and failures (a run that really diverges, a
GPU that runs out of memory) that end one job with a clear message while the others go on."""

from __future__ import annotations

import functools
import time

import numpy as np
import pytest
import torch

from tests.helpers import wait_for
from wgan_core import live
from wgan_core.config import TrainConfig, preset
from wgan_core.live import settings, worker
from wgan_core.trainer import Trainer

live.configure_torch_threads()
TINY = dict(width=16, depth=2, batch_size=32, eval_samples=64, metrics_every=5, device="cpu")
#: The largest learning rates the config allows (as in tests/test_divergence.py): the critic's weights
#: overflow within a few steps, so the first metrics read after them finds NaN/inf.
DIVERGING = dict(dataset="8gaussians", width=32, depth=3, batch_size=64, device="cpu", seed=0, eval_samples=64,
                 loss="wgan-gp", optimizer="rmsprop", lr=1.0, critic_lr_ratio=1000.0, lambda_gp=1000.0)


# Factories are module-level (the worker unpickles them by name).
def tiny_members(seed: int = 0, *, device: str) -> dict:
    return {"wgan": Trainer(preset("toy-wgan", seed=seed, **dict(TINY, device=device)))}


def cpu_members(seed: int = 0, *, device: str) -> dict:
    """A GPU job for the cap (``device="cuda"``) whose members train on the CPU: the cap is what is tested,
    on machines with no GPU too."""
    return tiny_members(seed, device="cpu")


def diverging_members(*, device: str) -> dict:
    return {"wgan-gp": Trainer(TrainConfig(**dict(DIVERGING, device=device)))}


class OutOfGPUMemory:
    """A member whose step runs out of GPU memory, as a CUDA allocation would (torch.OutOfMemoryError)."""

    g_step = 0

    def hparams(self):
        return {"n_critic": 5}

    def set_hparams(self, **changes):
        pass

    def metrics(self):
        return {}

    def snapshot(self):
        return {"samples": np.zeros((2, 2))}

    def step(self):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def oom_members(*, device: str) -> dict:  # a fake member: nothing of it lives on the device
    return {"run": OutOfGPUMemory()}


def job(registry, seed: int = 0, **options) -> live.Job:
    return live.Job(functools.partial(tiny_members, seed), registry=registry, **options)


def test_a_paused_job_gives_its_slot_back_after_the_grace_and_resume_queues_it(tmp_path):
    registry = live.JobRegistry(1, tmp_path / "status.json", jobs_per_client=0)
    a = job(registry, pause_grace=1.0, log_every=1)
    b = job(registry, seed=1)
    a.start()
    wait_for(lambda: a.status == "running" and a.steps >= 2)
    a.pause()
    paused_at = time.monotonic()
    wait_for(lambda: not a.holds_slot, while_waiting=a.touch)  # polling does not reset the grace
    assert time.monotonic() - paused_at >= 1.0 and a.status == "paused"
    assert registry.status()["admitted"] == 0 and [j["holds_slot"] for j in registry.status()["jobs"]] == [False, False]
    worker_pid, frozen = a.pid, a.steps
    b.start()  # the freed slot serves the class
    wait_for(lambda: b.status == "running" and b.steps >= 1)
    a.start()  # Resume while the class is full: back in line, its worker kept
    wait_for(lambda: a.status == "queued")
    assert a.queue_position() == 1 and a.pid == worker_pid and a.steps == frozen
    b.stop()
    # The step count arrives before that step's log (two messages), so wait for the log itself.
    wait_for(lambda: a.status == "running" and a.logs()[-1]["g_step"] > frozen)
    assert a.pid == worker_pid and a.steps > frozen  # it carried on where it was
    a.pause()
    a.step(1)  # a Step is activity: the grace starts again
    assert a.holds_slot
    a.stop()
    assert a.join(30) and registry.status()["admitted"] == 0


def test_one_live_job_per_client_unless_the_limit_is_lifted(monkeypatch):
    registry = live.JobRegistry(4, jobs_per_client=1)
    first = job(registry, label="mode_collapse", client="10.0.0.7")
    with pytest.raises(live.ClientLimitError, match=r"10\.0\.0\.7.*'mode_collapse'") as err:
        job(registry, label="images", client="10.0.0.7")
    assert err.value.holder is first and registry.jobs_of("10.0.0.7") == [first]
    other = job(registry, client="10.0.0.8")  # another student
    first.stop(wait=None)  # stopping frees the client's share at once
    again = job(registry, client="10.0.0.7")
    assert registry.jobs_of("10.0.0.7") == [again]
    unlimited = live.JobRegistry(4, jobs_per_client=0)
    twins = [job(unlimited, client="10.0.0.7") for _ in range(3)]
    assert len(unlimited.jobs_of("10.0.0.7")) == 3
    for j in (other, again, *twins):
        j.stop()
    monkeypatch.setenv("WGAN_JOBS_PER_CLIENT", "-1")
    with pytest.raises(ValueError, match="WGAN_JOBS_PER_CLIENT"):
        live.JobRegistry(1)
    monkeypatch.setenv("WGAN_JOBS_PER_CLIENT", "2")
    assert live.JobRegistry(1).jobs_per_client == 2
    monkeypatch.setenv("WGAN_PAUSE_GRACE_S", "soon")
    with pytest.raises(ValueError, match="WGAN_PAUSE_GRACE_S"):
        job(unlimited)


def test_gpu_jobs_have_their_own_cap_from_the_device_memory(monkeypatch):
    monkeypatch.delenv("WGAN_MAX_GPU_JOBS", raising=False)
    assert settings.gpu_job_cap(141 * 2**30) == 141 // 2  # an H200 at the assumed footprint
    assert settings.gpu_job_cap(2**30) == 1 and settings.default_max_gpu_jobs(None) == 1
    monkeypatch.setenv("WGAN_MAX_GPU_JOBS", "3")
    assert settings.default_max_gpu_jobs(141 * 2**30) == 3
    monkeypatch.delenv("WGAN_MAX_GPU_JOBS")
    registry = live.JobRegistry(1, jobs_per_client=0, gpu_memory=lambda: 5 * settings.GPU_JOB_FOOTPRINT_BYTES // 2)
    assert registry.max_gpu_jobs == 2
    # device="cuda" makes a job a GPU job for the cap; these members train on the CPU (no GPU here)
    gpus = [live.Job(functools.partial(cpu_members, s), registry=registry, device="cuda") for s in range(3)]
    cpus = [job(registry, seed=s) for s in range(2)]
    for j in gpus + cpus:
        j.step(1)  # admitted jobs do one step and hold their slot, paused
    wait_for(lambda: all(j.steps == 1 for j in gpus[:2] + cpus[:1]))
    assert [j.status for j in gpus] == ["paused", "paused", "queued"] and gpus[2].queue_position() == 1
    assert [j.status for j in cpus] == ["paused", "queued"] and cpus[1].queue_position() == 1
    status = registry.status()
    assert (status["max_jobs"], status["max_gpu_jobs"], status["admitted"], status["admitted_gpu"]) == (1, 2, 3, 2)
    gpus[0].stop()
    wait_for(lambda: gpus[2].steps == 1)  # a GPU slot freed: the next GPU job, not the CPU one
    assert cpus[1].status == "queued"
    for j in gpus + cpus:
        j.stop(wait=None)
    for j in gpus + cpus:
        assert j.join(30)
    assert registry.status()["admitted"] == 0


def test_a_run_that_really_diverges_fails_with_its_message_and_keeps_its_last_good_snapshot():
    registry = live.JobRegistry(2, jobs_per_client=0)
    diverging = live.Job(diverging_members, registry=registry, log_every=5, snapshot_every_s=0.0)
    healthy = job(registry)
    healthy.start()
    diverging.start()
    assert diverging.join(60) and diverging.status == "failed" and diverging.failure == "diverged"
    assert diverging.error.startswith("diverged at step 5 (") and diverging.error.endswith(")")
    assert diverging.error.split(" (")[1].split(" ")[0] in ("critic", "gradient")  # critic loss/weights, penalty
    step, snap = diverging.latest_snapshot()
    assert step == 0 and np.isfinite(snap["wgan-gp"]["samples"]).all()  # the last good one, kept
    at = healthy.steps
    wait_for(lambda: healthy.steps > at)  # the other job goes on
    assert healthy.status == "running"
    healthy.stop()


def test_a_job_out_of_gpu_memory_fails_with_a_clear_message_and_the_others_go_on():
    registry = live.JobRegistry(2, jobs_per_client=0)
    healthy = job(registry)
    healthy.start()
    oom = live.Job(oom_members, registry=registry, device="cuda")
    oom.start()
    assert oom.join(60) and oom.status == "failed" and oom.failure == "gpu-memory"
    assert oom.error.startswith("the GPU ran out of memory") and "Tried to allocate 2.00 GiB" in oom.error
    at = healthy.steps
    wait_for(lambda: healthy.steps > at)
    assert healthy.status == "running" and registry.status()["admitted_gpu"] == 0
    healthy.stop()


def test_workers_never_fork_from_the_server_and_preload_what_the_app_names():
    assert worker.worker_context().get_start_method() in ("forkserver", "spawn")
    assert not any(m.split(".")[0] == "lessons" for m in worker.BASE_PRELOAD)  # the library names no lesson
    kind, message = worker.describe_failure(torch.OutOfMemoryError("CUDA out of memory."))
    assert kind == "gpu-memory" and "WGAN_MAX_GPU_JOBS" in message
