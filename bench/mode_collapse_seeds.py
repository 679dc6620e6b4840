"""Mode collapse on the 8-Gaussian ring, measured as the literature does, over seeds.

Trains GAN (``toy-gan``: the standard procedure, one discriminator step per generator step, both at
the same learning rate), WGAN (``toy-wgan``: weight clipping) and WGAN-GP (``toy-wgan-gp``) on the
mode-collapse lesson's networks, on the classroom ring (σ = 0.05, ``8gaussians``) and the literature's
(σ = 0.02, ``8gaussians-narrow``), for several seeds. Every run logs modes covered, the high-quality
share, exact W1 and the mass on each mode every ``--every`` generator steps, and appends one JSON line
(config, logs, CPU seconds) to ``--out``. Runs already in ``--out`` are skipped, so an interrupted
bench resumes. ``--table`` then prints, for each budget (a prefix of the runs' logs), the median and
range over seeds of :func:`wgan_core.metrics.coverage_summary` and the CPU seconds per run; ``--export``
writes the per-seed summaries at each budget, and each run's per-mode mass every ``--trace-every``
steps, to ``wgan_core/mode_collapse_seeds.json``: the table that ``compare``'s verdict and the
mode-collapse lesson state their outcomes from. Usage::

    nice -n 10 python bench/mode_collapse_seeds.py --seeds 0 1 2 3 4 --steps 3000 --jobs 2
    python bench/mode_collapse_seeds.py --table --budgets 1500 3000
    python bench/mode_collapse_seeds.py --export --budgets 1500 3000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

METHODS = ("gan", "wgan", "wgan-gp")
DATASETS = ("8gaussians-narrow", "8gaussians")
KEEP = ("g_step", "modes", "hq_share", "w1_exact", "mode_mass")


def one_run(method: str, dataset: str, seed: int, steps: int, every: int) -> dict:
    """Train one method on one seed; its logs (the :data:`KEEP` keys) and the CPU seconds it took."""
    import torch

    from wgan_core.config import METHOD_PRESETS, preset
    from wgan_core.trainer import Trainer

    torch.set_num_threads(1)
    from lessons.mode_collapse import NETWORK

    net = {k: v for k, v in NETWORK.items() if k != "metrics_every"}
    cfg = preset(METHOD_PRESETS[method], dataset=dataset, seed=seed, device="cpu", metrics_every=every,
                 cpu_threads=1, **net)
    start = time.process_time()
    logs = [{k: _round(log[k]) for k in KEEP} for log in Trainer(cfg).run(steps)]
    return {"method": method, "dataset": dataset, "seed": seed, "steps": steps, "every": every,
            "eval_samples": cfg.eval_samples, "cpu_s": round(time.process_time() - start, 1), "logs": logs}


def _round(value):
    return [round(v, 4) for v in value] if isinstance(value, list) else round(float(value), 4)


def _done(path: str) -> set:
    if not os.path.exists(path):
        return set()
    with open(path) as fh:
        return {(r["method"], r["dataset"], r["seed"], r["steps"]) for r in map(json.loads, fh)}


def run_all(args: argparse.Namespace) -> None:
    done = _done(args.out)
    todo = [(m, d, s) for s in args.seeds for d in args.datasets for m in args.methods
            if (m, d, s, args.steps) not in done]
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(one_run, m, d, s, args.steps, args.every) for m, d, s in todo]
        for fut in futures:
            row = fut.result()
            with open(args.out, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(row["method"], row["dataset"], row["seed"], f"{row['cpu_s']} CPU s",
                  f"modes {row['logs'][-1]['modes']:.0f}", flush=True)
    print(f"load: {os.getloadavg()}")


def seed_table(rows: list[dict], budgets: list[int], trace_every: int) -> dict:
    """The per-seed summaries at each budget and the per-mode-mass traces (see the module text)."""
    import platform

    from wgan_core.metrics import coverage_summary

    runs, traces = [], []
    for r in rows:
        key = {k: r[k] for k in ("method", "dataset", "seed")}
        for budget in (b for b in budgets if b <= r["steps"]):
            logs = [e for e in r["logs"] if e["g_step"] <= budget]
            runs.append({**key, "steps": budget, "cpu_s": round(r["cpu_s"] * budget / r["steps"], 1),
                         **coverage_summary(logs, r["eval_samples"])})
        kept = [e for e in r["logs"] if e["g_step"] % trace_every == 0]
        traces.append({**key, "g_step": [int(e["g_step"]) for e in kept], "modes": [int(e["modes"]) for e in kept],
                       "mode_mass": [e["mode_mass"] for e in kept]})
    return {"bench": "bench/mode_collapse_seeds.py", "date": time.strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
            "every": rows[0]["every"], "eval_samples": rows[0]["eval_samples"],
            "budgets": budgets, "runs": runs, "traces": traces}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--every", type=int, default=50)
    p.add_argument("--methods", nargs="+", default=list(METHODS))
    p.add_argument("--datasets", nargs="+", default=list(DATASETS))
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default="bench/mode_collapse_seeds.jsonl")
    p.add_argument("--table", action="store_true", help="print the table of --out instead of training")
    p.add_argument("--budgets", type=int, nargs="+", default=[1500, 3000])
    p.add_argument("--export", action="store_true", help="write the seed table of --out for compare and the lesson")
    p.add_argument("--trace-every", type=int, default=100, help="--export: steps between kept per-mode masses")
    args = p.parse_args()
    if args.table or args.export:
        with open(args.out) as fh:
            rows = [json.loads(line) for line in fh]
        from wgan_core.compare import SEED_TABLE, table_markdown

        built = seed_table(rows, args.budgets, args.trace_every)
        if args.export:
            from wgan_core.runs import write_json

            write_json(SEED_TABLE, built)
        print(table_markdown(built))
    else:
        run_all(args)


if __name__ == "__main__":
    main()
