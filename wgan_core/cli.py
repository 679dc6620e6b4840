"""Command line: ``python -m wgan_core train-toy | compare | figure N | train-images``.

``train-toy`` trains one toy run and records it (config, metrics, snapshots, summary, checkpoint);
``compare`` trains GAN, WGAN and WGAN-GP on the same data and seed, records each, and prints a
verdict; ``figure N`` reproduces figure N of the WGAN paper and prints its numbers (figures 1, 3,
4 and 5 run the lessons' computations in :mod:`lessons.figures`, imported only then; figure 2 is
``compare``; figures 6–8 are pairs of ``train-images`` runs); ``train-images`` is added by
``wgan_core.images.cli`` when that package imports.

Bad flags or values print one line ``wgan_core: error: ...`` and exit with status 2 — never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from .config import LOSSES, PRESETS, TOY_DATASETS, preset

__all__ = ["main", "build_parser", "TOY_PRESET_OF", "COMPARE_METHODS", "COMPARE_PRESET_OF"]

#: The fast toy preset each objective starts from (flags override it).
TOY_PRESET_OF = {"gan": "toy-gan", "gan-minimax": "toy-gan", "wgan": "toy-wgan", "wgan-gp": "toy-wgan-gp"}
COMPARE_METHODS = ("gan", "wgan", "wgan-gp")
#: The presets `compare` trains: the GAN's discriminator is slowed down (see config.PRESETS).
COMPARE_PRESET_OF = {"gan": "toy-gan-slow-d", "wgan": "toy-wgan", "wgan-gp": "toy-wgan-gp"}
#: True only in a process started as ``python -m wgan_core`` (set by ``__main__``), before it has
#: computed anything: there ``compare`` may fork its workers.
_FRESH_PROCESS = False
#: compare's default number of generator iterations per method.
COMPARE_STEPS = 1500
#: Figures 6-8: the paper's generator of each figure (the critic is always the DCGAN one), and the
#: generator iterations each of the two runs (WGAN, GAN) gets by default.
IMAGE_FIGURE_GENERATOR = {"6": "dcgan", "7": "dcgan-nobn", "8": "mlp"}
IMAGE_FIGURE_STEPS = 300


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, f"wgan_core: error: {message} (see --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _add_common(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--dataset", choices=TOY_DATASETS, default="8gaussians",
      help="toy data: 8gaussians (ring), 25gaussians (grid), swissroll, gaussians-1d, parallel-lines")
    a("--steps", type=_positive_int, default=1000, help="generator iterations to train (default %(default)s)")
    a("--width", type=int, help="hidden units per MLP layer (generator and critic)")
    a("--depth", type=int, help="hidden layers per MLP")
    a("--batch-size", type=int, help="m, examples per critic and generator step")
    a("--lr", type=float, help="learning rate alpha of both optimisers")
    a("--seed", type=int, default=0, help="seed of the networks, the noise and the data (default 0)")
    a("--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto picks CUDA when present")
    a("--metrics-every", type=int, help="generator iterations between metric logs (default 100)")
    a("--eval-samples", type=int, help="samples for exact W1 and mode coverage (default 512)")
    a("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    a("--out", help="run directory to create (default: $WGAN_RUNS_DIR or runs/, plus a timestamped name)")
    a("--no-progress", dest="progress", action="store_false", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wgan_core", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    t = sub.add_parser("train-toy", help="train one toy GAN/WGAN/WGAN-GP run and record it",
                       description="Train on a toy dataset, starting from the fast toy preset of --loss "
                                   "(or --preset); every flag given overrides it.")
    _add_common(t)
    t.add_argument("--loss", choices=LOSSES, default="wgan",
                   help="gan (non-saturating), gan-minimax (saturating), wgan (clipping), wgan-gp (penalty)")
    t.add_argument("--preset", choices=tuple(PRESETS), help="start from this preset instead of the toy one")
    t.add_argument("--n-critic", type=int, help="critic iterations per generator iteration")
    t.add_argument("--clip-value", type=float, help="c: clamp critic weights to [-c, c] after every critic step (wgan)")
    t.add_argument("--lambda-gp", type=float, help="lambda: gradient-penalty weight (wgan-gp)")
    t.add_argument("--optimizer", choices=("rmsprop", "adam"), help="optimiser of both networks")
    t.add_argument("--official-schedule", action="store_true",
                   help="100 critic iterations for the first 25 generator iterations and every 500th")
    t.add_argument("--snapshot-every", type=int, help="generator iterations between snapshots (default: each log)")
    t.set_defaults(func=_train_toy)

    c = sub.add_parser("compare", help="GAN vs WGAN vs WGAN-GP on the same data and seed, with a verdict",
                       description="Train gan (preset toy-gan-slow-d), wgan (toy-wgan) and wgan-gp (toy-wgan-gp) "
                                   "on the same dataset and seed; record each under --out/<method>/ and write "
                                   "--out/summary.json.")
    _add_common(c)
    c.add_argument("--jobs", type=_positive_int, default=min(3, os.cpu_count() or 1),
                   help="methods trained at once in separate processes (default: up to 3, one per core)")
    # 1500 G-steps: WGAN-GP is past 70 % high-quality samples for the default seed (RESULTS.md)
    c.set_defaults(func=_compare, steps=COMPARE_STEPS)

    f = sub.add_parser(
        "figure", help="reproduce a figure of the WGAN paper and print its numbers",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Reproduce figure N of the WGAN paper with the same code as its lesson. It prints the\n"
                    "numbers behind the figure and one line per claim, with the measured value, and writes\n"
                    "figure.json (and figure.npz with the curves) under --out.\n\n"
                    "  1    W, JS, KL, TV between parallel lines (closed form, and POT/scipy from samples)\n"
                    "  2    8 Gaussians: GAN vs WGAN vs WGAN-GP (runs `compare`)\n"
                    "  3    optimal discriminator vs optimal critic between two 1-D Gaussians\n"
                    "  4, 5 the WGAN critic's estimate and the GAN's JS estimate beside the exact W1\n"
                    "  6-8  images: WGAN and GAN with a DCGAN (6), no-batch-norm (7) or MLP (8) generator\n"
                    "       (runs `train-images` twice; offline digits by default)")
    f.add_argument("number", choices=("1", "2", "3", "4", "5", "6", "7", "8"), help="the figure")
    f.add_argument("--steps", type=_positive_int,
                   help=f"training length: generator iterations for 2 ({COMPARE_STEPS}), 4-5 (1500) and "
                        f"6-8 ({IMAGE_FIGURE_STEPS} per run); critic iterations for 3 (500)")
    f.add_argument("--samples", type=_positive_int, default=2000,
                   help="figure 1: points per line for the sample estimates (default %(default)s)")
    f.add_argument("--dataset", help="2: a toy dataset (8gaussians); 4-5: 8gaussians, 25gaussians or swissroll; "
                                     "6-8: digits, lsun or folder (digits)")
    f.add_argument("--data-root", help="6-8 with --dataset lsun or folder: where the images are")
    f.add_argument("--seed", type=int, default=0, help="seed of figures 2 and 6-8 (default 0)")
    f.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="figures 2 and 6-8: auto picks CUDA when present")
    f.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    f.add_argument("--out", help="directory to write (default: $WGAN_RUNS_DIR or runs/, plus figure-N-<time>)")
    f.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    f.set_defaults(func=_figure)

    try:
        from .images import cli as images_cli
    except ImportError:  # image support is optional
        images_cli = None
    if images_cli is not None and hasattr(images_cli, "register"):
        images_cli.register(sub)
    return parser


def _overrides(args: argparse.Namespace) -> dict:
    names = ("width", "depth", "batch_size", "lr", "metrics_every", "eval_samples", "n_critic", "clip_value",
             "lambda_gp", "optimizer")
    out = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    if getattr(args, "official_schedule", False):
        out["official_schedule"] = True
    return out


def _default_out(args: argparse.Namespace, what: str) -> Path:
    root = Path(os.environ.get("WGAN_RUNS_DIR", "runs"))
    return root / f"{what}-{args.dataset}-seed{args.seed}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def _fmt(value, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def _train(config, out: Path, steps: int, progress: bool, label: str, snapshot_every=None, position=None) -> dict:
    from tqdm import tqdm

    from .runs import record_run
    from .trainer import Trainer

    trainer = Trainer(config)
    with tqdm(total=steps, desc=f"{label:8s}", unit="G-step", disable=not progress, file=sys.stderr,
              position=position) as bar:
        def advance(log: dict) -> None:
            bar.update(log["g_step"] - bar.n)
            bar.set_postfix(W1=_fmt(log.get("w1_exact")), modes=_fmt(log.get("modes"), "{:.0f}"))

        return record_run(trainer, out, steps, snapshot_every=snapshot_every, callback=advance)


def _train_toy(args: argparse.Namespace) -> int:
    config = preset(args.preset or TOY_PRESET_OF[args.loss], dataset=args.dataset, loss=args.loss,
                    seed=args.seed, device=args.device, **_overrides(args))
    out = Path(args.out) if args.out else _default_out(args, f"toy-{args.loss}")
    summary = _train(config, out, args.steps, args.progress, args.loss, args.snapshot_every)
    print(json.dumps({k: summary[k] for k in ("g_steps_per_s", "modes", "hq_share", "w1_exact",
                                              "critic_estimate", "seconds")}))
    print(f"recorded in {out}")
    return 0


def verdict(results: dict, n_modes: int | None) -> str:
    """One line naming the method with the lowest exact W1 and any collapsed method."""
    best = min(results, key=lambda m: results[m]["w1_exact"] if results[m]["w1_exact"] is not None else 1e9)
    parts = [f"best W1: {best} ({_fmt(results[best]['w1_exact'])})"]
    if n_modes:
        cover = ", ".join(f"{m} {_fmt(r['modes'], '{:.0f}')}/{n_modes} modes "
                          f"({_fmt(r['hq_share'] and 100 * r['hq_share'], '{:.0f}')}% high quality)"
                          for m, r in results.items())
        few = [m for m, r in results.items() if r["modes"] is not None and r["modes"] <= n_modes / 4]
        parts.append(cover)
        if few:  # collapsed, or (WGAN early on) still spread along the support before the bumps
            parts.append(f"at most {n_modes // 4}/{n_modes} modes: " + ", ".join(few))
    return "verdict: " + "; ".join(parts)


def _compare(args: argparse.Namespace) -> int:
    import time

    from .data import make_toy
    from .runs import _plain, _write_atomic

    out = Path(args.out) if args.out else _default_out(args, "compare")
    configs = {m: preset(COMPARE_PRESET_OF[m], dataset=args.dataset, seed=args.seed, device=args.device,
                         **_overrides(args)) for m in COMPARE_METHODS}  # validate all before training
    start = time.perf_counter()
    if args.jobs == 1:
        results = {m: _train(cfg, out / m, args.steps, args.progress, m) for m, cfg in configs.items()}
    else:  # independent runs: one process per method uses the machine's cores
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from . import runs, trainer  # noqa: F401 - imported once here, inherited by forked workers
        from .models import resolve_device

        # Fork only where it is known to be safe and it pays: a fresh `python -m wgan_core` process
        # (it has only parsed flags) on Linux, training on the CPU. The workers then inherit the
        # imports instead of paying ~3 s each. A process that has already computed something may
        # have a running OpenMP thread team, and a forked child of it can hang at its first parallel
        # region (seen under pytest after a figure-3 run). Elsewhere the workers come from the
        # live jobs' forkserver (imports preloaded once) or from spawn. CUDA cannot be used after
        # a fork.
        cpu = all(resolve_device(cfg.device).type == "cpu" for cfg in configs.values())
        if _FRESH_PROCESS and cpu and sys.platform == "linux":
            context = multiprocessing.get_context("fork")
        else:
            from .jobs import worker_context

            context = worker_context()
        with ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
            # longest first (WGAN-GP's penalty makes its steps the dearest, GAN's n_critic = 1 the
            # cheapest): with fewer workers than methods the short runs share a worker meanwhile
            order = sorted(configs, key=lambda m: COMPARE_METHODS.index(m), reverse=True)
            futures = {m: pool.submit(_train, configs[m], out / m, args.steps, args.progress, m, None,
                                      COMPARE_METHODS.index(m)) for m in order}
            results = {m: futures[m].result() for m in COMPARE_METHODS}
    source = make_toy(args.dataset)
    n_modes = len(source.centers) if hasattr(source, "centers") else None
    line = verdict(results, n_modes)
    out.mkdir(parents=True, exist_ok=True)
    summary = {**results, "verdict": line, "seconds": time.perf_counter() - start}
    _write_atomic(out / "summary.json", json.dumps(_plain(summary), indent=2))
    for m, r in results.items():
        print(f"{m:8s} W1 {_fmt(r['w1_exact'])}  modes {_fmt(r['modes'], '{:.0f}')}  hq {_fmt(r['hq_share'])}  "
              f"critic {_fmt(r['critic_estimate'])}  {_fmt(r['g_steps_per_s'], '{:.1f}')} G-steps/s")
    print(line)
    print(f"recorded in {out} ({summary['seconds']:.1f} s)")
    return 0


def _parse(argv: list[str]) -> argparse.Namespace | int:
    """Parse a command that ``figure`` runs for the user; a bad value (already printed as one line)
    gives its exit status instead of raising SystemExit."""
    try:
        return build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def _figure(args: argparse.Namespace) -> int:
    n = args.number
    out = Path(args.out) if args.out else (
        Path(os.environ.get("WGAN_RUNS_DIR", "runs")) / f"figure-{n}-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    common = ["--seed", str(args.seed), "--device", args.device, "--out", str(out)]
    common += [] if args.progress else ["--no-progress"]
    if n == "2":
        argv = ["compare", "--dataset", args.dataset or "8gaussians", "--steps", str(args.steps or COMPARE_STEPS)]
        compare_args = _parse(argv + common)
        return compare_args if isinstance(compare_args, int) else _compare(compare_args)
    if n in IMAGE_FIGURE_GENERATOR:
        return _image_figure(args, out)
    from lessons import figures  # the lessons hold each figure's computation

    if n == "1":
        fig = figures.figure_1(samples=args.samples)
    elif n == "3":
        fig = figures.figure_3(iters=args.steps or 500)
    else:
        fig = figures.figures_4_5(steps=args.steps or 1500, dataset=args.dataset or "8gaussians")
    import numpy as np

    from .runs import _write_atomic

    out.mkdir(parents=True, exist_ok=True)
    _write_atomic(out / "figure.json", json.dumps(fig.to_json(), indent=2))
    np.savez(out / "figure.npz", **fig.arrays)
    print(f"Figure {fig.number}: {fig.title}\n\n{fig.table()}\n")
    for claim in fig.claims:
        print(f"- {claim}")
    print(f"\nwritten to {out}")
    return 0


def _image_figure(args: argparse.Namespace, out: Path) -> int:
    """Figures 6-8: the same generator trained as a WGAN and as a GAN (the paper's left and right)."""
    from .runs import _plain, _write_atomic

    generator = IMAGE_FIGURE_GENERATOR[args.number]
    dataset = args.dataset or "digits"
    settings = []
    if dataset == "digits":  # the images lesson's classroom settings: they learn within minutes on a CPU
        from lessons import images as lesson

        net = lesson.NETWORK
        settings = ["--ngf", str(net["ngf"]), "--ndf", str(net["ndf"]), "--z-dim", str(net["z_dim"]),
                    "--batch-size", str(net["batch_size"]), "--lr", str(lesson.CLASSROOM_LR[generator])]
    rows = {}
    for loss in ("wgan", "gan"):
        argv = ["train-images", "--dataset", dataset, "--generator", generator, "--critic", "dcgan",
                "--loss", loss, "--steps", str(args.steps or IMAGE_FIGURE_STEPS), "--seed", str(args.seed),
                "--device", args.device, "--out", str(out / loss), *settings]
        argv += ["--data-root", args.data_root] if args.data_root else []
        argv += [] if args.progress else ["--no-progress"]
        run_args = _parse(argv)
        status = run_args if isinstance(run_args, int) else run_args.func(run_args)
        if status:
            return status
        rows[loss] = json.loads((out / loss / "summary.json").read_text())
    keys = ("classes_covered", "class_kl", "w1_pixels", "critic_estimate", "g_steps_per_s")
    print(f"\nFigure {args.number}: generator {generator}, critic dcgan, {args.steps or IMAGE_FIGURE_STEPS} "
          f"generator iterations each" + (" (the images lesson's classroom settings: " + " ".join(settings) + ")"
                                           if settings else " (the paper's settings)"))
    for loss, summary in rows.items():
        print(f"{loss:5s} " + "  ".join(f"{k} {_fmt(summary.get(k), '{:.4g}')}" for k in keys))
    w, g = rows["wgan"], rows["gan"]
    if all(k in r for r in (w, g) for k in ("classes_covered", "class_kl")):
        print(f"- digit classes covered (of 10): WGAN {w['classes_covered']:.0f}, GAN {g['classes_covered']:.0f}; "
              f"class KL (nats, 0 = classes as in the data): WGAN {_fmt(w['class_kl'])}, GAN {_fmt(g['class_kl'])}")
    print(f"sample grids (PNG): {out / 'wgan' / 'samples'} and {out / 'gan' / 'samples'}")
    _write_atomic(out / "figure.json", json.dumps(_plain({"figure": args.number, "generator": generator,
                                                          "settings": settings, "runs": rows}), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 file-system error, 2 bad flags or values, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a parse error (2, already printed as one line)
        return int(exc.code or 0)
    from .checkpoint import CheckpointError

    try:
        if getattr(args, "threads", None):
            import torch

            torch.set_num_threads(args.threads)
        return int(args.func(args) or 0)
    except (ValueError, CheckpointError) as exc:
        print(f"wgan_core: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. an --out directory that cannot be created
        print(f"wgan_core: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wgan_core: interrupted", file=sys.stderr)
        return 130
