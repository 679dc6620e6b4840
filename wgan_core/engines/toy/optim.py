r"""The lean optimisers: RMSProp and Adam with torch's arithmetic, without its per-step bookkeeping.

For the small toy networks the bookkeeping of ``torch.optim`` (parameter lists, state look-ups, the
``Optimizer.step`` wrapper) costs as much as the arithmetic. When the parameters are views of one
flat buffer (:func:`~.flat.flatten_parameters`) and the gradients views of another (the hand-written
backward of :mod:`.kernel`), an update is a handful of operations on those buffers. Both classes
also work on ordinary parameters (multi-tensor ``_foreach`` operations), and both load torch's own
state dicts. ``tests/test_flat_params.py`` checks them against torch.
"""

from __future__ import annotations

import torch

from .flat import FlatCache, cached_plan, flat_view

__all__ = ["LeanRMSprop", "LeanAdam"]


class _LeanOptimizer(torch.optim.Optimizer):
    """What the lean optimisers share: ``step`` as in ``torch.optim`` and :meth:`update`, the update
    without ``Optimizer.step``'s wrapper. Subclasses implement ``_update`` (run under ``no_grad``)."""

    def step(self, closure=None):
        """As the ``torch.optim`` optimisers: ``closure`` (with autograd) if given, then :meth:`update`."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.update()
        return loss

    def update(self) -> None:
        """The update alone. :meth:`step` goes through ``Optimizer``'s wrapper (a profiler label and the
        step hooks), which costs tens of µs per call, about as much as a toy network's update; the
        trainer calls this instead."""
        if torch.is_grad_enabled():
            with torch.no_grad():
                self._update()
        else:
            self._update()


class LeanRMSprop(_LeanOptimizer):
    r"""RMSProp exactly as ``torch.optim.RMSprop`` with its defaults (no momentum, not centred):

    $v \leftarrow \alpha v + (1 - \alpha) g^2$, $\quad w \leftarrow w - \text{lr}\; g / (\sqrt{v} + \epsilon)$,

    without the bookkeeping of the general class (which, for the small toy networks, costs as much
    as the arithmetic). When the parameters are views of one flat buffer (:func:`~.flat.flatten_parameters`)
    the update is five operations on that buffer (state ``square_avg`` is then a view of a flat
    buffer too); otherwise five multi-tensor ``_foreach`` operations. Same arithmetic either way.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})
        self._flat_params, self._flat_avgs, self._flat_grads = FlatCache(), FlatCache(), FlatCache()
        self._denoms: dict[int, torch.Tensor] = {}
        self._plans: dict[int, tuple] = {}  # group -> the flat buffers of its last update (see flat.cached_plan)

    def _square_avgs(self, params) -> list[torch.Tensor]:
        missing = [p for p in params if "square_avg" not in self.state[p]]
        if missing:
            if len(missing) == len(params) and flat_view(params) is not None:  # one flat state buffer
                buf = torch.zeros(sum(p.numel() for p in params), dtype=params[0].dtype, device=params[0].device)
                views = torch.split(buf, [p.numel() for p in params])
                for p, v in zip(params, views, strict=True):
                    self.state[p]["square_avg"] = v.view_as(p)
            else:
                for p in missing:
                    self.state[p]["square_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return [self.state[p]["square_avg"] for p in params]

    def load_state_dict(self, state_dict) -> None:
        """As the base class; then put ``square_avg`` back into one flat buffer per group when the
        parameters are flat, so a resumed optimiser keeps the fast path."""
        super().load_state_dict(state_dict)
        self._plans.clear()
        for group in self.param_groups:
            params = group["params"]
            if flat_view(params) is None or not all("square_avg" in self.state[p] for p in params):
                continue
            buf = torch.cat([self.state[p]["square_avg"].reshape(-1) for p in params])
            for p, v in zip(params, torch.split(buf, [p.numel() for p in params]), strict=True):
                self.state[p]["square_avg"] = v.view_as(p)

    def _update(self) -> None:
        for group in self.param_groups:
            alpha, eps, lr = group["alpha"], group["eps"], group["lr"]
            plan = cached_plan(self._plans, group)
            if plan is not None:  # the flat buffers of the last step still hold: no re-check needed
                _, flat_p, g, flat_v, denom = plan
                flat_v.mul_(alpha).addcmul_(g, g, value=1 - alpha)
                flat_p.addcdiv_(g, torch.sqrt(flat_v, out=denom).add_(eps), value=-lr)
                continue
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            square_avg = self._square_avgs(params)
            flat_p = self._flat_params(params) if len(params) == len(group["params"]) else None
            flat_v = self._flat_avgs(square_avg) if flat_p is not None else None
            if flat_p is not None and flat_v is not None:
                g = self._flat_grads(grads)  # gradients written into one buffer (.kernel)
                flat_g = g is not None
                if g is None:
                    g = torch.cat([t.reshape(-1) for t in grads])
                flat_v.mul_(alpha).addcmul_(g, g, value=1 - alpha)
                denom = self._denoms.get(id(group))
                if denom is None or denom.shape != flat_v.shape:  # reused: no fresh buffer per step
                    denom = self._denoms[id(group)] = torch.empty_like(flat_v)
                flat_p.addcdiv_(g, torch.sqrt(flat_v, out=denom).add_(eps), value=-lr)
                if flat_g:
                    self._plans[id(group)] = (tuple(grads), flat_p, g, flat_v, denom)
                continue
            torch._foreach_mul_(square_avg, alpha)
            torch._foreach_addcmul_(square_avg, grads, grads, value=1 - alpha)
            denom = torch._foreach_sqrt(square_avg)
            torch._foreach_add_(denom, eps)
            torch._foreach_addcdiv_(params, grads, denom, value=-lr)


class LeanAdam(_LeanOptimizer):
    r"""Adam exactly as ``torch.optim.Adam(fused=True)`` (no weight decay, no AMSGrad):

    $t \leftarrow t + 1$, $m \leftarrow \beta_1 m + (1 - \beta_1) g$, $v \leftarrow \beta_2 v + (1 - \beta_2) g^2$,
    $w \leftarrow w - \text{lr}\,\hat m / (\sqrt{\hat v} + \epsilon)$ with the bias-corrected $\hat m, \hat v$ —

    the same fused kernel (``torch._fused_adam_``), called directly. The general class spends more
    time on bookkeeping than the small toy networks spend on arithmetic; when the parameters are views
    of one flat buffer (:func:`~.flat.flatten_parameters`) the whole update is one kernel call on that buffer
    (the state ``exp_avg``/``exp_avg_sq`` are views of flat buffers too). State keys are torch's.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})
        self._flat_params, self._flat_grads = FlatCache(), FlatCache()
        self._flat_m, self._flat_v = FlatCache(), FlatCache()
        self._plans: dict[int, tuple] = {}  # group -> the flat buffers of its last update (see flat.cached_plan)

    def _state(self, params) -> tuple[list, list, list]:
        if any("exp_avg" not in self.state[p] for p in params):
            flat = flat_view(params) is not None
            sizes = [p.numel() for p in params]
            step = torch.zeros((), dtype=torch.float32, device=params[0].device)
            bufs = [torch.zeros(sum(sizes), dtype=params[0].dtype, device=params[0].device) for _ in range(2)]
            for i, p in enumerate(params):
                st = self.state[p]
                if "exp_avg" in st:
                    continue
                if flat:  # one flat buffer each for m and v, and one step counter for the group
                    st["step"] = step
                    st["exp_avg"] = torch.split(bufs[0], sizes)[i].view_as(p)
                    st["exp_avg_sq"] = torch.split(bufs[1], sizes)[i].view_as(p)
                else:
                    st["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
                    st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return ([self.state[p]["step"] for p in params], [self.state[p]["exp_avg"] for p in params],
                [self.state[p]["exp_avg_sq"] for p in params])

    def load_state_dict(self, state_dict) -> None:
        """As the base class; then put the moments back into flat buffers with one shared step
        counter when the parameters are flat, so a resumed optimiser keeps the fast path."""
        super().load_state_dict(state_dict)
        self._plans.clear()
        for group in self.param_groups:
            params = group["params"]
            if flat_view(params) is None or not all("exp_avg" in self.state[p] for p in params):
                continue
            sizes = [p.numel() for p in params]
            step = self.state[params[0]]["step"].detach().clone().float().reshape(())
            for key in ("exp_avg", "exp_avg_sq"):
                buf = torch.cat([self.state[p][key].reshape(-1) for p in params])
                for p, v in zip(params, torch.split(buf, sizes), strict=True):
                    self.state[p][key] = v.view_as(p)
            for p in params:
                self.state[p]["step"] = step

    def _update(self) -> None:
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            plan = cached_plan(self._plans, group)
            if plan is not None:  # the flat buffers of the last step still hold: no re-check needed
                _, params, grads, exp_avgs, exp_avg_sqs, steps = plan
            else:
                params = [p for p in group["params"] if p.grad is not None]
                if not params:
                    continue
                grads = [p.grad for p in params]
                steps, exp_avgs, exp_avg_sqs = self._state(params)
                flat_p = self._flat_params(params) if len(params) == len(group["params"]) else None
                flat_m = self._flat_m(exp_avgs) if flat_p is not None else None
                flat_v = self._flat_v(exp_avg_sqs) if flat_m is not None else None
                if flat_v is not None and all(s is steps[0] for s in steps):
                    g = self._flat_grads(grads)
                    flat_g = g is not None
                    if g is None:
                        g = torch.cat([t.reshape(-1) for t in grads])
                    own = tuple(grads)
                    params, grads, exp_avgs, exp_avg_sqs, steps = [flat_p], [g], [flat_m], [flat_v], [steps[0]]
                    if flat_g:
                        self._plans[id(group)] = (own, params, grads, exp_avgs, exp_avg_sqs, steps)
            torch._foreach_add_(list({id(t): t for t in steps}.values()), 1)  # a shared counter counts once
            torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"],
                               beta1=beta1, beta2=beta2, weight_decay=0.0, eps=group["eps"], maximize=False,
                               grad_scale=None, found_inf=None)
