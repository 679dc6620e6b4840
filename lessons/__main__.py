"""Command line of the lessons: ``python -m lessons figure N`` reproduces figure N of the WGAN paper.

It prints the numbers behind the figure and one line per claim with the measured value, and writes
``figure.json`` (and ``figure.npz`` with the curves) under ``--out``. Figures 1, 3, 4 and 5 run the
lessons' computations (:mod:`lessons.figures`); figure 2 is :func:`wgan_core.compare.compare` (what
``python -m wgan_core compare`` prints) with the presets of the mode-collapse lesson; figures 6–8 are
two ``python -m wgan_core train-images`` runs (WGAN and GAN) with the images lesson's classroom
settings on the offline digits.

Bad flags or values print one line ``lessons: error: ...`` and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main", "build_parser", "IMAGE_FIGURE_GENERATOR", "IMAGE_FIGURE_STEPS"]

#: Figures 6-8: the paper's generator of each figure (the critic is always the DCGAN one), and the
#: generator iterations each of the two runs (WGAN, GAN) gets by default.
IMAGE_FIGURE_GENERATOR = {"6": "dcgan", "7": "dcgan-nobn", "8": "mlp"}
IMAGE_FIGURE_STEPS = 300
FIGURES = """\
  1    W, JS, KL, TV between parallel lines (closed form, and POT/scipy from samples)
  2    8 Gaussians: GAN vs WGAN vs WGAN-GP (the comparison of `python -m wgan_core compare`)
  3    optimal discriminator vs optimal critic between two 1-D Gaussians
  4, 5 the WGAN critic's estimate and the GAN's JS estimate beside the exact W1
  6-8  images: WGAN and GAN with a DCGAN (6), no-batch-norm (7) or MLP (8) generator
       (runs `python -m wgan_core train-images` twice; offline digits by default)"""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):  # noqa: D401 - argparse's hook
        self.exit(2, f"lessons: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from wgan_core.compare import COMPARE_STEPS

    parser = _Parser(prog="python -m lessons", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    f = sub.add_parser("figure", help="reproduce a figure of the WGAN paper and print its numbers",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Reproduce figure N of the WGAN paper with the same code as its lesson.\n\n"
                                   + FIGURES)
    a = f.add_argument
    a("number", choices=("1", "2", "3", "4", "5", "6", "7", "8"), help="the figure")
    a("--steps", type=int, help=f"training length: generator iterations for 2 ({COMPARE_STEPS}), 4-5 (1500) "
                                f"and 6-8 ({IMAGE_FIGURE_STEPS} per run); critic iterations for 3 (500)")
    a("--samples", type=int, default=2000,
      help="figure 1: points per line for the sample estimates (default %(default)s)")
    a("--dataset", help="2: 8gaussians or 8gaussians-narrow; 4-5: 8gaussians, 25gaussians or swissroll; "
                        "6-8: digits, lsun or folder (digits)")
    a("--data-root", help="6-8 with --dataset lsun or folder: where the images are")
    a("--seed", type=int, default=0, help="seed of figures 2 and 6-8 (default 0)")
    a("--device", choices=("auto", "cpu", "cuda"), default="auto",
      help="figures 2 and 6-8: auto picks CUDA when present")
    a("--threads", type=int, help="torch CPU threads (default: every core)")
    a("--out", help="directory to write (default: $WGAN_RUNS_DIR or ./runs, plus figure-N-<time>)")
    a("--no-progress", dest="progress", action="store_false", help="no progress bars")
    return parser


def _fmt(value, pattern: str = "{:.3f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def _positive(name: str, value) -> None:
    if value is not None and value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value}")


def _figure(args: argparse.Namespace, fresh_process: bool) -> int:
    from wgan_core.runs import new_run_dir, write_json

    n = args.number
    _positive("--steps", args.steps)
    _positive("--samples", args.samples)
    out = Path(args.out) if args.out else new_run_dir(f"figure-{n}")
    if n == "2":
        return _figure_2(args, out, fresh_process)
    if n in IMAGE_FIGURE_GENERATOR:
        return _image_figure(args, out)
    import numpy as np

    from . import figures  # the lessons hold each figure's computation

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if n == "1":
        fig = figures.figure_1(samples=args.samples)
    elif n == "3":
        fig = figures.figure_3(iters=args.steps or 500)
    else:
        fig = figures.figures_4_5(steps=args.steps or 1500, dataset=args.dataset or "8gaussians")
    write_json(out / "figure.json", fig.to_json())
    np.savez(out / "figure.npz", **fig.arrays)
    print(f"Figure {fig.number}: {fig.title}\n\n{fig.table()}\n")
    for claim in fig.claims:
        print(f"- {claim}")
    print(f"\nwritten to {out}")
    return 0


def _figure_2(args: argparse.Namespace, out: Path, fresh_process: bool) -> int:
    """Figure 2: the three methods on the ring, each run's coverage and the seed table's verdict."""
    import os

    from wgan_core.compare import COMPARE_METHODS, COMPARE_STEPS, compare
    from wgan_core.config import TOY_DATASETS

    if args.dataset is not None and args.dataset not in TOY_DATASETS:
        raise ValueError(f"--dataset for figure 2 must be one of {', '.join(TOY_DATASETS)}; got {args.dataset!r}")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    jobs = min(len(COMPARE_METHODS), os.cpu_count() or 1)
    result = compare(args.dataset or "8gaussians", args.seed, args.steps or COMPARE_STEPS, out=out,
                     device=args.device, jobs=jobs, threads=args.threads or max(1, (os.cpu_count() or 1) // jobs),
                     progress=args.progress, fork=fresh_process)
    print(f"Figure 2: {args.dataset or '8gaussians'}, seed {args.seed}, {args.steps or COMPARE_STEPS} generator "
          "steps per method")
    for m, r in result.results.items():
        print(f"{m:8s} " + "  ".join(f"{k} {_fmt(r.get(k), '{:.4g}')}" for k in (
            "modes", "modes_mean_late", "modes_visited", "hq_share", "w1_exact")))
    print(f"- {result.verdict}")
    print(f"\nwritten to {out}")
    return 0


def _image_figure(args: argparse.Namespace, out: Path) -> int:
    """Figures 6-8: the same generator trained as a WGAN and as a GAN (the paper's left and right)."""
    from wgan_core import cli
    from wgan_core.runs import write_json

    generator = IMAGE_FIGURE_GENERATOR[args.number]
    dataset = args.dataset or "digits"
    settings = []
    if dataset == "digits":  # the images lesson's classroom settings: they learn within minutes on a CPU
        from . import images as lesson

        net = lesson.PROFILES["classroom"]["config"]
        settings = ["--ngf", str(net["ngf"]), "--ndf", str(net["ndf"]), "--z-dim", str(net["z_dim"]),
                    "--batch-size", str(net["batch_size"])]
    rows = {}
    for loss in ("wgan", "gan"):
        # the classroom raises the WGAN's learning rate; the GAN keeps the paper's baseline, DCGAN's
        # standard procedure (train-images' --loss gan defaults: Adam 2e-4, beta1 0.5, one D step per G step)
        lr = ["--lr", str(lesson.CLASSROOM_LR[generator])] if settings and loss == "wgan" else []
        argv = ["train-images", "--dataset", dataset, "--generator", generator, "--critic", "dcgan",
                "--loss", loss, "--steps", str(args.steps or IMAGE_FIGURE_STEPS), "--seed", str(args.seed),
                "--device", args.device, "--out", str(out / loss), *settings, *lr]
        argv += ["--data-root", args.data_root] if args.data_root else []
        argv += ["--threads", str(args.threads)] if args.threads else []
        argv += [] if args.progress else ["--no-progress"]
        status = cli.main(argv)
        if status:
            return status
        rows[loss] = json.loads((out / loss / "summary.json").read_text())
    keys = ("classes_covered", "class_kl", "w1_pixels", "critic_estimate", "g_steps_per_s")
    print(f"\nFigure {args.number}: generator {generator}, critic dcgan, {args.steps or IMAGE_FIGURE_STEPS} "
          f"generator iterations each" + (" (the images lesson's classroom settings: " + " ".join(settings) + ")"
                                           if settings else " (the paper's settings)")
          + ". WGAN: RMSProp, n_critic 5, clip 0.01; GAN: the standard DCGAN procedure, Adam(2e-4, beta1 0.5), "
            "one discriminator step per generator step")
    for loss, summary in rows.items():
        print(f"{loss:5s} " + "  ".join(f"{k} {_fmt(summary.get(k), '{:.4g}')}" for k in keys))
    w, g = rows["wgan"], rows["gan"]
    if all(k in r for r in (w, g) for k in ("classes_covered", "class_kl")):
        print(f"- digit classes covered (of 10): WGAN {w['classes_covered']:.0f}, GAN {g['classes_covered']:.0f}; "
              f"class KL (nats, 0 = classes as in the data): WGAN {_fmt(w['class_kl'])}, GAN {_fmt(g['class_kl'])}")
    print(f"sample grids (PNG): {out / 'wgan' / 'samples'} and {out / 'gan' / 'samples'}")
    write_json(out / "figure.json", {"figure": args.number, "generator": generator, "settings": settings, "runs": rows})
    return 0


def main(argv: list[str] | None = None, fresh_process: bool = False) -> int:
    """Entry point; returns the exit status (0 ok, 1 file-system error, 2 bad flags or values).

    ``fresh_process``: the caller is a new process that has computed nothing yet, so figure 2's
    ``compare`` may fork its workers (see :func:`wgan_core.cli.main`)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a parse error (2, already printed as one line)
        return int(exc.code or 0)
    try:
        return _figure(args, fresh_process)
    except ValueError as exc:
        print(f"lessons: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"lessons: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lessons: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(fresh_process=True))  # nothing computed yet: figure 2's compare may fork its workers
