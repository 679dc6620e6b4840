r"""Multi-process training with ``DistributedDataParallel`` (``torchrun --nproc_per_node=K``).

Every rank runs the same :class:`~wgan_core.trainer.Trainer` loop on its own slice of randomness;
DDP makes them one optimisation:

* the generator and the critic are wrapped *separately* (:class:`DDPModule`), so each backward
  averages the gradients of the network it trains across ranks — the effective batch is $K m$;
* all ranks start from rank 0's weights (DDP broadcasts them at wrap time) and apply identical
  averaged updates, so their weights stay identical; weight clipping
  $w \leftarrow \mathrm{clip}(w, -c, c)$ runs on every rank after every critic step and keeps them so;
* batch-norm running statistics are buffers: DDP broadcasts rank 0's at every training forward
  (``forward_sync_buffers=True``), so evaluation uses the same statistics everywhere;
* the critic schedule ($n_{critic}$, or the official 100-iteration bursts) depends only on the
  generator step, which all ranks share — :func:`check_in_step` verifies the counts agree;
* ranks differ only in their seeds for the noise and the data (``seed + rank``); rank 0 alone writes
  checkpoints, grids and the summary.

A forward pass that cannot start a gradient reduction — under ``torch.no_grad()``, or through the
critic while it is frozen for the generator update, or for an input-gradient metric — goes straight
to the wrapped module, so DDP never waits for gradients that will not come.
On CPU the ``gloo`` backend is used, on CUDA ``nccl``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = ["DistContext", "init_distributed", "DDPModule", "wrap", "check_in_step", "is_distributed_env", "gather",
           "check_in_sync",
           "shutdown"]


@dataclass(frozen=True)
class DistContext:
    """Where this process stands: ``rank`` of ``world_size``, its ``local_rank`` and ``device``."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def is_distributed_env() -> bool:
    """Whether ``torchrun`` (or an equivalent launcher) started this process among several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(device: torch.device, backend: str | None = None) -> DistContext:
    """Join the process group described by the launcher's environment (``RANK``, ``WORLD_SIZE``,
    ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``); a single process gets a trivial context."""
    if not is_distributed_env():
        return DistContext(device=device)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend or ("nccl" if device.type == "cuda" else "gloo"))
    return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, device)


def shutdown() -> None:
    """Leave the process group together: a barrier first, so no rank tears down its connections
    while another still talks to it."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


class DDPModule(DistributedDataParallel):
    """``DistributedDataParallel`` that (a) skips DDP for forwards that will never be followed by a
    gradient reduction and (b) saves and loads the *wrapped* module's state dict, so checkpoints of
    distributed runs load into single-process runs and back."""

    def forward(self, *args, **kwargs):
        needs_sync = (torch.is_grad_enabled() and self.module.training and getattr(self, "_sync_next", True)
                      and any(p.requires_grad for p in self.module.parameters()))
        if not needs_sync:
            return self.module(*args, **kwargs)
        return super().forward(*args, **kwargs)

    def state_dict(self, *args, **kwargs):
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        return self.module.load_state_dict(state_dict, strict=strict, assign=assign)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.module, name)  # e.g. generator.z_dim


def wrap(module: nn.Module, ctx: DistContext) -> nn.Module:
    """``module`` on ``ctx.device``, wrapped in :class:`DDPModule` when running distributed."""
    module = module.to(ctx.device)
    if not ctx.distributed:
        return module
    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DDPModule(module, device_ids=ids, forward_sync_buffers=True)


def _agree(ctx: DistContext, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    lo, hi = values.to(ctx.device).clone(), values.to(ctx.device).clone()
    dist.all_reduce(lo, op=dist.ReduceOp.MIN)
    dist.all_reduce(hi, op=dist.ReduceOp.MAX)
    return lo.cpu(), hi.cpu()


def check_in_step(ctx: DistContext, critic_steps: int, g_step: int) -> None:
    """Raise RuntimeError unless every rank made the same number of critic and generator steps."""
    if not ctx.distributed:
        return
    lo, hi = _agree(ctx, torch.tensor([critic_steps, g_step], dtype=torch.float64))
    if not torch.equal(lo, hi):
        raise RuntimeError(f"ranks disagree on step counts: min {lo.tolist()} max {hi.tolist()} "
                           "(critic steps, generator steps)")


def check_in_sync(ctx: DistContext, *modules: nn.Module) -> None:
    """Raise RuntimeError unless the parameters of ``modules`` are identical on every rank
    (compared through their sum, sum of squares and largest magnitude in float64)."""
    if not ctx.distributed:
        return
    flat = torch.cat([p.detach().double().reshape(-1) for m in modules for p in m.parameters()])
    lo, hi = _agree(ctx, torch.stack((flat.sum(), (flat * flat).sum(), flat.abs().max())))
    if not torch.equal(lo, hi):
        raise RuntimeError(f"ranks hold different weights: min {lo.tolist()} max {hi.tolist()}")


def gather(ctx: DistContext, obj):
    """Every rank's ``obj`` as a list on rank 0 (``[obj]`` when not distributed; None off rank 0)."""
    if not ctx.distributed:
        return [obj]
    out = [None] * ctx.world_size if ctx.is_main else None
    dist.gather_object(obj, out, dst=0)
    return out
