"""Command line: ``python -m wgan_core train-toy | compare | train-images``.

``train-toy`` trains one toy run and records it (config, metrics, snapshots, summary, checkpoint);
``compare`` trains GAN, WGAN and WGAN-GP on the same data and seed, records each, and prints a
verdict; ``train-images`` is added by ``wgan_core.images.cli`` when that package imports. (The
paper's figures are ``python -m lessons figure N``: the lessons hold their computations.)

A single run uses every CPU core by default (``--threads``); ``compare`` shares the cores among
the methods it trains at once. Bad flags or values print one line ``wgan_core: error: ...`` and
exit with status 2, a run that diverges prints ``wgan_core: diverged at step N (critic loss nan)``
and exits with status 3 — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .compare import COMPARE_METHODS, COMPARE_STEPS, train_and_record
from .config import LOSSES, METHOD_PRESETS, PRESETS, TOY_DATASETS, preset

__all__ = ["main", "build_parser", "toy_config", "TOY_PRESET_OF"]

#: The fast toy preset each objective starts from (flags override it).
TOY_PRESET_OF = {**METHOD_PRESETS, "gan-minimax": METHOD_PRESETS["gan"]}


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
      help="toy data: 8gaussians (ring, sigma 0.05), 8gaussians-narrow (the literature's ring, sigma 0.02), "
           "25gaussians (grid), swissroll, gaussians-1d, parallel-lines")
    a("--steps", type=_positive_int, default=1000, help="generator iterations to train (default %(default)s)")
    a("--width", type=int, help="hidden units per MLP layer (generator and critic)")
    a("--depth", type=int, help="hidden layers per MLP")
    a("--batch-size", type=int, help="m, examples per critic and generator step")
    a("--lr", type=float, help="learning rate alpha of both optimisers")
    a("--critic-lr-ratio", type=float, help="the critic's learning rate is --lr times this (1 in the papers)")
    a("--seed", type=int, default=0, help="seed of the networks, the noise and the data (default 0)")
    a("--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto picks CUDA when present")
    a("--metrics-every", type=int, help="generator iterations between metric logs (default 100)")
    a("--eval-samples", type=int, help="samples for exact W1 and mode coverage (default 512)")
    a("--threads", type=_positive_int,
      help="torch CPU threads per run (default: every core; compare shares them among its --jobs)")
    a("--out", help="run directory to create (default: $WGAN_RUNS_DIR or ./runs, plus a timestamped name)")
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
                       description="Train " + ", ".join(f"{m} (preset {p})" for m, p in METHOD_PRESETS.items())
                                   + " on the same dataset and seed, each with its standard procedure (the "
                                     "mode-collapse lesson trains the same presets); record each under "
                                     "--out/<method>/ and write --out/summary.json.")
    _add_common(c)
    c.add_argument("--jobs", type=_positive_int, default=min(3, os.cpu_count() or 1),
                   help="methods trained at once in separate processes (default: up to 3, one per core)")
    # 1500 G-steps: WGAN-GP is past 70 % high-quality samples for the default seed (RESULTS.md)
    c.set_defaults(func=_compare, steps=COMPARE_STEPS)

    try:
        from .images import cli as images_cli
    except ImportError:  # image support is optional
        images_cli = None
    if images_cli is not None and hasattr(images_cli, "register"):
        images_cli.register(sub)
    return parser


def _overrides(args: argparse.Namespace) -> dict:
    names = ("width", "depth", "batch_size", "lr", "metrics_every", "eval_samples", "n_critic", "clip_value",
             "lambda_gp", "optimizer", "critic_lr_ratio")
    out = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    if getattr(args, "official_schedule", False):
        out["official_schedule"] = True
    return out


def _default_out(args: argparse.Namespace, what: str) -> Path:
    from .runs import new_run_dir

    return new_run_dir(f"{what}-{args.dataset}-seed{args.seed}")


def _threads(args: argparse.Namespace, runs_at_once: int = 1) -> int:
    """CPU threads per run: ``--threads``, else the machine's cores shared by the runs at once."""
    return args.threads or max(1, (os.cpu_count() or 1) // runs_at_once)


def _fmt(value, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def toy_config(args: argparse.Namespace):
    """The validated TrainConfig of parsed ``train-toy`` flags (its preset, then every flag given)."""
    return preset(args.preset or TOY_PRESET_OF[args.loss], dataset=args.dataset, loss=args.loss, seed=args.seed,
                  device=args.device, cpu_threads=_threads(args), **_overrides(args))


def _train_toy(args: argparse.Namespace) -> int:
    config = toy_config(args)
    out = Path(args.out) if args.out else _default_out(args, f"toy-{args.loss}")
    summary = train_and_record(config, out, args.steps, args.progress, args.loss, args.snapshot_every)
    print(json.dumps({k: summary[k] for k in ("g_steps_per_s", "modes", "hq_share", "w1_exact",
                                              "critic_estimate", "seconds")}))
    print(f"recorded in {out}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from .compare import compare

    out = Path(args.out) if args.out else _default_out(args, "compare")
    jobs = min(args.jobs, len(COMPARE_METHODS))
    result = compare(args.dataset, args.seed, args.steps, out=out, device=args.device, jobs=jobs,
                     threads=_threads(args, jobs), overrides=_overrides(args), progress=args.progress,
                     fork=args.fresh_process)
    for m, r in result.results.items():
        print(f"{m:8s} W1 {_fmt(r['w1_exact'])}  modes {_fmt(r['modes'], '{:.0f}')}  hq {_fmt(r['hq_share'])}  "
              f"critic {_fmt(r['critic_estimate'])}  {_fmt(r['g_steps_per_s'], '{:.1f}')} G-steps/s")
    print(result.verdict)
    print(f"recorded in {out} ({result.seconds:.1f} s)")
    return 0


def main(argv: list[str] | None = None, fresh_process: bool = False) -> int:
    """Entry point; returns the exit status (0 ok, 1 file-system error, 2 bad flags or values, 3 the run
    diverged, 130 interrupted). ``fresh_process``: the caller is a new process that has computed
    nothing yet (``python -m wgan_core``), so ``compare`` may fork its workers."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a parse error (2, already printed as one line)
        return int(exc.code or 0)
    args.fresh_process = fresh_process
    from .checkpoint import CheckpointError
    from .divergence import DivergedError

    try:
        if getattr(args, "threads", None):  # otherwise each trainer takes its config's cpu_threads
            import torch

            torch.set_num_threads(args.threads)
        return int(args.func(args) or 0)
    except DivergedError as exc:
        print(f"wgan_core: {exc}", file=sys.stderr)
        return 3
    except (ValueError, CheckpointError) as exc:
        print(f"wgan_core: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. an --out directory that cannot be created
        print(f"wgan_core: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wgan_core: interrupted", file=sys.stderr)
        return 130
