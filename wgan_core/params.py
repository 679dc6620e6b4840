"""Small torch helpers the trainer and the gradient engines share: which parameters train and which
are clipped, the torch thread count of a block, and loading an optimiser state saved by either engine."""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["has_batchnorm", "trainable", "clip_params", "thread_limit", "load_optimizer_state"]


def has_batchnorm(module: nn.Module) -> bool:
    """Whether ``module`` holds a batch-norm layer (its outputs then depend on the whole batch)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def trainable(module: nn.Module) -> list[nn.Parameter]:
    """The parameters of ``module`` that require gradients."""
    return [p for p in module.parameters() if p.requires_grad]


def clip_params(critic: nn.Module, clamp_bn: bool) -> list[nn.Parameter]:
    """The critic weights that WGAN clips: every trainable one, batch norm's only with ``clamp_bn``."""
    bn = {id(p) for m in critic.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) for p in m.parameters()}
    return [p for p in trainable(critic) if clamp_bn or id(p) not in bn]


@contextmanager
def thread_limit(n: int):
    """Run the body with ``n`` torch intra-op threads and restore the previous count (0: no change)."""
    prev = torch.get_num_threads()
    if n <= 0 or n == prev:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


def load_optimizer_state(opt: torch.optim.Optimizer, state: dict) -> None:
    """``opt.load_state_dict(state)`` for a state saved by either engine's optimisers: the lean ones
    keep fewer group options (their defaults are filled in from ``opt``) and the lean RMSProp no
    ``step`` counter (``torch.optim.RMSprop`` needs one; it does not enter the update)."""
    groups = [{**opt.defaults, **group} for group in state["param_groups"]]
    per_param = {k: s if "step" in s else {**s, "step": torch.zeros(())} for k, s in state["state"].items()}
    opt.load_state_dict({**state, "param_groups": groups, "state": per_param})
