"""Memory growth of a long live run: the job's bounded buffers must keep the process flat.

Runs the mode-collapse lesson's live job as the app makes it (``bench.live_overhead.make_job``: the
three trainers, no step limit, trained in a worker process) with
a viewer thread here that draws the page every 2 s (see ``bench/live_overhead.py``), and samples the
resident memory (``VmRSS`` from ``/proc/<pid>/status``) of this process (the server's share: buffers,
figures) and of the job's worker every ``--every`` seconds; the total is what the job costs the
machine. Growth is measured from the end of the warm-up (``--warmup`` s: imports, first allocations,
POT's first call) to the end.

Run: ``python bench/live_memory.py --minutes 10`` (the measurement in bench/RESULTS.md) or
``--minutes 1`` for a quick check. Target: growth ≤ 50 MB over 10 minutes (server + worker).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.live_overhead import draw_page, make_job  # noqa: E402
from wgan_core import live as jobs  # noqa: E402


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (``VmRSS`` in ``/proc/<pid>/status``), MB; 0 for no process."""
    if pid is None:
        return 0.0
    status = Path(f"/proc/{pid}/status")
    try:
        text = status.read_text()
    except FileNotFoundError:
        return 0.0  # the worker has not started yet, or has ended
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"VmRSS not found in {status}")


def sample(job: jobs.Job) -> tuple[float, float]:
    """(server RSS, worker RSS) in MB."""
    return rss_mb(), rss_mb(job.pid)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=60.0, help="seconds before the baseline sample")
    ap.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    args = ap.parse_args()
    jobs.configure_torch_threads()
    job = make_job(jobs.JobRegistry(1, jobs_per_client=0), idle_timeout=3600)
    done = threading.Event()
    cache: dict = {}

    def viewer() -> None:
        while not done.wait(2.0):
            draw_page(job, cache)

    threading.Thread(target=viewer, daemon=True).start()
    t0 = time.monotonic()
    job.start()
    start = sample(job)
    baseline = None
    end = t0 + 60 * args.minutes
    print(f"t=0s server rss={start[0]:.1f} MB")
    while time.monotonic() < end:
        time.sleep(min(args.every, max(0.0, end - time.monotonic())))
        t = time.monotonic() - t0
        server, worker = sample(job)
        if baseline is None and t >= args.warmup:
            baseline = (server, worker)
        print(f"t={t:.0f}s server rss={server:.1f} MB worker rss={worker:.1f} MB total={server + worker:.1f} MB "
              f"steps={job.steps} logs={len(job.logs())} status={job.status}", flush=True)
    final = sample(job)  # before the stop: the worker exits with the job
    done.set()
    job.stop()
    baseline = baseline if baseline is not None else start
    grow = [f - b for f, b in zip(final, baseline, strict=True)]
    print(f"{args.minutes:g} min, {job.steps} steps x 3 methods, {len(job.logs())} log rows kept: "
          f"after warm-up server {baseline[0]:.1f} MB + worker {baseline[1]:.1f} MB = {sum(baseline):.1f} MB; "
          f"at the end {final[0]:.1f} + {final[1]:.1f} = {sum(final):.1f} MB; growth server {grow[0]:+.1f} MB, "
          f"worker {grow[1]:+.1f} MB, total {sum(grow):+.1f} MB (target <= 50 MB)")


if __name__ == "__main__":
    main()
