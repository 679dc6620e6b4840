"""The job contract, run against both backends: the local worker processes and a Ray cluster.

Start, pause, step, stop, hyper-parameters, logs, snapshots, status, queueing beyond the cap, a failure
shown as ``Type: message``, a worker that dies, and nothing left after stop. The process side runs
here. The Ray side needs a cluster inside a private network namespace
(:mod:`tests.ray_namespace`): :func:`test_the_contract_holds_on_a_ray_cluster` starts one (one cluster
for the whole module) and runs this module's Ray cases beside it, with the class store's
(:mod:`tests.test_class_store`), which share the cluster.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import wait_for
from tests.live_factories import broken_members, tiny_members
from wgan_core import live

live.configure_torch_threads()
IN_NAMESPACE = os.environ.get("WGAN_RAY_ADDRESS")  # set only by the namespace run below
BACKENDS = ["ray"] if IN_NAMESPACE else ["process"]


@pytest.fixture(params=BACKENDS)
def registry(request, tmp_path):
    """A registry with room for 2 CPU jobs, on the backend under test."""
    if request.param == "process":
        return live.JobRegistry(2, tmp_path / "status.json", jobs_per_client=0)
    from wgan_core.live.ray_backend import RayBackend

    return live.JobRegistry(2, tmp_path / "status.json", jobs_per_client=0, backend=RayBackend(IN_NAMESPACE))


def nothing_left(job) -> bool:
    """The job's worker is gone: its process (not even a zombie), or its actor and the actor's CPU."""
    if job.registry.backend.name == "process":
        return (all(p.pid != job.pid for p in multiprocessing.active_children())
                and not Path(f"/proc/{job.pid}").exists())
    import ray

    return ray.available_resources().get("CPU", 0) == ray.cluster_resources().get("CPU")


def kill_worker(job) -> None:
    """What losing a node does to a job's worker."""
    if job.registry.backend.name == "process":
        os.kill(job.pid, signal.SIGKILL)
    else:
        import ray

        ray.kill(job._worker.link._actor)


def make(registry, seed: int = 0, **options) -> live.Job:
    """A tiny job; nobody polls it here, so its watchdog waits longer than a worker's first start."""
    options.setdefault("idle_timeout", 600.0)
    return live.Job(functools.partial(tiny_members, seed=seed), registry=registry, **options)


def test_start_pause_step_stop_logs_snapshots_status_and_nothing_left(registry):
    job = make(registry, log_every=2, snapshot_every_s=0.0)
    assert job.pid is None and job.status == "new"
    job.start()
    try:
        wait_for(lambda: job.steps >= 3 and len(job.logs()) >= 2 and job.latest_snapshot() is not None
                 or job.status == "failed", timeout=300)
    finally:
        print("first job:", job.describe(), len(job.logs()), job.latest_snapshot() is not None)
    assert job.status == "running", job.error
    status = registry.status()
    assert status["backend"] == registry.backend.name and status["admitted"] == 1
    assert [j["status"] for j in status["jobs"]] == ["running"] and status["jobs"][0]["pid"] == job.pid
    job.pause()
    wait_for(lambda: job.status == "paused")
    time.sleep(1.0)  # steps already under way arrive
    frozen = job.steps
    time.sleep(0.5)
    assert job.steps == frozen
    job.step(2)
    wait_for(lambda: job.latest_snapshot()[0] == frozen + 2)
    assert job.status == "paused" and job.logs()[-1]["g_step"] == frozen + 2
    assert job.latest_snapshot()[1]["wgan"]["samples"].shape == (64, 2)
    job.stop()
    assert job.join(60) and job.status == "stopped" and job.stop_reason == "stopped by the user"
    wait_for(lambda: nothing_left(job))
    assert registry.status()["admitted"] == 0 and registry.jobs() == []


def test_hyperparameters_reach_the_worker(registry):
    job = make(registry, log_every=1)
    job.start()
    wait_for(lambda: job.steps >= 2)
    assert job.set_hparams("wgan", clip_value=0.003)["wgan"]["clip_value"] == 0.003
    wait_for(lambda: any(e["clip_value"] == 0.003 for e in job.logs()))
    job.stop()
    assert [e for e in job.logs() if e["clip_value"] == 0.003][-1]["weight_max_abs"] <= 0.003 + 1e-7


def test_jobs_beyond_the_cap_queue_in_ask_order_and_start_when_a_slot_frees(registry):
    jobs = [make(registry, seed=i) for i in range(4)]
    try:
        for job in jobs:
            job.start()
            if job is jobs[1]:
                wait_for(lambda: jobs[0].status == jobs[1].status == "running" and jobs[1].steps > 0, timeout=300)
        wait_for(lambda: [j.queue_position() for j in jobs[2:]] == [1, 2])
        assert [j.status for j in jobs] == ["running", "running", "queued", "queued"]
        assert registry.status()["queued"] == 2 and jobs[2].pid is None
        jobs[1].stop()
        wait_for(lambda: jobs[2].status == "running" and jobs[2].steps > 0)
        assert jobs[3].status == "queued" and jobs[3].queue_position() == 1
    finally:
        for job in jobs:
            job.stop(wait=None)
        for job in jobs:
            assert job.join(60)
    wait_for(lambda: all(nothing_left(j) for j in jobs if j.pid is not None))
    assert registry.status()["admitted"] == registry.status()["queued"] == 0


def test_a_failure_is_shown_as_type_and_message_and_a_dead_worker_fails_its_job(registry):
    broken = live.Job(broken_members, registry=registry, idle_timeout=600.0)
    broken.start()
    assert broken.join(60) and broken.status == "failed" and broken.error == "RuntimeError: no data for this lesson"
    victim = make(registry)
    victim.start()
    wait_for(lambda: victim.steps >= 1)
    kill_worker(victim)
    assert victim.join(60) and victim.status == "failed" and victim.error.startswith("WorkerDied: the training")
    wait_for(lambda: nothing_left(victim))
    assert registry.status()["admitted"] == 0


@pytest.mark.skipif(not IN_NAMESPACE, reason="needs the Ray cluster of the namespace run")
def test_two_app_servers_on_one_cluster_share_one_cap_and_one_queue(tmp_path):
    """Each registry stands for an app server (its own backend, its own name in the class's queue)."""
    from wgan_core.live.ray_backend import RayBackend

    a, b = (live.JobRegistry(2, tmp_path / f"{n}.json", jobs_per_client=0, backend=RayBackend(IN_NAMESPACE))
            for n in "ab")
    on_a = [make(a, seed=i) for i in range(2)]
    on_b = make(b, seed=2)
    try:
        for job in on_a:
            job.start()
        wait_for(lambda: all(j.status == "running" and j.steps > 0 for j in on_a), timeout=300)
        on_b.start()
        wait_for(lambda: on_b.queue_position() == 1)
        time.sleep(1.0)
        assert on_b.status == "queued" and on_b.pid is None  # the cluster is full: B waits behind A
        assert b.status()["admitted"] == 2 and a.status()["queued"] == 1  # both servers see the class
        assert [(j["here"], j["holds_slot"]) for j in b.admission.jobs()] == [
            (False, True), (False, True), (True, False)]
        # Each server's class list (the teacher's panel) holds the other's jobs, as of their last renewal.
        wait_for(lambda: [(r["id"], r["status"]) for r in b.class_jobs() if not r["here"]]
                 == [(j.id, "running") for j in on_a], timeout=30)
        assert [(r["id"], r["status"], r["here"]) for r in a.class_jobs()] == [
            (on_a[0].id, "running", True), (on_a[1].id, "running", True), (on_b.id, "queued", False)]
        on_a[0].stop()
        wait_for(lambda: on_b.status == "running" and on_b.steps > 0)
        # The teacher's Stop on server B for a job of server A: A hears it when it next renews.
        b.stop_job(next(r for r in b.class_jobs() if r["id"] == on_a[1].id), "stopped by the teacher")
        assert on_a[1].join(60) and on_a[1].stop_reason == "stopped by the teacher"
    finally:
        for job in (*on_a, on_b):
            job.stop(wait=None)
        for job in (*on_a, on_b):
            assert job.join(60)
    wait_for(lambda: nothing_left(on_b))
    assert a.status()["admitted"] == b.status()["queued"] == 0


def test_without_a_ray_address_a_laptop_imports_no_ray():
    code = ("import sys, functools\nfrom wgan_core import live\nfrom tests.live_factories import tiny_members\n"
            "job = live.Job(functools.partial(tiny_members), registry=live.JobRegistry(1, jobs_per_client=0))\n"
            "job.step(1)\nimport time\nwhile job.steps < 1 and job.status != 'failed': time.sleep(0.05)\n"
            "job.stop()\nprint(job.registry.backend.name, 'ray' in sys.modules, job.error)\n")
    env = {k: v for k, v in os.environ.items() if k != "WGAN_RAY_ADDRESS"}
    env["PYTHONPATH"] = str(Path(__file__).parents[1])
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["process", "False"], out.stdout  # a failed job shows its error here


@pytest.mark.slow
def test_the_contract_holds_on_a_ray_cluster():
    """The Ray cases of this module (5) and of the class store's (10, :mod:`tests.test_class_store`),
    beside one 2-CPU Ray head in a private network namespace."""
    if IN_NAMESPACE:
        pytest.skip("this is the run inside the namespace")
    from tests.ray_namespace import run_tests_inside

    done = run_tests_inside([__file__, str(Path(__file__).with_name("test_class_store.py"))],
                            "not on_a_ray_cluster and not laptop", 1200, passed=15)
    print(done.stdout[-4000:])
