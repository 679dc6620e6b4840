"""wgan_core.live: a job drives the real Trainer in a worker process — controls, hyper-parameters,
cap and queue, watchdog, owner check, bounded buffers, crashes, the member protocol."""

from __future__ import annotations

import functools
import gc
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import pytest

from lessons.clipping_vs_gp import FrozenGenerator
from lessons.images import ImageRun
from lessons.mode_collapse import RingShare
from tests.helpers import wait_for
from wgan_core import live
from wgan_core.config import preset
from wgan_core.live import commands
from wgan_core.live import registry as registry_module
from wgan_core.trainer import Trainer

live.configure_torch_threads()
TINY = dict(width=16, depth=2, batch_size=32, eval_samples=64, metrics_every=5)


def tiny(loss: str = "wgan", seed: int = 0, device: str = "cpu") -> Trainer:
    name = {"wgan": "toy-wgan", "wgan-gp": "toy-wgan-gp", "gan": "toy-gan"}[loss]
    return Trainer(preset(name, seed=seed, device=device, **TINY))


# Factories are module-level functions (or partials of them): the worker unpickles them by name, and
# calls them with the job's device as a keyword.
def tiny_members(*losses: str, seed: int = 0, device: str) -> dict[str, Trainer]:
    """One tiny trainer per loss, named by the loss."""
    return {loss: tiny(loss, seed=seed, device=device) for loss in losses}


def broken_members(*, device: str) -> dict:
    raise RuntimeError("no data for this lesson")


class BrokenStep:
    """A member whose step raises (the loop must report it, not hang)."""

    g_step = 0

    def hparams(self):
        return {"clip_value": 0.01}

    def set_hparams(self, **changes):
        pass

    def metrics(self):
        return {}

    def snapshot(self):
        return {}

    def step(self):
        raise RuntimeError("boom")


def broken_step_members(*, device: str) -> dict:
    return {"b": BrokenStep()}


class DeviceEcho(BrokenStep):
    """A member that reports, in its snapshot, the device its factory was given."""

    def __init__(self, device: str):
        self.device = device

    def snapshot(self):
        return {"device": self.device}

    def step(self):
        self.g_step += 1


def device_echo_members(*, device: str) -> dict:
    return {"echo": DeviceEcho(device)}


def worker_gone(pid: int | None) -> bool:
    """The worker is neither our child any more nor a process at all (not even a zombie)."""
    return (pid is not None and all(p.pid != pid for p in multiprocessing.active_children())
            and not Path(f"/proc/{pid}").exists())


def process_job(registry, *losses: str, seed: int = 0, **options) -> live.Job:
    factory = functools.partial(tiny_members, *(losses or ("wgan",)), seed=seed)
    return live.Job(factory, registry=registry, **options)


@pytest.fixture
def registry(tmp_path):
    return live.JobRegistry(2, tmp_path / "status.json", jobs_per_client=0)


def test_trainer_and_the_lessons_adapters_are_job_members():
    trainer = tiny()
    for member in (trainer, FrozenGenerator(trainer), ImageRun(trainer)):
        assert isinstance(member, live.JobMember)
    assert not isinstance(object(), live.JobMember)
    with pytest.raises(ValueError, match="member 'x'.*lacks"):
        live.check_members({"x": object()})
    with pytest.raises(ValueError, match="non-empty"):
        live.check_members({})


def test_one_filter_routes_hyperparameters_to_the_members_that_have_them():
    current = {"gan": {"n_critic": 1, "lr": 1e-4}, "wgan": {"n_critic": 5, "clip_value": 0.01}}
    assert live.route_hparams(current, None, {"clip_value": 0.02, "n_critic": 5}) == {
        "gan": {"n_critic": 5}, "wgan": {"clip_value": 0.02, "n_critic": 5}}
    assert live.route_hparams(current, "wgan", {"n_critic": 5, "lr": 1.0}, only_changed=True) == {"wgan": {}}
    with pytest.raises(ValueError, match="no member 'gp'"):
        live.route_hparams(current, "gp", {"n_critic": 2})


def test_commands_have_one_dispatcher():
    class Loop:
        def __init__(self):
            self.calls = []

        def set_running(self, flag):
            self.calls.append(("run", flag))

        def add_steps(self, n):
            self.calls.append(("step", n))

        def wake(self):
            self.calls.append(("wake",))

        def set_hparams(self, member, changes):
            return {member: dict(changes)}

    loop, replies = Loop(), []
    assert not commands.apply(loop, commands.run(True), replies.append)
    assert not commands.apply(loop, commands.step(3), replies.append)
    assert not commands.apply(loop, commands.hparams(7, "wgan", {"n_critic": 2}), replies.append)
    assert commands.apply(loop, commands.STOP, replies.append)
    assert loop.calls == [("run", True), ("step", 3), ("wake",)]
    assert replies == [("hparams", 7, {"wgan": {"n_critic": 2}})]
    with pytest.raises(ValueError, match="unknown job command"):
        commands.apply(loop, ("fly",), replies.append)


def test_job_start_pause_step_stop_and_no_worker_left(registry):
    job = process_job(registry, "wgan", log_every=2, snapshot_every_s=0.0, extra_metrics=RingShare())
    assert job.pid is None and job.status == "new"  # nothing runs before Start
    job.start()
    wait_for(lambda: job.steps >= 3 and len(job.logs()) >= 2 and job.latest_snapshot() is not None)
    assert job.status == "running" and job.pid != os.getpid()
    assert any(p.pid == job.pid for p in multiprocessing.active_children())
    # the worker trains WGAN_WORKER_NICE (default 5) steps nicer than the server
    assert os.getpriority(os.PRIO_PROCESS, job.pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 5)
    first = job.logs()[0]
    assert first["member"] == "wgan" and first["g_step"] == 0 and 0.0 <= first["ring_share"] <= 1.0
    job.pause()
    wait_for(lambda: job.status == "paused")
    time.sleep(0.5)  # messages of steps already under way arrive
    frozen = job.steps
    time.sleep(0.5)
    assert job.steps == frozen  # paused: nothing moves
    job.step(2)
    wait_for(lambda: job.latest_snapshot()[0] == frozen + 2)
    step, snap = job.latest_snapshot()
    assert job.steps == frozen + 2 and job.status == "paused" and snap["wgan"]["samples"].shape == (64, 2)
    assert job.logs()[-1]["g_step"] == frozen + 2  # a manual step is always logged
    assert job.hparams()["wgan"]["n_critic"] == 5 and job.steps_per_second() > 0
    pid = job.pid
    job.stop()
    assert job.join(30) and job.status == "stopped" and job.stop_reason == "stopped by the user"
    wait_for(lambda: worker_gone(pid))
    assert registry.status()["admitted"] == 0
    with pytest.raises(ValueError, match="stopped"):
        job.start()


def test_a_job_equals_headless_training_on_the_same_seed(registry):
    """The job adds no training of its own: k job steps == k Trainer.step() calls."""
    headless = tiny(seed=3)
    for _ in range(4):
        headless.step()
    job = process_job(registry, "wgan", seed=3, log_every=1, max_steps=4)
    job.start()
    assert job.join(60) and job.status == "finished"
    step, snap = job.latest_snapshot()
    assert step == 4 and (snap["wgan"]["samples"] == headless.snapshot()["samples"]).all()


def test_hyperparameters_reach_the_worker(registry):
    job = process_job(registry, "wgan", "wgan-gp", log_every=1)
    assert job.set_hparams("wgan", n_critic=3) == {"wgan": {"n_critic": 3}}  # before the worker exists: held
    job.start()
    wait_for(lambda: job.steps >= 2)
    assert job.hparams()["wgan"]["n_critic"] == 3 and job.hparams()["wgan-gp"]["n_critic"] == 5
    assert job.set_hparams("wgan", clip_value=0.003)["wgan"]["clip_value"] == 0.003
    assert job.hparams()["wgan"]["clip_value"] == 0.003  # shown at once, before the worker answers

    def rows():
        return [e for e in job.logs() if e["member"] == "wgan" and e["clip_value"] == 0.003]

    wait_for(lambda: len(rows()) >= 3)  # the worker's own logs report the new c, step after step
    job.stop()
    later = rows()
    assert all(e["n_critic"] == 3 for e in later) and later[-1]["weight_max_abs"] <= 0.003 + 1e-7
    assert later[-1]["critic_steps"] > later[0]["critic_steps"]
    assert job.hparams()["wgan-gp"]["clip_value"] == 0.01  # the other member is untouched
    with pytest.raises(ValueError, match="clip_value"):
        job.set_hparams("wgan", clip_value=-1.0)
    with pytest.raises(ValueError, match="n_critic"):
        job.set_hparams("wgan", n_critic=2.5)
    with pytest.raises(ValueError, match="batch_size"):
        job.set_hparams(batch_size=3)
    with pytest.raises(ValueError, match="no member"):
        job.set_hparams("nope", n_critic=2)


def test_jobs_queue_without_a_worker_until_admitted(tmp_path):
    registry = live.JobRegistry(1, tmp_path / "status.json", jobs_per_client=0)
    first = process_job(registry)
    second = process_job(registry, seed=1)
    first.start()
    wait_for(lambda: first.status == "running" and first.pid is not None)
    second.start()
    wait_for(lambda: second.status == "queued")
    time.sleep(0.5)
    assert second.queue_position() == 1 and second.pid is None  # queued: no worker process
    assert [p.pid for p in multiprocessing.active_children() if p.name.startswith(live.WORKER_NAME)] == [first.pid]
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["max_jobs"] == 1 and status["admitted"] == 1 and status["queued"] == 1
    assert [j["pid"] for j in status["jobs"]] == [first.pid, None]
    first.stop()
    wait_for(lambda: second.status == "running" and second.steps > 0)
    assert worker_gone(first.pid) and second.pid is not None
    second.stop()
    assert second.join(30) and registry.status()["admitted"] == 0 and registry.active_jobs() == []
    wait_for(lambda: worker_gone(second.pid))


def test_watchdog_and_closed_owner_stop_the_worker(registry, caplog):
    idle = process_job(registry, idle_timeout=1.0)
    idle.start()
    assert idle.join(60) and idle.status == "stopped" and "watchdog" in idle.stop_reason
    wait_for(lambda: worker_gone(idle.pid))
    # the server's log says which job the watchdog stopped, and why; a closed session is not logged
    assert [r.getMessage() for r in caplog.records if "stopped by" in r.getMessage()] == [
        f"job {idle.id} ({idle.label}, client {idle.client}) stopped by the watchdog: nobody polled for 1 s"]
    alive = {"yes": True}
    owned = process_job(registry, owner_alive=lambda: alive["yes"], owner_grace=0.2)  # read in this process
    owned.step(1)
    wait_for(lambda: owned.steps == 1)
    alive["yes"] = False  # the browser session went away
    assert owned.join(60) and owned.status == "stopped" and "session" in owned.stop_reason
    wait_for(lambda: worker_gone(owned.pid))
    assert registry.status()["admitted"] == 0
    assert sum("stopped by" in r.getMessage() for r in caplog.records) == 1


def test_logs_stay_bounded_and_the_job_finishes_at_max_steps(registry):
    job = process_job(registry, log_every=1, max_logs=8, max_steps=40)
    job.start()
    assert job.join(120) and job.status == "finished" and job.stop_reason == "reached 40 steps"
    steps = [e["g_step"] for e in job.logs()]
    assert len(steps) <= 9 and steps[0] == 0 and steps == sorted(steps)
    assert steps[-1] >= 32  # thinned, not truncated: the end of the run is still there
    snapshots = job._buffers.snapshots
    assert job.steps == 40 and job.latest_snapshot()[0] == 40 and len(snapshots) <= snapshots.maxlen
    wait_for(lambda: worker_gone(job.pid))
    assert registry.status()["admitted"] == 0


def test_a_failing_factory_member_or_killed_worker_fails_the_job_and_frees_its_slot(registry):
    broken = live.Job(broken_members, registry=registry)
    broken.start()
    assert broken.join(60) and broken.status == "failed"
    assert broken.error == "RuntimeError: no data for this lesson"
    wait_for(lambda: worker_gone(broken.pid))
    step_fails = live.Job(broken_step_members, registry=registry)
    step_fails.start()
    assert step_fails.join(60) and step_fails.status == "failed" and step_fails.error == "RuntimeError: boom"
    with pytest.raises(ValueError, match="failed"):
        step_fails.start()
    assert registry.status()["admitted"] == 0

    victim = process_job(registry)
    victim.start()
    wait_for(lambda: victim.steps >= 1)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.join(60) and victim.status == "failed" and "SIGKILL" in victim.error
    assert registry.status()["admitted"] == 0 and registry.active_jobs() == []
    wait_for(lambda: worker_gone(victim.pid))


def test_the_jobs_device_is_chosen_once_and_passed_to_its_factory(tmp_path):
    # "cuda:1" on a machine whose own device is the CPU: only the job's choice can reach the factory
    registry = live.JobRegistry(1, tmp_path / "status.json", max_gpu_jobs=1, jobs_per_client=0)
    job = live.Job(device_echo_members, registry=registry, device="cuda:1", snapshot_every_s=0.0, log_every=1)
    assert job.kind == "gpu"
    job.step(1)
    wait_for(lambda: job.latest_snapshot() is not None)
    assert job.latest_snapshot()[1]["echo"]["device"] == "cuda:1"
    job.stop()
    assert job.join(30) and registry.status()["admitted_gpu"] == 0


def test_registry_shutdown_stops_every_worker(registry):
    running = process_job(registry)
    paused = process_job(registry, seed=1)
    running.start()
    paused.step(1)
    wait_for(lambda: running.steps >= 1 and paused.steps == 1)
    registry.shutdown("the server is shutting down")
    assert running.status == paused.status == "stopped" and paused.stop_reason == "the server is shutting down"
    wait_for(lambda: worker_gone(running.pid) and worker_gone(paused.pid))
    assert registry.status()["admitted"] == 0


def test_bad_arguments_raise_value_errors(registry, monkeypatch):
    factory = functools.partial(tiny_members, "wgan")
    with pytest.raises(ValueError, match="max_steps"):
        live.Job(factory, registry=registry, max_steps=0)
    with pytest.raises(ValueError, match="max_jobs"):
        live.JobRegistry(0)
    with pytest.raises(ValueError, match="picklable factory"):
        live.Job(lambda device: tiny_members("wgan", device=device), registry=registry)
    with pytest.raises(ValueError, match="picklable extra_metrics"):
        live.Job(factory, registry=registry, extra_metrics=lambda name, member: {})
    monkeypatch.setenv("WGAN_MAX_JOBS", "three")
    with pytest.raises(ValueError, match="WGAN_MAX_JOBS"):
        live.default_max_jobs()
    monkeypatch.setenv("WGAN_MAX_JOBS", "3")
    assert live.default_max_jobs() == 3
    monkeypatch.setenv("WGAN_WORKER_NICE", "20")
    with pytest.raises(ValueError, match="WGAN_WORKER_NICE='20' must be at most 19"):
        live.JobRegistry(1)


def test_publishing_the_status_never_waits_for_a_jobs_lock(registry):
    """Two sessions pressing Start at once must not deadlock on each other's job locks."""
    job = process_job(registry)
    with job._lock:  # another thread is inside this job (e.g. in start())
        writer = threading.Thread(target=registry.publish)
        writer.start()
        writer.join(10)
        assert not writer.is_alive()
    assert json.loads(registry.status_file.read_text())["jobs"][0]["id"] == job.id


def _publish_with_a_hook(registry, monkeypatch, hook):
    """Publish with ``hook()`` run inside the first file write, after its snapshot was taken."""
    real, calls = registry_module.atomic_write, []

    def write(path, data):
        calls.append(data)
        if len(calls) == 1:
            hook()
        return real(path, data)

    monkeypatch.setattr(registry_module, "atomic_write", write)
    registry.publish()
    return json.loads(registry.status_file.read_text())


def test_the_status_file_ends_with_the_newest_state_when_another_thread_publishes_mid_write(registry, monkeypatch):
    """A stale snapshot written last would say a job is alive after it ended (and was forgotten)."""
    job = process_job(registry)
    stopper = threading.Thread(target=job.stop, kwargs={"wait": None})  # its own publish, a newer snapshot
    first = _publish_with_a_hook(registry, monkeypatch, lambda: (stopper.start(), time.sleep(0.5)))
    stopper.join(10)
    assert [j["id"] for j in first["jobs"]] in ([job.id], [])
    assert json.loads(registry.status_file.read_text())["jobs"] == []


def test_a_closed_sessions_finalizer_only_signals_and_the_registry_drops_the_job(registry):
    """The finalizer may run inside any lock of the thread that collects the session: it takes none."""
    job = process_job(registry)
    with job._lock, registry._lock, registry._publish_lock:
        job.request_stop("the session ended")  # would deadlock if it locked or published
    assert job.status == "stopped" and job.stop_reason == "the session ended" and not job.live
    assert registry.jobs() == [] and registry.find(job.id) is None
    running = process_job(registry)
    running.start()
    wait_for(lambda: running.steps >= 1)
    with running._lock:
        running.request_stop("the session ended")
    assert running.join(30) and running.status == "stopped" and running.stop_reason == "the session ended"
    wait_for(lambda: worker_gone(running.pid))
    assert registry.jobs() == [] and registry.status()["admitted"] == 0


def test_ended_jobs_are_forgotten_when_they_end(tmp_path):
    """A server that runs a class's Resets keeps no ended job: after 500 ended jobs the registry holds none."""
    registry = live.JobRegistry(2, jobs_per_client=0)
    alive = weakref.WeakSet()
    for i in range(500):
        job = process_job(registry)
        alive.add(job)
        if i % 100 == 0:  # some of them train and end through their thread and worker
            job.step(1)
            wait_for(lambda j=job: j.steps == 1)
        job.stop()
        assert job.join(30)
    assert registry.jobs() == [] and registry.status()["jobs"] == [] and registry.admission.counts()["queued"] == 0
    del job
    gc.collect()
    assert len(alive) == 0  # nothing else holds them either


def test_importing_the_live_package_reads_no_setting(tmp_path):
    """The app's registry is built on first use: a bad WGAN_MAX_JOBS never makes the import raise."""
    code = ("import wgan_core.live as live, wgan_core.live.registry as r\n"
            "assert r._default is None\n"
            "try:\n    live.REGISTRY\nexcept ValueError as exc:\n    print(exc)\n")
    env = {**os.environ, "WGAN_MAX_JOBS": "lots", "PYTHONPATH": str(Path(__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "WGAN_MAX_JOBS='lots' is not a number"


def test_events_have_one_decoder():
    calls = []

    class Handler:
        def __getattr__(self, name):
            return lambda *fields: calls.append((name, *fields))

    handler = Handler()
    assert not live.events.apply(handler, live.events.ready(12, {"wgan": {"n_critic": 5}}))
    assert not live.events.apply(handler, live.events.record(3, [{"member": "wgan"}], None))
    assert live.events.apply(handler, live.events.failed("RuntimeError: boom", "error"))
    assert live.events.apply(handler, live.events.end("finished", "reached 4 steps"))
    assert calls == [("on_ready", 12, {"wgan": {"n_critic": 5}}), ("on_record", 3, [{"member": "wgan"}], None),
                     ("on_failed", "RuntimeError: boom", "error"), ("on_end", "finished", "reached 4 steps")]
    with pytest.raises(ValueError, match="unknown job event"):
        live.events.apply(handler, ("fly",))
    with pytest.raises(ValueError, match="ends"):
        live.events.end("exploded")
