"""A Ray node lost under a running job: the job fails with a message that says its node was lost, and
its slot goes back to the class, so the job queued behind it starts on the node that is left.

The cluster is a ``ray.cluster_utils.Cluster`` (a 1-CPU head and one 1-CPU worker node) inside a
private network namespace (:mod:`tests.ray_namespace`), with the health check tightened so that the
lost node is noticed in seconds. :func:`test_a_lost_node_fails_its_job_and_frees_its_slot` makes the
namespace and runs :func:`test_in_the_namespace` there.
"""

from __future__ import annotations

import functools
import os
import time

import pytest

from tests.helpers import wait_for
from tests.live_factories import tiny_members

INSIDE = os.environ.get("WGAN_NODE_LOSS_RUN") == "1"  # set only by the namespace run below
#: Ray's health check in the namespace: a node that misses 3 checks 0.5 s apart is dead.
HEALTH_CHECK = {"RAY_health_check_period_ms": "500", "RAY_health_check_failure_threshold": "3"}


@pytest.mark.skipif(not INSIDE, reason="runs in the namespace that the next test makes")
def test_in_the_namespace(monkeypatch):
    import ray
    from ray.cluster_utils import Cluster

    from tests.ray_namespace import add_cluster_node
    from wgan_core import live
    from wgan_core.live.ray_backend import RayBackend

    temp_dir = os.environ["RAY_TMP"]
    cluster = Cluster()
    add_cluster_node(cluster, temp_dir, 6400, num_cpus=1)  # the head
    monkeypatch.setenv("WGAN_MAX_JOBS", "1")  # the class's cap: one job trains, the next one waits
    backend = RayBackend(cluster.address)
    backend.connected()
    # The head's CPU is held while the worker node joins, so the first job's actor must go there.
    holder = ray.remote(num_cpus=1)(lambda: time.sleep(3600)).remote()
    wait_for(lambda: ray.available_resources().get("CPU", 0) == 0)
    node = add_cluster_node(cluster, temp_dir, 6401, num_cpus=1)
    registry = live.JobRegistry(1, jobs_per_client=0, backend=backend)
    make = functools.partial(live.Job, registry=registry, idle_timeout=600.0)
    lost, waiting = make(functools.partial(tiny_members, seed=0)), make(functools.partial(tiny_members, seed=1))
    try:
        lost.start()
        wait_for(lambda: lost.steps > 0 or lost.status == "failed", timeout=300)
        assert lost.status == "running", lost.error
        waiting.start()
        wait_for(lambda: waiting.queue_position() == 1)
        ray.cancel(holder, force=True)  # the head's CPU is free again; the class's cap still holds the job back
        time.sleep(1.0)
        assert waiting.status == "queued" and waiting.pid is None
        cluster.remove_node(node, allow_graceful=False)  # the node is lost: its raylet and workers are killed
        removed = time.monotonic()
        assert lost.join(60) and lost.status == "failed"
        print(f"the lost node's job failed {time.monotonic() - removed:.1f} s after the node was killed")
        assert lost.error.startswith("WorkerDied: the training actor") and "lost the node it ran on" in lost.error
        assert lost.failure == "error"  # the page shows "The run failed: <that message>."
        wait_for(lambda: waiting.steps > 0 or waiting.status == "failed", timeout=300)  # its slot came back
        assert waiting.status == "running", waiting.error
        assert [row["holds_slot"] for row in registry.class_jobs()] == [True]
    finally:
        for job in (lost, waiting):
            job.stop(wait=None)
        for job in (lost, waiting):
            assert job.join(60)
    wait_for(lambda: ray.available_resources().get("CPU", 0) == ray.cluster_resources().get("CPU"))
    assert registry.status()["admitted"] == registry.status()["queued"] == 0


@pytest.mark.slow
def test_a_lost_node_fails_its_job_and_frees_its_slot():
    """Runs :func:`test_in_the_namespace` in a fresh network namespace."""
    if INSIDE:
        pytest.skip("this is the run inside the namespace")
    from tests.ray_namespace import run_tests_inside

    done = run_tests_inside(__file__, "test_in_the_namespace", 600, passed=1, num_cpus=None,
                            env={**HEALTH_CHECK, "WGAN_NODE_LOSS_RUN": "1"})
    print(next(line for line in done.stdout.splitlines() if "after the node was killed" in line))
