r"""Speed options for image training on a GPU that leave the maths of Algorithm 1 unchanged.

* **bf16 autocast** — :class:`Accelerated` runs the wrapped network's forward under
  ``torch.autocast(dtype=torch.bfloat16)`` (convolutions and matrix products in bfloat16 on tensor
  cores, reductions in float32) and returns float32, so losses, the clipping
  $w \leftarrow \mathrm{clip}(w, -c, c)$ and the optimiser state stay in float32;
* **channels_last** — weights and inputs in NHWC layout, which cuDNN's fastest convolutions use;
* **torch.compile / CUDA graphs** — ``TrainConfig.compile`` (``default`` or ``reduce-overhead``),
  applied by the trainer;
* **fused clamp** — the trainer clips with two ``torch._foreach_clamp_*_`` calls, one kernel launch
  per parameter group instead of one per tensor;
* **device-resident data** — ``TrainConfig.data_on_device`` holds the dataset as ``uint8`` on the GPU.

None of these can be measured on a CPU-only machine; ``bench/image_throughput.py`` measures them
where a GPU exists.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["Accelerated", "accelerate"]


class Accelerated(nn.Module):
    """Wrap ``module`` so its forward runs in bf16 autocast and/or channels_last; output float32.

    The wrapper's ``state_dict`` is the wrapped module's, so checkpoints are interchangeable with
    plain runs. Attributes it does not have (``z_dim``) are read from the wrapped module.
    """

    def __init__(self, module: nn.Module, bf16: bool = False, channels_last: bool = False):
        super().__init__()
        self.inner = module.to(memory_format=torch.channels_last) if channels_last else module
        self.bf16, self.channels_last = bool(bf16), bool(channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        if self.bf16:
            with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
                return self.inner(x).float()
        return self.inner(x)

    def state_dict(self, *args, **kwargs):
        return self.inner.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        return self.inner.load_state_dict(state_dict, strict=strict, assign=assign)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(super().__getattr__("inner"), name)


def accelerate(module: nn.Module, bf16: bool = False, channels_last: bool = False) -> nn.Module:
    """``module`` itself when no option is on, else an :class:`Accelerated` wrapper."""
    return Accelerated(module, bf16, channels_last) if (bf16 or channels_last) else module
