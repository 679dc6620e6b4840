r"""Image-training throughput: the project's Trainer against a plain eager loop of Algorithm 1.

Both are fed from the same device-resident digits (or any image source), same networks, same batch
size and $n_{critic}$. The eager baseline is the textbook loop — float32, NCHW, no compilation, one
``clamp_`` per parameter tensor, a fresh generator forward for every critic step — and exists here
only as the yardstick. The Trainer runs with the speed options this device supports: on a GPU bf16
autocast, channels_last, ``torch.compile`` (``reduce-overhead``: CUDA graphs) and the dataset held on
the GPU as uint8; on a CPU none of them applies and it runs as configured.

Printed: generator steps per second of each, their ratio (target on a GPU: at least 3x), and the
achieved TFLOP/s from the counted FLOPs per generator step (:mod:`wgan_core.images.flops`; about
532 GFLOP at 64x64, batch 64, $n_{critic} = 5$), on a GPU also as a share of its dense bf16 peak
(:data:`BF16_PEAK_TFLOPS`, by device name). With ``--write`` the table goes under the ``## Images``
heading of ``bench/RESULTS.md``; with ``--json`` one JSON line follows it (``bench/gpu_check.py``
reads it). ``--synthetic`` feeds random uint8 images of LSUN's shape (3 channels) instead of a
dataset: the step rate does not depend on what the pictures show. Example::

    python bench/image_throughput.py --seconds 10 --write            # CPU: digits 32x32, batch 64
    python bench/image_throughput.py --device cuda --synthetic --image-size 64 --json
    python bench/image_throughput.py --device cuda --dataset lsun --data-root /data/lsun --image-size 64
    python bench/image_throughput.py --seconds 10 --threads 1 --before /tmp/before --rounds 3

``--before PATH`` also times the Trainer of another checkout (e.g. ``git worktree add /tmp/before
<commit>``) in a helper process that imports ``wgan_core`` from there, in ``--rounds`` rounds that
alternate which goes first: the before/after comparison of a change under the same load (median of
the per-round ratios).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from wgan_core.config import preset  # noqa: E402
from wgan_core.images.build import build_image_trainer  # noqa: E402
from wgan_core.images.data import TensorImageSource, build_image_data  # noqa: E402
from wgan_core.images.flops import generator_iteration_flops  # noqa: E402
from wgan_core.images.models import build_image_models  # noqa: E402
from wgan_core.trainer import resolve_device  # noqa: E402

#: Dense bf16 tensor-core peak (TFLOP/s, no sparsity) of GPUs, matched as a substring of
#: ``torch.cuda.get_device_name`` (the first match wins, so the longer names come first).
BF16_PEAK_TFLOPS = {
    "H200": 989.0, "H100 PCIe": 756.0, "H100": 989.0, "GH200": 989.0, "A100": 312.0, "L40S": 362.0,
    "L4": 121.0, "A10": 125.0, "RTX 4090": 165.0, "V100": None,  # V100: no bf16 tensor cores
}


def bf16_peak(name: str) -> float | None:
    """The dense bf16 peak of the GPU called ``name`` (None when not in :data:`BF16_PEAK_TFLOPS`)."""
    return next((peak for key, peak in BF16_PEAK_TFLOPS.items() if key in name), None)


def synthetic_images(size: int, device, n: int = 2048, seed: int = 0) -> TensorImageSource:
    """Random uint8 images ``(n, 3, size, size)`` held on ``device`` (the shape of LSUN's)."""
    gen = torch.Generator().manual_seed(seed)
    return TensorImageSource(torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=gen), device,
                             name="synthetic", seed=seed)


def eager_algorithm1(config, data, device):
    """A plain eager WGAN loop (Algorithm 1) returning a ``step()`` closure — the baseline only."""
    torch.manual_seed(config.seed)
    g, c = (m.to(device) for m in build_image_models(config))
    opt_g = torch.optim.RMSprop(g.parameters(), lr=config.lr, foreach=False)
    opt_c = torch.optim.RMSprop(c.parameters(), lr=config.lr, foreach=False)
    m = config.batch_size

    def step() -> None:
        for _ in range(config.n_critic):
            real = data.sample(m)
            with torch.no_grad():
                fake = g(torch.randn(m, config.z_dim, device=device))
            loss = c(fake).mean() - c(real).mean()       # -(E f(x) - E f(g(z)))
            opt_c.zero_grad()
            loss.backward()
            opt_c.step()
            for p in c.parameters():                     # clip every tensor, one kernel each
                p.data.clamp_(-config.clip_value, config.clip_value)
        for p in c.parameters():
            p.requires_grad_(False)
        loss_g = -c(g(torch.randn(m, config.z_dim, device=device))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        for p in c.parameters():
            p.requires_grad_(True)

    return step


def steps_per_second(step, device, seconds: float, warmup: int) -> float:
    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        if device.type == "cuda" and n % 5:
            continue
        if device.type == "cuda":
            torch.cuda.synchronize()
        if time.perf_counter() - t0 >= seconds:
            return n / (time.perf_counter() - t0)


# The helper process of --before: builds the Trainer with that checkout's code (the functions both
# versions have), reads one line per round and answers with its G-steps/s.
_BEFORE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import torch
from wgan_core.config import TrainConfig
from wgan_core.images.data import build_image_data
from wgan_core.images.models import build_image_models
from wgan_core.images.speed import accelerate
from wgan_core.trainer import Trainer
req = json.loads(sys.stdin.readline())
torch.set_num_threads(req["threads"])
config = TrainConfig(**req["config"])
torch.manual_seed(config.seed)
g, c = build_image_models(config)
gpu = config.device == "cuda"
trainer = Trainer(config, data=build_image_data(config, config.device), generator=accelerate(g, gpu, gpu),
                  critic=accelerate(c, gpu, gpu))
exec(req["timer"])  # steps_per_second, the same code as the bench's
for line in sys.stdin:
    print(steps_per_second(trainer.step, torch.device(config.device), req["seconds"], req["warmup"]), flush=True)
"""


def before_after(trainer, config, path: str, seconds: float, rounds: int, warmup: int) -> tuple[list, list]:
    """G-steps/s of ``trainer`` and of the Trainer of the checkout at ``path``, ``rounds`` rounds each,
    alternating which runs first."""
    import inspect
    import subprocess

    helper = subprocess.Popen([sys.executable, "-c", _BEFORE, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    request = {"config": config.to_dict(), "threads": torch.get_num_threads(), "seconds": seconds,
               "warmup": warmup, "timer": "import time\n" + inspect.getsource(steps_per_second)}
    helper.stdin.write(json.dumps(request) + "\n")
    ours, theirs = [], []
    for r in range(rounds):
        for who in (("ours", "before") if r % 2 == 0 else ("before", "ours")):
            if who == "ours":
                ours.append(steps_per_second(trainer.step, trainer.device, seconds, warmup))
            else:
                helper.stdin.write("go\n")
                helper.stdin.flush()
                theirs.append(float(helper.stdout.readline()))
    helper.stdin.close()
    helper.wait()
    return ours, theirs


MARKER = "<!-- end of the table written by bench/image_throughput.py -->"


def write_results(table: str) -> None:
    """Put ``table`` at the top of the ``## Images`` section of bench/RESULTS.md (created if missing),
    replacing the previous table up to :data:`MARKER`; notes after the marker and every other
    section are kept."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"## Images\n\n{table.rstrip()}\n\n{MARKER}\n"
    if "## Images\n" not in text:
        path.write_text(text.rstrip() + "\n\n" + block)
        return
    head, rest = text.split("## Images\n", 1)
    if MARKER in rest:
        rest = rest.split(MARKER, 1)[1].lstrip("\n")
    else:  # an old section without the marker: keep it below the new table
        rest = rest.lstrip("\n")
    path.write_text(head + block + ("\n" + rest if rest else ""))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--dataset", default="digits", choices=("digits", "lsun", "folder"))
    p.add_argument("--data-root", default="")
    p.add_argument("--image-size", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--n-critic", type=int, default=5)
    p.add_argument("--width", type=int, default=None, help="ngf = ndf (default 64 on GPU, 16 on CPU)")
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--synthetic", action="store_true", help="random uint8 images of LSUN's shape, no dataset")
    p.add_argument("--compile", choices=("none", "default", "reduce-overhead"), default=None,
                   help="the Trainer's torch.compile mode (default: reduce-overhead on a GPU, none on a CPU)")
    p.add_argument("--write", action="store_true", help="record the table in bench/RESULTS.md")
    p.add_argument("--before", metavar="PATH", default=None,
                   help="also time the Trainer of the checkout at PATH (a dataset, not --synthetic)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of the --before comparison")
    p.add_argument("--json", action="store_true", help="print one JSON line of the numbers after the table")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    size = args.image_size or (32 if args.dataset == "digits" and not args.synthetic else 64)
    width = args.width or (64 if gpu else 16)
    dataset, root = ("lsun", "synthetic") if args.synthetic else (args.dataset, args.data_root)  # lsun: 3 channels
    mode = args.compile or ("reduce-overhead" if gpu else "none")
    config = preset("paper", dataset=dataset, data_root=root, image_size=size, ngf=width, ndf=width,
                    z_dim=100, batch_size=args.batch_size, n_critic=args.n_critic, device=device.type,
                    data_on_device=True, compile=mode)
    data = synthetic_images(size, device) if args.synthetic else build_image_data(config, device)
    flops = generator_iteration_flops(*build_image_models(config), config.z_dim, data.shape, config.batch_size,
                                      config.n_critic)["per_g_step"]
    baseline = steps_per_second(eager_algorithm1(config, data, device), device, args.seconds, warmup=2)
    torch.manual_seed(config.seed)
    trainer = build_image_trainer(config, bf16=gpu, channels_last=gpu, data=data)
    ours = steps_per_second(trainer.step, device, args.seconds, warmup=10 if gpu else 2)
    if args.before:
        import statistics

        after, before = before_after(trainer, config, args.before, args.seconds, args.rounds, 10 if gpu else 2)
        paired = statistics.median(a / b for a, b in zip(after, before, strict=True))
        print(f"before/after, {args.rounds} rounds: after {statistics.median(after):.2f}, before "
              f"{statistics.median(before):.2f} G-steps/s (rounds: after {[round(x, 2) for x in after]}, before "
              f"{[round(x, 2) for x in before]}); after/before **{paired:.2f}x** (median of the paired ratios)")
    threads = torch.get_num_threads()
    name = torch.cuda.get_device_name(device) if gpu else f"{platform.processor() or 'CPU'}, {threads} threads"
    options = (f"bf16 + channels_last + compile {mode} + uint8 data on GPU" if gpu
               else "float32 eager (no GPU options apply)")
    rows = [("eager Algorithm 1 (baseline)", baseline), (f"Trainer: {options}", ours)]
    source = "synthetic" if args.synthetic else args.dataset
    table = [f"{source} {size}x{size}, batch {config.batch_size}, n_critic {config.n_critic}, "
             f"ngf = ndf = {width}, {flops / 1e9:.1f} GFLOP per generator step (counted), device: {name}, "
             f"torch {torch.__version__}",
             "", "| loop | G-steps/s | TFLOP/s |", "| --- | ---: | ---: |"]
    table += [f"| {label} | {sps:.2f} | {sps * flops / 1e12:.3f} |" for label, sps in rows]
    table += ["", f"Trainer / eager: **{ours / baseline:.2f}x**. Command: `python bench/image_throughput.py "
              f"{' '.join(argv if argv is not None else sys.argv[1:])}`."]
    if not gpu:
        table += ["", "No GPU was lent to this task, so the GPU path (bf16 autocast, channels_last, CUDA graphs via "
                  "torch.compile, uint8 data on the device, fused foreach clamp) and its 3x target are implemented "
                  "but **not measured** here; on a GPU run `python bench/image_throughput.py --device cuda "
                  "--image-size 64` (64x64 DCGAN, 532 GFLOP per generator step)."]
    peak = bf16_peak(name) if gpu else None
    if peak:
        table += ["", f"Trainer at {100 * ours * flops / 1e12 / peak:.1f}% of the {name}'s dense bf16 peak "
                  f"({peak:.0f} TFLOP/s)."]
    text = "\n".join(table)
    print(text)
    if args.write:
        write_results(text)
    if args.json:
        print(json.dumps({"device": name, "image_size": size, "batch_size": config.batch_size, "ngf": width,
                          "n_critic": config.n_critic, "compile": mode, "gflop_per_g_step": flops / 1e9,
                          "eager_g_steps_per_s": baseline, "trainer_g_steps_per_s": ours,
                          "speedup": ours / baseline, "target_speedup": 3.0,
                          "trainer_tflops": ours * flops / 1e12, "bf16_peak_tflops": peak,
                          "share_of_peak": ours * flops / 1e12 / peak if peak else None}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
