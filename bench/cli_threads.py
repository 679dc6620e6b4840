"""`train-toy` as the CLI runs it (every core by default) against the plain eager loop, same process.

The trainer is built from the very config that ``python -m wgan_core train-toy --loss wgan --width W``
trains (:func:`wgan_core.cli.toy_config`: the ``toy-wgan`` preset, depth 3, batch 256, n_critic 5, and
``cpu_threads`` = every core), and also with ``cpu_threads=1`` — the CLI's default before single runs
used the whole machine. The plain loop (``bench/plain_wgan.py``) runs with torch's threads set to every
core, at the same width, depth, batch size and n_critic. Rounds alternate the order of the three so
that they see the same machine load; it prints the median G-steps/s of each and the median of the
per-round ratios. No assertion: speed is reported, not tested.

    python bench/cli_threads.py [--widths 128 512] [--steps 150] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from plain_wgan import plain_wgan  # noqa: E402

from wgan_core.cli import build_parser, toy_config  # noqa: E402
from wgan_core.trainer import Trainer  # noqa: E402


def trainer_rate(cfg, steps: int, warmup: int = 10) -> float:
    """G-steps/s of ``Trainer.step`` after ``warmup`` steps, ending with one metrics read (a host sync)."""
    tr = Trainer(cfg)
    for _ in range(warmup):
        tr.step()
    start = time.perf_counter()
    for _ in range(steps):
        tr.step()
    tr.drain_losses()  # the host sync a metrics read would do
    return steps / (time.perf_counter() - start)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    cores = os.cpu_count() or 1
    torch.set_num_threads(cores)
    print(f"torch {torch.__version__}, {cores} cores, load average {os.getloadavg()[0]:.1f} at start")
    for width in args.widths:
        cli = toy_config(build_parser().parse_args(["train-toy", "--loss", "wgan", "--width", str(width),
                                                     "--device", "cpu"]))
        one = cli.replace(cpu_threads=1)
        plain_wgan(5, width, cli.depth, cli.batch_size, cli.n_critic)  # warm-up
        rates: dict[str, list[float]] = {"plain": [], "cli": [], "one": []}
        for r in range(args.rounds):
            order = ["plain", "cli", "one"] if r % 2 == 0 else ["one", "cli", "plain"]
            for which in order:
                if which == "plain":
                    rates["plain"].append(plain_wgan(args.steps, width, cli.depth, cli.batch_size, cli.n_critic,
                                                     seed=r)["g_steps_per_s"])
                else:
                    rates[which].append(trainer_rate((cli if which == "cli" else one).replace(seed=r), args.steps))
        med = {k: statistics.median(v) for k, v in rates.items()}

        def paired(key: str, rates=rates) -> float:
            return statistics.median(b / a for a, b in zip(rates["plain"], rates[key], strict=True))

        print(f"width {width:4d}: plain ({cores} threads) {med['plain']:7.1f} | train-toy ({cli.cpu_threads} threads) "
              f"{med['cli']:7.1f} ({paired('cli'):4.2f}x) | train-toy, 1 thread {med['one']:7.1f} "
              f"({paired('one'):4.2f}x) G-steps/s, median paired ratio vs plain in brackets")
        print("   rounds: " + "; ".join(f"{k} {[round(x, 1) for x in v]}" for k, v in rates.items()))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
