"""Live jobs on the two backends, in one run: worker processes of this server against a Ray cluster.

For each backend, with the tiny toy job of the tests (two jobs after each other, cap 2):

* ``start_to_first_step_s`` — from ``Job.start()`` to the first step the server hears of, for the
  first job (the process backend's forkserver, or the first actor's worker, starts then) and the second;
* ``steps_per_s`` — a running job's throughput over ``--seconds`` s;
* ``worker_rss_mb`` — the resident memory of the job's worker (the process, or the actor's process);
* ``others_rss_mb`` — on Ray, the resident memory of every other process of the namespace while the
  job runs (the head's services and idle Ray workers: the cluster's fixed cost, not per job);
* ``server_rss_mb`` — this process's resident memory after the jobs (the app server's share);
* ``load`` — with ``--sessions N`` (default 10), :mod:`bench.classroom_load`'s scenario on a real
  ``streamlit run`` server of that backend: N browser sessions open a live lesson and press Start
  together (cap 2), with the server's ``/_stcore/health`` probed every 0.2 s (p95 and max).

The Ray side runs inside a private network namespace with a 2-CPU head (:mod:`tests.ray_namespace`),
as the tests do. Run: ``nice -n 10 python bench/live_backends.py [--seconds 10 --sessions 10]``;
prints JSON.
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


def others_rss_mb(skip: set[int]) -> float:
    """The resident memory of every visible process but ``skip`` (in a namespace: only its own)."""
    total = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        if int(status.parent.name) in skip:
            continue
        try:
            total += rss_mb(int(status.parent.name))
        except (OSError, ValueError):  # ended meanwhile, or a kernel thread without VmRSS
            pass
    return round(total, 1)


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
            pid = worker_pid(job)
            out["worker_rss_mb"] = rss_mb(pid)
            if registry.backend.name == "ray":
                out["others_rss_mb"] = others_rss_mb({pid, os.getpid()})
        job.stop()
        job.join(30)
    out["server_rss_mb"] = rss_mb(os.getpid())
    return out


def under_load(sessions: int, hold_s: float) -> dict:
    """Server health while ``sessions`` browser sessions press Start together on a live lesson (cap 2)."""
    from bench.classroom_load import checks, run_load

    result = run_load(sessions=sessions, max_jobs=2, hold_s=hold_s)
    keep = ("sessions", "health_samples", "health_failures", "health_p95_s", "health_max_s", "health_by_phase",
            "max_admitted_seen", "positions_shown", "all_jobs_registered_s", "stopped_after_s", "watchdog_stops",
            "load_avg_before", "load_avg_after")
    return {**{k: result.get(k) for k in keep}, "queued_under_load": result["status_under_load"].get("queued"),
            "checks_failed": [name for name, ok in checks(result).items() if not ok]}


def measure_all(seconds: float, sessions: int, hold_s: float) -> dict:
    out = measure(seconds)
    if sessions:
        out["load"] = under_load(sessions, hold_s)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions of the load part (0: none)")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds the load part keeps them training")
    parser.add_argument("--inside", action="store_true", help="measure this process's backend only (JSON line)")
    args = parser.parse_args()
    if args.inside:
        print("RESULT " + json.dumps(measure_all(args.seconds, args.sessions, args.hold)), flush=True)
        return
    from tests.ray_namespace import run_in_namespace

    results = [measure_all(args.seconds, args.sessions, args.hold)]
    inside = (f"python bench/live_backends.py --inside --seconds {args.seconds} --sessions {args.sessions} "
              f"--hold {args.hold}")
    done = run_in_namespace(inside + "\n", timeout=1800)
    line = next((row for row in done.stdout.splitlines() if row.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"the Ray run failed:\n{done.stdout[-3000:]}")
    results.append(json.loads(line.removeprefix("RESULT ")))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
