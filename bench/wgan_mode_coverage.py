"""When does the clipped WGAN of the mode-collapse lesson cover the 8 modes? Measured over seeds.

Trains the lesson's three members (``lessons.mode_collapse.build_members``: the toy presets that
``compare`` also uses for WGAN and WGAN-GP) one seed after the other, for a bounded number of
generator steps, and prints for each method and seed the first logged step with all modes covered,
the first with half the samples of high quality, and the final values. Usage::

    python bench/wgan_mode_coverage.py --seeds 0 1 2 --steps 5000 --every 100 [--methods wgan] [--set clip_value=0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def coverage(method: str, seed: int, steps: int, every: int, live: dict | None = None) -> dict:
    from lessons import mode_collapse as lesson

    trainer = lesson.build_members("8gaussians", seed, live)[method]
    all_modes = hq_half = ring_half = None
    last, trace = {}, []
    for log in trainer.run(steps, metrics_every=every):
        last = log
        trace.append(int(log["modes"]))
        if ring_half is None and lesson.ring_shares(trainer.sample(512)) >= 0.5:
            ring_half = int(log["g_step"])
        if all_modes is None and log["modes"] >= 8:
            all_modes = int(log["g_step"])
        if hq_half is None and log["hq_share"] >= 0.5:
            hq_half = int(log["g_step"])
    return {"method": method, "seed": seed, "live": live or {}, "steps": steps, "first_all_8": all_modes,
            "first_hq_half": hq_half, "first_ring_half": ring_half,
            "final_modes": int(last["modes"]), "final_hq": round(float(last["hq_share"]), 3),
            "final_w1": round(float(last["w1_exact"]), 3),
            "modes_trace": trace}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--methods", nargs="+", default=["gan", "wgan", "wgan-gp"])
    p.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                   help="live hyperparameters of the lesson (clip_value, n_critic, lambda_gp)")
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    live = {k: float(v) if "." in v or "e" in v else int(v) for k, v in (item.split("=", 1) for item in args.set)}
    for seed in args.seeds:
        for method in args.methods:
            start = time.perf_counter()
            row = coverage(method, seed, args.steps, args.every, live)
            row["seconds"] = round(time.perf_counter() - start, 1)
            print(json.dumps(row), flush=True)
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
