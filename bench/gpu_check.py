r"""Everything that needs a GPU, in one go (under 8 minutes), printed as ONE JSON object on stdout.

Parts, each with its own time limit inside the overall budget, each reported as ``ok``, ``failed``
(with the reason) or ``skipped`` (with the reason, e.g. a module the machine lacks):

* ``environment`` — Python, torch, the GPUs (name, memory) and which optional modules import;
* ``cuda_tests`` — ``tests/test_cuda.py`` under pytest (its ``cuda`` cases skip without a GPU);
* ``image_throughput`` — ``bench/image_throughput.py`` at 64x64 (Trainer vs the eager loop, target
  at least 3x, TFLOP/s and the share of the GPU's dense bf16 peak), on LSUN-shaped synthetic images;
* ``lsun_200`` — a 200-step ``train-images`` run on a tiny generated LSUN-format lmdb, with the GPU
  options (bf16, channels_last, uint8 data on the device, CUDA graphs);
* ``live_jobs`` — two live jobs of the images lesson sharing the GPU through the jobs API (worker
  processes, the lesson's GPU profile chosen by ``WGAN_DEVICE=cuda``);
* ``torchrun_2gpu`` — ``torchrun --nproc_per_node 2`` of ``train-images`` where there are 2 GPUs
  (bf16, channels_last, no compile).

The GPU image may lack Streamlit, plotly and POT: nothing here imports Streamlit or plotly, and a part
that needs a missing module is skipped and says which; ``--wheels DIR`` first installs the wheels
found in DIR (offline) into a temporary directory used by every part. ``--dry-run`` runs the same
plan on the CPU at tiny sizes (``tests/test_gpu_check.py`` runs it). Examples::

    python bench/gpu_check.py > gpu_check.json          # on the GPU machine
    python bench/gpu_check.py --dry-run                 # on a CPU: the plan, tiny, in about a minute
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 480.0
#: Seconds each part may take at most (and never more than what is left of the budget).
LIMITS = {"cuda_tests": 120, "image_throughput": 120, "lsun_200": 120, "live_jobs": 120, "torchrun_2gpu": 90}
#: Module -> the package that provides it, for the report and for ``--wheels``.
OPTIONAL = {"numpy": "numpy", "scipy": "scipy", "sklearn": "scikit-learn", "ot": "POT", "lmdb": "lmdb",
            "PIL": "pillow", "pytest": "pytest", "tqdm": "tqdm", "streamlit": "streamlit", "plotly": "plotly"}
NEEDS = {"cuda_tests": ("pytest", "numpy"),
         "image_throughput": ("numpy",),
         "lsun_200": ("numpy", "scipy", "ot", "lmdb", "PIL"),
         "live_jobs": ("numpy", "scipy", "sklearn", "ot"),
         "torchrun_2gpu": ("numpy", "scipy", "ot", "lmdb", "PIL")}


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def missing(part: str) -> list[str]:
    return [OPTIONAL[m] for m in NEEDS[part] if not have(m)]


def run_command(cmd: list[str], limit: float, env: dict | None = None) -> tuple[int, str, float]:
    """Run ``cmd`` from the repository root; (exit status, stdout + stderr, seconds). 124: timed out."""
    print(f"gpu_check: {' '.join(cmd)} (at most {limit:.0f} s)", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=max(1.0, limit),
                             env={**os.environ, **(env or {})})
        return out.returncode, out.stdout + out.stderr, time.monotonic() - t0
    except subprocess.TimeoutExpired as exc:
        text = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return 124, text + f"\n(timed out after {limit:.0f} s)", time.monotonic() - t0


def failure(rc: int, text: str) -> dict:
    return {"status": "failed", "reason": f"exit {rc}", "tail": text.strip().splitlines()[-12:]}


# ----------------------------------------------------------------------------------------------
# Parts
# ----------------------------------------------------------------------------------------------

def environment() -> dict:
    import torch

    gpus = [{"name": torch.cuda.get_device_name(i),
             "memory_gib": round(torch.cuda.get_device_properties(i).total_memory / 2**30, 1)}
            for i in range(torch.cuda.device_count())]
    return {"status": "ok", "python": platform.python_version(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "gpus": gpus, "cpu_count": os.cpu_count(),
            "modules": {OPTIONAL[m]: have(m) for m in OPTIONAL}}


def cuda_tests(plan: dict, limit: float) -> dict:
    # one process on the GPU box (the suite's default two xdist workers need pytest-xdist there)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=-ra --strict-markers",
           "tests/test_cuda.py"]
    if plan["dry_run"]:
        cmd += ["-k", "uint8 and cpu"]  # one fast case; the rest collect
    rc, text, seconds = run_command(cmd, limit)
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|error|errors|deselected)", text)}
    result = {"status": "ok" if rc == 0 else "failed", "seconds": round(seconds, 1), "counts": counts}
    return result if rc == 0 else {**failure(rc, text), **result, "status": "failed"}


def image_throughput(plan: dict, limit: float) -> dict:
    cmd = [sys.executable, "bench/image_throughput.py", "--synthetic", "--json", "--device", plan["device"]]
    cmd += (["--image-size", "32", "--width", "4", "--batch-size", "4", "--n-critic", "1", "--seconds", "0.3",
             "--threads", "1"]
            if plan["dry_run"] else ["--image-size", "64", "--seconds", "10"])
    rc, text, seconds = run_command(cmd, limit)
    if rc != 0:
        return failure(rc, text)
    numbers = json.loads(text.strip().splitlines()[-1])
    return {"status": "ok", "seconds": round(seconds, 1), **numbers,
            "meets_target": numbers["speedup"] >= numbers["target_speedup"]}


def write_tiny_lmdb(root: Path, n: int = 96, seed: int = 0) -> Path:
    """An LSUN-format lmdb (``<root>/bedroom_train_lmdb``: key -> JPEG bytes) of ``n`` random images."""
    import lmdb
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    path = root / "bedroom_train_lmdb"
    path.mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(path), map_size=64 << 20)
    with env.begin(write=True) as txn:
        for i in range(n):
            pixels = rng.integers(0, 256, (72, 96, 3), dtype=np.uint8)
            buf = io.BytesIO()
            Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
            txn.put(f"{i:08d}".encode(), buf.getvalue())
    env.close()
    return root


def train_images_args(plan: dict, data_root: Path, out: Path, steps: int, graphs: bool = True) -> list[str]:
    args = ["--dataset", "lsun", "--data-root", str(data_root), "--device", plan["device"], "--steps", str(steps),
            "--data-on-device", "--workers", "0", "--no-progress", "--out", str(out), "--eval-samples", "64",
            "--metrics-every", str(max(1, steps // 2)), "--grid-every", str(steps), "--checkpoint-every", str(steps)]
    if plan["dry_run"]:  # one torch thread: two threads on a shared, loaded CPU wait on each other
        return args + ["--image-size", "32", "--ngf", "4", "--ndf", "4", "--z-dim", "8", "--batch-size", "8",
                       "--threads", "1"]
    mode = "reduce-overhead" if graphs else "none"  # the 2-GPU run checks DDP, not the graphs
    return args + ["--image-size", "64", "--bf16", "--channels-last", "--compile", mode]


def summary_of(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    keep = ("g_step", "critic_steps", "g_steps_per_s", "wall_seconds", "device", "world_size", "critic_estimate",
            "w1_pixels")
    return {k: summary[k] for k in keep if k in summary}


def lsun_200(plan: dict, limit: float, work: Path) -> dict:
    steps = 3 if plan["dry_run"] else 200
    out = work / "lsun_run"
    cmd = [sys.executable, "-m", "wgan_core.images.cli", *train_images_args(plan, work / "lsun", out, steps)]
    rc, text, seconds = run_command(cmd, limit)
    if rc != 0:
        return failure(rc, text)
    summary = summary_of(out)
    ok = summary.get("g_step") == steps
    return {"status": "ok" if ok else "failed", "seconds": round(seconds, 1), "steps": steps, **summary}


def torchrun_2gpu(plan: dict, limit: float, work: Path, gpus: int) -> dict:
    if not plan["dry_run"] and gpus < 2:
        return {"status": "skipped", "reason": f"{gpus} GPU(s) here; needs 2"}
    steps = 2 if plan["dry_run"] else 50
    out = work / "ddp_run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "wgan_core.images.cli", *train_images_args(plan, work / "lsun", out, steps, graphs=False)]
    rc, text, seconds = run_command(cmd, limit, env={"OMP_NUM_THREADS": "1"})
    if rc != 0:
        return failure(rc, text)
    summary = summary_of(out)
    ok = summary.get("world_size") == 2 and summary.get("g_step") == steps
    return {"status": "ok" if ok else "failed", "seconds": round(seconds, 1), "steps": steps, **summary}


def live_jobs(plan: dict, limit: float) -> dict:
    """Run :func:`live_jobs_here` in a fresh process (its jobs start their own worker processes)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--part", "live_jobs"] + (["--dry-run"] * plan["dry_run"])
    rc, text, seconds = run_command(cmd, limit, env={"WGAN_DEVICE": plan["device"]})
    if rc != 0:
        return failure(rc, text)
    return {**json.loads(text.strip().splitlines()[-1]), "seconds": round(seconds, 1)}


def make_job(factory, args, device: str, client: str, **options):
    """A live job through the jobs API (:class:`wgan_core.live.Job`: a worker process per job);
    ``client`` stands for the student's browser (the registry allows one job per client)."""
    from wgan_core.live import Job

    return Job(factory, args, device=device, client=client, **options)


def live_jobs_here(dry_run: bool) -> dict:
    import lessons.images as lesson

    device, profile = lesson.live_profile()
    steps = 2 if dry_run else 30  # on a GPU most of the part's time is compiling the CUDA graphs
    settings = [dict(dataset="digits", generator="dcgan", method=m, seed=0) for m in ("wgan", "wgan-gp")]
    jobs = [make_job(functools.partial(lesson.build_members, s), ({},), device, f"student-{i}", max_steps=steps,
                     log_every=10, label=f"gpu-check-{s['method']}") for i, s in enumerate(settings)]
    t0 = time.monotonic()
    for job in jobs:
        job.start()
    both_running = False  # seen training side by side on the device at one poll
    while time.monotonic() - t0 < LIMITS["live_jobs"] - 15 and any(j.status in ("new", "queued", "running")
                                                                     for j in jobs):
        for job in jobs:
            job.touch()  # what a page's poll does; without it the watchdog stops an unwatched job
        both_running |= all(j.status == "running" and j.steps > 0 for j in jobs)
        time.sleep(0.5)
    rows = []
    for job in jobs:
        if job.status not in ("finished", "stopped", "failed"):
            job.stop("gpu check over", wait=5.0)
        rows.append({"label": getattr(job, "label", None), "status": job.status,
                     "steps": job.steps, "steps_per_s": round(job.steps_per_second(), 2), "error": job.error})
    ok = all(r["status"] == "finished" and r["steps"] >= steps for r in rows)
    profile_name = next(name for name, p in lesson.PROFILES.items() if p is profile)
    return {"status": "ok" if ok else "failed", "device": device, "profile": profile_name,
            "wall_s": round(time.monotonic() - t0, 1), "both_running_seen": both_running, "jobs": rows}


# ----------------------------------------------------------------------------------------------
# The driver
# ----------------------------------------------------------------------------------------------

def install_wheels(folder: Path, target: Path) -> dict:
    wheels = sorted(str(p) for p in folder.glob("*.whl"))
    if not wheels:
        return {"status": "failed", "reason": f"no .whl files in {folder}"}
    rc, text, _ = run_command([sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--quiet",
                               "--target", str(target), *wheels], 240)
    if rc != 0:
        return failure(rc, text)
    sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join([str(target), str(ROOT), os.environ.get("PYTHONPATH", "")])
    importlib.invalidate_caches()
    return {"status": "ok", "wheels": [Path(w).name for w in wheels]}


def check(dry_run: bool, wheels: Path | None = None, budget: float = BUDGET_S) -> dict:
    """Run every part within ``budget`` seconds; return the report."""
    t0 = time.monotonic()
    report: dict = {"check": "bench/gpu_check.py", "dry_run": dry_run, "budget_s": budget, "parts": {}}
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        work = Path(tmp)
        if wheels is not None:
            report["wheels"] = install_wheels(wheels, work / "site")
        env = environment()
        report["parts"]["environment"] = env
        gpus = len(env["gpus"])
        if not dry_run and gpus == 0:
            report.update(ok=False, reason="no CUDA GPU on this machine; use --dry-run on a CPU")
            return report
        plan = {"dry_run": dry_run, "device": "cpu" if dry_run else "cuda"}
        report["device"] = env["gpus"][0]["name"] if gpus and not dry_run else "cpu (dry run)"
        if have("lmdb") and have("PIL"):
            write_tiny_lmdb(work / "lsun", n=24 if dry_run else 96)
        parts = {"cuda_tests": lambda limit: cuda_tests(plan, limit),
                 "image_throughput": lambda limit: image_throughput(plan, limit),
                 "lsun_200": lambda limit: lsun_200(plan, limit, work),
                 "live_jobs": lambda limit: live_jobs(plan, limit),
                 "torchrun_2gpu": lambda limit: torchrun_2gpu(plan, limit, work, gpus)}
        for name, run in parts.items():
            left = budget - (time.monotonic() - t0)
            lacking = missing(name)
            if lacking:
                result = {"status": "skipped", "reason": f"needs {', '.join(lacking)} (not installed; see --wheels)"}
            elif left < 15:
                result = {"status": "skipped", "reason": f"out of time ({left:.0f} s of the budget left)"}
            else:
                try:
                    result = run(min(LIMITS[name], left - 5))
                except Exception as exc:  # a part's own bug must not hide the other parts' numbers
                    result = {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}
            report["parts"][name] = result
    report["seconds"] = round(time.monotonic() - t0, 1)
    report["ok"] = all(p.get("status") != "failed" for p in report["parts"].values())
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dry-run", action="store_true", help="the same plan on the CPU at tiny sizes")
    p.add_argument("--wheels", type=Path, default=None, help="install the .whl files of this folder first (offline)")
    p.add_argument("--budget", type=float, default=BUDGET_S, help="seconds for the whole check (default 480)")
    p.add_argument("--part", choices=("live_jobs",), default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.part == "live_jobs":
        print(json.dumps(live_jobs_here(args.dry_run)))
        return 0
    report = check(args.dry_run, args.wheels, args.budget)
    print(json.dumps(report, indent=1, default=str))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
