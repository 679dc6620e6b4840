r"""Networks for the toy problems.

* :class:`MLPGenerator` — $g_\theta: \mathbb{R}^{z} \to \mathbb{R}^{d}$, ``depth`` hidden ReLU layers of
  ``width`` units, linear output.
* :class:`MLPCritic` — $f_w: \mathbb{R}^{d} \to \mathbb{R}$, same body, one linear output and **no
  sigmoid**: a WGAN critic outputs a score; the GAN losses read the same output as a logit
  (see :mod:`wgan_core.losses`), so $D(x) = \sigma(f(x))$.
* :class:`AffineGenerator` — the 1-D generator $x = \mu + s z$, $z \sim \mathcal N(0, 1)$, used
  as the "fake" Gaussian of the optimal-critic experiment (paper Fig 3).

:func:`build_models` makes the pair for a :class:`~wgan_core.config.TrainConfig`; image models come from
``wgan_core.images.models`` (imported lazily).
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

from .config import TrainConfig
from .device import resolve_device  # the one resolver (re-exported: trainer and CLI import it from here)

__all__ = ["MLPGenerator", "MLPCritic", "AffineGenerator", "build_models", "mlp", "resolve_device",
           "has_batchnorm", "make_optimizer", "thread_limit", "LeanRMSprop", "LeanAdam", "flatten_parameters",
           "flat_view"]


def mlp(n_in: int, n_out: int, width: int, depth: int) -> nn.Sequential:
    """``depth`` hidden layers ``Linear → ReLU`` of ``width`` units, then a linear layer to ``n_out``."""
    layers: list[nn.Module] = []
    prev = n_in
    for _ in range(depth):
        layers += [nn.Linear(prev, width), nn.ReLU(inplace=True)]
        prev = width
    layers.append(nn.Linear(prev, n_out))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """Generator $g_\\theta$: input ``z`` of shape ``(n, z_dim)``, output shape ``(n, data_dim)``."""

    def __init__(self, z_dim: int, data_dim: int, width: int = 128, depth: int = 3):
        super().__init__()
        self.z_dim, self.data_dim = z_dim, data_dim
        self.net = mlp(z_dim, data_dim, width, depth)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MLPCritic(nn.Module):
    """Critic $f_w$: input shape ``(n, data_dim)``, output shape ``(n,)`` — a score (or a logit)."""

    def __init__(self, data_dim: int, width: int = 128, depth: int = 3):
        super().__init__()
        self.data_dim = data_dim
        self.net = mlp(data_dim, 1, width, depth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class AffineGenerator(nn.Module):
    r"""One-dimensional Gaussian generator $x = \mu + s\,z$ with $z \sim \mathcal{N}(0, 1)$.

    Parameters
    ----------
    mean, std : float
        Initial $\mu$ and $s$ (the model distribution is $\mathcal N(\mu, s^2)$).
    learnable : bool
        If False, $\mu$ and $s$ are frozen (``requires_grad=False``): a fixed fake distribution.

    Input ``z`` has shape ``(n, 1)`` (or ``(n,)``); output shape ``(n, 1)``.
    """

    z_dim = 1
    data_dim = 1

    def __init__(self, mean: float = 0.0, std: float = 1.0, learnable: bool = True):
        super().__init__()
        if not std > 0:
            raise ValueError(f"std must be positive; got {std}")
        self.mean = nn.Parameter(torch.tensor(float(mean)), requires_grad=learnable)
        self.std = nn.Parameter(torch.tensor(float(std)), requires_grad=learnable)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (self.mean + self.std * z).reshape(-1, 1)


def build_models(config: TrainConfig) -> tuple[nn.Module, nn.Module]:
    """``(generator, critic)`` for ``config``, initialised from ``config.seed`` (on the CPU)."""
    if not config.is_toy:
        from .images.models import build_image_models  # lazy: images are optional

        return build_image_models(config)
    from .data import toy_dim

    dim = toy_dim(config.dataset)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        generator = MLPGenerator(config.z_dim, dim, config.width, config.depth)
        critic = MLPCritic(dim, config.width, config.depth)
    return generator, critic


# ----------------------------------------------------------------------------------------------
# Devices, optimisers and threads (used by the Trainer)
# ----------------------------------------------------------------------------------------------



def has_batchnorm(module: nn.Module) -> bool:
    """Whether ``module`` holds a batch-norm layer (its outputs then depend on the whole batch)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def make_optimizer(module: nn.Module, config: TrainConfig, device, lr: float) -> torch.optim.Optimizer:
    """RMSProp (multi-tensor ``foreach``) or Adam (``fused``: one kernel per step) over the trainable
    parameters of ``module``; a fully frozen module gets a dummy parameter so the optimiser exists."""
    params = [p for p in module.parameters() if p.requires_grad]
    if not params:  # e.g. AffineGenerator(learnable=False): nothing to train
        params = [nn.Parameter(torch.zeros(1, device=device))]
    if config.optimizer == "adam":
        if flat_view(params) is not None:  # flat toy network: one fused kernel, without the bookkeeping
            return LeanAdam(params, lr=lr, betas=config.betas)
        return torch.optim.Adam(params, lr=lr, betas=config.betas, fused=True)
    return LeanRMSprop(params, lr=lr)


def flatten_parameters(module: nn.Module) -> torch.Tensor | None:
    """Make the trainable parameters of ``module`` consecutive views of one flat buffer (values
    unchanged) and return that buffer; None when there is nothing to flatten (mixed dtypes/devices).

    Element-wise work over all parameters (RMSProp, clipping) then runs as one operation on the
    buffer instead of one per tensor — for the small toy networks that per-tensor overhead costs as
    much as the arithmetic. ``load_state_dict`` copies in place, so the views survive a resume.
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


def _cached_plan(plans: dict, group: dict) -> tuple | None:
    """The flat-buffer plan a lean optimiser made for ``group`` on an earlier step, if it still holds.

    A plan is made only when the gradients are views of one flat buffer (the toy trainer's
    hand-written backward writes them there, :mod:`wgan_core.mlp_kernel`); it holds while every
    parameter's ``.grad`` is still the very tensor it was then (autograd with ``set_to_none``
    replaces them) — checked by identity, which is what makes the cached path cheap.
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
    as the arithmetic). When the parameters are views of one flat buffer (:func:`flatten_parameters`)
    the update is five operations on that buffer (state ``square_avg`` is then a view of a flat
    buffer too); otherwise five multi-tensor ``_foreach`` operations. Same arithmetic either way.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps})
        self._flat_params, self._flat_avgs, self._flat_grads = FlatCache(), FlatCache(), FlatCache()
        self._denoms: dict[int, torch.Tensor] = {}
        self._plans: dict[int, tuple] = {}  # group -> the flat buffers of its last update (see _cached_plan)

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
            plan = _cached_plan(self._plans, group)
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
                g = self._flat_grads(grads)  # gradients written into one buffer (wgan_core.mlp_kernel)
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
    of one flat buffer (:func:`flatten_parameters`) the whole update is one kernel call on that buffer
    (the state ``exp_avg``/``exp_avg_sq`` are views of flat buffers too). State keys are torch's.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})
        self._flat_params, self._flat_grads = FlatCache(), FlatCache()
        self._flat_m, self._flat_v = FlatCache(), FlatCache()
        self._plans: dict[int, tuple] = {}  # group -> the flat buffers of its last update (see _cached_plan)

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
            plan = _cached_plan(self._plans, group)
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
