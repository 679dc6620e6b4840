"""Memory growth of a long live run: the job's bounded buffers must keep the process flat.

Runs the mode-collapse lesson's three trainers in one :class:`wgan_core.jobs.TrainingJob` (no step
limit) with a viewer thread that draws the page every second (see ``bench/live_overhead.py``), and
samples the process's resident memory (``VmRSS``) every ``--every`` seconds. Growth is measured from
the end of the warm-up (``--warmup`` s: imports, first allocations, POT's first call) to the end.

Run: ``python bench/live_memory.py --minutes 10`` (the measurement in bench/RESULTS.md) or
``--minutes 1`` for a quick check. Target: growth ≤ 50 MB over 10 minutes.
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

import lessons.mode_collapse as lesson  # noqa: E402
from bench.live_overhead import SNAPSHOT_EVERY_S, draw_page  # noqa: E402
from wgan_core import jobs  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found in /proc/self/status")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=60.0, help="seconds before the baseline sample")
    ap.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    args = ap.parse_args()
    jobs.configure_torch_threads()
    job = jobs.TrainingJob(lesson.build_members("8gaussians", 0), registry=jobs.JobRegistry(1),
                           log_every=lesson.NETWORK["metrics_every"], idle_timeout=3600,
                           extra_metrics=lesson.ring_metrics("8gaussians"), snapshot_every_s=SNAPSHOT_EVERY_S)
    done = threading.Event()
    cache: dict = {}

    def viewer() -> None:
        while not done.wait(2.0):
            draw_page(job, cache)

    threading.Thread(target=viewer, daemon=True).start()
    t0 = time.monotonic()
    job.start()
    start_rss = rss_mb()
    baseline = None
    end = t0 + 60 * args.minutes
    print(f"t=0s rss={start_rss:.1f} MB")
    while time.monotonic() < end:
        time.sleep(min(args.every, max(0.0, end - time.monotonic())))
        t = time.monotonic() - t0
        rss = rss_mb()
        if baseline is None and t >= args.warmup:
            baseline = rss
        print(f"t={t:.0f}s rss={rss:.1f} MB steps={job.steps} logs={len(job.logs())} status={job.status}",
              flush=True)
    done.set()
    job.stop()
    final = rss_mb()
    baseline = baseline if baseline is not None else start_rss
    print(f"{args.minutes:g} min, {job.steps} steps x 3 methods, {len(job.logs())} log rows kept: "
          f"rss after warm-up {baseline:.1f} MB, at the end {final:.1f} MB, growth {final - baseline:+.1f} MB "
          "(target <= 50 MB)")


if __name__ == "__main__":
    main()
