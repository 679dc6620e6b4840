r"""Counted floating-point work of one generator iteration of Algorithm 1, from the layer shapes.

A convolution with $C_{in}$ input and $C_{out}$ output channels, a $k\times k$ kernel and an output
of $H\times W$ does $C_{in} C_{out} k^2 H W$ multiply-adds per example; a transposed convolution
does $C_{in} C_{out} k^2 H_{in} W_{in}$; a linear layer $d_{in} d_{out}$. One multiply-add is two
FLOPs; batch norm and activations are ignored (they are $O(\text{activations})$, not
$O(\text{weights}\times\text{activations})$). Let $G$ and $C$ be the forward FLOPs of the generator
and the critic per example. A backward pass costs twice its forward (gradients with respect to
the inputs and to the weights), except through the frozen critic in the generator update, where
only input gradients are needed (once its forward). Per generator iteration with batch $m$:

$$\text{FLOPs} = m\,\big[n_{critic}\,(\underbrace{G}_{g_\theta(z)}
 + \underbrace{2C}_{f_w(x),\,f_w(\tilde x)} + \underbrace{4C}_{\text{backward}})
 + \underbrace{G + C}_{\text{forward}} + \underbrace{C + 2G}_{\text{backward}}\big].$$

For the paper's $64\times64$ DCGAN pair ($n_{gf} = n_{df} = 64$) with $m = 64$, $n_{critic} = 5$
this is about 532 GFLOP.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["forward_flops", "generator_iteration_flops"]


def forward_flops(module: nn.Module, example: torch.Tensor) -> int:
    """FLOPs (2 x multiply-adds of convolutions and linear layers) of ``module`` on one example.

    ``example`` is a batch of one, shape ``(1, ...)``.
    """
    total = 0

    def hook(layer, inputs, output):
        nonlocal total
        if isinstance(layer, nn.Conv2d):
            k = layer.kernel_size[0] * layer.kernel_size[1]
            total += 2 * layer.in_channels // layer.groups * layer.out_channels * k * output.shape[2] * output.shape[3]
        elif isinstance(layer, nn.ConvTranspose2d):
            k = layer.kernel_size[0] * layer.kernel_size[1]
            x = inputs[0]
            total += 2 * layer.in_channels * layer.out_channels // layer.groups * k * x.shape[2] * x.shape[3]
        elif isinstance(layer, nn.Linear):
            total += 2 * layer.in_features * layer.out_features

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    was_training = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(example)
    finally:
        module.train(was_training)
        for h in handles:
            h.remove()
    return total


def generator_iteration_flops(generator: nn.Module, critic: nn.Module, z_dim: int, image_shape: tuple[int, ...],
                              batch_size: int, n_critic: int) -> dict[str, int]:
    """``{'generator': G, 'critic': C, 'per_g_step': total}`` in FLOPs (see the module docstring)."""
    device = next(generator.parameters()).device
    g = forward_flops(generator, torch.zeros(1, z_dim, device=device))
    c = forward_flops(critic, torch.zeros(1, *image_shape, device=device))
    per_example = n_critic * (g + 2 * c + 4 * c) + (g + c) + (c + 2 * g)
    return {"generator": g, "critic": c, "per_g_step": batch_size * per_example}
