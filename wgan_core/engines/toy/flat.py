"""Flat parameter buffers: a toy network's trainable parameters as consecutive views of one tensor.

Element-wise work over all parameters (RMSProp, clipping) then runs as one operation on the buffer
instead of one per tensor; for the small toy networks that per-tensor overhead costs as much as the
arithmetic. The hand-written backward passes (:mod:`.kernel`) write every gradient into a second
flat buffer of the same layout, which the lean optimisers (:mod:`.optim`) read.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["flatten_parameters", "flat_view", "FlatCache", "cached_plan"]


def flatten_parameters(module: nn.Module) -> torch.Tensor | None:
    """Make the trainable parameters of ``module`` consecutive views of one flat buffer (values
    unchanged) and return that buffer; None when there is nothing to flatten (mixed dtypes/devices).

    ``load_state_dict`` copies in place, so the views survive a resume.
    """
    params = [p for p in module.parameters() if p.requires_grad]
    if not params or len({(p.dtype, p.device) for p in params}) != 1:
        return None
    with torch.no_grad():
        flat = torch.cat([p.detach().reshape(-1) for p in params])
        offset = 0
        for p in params:
            p.data = flat[offset:offset + p.numel()].view_as(p)
            offset += p.numel()
    return flat


def flat_view(tensors) -> torch.Tensor | None:
    """The 1-D tensor that ``tensors`` tile in order, when they are contiguous consecutive pieces of
    one storage (as :func:`flatten_parameters` leaves them); otherwise None."""
    if not tensors:
        return None
    t0 = tensors[0]
    storage, start = t0.untyped_storage(), t0.storage_offset()
    end = start
    for t in tensors:
        if (t.dtype != t0.dtype or not t.is_contiguous() or t.storage_offset() != end
                or t.untyped_storage().data_ptr() != storage.data_ptr()):
            return None
        end += t.numel()
    return torch.empty(0, dtype=t0.dtype, device=t0.device).set_(storage, start, (end - start,))


class FlatCache:
    """``flat_view`` of a list of tensors, recomputed only when their data pointers change."""

    def __init__(self):
        self._key, self._flat = None, None

    def __call__(self, tensors) -> torch.Tensor | None:
        key = tuple(t.data_ptr() for t in tensors)
        if key != self._key:
            self._key, self._flat = key, flat_view(tensors)
        return self._flat


def cached_plan(plans: dict, group: dict) -> tuple | None:
    """The flat-buffer plan a lean optimiser made for ``group`` on an earlier step, if it still holds.

    A plan is made only when the gradients are views of one flat buffer (the hand-written backward
    writes them there); it holds while every parameter's ``.grad`` is still the very tensor it was
    then (autograd with ``set_to_none`` replaces them), checked by identity, which is what makes the
    cached path cheap.
    """
    plan = plans.get(id(group))
    if plan is None:
        return None
    grads = plan[0]
    params = group["params"]
    if len(params) != len(grads) or any(p.grad is not g for p, g in zip(params, grads, strict=True)):
        del plans[id(group)]
        return None
    return plan
