"""Cost of watching a run: trainer throughput with the live view attached vs headless.

Headless: the mode-collapse lesson's three trainers (built by ``lesson.build_members`` with the live
sliders' defaults) stepped in this process with ``Trainer.run`` (metrics every ``log_every`` steps, as
the job logs). Live: a job made exactly as ``app.live.LivePanel`` makes it —
``live.Job(functools.partial(lesson.build_members, dataset, seed), (live_values,))`` (a worker process),
the lesson's ``RingShare`` metric, logs every ``log_every`` steps, a snapshot every 2 s — while a viewer
thread *in this process* does what the page's fragments do: touch the job every second and, every 2 s,
read its logs and latest snapshot, compute the KDEs, build the figures whose data changed and serialise
all of them. Live throughput is counted from the
moment the job's trainers are built and training starts (``job.started_at``) to its end, like headless
(whose trainers are built before its clock starts); the worker's start-up is printed separately, and
so is the share of one core the training got while watched (CPU seconds of the worker process over wall
seconds, from ``/proc``): it shows *why* a live run is slower — a machine with no free core (the 2-core
box is shared).
A short warm-up of both (not counted) comes first. Rounds alternate headless/live so that background
load on a shared machine hits both; the medians are compared.

Run: ``python bench/live_overhead.py [--steps 150 --rounds 3]``; prints generator
steps per second and the live/headless ratio (target: the live view costs at most 10 %).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import plotly.io as pio  # noqa: E402

import lessons.mode_collapse as lesson  # noqa: E402
from plots import live as live_plots  # noqa: E402
from plots import mode_collapse as plots  # noqa: E402
from wgan_core import live as jobs  # noqa: E402


def draw_page(job: jobs.Job, cache: dict) -> int:
    """What the mode-collapse page does on one poll; returns how many figures it had to build.

    Like the view (``app.live.cached_figure``), a figure is rebuilt only when its data changed (a new
    snapshot or a new log round); every poll still serialises every figure, as ``st.plotly_chart`` does.
    """
    job.touch()
    latest = job.latest_snapshot()
    if latest is None:
        return 0
    step, snaps = latest
    logs = job.logs()
    built = 0

    def figure(name, version, build):
        nonlocal built
        if name not in cache or cache[name][0] != version:
            cache[name] = (version, build())
            built += 1
        return cache[name][1]

    def panel(snap, method):
        x, y = snap["field"]["x"][::2], snap["field"]["y"][::2]
        return plots.method_panel(snap, (x, y, lesson.kde_grid(snap["samples"], x, y)), method)

    logs_version = (len(logs), logs[-1]["g_step"] if logs else -1)
    figs = [figure(m, step, lambda s=snap, m=m: panel(s, m)) for m, snap in snaps.items()]
    figs.append(figure("w1", logs_version, lambda: live_plots.curves(logs, "w1_exact", "W1", lesson.METHOD_LABELS)))
    figs.append(figure("ring", logs_version,
                       lambda: plots.circle_vs_bumps(logs, "wgan", lesson.circle_then_bumps(logs))))
    figs.append(figure("clip", logs_version, lambda: live_plots.curves(
        [e for e in logs if e["member"] == "wgan"], "clip_value", "c")))
    for fig in figs:
        pio.to_json(fig.to_dict(), validate=False)  # what st.plotly_chart sends to the browser
    return built


#: As ``app.live.LivePanel`` (its default).
SNAPSHOT_EVERY_S = 2.0


#: The run the bench watches: the lesson's default page (8 Gaussians, seed 0, the live sliders' defaults).
DATASET, SEED = "8gaussians", 0
LIVE_VALUES = {c.key: c.default for c in lesson.LIVE_CONTROLS}


def headless(steps: int, log_every: int) -> float:
    members = lesson.build_members(DATASET, SEED, dict(LIVE_VALUES))
    t0 = time.perf_counter()
    for trainer in members.values():
        for _ in trainer.run(steps, metrics_every=log_every):
            pass
    return steps / (time.perf_counter() - t0)


def make_job(registry: jobs.JobRegistry, log_every: int = lesson.NETWORK["metrics_every"], **options) -> jobs.Job:
    """The live job as ``app.live.LivePanel._new_job`` makes it for the mode-collapse page."""
    return jobs.Job(functools.partial(lesson.build_members, DATASET, SEED), (dict(LIVE_VALUES),),
                    registry=registry, log_every=log_every, extra_metrics=lesson.ring_metrics(DATASET),
                    snapshot_every_s=SNAPSHOT_EVERY_S, label=lesson.__name__, **options)


def cpu_seconds(stat: Path) -> float | None:
    """User + system CPU seconds from a ``/proc/.../stat`` file (None once the process is gone)."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def trainer_stat(job: jobs.Job) -> Path | None:
    """Where the CPU time of the job's training shows: its worker process."""
    return Path(f"/proc/{job.pid}/stat") if job.pid else None


def live(steps: int, log_every: int) -> tuple[float, int, float, float]:
    """Steps per second of a watched live job, page polls, seconds from Start to training, and the share of
    one core the training got meanwhile (CPU seconds of the worker / wall seconds)."""
    job = make_job(jobs.JobRegistry(1, jobs_per_client=0), log_every, max_steps=steps)
    polls = 0
    done = threading.Event()
    cache: dict = {}
    cpu: list[tuple[float, float]] = []  # (monotonic time, trainer CPU seconds), sampled every second

    def viewer() -> None:  # as app.live.LivePanel.poll: status every second, figures every 2 s
        nonlocal polls
        while not done.wait(1.0):
            job.touch()
            polls += 1
            stat = trainer_stat(job) if job.started_at is not None else None
            used = cpu_seconds(stat) if stat is not None else None
            if used is not None:
                cpu.append((time.monotonic(), used))
            if polls % 2 == 0:
                draw_page(job, cache)

    thread = threading.Thread(target=viewer, daemon=True)
    t0 = time.monotonic()
    job.start()
    thread.start()
    job.join()
    end = time.monotonic()
    done.set()
    thread.join()
    assert job.status == "finished", job.error
    share = (cpu[-1][1] - cpu[0][1]) / (cpu[-1][0] - cpu[0][0]) if len(cpu) > 2 else float("nan")
    return steps / (end - job.started_at), polls, job.started_at - t0, share


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=150, help="generator steps per method and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--log-every", type=int, default=lesson.NETWORK["metrics_every"])
    args = ap.parse_args()
    print(f"torch threads: {jobs.configure_torch_threads()}; {args.steps} steps x 3 methods, "
          f"logs every {args.log_every}, {args.rounds} rounds, live job in a worker process")
    # warm-up, not counted: one-time costs (POT's import in this process, the worker forkserver's start
    # and preloads) must not land in the first round of either side
    headless(args.log_every, args.log_every)
    live(args.log_every, args.log_every)
    h, lv, shares = [], [], []
    for r in range(args.rounds):
        h.append(headless(args.steps, args.log_every))
        rate, polls, startup, share = live(args.steps, args.log_every)
        lv.append(rate)
        shares.append(share)
        print(f"round {r + 1}: headless {h[-1]:.2f} steps/s, live {lv[-1]:.2f} steps/s ({polls} page polls; "
              f"Start to training {startup:.2f} s; training got {100 * share:.0f} % of a core)", flush=True)
    ratio = statistics.median(lv) / statistics.median(h)
    print(f"median headless {statistics.median(h):.2f} steps/s, live {statistics.median(lv):.2f} "
          f"steps/s; live/headless = {ratio:.3f} (cost {100 * (1 - ratio):.1f} %, target <= 10 %); per round: "
          + ", ".join(f"{x / y:.2f}" for x, y in zip(lv, h, strict=True))
          + f"; training's share of a core while watched: median {100 * statistics.median(shares):.0f} %")


if __name__ == "__main__":
    main()
