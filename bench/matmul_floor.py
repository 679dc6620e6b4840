"""The matrix-product floor of one generator iteration of Algorithm 1 on the toy MLPs.

A WGAN generator iteration on the toy MLPs is almost all matrix products. This module lists the
products that any correct implementation has to form (:func:`algorithm1_products`), and times
exactly those products back to back as bare ``torch.addmm``/``torch.mm`` calls on preallocated
operands (:func:`floor_seconds`). Nothing else is timed: no sampling, no element-wise work, no
optimiser, no Python besides the loop. The result is the time one iteration cannot go below at
that precision. From it ``bench/toy_throughput.py`` prints two numbers: the largest speed-up over
the plain loop that any implementation doing the same arithmetic could reach, and how close the
trainer comes to the floor.

The list, for critic layer sizes ``c`` = (2, W, …, W, 1), generator layer sizes ``g`` = (z, W, …, W, 2),
batch ``m`` and ``n_critic`` = k. Each product is ``(M, K, N)``, an ``M×K`` by ``K×N`` product:

* the fakes for the k critic updates: ``g`` frozen, so one forward of ``k·m`` rows;
* each critic update does three things:
  * a forward of the ``2m`` rows ``[real; fake]``;
  * the weight gradient of every layer;
  * the input gradient of every layer but the first (the data need no gradient);
* the generator update does four things:
  * forwards of ``g`` and the critic on ``m`` rows;
  * the critic's input gradients down to its input, with no critic weight gradients;
  * the generator's weight gradients;
  * its input gradients for every layer but the first.

This is what :class:`wgan_core.engines.toy.MLPKernel` does, and ``tests/test_mlp_kernel.py`` checks
that the trainer forms exactly these products. Autograd in the plain loop forms the same ones.
"""

from __future__ import annotations

import statistics
import time

import torch

__all__ = ["algorithm1_products", "product_flops", "floor_seconds"]


def _sizes(n_in: int, n_out: int, width: int, depth: int) -> list[int]:
    return [n_in] + [width] * depth + [n_out]


def algorithm1_products(width: int, depth: int, batch_size: int, n_critic: int, z_dim: int = 2,
                        data_dim: int = 2) -> list[tuple[str, int, int, int]]:
    """Every matrix product of one WGAN generator iteration, as ``(kind, M, K, N)``.

    ``kind`` is ``"addmm"`` for a forward layer (a product plus the bias) and ``"mm"`` for a product
    of the backward pass. See the module docstring for the list.
    """
    c = _sizes(data_dim, 1, width, depth)
    g = _sizes(z_dim, data_dim, width, depth)
    m, k = batch_size, n_critic
    out: list[tuple[str, int, int, int]] = []

    def forward(sizes, rows):
        out.extend(("addmm", rows, sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))

    def weight_grads(sizes, rows):
        out.extend(("mm", sizes[i + 1], rows, sizes[i]) for i in range(len(sizes) - 1))

    def input_grads(sizes, rows, down_to):
        out.extend(("mm", rows, sizes[i + 1], sizes[i]) for i in range(len(sizes) - 2, down_to - 1, -1))

    forward(g, k * m)                   # the k fake batches, one forward (θ is frozen)
    for _ in range(k):                  # k critic updates
        forward(c, 2 * m)
        weight_grads(c, 2 * m)
        input_grads(c, 2 * m, down_to=1)
    forward(g, m)                       # the generator update
    forward(c, m)
    input_grads(c, m, down_to=0)        # down to ∂f/∂x: the critic's weights get no gradient here
    weight_grads(g, m)
    input_grads(g, m, down_to=1)
    return out


def product_flops(products) -> int:
    """Floating-point operations of the products: ``2·M·K·N`` each."""
    return sum(2 * m * k * n for _, m, k, n in products)


def floor_seconds(products, dtype: torch.dtype = torch.float32, device: str = "cpu", reps: int = 7) -> float:
    """Median wall time of running every product of ``products`` once, back to back (``reps`` repeats
    after one warm-up).

    Operands are preallocated, one set per distinct shape, and results are written with ``out=``.
    Products of the same shape therefore reuse operands that are already in cache, which a real
    iteration cannot always do. That makes the floor an optimistic bound: no implementation of the
    same products at this precision runs faster.
    """
    dev = torch.device(device)
    operands: dict[tuple, tuple] = {}
    ops = []
    for key in products:
        if key not in operands:
            kind, m, k, n = key
            operands[key] = (torch.randn(m, k, dtype=dtype, device=dev), torch.randn(k, n, dtype=dtype, device=dev),
                             torch.empty(m, n, dtype=dtype, device=dev),
                             torch.randn(n, dtype=dtype, device=dev) if kind == "addmm" else None)
        ops.append(operands[key])

    def once():
        for a, b, o, bias in ops:
            if bias is None:
                torch.mm(a, b, out=o)
            else:
                torch.addmm(bias, a, b, out=o)
        if dev.type == "cuda":
            torch.cuda.synchronize()

    once()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
