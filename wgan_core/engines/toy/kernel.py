r"""A hand-written forward and backward pass for the toy MLPs, with gradients written in place.

The toy networks (:func:`wgan_core.models.mlp`) are ``depth`` blocks ``Linear → ReLU`` and a final
``Linear``. For them the trainer does not need autograd's general machinery: with $h_0 = x$,

$$a_k = h_{k-1} W_k^\top + b_k,\qquad h_k = \mathrm{ReLU}(a_k),\qquad \text{out} = h_{D} W_{D+1}^\top + b_{D+1},$$

and, given $g = \partial \ell / \partial\,\text{out}$ (one row per example, from
:func:`~.grads.critic_loss_grad` / :func:`~.grads.generator_loss_grad`), going down
the layers

$$\nabla_{W_k}\ell = g_k^\top h_{k-1},\qquad \nabla_{b_k}\ell = \textstyle\sum_i g_{k,i},\qquad
g_{k-1} = (g_k W_k) \odot \mathbb{1}[h_{k-1} > 0].$$

That is the whole backward pass: the same products autograd would form, in the same order, but
without recording a graph, and with every weight gradient written (``out=``) straight into views of
**one flat gradient buffer** that mirrors the flat parameter buffer of
:func:`~.flat.flatten_parameters`. Each parameter's ``.grad`` *is* its view of that buffer,
so the optimiser (:class:`~.optim.LeanRMSprop`) updates all weights in a handful of
operations on the two buffers, with no gather. Tests check every gradient against autograd.

The penalty of WGAN-GP is hand-written too (:meth:`MLPKernel.penalty_backward`): with the ReLU masks
fixed, the input gradient of a ReLU MLP is linear in the weights, so its derivative needs no second
pass of autograd. Used by :class:`~.engine.ToyKernelEngine`.
"""

from __future__ import annotations

import torch
from torch import nn

from .flat import flat_view

__all__ = ["MLPKernel", "kernel_for"]

#: Largest work buffer (elements) that :class:`MLPKernel` keeps between calls (16 MB of float32).
MAX_CACHED = 1 << 22

_relu_backward = torch.ops.aten.threshold_backward.grad_input  # ReLU's backward, out= form


class MLPKernel:
    """Forward/backward of an ``nn.Sequential`` of ``Linear`` and ``ReLU`` layers (see the module doc).

    Parameters
    ----------
    net : nn.Sequential
        ``Linear, ReLU, Linear, ReLU, ..., Linear`` whose trainable parameters are consecutive views
        of one flat buffer (``flatten_parameters``). Each parameter's ``.grad`` is set to a view of
        one flat gradient buffer, :attr:`grad`.
    """

    def __init__(self, net: nn.Sequential):
        self.layers: list[tuple[torch.Tensor, torch.Tensor]] = []
        expect_linear = True
        for module in net:
            if expect_linear and isinstance(module, nn.Linear) and module.bias is not None:
                self.layers.append((module.weight, module.bias))
            elif not expect_linear and isinstance(module, nn.ReLU):
                pass
            else:
                raise ValueError(f"MLPKernel needs Linear/ReLU alternating, ending in Linear; got {module}")
            expect_linear = not expect_linear
        if expect_linear or not self.layers:
            raise ValueError("MLPKernel needs a network that ends in a Linear layer")
        params = [p for pair in self.layers for p in pair]
        if [id(p) for p in net.parameters()] != [id(p) for p in params] or flat_view(params) is None:
            raise ValueError("MLPKernel needs the parameters flattened (wgan_core.engines.toy.flat.flatten_parameters)")
        self.params = params
        self.grad = torch.zeros(sum(p.numel() for p in params), dtype=params[0].dtype, device=params[0].device)
        self._grad_views = list(torch.split(self.grad, [p.numel() for p in params]))
        self._grad_views = [v.view_as(p) for v, p in zip(self._grad_views, params, strict=True)]
        self._buffers: dict[tuple, torch.Tensor] = {}
        self.attach_grads()

    def attach_grads(self) -> None:
        """Make every parameter's ``.grad`` its view of :attr:`grad` (a no-op when they already are;
        autograd with ``zero_grad(set_to_none=True)`` replaces them, e.g. after a WGAN-GP step)."""
        for p, v in zip(self.params, self._grad_views, strict=True):
            if p.grad is not v:
                p.grad = v

    def _buffer(self, tag: str, k: int, rows: int, cols: int, like: torch.Tensor) -> torch.Tensor:
        """A reused ``(rows, cols)`` work buffer: fresh large allocations cost page faults on a CPU.

        Only up to :data:`MAX_CACHED` elements each (the 100-iteration bursts of the official
        schedule would otherwise pin big buffers for the rest of the run)."""
        if rows * cols > MAX_CACHED:
            return torch.empty(rows, cols, dtype=like.dtype, device=like.device)
        key = (tag, k, rows)
        buf = self._buffers.get(key)
        if buf is None or buf.shape[1] != cols or buf.dtype != like.dtype or buf.device != like.device:
            buf = torch.empty(rows, cols, dtype=like.dtype, device=like.device)
            self._buffers[key] = buf
        return buf

    def forward(self, x: torch.Tensor, keep: bool = True) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """``(out, inputs)``: the output ``(n, n_out)`` and, if ``keep``, the input of every layer
        (``x`` and the post-ReLU activations) for :meth:`backward`.

        The activations and ``out`` live in work buffers that the next ``forward`` of the same number
        of rows overwrites: use (or copy) them before that. Like every method here it runs without
        autograd; a caller that is already under ``torch.no_grad()`` (the trainer, once per
        generator iteration) saves a grad-mode switch per call.
        """
        if torch.is_grad_enabled():
            with torch.no_grad():
                return self.forward(x, keep)
        inputs = []
        h = x
        rows, last = x.shape[0], len(self.layers) - 1
        for k, (w, b) in enumerate(self.layers):
            if keep:
                inputs.append(h)
            h = torch.addmm(b, h, w.t(), out=self._buffer("a", k, rows, w.shape[0], x))
            if k < last:
                h.relu_()
        return h, inputs

    def backward(self, inputs: list[torch.Tensor], grad_out: torch.Tensor, weights: bool = True,
                 input_grad: bool = False) -> torch.Tensor | None:
        """Back-propagate ``grad_out`` (shape ``(n, n_out)``) through the layers that made ``inputs``.

        With ``weights`` the parameter gradients are **written** (not accumulated) into :attr:`grad`;
        with ``input_grad`` returns $\\partial\\ell/\\partial x$ (a new tensor; else None).
        """
        if torch.is_grad_enabled():
            with torch.no_grad():
                return self.backward(inputs, grad_out, weights, input_grad)
        g = grad_out
        rows = g.shape[0]
        for k in range(len(self.layers) - 1, -1, -1):
            w, b = self.layers[k]
            h_in = inputs[k]
            if weights:
                torch.mm(g.t(), h_in, out=w.grad)
                torch.sum(g, 0, out=b.grad)
            if k == 0:
                return torch.mm(g, w) if input_grad else None
            dh = torch.mm(g, w, out=self._buffer("dh", k, rows, w.shape[1], g))
            g = _relu_backward(dh, h_in, 0, grad_input=self._buffer("g", k, rows, w.shape[1], g))
        return None

    def penalty_backward(self, inputs: list[torch.Tensor], lambda_gp: float) -> tuple[torch.Tensor, torch.Tensor]:
        r"""WGAN-GP's penalty at the rows that made ``inputs``; **adds** $\lambda\,\nabla_w$ of it to :attr:`grad`.

        ``inputs`` come from :meth:`forward` on the interpolates $\hat x$ (their ReLU masks
        $M_k = \mathbb 1[h_k > 0]$ are all the penalty needs: $\nabla_{\hat x} f$ of a ReLU MLP is linear
        in the weights once the masks are fixed, and a ReLU's second derivative is zero). Input
        gradient, top-down: $G_L = \mathbf 1$, $E_k = G_k W_k$, $G_{k-1} = E_k \odot M_{k-1}$, and
        $u = E_1 = \nabla_{\hat x} f$. With $P = \frac1m\sum_i (\|u_i\| - 1)^2$ and
        $R_1 = \partial P/\partial u = \frac2m (\|u_i\| - 1)\, u_i / \|u_i\|$, bottom-up:
        $\nabla_{W_k} P = G_k^\top R_k$ and $R_{k+1} = (R_k W_k^\top) \odot M_k$. The biases do not
        enter $u$. Returns ``(P, norms)``, the penalty and $\|u_i\|$ of shape ``(m,)``.
        """
        if torch.is_grad_enabled():
            with torch.no_grad():
                return self.penalty_backward(inputs, lambda_gp)
        rows, top = inputs[0].shape[0], len(self.layers) - 1
        gs: list[torch.Tensor] = [None] * len(self.layers)  # G_k for k = 0..top (0-based layers)
        g = torch.ones(rows, 1, dtype=inputs[0].dtype, device=inputs[0].device)
        for k in range(top, -1, -1):
            gs[k] = g
            e = torch.mm(g, self.layers[k][0])
            g = e if k == 0 else _relu_backward(e, inputs[k], 0, grad_input=torch.empty_like(e))
        u = g
        norms = torch.linalg.vector_norm(u, dim=1)
        penalty = (norms - 1).pow(2).mean()
        # ∂P/∂u; where ‖u‖ = 0 the norm's gradient is taken as 0 (as autograd does)
        r = u * ((2.0 / rows) * (norms - 1) / norms).nan_to_num_(0.0, 0.0, 0.0).unsqueeze(1)
        for k in range(top + 1):
            w = self.layers[k][0]
            w.grad.addmm_(gs[k].t(), r, alpha=lambda_gp)
            if k < top:
                r = _relu_backward(torch.mm(r, w.t()), inputs[k + 1], 0, grad_input=torch.empty_like(gs[k]))
        return penalty, norms


def kernel_for(module: nn.Module) -> MLPKernel | None:
    """An :class:`MLPKernel` for a toy ``MLPGenerator``/``MLPCritic`` (its ``.net``), else None."""
    net = getattr(module, "net", None)
    if not isinstance(net, nn.Sequential):
        return None
    try:
        return MLPKernel(net)
    except ValueError:
        return None
