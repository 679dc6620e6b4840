"""The ``train-images`` subcommand: ``python -m wgan_core train-images ...`` (or under ``torchrun``).

Defaults are the WGAN paper's (Algorithm 1): RMSProp with $\\alpha = 5\\cdot10^{-5}$, clipping
$c = 0.01$, batch $m = 64$, $n_{critic} = 5$; for ``--loss wgan-gp``, Gulrajani et al.'s
Adam($10^{-4}$, $\\beta = (0, 0.9)$), $\\lambda = 10$; for ``--loss gan``, the paper's baseline, the
standard DCGAN procedure (preset ``dcgan-gan``): one discriminator step per generator step and
Adam($2\\cdot10^{-4}$, $\\beta_1 = 0.5$). A GAN handicapped with the WGAN's settings is an explicit
choice: ``--loss gan --optimizer rmsprop --lr 5e-5 --n-critic 5``.
Examples::

    python -m wgan_core train-images --steps 2000 --out runs/digits-wgan        # offline digits
    python -m wgan_core train-images --dataset lsun --data-root /data/lsun --image-size 64 \\
        --device cuda --data-on-device --bf16 --channels-last --steps 100000 --out runs/bedrooms
    torchrun --nproc_per_node=2 -m wgan_core train-images --device cpu --steps 100 --out runs/ddp
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["register", "add_arguments", "config_from_args", "run", "main"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--dataset", choices=("digits", "lsun", "folder"), default="digits",
      help="digits: scikit-learn's 1,797 digits, offline (default); lsun: <data-root>/<category>_train_lmdb; "
           "folder: every image below --data-root")
    a("--data-root", default="", help="directory of the LSUN lmdb(s) or of the image folder")
    a("--lsun-category", default="bedroom")
    a("--image-size", type=int, choices=(32, 64), default=None, help="default 32 for digits, 64 otherwise")
    a("--generator", choices=("dcgan", "dcgan-nobn", "mlp"), default="dcgan")
    a("--critic", choices=("dcgan", "mlp"), default="dcgan", dest="critic_arch")
    a("--loss", choices=("wgan", "gan", "wgan-gp"), default="wgan")
    a("--steps", type=int, default=1000, help="train until this many generator iterations")
    a("--batch-size", type=int, default=64)
    a("--n-critic", type=int, default=None, help="default 5 (1 for gan)")
    a("--clip-value", type=float, default=0.01)
    a("--lambda-gp", type=float, default=10.0)
    a("--optimizer", choices=("rmsprop", "adam"), default=None, help="default rmsprop (adam for wgan-gp and gan)")
    a("--lr", type=float, default=None, help="default 5e-5 (1e-4 for wgan-gp, 2e-4 for gan)")
    a("--critic-lr-ratio", type=float, default=1.0,
      help="the critic's learning rate is --lr times this (1 in the papers)")
    a("--ngf", type=int, default=64)
    a("--ndf", type=int, default=64)
    a("--z-dim", type=int, default=100)
    a("--seed", type=int, default=0)
    a("--device", choices=("auto", "cpu", "cuda"), default="auto")
    a("--out", default=None, help="run directory (default: $WGAN_RUNS_DIR or ./runs, plus a timestamped name)")
    a("--resume", default=None, metavar="CKPT", help="continue from a checkpoint.pt written by train-images")
    a("--metrics-every", type=int, default=50)
    a("--grid-every", type=int, default=100)
    a("--checkpoint-every", type=int, default=500)
    a("--eval-samples", type=int, default=512)
    a("--official-schedule", action="store_true", help="100 critic iterations for the first 25 and every 500th G step")
    a("--no-clamp-bn", dest="clamp_bn", action="store_false",
      help="leave the critic's batch-norm scales and shifts unclipped (the paper's code clips them)")
    a("--data-on-device", action="store_true", help="hold the preprocessed dataset on the device as uint8")
    a("--bf16", action="store_true", help="bf16 autocast in the networks (GPU)")
    a("--channels-last", action="store_true", help="NHWC memory layout (GPU)")
    a("--compile", choices=("none", "default", "reduce-overhead"), default="none",
      help="torch.compile the networks; reduce-overhead uses CUDA graphs")
    a("--workers", type=int, default=None, help="DataLoader workers for lsun/folder (default: 0 on CPU, 8 on GPU)")
    a("--skip-corrupt", action="store_true", help="skip (and count) undecodable images instead of stopping")
    a("--threads", type=int, default=None, help="torch CPU threads (default: every core, shared by torchrun's ranks)")
    a("--no-progress", dest="progress", action="store_false")


def register(subparsers) -> argparse.ArgumentParser:
    """Add ``train-images`` to the ``wgan_core`` CLI's subparsers; its handler is ``args.func``."""
    p = subparsers.add_parser("train-images", help="train a GAN/WGAN/WGAN-GP on images (digits, LSUN, a folder)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    p.set_defaults(func=run)
    return p


def config_from_args(args: argparse.Namespace):
    """The validated :class:`~wgan_core.config.TrainConfig` of the parsed flags."""
    from wgan_core.config import preset

    gp = args.loss == "wgan-gp"
    overrides = dict(
        dataset=args.dataset, data_root=args.data_root, lsun_category=args.lsun_category,
        image_size=args.image_size or (32 if args.dataset == "digits" else 64), generator=args.generator,
        critic_arch=args.critic_arch, loss=args.loss, batch_size=args.batch_size,
        clip_value=args.clip_value, lambda_gp=args.lambda_gp, ngf=args.ngf, ndf=args.ndf, z_dim=args.z_dim,
        seed=args.seed, device=args.device, metrics_every=args.metrics_every, eval_samples=args.eval_samples,
        official_schedule=args.official_schedule, clamp_bn=args.clamp_bn, data_on_device=args.data_on_device,
        compile=args.compile, cpu_threads=cpu_threads(args), critic_lr_ratio=args.critic_lr_ratio,
    )
    if args.optimizer:
        overrides["optimizer"] = args.optimizer
    if args.lr is not None:
        overrides["lr"] = args.lr
    if args.n_critic is not None:
        overrides["n_critic"] = args.n_critic
    return preset("gp-paper" if gp else "dcgan-gan" if args.loss == "gan" else "paper", **overrides)


def cpu_threads(args: argparse.Namespace) -> int:
    """``--threads``, else every core shared by the ranks on this machine (torchrun's LOCAL_WORLD_SIZE)."""
    return args.threads or max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", "1")))


def default_out(args: argparse.Namespace) -> Path:
    from wgan_core.runs import new_run_dir

    return new_run_dir(f"images-{args.dataset}-{args.generator}-{args.loss}")


def run(args: argparse.Namespace) -> int:
    """Handler of ``train-images``: returns the process exit status."""
    import torch

    from wgan_core.checkpoint import CheckpointError
    from wgan_core.divergence import DivergedError
    from wgan_core.images.train import train_images

    try:
        torch.set_num_threads(cpu_threads(args))
        config = config_from_args(args)
        out = Path(args.out) if args.out else (Path(args.resume).parent if args.resume else default_out(args))
        summary = train_images(config, out, args.steps, resume=args.resume, metrics_every=args.metrics_every,
                               grid_every=args.grid_every, checkpoint_every=args.checkpoint_every, bf16=args.bf16,
                               channels_last=args.channels_last, num_workers=args.workers,
                               skip_corrupt=args.skip_corrupt, progress=args.progress)
    except DivergedError as exc:
        print(f"train-images: {exc}", file=sys.stderr)
        return 3
    except (ValueError, CheckpointError) as exc:
        print(f"train-images: error: {exc}", file=sys.stderr)
        return 2
    if int(os.environ.get("RANK", "0")) == 0:
        keys = ("g_step", "g_steps_per_s", "critic_estimate", "classes_covered", "class_kl", "w1_pixels")
        print("  ".join(f"{k}={summary[k]:.4g}" if isinstance(summary[k], float) else f"{k}={summary[k]}"
                        for k in keys if k in summary))
        print(f"run recorded in {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m wgan_core.images.cli ...`` — the subcommand on its own."""
    parser = argparse.ArgumentParser(prog="train-images", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
