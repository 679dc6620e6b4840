"""The cost of the one outer loop itself: microseconds per step of ``Trainer.run`` around a step that does nothing.

``Trainer.step`` and ``Trainer.metrics`` are replaced on the instance by no-ops, so what is timed is the
driver alone (the gate, the due check, one callback), per step, median of ``--repeat`` runs. A G-step of
the toy trainer takes milliseconds, so this says how much of the toy throughput the driver could cost.
``--before PATH`` times the checkout at PATH too, each in a fresh process (alternating).

    python bench/driver_overhead.py [--steps 200000] [--repeat 7] [--before PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

_TIMER = r"""
import statistics, sys, time
sys.path.insert(0, sys.argv[1])
import torch
torch.set_num_threads(1)
from wgan_core.config import TrainConfig
from wgan_core.trainer import Trainer
steps, repeat = int(sys.argv[2]), int(sys.argv[3])
tr = Trainer(TrainConfig(loss="wgan", width=16, depth=2, batch_size=32, eval_samples=64, device="cpu", seed=0))
tr.step = lambda: None
tr.metrics = lambda: None
out = []
for _ in range(repeat):
    t = time.perf_counter()
    for _ in tr.run(steps, metrics_every=10**9, callbacks=[lambda t: None]):
        pass
    out.append((time.perf_counter() - t) / steps * 1e6)
print(f"{statistics.median(out):.3f}")
"""


def loop_microseconds(path: str, steps: int, repeat: int) -> float:
    done = subprocess.run([sys.executable, "-c", _TIMER, path, str(steps), str(repeat)], cwd=path,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--before", metavar="PATH", default=None)
    args = ap.parse_args(argv)
    here = str(Path(__file__).resolve().parent.parent)
    for r in range(args.rounds):
        for label, path in [("before", args.before), ("after", here)][:: -1 if r % 2 else 1]:
            if path:
                print(f"round {r}: {label:6s} {loop_microseconds(path, args.steps, args.repeat):7.3f} us per step "
                      f"of Trainer.run ({path})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
