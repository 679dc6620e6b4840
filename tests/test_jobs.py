"""wgan_core.jobs: a background job drives the real Trainer; cap, queue, watchdog, bounded buffers."""

from __future__ import annotations

import json
import time

import pytest
import torch

from wgan_core import jobs
from wgan_core.config import preset
from wgan_core.trainer import Trainer

jobs.configure_torch_threads()
TINY = dict(width=16, depth=2, batch_size=32, eval_samples=64, metrics_every=5, device="cpu")


def tiny(loss: str = "wgan", seed: int = 0) -> Trainer:
    name = {"wgan": "toy-wgan", "wgan-gp": "toy-wgan-gp", "gan": "toy-gan"}[loss]
    return Trainer(preset(name, seed=seed, **TINY))


def wait_for(condition, timeout: float = 60.0) -> None:
    """Poll until ``condition()`` holds (a generous deadline, never a speed assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


@pytest.fixture
def registry(tmp_path):
    return jobs.JobRegistry(2, tmp_path / "status.json")


def test_start_pause_step_stop_drive_the_trainer(registry):
    trainer = tiny()
    job = jobs.TrainingJob({"wgan": trainer}, registry=registry, log_every=2, snapshot_every_s=0.0)
    job.start()
    wait_for(lambda: job.steps >= 3)
    assert job.status == "running"
    job.pause()
    wait_for(lambda: job.status == "paused")
    time.sleep(0.1)
    frozen = job.steps
    time.sleep(0.3)
    assert job.steps == frozen == trainer.g_step  # paused: nothing moves
    job.step(2)
    wait_for(lambda: job.steps == frozen + 2)
    time.sleep(0.2)
    assert job.steps == trainer.g_step == frozen + 2 and job.status == "paused"
    step, snap = job.latest_snapshot()
    assert step == frozen + 2 and snap["wgan"]["samples"].shape == (64, 2)
    job.stop()
    assert job.join(10) and job.status == "stopped"
    assert registry.status()["admitted"] == 0


def test_a_job_equals_headless_training_on_the_same_seed(registry):
    """The job adds no training of its own: k job steps == k Trainer.step() calls."""
    headless = tiny(seed=3)
    for _ in range(4):
        headless.step()
    live = tiny(seed=3)
    job = jobs.TrainingJob({"m": live}, registry=registry, log_every=1, max_steps=4)
    job.start()
    assert job.join(60) and job.status == "finished" and live.g_step == 4
    for a, b in zip(headless.generator.parameters(), live.generator.parameters(), strict=True):
        assert torch.equal(a, b)


def test_live_hyperparameters_apply_from_the_next_step(registry):
    job = jobs.TrainingJob({"wgan": tiny(), "gp": tiny("wgan-gp")}, registry=registry, log_every=1)
    job.start()
    wait_for(lambda: job.steps >= 2)
    assert job.set_hparams("wgan", clip_value=0.003)["wgan"]["clip_value"] == 0.003
    at = job.steps
    wait_for(lambda: job.steps >= at + 3)
    job.stop()
    later = [e for e in job.logs() if e["member"] == "wgan" and e["g_step"] > at + 1]
    assert later and all(e["clip_value"] == 0.003 for e in later)
    # the weights obey the new box once a step has run with it
    assert max(p.abs().max().item() for p in job.members["wgan"].critic.parameters()) <= 0.003 + 1e-7
    assert job.hparams()["gp"]["clip_value"] == 0.01  # the other member is untouched
    with pytest.raises(ValueError, match="clip_value"):
        job.set_hparams("wgan", clip_value=-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        job.set_hparams(batch_size=3)
    with pytest.raises(ValueError, match="no member"):
        job.set_hparams("nope", n_critic=2)


def test_cap_queues_in_order_and_admits_when_a_slot_frees(tmp_path):
    registry = jobs.JobRegistry(1, tmp_path / "status.json")
    first = jobs.TrainingJob({"m": tiny()}, registry=registry)
    second = jobs.TrainingJob({"m": tiny(seed=1)}, registry=registry)
    first.start()
    wait_for(lambda: first.status == "running")
    second.start()
    wait_for(lambda: second.status == "queued")
    assert second.queue_position() == 1 and second.steps == 0
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["max_jobs"] == 1 and status["admitted"] == 1 and status["queued"] == 1
    first.stop()
    wait_for(lambda: second.status == "running" and second.steps > 0)
    second.stop()
    assert registry.status()["admitted"] == 0 and registry.active_jobs() == []


def test_watchdog_and_closed_owner_stop_jobs(registry):
    idle = jobs.TrainingJob({"m": tiny()}, registry=registry, idle_timeout=0.3)
    idle.start()
    assert idle.join(30) and idle.status == "stopped" and "watchdog" in idle.stop_reason
    alive = {"yes": True}
    owned = jobs.TrainingJob({"m": tiny()}, registry=registry, owner_alive=lambda: alive["yes"], owner_grace=0.2)
    owned.pause()
    owned.step(1)
    wait_for(lambda: owned.steps == 1)
    alive["yes"] = False  # the browser session went away
    assert owned.join(30) and owned.status == "stopped" and "session" in owned.stop_reason
    assert registry.status()["admitted"] == 0


def test_logs_stay_bounded_and_keep_the_whole_curve(registry):
    job = jobs.TrainingJob({"m": tiny()}, registry=registry, log_every=1, max_logs=8, max_steps=40)
    job.start()
    assert job.join(120) and job.status == "finished"
    steps = [e["g_step"] for e in job.logs()]
    assert len(steps) <= 9 and steps[0] == 0 and steps == sorted(steps)
    assert steps[-1] >= 32  # thinned, not truncated: the end of the run is still there
    assert len(job._snapshots) <= job._snapshots.maxlen


def test_a_failing_trainer_marks_the_job_failed_and_frees_its_slot(registry):
    class Broken:
        g_step = 0

        def hparams(self):
            return {"clip_value": 0.01}

        def metrics(self):
            return {}

        def snapshot(self):
            return {}

        def step(self):
            raise RuntimeError("boom")

    job = jobs.TrainingJob({"b": Broken()}, registry=registry)
    job.start()
    assert job.join(10) and job.status == "failed" and "boom" in job.error
    assert registry.status()["admitted"] == 0
    with pytest.raises(ValueError, match="failed"):
        job.start()


def test_bad_arguments_raise_value_errors(registry, monkeypatch):
    with pytest.raises(ValueError, match="members"):
        jobs.TrainingJob({}, registry=registry)
    with pytest.raises(ValueError, match="max_steps"):
        jobs.TrainingJob({"m": tiny()}, registry=registry, max_steps=0)
    with pytest.raises(ValueError, match="max_jobs"):
        jobs.JobRegistry(0)
    monkeypatch.setenv("WGAN_MAX_JOBS", "three")
    with pytest.raises(ValueError, match="WGAN_MAX_JOBS"):
        jobs.default_max_jobs()
    monkeypatch.setenv("WGAN_MAX_JOBS", "3")
    assert jobs.default_max_jobs() == 3


def test_publishing_the_status_never_waits_for_a_jobs_lock(registry):
    """Two sessions pressing Start at once must not deadlock on each other's job locks."""
    import threading

    job = jobs.TrainingJob({"m": tiny()}, registry=registry)
    with job._lock:  # another thread is inside this job (e.g. in start())
        writer = threading.Thread(target=registry.publish)
        writer.start()
        writer.join(10)
        assert not writer.is_alive()
    assert json.loads(registry.status_file.read_text())["jobs"][0]["id"] == job.id
