"""Toy throughput: wgan_core's Trainer against the plain eager loop of Algorithm 1, same process.

Both run WGAN (weight clipping, RMSProp) on 8 Gaussians with the same MLP width/depth, batch size,
``n_critic`` and learning rate. Rounds alternate plain / trainer so that both see the same machine
load (and alternate which goes first); prints the median G-steps/s of both, the ratio of the medians and
the median of the per-round ratios (the fairer number when the load changes between rounds). No
assertion: speed is reported, not tested.

It also prints the **matrix-product floor** (``bench/matmul_floor.py``): the time of the products that
one generator iteration needs, run bare and back to back. ``floor/plain`` is the largest speed-up over
the plain loop that any implementation doing the same float32 arithmetic could reach on this machine.
``trainer/floor`` is how close the trainer comes to it. The floor is also timed with bfloat16 operands.
That row only says what lower-precision products would allow: the trainer computes in float32.

``--before PATH`` also times the trainer of another checkout (e.g. ``git worktree add /tmp/before
<commit>``) in the same rounds, in a helper process that imports ``wgan_core`` from there: the
before/after comparison of a change, measured under the same load. ``--through-run`` drives both
trainers with ``Trainer.run`` (the one outer loop) instead of a bare loop over ``step()``, so that a
change of the driver shows too.

    python bench/toy_throughput.py [--widths 128 512] [--steps 200] [--rounds 5] [--threads N]
                                   [--compile none|default|reduce-overhead] [--device cpu|cuda]
                                   [--autograd] [--before PATH] [--through-run]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from matmul_floor import algorithm1_products, floor_seconds, product_flops  # noqa: E402
from plain_wgan import plain_wgan  # noqa: E402

from wgan_core.config import TrainConfig  # noqa: E402
from wgan_core.trainer import Trainer  # noqa: E402


def trainer_rate(cfg: TrainConfig, steps: int, warmup: int = 10, through_run: bool = False) -> float:
    """G-steps/s of ``Trainer.step`` after ``warmup`` steps (one host sync at the end); with
    ``through_run``, of the same steps driven by ``Trainer.run`` (the one outer loop), whose one metrics
    read at the end is the host sync alone (``drain_losses``), so that the driver's cost shows."""
    tr = Trainer(cfg)
    for _ in range(warmup):
        tr.step()
    if tr.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    if through_run:
        tr.metrics = tr.drain_losses
        for _ in tr.run(steps, metrics_every=10**9):
            pass
    else:
        for _ in range(steps):
            tr.step()
        tr.drain_losses()  # the host sync a metric read would do
    return steps / (time.perf_counter() - start)


# The helper process of --before: reads one JSON request per line, answers with the G-steps/s.
_BEFORE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
from wgan_core.config import TrainConfig
from wgan_core.trainer import Trainer
torch.set_num_threads(int(sys.argv[2]))
for line in sys.stdin:
    req = json.loads(line)
    tr = Trainer(TrainConfig(**req["config"]))
    for _ in range(req["warmup"]):
        tr.step()
    start = time.perf_counter()
    if req.get("through_run"):
        tr.metrics = tr.drain_losses
        for _ in tr.run(req["steps"], metrics_every=10**9):
            pass
    else:
        for _ in range(req["steps"]):
            tr.step()
    float(next(tr.critic.parameters()).detach().sum())
    print(req["steps"] / (time.perf_counter() - start), flush=True)
"""


class BeforeTrainer:
    """The trainer of the checkout at ``path``, timed in a helper process (see ``--before``)."""

    def __init__(self, path: str):
        self.proc = subprocess.Popen([sys.executable, "-c", _BEFORE, path, str(torch.get_num_threads())],
                                     cwd=path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def rate(self, cfg: TrainConfig, steps: int, warmup: int = 10, through_run: bool = False) -> float:
        config = {k: v for k, v in cfg.to_dict().items() if k != "engine"}  # older checkouts lack it
        request = {"config": config, "steps": steps, "warmup": warmup, "through_run": through_run}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the --before helper process ended; see its error above")
        return float(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--n-critic", type=int, default=5)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads for BOTH loops (0: leave torch's default; the trainer is given the same)")
    ap.add_argument("--compile", default="none", choices=["none", "default", "reduce-overhead"])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--autograd", action="store_true",
                    help="also time the trainer with engine='autograd' (autograd instead of the "
                         "hand-written toy backward passes) in the same rounds")
    ap.add_argument("--before", metavar="PATH", default=None,
                    help="also time the trainer of the checkout at PATH (before a change) in the same rounds")
    ap.add_argument("--through-run", action="store_true",
                    help="time the trainers (this one and --before's) through Trainer.run, the one outer loop, "
                         "instead of a bare loop over Trainer.step")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    before = BeforeTrainer(args.before) if args.before else None
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {args.device}, "
          f"batch {args.batch_size}, depth {args.depth}, n_critic {args.n_critic}, compile {args.compile}")
    for width in args.widths:
        cfg = TrainConfig(loss="wgan", optimizer="rmsprop", lr=5e-5, clip_value=0.01, width=width,
                          depth=args.depth, batch_size=args.batch_size, n_critic=args.n_critic,
                          device=args.device, compile=args.compile, seed=0,
                          cpu_threads=torch.get_num_threads())  # same thread count as the plain loop
        plain_wgan(5, width, args.depth, args.batch_size, args.n_critic, device=args.device)  # warm-up
        products = algorithm1_products(width, args.depth, args.batch_size, args.n_critic)
        floor32, floor16 = [], []
        plain, ours, auto, old = [], [], [], []
        for r in range(args.rounds):  # alternate which loop goes first: neither always gets the quieter slot
            order = (["plain", "trainer", "floor"] + (["autograd"] if args.autograd else [])
                     + (["before"] if before else []))
            if r % 2:
                order.reverse()
            for which in order:
                if which == "trainer":
                    ours.append(trainer_rate(cfg.replace(seed=r), args.steps, through_run=args.through_run))
                elif which == "before":
                    old.append(before.rate(cfg.replace(seed=r), args.steps, through_run=args.through_run))
                elif which == "autograd":
                    auto.append(trainer_rate(cfg.replace(seed=r, engine="autograd"), args.steps))
                elif which == "floor":
                    floor32.append(1 / floor_seconds(products, torch.float32, args.device))
                    floor16.append(1 / floor_seconds(products, torch.bfloat16, args.device))
                else:
                    plain.append(plain_wgan(args.steps, width, args.depth, args.batch_size, args.n_critic,
                                            seed=r, device=args.device)["g_steps_per_s"])
        p, o = statistics.median(plain), statistics.median(ours)
        paired = statistics.median(b / a for a, b in zip(plain, ours, strict=True))
        print(f"width {width:4d}: plain {p:7.1f} G-steps/s | trainer {o:7.1f} G-steps/s | "
              f"ratio of medians {o / p:5.2f}x"
              f" | median paired ratio {paired:5.2f}x\n"
              f"   rounds: plain {[round(x, 1) for x in plain]}, trainer {[round(x, 1) for x in ours]}")
        if auto:
            paired_auto = statistics.median(b / a for a, b in zip(plain, auto, strict=True))
            print(f"   trainer with autograd (engine='autograd'): {statistics.median(auto):7.1f} G-steps/s, "
                  f"median paired ratio {paired_auto:5.2f}x; rounds {[round(x, 1) for x in auto]}")
        if old:
            print(f"   trainer before ({args.before}): {statistics.median(old):7.1f} G-steps/s, median paired "
                  f"ratio to plain {statistics.median(b / a for a, b in zip(plain, old, strict=True)):5.2f}x, "
                  f"after/before (paired) {statistics.median(n / b for n, b in zip(ours, old, strict=True)):5.2f}x; "
                  f"rounds {[round(x, 1) for x in old]}")
        f32, f16 = statistics.median(floor32), statistics.median(floor16)
        gflop = product_flops(products) / 1e9
        print(f"   matrix-product floor, float32: {f32:7.1f} G-steps/s ({gflop:.2f} GFLOP per G-step at "
              f"{gflop * f32:.0f} GFLOP/s) | floor/plain (paired) "
              f"{statistics.median(f / a for a, f in zip(plain, floor32, strict=True)):5.2f}x | trainer/floor (paired) "
              f"{statistics.median(b / f for b, f in zip(ours, floor32, strict=True)):5.2f}")
        print(f"   the same products in bfloat16: {f16:7.1f} G-steps/s, floor/plain "
              f"{statistics.median(f / a for a, f in zip(plain, floor16, strict=True)):5.2f}x "
              f"(what lower precision would allow; not a trainer mode)")
    if before:
        before.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
