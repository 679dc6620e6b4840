"""Live jobs on the two backends, in one run: worker processes of this server against a Ray cluster.

For each backend, with the tiny toy job of the tests (two jobs after each other, cap 2):

* ``start_to_first_step_s`` — from ``Job.start()`` to the first step the server hears of, for the
  first job (the process backend's forkserver, or the first actor's worker, starts then) and the second;
* ``steps_per_s`` — a running job's throughput over ``--seconds`` s;
* ``worker_rss_mb`` — the resident memory of the job's worker (the process, or the actor's process);
* ``server_rss_mb`` — this process's resident memory after the jobs (the app server's share).

The Ray side runs inside a private network namespace with a 2-CPU head (:mod:`tests.ray_namespace`),
as the tests do. Run: ``nice -n 10 python bench/live_backends.py [--seconds 10]``; prints JSON.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def worker_pid(job) -> int:
    if job.registry.backend.name == "process":
        return int(job.pid)
    import ray

    return ray.get(job._worker.link._actor.pid.remote())


def measure(seconds: float) -> dict:
    """The numbers for the backend ``WGAN_RAY_ADDRESS`` selects (worker processes when unset)."""
    from tests.live_factories import tiny_members
    from wgan_core import live

    live.configure_torch_threads()
    t0 = time.perf_counter()
    registry = live.JobRegistry(2, jobs_per_client=0)
    out = {"backend": registry.backend.name, "registry_s": round(time.perf_counter() - t0, 3),
           "start_to_first_step_s": []}
    for seed in (0, 1):
        job = live.Job(functools.partial(tiny_members, seed=seed), registry=registry, log_every=50)
        t = time.perf_counter()
        job.start()
        while job.steps < 1:
            time.sleep(0.005)
            if job.status == "failed":
                raise RuntimeError(job.error)
        out["start_to_first_step_s"].append(round(time.perf_counter() - t, 3))
        if seed == 1:
            first = job.steps
            time.sleep(seconds)
            out["steps_per_s"] = round((job.steps - first) / seconds, 1)
            out["worker_rss_mb"] = rss_mb(worker_pid(job))
        job.stop()
        job.join(30)
    out["server_rss_mb"] = rss_mb(os.getpid())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--inside", action="store_true", help="measure this process's backend only (JSON line)")
    args = parser.parse_args()
    if args.inside:
        print("RESULT " + json.dumps(measure(args.seconds)), flush=True)
        return
    from tests.ray_namespace import run_in_namespace

    results = [measure(args.seconds)]
    done = run_in_namespace(f"python bench/live_backends.py --inside --seconds {args.seconds}\n", timeout=900)
    line = next((row for row in done.stdout.splitlines() if row.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"the Ray run failed:\n{done.stdout[-3000:]}")
    results.append(json.loads(line.removeprefix("RESULT ")))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
